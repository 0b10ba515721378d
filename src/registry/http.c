/* http.c: requests of kiln's HTTP client: writing them, reading the head of
 * the answer, retries with backoff, redirects, and the client's lifecycle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "generated/version.h"
#include "registry/http-internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define BODY_PIECE	(64u << 10)
/* a body this small goes out in the same write as the head */
#define BODY_INLINE	(16u << 10)
#define PAUSE_MAX_MS	30000

void http_client_init(struct http_client *c)
{
	*c = (struct http_client){
		.connect_timeout_ms = 30000,
		.stall_timeout_ms = 60000,
		.retries = 4,
		.backoff_ms = 500,
		.user_agent = (char *)"kiln/" KILN_VERSION,
	};
}

void http_client_release(struct http_client *c)
{
	while (c->idle) {
		struct http_conn *cn = c->idle;

		c->idle = cn->next;
		conn_close(cn);
	}
}

void http_tls_clear(struct http_tls *t)
{
	strvec_clear(&t->ca_files);
	free(t->cert_file);
	free(t->key_file);
	*t = (struct http_tls)HTTP_TLS_INIT;
}

/* one leg of a request: redirects change the method, URL and body */
struct hop {
	const char *method;
	struct http_url url;
	const struct strvec *headers;
	struct http_body body;
	bool drop_auth;		/* the request left the host it was meant for */
};

static bool is_token(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr("!#$%&'*+-.^_`|~", c))))
			return false;
	}
	return true;
}

static bool header_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(line, name, n) && line[n] == ':';
}

/* what the caller asks for must not be able to break the request apart */
static int check_request(const struct http_request *req, struct kerr *err)
{
	if (!req->method || !is_token(req->method, strlen(req->method)))
		return kerr_set(err, "bad HTTP method '%s'", req->method ? req->method : "");
	if (req->body.len > 0 && !req->body.buf && req->body.fd < 0)
		return kerr_set(err, "%s %s: a body without bytes or a file", req->method, req->url);
	for (size_t i = 0; req->headers && i < req->headers->n; i++) {
		const char *h = req->headers->v[i];
		const char *colon = strchr(h, ':');

		if (!colon || !is_token(h, (size_t)(colon - h)))
			return kerr_set(err, "bad header line '%s'", h);
		for (const char *p = colon; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return kerr_set(err, "control bytes in header '%.*s'",
						(int)(colon - h), h);
		if (header_is(h, "host") || header_is(h, "content-length") ||
		    header_is(h, "transfer-encoding"))
			return kerr_set(err, "header '%.*s' is the client's to set", (int)(colon - h),
					h);
	}
	return 0;
}

static bool has_body_method(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

static int send_body(struct http_conn *cn, const struct http_body *b, struct kerr *err)
{
	cleanup_free char *piece = NULL;
	int64_t left = b->len;
	off_t off = b->offset;

	if (b->fd < 0)
		return conn_send_all(cn, b->buf, (size_t)b->len, err);
	piece = xmalloc(BODY_PIECE);
	while (left > 0) {
		size_t want = left < BODY_PIECE ? (size_t)left : BODY_PIECE;
		ssize_t n = pread(b->fd, piece, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		/* not a transport error: errnum stays 0, so nothing retries it */
		if (n < 0)
			return kerr_set(err, "cannot read the request body: %s", strerror(errno));
		if (!n)
			return kerr_set(err, "the request body's file ends %lld bytes early",
					(long long)left);
		if (conn_send_all(cn, piece, (size_t)n, err) < 0)
			return -1;
		off += n;
		left -= n;
	}
	return 0;
}

/* *head_sent tells a failure in the body from one before it */
static int send_request(struct http_client *c, struct http_conn *cn, const struct hop *h,
			bool *head_sent, struct kerr *err)
{
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	cleanup_free char *host = http_url_authority(&h->url, true);
	cleanup_free char *absolute = cn->forward ? http_url_string(&h->url) : NULL;
	bool agent = false, inline_body;

	*head_sent = false;
	strbuf_addf(&sb, "%s %s HTTP/1.1\r\nHost: %s\r\n", h->method,
		    absolute ? absolute : h->url.target, host);
	for (size_t i = 0; h->headers && i < h->headers->n; i++) {
		const char *line = h->headers->v[i];

		if (h->drop_auth && header_is(line, "authorization"))
			continue;
		agent |= header_is(line, "user-agent");
		strbuf_addf(&sb, "%s\r\n", line);
	}
	if (!agent)
		strbuf_addf(&sb, "User-Agent: %s\r\n", c->user_agent ? c->user_agent : "kiln");
	if (cn->forward && cn->proxy_auth)
		strbuf_addf(&sb, "%s\r\n", cn->proxy_auth);
	if (h->body.len >= 0)
		strbuf_addf(&sb, "Content-Length: %lld\r\n", (long long)h->body.len);
	else if (has_body_method(h->method))
		strbuf_addstr(&sb, "Content-Length: 0\r\n");
	strbuf_addstr(&sb, "\r\n");
	inline_body = h->body.len > 0 && h->body.fd < 0 && h->body.len <= BODY_INLINE;
	if (inline_body)
		strbuf_add(&sb, h->body.buf, (size_t)h->body.len);
	if (conn_send_all(cn, sb.buf, sb.len, err) < 0)
		return -1;
	*head_sent = true;
	if (h->body.len > 0 && !inline_body)
		return send_body(cn, &h->body, err);
	return 0;
}

static int read_response(struct http_conn *cn, const struct hop *h, struct http_response *resp,
			 bool *got, struct kerr *err)
{
	struct http_head *hd = &resp->head;
	size_t len = 0, hlen = 0;

	if (!resp->rbuf)
		resp->rbuf = xmalloc(HTTP_RBUF_SIZE);
	for (;;) {
		if (conn_read_head(cn, resp->rbuf, HTTP_RBUF_SIZE, &len, &hlen, err) < 0) {
			*got |= len > 0;
			return -1;
		}
		*got = true;
		if (http_head_parse(resp->rbuf, hlen, hd, err) < 0)
			return -1;
		if (hd->status >= 200)
			break;
		if (hd->status == 101)
			return kerr_set(err, "unexpected 101 Switching Protocols");
		/* 100 Continue, 103 Early Hints: the answer is still to come */
		http_head_clear(hd);
		memmove(resp->rbuf, resp->rbuf + hlen, len - hlen);
		len -= hlen;
	}
	resp->rpos = hlen;
	resp->rlen = len;
	resp->left = 0;
	if (!strcmp(h->method, "HEAD") || hd->status == 204 || hd->status == 304) {
		resp->state = BODY_DONE;
	} else if (hd->chunked) {
		resp->state = BODY_CHUNK_SIZE;
	} else if (hd->content_length >= 0) {
		resp->left = hd->content_length;
		resp->state = resp->left ? BODY_LENGTH : BODY_DONE;
	} else {
		resp->left = -1;
		resp->state = BODY_CLOSE;
	}
	return 0;
}

static void response_reset(struct http_response *resp)
{
	free(resp->rbuf);
	http_head_clear(&resp->head);
	http_url_clear(&resp->url);
	*resp = (struct http_response)HTTP_RESPONSE_INIT;
}

static void url_copy(struct http_url *dst, const struct http_url *src)
{
	dst->scheme = xstrdup(src->scheme);
	dst->host = xstrdup(src->host);
	dst->port = xstrdup(src->port);
	dst->target = xstrdup(src->target);
}

/* one try: a connection (an idle one if there is one), the request, the head */
static int exchange(struct http_client *c, const struct hop *h, struct http_response *resp,
		    struct kerr *err)
{
	cleanup_free char *proxy = http_proxy_for(&h->url);
	cleanup_free char *key = conn_key(&h->url, proxy);

	for (;;) {
		struct http_conn *cn = pool_take(c, key);
		bool reused = cn != NULL, got = false, head_sent;
		int r;

		if (!cn && conn_open(c, &h->url, proxy, key, &cn, err) < 0)
			return -1;
		r = send_request(c, cn, h, &head_sent, err);
		if (r < 0 && head_sent && err->errnum) {
			/* a server may answer before the body is in (413, 401) and
			 * close: its answer says more than "connection reset" */
			struct kerr e2 = KERR_INIT;

			if (!read_response(cn, h, resp, &got, &e2)) {
				kerr_clear(err);
				resp->head.close = true;
				r = 0;
			} else {
				response_reset(resp);
				got = false;
			}
			kerr_clear(&e2);
		} else if (!r) {
			r = read_response(cn, h, resp, &got, err);
		}
		if (!r) {
			resp->client = c;
			resp->conn = cn;
			url_copy(&resp->url, &h->url);
			return 0;
		}
		response_reset(resp);
		conn_close(cn);
		/* the server closed an idle connection as it was being reused */
		if (reused && !got && err->errnum) {
			log_debug("%s %s: idle connection was closed (%s), reconnecting", h->method,
				  h->url.target, err->msg);
			kerr_clear(err);
			continue;
		}
		return -1;
	}
}

static long backoff_ms(const struct http_client *c, int attempt)
{
	long ms = c->backoff_ms > 0 ? c->backoff_ms : 0;

	while (attempt-- > 0 && ms < PAUSE_MAX_MS)
		ms *= 2;
	return ms < PAUSE_MAX_MS ? ms : PAUSE_MAX_MS;
}

/* Retry-After in seconds (an HTTP-date falls back to the backoff) */
static long retry_after_ms(const struct http_head *h)
{
	const char *v = http_head_get(h, "retry-after");
	long s = 0;

	if (!v || !*v)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		if (s <= PAUSE_MAX_MS / 1000)
			s = s * 10 + (*v - '0');
	}
	return s * 1000 < PAUSE_MAX_MS ? s * 1000 : PAUSE_MAX_MS;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int with_retries(struct http_client *c, const struct hop *h, bool no_retry_status,
			struct http_response *resp, struct kerr *err)
{
	for (int attempt = 0;; attempt++) {
		long ms;

		if (exchange(c, h, resp, err) < 0) {
			if (!err->errnum || attempt >= c->retries)
				return -1;
			ms = backoff_ms(c, attempt);
			log_debug("%s %s: %s; trying again in %ld ms", h->method, h->url.target,
				  err->msg, ms);
			kerr_clear(err);
		} else {
			int s = resp->head.status;

			if (no_retry_status || (s != 429 && s < 500) || attempt >= c->retries)
				return 0;
			ms = retry_after_ms(&resp->head);
			if (ms < 0)
				ms = backoff_ms(c, attempt);
			log_debug("%s %s: %d %s; trying again in %ld ms", h->method, h->url.target,
				  s, resp->head.reason, ms);
			http_response_end(resp);
		}
		pause_ms(ms);
	}
}

static bool is_redirect(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

static int fail_url(struct kerr *err, const struct hop *h)
{
	cleanup_free char *u = http_url_string(&h->url);

	return kerr_wrap(err, "%s %s", h->method, u);
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct kerr *err)
{
	struct hop h = { req->method, HTTP_URL_INIT, req->headers, req->body, false };

	*resp = (struct http_response)HTTP_RESPONSE_INIT;
	if (check_request(req, err) < 0 || http_url_parse(req->url, &h.url, err) < 0)
		return -1;
	for (int redirects = 0;; redirects++) {
		struct http_url next = HTTP_URL_INIT;
		const char *loc;
		int s;

		if (with_retries(c, &h, req->no_retry_status, resp, err) < 0)
			goto fail;
		s = resp->head.status;
		loc = http_head_get(&resp->head, "location");
		if (!req->follow_redirects || !is_redirect(s) || !loc)
			break;
		if (redirects == HTTP_REDIRECTS_MAX) {
			kerr_set(err, "more than %d redirects", HTTP_REDIRECTS_MAX);
			goto fail_resp;
		}
		if (http_url_resolve(&resp->url, loc, &next, err) < 0) {
			kerr_wrap(err, "redirect");
			goto fail_resp;
		}
		log_debug("%s %s: %d to %s", h.method, h.url.target, s, loc);
		/* credentials are for the host they were given for */
		if (strcmp(next.host, h.url.host) || strcmp(next.port, h.url.port))
			h.drop_auth = true;
		if ((s == 303 && strcmp(h.method, "HEAD")) ||
		    ((s == 301 || s == 302) && !strcmp(h.method, "POST"))) {
			h.method = "GET";
			h.body = (struct http_body)HTTP_BODY_NONE;
		}
		http_response_end(resp);
		http_url_clear(&h.url);
		h.url = next;
	}
	http_url_clear(&h.url);
	return 0;
fail_resp:
	http_response_end(resp);
fail:
	fail_url(err, &h);
	http_url_clear(&h.url);
	return -1;
}
