/* test-fs.c: complete reads and writes, bounded whole-file reads, mkdir -p,
 * atomic replacement of files, and human-readable sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "testutil.h"

struct fixture {
	char *tmp;
	int dirfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	umask(022);
	f->tmp = tmpdir_make();
	f->dirfd = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->dirfd);
	tmpdir_remove(f->tmp);
	free(f);
	return 0;
}

/* f->tmp + "/" + name; caller frees */
static char *in_tmp(const struct fixture *f, const char *name)
{
	char *p = malloc(strlen(f->tmp) + strlen(name) + 2);

	sprintf(p, "%s/%s", f->tmp, name);
	return p;
}

static char *read_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	char *s;

	assert_true(fd >= 0);
	s = slurp_fd(fd);
	close(fd);
	return s;
}

/* how many names in dirfd start with ".tmp-" */
static int count_temps(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".tmp-", 5))
			n++;
	closedir(d);
	return n;
}

static void test_write_read_all(void **state)
{
	struct fixture *f = *state;
	const size_t n = 1 << 20;
	char *data = malloc(n), *back = malloc(n + 10);
	int fd;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i % 251);
	fd = openat(f->dirfd, "big", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, n), 0);
	assert_int_equal(write_all(fd, "", 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	/* asking for more than there is stops at EOF with the count */
	assert_int_equal(read_all(fd, back, n + 10), (ssize_t)n);
	assert_memory_equal(back, data, n);
	assert_int_equal(read_all(fd, back, 10), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_all(fd, back, 100), 100);
	assert_memory_equal(back, data, 100);
	close(fd);
	free(data);
	free(back);
}

static void test_write_read_all_pipe(void **state)
{
	char buf[16];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_all(p[1], "abc", 3), 0);
	assert_int_equal(write_all(p[1], "def", 3), 0);
	close(p[1]);
	/* two writes, one read_all: it keeps reading until EOF */
	assert_int_equal(read_all(p[0], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	close(p[0]);
}

static void test_write_read_all_errors(void **state)
{
	char buf[4];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	errno = 0;
	assert_int_equal(write_all(fd, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	errno = 0;
	assert_int_equal(read_all(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
}

static void test_read_file_at(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	put_file(f->dirfd, "small", "0123456789");
	assert_int_equal(read_file_at(f->dirfd, "small", &sb, 10, &err), 0);
	assert_string_equal(sb.buf, "0123456789");
	/* it appends */
	assert_int_equal(read_file_at(f->dirfd, "small", &sb, 100, &err), 0);
	assert_string_equal(sb.buf, "01234567890123456789");
	assert_null(err.msg);
	strbuf_release(&sb);

	put_file(f->dirfd, "empty", "");
	assert_int_equal(read_file_at(f->dirfd, "empty", &sb, 0, &err), 0);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
}

static void test_read_file_at_limit(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	put_file(f->dirfd, "small", "0123456789");
	strbuf_addstr(&sb, "kept");
	assert_int_equal(read_file_at(f->dirfd, "small", &sb, 9, &err), -1);
	assert_string_equal(err.msg, "'small': larger than 9 bytes");
	assert_int_equal(err.kind, KERR_INPUT);
	assert_int_equal(kerr_exit_code(&err), 2);
	assert_string_equal(sb.buf, "kept");
	kerr_clear(&err);
	strbuf_release(&sb);
}

static void test_read_file_at_missing(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char want[256];

	assert_int_equal(read_file_at(f->dirfd, "nope", &sb, 10, &err), -1);
	snprintf(want, sizeof(want), "cannot open 'nope': %s", strerror(ENOENT));
	assert_string_equal(err.msg, want);
	assert_int_equal(err.errnum, ENOENT);
	assert_int_equal(kerr_exit_code(&err), 1);
	kerr_clear(&err);

	/* a directory opens but does not read */
	assert_int_equal(mkdirat(f->dirfd, "d", 0755), 0);
	assert_int_equal(read_file_at(f->dirfd, "d", &sb, 10, &err), -1);
	assert_int_equal(err.errnum, EISDIR);
	assert_non_null(strstr(err.msg, "'d': read failed"));
	kerr_clear(&err);
	strbuf_release(&sb);
}

static void assert_is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		fail_msg("'%s' is not a directory", path);
}

static void test_mkdir_p(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;
	char *p = in_tmp(f, "a/b/c"), *q = in_tmp(f, "x//y/./z/"), *ab = in_tmp(f, "a/b");
	struct stat st;

	assert_int_equal(mkdir_p(p, 0750, &err), 0);
	assert_is_dir(p);
	assert_int_equal(stat(ab, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* again: everything is there already */
	assert_int_equal(mkdir_p(p, 0750, &err), 0);
	assert_int_equal(mkdir_p(f->tmp, 0750, &err), 0);
	assert_int_equal(mkdir_p(q, 0755, &err), 0);
	assert_is_dir(q);
	assert_int_equal(mkdir_p("/", 0755, &err), 0);
	assert_null(err.msg);
	free(p);
	free(q);
	free(ab);
}

static void test_mkdir_p_relative(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(cwd >= 0);
	assert_int_equal(chdir(f->tmp), 0);
	assert_int_equal(mkdir_p("r/s", 0755, &err), 0);
	assert_is_dir("r/s");
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
}

static void test_mkdir_p_not_dir(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;
	char *under = in_tmp(f, "file/sub"), *file = in_tmp(f, "file");
	char want[512];

	put_file(f->dirfd, "file", "x");
	assert_int_equal(mkdir_p(under, 0755, &err), -1);
	assert_int_equal(err.errnum, ENOTDIR);
	snprintf(want, sizeof(want), "cannot create directory '%s': %s", under,
		 strerror(ENOTDIR));
	assert_string_equal(err.msg, want);
	kerr_clear(&err);

	/* a file where the last directory should be is no success either */
	assert_int_equal(mkdir_p(file, 0755, &err), -1);
	assert_int_equal(err.errnum, ENOTDIR);
	snprintf(want, sizeof(want), "cannot create directory '%s': %s", file,
		 strerror(ENOTDIR));
	assert_string_equal(err.msg, want);
	kerr_clear(&err);
	free(under);
	free(file);
}

static void test_mkdir_p_symlink(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;
	char *p = in_tmp(f, "link/new"), *link = in_tmp(f, "link");

	/* a symlink to a directory is a directory, as for mkdir -p */
	assert_int_equal(mkdirat(f->dirfd, "real", 0755), 0);
	assert_int_equal(symlinkat("real", f->dirfd, "link"), 0);
	assert_int_equal(mkdir_p(link, 0755, &err), 0);
	assert_int_equal(mkdir_p(p, 0755, &err), 0);
	assert_true(faccessat(f->dirfd, "real/new", F_OK, 0) == 0);
	free(p);
	free(link);
}

static void test_atomic_write(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;
	struct stat st;
	char *s;

	assert_int_equal(atomic_write_at(f->dirfd, "index.json", "first version", 13, 0640, &err), 0);
	s = read_at(f->dirfd, "index.json");
	assert_string_equal(s, "first version");
	free(s);
	assert_int_equal(fstatat(f->dirfd, "index.json", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* a shorter replacement leaves nothing of the old content */
	assert_int_equal(atomic_write_at(f->dirfd, "index.json", "v2", 2, 0640, &err), 0);
	s = read_at(f->dirfd, "index.json");
	assert_string_equal(s, "v2");
	free(s);
	assert_int_equal(atomic_write_at(f->dirfd, "empty", "", 0, 0644, &err), 0);
	s = read_at(f->dirfd, "empty");
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(count_temps(f->dirfd), 0);
	assert_null(err.msg);
}

static void test_atomic_write_large(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;
	const size_t n = 5 * 1024 * 1024 + 3;
	char *data = malloc(n), *back;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)('A' + i % 23);
	data[n - 1] = '\0';
	assert_int_equal(atomic_write_at(f->dirfd, "blob", data, n - 1, 0644, &err), 0);
	back = read_at(f->dirfd, "blob");
	assert_string_equal(back, data);
	assert_int_equal(count_temps(f->dirfd), 0);
	free(back);
	free(data);
}

static void test_atomic_write_subdir(void **state)
{
	struct fixture *f = *state;
	struct atomic_file af = ATOMIC_FILE_INIT;
	struct kerr err = KERR_INIT;
	int sub;
	char *s;

	assert_int_equal(mkdirat(f->dirfd, "blobs", 0755), 0);
	sub = openat(f->dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* the temp file lives in the target's own directory */
	assert_int_equal(atomic_file_open(&af, f->dirfd, "blobs/y", 0644, &err), 0);
	assert_int_equal(strncmp(af.tmpname, "blobs/.tmp-", 11), 0);
	assert_int_equal(count_temps(sub), 1);
	assert_int_equal(count_temps(f->dirfd), 0);
	assert_int_equal(atomic_file_commit(&af, &err), 0);
	assert_int_equal(count_temps(sub), 0);
	assert_true(faccessat(sub, "y", F_OK, 0) == 0);

	assert_int_equal(atomic_write_at(f->dirfd, "blobs/x", "in sub", 6, 0644, &err), 0);
	s = read_at(f->dirfd, "blobs/x");
	assert_string_equal(s, "in sub");
	free(s);
	assert_int_equal(count_temps(sub), 0);
	assert_int_equal(count_temps(f->dirfd), 0);
	close(sub);
}

static void test_atomic_abort(void **state)
{
	struct fixture *f = *state;
	struct atomic_file af = ATOMIC_FILE_INIT;
	struct kerr err = KERR_INIT;

	/* aborting what was never opened is harmless */
	atomic_file_abort(&af);

	assert_int_equal(atomic_file_open(&af, f->dirfd, "out", 0644, &err), 0);
	assert_true(af.fd >= 0);
	assert_non_null(af.tmpname);
	assert_int_equal(strncmp(af.tmpname, ".tmp-", 5), 0);
	assert_int_equal(count_temps(f->dirfd), 1);
	/* until commit, the name does not exist */
	assert_int_equal(write_all(af.fd, "partial", 7), 0);
	assert_true(faccessat(f->dirfd, "out", F_OK, 0) < 0);
	atomic_file_abort(&af);
	assert_int_equal(af.fd, -1);
	assert_null(af.tmpname);
	assert_null(af.name);
	assert_int_equal(count_temps(f->dirfd), 0);
	assert_true(faccessat(f->dirfd, "out", F_OK, 0) < 0);
	atomic_file_abort(&af);
}

static void test_atomic_commit(void **state)
{
	struct fixture *f = *state;
	struct atomic_file af = ATOMIC_FILE_INIT;
	struct kerr err = KERR_INIT;
	char *s;

	put_file(f->dirfd, "out", "old");
	assert_int_equal(atomic_file_open(&af, f->dirfd, "out", 0644, &err), 0);
	assert_int_equal(write_all(af.fd, "new", 3), 0);
	/* readers see the old content until the commit */
	s = read_at(f->dirfd, "out");
	assert_string_equal(s, "old");
	free(s);
	assert_int_equal(atomic_file_commit(&af, &err), 0);
	s = read_at(f->dirfd, "out");
	assert_string_equal(s, "new");
	free(s);
	assert_int_equal(af.fd, -1);
	assert_null(af.tmpname);
	assert_int_equal(count_temps(f->dirfd), 0);
	/* abort after commit changes nothing */
	atomic_file_abort(&af);
	s = read_at(f->dirfd, "out");
	assert_string_equal(s, "new");
	free(s);
}

static void test_atomic_rename_fails(void **state)
{
	struct fixture *f = *state;
	struct kerr err = KERR_INIT;

	/* a non-empty directory cannot be replaced by a file */
	assert_int_equal(mkdirat(f->dirfd, "d", 0755), 0);
	put_file(f->dirfd, "d/keep", "x");
	assert_int_equal(atomic_write_at(f->dirfd, "d", "data", 4, 0644, &err), -1);
	assert_int_equal(strncmp(err.msg, "cannot rename to 'd': ", 22), 0);
	assert_true(err.errnum == EISDIR || err.errnum == ENOTEMPTY || err.errnum == EEXIST);
	assert_int_equal(count_temps(f->dirfd), 0);
	kerr_clear(&err);
}

static void test_atomic_open_fails(void **state)
{
	struct fixture *f = *state;
	struct atomic_file af = ATOMIC_FILE_INIT;
	struct kerr err = KERR_INIT;

	char want[256];

	assert_int_equal(atomic_file_open(&af, f->dirfd, "missing/x", 0644, &err), -1);
	snprintf(want, sizeof(want), "cannot create a temporary file for 'missing/x': %s",
		 strerror(ENOENT));
	assert_string_equal(err.msg, want);
	assert_int_equal(err.errnum, ENOENT);
	assert_null(af.tmpname);
	atomic_file_abort(&af);
	kerr_clear(&err);
	assert_int_equal(atomic_write_at(f->dirfd, "missing/x", "d", 1, 0644, &err), -1);
	assert_int_equal(err.errnum, ENOENT);
	assert_int_equal(count_temps(f->dirfd), 0);
	kerr_clear(&err);
	assert_int_equal(atomic_write_at(-1, "x", "d", 1, 0644, &err), -1);
	assert_int_equal(err.errnum, EBADF);
	assert_int_equal(strncmp(err.msg, "cannot create a temporary file for 'x': ", 40), 0);
	kerr_clear(&err);
}

static void test_format_size(void **state)
{
	static const struct {
		unsigned long long n;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 999, "999 B" },
		{ 1000, "1 kB" },
		{ 1500, "1.5 kB" },
		{ 12345, "12.3 kB" },
		{ 999499, "999 kB" },
		{ 999999, "1 MB" },
		{ 1500000, "1.5 MB" },
		{ 1000000000ULL, "1 GB" },
		{ 2500000000000ULL, "2.5 TB" },
		{ 1000000000000000ULL, "1 PB" },
		{ 999999999999999999ULL, "1 EB" },
		{ 18446744073709551615ULL, "18.4 EB" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		format_size(buf, sizeof(buf), cases[i].n);
		if (strcmp(buf, cases[i].want))
			fail_msg("format_size(%llu) = '%s', want '%s'", cases[i].n, buf,
				 cases[i].want);
	}
	/* a short buffer is cut, still terminated */
	format_size(buf, 4, 123456);
	assert_string_equal(buf, "123");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_read_all),
		cmocka_unit_test(test_write_read_all_pipe),
		cmocka_unit_test(test_write_read_all_errors),
		T(test_read_file_at),
		T(test_read_file_at_limit),
		T(test_read_file_at_missing),
		T(test_mkdir_p),
		T(test_mkdir_p_relative),
		T(test_mkdir_p_not_dir),
		T(test_mkdir_p_symlink),
		T(test_atomic_write),
		T(test_atomic_write_large),
		T(test_atomic_write_subdir),
		T(test_atomic_abort),
		T(test_atomic_commit),
		T(test_atomic_rename_fails),
		T(test_atomic_open_fails),
		cmocka_unit_test(test_format_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
