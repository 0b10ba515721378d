/* blob.c: blobs between a registry and the store: fetched into the store
 * with the digest checked while written (and resumed with Range when a
 * connection drops), uploaded monolithic or in chunks, mounted across
 * repositories. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* a connection that drops mid-blob is picked up again this many times */
#define FETCH_RESUMES 5
#define FETCH_BUF (64 << 10)
/* blobs above this go up in PATCH chunks of this size */
#define UPLOAD_CHUNK (32 << 20)

static const struct http_body no_body = HTTP_BODY_NONE;

int reg_blob_exists(struct reg_conn *c, const char *digest, struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	cleanup_free char *path = xasprintf("blobs/%s", digest);
	int status;

	if (reg_do(c, "HEAD", path, NULL, no_body, true, &resp, err) < 0)
		return -1;
	status = resp.head.status;
	if (status != 200 && status != 404) {
		cleanup_free char *what = xasprintf("HEAD blob '%s'", digest);

		return reg_status_error(&resp, what, err);
	}
	http_response_end(&resp);
	return status == 200;
}

/* "bytes START-END/TOTAL" starting at want */
static bool range_starts_at(const char *cr, int64_t want)
{
	char *end;
	long long v;

	if (!cr || strncmp(cr, "bytes ", 6))
		return false;
	errno = 0;
	v = strtoll(cr + 6, &end, 10);
	return !errno && end != cr + 6 && *end == '-' && v == want;
}

/* one GET of the blob from offset *got on, written to b; 1 when the
 * connection dropped and the rest may be asked for again */
static int fetch_once(struct reg_conn *c, struct store *st, struct store_blob *b,
		      const struct oci_descriptor *d, int64_t *got, struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	cleanup_free char *path = xasprintf("blobs/%s", d->digest);
	struct strvec hv = STRVEC_INIT;
	cleanup_free char *buf = xmalloc(FETCH_BUF);
	int rc;

	if (*got)
		strvec_pushf(&hv, "Range: bytes=%" PRId64 "-", *got);
	rc = reg_do(c, "GET", path, &hv, no_body, true, &resp, err);
	strvec_clear(&hv);
	if (rc < 0)
		return -1;
	if (*got && resp.head.status == 200) {
		/* no ranges here: start again from the first byte */
		log_debug("blob %s: the registry ignored Range; fetching it whole", d->digest);
		store_blob_abort(b);
		*got = 0;
		if (store_blob_begin(st, b, err) < 0) {
			http_response_end(&resp);
			return -1;
		}
	} else if (*got && (resp.head.status != 206 ||
			    !range_starts_at(http_head_get(&resp.head, "content-range"), *got))) {
		cleanup_free char *what = xasprintf("GET blob '%s' from byte %" PRId64, d->digest,
						    *got);

		if (resp.head.status == 206) {
			http_response_end(&resp);
			return kerr_set(err, "%s: the registry sent another range", what);
		}
		return reg_status_error(&resp, what, err);
	} else if (!*got && resp.head.status != 200) {
		cleanup_free char *what = xasprintf("GET blob '%s'", d->digest);

		return reg_status_error(&resp, what, err);
	}
	for (;;) {
		ssize_t n = http_read(&resp, buf, FETCH_BUF, err);

		if (n == 0)
			break;
		if (n < 0) {
			http_response_end(&resp);
			return 1;
		}
		if (*got + n > d->size) {
			http_response_end(&resp);
			return kerr_set(err, "blob '%s': the registry sent more than its %" PRId64
					" bytes", d->digest, d->size);
		}
		if (store_blob_write(b, buf, (size_t)n, err) < 0) {
			http_response_end(&resp);
			return -1;
		}
		*got += n;
	}
	http_response_end(&resp);
	return 0;
}

int reg_blob_fetch(struct reg_conn *c, struct store *st, const struct oci_descriptor *d,
		   struct store_blob *out, struct kerr *err)
{
	struct store_blob b = STORE_BLOB_INIT;
	int64_t got = 0, before;
	int rc, resumes = 0;

	/* what a pull of this blob cut off earlier left is not asked for again */
	rc = store_blob_resume(st, &b, d->digest, d->size, err);
	if (rc == 1)
		rc = store_blob_begin(st, &b, err);
	if (rc < 0)
		return kerr_wrap(err, "blob '%s'", d->digest);
	got = b.size;
	if (got)
		log_info("blob %s: %" PRId64 " of %" PRId64 " bytes are here from a pull cut off "
			 "earlier; fetching the rest", d->digest, got, d->size);
	for (;;) {
		before = got;
		rc = got && got == d->size ? 0 : fetch_once(c, st, &b, d, &got, err);
		if (rc <= 0)
			break;
		/* a drop that made no progress counts against the limit twice */
		resumes += got > before ? 1 : 2;
		if (resumes > 2 * FETCH_RESUMES) {
			kerr_wrap(err, "blob '%s': the connection dropped %d times", d->digest,
				  resumes);
			rc = -1;
			break;
		}
		log_info("blob %s: the connection dropped after %" PRId64 " of %" PRId64
			 " bytes (%s); resuming", d->digest, got, d->size, err->msg);
		kerr_clear(err);
	}
	if (rc >= 0 && got != d->size)
		rc = kerr_set(err, "blob '%s': the registry sent %" PRId64 " bytes, the manifest "
			      "says %" PRId64, d->digest, got, d->size);
	if (rc < 0) {
		/* a blob cut off keeps its bytes for the next pull (the digest
		 * is checked when it is whole); anything else goes */
		if (got > 0 && got < d->size)
			store_blob_keep(&b);
		else
			store_blob_abort(&b);
		return -1;
	}
	if (store_blob_check(&b, d->digest, NULL, err) < 0) {
		/* bytes that are not what was asked for are the registry's
		 * (or the network's) failure, not the user's input */
		err->kind = KERR_FAIL;
		return kerr_wrap(err, "blob '%s' from %s", d->digest, c->repo->registry);
	}
	if (out) {
		*out = b;
		return 0;
	}
	return store_blob_publish(&b, err);
}

/* the Location of an upload, absolute */
static char *location(const struct http_response *resp, struct kerr *err)
{
	const char *loc = http_head_get(&resp->head, "location");
	struct http_url u = HTTP_URL_INIT;
	char *s;

	if (!loc) {
		kerr_set(err, "the registry started an upload without a Location");
		return NULL;
	}
	if (http_url_resolve(&resp->url, loc, &u, err) < 0)
		return NULL;
	s = http_url_string(&u);
	http_url_clear(&u);
	return s;
}

int reg_blob_mount(struct reg_conn *c, const char *digest, const char *from,
		   struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_body empty = { "", -1, 0, 0 };
	cleanup_free char *path = xasprintf("blobs/uploads/?mount=%s&from=%s", digest, from);
	cleanup_free char *loc = NULL;

	if (reg_do(c, "POST", path, NULL, empty, false, &resp, err) < 0)
		return -1;
	if (resp.head.status == 201) {
		http_response_end(&resp);
		return 1;
	}
	if (resp.head.status != 202) {
		cleanup_free char *what = xasprintf("mount of blob '%s' from '%s'", digest, from);

		return reg_status_error(&resp, what, err);
	}
	/* the registry started a plain upload instead: give it back */
	loc = location(&resp, err);
	http_response_end(&resp);
	if (loc && reg_do(c, "DELETE", loc, NULL, no_body, false, &resp, err) >= 0)
		http_response_end(&resp);
	kerr_clear(err);
	return 0;
}

static char *with_digest(const char *loc, const char *digest)
{
	return xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
}

int reg_blob_upload(struct reg_conn *c, struct store *st, const struct oci_descriptor *d,
		    struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_body empty = { "", -1, 0, 0 };
	struct strvec hv = STRVEC_INIT;
	cleanup_close int fd = store_blob_open(st, d->digest, err);
	cleanup_free char *loc = NULL;
	cleanup_free char *put = NULL;
	cleanup_free char *what = xasprintf("upload of blob '%s'", d->digest);
	int64_t off = 0;
	const char *dcd;
	int rc;

	if (fd < 0)
		return -1;
	if (reg_do(c, "POST", "blobs/uploads/", NULL, empty, false, &resp, err) < 0)
		return kerr_wrap(err, "%s", what);
	if (resp.head.status != 202)
		return reg_status_error(&resp, what, err);
	loc = location(&resp, err);
	http_response_end(&resp);
	if (!loc)
		return kerr_wrap(err, "%s", what);
	strvec_push(&hv, "Content-Type: application/octet-stream");
	/* large blobs in chunks, each a request of its own that a retry can
	 * send again */
	while (d->size > UPLOAD_CHUNK && off < d->size) {
		int64_t n = d->size - off < UPLOAD_CHUNK ? d->size - off : UPLOAD_CHUNK;
		struct http_body chunk = { NULL, fd, off, n };
		struct strvec ch = STRVEC_INIT;

		strvec_push(&ch, hv.v[0]);
		strvec_pushf(&ch, "Content-Range: %" PRId64 "-%" PRId64, off, off + n - 1);
		rc = reg_do(c, "PATCH", loc, &ch, chunk, false, &resp, err);
		strvec_clear(&ch);
		if (rc < 0) {
			strvec_clear(&hv);
			return kerr_wrap(err, "%s", what);
		}
		if (resp.head.status != 202) {
			strvec_clear(&hv);
			return reg_status_error(&resp, what, err);
		}
		free(loc);
		loc = location(&resp, err);
		http_response_end(&resp);
		if (!loc) {
			strvec_clear(&hv);
			return kerr_wrap(err, "%s", what);
		}
		off += n;
	}
	put = with_digest(loc, d->digest);
	{
		struct http_body rest = { NULL, fd, off, d->size - off };

		rc = reg_do(c, "PUT", put, &hv, off ? empty : rest, false, &resp, err);
	}
	strvec_clear(&hv);
	if (rc < 0)
		return kerr_wrap(err, "%s", what);
	if (resp.head.status != 201 && resp.head.status != 204 && resp.head.status != 200)
		return reg_status_error(&resp, what, err);
	dcd = http_head_get(&resp.head, "docker-content-digest");
	rc = 0;
	if (dcd && strcmp(dcd, d->digest))
		rc = kerr_set(err, "%s: the registry stored it as %s", what, dcd);
	http_response_end(&resp);
	return rc;
}
