/* http-body.c: reading a response body as it streams in: Content-Length,
 * chunked with trailers, or until the server closes; ending the exchange. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* a chunk-size line longer than this is not a chunk-size line */
#define CHUNK_LINE_MAX	4096
/* what http_response_end reads to keep a connection */
#define DRAIN_MAX	(64u << 10)
#define DRAIN_STALL_MS	2000

/* bytes already in rbuf first, then the connection */
static ssize_t fill(struct http_response *resp, void *buf, size_t len, struct kerr *err)
{
	if (resp->rpos < resp->rlen) {
		size_t n = resp->rlen - resp->rpos;

		if (n > len)
			n = len;
		memcpy(buf, resp->rbuf + resp->rpos, n);
		resp->rpos += n;
		return (ssize_t)n;
	}
	return conn_recv(resp->conn, buf, len, err);
}

static int closed_early(struct kerr *err, const char *what)
{
	kerr_set(err, "connection closed %s", what);
	err->errnum = ECONNRESET;
	return -1;
}

/* the next line of a chunked body, without its line end, from rbuf */
static int read_line(struct http_response *resp, const char **line, size_t *n,
		     struct kerr *err)
{
	for (;;) {
		char *start = resp->rbuf + resp->rpos;
		char *nl = memchr(start, '\n', resp->rlen - resp->rpos);
		ssize_t got;

		if (nl) {
			*line = start;
			*n = (size_t)(nl - start);
			if (*n && start[*n - 1] == '\r')
				(*n)--;
			resp->rpos = (size_t)(nl + 1 - resp->rbuf);
			return 0;
		}
		if (resp->rlen - resp->rpos >= CHUNK_LINE_MAX)
			return kerr_input(err, "bad response: a line of the chunked body is longer "
					  "than %d bytes", CHUNK_LINE_MAX);
		memmove(resp->rbuf, start, resp->rlen - resp->rpos);
		resp->rlen -= resp->rpos;
		resp->rpos = 0;
		got = conn_recv(resp->conn, resp->rbuf + resp->rlen, HTTP_RBUF_SIZE - resp->rlen,
				err);
		if (got < 0)
			return -1;
		if (!got)
			return closed_early(err, "in the middle of the chunked body");
		resp->rlen += (size_t)got;
	}
}

/* one step of the chunked framing that yields no body bytes */
static int chunk_step(struct http_response *resp, struct kerr *err)
{
	const char *line = NULL;
	size_t n = 0;
	int64_t size;

	if (read_line(resp, &line, &n, err) < 0)
		return -1;
	switch (resp->state) {
	case BODY_CHUNK_SIZE:
		size = http_chunk_size_parse(line, n, err);
		if (size < 0)
			return -1;
		resp->left = size;
		resp->state = size ? BODY_CHUNK_DATA : BODY_TRAILERS;
		return 0;
	case BODY_CHUNK_END:
		if (n)
			return kerr_input(err, "bad response: a chunk longer than its size");
		resp->state = BODY_CHUNK_SIZE;
		return 0;
	default:
		/* trailers: read and dropped, within the limits of a head */
		if (!n) {
			resp->state = BODY_DONE;
			return 0;
		}
		resp->left += (int64_t)n + 2;
		if (resp->left > HTTP_HEAD_MAX)
			return kerr_input(err, "bad response: trailers larger than %u bytes",
					  HTTP_HEAD_MAX);
		return 0;
	}
}

static ssize_t read_body(struct http_response *resp, void *buf, size_t len, struct kerr *err)
{
	if (!len)
		return 0;
	for (;;) {
		ssize_t n;

		switch (resp->state) {
		case BODY_DONE:
			return 0;
		case BODY_FAILED:
			return kerr_set(err, "the body cannot be read after an error");
		case BODY_CLOSE:
			n = fill(resp, buf, len, err);
			if (!n)
				resp->state = BODY_DONE;
			return n;
		case BODY_LENGTH:
		case BODY_CHUNK_DATA:
			if ((uint64_t)len > (uint64_t)resp->left)
				len = (size_t)resp->left;
			n = fill(resp, buf, len, err);
			if (n < 0)
				return -1;
			if (!n) {
				char what[64];

				snprintf(what, sizeof(what), "with %lld bytes of the %s to come",
					 (long long)resp->left,
					 resp->state == BODY_LENGTH ? "body" : "chunk");
				return closed_early(err, what);
			}
			resp->left -= n;
			if (!resp->left)
				resp->state = resp->state == BODY_LENGTH ? BODY_DONE : BODY_CHUNK_END;
			return n;
		default:
			if (chunk_step(resp, err) < 0)
				return -1;
		}
	}
}

ssize_t http_read(struct http_response *resp, void *buf, size_t len, struct kerr *err)
{
	ssize_t n;

	if (!resp->conn)
		return kerr_set(err, "no response to read");
	n = read_body(resp, buf, len, err);
	if (n < 0) {
		cleanup_free char *u = http_url_string(&resp->url);

		resp->state = BODY_FAILED;
		kerr_wrap(err, "%s", u);
	}
	return n;
}

int http_read_all(struct http_response *resp, struct strbuf *out, size_t limit,
		  struct kerr *err)
{
	size_t start = out->len;

	if (resp->state == BODY_LENGTH && (uint64_t)resp->left > limit) {
		cleanup_free char *u = http_url_string(&resp->url);

		return kerr_set(err, "%s: body of %lld bytes, more than %zu", u,
				(long long)resp->left, limit);
	}
	for (;;) {
		ssize_t n;

		strbuf_grow(out, 16384);
		n = http_read(resp, out->buf + out->len, out->alloc - out->len - 1, err);
		if (n < 0) {
			strbuf_setlen(out, start);
			return -1;
		}
		if (!n)
			return 0;
		strbuf_setlen(out, out->len + (size_t)n);
		if (out->len - start > limit) {
			cleanup_free char *u = http_url_string(&resp->url);

			strbuf_setlen(out, start);
			return kerr_set(err, "%s: body larger than %zu bytes", u, limit);
		}
	}
}

void http_response_end(struct http_response *resp)
{
	struct http_conn *cn = resp->conn;

	if (cn) {
		bool drain = resp->state != BODY_DONE && resp->state != BODY_FAILED &&
			     resp->state != BODY_CLOSE && !resp->head.close &&
			     !(resp->state == BODY_LENGTH && resp->left > (int64_t)DRAIN_MAX);

		if (drain) {
			cleanup_free char *scratch = xmalloc(16384);
			struct kerr e = KERR_INIT;
			size_t total = 0;
			ssize_t n = 0;

			/* a server that is slow to send the rest is not worth waiting for */
			if (cn->stall_ms > DRAIN_STALL_MS)
				cn->stall_ms = DRAIN_STALL_MS;
			while (total <= DRAIN_MAX && (n = read_body(resp, scratch, 16384, &e)) > 0)
				total += (size_t)n;
			if (n < 0)
				resp->state = BODY_FAILED;
			kerr_clear(&e);
		}
		if (resp->state == BODY_DONE && !resp->head.close && resp->rpos == resp->rlen)
			pool_put(resp->client, cn);
		else
			conn_close(cn);
	}
	free(resp->rbuf);
	http_head_clear(&resp->head);
	http_url_clear(&resp->url);
	*resp = (struct http_response)HTTP_RESPONSE_INIT;
}
