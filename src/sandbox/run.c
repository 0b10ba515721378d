/* run.c: one container: kiln forks a monitor that unshares the PID, UTS, IPC,
 * mount (and network) namespaces and forks the container's first process,
 * which sets up its root and execs; kiln relays output and waits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "sandbox/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

static volatile sig_atomic_t interrupted;
/* the process SIGINT and SIGTERM kill: the monitor until the container's
 * first process is known, then that one (its PID namespace dies with it) */
static volatile pid_t kill_target;

bool sandbox_interrupted(void)
{
	return interrupted;
}

/* async-signal-safe: the handler's work, and a caller's own handler's */
void sandbox_interrupt(void)
{
	pid_t t = kill_target;
	int saved = errno;

	interrupted = 1;
	if (t > 0)
		kill(t, SIGKILL);
	errno = saved;
}

static void on_signal(int sig)
{
	(void)sig;
	sandbox_interrupt();
}

/* what a process of the container tells kiln when it fails before exec */
struct child_err {
	int kind;
	int errnum;
	char msg[1024];
};

struct run_ctx {
	const struct sandbox_spec *spec;
	const struct sandbox_ids *ids;
	const struct sbx_files *files;
	const char *hostname;
	pid_t kiln;
	int errfd;	/* write end, CLOEXEC: empty at exec */
	int statfd;	/* write end: the first process's pid, then its status */
	int outfd;	/* write end of the output pipe, or -1 */
	int nullfd;
};

static __attribute__((noreturn)) void child_fail(const struct run_ctx *c, struct kerr *err)
{
	struct child_err ce;

	memset(&ce, 0, sizeof(ce));
	ce.kind = err->kind;
	ce.errnum = err->errnum;
	snprintf(ce.msg, sizeof(ce.msg), "%s", err->msg ? err->msg : "unknown error");
	write_all(c->errfd, &ce, sizeof(ce));
	_exit(1);
}

static void default_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* every fd but 0, 1, 2 closes at exec: kiln's store, locks and pipes stay
 * out of the container */
static void cloexec_from_3(void)
{
	if (sys_close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = 3; fd < 4096; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* A monitor killed before the container's PR_SET_PDEATHSIG took effect (or
 * while a change of ids had cleared it) leaves nothing to kill the container
 * when kiln is gone: it must not go on to exec. The pipe's only write end
 * is the monitor's, closed as it dies. */
static void exit_if_orphan(int alivefd)
{
	struct pollfd p = { .fd = alivefd, .events = POLLIN };

	if (poll(&p, 1, 0) != 0)
		_exit(1);
}

static __attribute__((noreturn)) void container(const struct run_ctx *c, int alivefd)
{
	const struct sandbox_spec *spec = c->spec;
	struct kerr err = KERR_INIT;

	/* the monitor's death (and so kiln's) ends the container */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	default_signals();
	umask(022);
	if (!spec->stdin_inherit && dup2(c->nullfd, 0) < 0)
		kerr_errno(&err, errno, "cannot redirect stdin");
	if (!err.msg && spec->out_fd >= 0 &&
	    (dup2(spec->out_fd, 1) < 0 || dup2(spec->out_fd, 2) < 0))
		kerr_errno(&err, errno, "cannot redirect output");
	if (!err.msg && c->outfd >= 0 && (dup2(c->outfd, 1) < 0 || dup2(c->outfd, 2) < 0))
		kerr_errno(&err, errno, "cannot redirect output");
	if (err.msg)
		child_fail(c, &err);
	if (spec->network == SANDBOX_NET_NONE && sbx_loopback_up(&err) < 0)
		child_fail(c, &err);
	if (sbx_mount_root(spec, c->ids, c->files, &err) < 0)
		child_fail(c, &err);
	if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
		kerr_errno(&err, errno, "cannot set the hostname '%s'", c->hostname);
		child_fail(c, &err);
	}
	if (chdir(spec->cwd ? spec->cwd : "/") < 0) {
		kerr_errno(&err, errno, "cannot enter the working directory '%s'",
			   spec->cwd ? spec->cwd : "/");
		child_fail(c, &err);
	}
	if (sbx_set_creds(spec->user, c->ids, &err) < 0)
		child_fail(c, &err);
	/* changing ids cleared it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	exit_if_orphan(alivefd);
	cloexec_from_3();
	if (sbx_trace_child(&err) < 0)
		child_fail(c, &err);
	sbx_exec(spec->argv, spec->envp);
}

static __attribute__((noreturn)) void monitor(const struct run_ctx *c)
{
	int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	struct kerr err = KERR_INIT;
	int status, tracing, alive[2];
	sigset_t stops;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != c->kiln)
		_exit(1);
	/* a Ctrl-C reaches the whole process group; kiln decides. kiln
	 * forked with them blocked: ignoring drops any that are pending */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &stops, NULL);
	if (c->spec->network == SANDBOX_NET_NONE)
		flags |= CLONE_NEWNET;
	if (unshare(flags) < 0) {
		kerr_errno(&err, errno, "cannot create the container's namespaces");
		child_fail(c, &err);
	}
	/* foreign binaries through traced exec calls (ptrace.c) */
	tracing = sbx_trace_prepare(&err);
	if (tracing < 0)
		child_fail(c, &err);
	if (pipe2(alive, O_CLOEXEC) < 0) {
		kerr_errno(&err, errno, "cannot create a pipe");
		child_fail(c, &err);
	}
	pid = fork();
	if (pid < 0) {
		kerr_errno(&err, errno, "cannot start the container's first process");
		child_fail(c, &err);
	}
	if (pid == 0) {
		close(alive[1]);
		container(c, alive[0]);
	}
	close(alive[0]);
	if (tracing && sbx_trace_attach(pid, &err) < 0)
		child_fail(c, &err);
	close(c->errfd);
	if (c->outfd >= 0)
		close(c->outfd);
	if (write_all(c->statfd, &pid, sizeof(pid)) < 0)
		_exit(1);
	if (tracing && sbx_trace_wait(pid, &status) < 0)
		_exit(1);
	while (!tracing && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	_exit(write_all(c->statfd, &status, sizeof(status)) < 0);
}

/* reads exactly len bytes unless EOF comes first; EINTR is retried since
 * the handler has already done its work */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void relay_output(const struct sandbox_spec *spec, int fd)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		spec->output(spec->output_arg, buf, (size_t)n);
	}
}

static int check_spec(const struct sandbox_spec *spec, const struct sandbox_ids *ids,
		      struct kerr *err)
{
	if (!ids)
		return kerr_set(err, "the sandbox's user namespace was not entered");
	if (!spec->rootfs || !spec->argv || !spec->argv[0])
		return kerr_input(err, "no root filesystem or command to run");
	if (spec->cwd && spec->cwd[0] != '/')
		return kerr_input(err, "working directory '%s' is not absolute", spec->cwd);
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct sandbox_mount *m = &spec->mounts[i];
		cleanup_free char *dst = m->dst ? path_clean(m->dst) : NULL;

		if (!dst || dst[0] != '/' || (m->kind == SANDBOX_BIND && !m->src))
			return kerr_input(err, "mount target '%s' is not absolute",
					  m->dst ? m->dst : "");
		if (!strcmp(dst, "/"))
			return kerr_input(err, "cannot mount over the container's root '/'");
	}
	if (spec->user && (!sandbox_id_mapped(ids, spec->user->uid, false) ||
			   !sandbox_id_mapped(ids, spec->user->gid, true)))
		return kerr_input(err, "user %u:%u is outside kiln's id map (only %s); add a "
				  "range for the user to /etc/subuid and /etc/subgid",
				  spec->user->uid, spec->user->gid,
				  ids->full ? "the subordinate range" : "id 0");
	return 0;
}

static const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
		[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
		[SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
		[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGCHLD] = "CHLD",
		[SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP", [SIGTTIN] = "TTIN",
		[SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU", [SIGXFSZ] = "XFSZ",
		[SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH", [SIGIO] = "IO",
		[SIGPWR] = "PWR", [SIGSYS] = "SYS",
	};

	if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
		return names[sig];
	return NULL;
}

void sandbox_status_str(const struct sandbox_status *st, char *buf, size_t len)
{
	const char *name = signal_name(st->signal);

	if (st->signal && name)
		snprintf(buf, len, "killed by signal %d (SIG%s)", st->signal, name);
	else if (st->signal)
		snprintf(buf, len, "killed by signal %d", st->signal);
	else
		snprintf(buf, len, "exit code: %d", st->exit_code);
}

/* fork, relay, wait: everything between the prepared root and its clean-up */
static int run_container(struct run_ctx *c, struct sandbox_status *st, struct kerr *err)
{
	const struct sandbox_spec *spec = c->spec;
	int errp[2] = { -1, -1 }, statp[2] = { -1, -1 }, outp[2] = { -1, -1 };
	struct sigaction sa, old_int, old_term;
	sigset_t stops, old_mask;
	struct child_err ce;
	pid_t mon, first = 0;
	int status = 0, mstatus, r = -1;
	bool have_status = false;
	ssize_t n;

	c->kiln = getpid();
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(statp, O_CLOEXEC) < 0 ||
	    (spec->out_fd < 0 && spec->output && pipe2(outp, O_CLOEXEC) < 0)) {
		kerr_errno(err, errno, "cannot create a pipe");
		goto out_close;
	}
	c->errfd = errp[1];
	c->statfd = statp[1];
	c->outfd = outp[1];

	/* A stop asked for before (a caller's handler may have called
	 * sandbox_interrupt) starts no container. One that comes between
	 * that check and the fork waits, blocked, until kill_target names
	 * the monitor, so the handler kills it: no signal is lost. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &old_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: reads return */
	sigemptyset(&sa.sa_mask);
	kill_target = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (interrupted) {
		kerr_set(err, "interrupted");
		err->errnum = EINTR;
		goto out_signals;
	}

	mon = fork();
	if (mon < 0) {
		kerr_errno(err, errno, "cannot fork");
		goto out_signals;
	}
	if (mon == 0)
		monitor(c);
	kill_target = mon;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(errp[1]);
	close(statp[1]);
	errp[1] = statp[1] = -1;
	if (outp[1] >= 0) {
		close(outp[1]);
		outp[1] = -1;
	}

	if (read_full(statp[0], &first, sizeof(first)) == (ssize_t)sizeof(first) && first > 0) {
		kill_target = first;
		if (interrupted)
			kill(first, SIGKILL);
	}
	if (outp[0] >= 0)
		relay_output(spec, outp[0]);
	have_status = read_full(statp[0], &status, sizeof(status)) == (ssize_t)sizeof(status);
	while (waitpid(mon, &mstatus, 0) < 0 && errno == EINTR)
		;
	kill_target = 0;

	n = read_full(errp[0], &ce, sizeof(ce));
	if (n == (ssize_t)sizeof(ce)) {
		ce.msg[sizeof(ce.msg) - 1] = '\0';
		if (ce.kind == KERR_INPUT)
			kerr_input(err, "%s", ce.msg);
		else
			kerr_set(err, "%s", ce.msg);
		err->errnum = ce.errnum;
		goto out_signals;
	}
	if (interrupted) {
		kerr_set(err, "interrupted");
		err->errnum = EINTR;
		goto out_signals;
	}
	if (!have_status) {
		kerr_set(err, "the container's monitor process died (status %d)", mstatus);
		goto out_signals;
	}
	memset(st, 0, sizeof(*st));
	if (WIFSIGNALED(status))
		st->signal = WTERMSIG(status);
	else
		st->exit_code = WEXITSTATUS(status);
	r = 0;

out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	/* one still pending goes to the caller's handler */
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
out_close:
	for (int i = 0; i < 2; i++) {
		if (errp[i] >= 0)
			close(errp[i]);
		if (statp[i] >= 0)
			close(statp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	return r;
}

int sandbox_run(const struct sandbox_spec *spec, struct sandbox_status *st,
		struct kerr *err)
{
	const struct sandbox_ids *ids = sandbox_current();
	struct sbx_points points = SBX_POINTS_INIT;
	struct sbx_files files;
	struct run_ctx c;
	cleanup_close int rootfd = -1;
	cleanup_close int nullfd = -1;
	const char *hostname = spec->hostname ? spec->hostname : "kiln";
	int r;

	if (check_spec(spec, ids, err) < 0)
		return -1;
	rootfd = open(spec->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return kerr_errno(err, errno, "cannot open the root '%s'", spec->rootfs);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0)
		return kerr_errno(err, errno, "cannot open '/dev/null'");
	r = sbx_points_make(rootfd, spec, &points, err);
	if (r == 0 && spec->cwd) {
		int fd = path_mkdirs_in_root(rootfd, spec->cwd, 0755, err);

		if (fd < 0)
			r = kerr_wrap(err, "working directory");
		else
			close(fd);
	}
	if (r == 0) {
		sbx_files_make(&files, spec, hostname);
		memset(&c, 0, sizeof(c));
		c.spec = spec;
		c.ids = ids;
		c.files = &files;
		c.hostname = hostname;
		c.nullfd = nullfd;
		r = run_container(&c, st, err);
		sbx_files_release(&files);
	}
	sbx_points_remove(rootfd, &points);
	return r;
}
