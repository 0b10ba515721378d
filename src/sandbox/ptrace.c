/* ptrace.c: other CPUs' binaries without binfmt_misc. The container's first
 * process installs a seccomp filter that stops only execve and execveat for
 * a tracer (the monitor); when the file is an ELF of a platform kiln
 * emulates, the tracer rewrites the call into an execveat of the static
 * qemu-user, "qemu -0 ARGV0 PATH ARGV1...". #! scripts are followed to their
 * interpreter, since the kernel would exec that without another system
 * call. Other system calls never stop. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sandbox/internal.h"
#include "sandbox/ptrace-regs.h"
#include "sandbox/syscalls.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef SYS_execveat
#define SYS_execveat __NR_execveat
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* the qemu fds of the container sit at or above this number, clear of the
 * low numbers shells and programs dup2 onto */
#define TRACE_FD_MIN 700
/* argv entries kiln copies; the kernel itself stops near MAX_ARG_STRINGS */
#define TRACE_ARGV_MAX (1u << 17)

/* one emulator: the platforms it runs (arm v5..v7 share one) */
struct trace_emu {
	const struct arch_platform *p;
	char *qemu;
	int fd;		/* O_PATH, close-on-exec in kiln */
	int fd_in;	/* the same file, at TRACE_FD_MIN or above, in the container */
	dev_t dev;
	ino_t ino;
};

static struct trace_emu *emus;
static size_t nemus;
/* the monitor's /proc, opened before pivot_root: pids as waitpid gives them */
static int procfd = -1;
/* the monitor writes one byte once it traces the first process, which
 * must not install its filter before: RET_TRACE without a tracer is ENOSYS */
static int syncp[2] = { -1, -1 };

const char *sbx_ptrace_unavailable(void)
{
	if (TRACE_CPU_OK)
		return NULL;
	return "kiln's ptrace route rewrites system calls on x86_64 and aarch64 hosts only";
}

int sbx_ptrace_add(const struct arch_platform *p, const char *qemu, struct kerr *err)
{
	const char *why = sbx_ptrace_unavailable();
	struct trace_emu *e;
	struct stat st;
	int fd;

	if (why)
		return kerr_set(err, "%s", why);
	for (size_t i = 0; i < nemus; i++)
		if (!strcmp(emus[i].qemu, qemu) && !memcmp(emus[i].p->binfmt_magic,
							   p->binfmt_magic, ARCH_BINFMT_LEN))
			return 0;
	fd = open(qemu, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		kerr_errno(err, errno, "cannot open '%s'", qemu);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	emus = xrealloc(emus, (nemus + 1) * sizeof(*emus));
	e = &emus[nemus++];
	*e = (struct trace_emu){ p, xstrdup(qemu), fd, -1, st.st_dev, st.st_ino };
	return 0;
}

int sbx_trace_prepare(struct kerr *err)
{
	if (!nemus)
		return 0;
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return kerr_errno(err, errno, "cannot open '/proc'");
	if (pipe2(syncp, O_CLOEXEC) < 0)
		return kerr_errno(err, errno, "cannot create a pipe");
	for (size_t i = 0; i < nemus; i++) {
		emus[i].fd_in = fcntl(emus[i].fd, F_DUPFD_CLOEXEC, TRACE_FD_MIN);
		/* a soft RLIMIT_NOFILE below it */
		if (emus[i].fd_in < 0 && errno == EINVAL)
			emus[i].fd_in = fcntl(emus[i].fd, F_DUPFD_CLOEXEC, 10);
		if (emus[i].fd_in < 0)
			return kerr_errno(err, errno, "cannot keep '%s' open for the container",
					  emus[i].qemu);
	}
	return 1;
}

int sbx_trace_attach(pid_t pid, struct kerr *err)
{
	long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
		    PTRACE_O_TRACESYSGOOD;

	close(syncp[0]);
	if (ptrace(PTRACE_SEIZE, pid, 0, opts) < 0)
		return kerr_errno(err, errno, "cannot trace the container's first process for "
				  "emulation (ptrace)");
	if (write(syncp[1], "t", 1) != 1)
		return kerr_errno(err, errno, "cannot start the container's first process");
	close(syncp[1]);
	return 0;
}

int sbx_trace_child(struct kerr *err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TRACE_AUDIT_ARCH, 1, 0),
		/* 32-bit processes the CPU runs itself exec as they like */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	char c = 0;

	if (!nemus)
		return 0;
	close(syncp[1]);
	while (read(syncp[0], &c, 1) < 0 && errno == EINTR)
		;
	close(syncp[0]);
	if (c != 't')
		return kerr_set(err, "the container's tracer did not start");
	for (size_t i = 0; i < nemus; i++) {
		/* every process of the container inherits it: qemu is exec'd from it */
		if (fcntl(emus[i].fd_in, F_SETFD, 0) < 0)
			return kerr_errno(err, errno, "cannot keep '%s' open", emus[i].qemu);
	}
	/* no_new_privs is set: an unprivileged process may install a filter */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return kerr_errno(err, errno, "cannot install the seccomp filter for emulation");
	return 0;
}

/* ---- the tracee's registers ---- */

static int get_call(pid_t pid, struct trace_call *c)
{
	return trace_regs_get(pid, c);
}

/* makes the stopped call nr with args a[0..4] */
static int set_call(pid_t pid, struct trace_call *c, long nr)
{
	return trace_regs_set(pid, c, nr);
}

/* the call fails with errnum instead */
static void deny(pid_t pid, struct trace_call *c, int errnum)
{
	c->a[0] = (unsigned long)-(long)errnum;
	set_call(pid, c, -1);
}

/* ---- the tracee's memory ---- */

static int read_mem(pid_t pid, unsigned long addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* a NUL-terminated string, read up to page boundaries so that a string
 * near the end of a mapping is read whole */
static int read_str(pid_t pid, unsigned long addr, char *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		size_t chunk = 4096 - ((addr + got) & 4095);

		if (chunk > max - got)
			chunk = max - got;
		if (read_mem(pid, addr + got, buf + got, chunk) < 0)
			return -1;
		if (memchr(buf + got, '\0', chunk))
			return 0;
		got += chunk;
	}
	return -1;
}

static int write_mem(pid_t pid, unsigned long addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };

	return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * Where a long argv goes when the stack does not reach far enough below
 * the stack pointer (ptrace cannot grow it): memory the tracer has the
 * tracee map (an mmap call in place of the exec, which then runs again),
 * kept per thread until an exec succeeds.
 */
struct tstate {
	pid_t pid;
	unsigned long region;
	size_t len;
	bool mmap_pending;
	trace_regs_t orig;	/* the exec call, to run again */
};

static struct tstate *tstates;
static size_t ntstates;

static struct tstate *tstate(pid_t pid, bool make)
{
	for (size_t i = 0; i < ntstates; i++)
		if (tstates[i].pid == pid)
			return &tstates[i];
	if (!make)
		return NULL;
	tstates = xrealloc(tstates, (ntstates + 1) * sizeof(*tstates));
	memset(&tstates[ntstates], 0, sizeof(*tstates));
	tstates[ntstates].pid = pid;
	return &tstates[ntstates++];
}

static void forget(pid_t pid)
{
	for (size_t i = 0; i < ntstates; i++)
		if (tstates[i].pid == pid)
			tstates[i--] = tstates[--ntstates];
}

/* the end of the injected mmap: keep the region and run the exec again */
static void on_exit_stop(pid_t pid)
{
	struct tstate *t = tstate(pid, false);
	trace_regs_t regs;
	struct iovec iov = { &regs, sizeof(regs) };
	unsigned long ret;

	if (!t || !t->mmap_pending || ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov) < 0)
		return;
	t->mmap_pending = false;
	ret = *trace_regs_ret(&regs);
	if (ret > -4096ul) {
		/* no memory: the exec fails as the kernel would fail it */
		*trace_regs_ret(&regs) = (unsigned long)-E2BIG;
		ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &iov);
		return;
	}
	t->region = ret;
	regs = t->orig;
	trace_regs_rewind(&regs);
	ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &iov);
}

/* ---- the exec ---- */

/* the file the tracee names, as it would find it: its root and cwd */
static int open_target(pid_t pid, int dirfd, const char *path, unsigned long flags)
{
	char where[64];
	cleanup_close int dir = -1;

	if (!*path) {
		if (!(flags & AT_EMPTY_PATH) || dirfd < 0)
			return -1;
		snprintf(where, sizeof(where), "%d/fd/%d", pid, dirfd);
		return openat(procfd, where, O_RDONLY | O_CLOEXEC);
	}
	if (path[0] == '/') {
		struct kiln_open_how how = { O_RDONLY | O_CLOEXEC, 0, RESOLVE_IN_ROOT };

		snprintf(where, sizeof(where), "%d/root", pid);
		dir = openat(procfd, where, O_PATH | O_DIRECTORY | O_CLOEXEC);
		return dir < 0 ? -1 : sys_openat2(dir, path, &how);
	}
	if (dirfd == AT_FDCWD)
		snprintf(where, sizeof(where), "%d/cwd", pid);
	else
		snprintf(where, sizeof(where), "%d/fd/%d", pid, dirfd);
	dir = openat(procfd, where, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* the monitor shares the container's root since pivot_root, so
	 * absolute symlinks on the way resolve inside it */
	return dir < 0 ? -1 : openat(dir, path, O_RDONLY | O_CLOEXEC);
}

/* the emulator for the ELF file fd, NULL when it is none of ours */
static struct trace_emu *emu_for(int fd)
{
	uint8_t h[ARCH_BINFMT_LEN];

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return NULL;
	for (size_t i = 0; i < nemus; i++) {
		const struct arch_platform *p = emus[i].p;
		size_t k;

		for (k = 0; k < ARCH_BINFMT_LEN; k++)
			if ((h[k] & p->binfmt_mask[k]) != (p->binfmt_magic[k] & p->binfmt_mask[k]))
				break;
		if (k == ARCH_BINFMT_LEN)
			return &emus[i];
	}
	return NULL;
}

/* does the tracee still hold the emulator at fd_in? */
static bool holds_qemu(pid_t pid, const struct trace_emu *e)
{
	char where[64];
	struct stat st;

	snprintf(where, sizeof(where), "%d/fd/%d", pid, e->fd_in);
	return fstatat(procfd, where, &st, 0) == 0 && st.st_dev == e->dev &&
	       st.st_ino == e->ino;
}

/* the path qemu opens for the guest program: relative to the tracee's cwd
 * as given, else through the directory fd's path in the container */
static char *guest_path(pid_t pid, int dirfd, const char *path)
{
	char where[64], dir[PATH_MAX];
	ssize_t n;

	if (path[0] == '/' || (dirfd == AT_FDCWD && *path))
		return xstrdup(path);
	snprintf(where, sizeof(where), "%d/fd/%d", pid, dirfd);
	n = readlinkat(procfd, where, dir, sizeof(dir) - 1);
	if (n <= 0 || dir[0] != '/')
		return NULL;
	dir[n] = '\0';
	return *path ? xasprintf("%s/%s", dir, path) : xstrdup(dir);
}

/* one entry of the new argv: a string kiln writes, or one of the tracee's */
struct arg {
	char *s;		/* NULL: ptr */
	unsigned long ptr;
};

/* "#!INTERP ARG" as the kernel splits it: ARG is the rest of the line
 * (trailing blanks cut) or NULL; -1 when the file is no script */
static int script_line(int fd, char **interp, char **arg)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *p, *end;

	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return -1;
	buf[n] = '\0';
	end = strchr(buf, '\n');
	if (end)
		*end = '\0';
	for (end = buf + strlen(buf); end > buf + 2 && (end[-1] == ' ' || end[-1] == '\t'); )
		*--end = '\0';
	for (p = buf + 2; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return -1;
	end = p + strcspn(p, " \t");
	*interp = xstrndup(p, (size_t)(end - p));
	for (p = end; *p == ' ' || *p == '\t'; p++)
		;
	*arg = *p ? xstrdup(p) : NULL;
	return 0;
}

static void args_free(struct arg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].s);
	free(v);
}

/*
 * The target, and for a #! script its interpreter (the kernel opens it
 * itself, without a system call kiln could see), down to an ELF file. Lead
 * becomes what replaces argv[0], as the kernel builds it: { INTERP, [ARG,]
 * SCRIPT, ...}; *gpath the ELF file's path for qemu. The emulator, or NULL
 * when the file the chain ends at is none of ours.
 */
static struct trace_emu *resolve(pid_t pid, int fd, char **gpath, struct arg **lead,
				 size_t *nlead)
{
	/* the kernel's limit of interpreters in a chain */
	for (int depth = 0; depth < 5; depth++) {
		struct trace_emu *e = emu_for(fd);
		char *interp, *arg;
		struct arg *v;
		size_t n = 0;

		if (e)
			return close(fd), e;
		if (script_line(fd, &interp, &arg) < 0)
			break;
		close(fd);
		v = xcalloc(*nlead + 2, sizeof(*v));
		v[n++] = (struct arg){ xstrdup(interp), 0 };
		if (arg)
			v[n++] = (struct arg){ arg, 0 };
		v[n++] = (struct arg){ steal_ptr(*gpath), 0 };
		for (size_t i = 1; i < *nlead; i++)
			v[n++] = (*lead)[i];
		free((*lead)[0].s);
		free(*lead);
		*lead = v;
		*nlead = n;
		*gpath = interp;
		fd = open_target(pid, AT_FDCWD, interp, 0);
		if (fd < 0)
			return NULL;
	}
	close(fd);
	return NULL;
}

/* true: an mmap runs in place of the exec, whose end the tracer must see */
static bool on_exec(pid_t pid)
{
	struct trace_call c;
	bool step = false;
	char path[PATH_MAX];
	cleanup_free char *gpath = NULL;
	cleanup_free unsigned long *argv = NULL;
	cleanup_free char *mem = NULL;
	struct arg *lead = NULL;
	size_t nlead = 1, nv, argc = 0, slen = 0, vat, total;
	struct trace_emu *e;
	unsigned long pathp, argvp, envp, flags, at, empty;
	const char *qname;
	int dirfd, fd;

	if (get_call(pid, &c) < 0)
		return false;
	if (c.nr == SYS_execve) {
		dirfd = AT_FDCWD, pathp = c.a[0], argvp = c.a[1], envp = c.a[2], flags = 0;
	} else if (c.nr == SYS_execveat) {
		dirfd = (int)c.a[0], pathp = c.a[1], argvp = c.a[2], envp = c.a[3];
		flags = c.a[4];
	} else {
		return false;
	}
	/* what the kernel cannot read either, it fails on its own */
	if (read_str(pid, pathp, path, sizeof(path)) < 0)
		return false;
	fd = open_target(pid, dirfd, path, flags);
	if (fd < 0)
		return false;
	gpath = guest_path(pid, dirfd, path);
	if (!gpath) {
		close(fd);
		return false;
	}
	for (; argvp; argc++) {
		unsigned long a;

		if (argc == TRACE_ARGV_MAX || read_mem(pid, argvp + argc * sizeof(a), &a,
							sizeof(a)) < 0) {
			/* the kernel says E2BIG or EFAULT itself */
			close(fd);
			return false;
		}
		if (!a)
			break;
		argv = xrealloc(argv, (argc + 1) * sizeof(*argv));
		argv[argc] = a;
	}
	lead = xcalloc(1, sizeof(*lead));
	lead[0] = (struct arg){ argc ? NULL : xstrdup(""), argc ? argv[0] : 0 };
	e = resolve(pid, fd, &gpath, &lead, &nlead);
	if (!e)
		goto out;
	if (!holds_qemu(pid, e)) {
		/* the process closed kiln's fd: nothing left to run qemu from */
		log_debug("pid %d: exec '%s': fd %d (%s) was closed", pid, path, e->fd_in, e->qemu);
		deny(pid, &c, ENOEXEC);
		goto out;
	}

	/*
	 * Below the stack pointer (and its red zone), or in the region mapped
	 * for it: the vector { QEMU, "-0", LEAD[0], GPATH, LEAD[1..], argv[1..],
	 * NULL }, then the strings. The exec replaces this memory; should it
	 * fail, nothing live was there.
	 */
	qname = strrchr(e->qemu, '/') ? strrchr(e->qemu, '/') + 1 : e->qemu;
	slen = strlen(qname) + 1 + sizeof("-0") + 1 + strlen(gpath) + 1;
	for (size_t i = 0; i < nlead; i++)
		slen += lead[i].s ? strlen(lead[i].s) + 1 : 0;
	nv = 4 + (nlead - 1) + (argc > 1 ? argc - 1 : 0) + 1;
	vat = nv * sizeof(unsigned long);
	total = vat + ((slen + 7) & ~(size_t)7);
	mem = xcalloc(1, total);
	at = (c.sp - TRACE_RED_ZONE - total) & ~15ul;
	for (int pass = 0; pass < 2; pass++) {
		struct tstate *t = tstate(pid, false);
		unsigned long *v = (unsigned long *)(void *)mem;
		char *s = mem + vat;
		size_t n = 0;
#define PUT(str) (s = stpcpy(s, (str)) + 1, at + (unsigned long)(s - mem) - strlen(str) - 1)

		if (pass == 1 && t && t->region && t->len >= total)
			at = t->region;
		else if (pass == 1)
			break;
		v[n++] = PUT(qname);
		v[n++] = PUT("-0");
		v[n++] = lead[0].s ? PUT(lead[0].s) : lead[0].ptr;
		v[n++] = PUT(gpath);
		for (size_t i = 1; i < nlead; i++)
			v[n++] = lead[i].s ? PUT(lead[i].s) : lead[i].ptr;
		for (size_t i = 1; i < argc; i++)
			v[n++] = argv[i];
		v[n] = 0;
		empty = PUT("");
#undef PUT
		if (write_mem(pid, at, mem, total) == 0) {
			c.a[0] = (unsigned long)e->fd_in;
			c.a[1] = empty;
			c.a[2] = at;
			c.a[3] = envp;
			c.a[4] = AT_EMPTY_PATH;
			if (set_call(pid, &c, SYS_execveat) < 0)
				log_debug("pid %d: exec '%s': cannot rewrite the call: %s", pid,
					  path, strerror(errno));
			goto out;
		}
	}
	/* a long argv: have the tracee map room for it, then exec again */
	{
		struct tstate *t = tstate(pid, true);

		t->orig = c.regs;
		t->len = (total + 65535) & ~(size_t)65535;
		t->mmap_pending = true;
		c.a[0] = 0;
		c.a[1] = t->len;
		c.a[2] = PROT_READ | PROT_WRITE;
		c.a[3] = MAP_PRIVATE | MAP_ANONYMOUS;
		c.a[4] = (unsigned long)-1;
		c.a[5] = 0;
		if (set_call(pid, &c, TRACE_SYS_MMAP) < 0) {
			forget(pid);
			deny(pid, &c, E2BIG);
			goto out;
		}
		step = true;
	}
out:
	args_free(lead, nlead);
	return step;
}

int sbx_trace_wait(pid_t first, int *status)
{
	bool have = false;

	for (;;) {
		int st, sig, event;
		pid_t pid = waitpid(-1, &st, __WALL);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			forget(pid);
			if (pid == first) {
				*status = st;
				have = true;
			}
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		event = st >> 16;
		switch (event) {
		case PTRACE_EVENT_SECCOMP:
			sig = 0;
			if (on_exec(pid)) {
				ptrace(PTRACE_SYSCALL, pid, 0, 0);
				continue;
			}
			break;
		case PTRACE_EVENT_EXEC: {
			unsigned long former = 0;

			/* a new program: the regions mapped for the old one are gone */
			forget(pid);
			if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &former) == 0)
				forget((pid_t)former);
			sig = 0;
			break;
		}
		case PTRACE_EVENT_FORK:
		case PTRACE_EVENT_VFORK:
		case PTRACE_EVENT_CLONE:
			sig = 0;
			break;
		case PTRACE_EVENT_STOP:
			/* a group-stop stays stopped until SIGCONT; a new child's
			 * first stop just goes on */
			if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
				ptrace(PTRACE_LISTEN, pid, 0, 0);
				continue;
			}
			sig = 0;
			break;
		default:
			if (sig == (SIGTRAP | 0x80)) {
				on_exit_stop(pid);
				sig = 0;
			}
			break;	/* else a signal on its way: deliver it */
		}
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
	return have ? 0 : -1;
}
