/* test-http-head.c: the response-head parser and chunk-size lines, table by
 * table: what a server may send, and what kiln refuses to read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct accept_case {
	const char *head;
	int status;
	const char *reason;
	int64_t content_length;
	bool chunked, close;
};

static void test_accept(void **state)
{
	static const struct accept_case cases[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 200, "OK", 5, false, false },
		/* bare LF, no reason, no blank before it */
		{ "HTTP/1.1 204\n\n", 204, "", -1, false, false },
		{ "HTTP/1.1 404 \r\n\r\n", 404, "", -1, false, false },
		{ "HTTP/1.1 200 Very  Fine\t\x80\r\n\r\n", 200, "Very  Fine\t\x80", -1, false,
		  false },
		{ "HTTP/1.1 100 Continue\r\n\r\n", 100, "Continue", -1, false, false },
		{ "HTTP/1.1 599 x\r\n\r\n", 599, "x", -1, false, false },
		/* HTTP/1.0: close unless keep-alive */
		{ "HTTP/1.0 200 OK\r\n\r\n", 200, "OK", -1, false, true },
		{ "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", 200, "OK", -1, false, false },
		{ "HTTP/1.1 200 OK\r\nConnection: foo, close\r\n\r\n", 200, "OK", -1, false, true },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, "OK", -1, true,
		  false },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, Chunked\r\n\r\n", 200, "OK", -1,
		  true, false },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n",
		  200, "OK", -1, true, false },
		/* both framings: chunked wins, the connection is not reused */
		{ "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 200,
		  "OK", -1, true, true },
		/* duplicates that agree, leading zeros, the largest int64 */
		{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\ncontent-length: 007\r\n\r\n", 200, "OK", 7,
		  false, false },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n", 200, "OK",
		  INT64_MAX, false, false },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, "OK", 0, false, false },
		/* empty values, obs-text, odd but legal names */
		{ "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-!#$%&'*+-.^_`|~: v\xff\r\n\r\n", 200, "OK", -1,
		  false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct accept_case *c = &cases[i];
		struct http_head h = HTTP_HEAD_INIT;
		struct kerr err = KERR_INIT;

		if (http_head_parse(c->head, strlen(c->head), &h, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(h.status, c->status);
		assert_string_equal(h.reason, c->reason);
		assert_int_equal(h.content_length, c->content_length);
		assert_int_equal(h.chunked, c->chunked);
		if (h.close != c->close)
			fail_msg("case %zu: close %d", i, h.close);
		assert_int_equal(h.names.n, h.values.n);
		http_head_clear(&h);
	}
}

static void test_fields(void **state)
{
	static const char head[] = "HTTP/1.1 401 Unauthorized\r\n"
				   "WWW-Authenticate:  Bearer realm=\"x\" \t\r\n"
				   "Docker-Distribution-API-Version: registry/2.0\r\n"
				   "Link: <a>\r\n"
				   "link: <b>\r\n"
				   "\r\n";
	struct http_head h = HTTP_HEAD_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(http_head_parse(head, sizeof(head) - 1, &h, &err), 0);
	assert_int_equal(h.names.n, 4);
	assert_string_equal(h.names.v[0], "www-authenticate");
	assert_string_equal(h.values.v[0], "Bearer realm=\"x\"");
	assert_string_equal(http_head_get(&h, "Www-Authenticate"), "Bearer realm=\"x\"");
	assert_string_equal(http_head_get(&h, "docker-distribution-api-version"),
			    "registry/2.0");
	/* the first of several */
	assert_string_equal(http_head_get(&h, "LINK"), "<a>");
	assert_null(http_head_get(&h, "location"));
	http_head_clear(&h);
	assert_null(h.reason);
	assert_int_equal(h.names.n, 0);
}

struct refuse_case {
	const char *head;
	size_t len;	/* 0: strlen */
	const char *msg;
};

static void test_refuse(void **state)
{
	static const struct refuse_case cases[] = {
		{ "", 0, "status line" },
		{ "\r\n\r\n", 0, "status line" },
		{ "HTTP/1.1 200 OK\r\n", 0, "head without its blank line" },
		{ "HTTP/1.1 200 OK\r\nA: b\r\n", 0, "head without its blank line" },
		{ "HTTP/1.1 200 OK\r\n\r\nbody", 0, "bytes after the head" },
		{ "HTTP/2 200 OK\r\n\r\n", 0, "status line" },
		{ "HTTP/2.0 200 OK\r\n\r\n", 0, "HTTP version" },
		{ "HTTP/1.1 99 OK\r\n\r\n", 0, "status line" },
		{ "HTTP/1.1 099 OK\r\n\r\n", 0, "status code" },
		{ "HTTP/1.1 600 OK\r\n\r\n", 0, "status code" },
		{ "HTTP/1.1 2000 OK\r\n\r\n", 0, "status line" },
		{ "HTTP/1.1  200 OK\r\n\r\n", 0, "status line" },
		{ "http/1.1 200 OK\r\n\r\n", 0, "status line" },
		{ "HTTP/1.1 200 O\x01K\r\n\r\n", 0, "status line" },
		{ "HTTP/1.1 200 OK\r\r\n\r\n", 0, "status line" },
		{ "ICY 200 OK\r\n\r\n", 0, "status line" },
		/* fields */
		{ "HTTP/1.1 200 OK\r\nA : b\r\n\r\n", 0, "header line" },
		{ "HTTP/1.1 200 OK\r\n: b\r\n\r\n", 0, "header line" },
		{ "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, "header line" },
		{ "HTTP/1.1 200 OK\r\nA(b): c\r\n\r\n", 0, "header line" },
		{ "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 0, "header value" },
		{ "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", 0, "header value" },
		{ "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n", 27, "header value" },
		{ "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", 0, "obs-fold" },
		{ "HTTP/1.1 200 OK\r\n\tA: b\r\n\r\n", 0, "obs-fold" },
		/* Content-Length */
		{ "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", 0, "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", 0, "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n", 0, "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5,5\r\n\r\n", 0, "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", 0, "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n", 0,
		  "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
		  "Content-Length" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0,
		  "Content-Length 5 and 6" },
		/* Transfer-Encoding */
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
		  "Transfer-Encoding" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0,
		  "Transfer-Encoding" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 0,
		  "Transfer-Encoding" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
		  0, "Transfer-Encoding" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", 0,
		  "Transfer-Encoding without chunked" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", 0,
		  "Transfer-Encoding without chunked" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 0,
		  "Transfer-Encoding" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n", 0,
		  "Transfer-Encoding" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct refuse_case *c = &cases[i];
		struct http_head h = HTTP_HEAD_INIT;
		struct kerr err = KERR_INIT;
		size_t len = c->len ? c->len : strlen(c->head);

		if (http_head_parse(c->head, len, &h, &err) == 0)
			fail_msg("case %zu accepted: %s", i, c->head);
		if (!strstr(err.msg, c->msg))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, c->msg);
		assert_true(strncmp(err.msg, "bad response: ", 14) == 0);
		assert_int_equal(err.kind, KERR_INPUT);
		/* a refused head leaves nothing allocated behind */
		assert_null(h.reason);
		assert_int_equal(h.names.n, 0);
		kerr_clear(&err);
	}
}

static void test_limits(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct http_head h = HTTP_HEAD_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	/* HTTP_HEADERS_MAX fields pass, one more does not */
	strbuf_addstr(&sb, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		strbuf_addf(&sb, "X-%d: %d\r\n", i, i);
	strbuf_addstr(&sb, "\r\n");
	assert_int_equal(http_head_parse(sb.buf, sb.len, &h, &err), 0);
	assert_int_equal(h.names.n, HTTP_HEADERS_MAX);
	http_head_clear(&h);
	strbuf_setlen(&sb, sb.len - 2);
	strbuf_addstr(&sb, "X-More: 1\r\n\r\n");
	assert_int_equal(http_head_parse(sb.buf, sb.len, &h, &err), -1);
	assert_non_null(strstr(err.msg, "more than 128 header fields"));
	kerr_clear(&err);

	/* HTTP_HEAD_MAX bytes pass, one more does not */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "HTTP/1.1 200 OK\r\nX: ");
	while (sb.len < HTTP_HEAD_MAX - 4)
		strbuf_addch(&sb, 'a');
	strbuf_addstr(&sb, "\r\n\r\n");
	assert_int_equal(sb.len, HTTP_HEAD_MAX);
	assert_int_equal(http_head_parse(sb.buf, sb.len, &h, &err), 0);
	http_head_clear(&h);
	strbuf_insert(&sb, 20, "a", 1);
	assert_int_equal(http_head_parse(sb.buf, sb.len, &h, &err), -1);
	assert_non_null(strstr(err.msg, "head larger than 65536 bytes"));
	kerr_clear(&err);
	strbuf_release(&sb);
}

static void test_chunk_size(void **state)
{
	static const struct {
		const char *line;
		int64_t want;	/* -1: refused */
	} cases[] = {
		{ "0", 0 },
		{ "1a3f", 0x1a3f },
		{ "1A3F", 0x1a3f },
		{ "0000000000000000000000000000010", 16 },
		{ "1a3f;ext=x", 0x1a3f },
		{ "1a3f ; ext=\"quoted value\"", 0x1a3f },
		{ "10\t;a;b=c", 16 },
		{ "ff ", 255 },
		{ "4000000000000000", (int64_t)1 << 62 },
		{ "4000000000000001", -1 },
		{ "ffffffffffffffff", -1 },
		{ "10000000000000000000", -1 },
		{ "", -1 },
		{ ";ext", -1 },
		{ " 10", -1 },
		{ "-1", -1 },
		{ "0x10", -1 },
		{ "1g", -1 },
		{ "10 20", -1 },
		{ "10;\x01", -1 },
		{ "10;a\rb", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct kerr err = KERR_INIT;
		int64_t got = http_chunk_size_parse(cases[i].line, strlen(cases[i].line), &err);

		if (got != cases[i].want)
			fail_msg("case %zu '%s': %lld", i, cases[i].line, (long long)got);
		if (got < 0) {
			assert_non_null(strstr(err.msg, "chunk size"));
			assert_int_equal(err.kind, KERR_INPUT);
		}
		kerr_clear(&err);
	}
	/* the length given is what counts, not a NUL */
	assert_int_equal(http_chunk_size_parse("12345", 2, NULL), 0x12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_chunk_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
