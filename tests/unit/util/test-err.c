/* test-err.c: errors as values: messages, errno, the kind that picks the exit
 * code, and context added on the way up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* "prefix: strerror(errnum)" in a static buffer */
static const char *with_strerror(const char *prefix, int errnum)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s: %s", prefix, strerror(errnum));
	return buf;
}

static void test_init(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	assert_null(e.msg);
	assert_int_equal(e.errnum, 0);
	assert_int_equal(e.kind, KERR_FAIL);
	assert_int_equal(kerr_exit_code(&e), 1);
	kerr_clear(&e);
}

static void test_set(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	assert_int_equal(kerr_set(&e, "cannot build '%s' (%d)", "app", 3), -1);
	assert_string_equal(e.msg, "cannot build 'app' (3)");
	assert_int_equal(e.errnum, 0);
	assert_int_equal(e.kind, KERR_FAIL);
	assert_int_equal(kerr_exit_code(&e), 1);
	kerr_clear(&e);
}

static void test_input(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	assert_int_equal(kerr_input(&e, "unknown instruction '%s'", "FORM"), -1);
	assert_string_equal(e.msg, "unknown instruction 'FORM'");
	assert_int_equal(e.kind, KERR_INPUT);
	assert_int_equal(e.errnum, 0);
	assert_int_equal(kerr_exit_code(&e), 2);
	kerr_clear(&e);
}

static void test_errno(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	assert_int_equal(kerr_errno(&e, ENOENT, "cannot open '%s'", "layer.tar"), -1);
	assert_string_equal(e.msg, with_strerror("cannot open 'layer.tar'", ENOENT));
	assert_int_equal(e.errnum, ENOENT);
	assert_int_equal(e.kind, KERR_FAIL);
	assert_int_equal(kerr_exit_code(&e), 1);

	/* errnum 0 adds nothing */
	kerr_errno(&e, 0, "plain");
	assert_string_equal(e.msg, "plain");
	assert_int_equal(e.errnum, 0);
	kerr_clear(&e);
}

static void test_wrap_chain(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	kerr_errno(&e, EACCES, "what");
	assert_int_equal(kerr_wrap(&e, "inner"), -1);
	assert_int_equal(kerr_wrap(&e, "%s", "outer"), -1);
	assert_string_equal(e.msg, with_strerror("outer: inner: what", EACCES));
	/* the innermost errno and the kind survive the wrapping */
	assert_int_equal(e.errnum, EACCES);
	assert_int_equal(kerr_exit_code(&e), 1);
	kerr_clear(&e);

	kerr_input(&e, "bad '%s'", "x");
	kerr_wrap(&e, "line %d", 3);
	kerr_wrap(&e, "'Dockerfile'");
	assert_string_equal(e.msg, "'Dockerfile': line 3: bad 'x'");
	assert_int_equal(e.kind, KERR_INPUT);
	assert_int_equal(kerr_exit_code(&e), 2);
	kerr_clear(&e);
}

static void test_wrap_empty(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	assert_int_equal(kerr_wrap(&e, "context"), -1);
	assert_string_equal(e.msg, "context: unknown error");
	kerr_clear(&e);
}

static void test_set_replaces(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	kerr_errno(&e, EIO, "first");
	kerr_wrap(&e, "ctx");
	kerr_input(&e, "second");
	assert_string_equal(e.msg, "second");
	assert_int_equal(e.errnum, 0);
	assert_int_equal(e.kind, KERR_INPUT);
	kerr_set(&e, "third");
	assert_string_equal(e.msg, "third");
	assert_int_equal(e.kind, KERR_FAIL);
	kerr_clear(&e);
}

static void test_clear(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	kerr_errno(&e, ENOSPC, "full");
	e.kind = KERR_INPUT;
	kerr_clear(&e);
	assert_null(e.msg);
	assert_int_equal(e.errnum, 0);
	assert_int_equal(e.kind, KERR_FAIL);
	kerr_clear(&e);
	assert_null(e.msg);
}

static void test_null_err(void **state)
{
	(void)state;
	/* callers that do not care pass NULL and still get -1 */
	assert_int_equal(kerr_set(NULL, "x %d", 1), -1);
	assert_int_equal(kerr_input(NULL, "x"), -1);
	assert_int_equal(kerr_errno(NULL, EIO, "x"), -1);
	assert_int_equal(kerr_wrap(NULL, "x"), -1);
}

static void test_long_message(void **state)
{
	struct kerr e = KERR_INIT;
	char *big = malloc(20001);

	(void)state;
	memset(big, 'p', 20000);
	big[20000] = '\0';
	kerr_set(&e, "%s", big);
	kerr_wrap(&e, "%s", big);
	assert_int_equal(strlen(e.msg), 40002);
	assert_memory_equal(e.msg + 20000, ": ", 2);
	free(big);
	kerr_clear(&e);
}

/* how callers use it: a failing inner call, each level adding context */
static int inner(struct kerr *err)
{
	return kerr_errno(err, ENOENT, "cannot open '%s'", "config.json");
}

static int middle(struct kerr *err)
{
	if (inner(err) < 0)
		return kerr_wrap(err, "image 'alpine'");
	return 0;
}

static void test_call_chain(void **state)
{
	struct kerr e = KERR_INIT;

	(void)state;
	assert_int_equal(middle(&e), -1);
	kerr_wrap(&e, "build");
	assert_string_equal(e.msg,
			    with_strerror("build: image 'alpine': cannot open 'config.json'", ENOENT));
	kerr_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_wrap_chain),
		cmocka_unit_test(test_wrap_empty),
		cmocka_unit_test(test_set_replaces),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_null_err),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_call_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
