/* test-http-url.c: URLs as the registry client parses, resolves and prints
 * them, and which proxy HTTP(S)_PROXY and NO_PROXY pick for a URL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http.h"
#include "util/xalloc.h"

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		const char *scheme, *host, *port, *target, *string, *authority;
	} cases[] = {
		{ "https://registry-1.docker.io/v2/", "https", "registry-1.docker.io", "443", "/v2/",
		  "https://registry-1.docker.io/v2/", "registry-1.docker.io:443" },
		{ "HTTP://Reg.Example:5000", "http", "reg.example", "5000", "/",
		  "http://reg.example:5000/", "reg.example:5000" },
		{ "http://h:80/x?a=b#frag", "http", "h", "80", "/x?a=b", "http://h/x?a=b", "h:80" },
		{ "http://h?q", "http", "h", "80", "/?q", "http://h/?q", "h:80" },
		{ "https://h:/x", "https", "h", "443", "/x", "https://h/x", "h:443" },
		{ "https://h:0443/x", "https", "h", "443", "/x", "https://h/x", "h:443" },
		{ "https://[::1]:5000/v2/", "https", "::1", "5000", "/v2/", "https://[::1]:5000/v2/",
		  "[::1]:5000" },
		{ "http://[FE80::1]/", "http", "FE80::1", "80", "/", "http://[FE80::1]/",
		  "[FE80::1]:80" },
		{ "http://127.0.0.1:65535/a/../b", "http", "127.0.0.1", "65535", "/a/../b",
		  "http://127.0.0.1:65535/a/../b", "127.0.0.1:65535" },
		/* bytes beyond ASCII are escaped for the request line */
		{ "http://h/\xc3\xa9t\xc3\xa9", "http", "h", "80", "/%C3%A9t%C3%A9",
		  "http://h/%C3%A9t%C3%A9", "h:80" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_url u = HTTP_URL_INIT;
		struct kerr err = KERR_INIT;
		char *s;

		if (http_url_parse(cases[i].in, &u, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_string_equal(u.scheme, cases[i].scheme);
		assert_string_equal(u.host, cases[i].host);
		assert_string_equal(u.port, cases[i].port);
		assert_string_equal(u.target, cases[i].target);
		s = http_url_string(&u);
		assert_string_equal(s, cases[i].string);
		free(s);
		s = http_url_authority(&u, false);
		assert_string_equal(s, cases[i].authority);
		free(s);
		http_url_clear(&u);
		assert_null(u.host);
	}
}

static void test_parse_refused(void **state)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "", "is not an absolute http or https URL" },
		{ "reg:5000/v2/", "is not an absolute http or https URL" },
		{ "/v2/", "is not an absolute http or https URL" },
		{ "ftp://h/", "unsupported scheme 'ftp'" },
		{ "https:/h/", "is not an absolute" },
		{ "https:///x", "bad host name" },
		{ "https://:443/x", "bad host name" },
		{ "https://user:pw@h/", "user names do not belong in URLs" },
		{ "https://h x/", "bad host name" },
		{ "https://h%41/", "bad host name" },
		{ "https://h:99999/", "bad port" },
		{ "https://h:0/", "bad port" },
		{ "https://h:12a/", "bad port" },
		{ "https://[::1/", "unterminated '['" },
		{ "https://[::g]/", "bad IPv6 address" },
		{ "https://[::1]x/", "bad host" },
		{ "https://h/a b", "blanks or control bytes" },
		{ "https://h/a\r\nHost: evil", "blanks or control bytes" },
		{ "https://h/\x7f", "blanks or control bytes" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_url u = HTTP_URL_INIT;
		struct kerr err = KERR_INIT;

		if (http_url_parse(cases[i].in, &u, &err) == 0)
			fail_msg("case %zu accepted: %s", i, cases[i].in);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].msg);
		assert_int_equal(err.kind, KERR_INPUT);
		assert_null(u.scheme);
		kerr_clear(&err);
	}
	/* messages never carry control bytes */
	{
		struct http_url u = HTTP_URL_INIT;
		struct kerr err = KERR_INIT;

		assert_int_equal(http_url_parse("ht\ntp://x", &u, &err), -1);
		assert_string_equal(err.msg, "'ht?tp://x' is not an absolute http or https URL");
		kerr_clear(&err);
	}
}

static void test_resolve(void **state)
{
	/* RFC 3986 5.4's examples, on an http(s) base */
	static const struct {
		const char *ref, *want;
	} cases[] = {
		{ "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" },
		{ "//g", "http://g/" },
		{ "//g:81/x", "http://g:81/x" },
		{ "?y", "http://a/b/c/d;p?y" },
		{ "g?y", "http://a/b/c/g?y" },
		{ "#s", "http://a/b/c/d;p?q" },
		{ "g#s", "http://a/b/c/g" },
		{ ";x", "http://a/b/c/;x" },
		{ "", "http://a/b/c/d;p?q" },
		{ ".", "http://a/b/c/" },
		{ "./", "http://a/b/c/" },
		{ "..", "http://a/b/" },
		{ "../", "http://a/b/" },
		{ "../g", "http://a/b/g" },
		{ "../..", "http://a/" },
		{ "../../g", "http://a/g" },
		{ "../../../g", "http://a/g" },
		{ "/./g", "http://a/g" },
		{ "/../g", "http://a/g" },
		{ "g.", "http://a/b/c/g." },
		{ "..g", "http://a/b/c/..g" },
		{ "./../g", "http://a/b/g" },
		{ "g/./h", "http://a/b/c/g/h" },
		{ "g/../h", "http://a/b/c/h" },
		{ "g;x=1/../y", "http://a/b/c/y" },
		{ "g?y/./x", "http://a/b/c/g?y/./x" },
		/* what registries send: S3 and CDN URLs, another port, a downgrade */
		{ "https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc",
		  "https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc" },
		{ "http://a:5001/v2/x", "http://a:5001/v2/x" },
		{ "HTTPS://A/x", "https://a/x" },
	};
	struct http_url base = HTTP_URL_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(http_url_parse("http://a/b/c/d;p?q", &base, &err), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_url u = HTTP_URL_INIT;
		char *s;

		if (http_url_resolve(&base, cases[i].ref, &u, &err) < 0)
			fail_msg("case %zu '%s': %s", i, cases[i].ref, err.msg);
		s = http_url_string(&u);
		if (strcmp(s, cases[i].want))
			fail_msg("case %zu '%s': %s, want %s", i, cases[i].ref, s, cases[i].want);
		free(s);
		http_url_clear(&u);
	}
	/* the base's scheme and port carry over */
	http_url_clear(&base);
	assert_int_equal(http_url_parse("https://[::1]:5000/v2/x/blobs/y", &base, &err), 0);
	{
		struct http_url u = HTTP_URL_INIT;
		char *s;

		assert_int_equal(http_url_resolve(&base, "/v2/x/blobs/uploads/1?_state=a",
						  &u, &err), 0);
		s = http_url_string(&u);
		assert_string_equal(s, "https://[::1]:5000/v2/x/blobs/uploads/1?_state=a");
		free(s);
		http_url_clear(&u);
		assert_int_equal(http_url_resolve(&base, "ftp://x/", &u, &err), -1);
		assert_non_null(strstr(err.msg, "unsupported scheme"));
		kerr_clear(&err);
		assert_int_equal(http_url_resolve(&base, "//user@h/", &u, &err), -1);
		kerr_clear(&err);
	}
	http_url_clear(&base);
}

/* the proxy http_proxy_for picks for url, "" for none */
static char *proxy(const char *url)
{
	struct http_url u = HTTP_URL_INIT;
	struct kerr err = KERR_INIT;
	char *p;

	if (http_url_parse(url, &u, &err) < 0)
		fail_msg("%s", err.msg);
	p = http_proxy_for(&u);
	http_url_clear(&u);
	return p ? p : xstrdup("");
}

static void clear_env(void)
{
	static const char *const names[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
		"HTTPS_PROXY", "no_proxy", "NO_PROXY", "REQUEST_METHOD" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		unsetenv(names[i]);
}

#define assert_proxy(url, want) do { \
	char *p_ = proxy(url); \
	if (strcmp(p_, want)) \
		fail_msg("%s: proxy '%s', want '%s'", url, p_, want); \
	free(p_); \
} while (0)

static void test_proxy_env(void **state)
{
	(void)state;
	clear_env();
	assert_proxy("https://reg.example/", "");
	setenv("HTTPS_PROXY", "http://upper:3128", 1);
	setenv("HTTP_PROXY", "http://plain:3128", 1);
	assert_proxy("https://reg.example/", "http://upper:3128");
	assert_proxy("http://reg.example/", "http://plain:3128");
	/* lowercase first; an empty one counts as unset */
	setenv("https_proxy", "lower:3128", 1);
	assert_proxy("https://reg.example/", "lower:3128");
	setenv("https_proxy", "", 1);
	assert_proxy("https://reg.example/", "http://upper:3128");
	/* httpoxy: under CGI, HTTP_PROXY may come from a request header */
	setenv("REQUEST_METHOD", "GET", 1);
	assert_proxy("http://reg.example/", "");
	setenv("http_proxy", "http://lower:3128", 1);
	assert_proxy("http://reg.example/", "http://lower:3128");
	/* loopback is never proxied */
	assert_proxy("http://localhost:5000/", "");
	assert_proxy("http://127.0.0.2:5000/", "");
	assert_proxy("https://[::1]:5000/", "");
	assert_proxy("https://[::ffff:127.0.0.1]:5000/", "");
	assert_proxy("https://localhost.example:5000/", "http://upper:3128");
	clear_env();
}

static void test_no_proxy(void **state)
{
	static const struct {
		const char *no_proxy, *url;
		bool direct;
	} cases[] = {
		{ "*", "https://anything.example/", true },
		{ " * ", "https://anything.example/", true },
		{ "example.com", "https://example.com/", true },
		{ "example.com", "https://reg.example.com/", true },
		{ "example.com", "https://badexample.com/", false },
		{ "EXAMPLE.com.", "https://a.example.com/", true },
		{ ".example.com", "https://reg.example.com/", true },
		{ ".example.com", "https://example.com/", false },
		{ "*.example.com", "https://reg.example.com/", true },
		{ "*.example.com", "https://example.com/", false },
		{ "other.org, example.com", "https://x.example.com/", true },
		{ "other.org,,example.com ,", "https://x.example.com/", true },
		{ "other.org", "https://x.example.com/", false },
		{ "example.com:5000", "https://example.com:5000/", true },
		{ "example.com:5000", "https://example.com/", false },
		{ "example.com:443", "https://example.com/", true },
		{ "10.1.2.3", "http://10.1.2.3:5000/", true },
		{ "10.1.2.3", "http://10.1.2.4:5000/", false },
		{ "10.1.2.3:5000", "http://10.1.2.3:5000/", true },
		{ "10.1.2.3:5001", "http://10.1.2.3:5000/", false },
		{ "10.0.0.0/8", "http://10.200.3.4/", true },
		{ "10.0.0.0/8", "http://11.0.0.1/", false },
		{ "192.168.0.0/23", "http://192.168.1.77/", true },
		{ "192.168.0.0/23", "http://192.168.2.1/", false },
		{ "0.0.0.0/0", "http://8.8.8.8/", true },
		{ "10.0.0.0/8", "http://ten.example/", false },
		{ "10.0.0.0/33", "http://10.0.0.1/", false },
		{ "fd00::/8", "https://[fd12::1]/", true },
		{ "fd00::/8", "https://[fe80::1]/", false },
		{ "2001:db8::5", "https://[2001:db8::5]:5000/", true },
		{ "[2001:db8::5]", "https://[2001:db8::5]:5000/", true },
		{ "[2001:db8::5]:5000", "https://[2001:db8::5]:5000/", true },
		{ "[2001:db8::5]:5001", "https://[2001:db8::5]:5000/", false },
		{ "2001:db8::/32", "https://10.0.0.1/", false },
	};

	(void)state;
	clear_env();
	setenv("https_proxy", "http://p:3128", 1);
	setenv("http_proxy", "http://p:3128", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *p;

		setenv(i % 2 ? "no_proxy" : "NO_PROXY", cases[i].no_proxy, 1);
		p = proxy(cases[i].url);
		if (!*p != cases[i].direct)
			fail_msg("case %zu: NO_PROXY='%s' %s: proxy '%s'", i, cases[i].no_proxy,
				 cases[i].url, p);
		free(p);
		unsetenv("no_proxy");
		unsetenv("NO_PROXY");
	}
	/* lowercase no_proxy first */
	setenv("no_proxy", "a.example", 1);
	setenv("NO_PROXY", "b.example", 1);
	assert_proxy("https://a.example/", "");
	assert_proxy("https://b.example/", "http://p:3128");
	clear_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_proxy_env),
		cmocka_unit_test(test_no_proxy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
