/* test-ref.c: references as docker reads them: normalisation to
 * docker.io/library, the short form kiln stores, and bad names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *in;
	const char *full;	/* img_ref_string after default_tag */
	const char *familiar;
} good[] = {
	{ "app", "docker.io/library/app:latest", "app:latest" },
	{ "app:1", "docker.io/library/app:1", "app:1" },
	{ "user/app:1", "docker.io/user/app:1", "user/app:1" },
	{ "docker.io/library/app:1", "docker.io/library/app:1", "app:1" },
	{ "index.docker.io/app", "docker.io/library/app:latest", "app:latest" },
	{ "docker.io/app", "docker.io/library/app:latest", "app:latest" },
	{ "localhost/app", "localhost/app:latest", "localhost/app:latest" },
	{ "localhost:5000/a/b:v1.2", "localhost:5000/a/b:v1.2", "localhost:5000/a/b:v1.2" },
	{ "reg:5000/x:1", "reg:5000/x:1", "reg:5000/x:1" },
	{ "quay.io/org/sub/img:tag_1", "quay.io/org/sub/img:tag_1", "quay.io/org/sub/img:tag_1" },
	{ "a.b-c__d", "docker.io/library/a.b-c__d:latest", "a.b-c__d:latest" },
	{ "a---b", "docker.io/library/a---b:latest", "a---b:latest" },
	{ "app@sha256:" H64, "docker.io/library/app@sha256:" H64, "app@sha256:" H64 },
	{ "app:1@sha256:" H64, "docker.io/library/app:1@sha256:" H64, "app:1@sha256:" H64 },
	{ "Reg.io/app", "Reg.io/app:latest", "Reg.io/app:latest" },
	{ "[::1]:5000/app:1", "[::1]:5000/app:1", "[::1]:5000/app:1" },
	{ "[fe80::1]/x", "[fe80::1]/x:latest", "[fe80::1]/x:latest" },
};

static const struct {
	const char *in;
	const char *want;
} bad[] = {
	{ "", "an image name must not be empty" },
	{ "App", "'App': repository name must be lowercase" },
	{ "app:", "'app:': invalid tag ''" },
	{ "app:-x", "'app:-x': invalid tag '-x'" },
	{ "app:a/b", "'app:a/b': invalid registry name" },
	{ "-app", "'-app': invalid reference format" },
	{ "app_", "'app_': invalid reference format" },
	{ "a..b", "'a..b': invalid reference format" },
	{ "a___b", "'a___b': invalid reference format" },
	{ "user//app", "'user//app': invalid reference format" },
	{ "app@sha256:12", "'app@sha256:12': 'sha256:12': a sha256 digest has 64 hex digits" },
	{ H64, "'" H64 "': invalid repository name (a 64-digit hex string is an image ID)" },
	{ "reg:x/app", "'reg:x/app': invalid registry name" },
	{ "app name", "'app name': invalid reference format" },
	{ "[::1/app", "'[::1/app': invalid registry name" },
	{ "[]:5000/app", "'[]:5000/app': invalid registry name" },
	{ "[::g]/app", "'[::g]/app': invalid registry name" },
	{ "[::1]x/app", "'[::1]x/app': invalid registry name" },
};

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct kerr err = KERR_INIT;
		struct img_ref r;
		char *s;

		if (img_ref_parse(good[i].in, &r, &err) < 0)
			fail_msg("'%s': %s", good[i].in, err.msg);
		img_ref_default_tag(&r);
		s = img_ref_string(&r);
		if (strcmp(s, good[i].full))
			fail_msg("'%s': string '%s', want '%s'", good[i].in, s, good[i].full);
		free(s);
		s = img_ref_familiar(&r);
		if (strcmp(s, good[i].familiar))
			fail_msg("'%s': familiar '%s', want '%s'", good[i].in, s, good[i].familiar);
		free(s);
		img_ref_clear(&r);
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kerr err = KERR_INIT;
		struct img_ref r;

		if (img_ref_parse(bad[i].in, &r, &err) != -1)
			fail_msg("'%s' parsed", bad[i].in);
		if (strcmp(err.msg, bad[i].want))
			fail_msg("'%s': '%s', want '%s'", bad[i].in, err.msg, bad[i].want);
		assert_int_equal(err.kind, KERR_INPUT);
		kerr_clear(&err);
		img_ref_clear(&r);
	}
}

static void test_names(void **state)
{
	struct kerr err = KERR_INIT;
	struct img_ref r;
	char *s;

	(void)state;
	assert_int_equal(img_ref_parse("user/app:1", &r, &err), 0);
	s = img_ref_name(&r);
	assert_string_equal(s, "docker.io/user/app");
	free(s);
	s = img_ref_familiar_name(&r);
	assert_string_equal(s, "user/app");
	free(s);
	img_ref_clear(&r);
	assert_true(img_ref_is_id_prefix("26a822"));
	assert_true(img_ref_is_id_prefix("sha256:26a822"));
	assert_true(img_ref_is_id_prefix(H64));
	assert_false(img_ref_is_id_prefix(""));
	assert_false(img_ref_is_id_prefix("app"));
	assert_false(img_ref_is_id_prefix("ABC"));
	assert_false(img_ref_is_id_prefix(H64 "0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
