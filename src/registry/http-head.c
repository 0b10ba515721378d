/* http-head.c: the response head and chunk-size lines of HTTP/1.1 (RFC 9112),
 * read strictly: a pure parser with hard limits, fuzzed by fuzz-http. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/http.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* field-vchar, SP and HTAB: what may stand in a value or reason phrase */
static bool is_text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* a short, printable excerpt of what a server sent, for messages */
static char *excerpt(const char *s, size_t n)
{
	size_t max = n > 40 ? 40 : n;
	char *out = xmalloc(max + 4);

	for (size_t i = 0; i < max; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'') ? s[i] : '?';
	strcpy(out + max, n > max ? "..." : "");
	return out;
}

static int bad(struct kerr *err, const char *what, const char *s, size_t n)
{
	cleanup_free char *e = excerpt(s, n);

	return kerr_input(err, "bad response: %s '%s'", what, e);
}

/* "HTTP/1.1 200 OK"; *minor gets the version's minor digit */
static int parse_status_line(const char *s, size_t n, struct http_head *h, int *minor,
			     struct kerr *err)
{
	const char *p = s;

	if (n < 12 || memcmp(p, "HTTP/", 5) || p[5] < '0' || p[5] > '9' || p[6] != '.' ||
	    p[7] < '0' || p[7] > '9' || p[8] != ' ')
		return bad(err, "status line", s, n);
	if (p[5] != '1')
		return bad(err, "HTTP version", s, 8);
	*minor = p[7] - '0';
	for (int i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return bad(err, "status line", s, n);
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (h->status < 100 || h->status > 599)
		return bad(err, "status code", p + 9, 3);
	/* the blank before an empty reason is often left out */
	if (n > 12 && p[12] != ' ')
		return bad(err, "status line", s, n);
	for (size_t i = 13; i < n; i++)
		if (!is_text((unsigned char)p[i]))
			return bad(err, "status line", s, n);
	h->reason = n > 13 ? xstrndup(p + 13, n - 13) : xstrdup("");
	return 0;
}

static int parse_field(const char *s, size_t n, struct http_head *h, struct kerr *err)
{
	size_t name = 0, v, e;
	char *lname;

	while (name < n && is_tchar((unsigned char)s[name]))
		name++;
	if (!name || name == n || s[name] != ':')
		return bad(err, "header line", s, n);
	for (v = name + 1; v < n; v++)
		if (!is_text((unsigned char)s[v]))
			return bad(err, "header value", s, n);
	v = name + 1;
	while (v < n && is_blank(s[v]))
		v++;
	e = n;
	while (e > v && is_blank(s[e - 1]))
		e--;
	lname = xstrndup(s, name);
	for (char *q = lname; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	strvec_push_nodup(&h->names, lname);
	strvec_push_nodup(&h->values, xstrndup(s + v, e - v));
	return 0;
}

static int content_length(const char *v, int64_t *out, struct kerr *err)
{
	int64_t n = 0;

	if (!*v)
		return bad(err, "Content-Length", v, 0);
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > (INT64_MAX - (*p - '0')) / 10)
			return bad(err, "Content-Length", v, strlen(v));
		n = n * 10 + (*p - '0');
	}
	*out = n;
	return 0;
}

/* Calls fn for each element of a comma-separated list, blanks trimmed and
 * empty elements skipped (RFC 9110 5.6.1). */
static int each_element(const char *v, int (*fn)(const char *e, size_t n, void *arg), void *arg)
{
	while (*v) {
		size_t n = strcspn(v, ","), e = n;
		const char *s = v;

		while (e && is_blank(*s)) {
			s++;
			e--;
		}
		while (e && is_blank(s[e - 1]))
			e--;
		if (e && fn(s, e, arg) < 0)
			return -1;
		v += n;
		if (*v)
			v++;
	}
	return 0;
}

struct te_state {
	int codings;	/* elements seen */
	bool chunked;	/* the last one seen was chunked */
	bool refused;
};

static int te_element(const char *s, size_t n, void *arg)
{
	struct te_state *t = arg;

	/* chunked must be last: anything after it means another coding */
	if (t->chunked || (n == 7 && !strncasecmp(s, "chunked", 7))) {
		if (t->chunked) {
			t->refused = true;
			return -1;
		}
		t->chunked = true;
	} else if (!(n == 8 && !strncasecmp(s, "identity", 8))) {
		t->refused = true;
		return -1;
	}
	t->codings++;
	return 0;
}

struct conn_state {
	bool close, keep_alive;
};

static int conn_element(const char *s, size_t n, void *arg)
{
	struct conn_state *c = arg;

	if (n == 5 && !strncasecmp(s, "close", 5))
		c->close = true;
	else if (n == 10 && !strncasecmp(s, "keep-alive", 10))
		c->keep_alive = true;
	return 0;
}

/* what the fields say about framing and the connection */
static int framing(struct http_head *h, int minor, struct kerr *err)
{
	struct te_state te = { 0, false, false };
	struct conn_state cs = { false, false };
	bool have_te = false;

	for (size_t i = 0; i < h->names.n; i++) {
		const char *name = h->names.v[i], *v = h->values.v[i];

		if (!strcmp(name, "content-length")) {
			int64_t n = 0;

			if (content_length(v, &n, err) < 0)
				return -1;
			if (h->content_length >= 0 && h->content_length != n)
				return kerr_input(err, "bad response: Content-Length %lld and %lld",
						  (long long)h->content_length, (long long)n);
			h->content_length = n;
		} else if (!strcmp(name, "transfer-encoding")) {
			have_te = true;
			if (each_element(v, te_element, &te) < 0 || te.refused)
				return bad(err, "Transfer-Encoding", v, strlen(v));
		} else if (!strcmp(name, "connection")) {
			each_element(v, conn_element, &cs);
		}
	}
	if (have_te && !te.chunked)
		return kerr_input(err, "bad response: Transfer-Encoding without chunked");
	h->chunked = te.chunked;
	h->close = cs.close || (minor == 0 && !cs.keep_alive);
	if (h->chunked && h->content_length >= 0) {
		/* both framings at once is how requests get smuggled: chunked wins
		 * (RFC 9112 6.3) and the connection is not used again */
		h->content_length = -1;
		h->close = true;
	}
	return 0;
}

int http_head_parse(const char *buf, size_t len, struct http_head *h, struct kerr *err)
{
	size_t pos = 0;
	int minor = 1;
	bool first = true, ended = false;

	*h = (struct http_head)HTTP_HEAD_INIT;
	if (len > HTTP_HEAD_MAX)
		return kerr_input(err, "bad response: head larger than %u bytes", HTTP_HEAD_MAX);
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n;

		if (!nl)
			break;
		n = (size_t)(nl - line);
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		if (first) {
			if (parse_status_line(line, n, h, &minor, err) < 0)
				goto fail;
			first = false;
			continue;
		}
		if (!n) {
			ended = true;
			break;
		}
		if (is_blank(line[0])) {
			kerr_input(err, "bad response: folded header line (obs-fold)");
			goto fail;
		}
		if (h->names.n == HTTP_HEADERS_MAX) {
			kerr_input(err, "bad response: more than %d header fields",
				   HTTP_HEADERS_MAX);
			goto fail;
		}
		if (parse_field(line, n, h, err) < 0)
			goto fail;
	}
	if (!ended || pos != len) {
		if (first)
			bad(err, "status line", buf, len);
		else
			kerr_input(err, ended ? "bad response: bytes after the head"
					      : "bad response: head without its blank line");
		goto fail;
	}
	if (framing(h, minor, err) < 0)
		goto fail;
	return 0;
fail:
	http_head_clear(h);
	return -1;
}

const char *http_head_get(const struct http_head *h, const char *name)
{
	for (size_t i = 0; i < h->names.n; i++)
		if (!strcasecmp(h->names.v[i], name))
			return h->values.v[i];
	return NULL;
}

void http_head_clear(struct http_head *h)
{
	free(h->reason);
	strvec_clear(&h->names);
	strvec_clear(&h->values);
	*h = (struct http_head)HTTP_HEAD_INIT;
}

int64_t http_chunk_size_parse(const char *line, size_t len, struct kerr *err)
{
	const int64_t max = (int64_t)1 << 62;
	int64_t v = 0;
	size_t i = 0;

	for (; i < len; i++) {
		char c = line[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (v > (max - d) / 16) {
			bad(err, "chunk size", line, len);
			return -1;
		}
		v = v * 16 + d;
	}
	if (!i)
		goto fail;
	while (i < len && is_blank(line[i]))
		i++;
	if (i < len) {
		/* chunk extensions are allowed and ignored, control bytes are not */
		if (line[i] != ';')
			goto fail;
		for (; i < len; i++)
			if (!is_text((unsigned char)line[i]))
				goto fail;
	}
	return v;
fail:
	bad(err, "chunk size", line, len);
	return -1;
}
