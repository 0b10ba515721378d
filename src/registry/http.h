/* http.h: kiln's HTTP/1.1 client for registries: plain TCP or TLS (mbedtls),
 * keep-alive connections reused per scheme/host/port, Content-Length and
 * chunked bodies, redirects, timeouts, retries, HTTP(S)_PROXY with CONNECT. */
#ifndef KILN_REGISTRY_HTTP_H
#define KILN_REGISTRY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/strvec.h"

/* limits of what a server may send in a response head */
#define HTTP_HEAD_MAX		(64u << 10)	/* status line + headers, bytes */
#define HTTP_HEADERS_MAX	128		/* header fields */
#define HTTP_REDIRECTS_MAX	10

/* --- URLs ------------------------------------------------------------- */

struct http_url {
	char *scheme;	/* "http" or "https" */
	char *host;	/* without brackets for IPv6 literals: "::1" */
	char *port;	/* always set: "443", "80" or as given */
	char *target;	/* path and query: "/v2/x/blobs/sha256:..?a=b", at least "/" */
};

#define HTTP_URL_INIT { NULL, NULL, NULL, NULL }

/* absolute http(s) URLs only; an input error names the URL */
int http_url_parse(const char *s, struct http_url *u, struct kerr *err);
/* a Location header value against the URL it answered: absolute,
 * scheme-relative (//host/x), absolute-path (/x) or relative (x) */
int http_url_resolve(const struct http_url *base, const char *ref, struct http_url *out,
		     struct kerr *err);
/* "scheme://host[:port]" + target, the port left out when it is the
 * scheme's default, IPv6 hosts in brackets; caller frees */
char *http_url_string(const struct http_url *u);
/* "host:port" with brackets for IPv6 (what CONNECT and Host: carry); the
 * default port is left out when omit_default */
char *http_url_authority(const struct http_url *u, bool omit_default);
void http_url_clear(struct http_url *u);

/* --- The response head: a pure parser, fuzzed (tests/fuzz/fuzz-http.c) -- */

struct http_head {
	int status;		/* 100..599 */
	char *reason;
	struct strvec names;	/* lowercased field names, in order */
	struct strvec values;	/* their values, surrounding blanks trimmed */
	int64_t content_length;	/* -1 when absent */
	bool chunked;		/* Transfer-Encoding ends in chunked */
	bool close;		/* Connection: close, or an HTTP/1.0 reply without keep-alive */
};

#define HTTP_HEAD_INIT { 0, NULL, STRVEC_INIT, STRVEC_INIT, -1, false, false }

/* Parses a response head: buf holds len bytes ending with the blank line
 * (CRLF CRLF; bare LF accepted). Refuses (input error) heads over
 * HTTP_HEAD_MAX, more than HTTP_HEADERS_MAX fields, a bad status line,
 * obs-fold, bytes that cannot be in a field, Content-Length that is not
 * digits, overflows int64 or disagrees with another Content-Length, and a
 * Transfer-Encoding other than chunked (possibly after identity). */
int http_head_parse(const char *buf, size_t len, struct http_head *h, struct kerr *err);
/* the first value of a field (name in any case); NULL when absent */
const char *http_head_get(const struct http_head *h, const char *name);
void http_head_clear(struct http_head *h);

/* a chunk-size line without its CRLF ("1a3f", "1a3f;ext=x"); -1 and an
 * input error for anything else, or more than 2^62 */
int64_t http_chunk_size_parse(const char *line, size_t len, struct kerr *err);

/* --- TLS settings --------------------------------------------------------- */

struct http_tls {
	bool verify;			/* certificate and host name checks; on by default */
	struct strvec ca_files;		/* extra CA files, PEM, e.g. certs.d/HOST/ca.crt */
	char *cert_file;		/* client certificate, PEM; NULL for none */
	char *key_file;			/* its key */
};

#define HTTP_TLS_INIT { true, STRVEC_INIT, NULL, NULL }

void http_tls_clear(struct http_tls *t);

/* --- The client --------------------------------------------------------- */

struct http_conn;	/* one connection, plain or TLS, private to http.c */

/* One client per thread: the idle connections it keeps are not shared. */
struct http_client {
	struct http_conn *idle;		/* keep-alive connections, a short list */
	/* how TLS connections to a host are checked; NULL: HTTP_TLS_INIT
	 * (system CAs: SSL_CERT_FILE, SSL_CERT_DIR, /etc/ssl/certs). Called with
	 * "host:port"; the result stays owned by the callback's owner. */
	const struct http_tls *(*tls_for)(void *arg, const char *authority);
	void *tls_arg;
	int connect_timeout_ms;		/* default 30 s */
	int stall_timeout_ms;		/* no byte in either direction for this long; default 60 s */
	int retries;			/* extra tries for connect errors, 429 and 5xx; default 4 */
	int backoff_ms;			/* first pause between tries, doubled each time; default 500 */
	char *user_agent;		/* default "kiln/VERSION" */
};

void http_client_init(struct http_client *c);
/* closes the idle connections */
void http_client_release(struct http_client *c);

/* A request body: none, bytes in memory, or len bytes of fd from offset
 * (read with pread, so a retry can send it again). */
struct http_body {
	const void *buf;
	int fd;			/* -1 when buf (or nothing) is the body */
	off_t offset;
	int64_t len;		/* -1: no body */
};

#define HTTP_BODY_NONE { NULL, -1, 0, -1 }

struct http_request {
	const char *method;
	const char *url;		/* absolute */
	const struct strvec *headers;	/* "Name: value" lines, NULL for none */
	struct http_body body;
	/* follow 301/302/303/307/308 (303, and 301/302 of a POST, become GET
	 * without a body); Authorization is dropped when the host changes */
	bool follow_redirects;
	/* a response status that is retried like a connection error: 429 and
	 * 5xx unless no_retry_status */
	bool no_retry_status;
};

/* An answer whose body is still on the wire. */
struct http_response {
	struct http_head head;
	struct http_url url;		/* where it came from, after redirects */
	/* private: the body reader */
	struct http_client *client;
	struct http_conn *conn;
	int64_t left;			/* bytes left of the body or the chunk; -1 until close */
	int state;
	char *rbuf;			/* bytes read past the head */
	size_t rpos, rlen;
};

#define HTTP_RESPONSE_INIT { .head = HTTP_HEAD_INIT, .url = HTTP_URL_INIT }

/* Sends req and reads the response head, trying again after connection
 * errors (and, unless req->no_retry_status, after 429 and 5xx, honouring
 * Retry-After) with backoff; a stale keep-alive connection is retried at
 * once. Any status is a success here: the caller reads resp->head.status.
 * Errors name the method and URL: "GET https://r/v2/: connection refused". */
int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct kerr *err);
/* Reads up to len body bytes: > 0 bytes read, 0 at the end of the body,
 * -1 on error (a connection that drops before the end is an error). */
ssize_t http_read(struct http_response *resp, void *buf, size_t len, struct kerr *err);
/* the whole body into out; more than limit bytes is an error */
int http_read_all(struct http_response *resp, struct strbuf *out, size_t limit,
		  struct kerr *err);
/* Ends the exchange: a body read to its end leaves the connection idle for
 * reuse; otherwise up to 64 KiB are drained, or the connection is closed. */
void http_response_end(struct http_response *resp);

/* Proxies, from HTTP_PROXY / HTTPS_PROXY / NO_PROXY (and lowercase forms,
 * lowercase first, as curl and Go read them): the proxy URL for target, or
 * NULL for a direct connection. NO_PROXY holds hosts, .domains, *, IPs and
 * CIDR blocks, with optional :port. Caller frees. */
char *http_proxy_for(const struct http_url *target);

#endif
