/* test-strbuf.c: growable strings keep their invariants through every
 * operation. */
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
#include <sys/mman.h>
#include <unistd.h>

#include "util/strbuf.h"

/* buf[len] is NUL and len fits the allocation, whatever happened before */
static void check_invariants(const struct strbuf *sb)
{
	assert_non_null(sb->buf);
	assert_int_equal(sb->buf[sb->len], '\0');
	if (sb->alloc)
		assert_true(sb->len < sb->alloc);
	else
		assert_ptr_equal(sb->buf, strbuf_empty);
}

/* an fd reading back data, positioned at its start */
static int data_fd(const void *data, size_t len)
{
	int fd = memfd_create("kiln-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_add(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, '/');
	strbuf_addf(&sb, "%d-%s", 42, "x");
	assert_string_equal(sb.buf, "abc/42-x");
	assert_int_equal(sb.len, 8);
	strbuf_release(&sb);
	assert_string_equal(sb.buf, "");
}

static void test_init_hint(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(sb.len, 0);
	assert_true(sb.alloc > 100);
	assert_string_equal(sb.buf, "");
	check_invariants(&sb);
	strbuf_release(&sb);
	check_invariants(&sb);

	strbuf_init(&sb, 0);
	assert_int_equal(sb.alloc, 0);
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void test_add_binary(void **state)
{
	struct strbuf sb = STRBUF_INIT, other = STRBUF_INIT;

	(void)state;
	strbuf_add(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, "a\0b", 4);
	check_invariants(&sb);
	strbuf_add(&sb, "", 0);
	assert_int_equal(sb.len, 3);

	strbuf_addstr(&other, "xy");
	strbuf_addbuf(&other, &sb);
	assert_int_equal(other.len, 5);
	assert_memory_equal(other.buf, "xya\0b", 6);
	check_invariants(&other);

	/* adding an empty strbuf to an empty one keeps it empty */
	strbuf_release(&sb);
	strbuf_release(&other);
	strbuf_addbuf(&sb, &other);
	assert_int_equal(sb.len, 0);
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void test_addf(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *big = malloc(10001);

	(void)state;
	memset(big, 'z', 10000);
	big[10000] = '\0';
	strbuf_addf(&sb, "%s", "");
	assert_int_equal(sb.len, 0);
	check_invariants(&sb);
	strbuf_addf(&sb, "[%s]", big);
	assert_int_equal(sb.len, 10002);
	assert_int_equal(sb.buf[0], '[');
	assert_int_equal(sb.buf[10001], ']');
	check_invariants(&sb);
	strbuf_reset(&sb);
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%03d,", i);
	assert_int_equal(sb.len, 4000);
	assert_memory_equal(sb.buf, "000,001,002,", 12);
	assert_string_equal(sb.buf + 3996, "999,");
	check_invariants(&sb);
	strbuf_release(&sb);
	free(big);
}

static void test_insert(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_insert(&sb, 0, "world", 5);
	assert_string_equal(sb.buf, "world");
	strbuf_insert(&sb, 0, "hello ", 6);
	assert_string_equal(sb.buf, "hello world");
	strbuf_insert(&sb, 5, ",", 1);
	assert_string_equal(sb.buf, "hello, world");
	strbuf_insert(&sb, sb.len, "!", 1);
	assert_string_equal(sb.buf, "hello, world!");
	strbuf_insert(&sb, 3, "", 0);
	assert_string_equal(sb.buf, "hello, world!");
	assert_int_equal(sb.len, 13);
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void test_remove(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_addstr(&sb, "0123456789");
	strbuf_remove(&sb, 0, 2);
	assert_string_equal(sb.buf, "23456789");
	strbuf_remove(&sb, 2, 3);
	assert_string_equal(sb.buf, "23789");
	strbuf_remove(&sb, 3, 2);
	assert_string_equal(sb.buf, "237");
	strbuf_remove(&sb, 1, 0);
	assert_string_equal(sb.buf, "237");
	strbuf_remove(&sb, 3, 0);
	assert_string_equal(sb.buf, "237");
	strbuf_remove(&sb, 0, 3);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void test_trim(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_trim(&sb);
	check_invariants(&sb);

	strbuf_addstr(&sb, " \t\r\n\v\f a b \n\t");
	strbuf_rtrim(&sb);
	assert_string_equal(sb.buf, " \t\r\n\v\f a b");
	strbuf_trim(&sb);
	assert_string_equal(sb.buf, "a b");
	assert_int_equal(sb.len, 3);
	strbuf_trim(&sb);
	assert_string_equal(sb.buf, "a b");

	strbuf_reset(&sb);
	strbuf_addstr(&sb, " \n \t ");
	strbuf_trim(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);

	strbuf_addstr(&sb, "x\ty");
	strbuf_trim(&sb);
	assert_string_equal(sb.buf, "x\ty");
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void test_setlen_reset(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t alloc;

	(void)state;
	strbuf_reset(&sb);
	check_invariants(&sb);
	strbuf_addstr(&sb, "abcdef");
	alloc = sb.alloc;
	strbuf_setlen(&sb, 3);
	assert_string_equal(sb.buf, "abc");
	assert_int_equal(sb.len, 3);
	strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	/* resetting keeps the memory for reuse */
	assert_int_equal(sb.alloc, alloc);
	check_invariants(&sb);
	strbuf_release(&sb);
}

static void test_detach(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	char *s;

	(void)state;
	strbuf_addstr(&sb, "detached");
	s = strbuf_detach(&sb, &len);
	assert_string_equal(s, "detached");
	assert_int_equal(len, 8);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.alloc, 0);
	check_invariants(&sb);
	free(s);

	/* an empty strbuf still hands out memory the caller may free */
	s = strbuf_detach(&sb, &len);
	assert_non_null(s);
	assert_ptr_not_equal(s, strbuf_empty);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);

	strbuf_addstr(&sb, "x");
	s = strbuf_detach(&sb, NULL);
	assert_string_equal(s, "x");
	free(s);
	strbuf_release(&sb);
}

static void test_starts_with(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_true(strbuf_starts_with(&sb, ""));
	assert_false(strbuf_starts_with(&sb, "a"));
	strbuf_addstr(&sb, "sha256:abc");
	assert_true(strbuf_starts_with(&sb, "sha256:"));
	assert_true(strbuf_starts_with(&sb, "sha256:abc"));
	assert_false(strbuf_starts_with(&sb, "sha256:abcd"));
	assert_false(strbuf_starts_with(&sb, "sha512:"));
	strbuf_release(&sb);
}

static void test_cleanup_attribute(void **state)
{
	(void)state;
	{
		cleanup_strbuf struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "freed when the scope ends (ASan checks)");
	}
}

static void test_grow_large(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char block[4096];
	const size_t total = (size_t)64 << 20;

	(void)state;
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (char)('a' + i % 26);
	while (sb.len < total)
		strbuf_add(&sb, block, sizeof(block));
	assert_int_equal(sb.len, total);
	check_invariants(&sb);
	for (size_t off = 0; off < total; off += 1 << 20)
		assert_memory_equal(sb.buf + off, block, sizeof(block));

	/* one character at a time crosses every doubling */
	strbuf_release(&sb);
	for (size_t i = 0; i < 1 << 20; i++)
		strbuf_addch(&sb, 'a' + (int)(i % 26));
	assert_int_equal(sb.len, 1 << 20);
	assert_int_equal(sb.buf[(1 << 20) - 1], 'a' + ((1 << 20) - 1) % 26);
	check_invariants(&sb);

	/* an explicit grow makes room without changing the content */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "keep");
	strbuf_grow(&sb, (size_t)32 << 20);
	assert_true(sb.alloc > ((size_t)32 << 20) + 4);
	assert_string_equal(sb.buf, "keep");
	strbuf_release(&sb);
}

static void test_read_fd(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	int fd;

	(void)state;
	strbuf_addstr(&sb, "prefix:");
	fd = data_fd("hello", 5);
	assert_int_equal(strbuf_read_fd(&sb, fd, 100, &err), 0);
	assert_string_equal(sb.buf, "prefix:hello");
	assert_int_equal(sb.len, 12);
	check_invariants(&sb);
	close(fd);

	/* an empty file adds nothing */
	fd = data_fd("", 0);
	assert_int_equal(strbuf_read_fd(&sb, fd, 0, &err), 0);
	assert_string_equal(sb.buf, "prefix:hello");
	close(fd);
	assert_null(err.msg);
	strbuf_release(&sb);
}

static void test_read_fd_limit(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	int fd;

	(void)state;
	/* exactly the limit is fine */
	fd = data_fd("0123456789", 10);
	assert_int_equal(strbuf_read_fd(&sb, fd, 10, &err), 0);
	assert_string_equal(sb.buf, "0123456789");
	close(fd);

	/* one byte more is an input error, and what was there before stays */
	fd = data_fd("0123456789", 10);
	assert_int_equal(strbuf_read_fd(&sb, fd, 9, &err), -1);
	assert_string_equal(err.msg, "larger than 9 bytes");
	assert_int_equal(err.kind, KERR_INPUT);
	assert_int_equal(kerr_exit_code(&err), 2);
	assert_string_equal(sb.buf, "0123456789");
	assert_int_equal(sb.len, 10);
	check_invariants(&sb);
	close(fd);
	kerr_clear(&err);

	fd = data_fd("x", 1);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_read_fd(&sb, fd, 0, &err), -1);
	assert_string_equal(err.msg, "larger than 0 bytes");
	assert_int_equal(sb.len, 0);
	close(fd);
	kerr_clear(&err);
	strbuf_release(&sb);
}

static void test_read_fd_large(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	const size_t n = 3 * 1024 * 1024 + 17;
	char *data = malloc(n);
	int fd;

	(void)state;
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + i / 4096);
	fd = data_fd(data, n);
	assert_int_equal(strbuf_read_fd(&sb, fd, n, &err), 0);
	assert_int_equal(sb.len, n);
	assert_memory_equal(sb.buf, data, n);
	check_invariants(&sb);

	/* far beyond the limit fails without keeping what was read */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "kept");
	assert_int_equal(strbuf_read_fd(&sb, fd, 8192, &err), -1);
	assert_string_equal(err.msg, "larger than 8192 bytes");
	assert_string_equal(sb.buf, "kept");
	close(fd);
	kerr_clear(&err);
	strbuf_release(&sb);
	free(data);
}

static void test_read_fd_error(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char *want;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	strbuf_addstr(&sb, "kept");
	assert_int_equal(strbuf_read_fd(&sb, fd, 100, &err), -1);
	assert_int_equal(err.errnum, EBADF);
	assert_int_equal(err.kind, KERR_FAIL);
	want = malloc(strlen(strerror(EBADF)) + 64);
	sprintf(want, "read failed: %s", strerror(EBADF));
	assert_string_equal(err.msg, want);
	assert_string_equal(sb.buf, "kept");
	free(want);
	close(fd);
	kerr_clear(&err);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_init_hint),
		cmocka_unit_test(test_add_binary),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_setlen_reset),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_starts_with),
		cmocka_unit_test(test_cleanup_attribute),
		cmocka_unit_test(test_grow_large),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_read_fd_limit),
		cmocka_unit_test(test_read_fd_large),
		cmocka_unit_test(test_read_fd_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
