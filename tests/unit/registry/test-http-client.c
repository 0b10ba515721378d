/* test-http-client.c: the HTTP client end to end against scripted servers:
 * framing, keep-alive, stale connections, redirects, retries, timeouts,
 * bodies from files, proxies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <time.h>

#include "registry/http.h"
#include "registry/httptest.h"
#include "util/kconfig.h"
#include "util/testutil.h"
#include "util/xalloc.h"

static void must(int r, struct kerr *err)
{
	if (r < 0)
		fail_msg("%s", err->msg ? err->msg : "failed");
}

static void client(struct http_client *c)
{
	http_client_init(c);
	c->backoff_ms = 10;
	c->retries = 2;
	c->connect_timeout_ms = 5000;
	c->stall_timeout_ms = 5000;
}

static char *url_of(const struct srv *s, const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", s->port, path);
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a GET whose whole body lands in body; the status, or -1 */
static int get(struct http_client *c, const char *url, const struct strvec *headers,
	       struct strbuf *body, struct kerr *err)
{
	struct http_request req = { .method = "GET", .url = url, .headers = headers,
				    .body = HTTP_BODY_NONE, .follow_redirects = true };
	struct http_response resp;
	int status;

	if (http_do(c, &req, &resp, err) < 0)
		return -1;
	status = resp.head.status;
	if (body && http_read_all(&resp, body, 1 << 20, err) < 0)
		status = -1;
	http_response_end(&resp);
	return status;
}

/* --- servers ------------------------------------------------------------ */

/* answers each request on one connection with the next reply in arg (a
 * NULL-terminated list), reports every request; a second connection is
 * an error (exit 3) */
static void serve_one_conn(struct srv_child *sc)
{
	const char *const *replies = sc->arg;
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	for (; *replies; replies++) {
		req = srv_read_request(fd);
		srv_check(req != NULL, 4);
		srv_report(sc, req);
		srv_report(sc, "\n--\n");
		free(req);
		srv_send(fd, *replies);
	}
	/* the client keeps the connection until it is released */
	srv_check(srv_read_request(fd) == NULL, 5);
	srv_check(srv_accept(sc, 200) < 0, 3);
}

static void test_content_length(void **state)
{
	static const char *const replies[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nDocker-Content-Digest: d\r\n\r\nhello world",
		NULL,
	};
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT, seen = STRBUF_INIT;
	struct strvec headers = STRVEC_INIT;
	char *url, *want;

	(void)state;
	client(&c);
	srv_start(&s, serve_one_conn, (void *)replies);
	url = url_of(&s, "/v2/?x=1");
	strvec_push(&headers, "Accept: application/json");
	strvec_push(&headers, "Authorization: Bearer t");
	assert_int_equal(get(&c, url, &headers, &body, &err), 200);
	assert_string_equal(body.buf, "hello world");
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, &seen), 0);
	want = xasprintf("GET /v2/?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Accept: application/json\r\nAuthorization: Bearer t\r\n"
			 "User-Agent: kiln/", s.port);
	assert_non_null(strstr(seen.buf, want));
	/* a GET has no Content-Length */
	assert_null(strstr(seen.buf, "Content-Length"));
	free(want);
	free(url);
	strvec_clear(&headers);
	strbuf_release(&body);
	strbuf_release(&seen);
}

/* a chunked body in pieces, with extensions and trailers */
static void serve_chunked(struct srv_child *sc)
{
	static const char *const pieces[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
		"lo\r\n6;name=value\r\n world\r",
		"\n0000A\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nX-More: d\r\n\r\n",
	};
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	req = srv_read_request(fd);
	srv_check(req != NULL, 4);
	free(req);
	for (size_t i = 0; i < 3; i++) {
		srv_send(fd, pieces[i]);
		usleep(20000);
	}
	/* framing was right if the next request comes on the same connection */
	req = srv_read_request(fd);
	srv_check(req != NULL, 6);
	free(req);
	srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	srv_check(srv_read_request(fd) == NULL, 5);
	srv_check(srv_accept(sc, 200) < 0, 3);
}

static void test_chunked(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT;
	char *url;

	(void)state;
	client(&c);
	srv_start(&s, serve_chunked, NULL);
	url = url_of(&s, "/chunked");
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "hello world0123456789");
	strbuf_reset(&body);
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "ok");
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
	strbuf_release(&body);
}

/* keep-alive: a body left unread is drained, HEAD and 204 have none */
static void test_keep_alive(void **state)
{
	static const char *const replies[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast",
		NULL,
	};
	struct http_request req = { .method = "GET", .body = HTTP_BODY_NONE };
	struct http_response resp;
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT, seen = STRBUF_INIT;
	char *url;

	(void)state;
	client(&c);
	srv_start(&s, serve_one_conn, (void *)replies);
	url = url_of(&s, "/");
	req.url = url;
	/* the body is left on the wire: ending the response drains it */
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.content_length, 5);
	http_response_end(&resp);
	req.method = "HEAD";
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.content_length, 1000);
	assert_int_equal(http_read_all(&resp, &body, 100, &err), 0);
	assert_int_equal(body.len, 0);
	http_response_end(&resp);
	req.method = "DELETE";
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.status, 204);
	http_response_end(&resp);
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "last");
	http_client_release(&c);
	/* four requests, one connection (serve_one_conn exits 3 otherwise) */
	assert_int_equal(srv_wait(&s, &seen), 0);
	assert_non_null(strstr(seen.buf, "HEAD / HTTP/1.1\r\n"));
	assert_non_null(strstr(seen.buf, "DELETE / HTTP/1.1\r\n"));
	strbuf_release(&body);
	strbuf_release(&seen);
	free(url);
}

/* The server reads the second request on the kept connection and closes it
 * without an answer, as a server does that timed the connection out just
 * then; the client must send it again on a new connection at once. */
static void serve_stale(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	req = srv_read_request(fd);
	srv_check(req != NULL, 4);
	free(req);
	srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
	req = srv_read_request(fd);
	srv_check(req != NULL, 6);
	free(req);
	close(fd);
	fd = srv_accept(sc, 5000);
	srv_check(fd >= 0, 7);
	req = srv_read_request(fd);
	srv_check(req != NULL, 8);
	srv_report(sc, req);
	free(req);
	srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
	srv_check(srv_read_request(fd) == NULL, 5);
}

/* the server closes each connection right after its answer */
static void serve_idle_closed(struct srv_child *sc)
{
	for (int i = 0; i < 2; i++) {
		int fd = srv_accept(sc, 5000);
		char *req;

		srv_check(fd >= 0, 2);
		req = srv_read_request(fd);
		srv_check(req != NULL, 4);
		free(req);
		srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
		close(fd);
	}
}

static void test_stale(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT, seen = STRBUF_INIT;
	char *url;

	(void)state;
	client(&c);
	/* no retries: the stale connection is not a failure to retry */
	c.retries = 0;
	srv_start(&s, serve_stale, NULL);
	url = url_of(&s, "/two");
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "first");
	strbuf_reset(&body);
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "second");
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, &seen), 0);
	assert_non_null(strstr(seen.buf, "GET /two HTTP/1.1"));
	free(url);

	srv_start(&s, serve_idle_closed, NULL);
	url = url_of(&s, "/");
	for (int i = 0; i < 2; i++) {
		strbuf_reset(&body);
		assert_int_equal(get(&c, url, NULL, &body, &err), 200);
		assert_string_equal(body.buf, "ok");
		/* the server's FIN is in before the next request */
		usleep(50000);
	}
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
	strbuf_release(&body);
	strbuf_release(&seen);
}

/* B: the end of the redirects, reports what it got */
static void serve_final(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	req = srv_read_request(fd);
	srv_check(req != NULL, 4);
	srv_report(sc, req);
	free(req);
	srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
	srv_check(srv_read_request(fd) == NULL, 5);
}

/* A: POST /start -> 307 /same (same host: method, body and credentials
 * stay) -> 303 to B (another port: GET, no body, no credentials) */
static void serve_redirects(struct srv_child *sc)
{
	int port_b = *(int *)sc->arg;
	int fd = srv_accept(sc, 5000);
	char *req, reply[256];

	srv_check(fd >= 0, 2);
	req = srv_read_request(fd);
	srv_check(req != NULL, 4);
	srv_report(sc, req);
	srv_report(sc, "\n--\n");
	free(req);
	srv_send(fd, "HTTP/1.1 307 Temporary Redirect\r\nLocation: same?x=1\r\n"
		 "Content-Length: 3\r\n\r\nabc");
	req = srv_read_request(fd);
	srv_check(req != NULL, 6);
	srv_report(sc, req);
	free(req);
	snprintf(reply, sizeof(reply), "HTTP/1.1 303 See Other\r\nLocation: "
		 "http://127.0.0.1:%d/final\r\nContent-Length: 0\r\n\r\n", port_b);
	srv_send(fd, reply);
	srv_check(srv_read_request(fd) == NULL, 5);
}

static void test_redirect(void **state)
{
	struct http_client c;
	struct srv a, b;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT, seen_a = STRBUF_INIT, seen_b = STRBUF_INIT;
	struct strvec headers = STRVEC_INIT;
	struct http_request req = { .method = "POST", .headers = &headers,
				    .body = { "payload", -1, 0, 7 }, .follow_redirects = true };
	struct http_response resp;
	char *url, *final, *want;

	(void)state;
	client(&c);
	srv_start(&b, serve_final, NULL);
	srv_start(&a, serve_redirects, &b.port);
	url = url_of(&a, "/v2/start");
	req.url = url;
	strvec_push(&headers, "Authorization: Basic c2VjcmV0");
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.status, 200);
	final = http_url_string(&resp.url);
	want = xasprintf("http://127.0.0.1:%d/final", b.port);
	assert_string_equal(final, want);
	free(want);
	must(http_read_all(&resp, &body, 100, &err), &err);
	assert_string_equal(body.buf, "done");
	http_response_end(&resp);
	http_client_release(&c);
	assert_int_equal(srv_wait(&a, &seen_a), 0);
	assert_int_equal(srv_wait(&b, &seen_b), 0);
	/* 307 on the same host: POST again, with the body and the credentials */
	assert_non_null(strstr(seen_a.buf, "POST /v2/start HTTP/1.1\r\n"));
	assert_non_null(strstr(seen_a.buf, "POST /v2/same?x=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(strstr(seen_a.buf, "/v2/same"), "Authorization: Basic c2VjcmV0"));
	assert_non_null(strstr(strstr(seen_a.buf, "/v2/same"), "Content-Length: 7\r\n\r\npayload"));
	/* 303 to another port: GET, no body, no Authorization */
	assert_non_null(strstr(seen_b.buf, "GET /final HTTP/1.1\r\n"));
	assert_null(strstr(seen_b.buf, "Authorization"));
	assert_null(strstr(seen_b.buf, "Content-Length"));
	assert_null(strstr(seen_b.buf, "payload"));
	free(final);
	free(url);
	strvec_clear(&headers);
	strbuf_release(&body);
	strbuf_release(&seen_a);
	strbuf_release(&seen_b);
}

/* a redirect to itself, forever */
static void serve_loop(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	while ((req = srv_read_request(fd))) {
		free(req);
		srv_send(fd, "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n");
	}
}

static void test_redirect_limit(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct http_request req = { .method = "GET", .body = HTTP_BODY_NONE };
	struct http_response resp;
	char *url, *want;

	(void)state;
	client(&c);
	srv_start(&s, serve_loop, NULL);
	url = url_of(&s, "/");
	assert_int_equal(get(&c, url, NULL, NULL, &err), -1);
	want = xasprintf("GET http://127.0.0.1:%d/again: more than 10 redirects", s.port);
	assert_string_equal(err.msg, want);
	kerr_clear(&err);
	/* without follow_redirects, the 302 is the answer */
	req.url = url;
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.status, 302);
	assert_string_equal(http_head_get(&resp.head, "location"), "/again");
	http_response_end(&resp);
	http_client_release(&c);
	srv_wait(&s, NULL);
	free(want);
	free(url);
}

static void test_retry_status(void **state)
{
	static const char *const replies[] = {
		"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 4\r\n\r\nbusy",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
		NULL,
	};
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT, seen = STRBUF_INIT;
	struct http_request req = { .method = "GET", .body = HTTP_BODY_NONE,
				    .no_retry_status = true };
	struct http_response resp;
	long t0;
	char *url;

	(void)state;
	client(&c);
	srv_start(&s, serve_one_conn, (void *)replies);
	url = url_of(&s, "/v2/");
	t0 = ms_now();
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "ok");
	/* Retry-After: 0 is no pause at all */
	assert_true(ms_now() - t0 < 1000);
	req.url = url;
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.status, 429);
	http_response_end(&resp);
	/* one retry, then the last answer is the answer */
	c.retries = 1;
	assert_int_equal(get(&c, url, NULL, NULL, &err), 502);
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, &seen), 0);
	free(url);
	strbuf_release(&body);
	strbuf_release(&seen);
}

/* the server answers part of the body and goes away */
static void serve_drop(struct srv_child *sc)
{
	static const char *const replies[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\na\r\n12345",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
	};

	for (int i = 0; i < 3; i++) {
		int fd = srv_accept(sc, 5000);
		char *req;

		srv_check(fd >= 0, 2);
		req = srv_read_request(fd);
		srv_check(req != NULL, 4);
		free(req);
		srv_send(fd, replies[i]);
		close(fd);
	}
}

static void test_drop_mid_body(void **state)
{
	static const char *const want[] = {
		"connection closed with 90 bytes of the body to come",
		"connection closed with 5 bytes of the chunk to come",
		"connection closed in the middle of the chunked body",
	};
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT;
	char *url, *msg;

	(void)state;
	client(&c);
	srv_start(&s, serve_drop, NULL);
	url = url_of(&s, "/v2/x/blobs/sha256:0");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(get(&c, url, NULL, &body, &err), -1);
		msg = xasprintf("%s: %s", url, want[i]);
		assert_string_equal(err.msg, msg);
		free(msg);
		kerr_clear(&err);
		/* nothing of a failed body is kept */
		assert_int_equal(body.len, 0);
	}
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
	strbuf_release(&body);
}

/* reads the request, then says nothing until the client gives up */
static void serve_silent(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	req = srv_read_request(fd);
	srv_check(req != NULL, 4);
	free(req);
	srv_check(srv_read_request(fd) == NULL, 5);
	/* then a body that stops half way */
	fd = srv_accept(sc, 5000);
	srv_check(fd >= 0, 6);
	req = srv_read_request(fd);
	srv_check(req != NULL, 7);
	free(req);
	srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
	srv_check(srv_read_request(fd) == NULL, 8);
}

static void test_stall_timeout(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT;
	long t0;
	char *url, *want;

	(void)state;
	client(&c);
	c.stall_timeout_ms = 300;
	c.retries = 0;
	srv_start(&s, serve_silent, NULL);
	url = url_of(&s, "/slow");
	t0 = ms_now();
	assert_int_equal(get(&c, url, NULL, NULL, &err), -1);
	assert_true(ms_now() - t0 < 2000);
	want = xasprintf("GET %s: timed out after 300 ms", url);
	assert_string_equal(err.msg, want);
	free(want);
	kerr_clear(&err);
	assert_int_equal(get(&c, url, NULL, &body, &err), -1);
	want = xasprintf("%s: timed out after 300 ms", url);
	assert_string_equal(err.msg, want);
	free(want);
	kerr_clear(&err);
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
	strbuf_release(&body);
}

static void test_connect_refused(void **state)
{
	struct http_client c;
	struct kerr err = KERR_INIT;
	int port, fd = srv_listen(&port);
	long t0;
	char *url, *want;

	(void)state;
	close(fd);
	client(&c);
	c.retries = 2;
	c.backoff_ms = 50;
	url = xasprintf("http://127.0.0.1:%d/v2/", port);
	t0 = ms_now();
	assert_int_equal(get(&c, url, NULL, NULL, &err), -1);
	/* two pauses: 50 ms, then 100 ms */
	assert_true(ms_now() - t0 >= 150);
	want = xasprintf("GET %s: connection refused", url);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.errnum, ECONNREFUSED);
	kerr_clear(&err);
	http_client_release(&c);
	free(want);
	free(url);
}

/* a listener whose accept queue is full drops SYNs: connect hangs */
static void test_connect_timeout(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct http_client c;
	struct kerr err = KERR_INIT;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fill[8], n = 0;
	long t0;
	char *url, *want;

	(void)state;
	assert_true(lfd >= 0 && !bind(lfd, (struct sockaddr *)&a, sizeof(a)) && !listen(lfd, 0) &&
		    !getsockname(lfd, (struct sockaddr *)&a, &al));
	/* fill the queue: connects that do not complete at once mean it is full */
	for (; n < 8; n++) {
		struct pollfd p;

		fill[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (connect(fill[n], (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
			break;
		p = (struct pollfd){ .fd = fill[n], .events = POLLOUT };
		if (poll(&p, 1, 100) != 1) {
			n++;
			break;
		}
	}
	client(&c);
	c.retries = 0;
	c.connect_timeout_ms = 300;
	url = xasprintf("http://127.0.0.1:%d/", ntohs(a.sin_port));
	t0 = ms_now();
	assert_int_equal(get(&c, url, NULL, NULL, &err), -1);
	assert_true(ms_now() - t0 < 2000);
	want = xasprintf("GET %s: timed out after 300 ms", url);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.errnum, ETIMEDOUT);
	kerr_clear(&err);
	http_client_release(&c);
	while (n--)
		close(fill[n]);
	close(lfd);
	free(want);
	free(url);
}

/* the body a PUT sends from a file, measured by the server */
static void serve_upload(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	while ((req = srv_read_request(fd))) {
		char line[128], *body = strstr(req, "\r\n\r\n") + 4;
		size_t n = strlen(body);
		unsigned long sum = 0;

		for (size_t i = 0; i < n; i++)
			sum = sum * 31 + (unsigned char)body[i];
		snprintf(line, sizeof(line), "%.*s len=%zu sum=%lu\n",
			 (int)strcspn(req, "\r"), req, n, sum);
		srv_report(sc, line);
		srv_report(sc, strstr(req, "Content-Length") ? "" : "no-length\n");
		free(req);
		srv_send(fd, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	}
}

static void test_body_from_fd(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf seen = STRBUF_INIT;
	struct http_request req = { .method = "PUT" };
	struct http_response resp;
	char *dir = tmpdir_make(), *path = xasprintf("%s/blob", dir), *url, *want;
	char *data = xmalloc(300000);
	unsigned long sum = 0;
	int fd;

	(void)state;
	/* no NUL bytes: the server measures the body with strlen */
	for (int i = 0; i < 300000; i++)
		data[i] = (char)('a' + (i * 7 + i / 1000) % 26);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, 300000), 300000);
	for (int i = 1000; i < 201000; i++)
		sum = sum * 31 + (unsigned char)data[i];
	client(&c);
	srv_start(&s, serve_upload, NULL);
	url = url_of(&s, "/v2/x/blobs/uploads/1?digest=sha256:0");
	req.url = url;
	req.body = (struct http_body){ NULL, fd, 1000, 200000 };
	must(http_do(&c, &req, &resp, &err), &err);
	assert_int_equal(resp.head.status, 201);
	http_response_end(&resp);
	/* a small body from memory, and a POST without one */
	req.method = "PATCH";
	req.body = (struct http_body){ "abc", -1, 0, 3 };
	must(http_do(&c, &req, &resp, &err), &err);
	http_response_end(&resp);
	req.method = "POST";
	req.body = (struct http_body)HTTP_BODY_NONE;
	must(http_do(&c, &req, &resp, &err), &err);
	http_response_end(&resp);
	/* an empty body needs no bytes */
	req.method = "PUT";
	req.body = (struct http_body){ NULL, -1, 0, 0 };
	must(http_do(&c, &req, &resp, &err), &err);
	http_response_end(&resp);
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, &seen), 0);
	want = xasprintf("PUT /v2/x/blobs/uploads/1?digest=sha256:0 HTTP/1.1 len=200000 sum=%lu\n"
			 "PATCH /v2/x/blobs/uploads/1?digest=sha256:0 HTTP/1.1 len=3 sum=96354\n"
			 "POST /v2/x/blobs/uploads/1?digest=sha256:0 HTTP/1.1 len=0 sum=0\n"
			 "PUT /v2/x/blobs/uploads/1?digest=sha256:0 HTTP/1.1 len=0 sum=0\n", sum);
	assert_string_equal(seen.buf, want);
	close(fd);
	free(want);
	free(url);
	free(path);
	free(data);
	tmpdir_remove(dir);
	strbuf_release(&seen);
}

/* interim answers come before the real one; HTTP/1.0 bodies end at close */
static void serve_interim(struct srv_child *sc)
{
	int fd = srv_accept(sc, 5000);
	char *req;

	srv_check(fd >= 0, 2);
	req = srv_read_request(fd);
	srv_check(req != NULL, 4);
	free(req);
	srv_send(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
		 "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end");
	close(fd);
}

static void test_interim_and_close(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT;
	char *url;

	(void)state;
	client(&c);
	srv_start(&s, serve_interim, NULL);
	url = url_of(&s, "/");
	assert_int_equal(get(&c, url, NULL, &body, &err), 200);
	assert_string_equal(body.buf, "until the end");
	/* such a connection is not kept */
	assert_null(c.idle);
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(url);
	strbuf_release(&body);
}

/* a malformed answer is not retried: one connection */
static void test_bad_response(void **state)
{
	static const char *const replies[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
		NULL,
	};
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	char *url, *want;

	(void)state;
	client(&c);
	c.retries = 3;
	srv_start(&s, serve_one_conn, (void *)replies);
	url = url_of(&s, "/");
	assert_int_equal(get(&c, url, NULL, NULL, &err), -1);
	want = xasprintf("GET %s: bad response: Content-Length 'x'", url);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, NULL), 0);
	free(want);
	free(url);
}

static void test_bad_request(void **state)
{
	struct http_client c;
	struct kerr err = KERR_INIT;
	struct strvec headers = STRVEC_INIT;

	(void)state;
	client(&c);
	strvec_push(&headers, "X-Evil: a\r\nHost: b");
	assert_int_equal(get(&c, "http://127.0.0.1:1/", &headers, NULL, &err), -1);
	assert_string_equal(err.msg, "control bytes in header 'X-Evil'");
	kerr_clear(&err);
	strvec_clear(&headers);
	strvec_push(&headers, "Content-Length: 5");
	assert_int_equal(get(&c, "http://127.0.0.1:1/", &headers, NULL, &err), -1);
	assert_string_equal(err.msg, "header 'Content-Length' is the client's to set");
	kerr_clear(&err);
	assert_int_equal(get(&c, "localhost:5000/v2/", NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "'localhost:5000/v2/' is not an absolute http or https URL");
	kerr_clear(&err);
	strvec_clear(&headers);
	http_client_release(&c);
}

/* a proxy that answers forwarded requests itself, and refuses CONNECT */
static void serve_proxy(struct srv_child *sc)
{
	for (int i = 0; i < 2; i++) {
		int fd = srv_accept(sc, 5000);
		char *req;

		srv_check(fd >= 0, 2);
		req = srv_read_request(fd);
		srv_check(req != NULL, 4);
		srv_report(sc, req);
		srv_report(sc, "--\n");
		if (!strncmp(req, "CONNECT ", 8))
			srv_send(fd, "HTTP/1.1 407 Proxy Authentication Required\r\n"
				 "Content-Length: 0\r\n\r\n");
		else
			srv_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
		free(req);
		srv_read_request(fd);
		close(fd);
	}
}

static void test_proxy(void **state)
{
	struct http_client c;
	struct srv s;
	struct kerr err = KERR_INIT;
	struct strbuf body = STRBUF_INIT, seen = STRBUF_INIT;
	char *proxy, *want;

	(void)state;
	client(&c);
	c.retries = 0;
	srv_start(&s, serve_proxy, NULL);
	proxy = xasprintf("http://us%%40er:pa:ss@127.0.0.1:%d", s.port);
	setenv("http_proxy", proxy, 1);
	setenv("https_proxy", proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	assert_int_equal(get(&c, "http://registry.test:5000/v2/?a=b", NULL, &body, &err), 200);
	assert_string_equal(body.buf, "ok");
	http_client_release(&c);
	if (IS_ENABLED(CONFIG_REG_TLS)) {
		assert_int_equal(get(&c, "https://registry.test/v2/", NULL, NULL, &err), -1);
		want = xasprintf("GET https://registry.test/v2/: proxy '127.0.0.1:%d': CONNECT "
				 "registry.test:443 refused: 407 Proxy Authentication Required "
				 "(give credentials in the proxy URL)", s.port);
		assert_string_equal(err.msg, want);
		free(want);
		kerr_clear(&err);
	} else {
		assert_int_equal(get(&c, "http://registry.test/", NULL, NULL, &err), 200);
	}
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	http_client_release(&c);
	assert_int_equal(srv_wait(&s, &seen), 0);
	/* the absolute URI as the target, the credentials for the proxy */
	assert_non_null(strstr(seen.buf, "GET http://registry.test:5000/v2/?a=b HTTP/1.1\r\n"
				"Host: registry.test:5000\r\n"));
	assert_non_null(strstr(seen.buf, "Proxy-Authorization: Basic dXNAZXI6cGE6c3M=\r\n"));
	if (IS_ENABLED(CONFIG_REG_TLS))
		assert_non_null(strstr(seen.buf, "--\nCONNECT registry.test:443 HTTP/1.1\r\n"
					"Host: registry.test:443\r\n"));
	free(proxy);
	strbuf_release(&body);
	strbuf_release(&seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_redirect_limit),
		cmocka_unit_test(test_retry_status),
		cmocka_unit_test(test_drop_mid_body),
		cmocka_unit_test(test_stall_timeout),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_body_from_fd),
		cmocka_unit_test(test_interim_and_close),
		cmocka_unit_test(test_bad_response),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_proxy),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
