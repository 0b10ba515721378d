/* fuzz-http.c: libFuzzer harness for what a server or a Location header
 * puts in front of kiln: response heads, chunk-size lines and URLs must
 * give a value that keeps its promises or an error, never a crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void head(const char *buf, size_t len)
{
	struct http_head h = HTTP_HEAD_INIT;
	struct kerr err = KERR_INIT;

	if (http_head_parse(buf, len, &h, &err) < 0) {
		check(err.msg && err.kind == KERR_INPUT && !h.reason && !h.names.n);
		kerr_clear(&err);
		return;
	}
	check(h.status >= 100 && h.status <= 599 && h.reason);
	check(h.names.n == h.values.n && h.names.n <= HTTP_HEADERS_MAX);
	check(h.content_length >= -1 && !(h.chunked && h.content_length >= 0));
	for (size_t i = 0; i < h.names.n; i++) {
		const char *v = h.values.v[i];
		size_t vl = strlen(v);

		check(*h.names.v[i] && !strpbrk(h.names.v[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ: \t"));
		check(!strpbrk(v, "\r\n") && (!vl || (v[0] != ' ' && v[vl - 1] != ' ')));
		check(http_head_get(&h, h.names.v[i]) != NULL);
	}
	http_head_get(&h, "content-length");
	http_head_clear(&h);
}

static void url(const char *s)
{
	static const char *const bases[] = { "https://r.example:5000/v2/a/b?x", "http://[::1]/" };
	struct http_url u = HTTP_URL_INIT, r = HTTP_URL_INIT;
	struct kerr err = KERR_INIT;

	if (http_url_parse(s, &u, &err) == 0) {
		char *a = http_url_string(&u), *b = http_url_authority(&u, false);

		/* what it prints parses back to itself */
		check(u.target[0] == '/' && !strpbrk(u.target, " \r\n"));
		check(http_url_parse(a, &r, &err) == 0 && !strcmp(r.host, u.host) &&
		      !strcmp(r.port, u.port) && !strcmp(r.target, u.target));
		http_url_clear(&r);
		free(a);
		free(b);
		http_url_clear(&u);
	}
	kerr_clear(&err);
	for (size_t i = 0; i < 2; i++) {
		check(http_url_parse(bases[i], &u, &err) == 0);
		if (http_url_resolve(&u, s, &r, &err) == 0)
			check(r.target[0] == '/');
		http_url_clear(&r);
		http_url_clear(&u);
		kerr_clear(&err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kerr err = KERR_INIT;
	char *s = xmalloc(size + 5);
	int64_t n;

	memcpy(s, data, size);
	/* as it came, and with the blank line the parser insists on */
	head(s, size);
	memcpy(s + size, "\r\n\r\n", 4);
	head(s, size + 4);
	n = http_chunk_size_parse(s, size, &err);
	check(n >= -1 && n <= (int64_t)1 << 62 && (n >= 0) == !err.msg);
	kerr_clear(&err);
	s[size] = '\0';
	url(s);
	free(s);
	return 0;
}
