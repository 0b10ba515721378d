/* conn.c: the HTTP client's connections: direct or through a proxy (CONNECT
 * for https), plain or TLS, and the short list of idle ones kept for reuse. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/http-internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define IDLE_MAX	4
/* servers drop idle connections after a minute or so (nginx: 75 s) */
#define IDLE_MS		50000

char *conn_key(const struct http_url *u, const char *proxy)
{
	return xasprintf("%s://%s:%s %s", u->scheme, u->host, u->port, proxy ? proxy : "");
}

static char *basic_auth(const char *user, const char *pass)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	cleanup_free char *plain = xasprintf("%s:%s", user, pass);
	size_t n = strlen(plain);
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "Proxy-Authorization: Basic ");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		strbuf_addch(&sb, tab[v >> 18 & 63]);
		strbuf_addch(&sb, tab[v >> 12 & 63]);
		strbuf_addch(&sb, i + 1 < n ? tab[v >> 6 & 63] : '=');
		strbuf_addch(&sb, i + 2 < n ? tab[v & 63] : '=');
	}
	return strbuf_detach(&sb, NULL);
}

ssize_t conn_recv(struct http_conn *cn, void *buf, size_t len, struct kerr *err)
{
	if (IS_ENABLED(CONFIG_REG_TLS) && cn->tls)
		return tls_recv(cn->tls, buf, len, cn->stall_ms, err);
	return net_recv(cn->fd, buf, len, cn->stall_ms, err);
}

int conn_send_all(struct http_conn *cn, const void *buf, size_t len, struct kerr *err)
{
	const char *p = buf;

	while (len) {
		ssize_t n;

		if (IS_ENABLED(CONFIG_REG_TLS) && cn->tls)
			n = tls_send(cn->tls, p, len, cn->stall_ms, err);
		else
			n = net_send(cn->fd, p, len, cn->stall_ms, err);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void conn_close(struct http_conn *cn)
{
	if (!cn)
		return;
	if (IS_ENABLED(CONFIG_REG_TLS) && cn->tls)
		tls_free(cn->tls);
	if (cn->fd >= 0)
		close(cn->fd);
	free(cn->key);
	free(cn->proxy_auth);
	free(cn);
}

/* the end of a head in buf[from..len): the index after its blank line */
static size_t head_end(const char *buf, size_t from, size_t len)
{
	for (size_t i = from; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

int conn_read_head(struct http_conn *cn, char *buf, size_t cap, size_t *len, size_t *hlen,
		   struct kerr *err)
{
	size_t from = 0;

	for (;;) {
		size_t end = head_end(buf, from, *len);
		ssize_t n;

		if (end) {
			*hlen = end;
			return 0;
		}
		from = *len > 2 ? *len - 2 : 0;
		if (*len == cap)
			return kerr_input(err, "bad response: head larger than %zu bytes", cap);
		n = conn_recv(cn, buf + *len, cap - *len, err);
		if (n < 0)
			return -1;
		if (!n) {
			kerr_set(err, *len ? "connection closed in the middle of the response head"
					   : "connection closed before the response");
			err->errnum = ECONNRESET;
			return -1;
		}
		*len += (size_t)n;
	}
}

/* CONNECT host:port through the proxy cn is connected to: a tunnel for TLS */
static int proxy_connect(struct http_client *c, struct http_conn *cn, const struct http_url *u,
			 struct kerr *err)
{
	cleanup_free char *target = http_url_authority(u, false);
	cleanup_free char *buf = NULL;
	cleanup_strbuf struct strbuf req = STRBUF_INIT;
	struct http_head h = HTTP_HEAD_INIT;
	size_t len = 0, hlen = 0;
	int r;

	strbuf_addf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", target, target,
		    c->user_agent ? c->user_agent : "kiln");
	if (cn->proxy_auth)
		strbuf_addf(&req, "%s\r\n", cn->proxy_auth);
	strbuf_addstr(&req, "\r\n");
	if (conn_send_all(cn, req.buf, req.len, err) < 0)
		return -1;
	buf = xmalloc(HTTP_HEAD_MAX);
	r = conn_read_head(cn, buf, HTTP_HEAD_MAX, &len, &hlen, err);
	if (!r)
		r = http_head_parse(buf, hlen, &h, err);
	if (!r && (h.status < 200 || h.status > 299)) {
		r = kerr_set(err, "CONNECT %s refused: %d %s%s", target, h.status, h.reason,
			     h.status == 407 ? " (give credentials in the proxy URL)" : "");
		/* a busy proxy is worth another try, a refusal is not */
		if (h.status == 502 || h.status == 503 || h.status == 504)
			err->errnum = ECONNREFUSED;
	}
	/* the tunnel is silent until the client speaks */
	if (!r && len != hlen)
		r = kerr_set(err, "the proxy sent bytes after its answer to CONNECT");
	http_head_clear(&h);
	return r;
}

int conn_open(struct http_client *c, const struct http_url *u, const char *proxy,
	      const char *key, struct http_conn **out, struct kerr *err)
{
	bool https = !strcmp(u->scheme, "https");
	struct http_url pu = HTTP_URL_INIT;
	cleanup_free char *user = NULL;
	cleanup_free char *pass = NULL;
	struct http_conn *cn;

	if (https && !IS_ENABLED(CONFIG_REG_TLS))
		return kerr_input(err, "https is not in this build (CONFIG_REG_TLS=n)");
	cn = xcalloc(1, sizeof(*cn));
	cn->fd = -1;
	cn->key = xstrdup(key);
	cn->stall_ms = c->stall_timeout_ms;
	if (proxy) {
		if (url_parse_proxy(proxy, &pu, &user, &pass, err) < 0)
			goto fail;
		if (user)
			cn->proxy_auth = basic_auth(user, pass);
		cn->fd = net_connect(pu.host, pu.port, c->connect_timeout_ms, err);
		if (cn->fd < 0 || (https && proxy_connect(c, cn, u, err) < 0)) {
			cleanup_free char *pa = http_url_authority(&pu, false);

			kerr_wrap(err, "proxy '%s'", pa);
			goto fail;
		}
		cn->forward = !https;
	} else {
		cn->fd = net_connect(u->host, u->port, c->connect_timeout_ms, err);
		if (cn->fd < 0)
			goto fail;
	}
	if (IS_ENABLED(CONFIG_REG_TLS) && https) {
		cleanup_free char *authority = http_url_authority(u, false);
		const struct http_tls *tls = c->tls_for ? c->tls_for(c->tls_arg, authority) : NULL;

		if (tls_connect(cn->fd, u->host, authority, tls, cn->stall_ms, &cn->tls, err) < 0)
			goto fail;
	}
	http_url_clear(&pu);
	*out = cn;
	return 0;
fail:
	http_url_clear(&pu);
	conn_close(cn);
	return -1;
}

/* an idle connection is fit for reuse when nothing is waiting on it: data or
 * an end of stream there means the server has given up on it */
static bool idle_alive(struct http_conn *cn, long now)
{
	struct pollfd p = { .fd = cn->fd, .events = POLLIN };

	if (now - cn->idle_since > IDLE_MS)
		return false;
	if (IS_ENABLED(CONFIG_REG_TLS) && cn->tls && tls_pending(cn->tls))
		return false;
	return poll(&p, 1, 0) == 0;
}

struct http_conn *pool_take(struct http_client *c, const char *key)
{
	struct http_conn **pp = &c->idle;
	long now = now_ms();

	while (*pp) {
		struct http_conn *cn = *pp;

		if (!idle_alive(cn, now)) {
			*pp = cn->next;
			conn_close(cn);
			continue;
		}
		if (!strcmp(cn->key, key)) {
			*pp = cn->next;
			cn->next = NULL;
			cn->reused = true;
			cn->stall_ms = c->stall_timeout_ms;
			return cn;
		}
		pp = &cn->next;
	}
	return NULL;
}

void pool_put(struct http_client *c, struct http_conn *cn)
{
	struct http_conn **pp = &c->idle;
	int n = 1;

	cn->idle_since = now_ms();
	cn->next = c->idle;
	c->idle = cn;
	/* the newest stay; the oldest are the likeliest to be dropped anyway */
	for (pp = &cn->next; *pp; n++) {
		if (n < IDLE_MAX) {
			pp = &(*pp)->next;
			continue;
		}
		cn = *pp;
		*pp = cn->next;
		conn_close(cn);
	}
}
