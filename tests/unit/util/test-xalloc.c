/* test-xalloc.c: allocation wrappers: copies, formatted strings, array
 * growth, and the one-line abort when a size overflows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/xalloc.h"

static void test_malloc_zero(void **state)
{
	void *p = xmalloc(0), *q = xcalloc(0, 0), *r = xrealloc(NULL, 0);

	(void)state;
	/* zero bytes is still a pointer callers may free */
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	free(p);
	free(q);
	free(r);
}

static void test_calloc_zeroed(void **state)
{
	unsigned char *p = xcalloc(100, 3);

	(void)state;
	for (int i = 0; i < 300; i++)
		assert_int_equal(p[i], 0);
	free(p);
}

static void test_strdup(void **state)
{
	char *a = xstrdup("hello"), *b = xstrndup("hello", 3), *c = xstrndup("hi", 10);
	char *d = xmemdup("a\0b", 3), *e = xstrdup("");

	(void)state;
	assert_string_equal(a, "hello");
	assert_string_equal(b, "hel");
	assert_string_equal(c, "hi");
	assert_memory_equal(d, "a\0b", 3);
	assert_string_equal(e, "");
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

static void test_asprintf(void **state)
{
	char *s = xasprintf("%s-%05d-%c", "img", 42, 'z');
	char *big;

	(void)state;
	assert_string_equal(s, "img-00042-z");
	free(s);
	s = xasprintf("%s", "");
	assert_string_equal(s, "");
	free(s);
	big = xasprintf("%5000d|", 1);
	assert_int_equal(strlen(big), 5001);
	assert_string_equal(big + 4999, "1|");
	free(big);
}

static void test_grow(void **state)
{
	size_t alloc = 0;
	int *v = NULL, *same;

	(void)state;
	v = xgrow(v, sizeof(int), 1, &alloc);
	assert_non_null(v);
	assert_true(alloc >= 8);
	same = xgrow(v, sizeof(int), alloc, &alloc);
	assert_ptr_equal(same, v);
	v = xgrow(v, sizeof(int), 1000, &alloc);
	assert_true(alloc >= 1000);
	/* the whole promised size is usable (ASan checks) */
	for (size_t i = 0; i < alloc; i++)
		v[i] = (int)i;
	assert_int_equal(v[999], 999);
	free(v);

	alloc = 0;
	assert_null(xgrow(NULL, 8, 0, &alloc));
	assert_int_equal(alloc, 0);
}

static void test_mul(void **state)
{
	(void)state;
	assert_int_equal(xmul(0, SIZE_MAX), 0);
	assert_int_equal(xmul(3, 7), 21);
	assert_int_equal(xmul(SIZE_MAX, 1), SIZE_MAX);
	assert_int_equal(xmul((size_t)1 << 31, (size_t)1 << 31), (size_t)1 << 62);
}

/* runs fn in a child with stderr captured; returns how it ended and what it
 * said */
static int run_child(void (*fn)(void), char *out, size_t outsz)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		fn();
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void mul_overflow(void)
{
	volatile size_t a = SIZE_MAX;

	xmul(a, 2);
}

static void grow_overflow(void)
{
	size_t alloc = 0;

	xgrow(NULL, 16, SIZE_MAX / 4, &alloc);
}

static void test_overflow_aborts(void **state)
{
	char out[256];
	int status;

	(void)state;
	status = run_child(mul_overflow, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(out, "kiln: out of memory"));

	status = run_child(grow_overflow, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(out, "kiln: out of memory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_zero),
		cmocka_unit_test(test_calloc_zeroed),
		cmocka_unit_test(test_strdup),
		cmocka_unit_test(test_asprintf),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_mul),
		cmocka_unit_test(test_overflow_aborts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
