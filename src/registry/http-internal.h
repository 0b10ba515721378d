/* http-internal.h: what the parts of the HTTP client share and nobody else
 * uses: sockets with timeouts (net.c), TLS sessions (tls.c), connections. */
#ifndef KILN_REGISTRY_HTTP_INTERNAL_H
#define KILN_REGISTRY_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "registry/http.h"
#include "util/err.h"
#include "util/kconfig.h"

/*
 * Transport failures (refused, reset, timed out, closed early) leave errno's
 * value in err->errnum: they are worth another try. Everything else (a bad
 * URL, a certificate kiln does not trust, a malformed response) leaves 0.
 */

/* --- net.c: TCP with a connect timeout and a stall timeout ---------------- */

/* each address of host in turn until one answers; fd is non-blocking */
int net_connect(const char *host, const char *port, int timeout_ms, struct kerr *err);
/* > 0 bytes, 0 at the end of the stream, -1 on error (or no byte in stall_ms) */
ssize_t net_recv(int fd, void *buf, size_t len, int stall_ms, struct kerr *err);
/* > 0 bytes written, -1 on error */
ssize_t net_send(int fd, const void *buf, size_t len, int stall_ms, struct kerr *err);
/* sets a transport error: "connection refused", "timed out after 30 s" */
int net_error(struct kerr *err, int errnum);
/* "30 s", "250 ms" */
void net_format_ms(char *buf, size_t size, int ms);

/* --- tls.c: TLS 1.2 client sessions over a connected socket --------------- */

struct tls_conn;

/* handshake with host (SNI, verification) over fd; authority names it in
 * messages: "tls: reg:5000: certificate not trusted (unknown CA)" */
int tls_connect(int fd, const char *host, const char *authority, const struct http_tls *cfg,
		int stall_ms, struct tls_conn **out, struct kerr *err);
ssize_t tls_recv(struct tls_conn *t, void *buf, size_t len, int stall_ms, struct kerr *err);
ssize_t tls_send(struct tls_conn *t, const void *buf, size_t len, int stall_ms,
		 struct kerr *err);
/* whether decrypted bytes wait in the session (an idle one must have none) */
bool tls_pending(struct tls_conn *t);
/* sends close_notify if the socket takes it at once, frees the session */
void tls_free(struct tls_conn *t);

/* --- conn.c: connections, direct or through a proxy, and the idle pool ---- */

struct http_conn {
	struct http_conn *next;		/* in the client's idle list */
	char *key;			/* "scheme://host:port proxy-url" */
	int fd;
	struct tls_conn *tls;		/* NULL for plain HTTP */
	int stall_ms;
	/* http through a proxy: absolute-URI targets, and this header line */
	bool forward;
	char *proxy_auth;		/* "Proxy-Authorization: Basic ..." or NULL */
	bool reused;			/* taken from the idle list */
	long idle_since;		/* CLOCK_MONOTONIC ms */
};

/* the pool key of a URL with the proxy it goes through (NULL: direct) */
char *conn_key(const struct http_url *u, const char *proxy);
/* a connection to u, through proxy when not NULL */
int conn_open(struct http_client *c, const struct http_url *u, const char *proxy,
	      const char *key, struct http_conn **out, struct kerr *err);
ssize_t conn_recv(struct http_conn *cn, void *buf, size_t len, struct kerr *err);
int conn_send_all(struct http_conn *cn, const void *buf, size_t len, struct kerr *err);
void conn_close(struct http_conn *cn);
/* an idle connection for key that still looks alive, or NULL */
struct http_conn *pool_take(struct http_client *c, const char *key);
void pool_put(struct http_client *c, struct http_conn *cn);

/*
 * Reads until buf holds a whole response head (ending in a blank line):
 * *len bytes are already there; on success *hlen is the head's length and
 * *len everything read (the rest belongs to the body). Input error when no
 * blank line comes within cap bytes; a transport error when the stream
 * ends first (*len tells whether anything came at all).
 */
int conn_read_head(struct http_conn *cn, char *buf, size_t cap, size_t *len, size_t *hlen,
		   struct kerr *err);

/* --- http.c, http-body.c: the body of a response ------------------------- */

/* resp->state: where the body reader is */
enum body_state {
	BODY_DONE,		/* read to its end */
	BODY_LENGTH,		/* left bytes of a Content-Length body */
	BODY_CLOSE,		/* until the server closes */
	BODY_CHUNK_SIZE,	/* next: a chunk-size line */
	BODY_CHUNK_DATA,	/* left bytes of the chunk */
	BODY_CHUNK_END,		/* next: the CRLF after a chunk */
	BODY_TRAILERS,		/* trailer fields; left counts their bytes */
	BODY_FAILED,
};

/* what rbuf holds: a whole head, then whatever came after it */
#define HTTP_RBUF_SIZE	HTTP_HEAD_MAX

/* --- url.c --------------------------------------------------------------- */

/* a proxy URL: "http://user:pass@host:port", the scheme optional; the user
 * name and password come back percent-decoded (NULL when absent) */
int url_parse_proxy(const char *s, struct http_url *u, char **user, char **pass,
		    struct kerr *err);
bool url_host_is_ip(const char *host);

long now_ms(void);

#endif
