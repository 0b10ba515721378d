/* test-certs.c: TLS files per registry from the certs.d folders, first
 * folder wins, client pairs checked; the insecure-registries list. */
#include "registry/authtest.h"

/* http_tls_clear belongs to the HTTP client; these tests need only this */
static void tls_free(struct http_tls *t)
{
	strvec_clear(&t->ca_files);
	free(t->cert_file);
	free(t->key_file);
	*t = (struct http_tls)HTTP_TLS_INIT;
}

/* "verify ca,ca cert key" with names relative to root */
static char *tls_string(const char *root, const struct http_tls *t)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(root) + 1;

	strbuf_addstr(&sb, t->verify ? "verify" : "noverify");
	for (size_t i = 0; i < t->ca_files.n; i++) {
		assert_memory_equal(t->ca_files.v[i], root, n - 1);
		strbuf_addf(&sb, "%c%s", i ? ',' : ' ', t->ca_files.v[i] + n);
	}
	if (t->cert_file) {
		assert_non_null(t->key_file);
		strbuf_addf(&sb, " %s %s", t->cert_file + n, t->key_file + n);
	} else {
		assert_null(t->key_file);
	}
	return strbuf_detach(&sb, NULL);
}

static void expect_tls(const char *root, const char *registry, bool insecure, const char *want)
{
	struct http_tls t = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	char *s;

	must(reg_tls_files(registry, insecure, &t, &err), &err);
	s = tls_string(root, &t);
	assert_string_equal(s, want);
	free(s);
	tls_free(&t);
}

#define REG "kiln-unit.test:5000"

static void test_tls_files(void **state)
{
	char *root = auth_env();
	struct http_tls t = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	expect_tls(root, REG, false, "verify");
	expect_tls(root, REG, true, "noverify");

	put_at(root, "home/.config/containers/certs.d/" REG "/ca.crt", "x");
	expect_tls(root, REG, false, "verify home/.config/containers/certs.d/" REG "/ca.crt");

	put_at(root, "xdg/kiln/certs.d/" REG "/z.crt", "x");
	put_at(root, "xdg/kiln/certs.d/" REG "/ca.crt", "x");
	put_at(root, "xdg/kiln/certs.d/" REG "/client.cert", "x");
	put_at(root, "xdg/kiln/certs.d/" REG "/client.key", "x");
	put_at(root, "xdg/kiln/certs.d/" REG "/README", "x");
	expect_tls(root, REG, true,
		   "noverify xdg/kiln/certs.d/" REG "/ca.crt,xdg/kiln/certs.d/" REG "/z.crt "
		   "xdg/kiln/certs.d/" REG "/client.cert xdg/kiln/certs.d/" REG "/client.key");
	/* another registry, or the same host on another port, has none */
	expect_tls(root, "kiln-unit.test:5001", false, "verify");
	expect_tls(root, "kiln-unit.test", false, "verify");

	/* an existing folder wins even when it is empty */
	put_at(root, "xdg/kiln/certs.d/" REG "/z.crt", NULL);
	put_at(root, "xdg/kiln/certs.d/" REG "/ca.crt", NULL);
	put_at(root, "xdg/kiln/certs.d/" REG "/client.cert", NULL);
	put_at(root, "xdg/kiln/certs.d/" REG "/client.key", NULL);
	put_at(root, "xdg/kiln/certs.d/" REG "/README", NULL);
	expect_tls(root, REG, false, "verify");

	/* without XDG_CONFIG_HOME kiln's folder is under ~/.config */
	unsetenv("XDG_CONFIG_HOME");
	put_at(root, "home/.config/kiln/certs.d/" REG "/a.crt", "x");
	expect_tls(root, REG, false, "verify home/.config/kiln/certs.d/" REG "/a.crt");

	/* a half pair is an error naming the file */
	put_at(root, "home/.config/kiln/certs.d/" REG "/me.cert", "x");
	assert_int_equal(reg_tls_files(REG, false, &t, &err), -1);
	assert_non_null(strstr(err.msg, "certs.d/" REG "/me.cert"));
	assert_non_null(strstr(err.msg, "me.key"));
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
	tls_free(&t);
	put_at(root, "home/.config/kiln/certs.d/" REG "/me.cert", NULL);
	put_at(root, "home/.config/kiln/certs.d/" REG "/me.key", "x");
	assert_int_equal(reg_tls_files(REG, false, &t, &err), -1);
	assert_non_null(strstr(err.msg, "certs.d/" REG "/me.key"));
	assert_non_null(strstr(err.msg, "me.cert"));
	kerr_clear(&err);
	tls_free(&t);

	/* a name that would leave the folder */
	assert_int_equal(reg_tls_files("../x", false, &t, &err), -1);
	assert_int_equal(reg_tls_files("a/b", false, &t, &err), -1);
	assert_int_equal(reg_tls_files("", false, &t, &err), -1);
	kerr_clear(&err);
	tls_free(&t);
	tmpdir_remove(root);
}

static const struct {
	const char *registry;
	int want;
} cases[] = {
	{ "reg.test:5000", 1 },
	{ "REG.test:5000", 1 },
	{ "reg.test:5001", 0 },
	{ "reg.test", 0 },
	{ "plain.test", 1 },
	{ "plain.test:8080", 1 },
	{ "old.test:7000", 1 },
	{ "old.test:7001", 0 },
	{ "10.1.2.3:5000", 1 },
	{ "10.1.2.3", 1 },
	{ "10.2.0.1:5000", 0 },
	{ "192.168.7.255:1", 1 },
	{ "192.168.4.0", 1 },
	{ "192.168.8.0", 0 },
	{ "192.168.3.255", 0 },
	{ "[fd00::1]:5000", 1 },
	{ "[fe80::1]:5000", 0 },
	{ "[::1]:5001", 1 },
	{ "[::1]:5002", 0 },
	{ "localhost:5000", 1 },	/* by its address, in 127.0.0.0/8 */
	{ "other.test", 0 },
};

static void test_insecure(void **state)
{
	char *root = auth_env();
	struct kerr err = KERR_INIT;

	(void)state;
	/* no file: nothing is insecure */
	assert_int_equal(reg_insecure("reg.test:5000", &err), 0);
	put_at(root, "xdg/kiln/config.json", "{\"other\": true}");
	assert_int_equal(reg_insecure("reg.test:5000", &err), 0);
	put_at(root, "xdg/kiln/config.json",
	       "{\"insecure-registries\": [\"reg.test:5000\", \"plain.test\", \"10.1.0.0/16\","
	       " \"192.168.4.0/22\", \"fd00::/8\", \"[::1]:5001\", \"http://old.test:7000/\","
	       " \"127.0.0.0/8\"], \"debug\": 1}");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = reg_insecure(cases[i].registry, &err);

		if (r != cases[i].want)
			fail_msg("'%s': %d, expected %d%s%s", cases[i].registry, r, cases[i].want,
				 err.msg ? ": " : "", err.msg ? err.msg : "");
	}
	tmpdir_remove(root);
}

static void expect_bad(const char *root, const char *content, const char *what)
{
	struct kerr err = KERR_INIT;
	char *path = xasprintf("%s/xdg/kiln/config.json", root);

	put_at(root, "xdg/kiln/config.json", content);
	assert_int_equal(reg_insecure("nothing.test", &err), -1);
	if (!err.msg || !strstr(err.msg, path) || !strstr(err.msg, what))
		fail_msg("'%s': '%s' does not name '%s' and '%s'", content, err.msg, path, what);
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
	free(path);
}

static void test_insecure_bad(void **state)
{
	char *root = auth_env();

	(void)state;
	expect_bad(root, "{\"insecure-registries\": [", "invalid JSON");
	expect_bad(root, "[\"reg:5000\"]", "not an object");
	expect_bad(root, "{\"insecure-registries\": \"reg:5000\"}", "expected an array");
	expect_bad(root, "{\"insecure-registries\": [1]}", "entry 0 is not a string");
	expect_bad(root, "{\"insecure-registries\": [\"10.0.0.0/33\"]}", "'10.0.0.0/33'");
	expect_bad(root, "{\"insecure-registries\": [\"a\", \"host/8\"]}", "'host/8'");
	expect_bad(root, "{\"insecure-registries\": [\"\"]}", "''");
	tmpdir_remove(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_files),
		cmocka_unit_test(test_insecure),
		cmocka_unit_test(test_insecure_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
