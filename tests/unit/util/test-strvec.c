/* test-strvec.c: string vectors stay NULL-terminated, own their strings, and
 * split keeps empty fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strvec.h"
#include "util/xalloc.h"

/* sv holds exactly the n strings of want, then NULL */
static void check_vec(const struct strvec *sv, const char *const *want, size_t n)
{
	assert_int_equal(sv->n, n);
	assert_non_null(sv->v);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(sv->v[i], want[i]);
	assert_null(sv->v[n]);
}

static void test_push(void **state)
{
	struct strvec sv = STRVEC_INIT;
	static const char *const want[] = { "a", "b-7", "owned", "" };
	char buf[] = "a";

	(void)state;
	assert_int_equal(sv.n, 0);
	assert_null(sv.v);
	strvec_push(&sv, buf);
	/* push copies: changing the source later does not reach the vector */
	buf[0] = 'X';
	strvec_pushf(&sv, "%c-%d", 'b', 7);
	strvec_push_nodup(&sv, xstrdup("owned"));
	strvec_push(&sv, "");
	check_vec(&sv, want, 4);
	strvec_clear(&sv);
}

static void test_push_many(void **state)
{
	struct strvec sv = STRVEC_INIT;
	char name[16];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "%d", i);
		strvec_push(&sv, name);
		assert_null(sv.v[sv.n]);
		assert_true(sv.n < sv.alloc);
	}
	assert_int_equal(sv.n, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "%d", i);
		assert_string_equal(sv.v[i], name);
	}
	strvec_clear(&sv);
}

static void test_clear(void **state)
{
	struct strvec sv = STRVEC_INIT;
	static const char *const want[] = { "again" };

	(void)state;
	strvec_clear(&sv);
	assert_null(sv.v);
	strvec_push(&sv, "x");
	strvec_push(&sv, "y");
	strvec_clear(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
	assert_int_equal(sv.alloc, 0);
	strvec_clear(&sv);
	/* usable again after clear */
	strvec_push(&sv, "again");
	check_vec(&sv, want, 1);
	strvec_clear(&sv);
}

static void test_split(void **state)
{
	struct strvec sv = STRVEC_INIT;
	static const char *const abc[] = { "a", "b", "c" };
	static const char *const empties[] = { "", "a", "", "b", "" };
	static const char *const one_empty[] = { "" };
	static const char *const three_empty[] = { "", "", "" };
	static const char *const whole[] = { "a b c" };

	(void)state;
	strvec_split(&sv, "a,b,c", ',');
	check_vec(&sv, abc, 3);
	strvec_clear(&sv);

	strvec_split(&sv, ",a,,b,", ',');
	check_vec(&sv, empties, 5);
	strvec_clear(&sv);

	strvec_split(&sv, "", ',');
	check_vec(&sv, one_empty, 1);
	strvec_clear(&sv);

	strvec_split(&sv, ",,", ',');
	check_vec(&sv, three_empty, 3);
	strvec_clear(&sv);

	strvec_split(&sv, "a b c", ',');
	check_vec(&sv, whole, 1);
	strvec_clear(&sv);
}

static void test_split_appends(void **state)
{
	struct strvec sv = STRVEC_INIT;
	static const char *const want[] = { "first", "usr", "bin", "", "sbin" };

	(void)state;
	strvec_push(&sv, "first");
	strvec_split(&sv, "usr:bin::sbin", ':');
	check_vec(&sv, want, 5);
	strvec_clear(&sv);
}

static void test_cleanup_attribute(void **state)
{
	(void)state;
	{
		cleanup_strvec struct strvec sv = STRVEC_INIT;

		strvec_split(&sv, "freed/at/scope/end", '/');
		assert_int_equal(sv.n, 4);
	}
	{
		cleanup_strvec struct strvec empty = STRVEC_INIT;

		assert_int_equal(empty.n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_push_many),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_appends),
		cmocka_unit_test(test_cleanup_attribute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
