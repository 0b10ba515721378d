/* ptrace-regs.h: the few things the ptrace route must know of the CPU kiln
 * runs on: its audit arch, its red zone and where a system call keeps its
 * number, arguments and result. Every CPU-specific line of ptrace.c is here. */
#ifndef KILN_SANDBOX_PTRACE_REGS_H
#define KILN_SANDBOX_PTRACE_REGS_H

#include <errno.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <linux/audit.h>
#include <elf.h>


/* the registers, and the call they hold at a system call stop */
#if defined(__x86_64__) || defined(__aarch64__)
typedef struct user_regs_struct trace_regs_t;
#define TRACE_CPU_OK		1
#define TRACE_SYS_MMAP		SYS_mmap
#else
typedef struct { unsigned long r[18]; } trace_regs_t;
#define TRACE_CPU_OK		0
#define TRACE_SYS_MMAP		(-1L)
#endif

struct trace_call {
	trace_regs_t regs;
	long nr;
	unsigned long a[6];
	unsigned long sp;
};

#if defined(__x86_64__)
#define TRACE_AUDIT_ARCH	AUDIT_ARCH_X86_64
/* the System V ABI lets leaf functions use 128 bytes below the stack pointer */
#define TRACE_RED_ZONE		128

static inline int trace_regs_get(pid_t pid, struct trace_call *c)
{
	struct iovec iov = { &c->regs, sizeof(c->regs) };

	if (ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov) < 0)
		return -1;
	c->nr = (long)c->regs.orig_rax;
	c->a[0] = c->regs.rdi, c->a[1] = c->regs.rsi, c->a[2] = c->regs.rdx;
	c->a[3] = c->regs.r10, c->a[4] = c->regs.r8, c->a[5] = c->regs.r9;
	c->sp = c->regs.rsp;
	return 0;
}

/* makes the stopped call nr with args a[]; nr -1 skips it, returning a[0] */
static inline int trace_regs_set(pid_t pid, struct trace_call *c, long nr)
{
	struct iovec iov = { &c->regs, sizeof(c->regs) };

	c->regs.orig_rax = (unsigned long)nr;
	c->regs.rdi = c->a[0], c->regs.rsi = c->a[1], c->regs.rdx = c->a[2];
	c->regs.r10 = c->a[3], c->regs.r8 = c->a[4], c->regs.r9 = c->a[5];
	c->regs.rax = nr == -1 ? c->a[0] : c->regs.rax;
	return (int)ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &iov);
}

static inline unsigned long *trace_regs_ret(trace_regs_t *r)
{
	return (unsigned long *)&r->rax;
}

/* back over the two-byte syscall instruction, the number in rax again */
static inline void trace_regs_rewind(trace_regs_t *r)
{
	r->rax = r->orig_rax;
	r->rip -= 2;
}

#elif defined(__aarch64__)
#define TRACE_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#define TRACE_RED_ZONE		0
#ifndef NT_ARM_SYSTEM_CALL
#define NT_ARM_SYSTEM_CALL	0x404
#endif

static inline int trace_regs_get(pid_t pid, struct trace_call *c)
{
	struct iovec iov = { &c->regs, sizeof(c->regs) };
	int nr;
	struct iovec sys = { &nr, sizeof(nr) };

	if (ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov) < 0 ||
	    ptrace(PTRACE_GETREGSET, pid, NT_ARM_SYSTEM_CALL, &sys) < 0)
		return -1;
	c->nr = nr;
	for (int i = 0; i < 6; i++)
		c->a[i] = c->regs.regs[i];
	c->sp = c->regs.sp;
	return 0;
}

static inline int trace_regs_set(pid_t pid, struct trace_call *c, long nr)
{
	struct iovec iov = { &c->regs, sizeof(c->regs) };
	int n = (int)nr;
	struct iovec sys = { &n, sizeof(n) };

	for (int i = 0; i < 6; i++)
		c->regs.regs[i] = c->a[i];
	if (ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &iov) < 0)
		return -1;
	return (int)ptrace(PTRACE_SETREGSET, pid, NT_ARM_SYSTEM_CALL, &sys);
}

static inline unsigned long *trace_regs_ret(trace_regs_t *r)
{
	return (unsigned long *)&r->regs[0];
}

/* back over svc; x8 still holds the number */
static inline void trace_regs_rewind(trace_regs_t *r)
{
	r->pc -= 4;
}

#else
/* other CPUs: the route compiles, and sbx_ptrace_unavailable says why it
 * is not taken */
#define TRACE_AUDIT_ARCH	0
#define TRACE_RED_ZONE		0

static inline int trace_regs_get(pid_t pid, struct trace_call *c)
{
	(void)pid;
	(void)c;
	errno = ENOSYS;
	return -1;
}

static inline int trace_regs_set(pid_t pid, struct trace_call *c, long nr)
{
	(void)pid;
	(void)c;
	(void)nr;
	errno = ENOSYS;
	return -1;
}

static inline unsigned long *trace_regs_ret(trace_regs_t *r)
{
	return (unsigned long *)r;
}

static inline void trace_regs_rewind(trace_regs_t *r)
{
	(void)r;
}
#endif

#endif
