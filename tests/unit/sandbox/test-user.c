/* test-user.c: USER values resolved through an image's /etc/passwd and
 * /etc/group as docker resolves them, read inside the root only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/path.h"
#include "util/testutil.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"# a comment\n"
	"\n"
	"broken line\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"app:x:1000:1000:App User:/home/app:/bin/sh\n"
	"short:x:1500:1600\n"
	"twin:x:1000:1001:second entry with app's uid:/home/twin:/bin/sh\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

static const char group[] =
	"root:x:0:root\n"
	"wheel:x:10:root,app\n"
	"audio:x:29:other,app\n"
	"app:x:1000:\n"
	"staff:x:50:\n"
	"video:x:44:other\n"
	"nogroup:x:65534:\n";

struct fixture {
	char *tmp;
	int tmpfd;
	int rootfd;
};

static void mkdir_at(int dirfd, const char *path)
{
	if (mkdirat(dirfd, path, 0755) < 0) {
		perror(path);
		abort();
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->tmp = tmpdir_make();
	f->tmpfd = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->tmpfd >= 0);
	mkdir_at(f->tmpfd, "root");
	f->rootfd = openat(f->tmpfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);
	mkdir_at(f->rootfd, "etc");
	put_file(f->rootfd, "etc/passwd", passwd);
	put_file(f->rootfd, "etc/group", group);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->rootfd);
	close(f->tmpfd);
	tmpdir_remove(f->tmp);
	free(f);
	return 0;
}

static void resolve_ok(struct fixture *f, const char *spec, struct sandbox_user *u)
{
	struct kerr err = KERR_INIT;

	if (sandbox_resolve_user(f->rootfd, spec, u, &err) < 0)
		fail_msg("'%s': %s", spec, err.msg);
	kerr_clear(&err);
}

static void test_name(void **state)
{
	struct sandbox_user u;

	resolve_ok(*state, "app", &u);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	assert_string_equal(u.home, "/home/app");
	/* primary first, then the groups that list the user, in file order */
	assert_int_equal(u.ngroups, 3);
	assert_int_equal(u.groups[0], 1000);
	assert_int_equal(u.groups[1], 10);
	assert_int_equal(u.groups[2], 29);
}

static void test_root(void **state)
{
	struct sandbox_user u;

	resolve_ok(*state, "", &u);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.home, "/root");
	/* root's own group lists root: not twice */
	assert_int_equal(u.ngroups, 2);
	assert_int_equal(u.groups[0], 0);
	assert_int_equal(u.groups[1], 10);
	resolve_ok(*state, "root", &u);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.home, "/root");
}

static void test_numeric(void **state)
{
	struct sandbox_user u;

	/* a uid with an entry takes the first entry's gid, home and groups */
	resolve_ok(*state, "1000", &u);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	assert_string_equal(u.home, "/home/app");
	assert_int_equal(u.ngroups, 3);
	/* without one: gid 0, home /, no groups but the primary */
	resolve_ok(*state, "4242", &u);
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.home, "/");
	assert_int_equal(u.ngroups, 1);
	assert_int_equal(u.groups[0], 0);
	/* an entry without home */
	resolve_ok(*state, "short", &u);
	assert_int_equal(u.uid, 1500);
	assert_int_equal(u.gid, 1600);
	assert_string_equal(u.home, "/");
}

static void test_group(void **state)
{
	struct sandbox_user u;

	/* a group given replaces the primary one and the member groups */
	resolve_ok(*state, "app:staff", &u);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 50);
	assert_int_equal(u.ngroups, 1);
	assert_int_equal(u.groups[0], 50);
	resolve_ok(*state, "1000:1000", &u);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	assert_int_equal(u.ngroups, 1);
	resolve_ok(*state, "4242:4343", &u);
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 4343);
	resolve_ok(*state, "app:", &u);
	assert_int_equal(u.gid, 1000);
	assert_int_equal(u.ngroups, 3);
}

static void expect_input_error(struct fixture *f, const char *spec, const char *msg)
{
	struct sandbox_user u;
	struct kerr err = KERR_INIT;

	assert_int_equal(sandbox_resolve_user(f->rootfd, spec, &u, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_non_null(err.msg);
	if (strcmp(err.msg, msg))
		fail_msg("'%s': got '%s', want '%s'", spec, err.msg, msg);
	kerr_clear(&err);
}

static void test_unknown(void **state)
{
	expect_input_error(*state, "nosuch",
			   "unable to find user nosuch: no matching entries in passwd file");
	expect_input_error(*state, "app:nosuch",
			   "unable to find group nosuch: no matching entries in group file");
	expect_input_error(*state, "4294967296",
			   "user '4294967296': uids and gids must be in range 0-2147483647");
	expect_input_error(*state, "app:99999999999",
			   "user 'app:99999999999': uids and gids must be in range 0-2147483647");
}

static void test_missing_files(void **state)
{
	struct fixture *f = *state;
	struct sandbox_user u;

	assert_int_equal(unlinkat(f->rootfd, "etc/passwd", 0), 0);
	assert_int_equal(unlinkat(f->rootfd, "etc/group", 0), 0);
	resolve_ok(f, "1234:5678", &u);
	assert_int_equal(u.uid, 1234);
	assert_int_equal(u.gid, 5678);
	assert_string_equal(u.home, "/");
	resolve_ok(f, "", &u);
	assert_int_equal(u.uid, 0);
	expect_input_error(f, "app", "unable to find user app: no matching entries in passwd file");
	expect_input_error(f, "0:staff",
			   "unable to find group staff: no matching entries in group file");
	/* no /etc at all */
	assert_int_equal(unlinkat(f->rootfd, "etc", AT_REMOVEDIR), 0);
	resolve_ok(f, "7", &u);
	assert_int_equal(u.uid, 7);
}

/* /etc/passwd and /etc/group links that point out of the root resolve inside
 * it, so the host's files (here decoys next to the root) are never read */
static void run_escape(struct fixture *f)
{
	struct sandbox_user u;

	mkdir_at(f->tmpfd, "host");
	put_file(f->tmpfd, "host/passwd", "evil:x:0:0:evil:/evil:/bin/sh\n");
	put_file(f->tmpfd, "host/group", "evilgroup:x:0:evil\n");
	put_file(f->tmpfd, "outside-passwd", "evil:x:0:0:evil:/evil:/bin/sh\n");
	assert_int_equal(unlinkat(f->rootfd, "etc/passwd", 0), 0);
	assert_int_equal(unlinkat(f->rootfd, "etc/group", 0), 0);
	assert_int_equal(symlinkat("../../host/passwd", f->rootfd, "etc/passwd"), 0);
	assert_int_equal(symlinkat("/../host/group", f->rootfd, "etc/group"), 0);
	expect_input_error(f, "evil", "unable to find user evil: no matching entries in passwd file");
	expect_input_error(f, "0:evilgroup",
			   "unable to find group evilgroup: no matching entries in group file");
	/* an absolute link naming the host path itself */
	assert_int_equal(unlinkat(f->rootfd, "etc/passwd", 0), 0);
	{
		char *target = NULL;

		assert_true(asprintf(&target, "%s/outside-passwd", f->tmp) > 0);
		assert_int_equal(symlinkat(target, f->rootfd, "etc/passwd"), 0);
		free(target);
	}
	expect_input_error(f, "evil", "unable to find user evil: no matching entries in passwd file");
	/* a link that stays inside works */
	assert_int_equal(unlinkat(f->rootfd, "etc/passwd", 0), 0);
	put_file(f->rootfd, "etc/real-passwd", "inside:x:77:88:in:/in:/bin/sh\n");
	assert_int_equal(symlinkat("/etc/../etc/real-passwd", f->rootfd, "etc/passwd"), 0);
	resolve_ok(f, "inside", &u);
	assert_int_equal(u.uid, 77);
	assert_int_equal(u.gid, 88);
	assert_string_equal(u.home, "/in");
}

static void test_symlink_escape(void **state)
{
	path_force_walk = 0;
	run_escape(*state);
}

static void test_symlink_escape_walk(void **state)
{
	path_force_walk = 1;
	run_escape(*state);
	path_force_walk = 0;
}

static void test_many_groups(void **state)
{
	struct fixture *f = *state;
	struct sandbox_user u;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	for (int i = 0; i < 40; i++)
		fprintf(m, "g%d:x:%d:app\n", i, 2000 + i);
	fclose(m);
	put_file(f->rootfd, "etc/group", buf);
	free(buf);
	resolve_ok(f, "app", &u);
	assert_int_equal(u.ngroups, 32);
	assert_int_equal(u.groups[0], 1000);
	assert_int_equal(u.groups[1], 2000);
	assert_int_equal(u.groups[31], 2030);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numeric, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_escape_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_groups, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
