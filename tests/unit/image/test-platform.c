/* test-platform.c: docker's platform rules: normalisation, a match table,
 * and which manifest of an index a machine picks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/index.h"
#include "image/media.h"
#include "image/platform.h"

/* a platform as an image might spell it, not normalised */
static void raw(struct oci_platform *p, const char *os, const char *arch, const char *variant)
{
	*p = (struct oci_platform)OCI_PLATFORM_INIT;
	p->os = strdup(os);
	p->architecture = strdup(arch);
	p->variant = variant ? strdup(variant) : NULL;
}

struct match_case {
	const char *want;
	const char *os, *arch, *variant;
	bool match;
};

static const struct match_case cases[] = {
	{ "linux/amd64", "linux", "amd64", NULL, true },
	{ "linux/amd64", "linux", "x86_64", NULL, true },
	{ "linux/x86_64", "linux", "amd64", NULL, true },
	{ "linux/x86-64", "linux", "amd64", NULL, true },
	{ "linux/amd64", "linux", "amd64", "v1", true },
	{ "linux/amd64/v1", "linux", "amd64", NULL, true },
	{ "linux/amd64", "linux", "amd64", "v3", true },
	{ "linux/amd64/v3", "linux", "amd64", NULL, false },
	{ "linux/amd64", "linux", "386", NULL, false },
	{ "linux/amd64", "windows", "amd64", NULL, false },
	{ "linux/arm64", "linux", "arm64", NULL, true },
	{ "linux/arm64", "linux", "arm64", "v8", true },
	{ "linux/arm64/v8", "linux", "arm64", NULL, true },
	{ "linux/arm64/v8", "linux", "aarch64", NULL, true },
	{ "linux/aarch64", "linux", "arm64", "v8", true },
	{ "linux/arm64", "linux", "arm64", "8", true },
	{ "linux/arm64", "linux", "arm", "v7", false },
	{ "linux/arm64/v9", "linux", "arm64", NULL, false },
	{ "linux/arm", "linux", "arm", "v7", true },
	{ "linux/arm", "linux", "arm", NULL, true },
	{ "linux/arm/v7", "linux", "arm", NULL, true },
	{ "linux/arm/7", "linux", "arm", "v7", true },
	{ "linux/armhf", "linux", "arm", "v7", true },
	{ "linux/armel", "linux", "arm", "v6", true },
	{ "linux/arm/v6", "linux", "arm", "v7", false },
	{ "linux/arm/v7", "linux", "arm", "v6", false },
	{ "linux/arm/v5", "linux", "arm", "5", true },
	{ "linux/386", "linux", "i386", NULL, true },
	{ "linux/i386", "linux", "386", NULL, true },
	{ "linux/ppc64le", "linux", "ppc64le", NULL, true },
	{ "linux/s390x", "linux", "s390x", NULL, true },
	{ "linux/riscv64", "linux", "riscv64", NULL, true },
	{ "linux/riscv64", "linux", "ppc64le", NULL, false },
	{ "LINUX/AMD64", "linux", "amd64", NULL, true },
	{ "linux/amd64", "Linux", "AMD64", NULL, true },
	{ "darwin/arm64", "macos", "arm64", NULL, true },
	{ "windows/amd64", "windows", "amd64", NULL, true },
};

static void test_match_table(void **state)
{
	(void)state;
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 30);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kerr err = KERR_INIT;
		struct oci_platform w, h;

		w = (struct oci_platform)OCI_PLATFORM_INIT;
		if (img_platform_parse(cases[i].want, &w, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		raw(&h, cases[i].os, cases[i].arch, cases[i].variant);
		if (img_platform_match(&w, &h) != cases[i].match)
			fail_msg("case %zu: %s vs %s/%s/%s: want %d", i, cases[i].want, cases[i].os,
				 cases[i].arch, cases[i].variant ? cases[i].variant : "",
				 cases[i].match);
		oci_platform_clear(&w);
		oci_platform_clear(&h);
	}
}

static void test_parse_format(void **state)
{
	static const char *const pairs[][2] = {
		{ "linux/arm64/v8", "linux/arm64" }, { "linux/aarch64", "linux/arm64" },
		{ "linux/arm", "linux/arm/v7" }, { "linux/armhf", "linux/arm/v7" },
		{ "linux/armel", "linux/arm/v6" }, { "linux/x86_64", "linux/amd64" },
		{ "linux/amd64/v2", "linux/amd64/v2" }, { "arm64", "linux/arm64" },
		{ "macos/arm64", "darwin/arm64" }, { "linux/i386", "linux/386" },
	};
	static const char *const badp[] = { "", "linux/", "/amd64", "linux/amd64/v8/x", "linux/a b" };
	struct kerr err = KERR_INIT;
	struct oci_platform p = OCI_PLATFORM_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *s;

		if (img_platform_parse(pairs[i][0], &p, &err) < 0)
			fail_msg("%s: %s", pairs[i][0], err.msg);
		s = img_platform_format(&p);
		assert_string_equal(s, pairs[i][1]);
		free(s);
	}
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++) {
		if (img_platform_parse(badp[i], &p, &err) != -1)
			fail_msg("'%s' parsed", badp[i]);
		assert_int_equal(err.kind, KERR_INPUT);
		kerr_clear(&err);
	}
	oci_platform_clear(&p);
	img_platform_host(&p);
	assert_string_equal(p.os, "linux");
	assert_non_null(p.architecture);
	oci_platform_clear(&p);
}

static void add(struct oci_index *idx, const char *digit, const char *os, const char *arch,
		const char *variant)
{
	struct oci_descriptor d = OCI_DESCRIPTOR_INIT;
	char dg[72] = "sha256:";

	for (int i = 0; i < 64; i++)
		dg[7 + i] = digit[0];
	dg[71] = '\0';
	oci_descriptor_set(&d, MT_OCI_MANIFEST, dg, 1);
	if (os) {
		d.platform = calloc(1, sizeof(*d.platform));
		raw(d.platform, os, arch, variant);
	}
	oci_index_add(idx, &d);
	oci_descriptor_clear(&d);
}

static int pick(const struct oci_index *idx, const char *want)
{
	struct kerr err = KERR_INIT;
	struct oci_platform w = OCI_PLATFORM_INIT;
	int r;

	assert_int_equal(img_platform_parse(want, &w, &err), 0);
	r = img_index_select(idx, &w);
	oci_platform_clear(&w);
	return r;
}

static void test_select(void **state)
{
	struct oci_index idx;

	(void)state;
	oci_index_init(&idx);
	add(&idx, "0", NULL, NULL, NULL);			/* attestation-like, no platform */
	add(&idx, "1", "linux", "arm", "v6");
	add(&idx, "2", "linux", "arm", "v7");
	add(&idx, "3", "linux", "386", NULL);
	add(&idx, "4", "windows", "amd64", NULL);
	assert_int_equal(pick(&idx, "linux/arm/v7"), 2);
	assert_int_equal(pick(&idx, "linux/arm/v6"), 1);
	/* an arm64 machine runs arm/v7 when there is no arm64 image */
	assert_int_equal(pick(&idx, "linux/arm64"), 2);
	/* amd64 falls back to 386, never to windows */
	assert_int_equal(pick(&idx, "linux/amd64"), 3);
	assert_int_equal(pick(&idx, "linux/arm/v5"), -1);
	add(&idx, "5", "linux", "aarch64", "v8");
	add(&idx, "6", "linux", "amd64", NULL);
	assert_int_equal(pick(&idx, "linux/arm64"), 5);
	assert_int_equal(pick(&idx, "linux/amd64/v3"), 6);
	assert_int_equal(pick(&idx, "windows/amd64"), 4);
	assert_int_equal(pick(&idx, "linux/s390x"), -1);
	oci_index_clear(&idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
