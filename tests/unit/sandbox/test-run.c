/* test-run.c: sandbox_run on a root made of the host's static busybox:
 * output routes, exit codes, exec failures, errors from inside the
 * container, mount points removed again, SIGTERM while it runs and a stop
 * asked for before, which starts nothing. Skips where the kernel gives no
 * user namespace or there is no static busybox. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/strbuf.h"
#include "util/testutil.h"

#define BUSYBOX "/bin/busybox"

static bool usable;
static const char *skip_why;

/* a dynamically linked busybox would not run in a root without its libc */
static bool static_busybox(void)
{
	char buf[4096];
	int fd = open(BUSYBOX, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 64 || memcmp(buf, "\177ELF", 4))
		return false;
	return !memmem(buf, (size_t)n, "/ld-", 4);
}

static int group_setup(void **state)
{
	struct sandbox_ids ids;
	struct kerr err = KERR_INIT;

	(void)state;
	if (!static_busybox()) {
		skip_why = "no static " BUSYBOX;
		return 0;
	}
	if (sandbox_enter(&ids, &err) < 0) {
		fprintf(stderr, "# no user namespace: %s\n", err.msg);
		skip_why = "no user namespace";
		kerr_clear(&err);
		return 0;
	}
	assert_ptr_equal(sandbox_current() != NULL, true);
	usable = true;
	return 0;
}

struct fixture {
	char *tmp;
	char *root;
	int rootfd;
};

static void copy_file(const char *from, int dirfd, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = openat(dirfd, to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	char buf[65536];
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* root/bin/busybox and its links; no /etc, /proc, /dev or /sys */
static int setup(void **state)
{
	static const char *const applets[] = { "sh", "cat", "echo", "sleep", "ls", "id", "true" };
	struct fixture *f;

	if (!usable) {
		*state = NULL;
		return 0;
	}
	f = calloc(1, sizeof(*f));
	f->tmp = tmpdir_make();
	assert_true(asprintf(&f->root, "%s/root", f->tmp) > 0);
	assert_int_equal(mkdir(f->root, 0755), 0);
	f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);
	assert_int_equal(mkdirat(f->rootfd, "bin", 0755), 0);
	copy_file(BUSYBOX, f->rootfd, "bin/busybox", 0755);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "bin/%s", applets[i]);
		assert_int_equal(symlinkat("busybox", f->rootfd, path), 0);
	}
	put_file(f->rootfd, "notexec", "#!/bin/sh\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	close(f->rootfd);
	tmpdir_remove(f->tmp);
	free(f->root);
	free(f);
	return 0;
}

static const char *const env[] = { "PATH=/bin", NULL };

/* the container tests skip where group_setup found no way to run them */
#define NEED_SANDBOX(state) do { if (!*(state)) skip(); } while (0)

static void collect(void *arg, const char *buf, size_t len)
{
	strbuf_add(arg, buf, len);
}

/* runs "sh -c script" in f's root with its output collected */
static int run_sh(struct fixture *f, const char *script, struct sandbox_spec *spec,
		  struct strbuf *out, struct sandbox_status *st, struct kerr *err)
{
	const char *argv[] = { "sh", "-c", script, NULL };

	spec->rootfs = f->root;
	spec->argv = argv;
	spec->envp = env;
	spec->out_fd = spec->out_fd ? spec->out_fd : -1;
	spec->output = collect;
	spec->output_arg = out;
	return sandbox_run(spec, st, err);
}

static void test_output_and_exit_code(void **state)
{
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;

	NEED_SANDBOX(state);

	assert_int_equal(run_sh(*state, "echo out; echo err >&2; cat; hostname; exit 3", &spec,
				&out, &st, &err), 0);
	assert_int_equal(st.exit_code, 3);
	assert_int_equal(st.signal, 0);
	/* stdin is /dev/null: cat ends at once */
	assert_string_equal(out.buf, "out\nerr\nkiln\n");
	strbuf_release(&out);
}

static void test_out_fd(void **state)
{
	struct fixture *f = *state;
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;
	int fd = openat(f->rootfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int log = openat(fd, "log", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char *text;

	NEED_SANDBOX(state);

	assert_true(log >= 0);
	spec.out_fd = log;
	spec.hostname = "box";
	assert_int_equal(run_sh(f, "echo to-fd; hostname >&2", &spec, &out, &st, &err), 0);
	assert_int_equal(st.exit_code, 0);
	/* out_fd wins over the callback */
	assert_int_equal(out.len, 0);
	lseek(log, 0, SEEK_SET);
	text = slurp_fd(log);
	assert_string_equal(text, "to-fd\nbox\n");
	free(text);
	close(log);
	close(fd);
	strbuf_release(&out);
}

static void test_exec_failures(void **state)
{
	struct fixture *f = *state;
	const char *missing[] = { "no-such-cmd", NULL };
	const char *notexec[] = { "/notexec", NULL };
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;

	NEED_SANDBOX(state);

	spec.rootfs = f->root;
	spec.envp = env;
	spec.out_fd = -1;
	spec.output = collect;
	spec.output_arg = &out;
	spec.argv = missing;
	assert_int_equal(sandbox_run(&spec, &st, &err), 0);
	assert_int_equal(st.exit_code, 127);
	assert_non_null(strstr(out.buf, "'no-such-cmd': executable file not found in $PATH"));
	strbuf_reset(&out);
	spec.argv = notexec;
	assert_int_equal(sandbox_run(&spec, &st, &err), 0);
	assert_int_equal(st.exit_code, 126);
	assert_non_null(strstr(out.buf, "'/notexec': Permission denied"));
	strbuf_release(&out);
}

/* a failure inside the container before exec is an error, not a status */
static void test_error_before_exec(void **state)
{
	struct fixture *f = *state;
	struct sandbox_mount m = { SANDBOX_BIND, NULL, "/bin", false, 0 };
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;
	char *file;

	NEED_SANDBOX(state);

	/* a file bound onto a directory: mount(2) refuses in the container */
	assert_true(asprintf(&file, "%s/notexec", f->root) > 0);
	m.src = file;
	spec.mounts = &m;
	spec.nmounts = 1;
	assert_int_equal(run_sh(f, "true", &spec, &out, &st, &err), -1);
	assert_non_null(err.msg);
	assert_null(strchr(err.msg, '\n'));
	assert_non_null(strstr(err.msg, "cannot mount"));
	assert_non_null(strstr(err.msg, "'/bin'"));
	kerr_clear(&err);
	free(file);
	strbuf_release(&out);
}

/* what kiln made to mount on goes again; a directory it touched keeps its
 * times, so a snapshot sees no change */
static void test_mount_points_removed(void **state)
{
	struct fixture *f = *state;
	struct sandbox_mount m = { SANDBOX_TMPFS, NULL, "/a/b/c", false, 0 };
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;
	struct stat before, after;
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };

	NEED_SANDBOX(state);

	spec.mounts = &m;
	spec.nmounts = 1;
	assert_int_equal(run_sh(f, "ls -d /etc/hosts /etc/resolv.conf /etc/hostname /proc/1 "
				"/dev/null /a/b/c", &spec, &out, &st, &err), 0);
	assert_int_equal(st.exit_code, 0);
	static const char *const gone[] = { "etc", "proc", "dev", "sys", "a" };
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (faccessat(f->rootfd, gone[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			fail_msg("'%s' was left in the root", gone[i]);

	/* an /etc that was there stays, with its times */
	assert_int_equal(mkdirat(f->rootfd, "etc", 0755), 0);
	assert_int_equal(utimensat(f->rootfd, "etc", old, 0), 0);
	assert_int_equal(fstatat(f->rootfd, "etc", &before, 0), 0);
	strbuf_reset(&out);
	spec.nmounts = 0;
	assert_int_equal(run_sh(f, "cat /etc/hosts >/dev/null", &spec, &out, &st, &err), 0);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(fstatat(f->rootfd, "etc", &after, 0), 0);
	assert_int_equal(after.st_mtim.tv_sec, 2000);
	assert_int_equal(faccessat(f->rootfd, "etc/hosts", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	strbuf_release(&out);
}

static void test_network_none(void **state)
{
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;

	NEED_SANDBOX(state);

	spec.network = SANDBOX_NET_NONE;
	assert_int_equal(run_sh(*state, "ls /sys/class/net; cat /sys/class/net/lo/operstate",
				&spec, &out, &st, &err), 0);
	assert_int_equal(st.exit_code, 0);
	/* lo alone, and up ("unknown" is what lo reports when up) */
	assert_string_equal(out.buf, "lo\nunknown\n");
	strbuf_release(&out);
}

static void test_status_str(void **state)
{
	struct sandbox_status a = { 2, 0 }, b = { 0, 9 }, c = { 0, 64 };
	char buf[64];

	(void)state;
	sandbox_status_str(&a, buf, sizeof(buf));
	assert_string_equal(buf, "exit code: 2");
	sandbox_status_str(&b, buf, sizeof(buf));
	assert_string_equal(buf, "killed by signal 9 (SIGKILL)");
	sandbox_status_str(&c, buf, sizeof(buf));
	assert_string_equal(buf, "killed by signal 64");
}

static void test_id_mapped(void **state)
{
	struct sandbox_ids full = {
		.full = true, .n_uid_map = 2, .n_gid_map = 1,
		.uid_map = { { 0, 1000, 1 }, { 1, 100000, 65536 } },
		.gid_map = { { 0, 1000, 1 } },
	};

	(void)state;
	assert_true(sandbox_id_mapped(&full, 0, false));
	assert_true(sandbox_id_mapped(&full, 1, false));
	assert_true(sandbox_id_mapped(&full, 65536, false));
	assert_false(sandbox_id_mapped(&full, 65537, false));
	assert_true(sandbox_id_mapped(&full, 0, true));
	assert_false(sandbox_id_mapped(&full, 1, true));
}

/* SIGTERM to kiln kills the container and the call says so */
static void test_interrupted(void **state)
{
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;
	struct timespec t0, t1;
	pid_t killer, me = getpid();

	NEED_SANDBOX(state);

	assert_false(sandbox_interrupted());
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		usleep(300000);
		kill(me, SIGTERM);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run_sh(*state, "echo started; sleep 30", &spec, &out, &st, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(killer, NULL, 0);
	assert_string_equal(err.msg, "interrupted");
	assert_int_equal(err.errnum, EINTR);
	assert_true(sandbox_interrupted());
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_string_equal(out.buf, "started\n");
	kerr_clear(&err);
	strbuf_release(&out);
}

/* a stop asked for before the call (a caller's handler calls
 * sandbox_interrupt) starts no container and leaves no mount point */
static void test_stopped_before(void **state)
{
	struct fixture *f = *state;
	struct sandbox_spec spec = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct sandbox_status st;
	struct kerr err = KERR_INIT;
	static const char *const gone[] = { "etc", "proc", "dev", "sys" };

	NEED_SANDBOX(state);

	sandbox_interrupt();
	assert_true(sandbox_interrupted());
	assert_int_equal(run_sh(f, "echo started", &spec, &out, &st, &err), -1);
	assert_string_equal(err.msg, "interrupted");
	assert_int_equal(err.errnum, EINTR);
	assert_int_equal(out.len, 0);
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (faccessat(f->rootfd, gone[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			fail_msg("'%s' was left in the root", gone[i]);
	kerr_clear(&err);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_str),
		cmocka_unit_test(test_id_mapped),
		cmocka_unit_test_setup_teardown(test_output_and_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_before_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_points_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_none, setup, teardown),
		/* last: the flag they set stays set */
		cmocka_unit_test_setup_teardown(test_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped_before, setup, teardown),
	};
	int r = cmocka_run_group_tests(tests, group_setup, NULL);

	if (skip_why)
		fprintf(stderr, "# skipped the container tests: %s\n", skip_why);
	return r;
}
