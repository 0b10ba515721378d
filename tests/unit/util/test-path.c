/* test-path.c: paths as text: path_clean against Go's path.Clean, and
 * path_join, path_base and path_escapes built on it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/path.h"

struct pair {
	const char *in, *want;
};

/* Go's path_test.go cleantests, then kiln's own */
static const struct pair clean_cases[] = {
	/* already clean */
	{ "", "." },
	{ "abc", "abc" },
	{ "abc/def", "abc/def" },
	{ "a/b/c", "a/b/c" },
	{ ".", "." },
	{ "..", ".." },
	{ "../..", "../.." },
	{ "../../abc", "../../abc" },
	{ "/abc", "/abc" },
	{ "/", "/" },
	/* trailing slashes */
	{ "abc/", "abc" },
	{ "abc/def/", "abc/def" },
	{ "a/b/c/", "a/b/c" },
	{ "./", "." },
	{ "../", ".." },
	{ "../../", "../.." },
	{ "/abc/", "/abc" },
	/* doubled slashes */
	{ "abc//def//ghi", "abc/def/ghi" },
	{ "//abc", "/abc" },
	{ "///abc", "/abc" },
	{ "//abc//", "/abc" },
	{ "abc//", "abc" },
	/* '.' elements */
	{ "abc/./def", "abc/def" },
	{ "/./abc/def", "/abc/def" },
	{ "abc/.", "abc" },
	/* '..' elements */
	{ "abc/def/ghi/../jkl", "abc/def/jkl" },
	{ "abc/def/../ghi/../jkl", "abc/jkl" },
	{ "abc/def/..", "abc" },
	{ "abc/def/../..", "." },
	{ "/abc/def/../..", "/" },
	{ "abc/def/../../..", ".." },
	{ "/abc/def/../../..", "/" },
	{ "abc/def/../../../ghi/jkl/../../../mno", "../../mno" },
	/* combinations */
	{ "abc/./../def", "def" },
	{ "abc//./../def", "def" },
	{ "abc/../../././../def", "../../def" },
	/* kiln's */
	{ "//", "/" },
	{ "///", "/" },
	{ "//a//b/", "/a/b" },
	{ "a/../..", ".." },
	{ "/../a", "/a" },
	{ "/..", "/" },
	{ "/../..", "/" },
	{ "/../../a/../b", "/b" },
	{ "a/./b/.", "a/b" },
	{ "../../x", "../../x" },
	{ "./../x", "../x" },
	{ "./a", "a" },
	{ "/./", "/" },
	{ "a/..", "." },
	{ "a/../b/../c/./d/..", "c" },
	{ "../a/../..", "../.." },
	{ "...", "..." },
	{ ".../a", ".../a" },
	{ "..a/b", "..a/b" },
	{ "a/..b", "a/..b" },
	{ "a/b..", "a/b.." },
	{ ".a/.b/.", ".a/.b" },
	{ "a/.../..", "a" },
	{ "x/y/z/../../../..", ".." },
	{ "/usr/local//bin/../lib/./", "/usr/local/lib" },
	{ "a b/ c", "a b/ c" },
};

static void test_clean_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(clean_cases) / sizeof(clean_cases[0]); i++) {
		char *got = path_clean(clean_cases[i].in);
		char *again;

		if (strcmp(got, clean_cases[i].want))
			fail_msg("path_clean(\"%s\") = \"%s\", want \"%s\"",
				 clean_cases[i].in, got, clean_cases[i].want);
		/* cleaning is idempotent */
		again = path_clean(got);
		assert_string_equal(again, got);
		free(again);
		free(got);
	}
}

static void test_clean_long(void **state)
{
	const size_t k = 4096;
	char *p = malloc(5 * k + 16), *got, *w;

	(void)state;
	/* "/a/a/.../a" is clean as it is */
	w = p;
	for (size_t i = 0; i < k; i++)
		w += sprintf(w, "/a");
	got = path_clean(p);
	assert_string_equal(got, p);
	free(got);
	/* as many "/.." climb back to the root */
	for (size_t i = 0; i < k; i++)
		w += sprintf(w, "/..");
	got = path_clean(p);
	assert_string_equal(got, "/");
	free(got);
	/* relative, two more ".." than names */
	w = p;
	for (size_t i = 0; i < k; i++)
		w += sprintf(w, "a/");
	for (size_t i = 0; i < k + 2; i++)
		w += sprintf(w, "../");
	got = path_clean(p);
	assert_string_equal(got, "../..");
	free(got);
	free(p);
}

static void test_join(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{ "a", "b", "a/b" },
		{ "a/", "b", "a/b" },
		{ "a", "/b", "a/b" },
		{ "a/", "/b/", "a/b" },
		{ "/", "x", "/x" },
		{ "/", "/", "/" },
		{ "/rootfs", "/etc/passwd", "/rootfs/etc/passwd" },
		{ "/rootfs", "../../etc", "/etc" },
		{ "/a/b", "../c", "/a/c" },
		{ "a", "", "a" },
		{ "a", "..", "." },
		{ "a", "../..", ".." },
		{ "a/b", "./c/.", "a/b/c" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = path_join(cases[i].a, cases[i].b);

		if (strcmp(got, cases[i].want))
			fail_msg("path_join(\"%s\", \"%s\") = \"%s\", want \"%s\"",
				 cases[i].a, cases[i].b, got, cases[i].want);
		free(got);
	}
}

static void test_base(void **state)
{
	static const struct pair cases[] = {
		{ "/", "/" },
		{ "", "." },
		{ ".", "." },
		{ "..", ".." },
		{ "a", "a" },
		{ "/a", "a" },
		{ "a/b", "b" },
		{ "/usr/lib/libc.so", "libc.so" },
		{ "../x", "x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = path_base(cases[i].in);

		if (strcmp(got, cases[i].want))
			fail_msg("path_base(\"%s\") = \"%s\", want \"%s\"",
				 cases[i].in, got, cases[i].want);
	}
}

static void test_escapes(void **state)
{
	static const char *const yes[] = {
		"..", "../", "../a", "a/../..", "./../x", "a/b/../../..", "../../x", "x/../../y",
	};
	static const char *const no[] = {
		"", ".", "a", "a/..", "a/b/../..", "/..", "/../a", "/../../x", "..a", "...",
		"a/..b", ".../x", "a/../b", "./a",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!path_escapes(yes[i]))
			fail_msg("path_escapes(\"%s\") is false", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (path_escapes(no[i]))
			fail_msg("path_escapes(\"%s\") is true", no[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_table),
		cmocka_unit_test(test_clean_long),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
