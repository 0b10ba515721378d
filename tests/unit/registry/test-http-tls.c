/* test-http-tls.c: https against an mbedtls server in a child, with
 * certificates openssl makes at test time: trusted, unknown CA, wrong
 * name, no verification, client certificates, a plain-HTTP server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "registry/http.h"
#include "registry/httptest.h"
#include "util/testutil.h"
#include "util/xalloc.h"

static char *dir;	/* the certificates: ca1, ca2, srv, srv2, other, client */
static char last_authority[128];

static char *file(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void run(const char *fmt, ...) KILN_PRINTF(1, 2);
static void run(const char *fmt, ...)
{
	va_list ap;
	char *cmd;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("failed: %s", cmd);
	free(cmd);
}

/* a CA, then a leaf it signs with the given extensions */
static void make_ca(const char *name)
{
	run("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout %s.key -out %s.crt -days 2 -subj /CN=kiln-test-%s "
	    "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
	    ">/dev/null 2>&1", dir, name, name, name);
}

static void make_leaf(const char *name, const char *ca, const char *ext)
{
	char *path = file("ext.cnf");
	FILE *f = fopen(path, "w");

	fprintf(f, "%s\n", ext);
	fclose(f);
	free(path);
	run("cd %s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout %s.key -out %s.csr -subj /CN=%s >/dev/null 2>&1 && "
	    "openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -set_serial %ld -days 2 "
	    "-extfile ext.cnf -out %s.crt >/dev/null 2>&1", dir, name, name, name, name, ca, ca,
	    (long)getpid() + (long)strlen(name), name);
}

static int setup(void **state)
{
	(void)state;
	if (system("openssl version >/dev/null 2>&1")) {
		fprintf(stderr, "openssl is not installed\n");
		return 0;
	}
	dir = tmpdir_make();
	make_ca("ca1");
	make_ca("ca2");
	make_leaf("srv", "ca1", "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
		  "extendedKeyUsage=serverAuth");
	make_leaf("srv2", "ca2", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
	make_leaf("other", "ca1", "subjectAltName=DNS:registry.example,DNS:*.registry.example\n"
		  "extendedKeyUsage=serverAuth");
	make_leaf("client", "ca1", "extendedKeyUsage=clientAuth");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

/* --- the server ------------------------------------------------------------ */

struct tls_srv {
	const char *cert;	/* "srv": srv.crt and srv.key */
	bool want_client;	/* ask for a client certificate signed by ca1 */
	int conns;		/* connections to serve */
};

static void serve_tls(struct srv_child *sc)
{
	const struct tls_srv *a = sc->arg;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt crt, ca;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	char *crt_path = xasprintf("%s/%s.crt", dir, a->cert);
	char *key_path = xasprintf("%s/%s.key", dir, a->cert);
	char *ca_path = file("ca1.crt");

	mbedtls_ssl_config_init(&conf);
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&ca);
	mbedtls_pk_init(&key);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	srv_check(!mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0), 20);
	srv_check(!mbedtls_x509_crt_parse_file(&crt, crt_path), 21);
	srv_check(!mbedtls_pk_parse_keyfile(&key, key_path, NULL), 22);
	srv_check(!mbedtls_x509_crt_parse_file(&ca, ca_path), 23);
	srv_check(!mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER,
					       MBEDTLS_SSL_TRANSPORT_STREAM,
					       MBEDTLS_SSL_PRESET_DEFAULT), 24);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	srv_check(!mbedtls_ssl_conf_own_cert(&conf, &crt, &key), 25);
	if (a->want_client) {
		mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
		mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	}
	for (int i = 0; i < a->conns; i++) {
		mbedtls_net_context net = { srv_accept(sc, 5000) };
		mbedtls_ssl_context ssl;
		char req[4096];
		size_t len = 0;

		srv_check(net.fd >= 0, 2);
		mbedtls_ssl_init(&ssl);
		srv_check(!mbedtls_ssl_setup(&ssl, &conf), 26);
		mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
		if (mbedtls_ssl_handshake(&ssl)) {
			/* as OpenSSL does: say why, then wait for the client to go */
			srv_report(sc, "handshake failed\n");
			mbedtls_ssl_send_alert_message(&ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
						       MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
			shutdown(net.fd, SHUT_WR);
			while (read(net.fd, req, sizeof(req)) > 0)
				;
		} else {
			srv_report(sc, "handshake\n");
			for (;;) {
				static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
				int n = mbedtls_ssl_read(&ssl, (unsigned char *)req + len,
							 sizeof(req) - len - 1);

				if (n <= 0)
					break;
				len += (size_t)n;
				req[len] = '\0';
				if (!strstr(req, "\r\n\r\n"))
					continue;
				srv_report(sc, "request\n");
				len = 0;
				srv_check(mbedtls_ssl_write(&ssl, (const unsigned char *)ok,
							    sizeof(ok) - 1) == sizeof(ok) - 1, 27);
			}
		}
		mbedtls_ssl_free(&ssl);
		mbedtls_net_free(&net);
	}
}

/* --- the client ------------------------------------------------------------ */

static const struct http_tls *tls_of(void *arg, const char *authority)
{
	snprintf(last_authority, sizeof(last_authority), "%s", authority);
	return arg;
}

/* GET url with these TLS settings (NULL: the defaults); the status or -1 */
static int get(const char *url, const struct http_tls *tls, struct kerr *err)
{
	struct http_client c;
	struct http_request req = { .method = "GET", .url = url, .body = HTTP_BODY_NONE };
	struct http_response resp;
	struct strbuf body = STRBUF_INIT;
	int status = -1;

	http_client_init(&c);
	c.retries = 0;
	c.stall_timeout_ms = 5000;
	if (tls) {
		c.tls_for = tls_of;
		c.tls_arg = (void *)tls;
	}
	if (!http_do(&c, &req, &resp, err)) {
		status = resp.head.status;
		if (http_read_all(&resp, &body, 100, err) < 0)
			status = -1;
		else
			assert_string_equal(body.buf, "ok");
		http_response_end(&resp);
	}
	http_client_release(&c);
	strbuf_release(&body);
	return status;
}

#define skip_without_openssl() do { if (!dir) skip(); } while (0)

static void test_trusted(void **state)
{
	struct tls_srv a = { "srv", false, 2 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct strbuf seen = STRBUF_INIT;
	struct srv s;
	char *url, *authority;

	(void)state;
	skip_without_openssl();
	strvec_push_nodup(&tls.ca_files, file("ca1.crt"));
	srv_start(&s, serve_tls, &a);
	/* by IP address (its iPAddress name), then by host name */
	url = xasprintf("https://127.0.0.1:%d/v2/", s.port);
	if (get(url, &tls, &err) != 200)
		fail_msg("%s", err.msg);
	authority = xasprintf("127.0.0.1:%d", s.port);
	assert_string_equal(last_authority, authority);
	free(url);
	url = xasprintf("https://localhost:%d/v2/", s.port);
	if (get(url, &tls, &err) != 200)
		fail_msg("%s", err.msg);
	assert_int_equal(srv_wait(&s, &seen), 0);
	assert_string_equal(seen.buf, "handshake\nrequest\nhandshake\nrequest\n");
	free(authority);
	free(url);
	http_tls_clear(&tls);
	strbuf_release(&seen);
}

/* one handshake for several requests */
static void test_keep_alive(void **state)
{
	struct tls_srv a = { "srv", false, 1 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct strbuf seen = STRBUF_INIT, body = STRBUF_INIT;
	struct http_client c;
	struct http_request req = { .method = "GET", .body = HTTP_BODY_NONE };
	struct http_response resp;
	struct srv s;
	char *url;

	(void)state;
	skip_without_openssl();
	strvec_push_nodup(&tls.ca_files, file("ca1.crt"));
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	http_client_init(&c);
	c.tls_for = tls_of;
	c.tls_arg = &tls;
	req.url = url;
	for (int i = 0; i < 3; i++) {
		if (http_do(&c, &req, &resp, &err) < 0)
			fail_msg("%s", err.msg);
		strbuf_reset(&body);
		if (http_read_all(&resp, &body, 100, &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(body.buf, "ok");
		http_response_end(&resp);
	}
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, &seen), 0);
	assert_string_equal(seen.buf, "handshake\nrequest\nrequest\nrequest\n");
	free(url);
	http_tls_clear(&tls);
	strbuf_release(&seen);
	strbuf_release(&body);
}

static void test_unknown_ca(void **state)
{
	struct tls_srv a = { "srv", false, 2 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct srv s;
	char *url, *want;

	(void)state;
	skip_without_openssl();
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/v2/", s.port);
	/* the system set (SSL_CERT_FILE: ca2) does not know ca1 */
	assert_int_equal(get(url, NULL, &err), -1);
	want = xasprintf("GET %s: tls: 127.0.0.1:%d: certificate not trusted (unknown CA)", url,
			 s.port);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.errnum, 0);
	kerr_clear(&err);
	/* nor does a registry CA file of another CA */
	strvec_push_nodup(&tls.ca_files, file("ca2.crt"));
	assert_int_equal(get(url, &tls, &err), -1);
	assert_string_equal(err.msg, want);
	kerr_clear(&err);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(want);
	free(url);
	http_tls_clear(&tls);
}

/* the system CAs (here SSL_CERT_FILE) are used when no CA file is given,
 * and next to CA files that do not know the server */
static void test_system_ca(void **state)
{
	struct tls_srv a = { "srv2", false, 2 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct srv s;
	char *url;

	(void)state;
	skip_without_openssl();
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	if (get(url, NULL, &err) != 200)
		fail_msg("%s", err.msg);
	strvec_push_nodup(&tls.ca_files, file("ca1.crt"));
	if (get(url, &tls, &err) != 200)
		fail_msg("%s", err.msg);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
	http_tls_clear(&tls);
}

static void test_name_mismatch(void **state)
{
	struct tls_srv a = { "other", false, 2 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct srv s;
	char *url, *want;

	(void)state;
	skip_without_openssl();
	strvec_push_nodup(&tls.ca_files, file("ca1.crt"));
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	assert_int_equal(get(url, &tls, &err), -1);
	want = xasprintf("GET %s: tls: 127.0.0.1:%d: certificate is not for '127.0.0.1' (it is "
			 "for 'registry.example', '*.registry.example')", url, s.port);
	assert_string_equal(err.msg, want);
	kerr_clear(&err);
	free(want);
	free(url);
	url = xasprintf("https://localhost:%d/", s.port);
	assert_int_equal(get(url, &tls, &err), -1);
	want = xasprintf("GET %s: tls: localhost:%d: certificate is not for 'localhost' (it is "
			 "for 'registry.example', '*.registry.example')", url, s.port);
	assert_string_equal(err.msg, want);
	kerr_clear(&err);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(want);
	free(url);
	http_tls_clear(&tls);
}

static void test_no_verify(void **state)
{
	struct tls_srv a = { "other", false, 1 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct srv s;
	char *url;

	(void)state;
	skip_without_openssl();
	tls.verify = false;
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	if (get(url, &tls, &err) != 200)
		fail_msg("%s", err.msg);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
}

static void test_client_cert(void **state)
{
	struct tls_srv a = { "srv", true, 2 };
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct strbuf seen = STRBUF_INIT;
	struct srv s;
	char *url, *want;

	(void)state;
	skip_without_openssl();
	strvec_push_nodup(&tls.ca_files, file("ca1.crt"));
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	/* without one, the server ends the handshake */
	assert_int_equal(get(url, &tls, &err), -1);
	want = xasprintf("GET %s: tls: 127.0.0.1:%d: handshake failed: the server sent alert "
			 "'bad certificate' (does it want a client certificate?)", url, s.port);
	assert_string_equal(err.msg, want);
	free(want);
	kerr_clear(&err);
	tls.cert_file = file("client.crt");
	tls.key_file = file("client.key");
	if (get(url, &tls, &err) != 200)
		fail_msg("%s", err.msg);
	assert_int_equal(srv_wait(&s, &seen), 0);
	assert_string_equal(seen.buf, "handshake failed\nhandshake\nrequest\n");
	free(url);
	http_tls_clear(&tls);
	strbuf_release(&seen);
}

static void test_bad_files(void **state)
{
	struct http_tls tls = HTTP_TLS_INIT;
	struct kerr err = KERR_INIT;
	struct srv s;
	struct tls_srv a = { "srv", false, 3 };
	char *url, *path;

	(void)state;
	skip_without_openssl();
	srv_start(&s, serve_tls, &a);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	strvec_push(&tls.ca_files, "/nonexistent/ca.crt");
	assert_int_equal(get(url, &tls, &err), -1);
	assert_non_null(strstr(err.msg, "tls: cannot read CA file '/nonexistent/ca.crt': "));
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	http_tls_clear(&tls);
	/* a key is not a certificate */
	path = file("ca1.key");
	strvec_push(&tls.ca_files, path);
	assert_int_equal(get(url, &tls, &err), -1);
	assert_non_null(strstr(err.msg, "tls: cannot read CA file '"));
	kerr_clear(&err);
	http_tls_clear(&tls);
	free(path);
	tls.cert_file = file("client.crt");
	assert_int_equal(get(url, &tls, &err), -1);
	assert_non_null(strstr(err.msg, "' without its key"));
	kerr_clear(&err);
	http_tls_clear(&tls);
	srv_wait(&s, NULL);
	free(url);
}

/* a plain HTTP server behind an https URL */
static void serve_plain(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char buf[512];

	srv_check(fd >= 0, 2);
	srv_check(read(fd, buf, sizeof(buf)) > 0, 3);
	srv_send(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	close(fd);
}

static void test_plain_server(void **state)
{
	struct kerr err = KERR_INIT;
	struct srv s;
	char *url;

	(void)state;
	skip_without_openssl();
	srv_start(&s, serve_plain, NULL);
	url = xasprintf("https://127.0.0.1:%d/", s.port);
	assert_int_equal(get(url, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "(does the server speak plain HTTP?)"));
	kerr_clear(&err);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_unknown_ca),
		cmocka_unit_test(test_system_ca),
		cmocka_unit_test(test_name_mismatch),
		cmocka_unit_test(test_no_verify),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_plain_server),
	};
	int r;

	signal(SIGPIPE, SIG_IGN);
	/* the system CA set is read once per process: make it ca2 alone,
	 * before any test needs it */
	dir = NULL;
	setup(NULL);
	if (dir) {
		char *ca2 = file("ca2.crt");

		setenv("SSL_CERT_FILE", ca2, 1);
		unsetenv("SSL_CERT_DIR");
		free(ca2);
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (dir)
		teardown(NULL);
	return r;
}
