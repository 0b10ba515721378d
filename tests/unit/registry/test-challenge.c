/* test-challenge.c: WWW-Authenticate values as registries send them and as
 * RFC 7235 allows them: quoting, escapes, case, several challenges, and
 * values kiln must refuse. */
#include "registry/authtest.h"

struct want {
	const char *value;
	const char *scheme, *realm, *service, *scope, *error;
};

static const struct want good[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	  "scope=\"repository:library/busybox:pull\"",
	  "bearer", "https://auth.docker.io/token", "registry.docker.io",
	  "repository:library/busybox:pull", NULL },
	/* a comma inside quotes is no separator; spaces around '=' and ',' */
	{ "Bearer realm = \"https://r/t\" , scope=\"repository:a/b:pull,push\",service=reg",
	  "bearer", "https://r/t", "reg", "repository:a/b:pull,push", NULL },
	/* escapes, and names and schemes in any case */
	{ "BEARER Realm=\"https://r/t?a=\\\"q\\\"\", SCOPE=\"x\\\\y\", Error=insufficient_scope",
	  "bearer", "https://r/t?a=\"q\"", NULL, "x\\y", "insufficient_scope" },
	{ "Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL, NULL },
	{ "basic", "basic", NULL, NULL, NULL, NULL },
	{ "Basic realm=\"\"", "basic", "", NULL, NULL, NULL },
	/* several challenges: Bearer wins wherever it is */
	{ "Basic realm=\"r\", Bearer realm=\"https://t\",service=\"s\"",
	  "bearer", "https://t", "s", NULL, NULL },
	{ "Bearer realm=\"https://t\", Basic realm=\"r\"", "bearer", "https://t", NULL, NULL, NULL },
	/* schemes kiln does not speak are passed over, token68 and all */
	{ "Negotiate, NTLM abc+/de==, Basic realm=\"x\"", "basic", "x", NULL, NULL, NULL },
	{ "Digest realm=\"d\", qop=\"auth,auth-int\", nonce=\"n\", Basic realm=\"b\"",
	  "basic", "b", NULL, NULL, NULL },
	/* unknown params are ignored, the last of a repeated one counts */
	{ "Bearer foo=bar, realm=\"https://a\", realm=\"https://b\", x=\"\"",
	  "bearer", "https://b", NULL, NULL, NULL },
	/* leading and doubled commas (empty list elements) are allowed */
	{ ", ,Basic realm=x,, ", "basic", "x", NULL, NULL, NULL },
	/* a sloppy server's missing comma between params */
	{ "Bearer realm=\"https://a\" service=\"s\"", "bearer", "https://a", "s", NULL, NULL },
	/* a Bearer without realm cannot be answered; Basic can */
	{ "Bearer service=s, Basic", "basic", NULL, NULL, NULL, NULL },
	{ "Bearer realm=\"\", Basic", "basic", NULL, NULL, NULL, NULL },
	/* UTF-8 in a quoted string (obs-text) */
	{ "Basic realm=\"caf\xc3\xa9\"", "basic", "caf\xc3\xa9", NULL, NULL, NULL },
};

static const struct {
	const char *value, *what;
} bad[] = {
	{ "", "no Basic or Bearer" },
	{ "  ,  ", "no Basic or Bearer" },
	{ "Negotiate", "no Basic or Bearer" },
	{ "Bearer service=s", "without a realm" },
	{ "Bearer realm=\"https://unterminated", "unterminated" },
	{ "Bearer realm=\"a\\", "unterminated" },
	{ "Bearer realm=\"a\x01\"", "control character" },
	{ "Bearer realm=\"a\\\x01\"", "bad escape" },
	{ "Bearer realm=\"a\"x", "unexpected character" },
	{ "=x", "expected an auth scheme" },
	/* "realm=" is a token68 there, so no realm */
	{ "Bearer realm=", "without a realm" },
	{ "\"Bearer\"", "expected an auth scheme" },
	{ "Bearer @@", "expected auth-params" },
	{ "Basic realm=\"a\" ;", "unexpected character" },
};

static void check_field(const char *value, const char *name, const char *got, const char *want)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got))
		fail_msg("'%s': %s is '%s', expected '%s'", value, name, got ? got : "(null)",
			 want ? want : "(null)");
}

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct reg_challenge c = REG_CHALLENGE_INIT;
		struct kerr err = KERR_INIT;
		const struct want *w = &good[i];

		if (reg_challenge_parse(w->value, &c, &err) < 0)
			fail_msg("'%s': %s", w->value, err.msg);
		check_field(w->value, "scheme", c.scheme, w->scheme);
		check_field(w->value, "realm", c.realm, w->realm);
		check_field(w->value, "service", c.service, w->service);
		check_field(w->value, "scope", c.scope, w->scope);
		check_field(w->value, "error", c.error, w->error);
		reg_challenge_clear(&c);
		assert_null(c.scheme);
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct reg_challenge c = REG_CHALLENGE_INIT;
		struct kerr err = KERR_INIT;

		if (reg_challenge_parse(bad[i].value, &c, &err) == 0)
			fail_msg("'%s' parsed as %s", bad[i].value, c.scheme);
		if (!err.msg || !strstr(err.msg, bad[i].what))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].value, err.msg, bad[i].what);
		assert_int_equal(kerr_exit_code(&err), 2);
		assert_null(c.scheme);
		assert_null(c.realm);
		kerr_clear(&err);
	}
}

/* a parse replaces what c held before */
static void test_reuse(void **state)
{
	struct reg_challenge c = REG_CHALLENGE_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	must(reg_challenge_parse("Bearer realm=\"https://a\",scope=s", &c, &err), &err);
	must(reg_challenge_parse("Basic", &c, &err), &err);
	assert_string_equal(c.scheme, "basic");
	assert_null(c.scope);
	reg_challenge_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
