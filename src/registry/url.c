/* url.c: absolute http(s) URLs for the registry client: parsing, resolving
 * a redirect's Location against the URL it answered, and printing them. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static const char *default_port(const char *scheme)
{
	return strcmp(scheme, "https") ? "80" : "443";
}

/* length of "scheme:" at the start of s (RFC 3986 3.1), 0 when there is none */
static size_t scheme_len(const char *s)
{
	size_t n = 0;

	if (!is_alpha(s[0]))
		return 0;
	while (is_alpha(s[n]) || is_digit(s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')
		n++;
	return s[n] == ':' ? n : 0;
}

bool url_host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* host names as DNS has them (and IPv4 literals); IPv6 comes in brackets */
static bool reg_name_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_' && c != '~')
			return false;
	}
	return true;
}

/* Path and query as sent in a request line: control bytes and blanks are
 * refused (they would break the request line), bytes over 0x7e escaped. */
static int put_target(struct strbuf *sb, const char *p, size_t n)
{
	if (!n || *p == '?')
		strbuf_addch(sb, '/');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c == 0x7f)
			return -1;
		if (c > 0x7e)
			strbuf_addf(sb, "%%%02X", c);
		else
			strbuf_addch(sb, c);
	}
	return 0;
}

/*
 * The parser behind http_url_parse and url_parse_proxy. what names the URL
 * in messages; userinfo, when not NULL, takes "user:pass" (still encoded)
 * instead of refusing it.
 */
static int parse(const char *s, const char *what, struct http_url *u, char **userinfo,
		 struct kerr *err)
{
	size_t sl = scheme_len(s), hl;
	const char *p, *end, *host, *hend, *at;
	struct http_url t = HTTP_URL_INIT;
	struct strbuf target = STRBUF_INIT;

	if (!sl || strncmp(s + sl, "://", 3))
		return kerr_input(err, "%s is not an absolute http or https URL", what);
	t.scheme = xstrndup(s, sl);
	for (char *q = t.scheme; *q; q++)
		*q = (char)lower(*q);
	if (strcmp(t.scheme, "http") && strcmp(t.scheme, "https")) {
		kerr_input(err, "%s: unsupported scheme '%s'", what, t.scheme);
		goto fail;
	}
	p = s + sl + 3;
	end = p + strcspn(p, "/?#");
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		if (!userinfo) {
			kerr_input(err, "%s: user names do not belong in URLs", what);
			goto fail;
		}
		*userinfo = xstrndup(p, (size_t)(at - p));
		p = at + 1;
	}
	if (*p == '[') {
		char a[16];

		host = p + 1;
		hend = memchr(host, ']', (size_t)(end - host));
		if (!hend) {
			kerr_input(err, "%s: unterminated '[' in the host", what);
			goto fail;
		}
		t.host = xstrndup(host, (size_t)(hend - host));
		if (inet_pton(AF_INET6, t.host, a) != 1) {
			kerr_input(err, "%s: bad IPv6 address '%s'", what, t.host);
			goto fail;
		}
		hend++;
		if (hend < end && *hend != ':') {
			kerr_input(err, "%s: bad host", what);
			goto fail;
		}
	} else {
		host = p;
		hend = memchr(host, ':', (size_t)(end - host));
		if (!hend)
			hend = end;
		hl = (size_t)(hend - host);
		if (!reg_name_ok(host, hl)) {
			kerr_input(err, "%s: bad host name", what);
			goto fail;
		}
		t.host = xstrndup(host, hl);
		for (char *q = t.host; *q; q++)
			*q = (char)lower(*q);
	}
	if (hend < end && hend + 1 < end) {
		unsigned long port = 0;

		for (const char *q = hend + 1; q < end; q++) {
			if (!is_digit(*q) || (port = port * 10 + (unsigned long)(*q - '0')) > 65535) {
				kerr_input(err, "%s: bad port", what);
				goto fail;
			}
		}
		if (!port) {
			kerr_input(err, "%s: bad port", what);
			goto fail;
		}
		t.port = xasprintf("%lu", port);
	} else {
		/* "host:" is the default port (RFC 3986 3.2.3) */
		t.port = xstrdup(default_port(t.scheme));
	}
	if (put_target(&target, end, strcspn(end, "#")) < 0) {
		kerr_input(err, "%s: blanks or control bytes in the path", what);
		strbuf_release(&target);
		goto fail;
	}
	t.target = strbuf_detach(&target, NULL);
	*u = t;
	return 0;
fail:
	http_url_clear(&t);
	if (userinfo) {
		free(*userinfo);
		*userinfo = NULL;
	}
	return -1;
}

int http_url_parse(const char *s, struct http_url *u, struct kerr *err)
{
	cleanup_free char *what = NULL;
	size_t n = strlen(s);

	/* messages quote the URL, cut short and without control bytes */
	what = xasprintf("'%.*s%s'", n > 200 ? 200 : (int)n, s, n > 200 ? "..." : "");
	for (char *q = what; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	return parse(s, what, u, NULL, err);
}

static char *pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
		    (l = hexval(s[i + 2])) >= 0) {
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

int url_parse_proxy(const char *s, struct http_url *u, char **user, char **pass,
		    struct kerr *err)
{
	cleanup_free char *full = NULL;
	cleanup_free char *ui = NULL;
	const char *colon;

	*user = *pass = NULL;
	/* "proxy:3128" as curl and Go take it: http:// is implied */
	if (!strstr(s, "://"))
		s = full = xasprintf("http://%s", s);
	if (parse(s, "the proxy URL", u, &ui, err) < 0)
		return -1;
	if (!strcmp(u->scheme, "https")) {
		http_url_clear(u);
		return kerr_input(err, "the proxy URL: https proxies are not supported");
	}
	if (!ui)
		return 0;
	colon = strchr(ui, ':');
	*user = pct_decode(ui, colon ? (size_t)(colon - ui) : strlen(ui));
	*pass = colon ? pct_decode(colon + 1, strlen(colon + 1)) : xstrdup("");
	return 0;
}

/* RFC 3986 5.2.4, on a path without its query; appends to sb */
static void remove_dots(struct strbuf *sb, const char *path)
{
	cleanup_free char *buf = xstrdup(path);
	cleanup_strbuf struct strbuf o = STRBUF_INIT;
	struct strbuf *out = &o;
	char *in = buf;

	while (*in) {
		if (!strncmp(in, "../", 3)) {
			in += 3;
		} else if (!strncmp(in, "./", 2)) {
			in += 2;
		} else if (!strncmp(in, "/./", 3)) {
			in += 2;
		} else if (!strcmp(in, "/.")) {
			in[1] = '/';
			in++;
		} else if (!strncmp(in, "/../", 4) || !strcmp(in, "/..")) {
			char *slash;

			if (in[3]) {
				in += 3;
			} else {
				in[2] = '/';
				in += 2;
			}
			slash = memrchr(out->buf, '/', out->len);
			strbuf_setlen(out, slash ? (size_t)(slash - out->buf) : 0);
		} else if (!strcmp(in, ".") || !strcmp(in, "..")) {
			break;
		} else {
			size_t n = strcspn(in + 1, "/") + 1;

			strbuf_add(out, in, n);
			in += n;
		}
	}
	strbuf_addbuf(sb, out);
}

int http_url_resolve(const struct http_url *base, const char *ref, struct http_url *out,
		     struct kerr *err)
{
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	cleanup_free char *authority = NULL;
	size_t rlen = strcspn(ref, "#"), plen = strcspn(ref, "?#");
	const char *bq = strchr(base->target, '?');
	size_t bplen = bq ? (size_t)(bq - base->target) : strlen(base->target);

	if (scheme_len(ref))
		return http_url_parse(ref, out, err);
	if (!strncmp(ref, "//", 2)) {
		strbuf_addf(&sb, "%s:%s", base->scheme, ref);
		return http_url_parse(sb.buf, out, err);
	}
	authority = http_url_authority(base, true);
	strbuf_addf(&sb, "%s://%s", base->scheme, authority);
	if (!rlen) {
		strbuf_addstr(&sb, base->target);
	} else if (ref[0] == '/') {
		cleanup_free char *path = xstrndup(ref, plen);

		remove_dots(&sb, path);
		strbuf_add(&sb, ref + plen, rlen - plen);
	} else if (ref[0] == '?') {
		strbuf_add(&sb, base->target, bplen);
		strbuf_add(&sb, ref, rlen);
	} else {
		const char *slash = memrchr(base->target, '/', bplen);
		cleanup_free char *path = NULL;

		/* a target always starts with '/', so there is a slash */
		path = xasprintf("%.*s%.*s", (int)(slash - base->target + 1), base->target,
				 (int)plen, ref);
		remove_dots(&sb, path);
		strbuf_add(&sb, ref + plen, rlen - plen);
	}
	return http_url_parse(sb.buf, out, err);
}

char *http_url_authority(const struct http_url *u, bool omit_default)
{
	bool v6 = strchr(u->host, ':') != NULL;

	if (omit_default && !strcmp(u->port, default_port(u->scheme)))
		return xasprintf(v6 ? "[%s]" : "%s", u->host);
	return xasprintf(v6 ? "[%s]:%s" : "%s:%s", u->host, u->port);
}

char *http_url_string(const struct http_url *u)
{
	cleanup_free char *a = http_url_authority(u, true);

	return xasprintf("%s://%s%s", u->scheme, a, u->target);
}

void http_url_clear(struct http_url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->port);
	free(u->target);
	*u = (struct http_url)HTTP_URL_INIT;
}
