/* test-creds.c: stored credentials: the order of the four files, docker's
 * keys for Docker Hub, helpers skipped, bad files named, kiln login's
 * writes that keep what else the file holds. */
#include <mbedtls/base64.h>

#include "registry/authtest.h"

/* {"auth": base64(user:pass)} */
static char *entry(const char *user, const char *pass)
{
	char plain[256], enc[400];
	size_t olen;

	snprintf(plain, sizeof(plain), "%s:%s", user, pass);
	assert_int_equal(mbedtls_base64_encode((unsigned char *)enc, sizeof(enc), &olen,
					       (unsigned char *)plain, strlen(plain)), 0);
	enc[olen] = '\0';
	return xasprintf("{\"auth\":\"%s\"}", enc);
}

/* a file naming one registry */
static void put_creds(const char *root, const char *rel, const char *key, const char *user)
{
	char *e = entry(user, "pw-of-"), *s = xasprintf("{\"auths\":{\"%s\":%s}}", key, e);

	put_at(root, rel, s);
	free(e);
	free(s);
}

static char *who(const char *registry)
{
	struct reg_creds c = REG_CREDS_INIT;
	struct kerr err = KERR_INIT;
	char *s;

	must(reg_creds_lookup(registry, &c, &err), &err);
	if (!c.username) {
		assert_null(c.source);
		return xstrdup("-");
	}
	assert_string_equal(c.password, "pw-of-");
	s = xasprintf("%s %s", c.username, strrchr(c.source, '/') ? c.source : "?");
	reg_creds_clear(&c);
	return s;
}

#define assert_who(root, registry, user, rel) do { \
	char *got_ = who(registry), *want_ = xasprintf("%s %s/%s", user, root, rel); \
	assert_string_equal(got_, want_); \
	free(got_); \
	free(want_); \
} while (0)

static void test_lookup_order(void **state)
{
	char *root = auth_env(), *s;

	(void)state;
	s = who("reg:5000");
	assert_string_equal(s, "-");
	free(s);
	unsetenv("DOCKER_CONFIG");
	put_creds(root, "home/.docker/config.json", "reg:5000", "home-docker");
	assert_who(root, "reg:5000", "home-docker", "home/.docker/config.json");
	/* DOCKER_CONFIG replaces ~/.docker, even when it has no file */
	s = xasprintf("%s/docker", root);
	setenv("DOCKER_CONFIG", s, 1);
	free(s);
	s = who("reg:5000");
	assert_string_equal(s, "-");
	free(s);
	put_creds(root, "docker/config.json", "reg:5000", "docker");
	assert_who(root, "reg:5000", "docker", "docker/config.json");
	put_creds(root, "xdg/containers/auth.json", "reg:5000", "containers");
	assert_who(root, "reg:5000", "containers", "xdg/containers/auth.json");
	put_creds(root, "run/containers/auth.json", "reg:5000", "runtime");
	assert_who(root, "reg:5000", "runtime", "run/containers/auth.json");
	put_creds(root, "xdg/kiln/auth.json", "reg:5000", "kiln");
	assert_who(root, "reg:5000", "kiln", "xdg/kiln/auth.json");

	/* REGISTRY_AUTH_FILE stands in for kiln's file; the others stay */
	put_creds(root, "other.json", "reg:5000", "override");
	s = xasprintf("%s/other.json", root);
	setenv("REGISTRY_AUTH_FILE", s, 1);
	free(s);
	assert_who(root, "reg:5000", "override", "other.json");
	put_creds(root, "other.json", "elsewhere:1", "override");
	assert_who(root, "reg:5000", "runtime", "run/containers/auth.json");
	unsetenv("REGISTRY_AUTH_FILE");

	/* a file that names another registry passes the question on */
	put_creds(root, "xdg/kiln/auth.json", "reg:5001", "kiln");
	assert_who(root, "reg:5000", "runtime", "run/containers/auth.json");
	put_at(root, "run/containers/auth.json", NULL);
	assert_who(root, "reg:5000", "containers", "xdg/containers/auth.json");
	/* without XDG_CONFIG_HOME, ~/.config is the config folder */
	unsetenv("XDG_CONFIG_HOME");
	put_creds(root, "home/.config/containers/auth.json", "reg:5000", "dot-config");
	assert_who(root, "reg:5000", "dot-config", "home/.config/containers/auth.json");
	tmpdir_remove(root);
}

static void test_docker_hub_keys(void **state)
{
	char *root = auth_env();

	(void)state;
	put_creds(root, "docker/config.json", "https://index.docker.io/v1/", "hub");
	assert_who(root, "docker.io", "hub", "docker/config.json");
	assert_who(root, "index.docker.io", "hub", "docker/config.json");
	/* keys with a scheme or a path name their host */
	put_creds(root, "xdg/containers/auth.json", "https://reg:5000", "scheme");
	assert_who(root, "reg:5000", "scheme", "xdg/containers/auth.json");
	put_creds(root, "xdg/containers/auth.json", "http://reg:5000/v2/", "scheme");
	assert_who(root, "reg:5000", "scheme", "xdg/containers/auth.json");
	put_creds(root, "xdg/containers/auth.json", "reg:5000/team/app", "path");
	assert_who(root, "reg:5000", "path", "xdg/containers/auth.json");
	{
		char *s = who("reg:50");

		assert_string_equal(s, "-");
		free(s);
		s = who("reg");
		assert_string_equal(s, "-");
		free(s);
	}
	/* the key as written wins over another spelling in the same file */
	{
		char *a = entry("alias", "pw-of-"), *b = entry("exact", "pw-of-");
		char *s = xasprintf("{\"auths\":{\"https://index.docker.io/v1/\":%s,"
				    "\"docker.io\":%s}}", a, b);

		put_at(root, "xdg/kiln/auth.json", s);
		assert_who(root, "docker.io", "exact", "xdg/kiln/auth.json");
		free(a);
		free(b);
		free(s);
	}
	tmpdir_remove(root);
}

static void test_helpers_skipped(void **state)
{
	char *root = auth_env();
	char *s;

	(void)state;
	put_creds(root, "docker/config.json", "reg:5000", "docker");
	/* a helper for the registry: that file is passed over */
	put_at(root, "run/containers/auth.json",
	       "{\"auths\":{\"reg:5000\":{\"auth\":\"eDp5\"}},\"credHelpers\":{\"reg:5000\":\"pass\"}}");
	assert_who(root, "reg:5000", "docker", "docker/config.json");
	/* docker with credsStore leaves empty entries behind */
	put_at(root, "xdg/kiln/auth.json",
	       "{\"auths\":{\"reg:5000\":{}},\"credsStore\":\"desktop\"}");
	assert_who(root, "reg:5000", "docker", "docker/config.json");
	/* a helper for another registry changes nothing */
	put_at(root, "run/containers/auth.json",
	       "{\"auths\":{\"reg:5000\":{\"auth\":\"eDpwdy1vZi0=\"}},"
	       "\"credHelpers\":{\"gcr.io\":\"gcloud\"}}");
	s = who("reg:5000");
	assert_string_equal(s + strlen(s) - strlen("run/containers/auth.json"),
			    "run/containers/auth.json");
	assert_memory_equal(s, "x ", 2);
	free(s);
	tmpdir_remove(root);
}

static void expect_error(const char *root, const char *rel, const char *content,
			 const char *what)
{
	struct reg_creds c = REG_CREDS_INIT;
	struct kerr err = KERR_INIT;
	char *path = xasprintf("%s/%s", root, rel);

	put_at(root, rel, content);
	assert_int_equal(reg_creds_lookup("reg:5000", &c, &err), -1);
	assert_non_null(err.msg);
	if (!strstr(err.msg, path) || !strstr(err.msg, what))
		fail_msg("'%s' does not name '%s' and '%s'", err.msg, path, what);
	assert_int_equal(kerr_exit_code(&err), 2);
	assert_null(c.username);
	assert_null(c.source);
	kerr_clear(&err);
	put_at(root, rel, NULL);
	free(path);
}

static void test_bad_files(void **state)
{
	char *root = auth_env();

	(void)state;
	expect_error(root, "xdg/kiln/auth.json", "{\"auths\":", "invalid JSON");
	expect_error(root, "docker/config.json", "[]", "not a JSON object");
	expect_error(root, "run/containers/auth.json", "{\"auths\":[]}", "'auths'");
	expect_error(root, "run/containers/auth.json", "{\"auths\":{\"reg:5000\":3}}",
		     "entry 'reg:5000'");
	expect_error(root, "run/containers/auth.json",
		     "{\"auths\":{\"reg:5000\":{\"auth\":\"%%%\"}}}", "not base64");
	/* base64 of "alice", no colon */
	expect_error(root, "xdg/containers/auth.json",
		     "{\"auths\":{\"reg:5000\":{\"auth\":\"YWxpY2U=\"}}}", "user:password");
	/* an earlier file that names the registry hides a later broken one */
	put_creds(root, "xdg/kiln/auth.json", "reg:5000", "kiln");
	put_at(root, "docker/config.json", "garbage");
	assert_who(root, "reg:5000", "kiln", "xdg/kiln/auth.json");
	tmpdir_remove(root);
}

static void test_identity_token(void **state)
{
	char *root = auth_env();
	struct reg_creds c = REG_CREDS_INIT, in = REG_CREDS_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	put_at(root, "docker/config.json",
	       "{\"auths\":{\"reg:5000\":{\"auth\":\"PHRva2VuPjo=\",\"identitytoken\":\"rt-1\"}}}");
	must(reg_creds_lookup("reg:5000", &c, &err), &err);
	assert_string_equal(c.username, "<token>");
	assert_string_equal(c.password, "");
	assert_string_equal(c.identity_token, "rt-1");
	reg_creds_clear(&c);
	/* stored and read back */
	in.username = "bob";
	in.password = "";
	in.identity_token = "rt-2";
	must(reg_creds_store("tok:1", &in, &err), &err);
	must(reg_creds_lookup("tok:1", &c, &err), &err);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.identity_token, "rt-2");
	reg_creds_clear(&c);
	tmpdir_remove(root);
}

static void test_store_remove(void **state)
{
	char *root = auth_env(), *s, *path;
	struct reg_creds c = REG_CREDS_INIT, in = REG_CREDS_INIT;
	struct kerr err = KERR_INIT;
	struct stat st;

	(void)state;
	/* a new file and folder */
	in.username = "alice";
	in.password = "s3cr:et";
	must(reg_creds_store("reg:5000", &in, &err), &err);
	path = xasprintf("%s/xdg/kiln/auth.json", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	s = xasprintf("%s/xdg/kiln", root);
	assert_int_equal(stat(s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	free(s);
	must(reg_creds_lookup("reg:5000", &c, &err), &err);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "s3cr:et");
	assert_string_equal(c.source, path);
	assert_null(c.identity_token);
	reg_creds_clear(&c);

	/* other entries and keys survive a store and a remove; a 0644 file
	 * comes back 0600 */
	put_at(root, "xdg/kiln/auth.json",
	       "{\"auths\":{\"a:1\":{\"auth\":\"eDp5\",\"email\":\"x@y\"},"
	       "\"reg:5000\":{\"auth\":\"eDp5\"},\"z:2\":{\"auth\":\"eDp6\"}},"
	       "\"credHelpers\":{\"gcr.io\":\"gcloud\"},\"n\":12}");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	in.username = "carol";
	in.password = "pw";
	must(reg_creds_store("reg:5000", &in, &err), &err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	must(reg_creds_lookup("reg:5000", &c, &err), &err);
	assert_string_equal(c.username, "carol");
	reg_creds_clear(&c);
	must(reg_creds_lookup("a:1", &c, &err), &err);
	assert_string_equal(c.username, "x");
	assert_string_equal(c.password, "y");
	reg_creds_clear(&c);
	s = get_at(root, "xdg/kiln/auth.json");
	/* in place, between the two others */
	assert_non_null(strstr(s, "\"a:1\""));
	assert_true(strstr(s, "\"a:1\"") < strstr(s, "\"reg:5000\""));
	assert_true(strstr(s, "\"reg:5000\"") < strstr(s, "\"z:2\""));
	assert_non_null(strstr(s, "\"email\":\t\"x@y\""));
	assert_non_null(strstr(s, "\"gcloud\""));
	assert_non_null(strstr(s, "\"n\":\t12"));
	assert_null(strstr(s, "pw"));
	free(s);

	assert_int_equal(reg_creds_remove("reg:5000", &err), 0);
	assert_int_equal(reg_creds_remove("reg:5000", &err), 1);
	s = who("reg:5000");
	assert_string_equal(s, "-");
	free(s);
	s = get_at(root, "xdg/kiln/auth.json");
	assert_non_null(strstr(s, "\"a:1\""));
	assert_non_null(strstr(s, "\"z:2\""));
	assert_non_null(strstr(s, "\"gcloud\""));
	free(s);
	/* docker's spellings go too, so that nothing is left to log in with */
	put_creds(root, "xdg/kiln/auth.json", "https://index.docker.io/v1/", "hub");
	assert_int_equal(reg_creds_remove("docker.io", &err), 0);
	s = who("docker.io");
	assert_string_equal(s, "-");
	free(s);
	/* no file at all */
	put_at(root, "xdg/kiln/auth.json", NULL);
	assert_int_equal(reg_creds_remove("reg:5000", &err), 1);
	assert_int_equal(access(path, F_OK), -1);
	/* a broken file is not overwritten */
	put_at(root, "xdg/kiln/auth.json", "{");
	assert_int_equal(reg_creds_store("reg:5000", &in, &err), -1);
	assert_non_null(strstr(err.msg, path));
	kerr_clear(&err);
	s = get_at(root, "xdg/kiln/auth.json");
	assert_string_equal(s, "{");
	free(s);
	free(path);

	/* REGISTRY_AUTH_FILE is where logins go when it is set */
	path = xasprintf("%s/elsewhere/auth.json", root);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	must(reg_creds_store("reg:5000", &in, &err), &err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	unsetenv("REGISTRY_AUTH_FILE");
	free(path);
	tmpdir_remove(root);
}

static void test_auth_file(void **state)
{
	char *root = auth_env(), *p, *want;
	struct kerr err = KERR_INIT;

	(void)state;
	p = reg_auth_file(&err);
	want = xasprintf("%s/xdg/kiln/auth.json", root);
	assert_string_equal(p, want);
	free(p);
	free(want);
	unsetenv("XDG_CONFIG_HOME");
	p = reg_auth_file(&err);
	want = xasprintf("%s/home/.config/kiln/auth.json", root);
	assert_string_equal(p, want);
	free(p);
	free(want);
	setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
	p = reg_auth_file(&err);
	assert_string_equal(p, "/x/auth.json");
	free(p);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("HOME");
	assert_null(reg_auth_file(&err));
	assert_non_null(strstr(err.msg, "REGISTRY_AUTH_FILE"));
	kerr_clear(&err);
	tmpdir_remove(root);
}

static void test_parse_and_header(void **state)
{
	struct reg_creds c = REG_CREDS_INIT;
	struct kerr err = KERR_INIT;
	char *h;

	(void)state;
	must(reg_creds_parse("alice:pa:ss", &c, &err), &err);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "pa:ss");
	assert_null(c.source);
	must(reg_creds_parse("bob", &c, &err), &err);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.password, "");
	must(reg_creds_parse("eve:", &c, &err), &err);
	assert_string_equal(c.password, "");
	reg_creds_clear(&c);
	assert_int_equal(reg_creds_parse("", &c, &err), -1);
	assert_int_equal(kerr_exit_code(&err), 2);
	assert_int_equal(reg_creds_parse(":secret", &c, &err), -1);
	assert_null(strstr(err.msg, "secret"));
	kerr_clear(&err);

	/* RFC 7617's example */
	c.username = xstrdup("Aladdin");
	c.password = xstrdup("open sesame");
	h = reg_basic_header(&c);
	assert_string_equal(h, "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	free(h);
	reg_creds_clear(&c);
	assert_null(reg_basic_header(&c));
	assert_null(reg_basic_header(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_order),
		cmocka_unit_test(test_docker_hub_keys),
		cmocka_unit_test(test_helpers_skipped),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_identity_token),
		cmocka_unit_test(test_store_remove),
		cmocka_unit_test(test_auth_file),
		cmocka_unit_test(test_parse_and_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
