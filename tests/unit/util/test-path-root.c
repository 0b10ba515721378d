/* test-path-root.c: opening and creating paths inside a root directory: '..'
 * and symlinks never lead out, with openat2 and with the portable walk. */
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

#include "util/path.h"
#include "testutil.h"

/* tmp/etc/passwd is a decoy outside the root; the root is tmp/root */
struct fixture {
	char *tmp;
	int tmpfd;
	int rootfd;
};

static const char *const links[][2] = {
	{ "abs", "/etc" },
	{ "abs_dotdot", "/dir/../etc" },
	{ "rel", "../../../etc" },
	{ "deep/a/b/up", "../../../../../../etc" },
	{ "dir/up2", "../../.." },
	{ "dir/sub/rel2", "../../etc" },
	{ "updir", ".." },
	{ "chain1", "chain2" },
	{ "chain2", "/chain3" },
	{ "chain3", "dir/sub" },
	{ "loop1", "loop2" },
	{ "loop2", "/loop1" },
	{ "self", "self" },
	{ "dangling", "/kiln-unit-dangling" },
	{ "dangling_rel", "../../../kiln-unit-created" },
	{ "dangling_dir", "/made" },
	{ "linkfile", "file" },
	{ "linkdir", "dir" },
	{ "abs_out_dir", "/kiln-unit-mkdirs" },
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

	umask(022);
	f->tmp = tmpdir_make();
	f->tmpfd = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->tmpfd >= 0);
	mkdir_at(f->tmpfd, "etc");
	put_file(f->tmpfd, "etc/passwd", "OUTSIDE");
	mkdir_at(f->tmpfd, "root");
	f->rootfd = openat(f->tmpfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);

	mkdir_at(f->rootfd, "etc");
	put_file(f->rootfd, "etc/passwd", "inside");
	mkdir_at(f->rootfd, "dir");
	mkdir_at(f->rootfd, "dir/sub");
	put_file(f->rootfd, "dir/sub/f", "F");
	put_file(f->rootfd, "file", "FILE");
	mkdir_at(f->rootfd, "deep");
	mkdir_at(f->rootfd, "deep/a");
	mkdir_at(f->rootfd, "deep/a/b");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], f->rootfd, links[i][0]) < 0) {
			perror(links[i][0]);
			abort();
		}
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
	path_force_walk = 0;
	return 0;
}

static const char *mode_name(void)
{
	return path_force_walk ? "walk" : "openat2";
}

static int open_ok(struct fixture *f, const char *path, int flags, mode_t mode)
{
	struct kerr err = KERR_INIT;
	int fd = path_open_in_root(f->rootfd, path, flags, mode, &err);

	if (fd < 0)
		fail_msg("%s: path_open_in_root('%s', 0%o): %s", mode_name(), path,
			 (unsigned)flags, err.msg);
	assert_null(err.msg);
	/* O_CLOEXEC is always added */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	return fd;
}

static void assert_content(struct fixture *f, const char *path, const char *want)
{
	int fd = open_ok(f, path, O_RDONLY, 0);
	char *got = slurp_fd(fd);

	if (strcmp(got, want))
		fail_msg("%s: '%s' reads '%s', want '%s'", mode_name(), path, got, want);
	free(got);
	close(fd);
}

static void assert_open_fails(struct fixture *f, const char *path, int flags, int want)
{
	struct kerr err = KERR_INIT;
	char prefix[256];
	int fd = path_open_in_root(f->rootfd, path, flags, 0644, &err);

	if (fd >= 0) {
		close(fd);
		fail_msg("%s: '%s' opened, want %s", mode_name(), path, strerror(want));
	}
	if (err.errnum != want)
		fail_msg("%s: '%s' failed with %s, want %s", mode_name(), path,
			 err.msg, strerror(want));
	snprintf(prefix, sizeof(prefix), "cannot open '%s': %s", path, strerror(want));
	assert_string_equal(err.msg, prefix);
	assert_int_equal(err.kind, KERR_FAIL);
	kerr_clear(&err);
}

/* fd is the file at dirfd/name (same device and inode) */
static void assert_same_file(int fd, int dirfd, const char *name)
{
	struct stat a, b;

	assert_int_equal(fstat(fd, &a), 0);
	if (fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("%s: '%s' does not exist", mode_name(), name);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		fail_msg("%s: opened something other than '%s'", mode_name(), name);
}

/* opening path gives the directory dirfd/name */
static void assert_opens_dir(struct fixture *f, const char *path, int flags,
			     int dirfd, const char *name)
{
	int fd = open_ok(f, path, flags, 0);
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_same_file(fd, dirfd, name);
	close(fd);
}

static int exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void plain(struct fixture *f)
{
	assert_content(f, "etc/passwd", "inside");
	assert_content(f, "/etc/passwd", "inside");
	assert_content(f, "dir/sub/f", "F");
	assert_content(f, "./dir/./sub//f", "F");
	assert_content(f, "//dir/sub/f", "F");
	assert_opens_dir(f, ".", O_RDONLY | O_DIRECTORY, f->tmpfd, "root");
	assert_opens_dir(f, "/", O_RDONLY | O_DIRECTORY, f->tmpfd, "root");
	assert_opens_dir(f, "dir/sub", O_PATH, f->rootfd, "dir/sub");
}

static void dotdot_clamps(struct fixture *f)
{
	assert_opens_dir(f, "..", O_RDONLY, f->tmpfd, "root");
	assert_content(f, "../etc/passwd", "inside");
	assert_content(f, "../../../etc/passwd", "inside");
	assert_content(f, "/../etc/passwd", "inside");
	assert_content(f, "dir/../../etc/passwd", "inside");
	assert_content(f, "dir/sub/../../../../etc/passwd", "inside");
	assert_opens_dir(f, "../..", O_RDONLY | O_DIRECTORY, f->tmpfd, "root");
	assert_opens_dir(f, "dir/sub/../..", O_RDONLY | O_DIRECTORY, f->tmpfd, "root");
}

static void abs_symlink(struct fixture *f)
{
	/* the root's /etc, not the host's */
	assert_content(f, "abs/passwd", "inside");
	assert_content(f, "/abs/passwd", "inside");
	assert_content(f, "abs_dotdot/passwd", "inside");
	assert_content(f, "dir/../abs/passwd", "inside");
	assert_opens_dir(f, "abs/", O_RDONLY | O_DIRECTORY, f->rootfd, "etc");
}

static void rel_symlink_clamps(struct fixture *f)
{
	assert_content(f, "rel/passwd", "inside");
	assert_content(f, "deep/a/b/up/passwd", "inside");
	assert_content(f, "dir/up2/etc/passwd", "inside");
	assert_content(f, "updir/etc/passwd", "inside");
	assert_content(f, "updir/updir/dir/up2/rel/passwd", "inside");
	assert_content(f, "dir/sub/rel2/passwd", "inside");
	assert_content(f, "rel/../rel/passwd", "inside");
}

static void symlink_chain(struct fixture *f)
{
	assert_content(f, "chain1/f", "F");
	assert_content(f, "chain2/f", "F");
	/* ".." after a symlink leaves its target, not the link */
	assert_content(f, "/dir/../chain1/../sub/f", "F");
	assert_open_fails(f, "chain1/../chain3", O_RDONLY, ENOENT);
}

/* Linux follows at most 40 symlinks in one lookup; the walk does the same */
static void symlink_hops(struct fixture *f)
{
	char name[32], target[32];

	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "hop%d", i);
		if (i == 40)
			snprintf(target, sizeof(target), "file");
		else
			snprintf(target, sizeof(target), "hop%d", i + 1);
		assert_int_equal(symlinkat(target, f->rootfd, name), 0);
	}
	/* hop1 .. hop40: forty links */
	assert_content(f, "hop1", "FILE");
	/* hop0 .. hop40: one too many */
	assert_open_fails(f, "hop0", O_RDONLY, ELOOP);
}

static void symlink_loops(struct fixture *f)
{
	assert_open_fails(f, "loop1", O_RDONLY, ELOOP);
	assert_open_fails(f, "loop2", O_RDONLY, ELOOP);
	assert_open_fails(f, "self", O_RDONLY, ELOOP);
	assert_open_fails(f, "loop1/x", O_RDONLY, ELOOP);
	assert_open_fails(f, "self/", O_RDONLY, ELOOP);
	assert_open_fails(f, "loop1", O_WRONLY | O_CREAT, ELOOP);
	assert_open_fails(f, "loop1", O_PATH, ELOOP);
}

static void nofollow(struct fixture *f)
{
	int fd;
	struct stat st;

	assert_open_fails(f, "linkfile", O_RDONLY | O_NOFOLLOW, ELOOP);
	assert_open_fails(f, "abs", O_RDONLY | O_NOFOLLOW, ELOOP);
	assert_open_fails(f, "self", O_RDONLY | O_NOFOLLOW, ELOOP);
	assert_open_fails(f, "dangling", O_WRONLY | O_CREAT | O_NOFOLLOW, ELOOP);
	assert_false(exists_at(f->rootfd, "kiln-unit-dangling"));
	/* only the last component: symlinks before it are still followed */
	fd = open_ok(f, "abs/passwd", O_RDONLY | O_NOFOLLOW, 0);
	close(fd);
	/* O_PATH | O_NOFOLLOW opens the symlink itself */
	fd = open_ok(f, "abs", O_PATH | O_NOFOLLOW, 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_same_file(fd, f->rootfd, "abs");
	close(fd);
}

static void final_symlink(struct fixture *f)
{
	assert_content(f, "linkfile", "FILE");
	assert_content(f, "/dir/../linkfile", "FILE");
	assert_opens_dir(f, "linkdir", O_RDONLY | O_DIRECTORY, f->rootfd, "dir");
	assert_opens_dir(f, "chain1", O_RDONLY | O_DIRECTORY, f->rootfd, "dir/sub");
	assert_opens_dir(f, "abs", O_RDONLY, f->rootfd, "etc");
	/* O_PATH follows a final symlink too unless told not to */
	assert_opens_dir(f, "linkdir", O_PATH, f->rootfd, "dir");
	assert_opens_dir(f, "abs", O_PATH | O_DIRECTORY, f->rootfd, "etc");
	assert_opens_dir(f, "updir", O_PATH, f->tmpfd, "root");
}

static void creat_dangling(struct fixture *f)
{
	int host_had = access("/kiln-unit-dangling", F_OK) == 0;
	int tmp_had = access("/tmp/kiln-unit-created", F_OK) == 0;
	int fd;

	fd = open_ok(f, "dangling", O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "new", 3), 3);
	close(fd);
	assert_true(exists_at(f->rootfd, "kiln-unit-dangling"));
	assert_content(f, "/kiln-unit-dangling", "new");
	if (!host_had && access("/kiln-unit-dangling", F_OK) == 0) {
		unlink("/kiln-unit-dangling");
		fail_msg("%s: created /kiln-unit-dangling outside the root", mode_name());
	}

	fd = open_ok(f, "dangling_rel", O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_true(exists_at(f->rootfd, "kiln-unit-created"));
	assert_false(exists_at(f->tmpfd, "kiln-unit-created"));
	if (!tmp_had && access("/tmp/kiln-unit-created", F_OK) == 0) {
		unlink("/tmp/kiln-unit-created");
		fail_msg("%s: created /tmp/kiln-unit-created outside the root", mode_name());
	}

	/* O_EXCL does not follow a final symlink, dangling or not */
	assert_open_fails(f, "dangling", O_WRONLY | O_CREAT | O_EXCL, EEXIST);
	assert_open_fails(f, "linkfile", O_WRONLY | O_CREAT | O_EXCL, EEXIST);
}

static void creat_plain(struct fixture *f)
{
	struct stat st;
	int fd;

	fd = open_ok(f, "dir/new", O_WRONLY | O_CREAT | O_EXCL, 0640);
	close(fd);
	assert_int_equal(fstatat(f->rootfd, "dir/new", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_open_fails(f, "dir/new", O_WRONLY | O_CREAT | O_EXCL, EEXIST);

	fd = open_ok(f, "/../linkdir/new2", O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_true(exists_at(f->rootfd, "dir/new2"));
	assert_false(exists_at(f->tmpfd, "dir"));

	/* O_TRUNC through the root */
	fd = open_ok(f, "abs/passwd", O_WRONLY | O_TRUNC, 0);
	close(fd);
	assert_content(f, "etc/passwd", "");
	assert_content(f, "../etc/passwd", "");
	fd = openat(f->tmpfd, "etc/passwd", O_RDONLY | O_CLOEXEC);
	{
		char *outside = slurp_fd(fd);

		assert_string_equal(outside, "OUTSIDE");
		free(outside);
	}
	close(fd);
}

/* O_TMPFILE creates too: the mode must reach the kernel */
static void tmpfile_mode(struct fixture *f)
{
	struct kerr err = KERR_INIT;
	struct stat st;
	int fd = path_open_in_root(f->rootfd, "linkdir", O_TMPFILE | O_WRONLY, 0640, &err);

	if (fd < 0 && err.errnum == EOPNOTSUPP) {
		kerr_clear(&err);
		skip();
	}
	if (fd < 0)
		fail_msg("%s: O_TMPFILE in 'linkdir': %s", mode_name(), err.msg);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	close(fd);
}

static void not_dir(struct fixture *f)
{
	assert_open_fails(f, "file/x", O_RDONLY, ENOTDIR);
	assert_open_fails(f, "linkfile/x", O_RDONLY, ENOTDIR);
	assert_open_fails(f, "file/x", O_WRONLY | O_CREAT, ENOTDIR);
	assert_open_fails(f, "dir/sub/f/..", O_RDONLY, ENOTDIR);
	assert_open_fails(f, "file", O_RDONLY | O_DIRECTORY, ENOTDIR);
	assert_open_fails(f, "linkfile", O_RDONLY | O_DIRECTORY, ENOTDIR);
}

static void trailing_slash(struct fixture *f)
{
	assert_opens_dir(f, "dir/", O_RDONLY | O_DIRECTORY, f->rootfd, "dir");
	assert_opens_dir(f, "dir/", O_RDONLY, f->rootfd, "dir");
	assert_opens_dir(f, "dir//", O_PATH, f->rootfd, "dir");
	assert_opens_dir(f, "linkdir/", O_RDONLY, f->rootfd, "dir");
	assert_opens_dir(f, "updir/", O_RDONLY, f->tmpfd, "root");
	assert_open_fails(f, "file/", O_RDONLY, ENOTDIR);
	assert_open_fails(f, "linkfile/", O_RDONLY, ENOTDIR);
	assert_open_fails(f, "dir/sub/f/", O_RDONLY, ENOTDIR);
	/* a directory cannot be opened for writing, slash or not */
	assert_open_fails(f, "dir/", O_WRONLY, EISDIR);
	assert_open_fails(f, "dir", O_WRONLY, EISDIR);
}

static void missing(struct fixture *f)
{
	assert_open_fails(f, "missing", O_RDONLY, ENOENT);
	assert_open_fails(f, "missing/x", O_RDONLY, ENOENT);
	assert_open_fails(f, "dir/missing/x", O_WRONLY | O_CREAT, ENOENT);
	assert_open_fails(f, "", O_RDONLY, ENOENT);
	assert_open_fails(f, "missing", O_PATH, ENOENT);
}

static int mkdirs_ok(struct fixture *f, const char *path, mode_t mode)
{
	struct kerr err = KERR_INIT;
	int fd = path_mkdirs_in_root(f->rootfd, path, mode, &err);
	struct stat st;

	if (fd < 0)
		fail_msg("%s: path_mkdirs_in_root('%s'): %s", mode_name(), path, err.msg);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	return fd;
}

static void mkdirs_nested(struct fixture *f)
{
	struct stat st;
	int fd;

	fd = mkdirs_ok(f, "a/b/c", 0750);
	assert_same_file(fd, f->rootfd, "a/b/c");
	close(fd);
	assert_int_equal(fstatat(f->rootfd, "a/b", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* again: nothing to create, the same directory */
	fd = mkdirs_ok(f, "a/b/c", 0750);
	assert_same_file(fd, f->rootfd, "a/b/c");
	close(fd);
	fd = mkdirs_ok(f, "/a//b/./c/d/", 0755);
	assert_same_file(fd, f->rootfd, "a/b/c/d");
	close(fd);
	fd = mkdirs_ok(f, "a/b/../e", 0755);
	assert_same_file(fd, f->rootfd, "a/e");
	close(fd);
	fd = mkdirs_ok(f, "", 0755);
	assert_same_file(fd, f->tmpfd, "root");
	close(fd);
	fd = mkdirs_ok(f, "/", 0755);
	assert_same_file(fd, f->tmpfd, "root");
	close(fd);
	fd = mkdirs_ok(f, "dir/sub", 0755);
	assert_same_file(fd, f->rootfd, "dir/sub");
	close(fd);
}

static void mkdirs_symlinks(struct fixture *f)
{
	int host_had = access("/kiln-unit-mkdirs", F_OK) == 0;
	int fd;

	fd = mkdirs_ok(f, "abs/kiln-newdir/x", 0755);
	assert_same_file(fd, f->rootfd, "etc/kiln-newdir/x");
	close(fd);
	fd = mkdirs_ok(f, "rel/kiln-reldir", 0755);
	assert_same_file(fd, f->rootfd, "etc/kiln-reldir");
	close(fd);
	assert_false(exists_at(f->tmpfd, "etc/kiln-reldir"));
	fd = mkdirs_ok(f, "../../kiln-up/y", 0755);
	assert_same_file(fd, f->rootfd, "kiln-up/y");
	close(fd);
	assert_false(exists_at(f->tmpfd, "kiln-up"));
	fd = mkdirs_ok(f, "deep/a/b/up/kiln-deep", 0755);
	assert_same_file(fd, f->rootfd, "etc/kiln-deep");
	close(fd);
	/* a dangling symlink's target is created inside the root */
	fd = mkdirs_ok(f, "dangling_dir/sub", 0755);
	assert_same_file(fd, f->rootfd, "made/sub");
	close(fd);
	fd = mkdirs_ok(f, "abs_out_dir", 0755);
	assert_same_file(fd, f->rootfd, "kiln-unit-mkdirs");
	close(fd);
	if (!host_had && access("/kiln-unit-mkdirs", F_OK) == 0) {
		rmdir("/kiln-unit-mkdirs");
		fail_msg("%s: created /kiln-unit-mkdirs outside the root", mode_name());
	}
	fd = mkdirs_ok(f, "linkdir/n", 0755);
	assert_same_file(fd, f->rootfd, "dir/n");
	close(fd);
	fd = mkdirs_ok(f, "chain1/m", 0755);
	assert_same_file(fd, f->rootfd, "dir/sub/m");
	close(fd);
}

static void assert_mkdirs_fails(struct fixture *f, const char *path, int want)
{
	struct kerr err = KERR_INIT;
	char msg[256];
	int fd = path_mkdirs_in_root(f->rootfd, path, 0755, &err);

	if (fd >= 0) {
		close(fd);
		fail_msg("%s: mkdirs '%s' succeeded, want %s", mode_name(), path, strerror(want));
	}
	assert_int_equal(err.errnum, want);
	snprintf(msg, sizeof(msg), "cannot create directory '%s': %s", path, strerror(want));
	assert_string_equal(err.msg, msg);
	kerr_clear(&err);
}

static void mkdirs_errors(struct fixture *f)
{
	assert_mkdirs_fails(f, "file", ENOTDIR);
	assert_mkdirs_fails(f, "file/x", ENOTDIR);
	assert_mkdirs_fails(f, "linkfile/x", ENOTDIR);
	assert_mkdirs_fails(f, "dir/sub/f/g", ENOTDIR);
	assert_mkdirs_fails(f, "loop1/x", ELOOP);
	assert_mkdirs_fails(f, "self", ELOOP);
	assert_false(exists_at(f->rootfd, "dir/sub/f/g"));
}

static void assert_resolves(struct fixture *f, const char *path, const char *want)
{
	struct kerr err = KERR_INIT;
	char *got = path_resolve_in_root(f->rootfd, path, &err);

	if (!got)
		fail_msg("path_resolve_in_root('%s'): %s", path, err.msg);
	if (strcmp(got, want))
		fail_msg("'%s' resolves to '%s', want '%s'", path, got, want);
	free(got);
}

/* every link followed, the last one too; what is missing stays a name */
static void resolve(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;

	assert_resolves(f, "", "");
	assert_resolves(f, "/", "");
	assert_resolves(f, "..", "");
	assert_resolves(f, "/dir/./sub//f", "dir/sub/f");
	assert_resolves(f, "abs", "etc");
	assert_resolves(f, "abs/passwd", "etc/passwd");
	assert_resolves(f, "abs_dotdot", "etc");
	assert_resolves(f, "rel", "etc");
	assert_resolves(f, "deep/a/b/up/passwd", "etc/passwd");
	assert_resolves(f, "dir/up2", "");
	assert_resolves(f, "dir/sub/rel2", "etc");
	assert_resolves(f, "updir/updir/etc", "etc");
	assert_resolves(f, "chain1", "dir/sub");
	assert_resolves(f, "chain1/f", "dir/sub/f");
	assert_resolves(f, "linkfile", "file");
	assert_resolves(f, "linkdir/sub", "dir/sub");
	/* dangling: the path the link would make */
	assert_resolves(f, "dangling", "kiln-unit-dangling");
	assert_resolves(f, "dangling_rel", "kiln-unit-created");
	assert_resolves(f, "dangling_dir/x/y", "made/x/y");
	assert_resolves(f, "nothere/../linkdir", "dir");
	assert_resolves(f, "nothere/x", "nothere/x");
	assert_null(path_resolve_in_root(f->rootfd, "loop1", &err));
	assert_int_equal(err.errnum, ELOOP);
	kerr_clear(&err);
	assert_null(path_resolve_in_root(f->rootfd, "self/x", &err));
	assert_int_equal(err.errnum, ELOOP);
	kerr_clear(&err);
}

/* each case runs with openat2 (where the kernel has it) and with the walk */
#define BOTH(fn)							\
static void fn##_openat2(void **state)					\
{									\
	path_force_walk = 0;						\
	fn(*state);							\
}									\
static void fn##_walk(void **state)					\
{									\
	path_force_walk = 1;						\
	fn(*state);							\
}
#define BOTH_TESTS(fn)							\
	cmocka_unit_test_setup_teardown(fn##_openat2, setup, teardown),	\
	cmocka_unit_test_setup_teardown(fn##_walk, setup, teardown)

BOTH(plain)
BOTH(dotdot_clamps)
BOTH(abs_symlink)
BOTH(rel_symlink_clamps)
BOTH(symlink_chain)
BOTH(symlink_hops)
BOTH(symlink_loops)
BOTH(nofollow)
BOTH(final_symlink)
BOTH(creat_dangling)
BOTH(creat_plain)
BOTH(tmpfile_mode)
BOTH(not_dir)
BOTH(trailing_slash)
BOTH(missing)
BOTH(mkdirs_nested)
BOTH(mkdirs_symlinks)
BOTH(mkdirs_errors)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH_TESTS(plain),
		BOTH_TESTS(dotdot_clamps),
		BOTH_TESTS(abs_symlink),
		BOTH_TESTS(rel_symlink_clamps),
		BOTH_TESTS(symlink_chain),
		BOTH_TESTS(symlink_hops),
		BOTH_TESTS(symlink_loops),
		BOTH_TESTS(nofollow),
		BOTH_TESTS(final_symlink),
		BOTH_TESTS(creat_dangling),
		BOTH_TESTS(creat_plain),
		BOTH_TESTS(tmpfile_mode),
		BOTH_TESTS(not_dir),
		BOTH_TESTS(trailing_slash),
		BOTH_TESTS(missing),
		BOTH_TESTS(mkdirs_nested),
		BOTH_TESTS(mkdirs_symlinks),
		BOTH_TESTS(mkdirs_errors),
		cmocka_unit_test_setup_teardown(resolve, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
