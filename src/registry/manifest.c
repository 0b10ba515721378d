/* manifest.c: manifests and indexes from and to a registry, every byte
 * checked against the digest that names it. */
#include <string.h>

#include "image/media.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

#define ACCEPT "Accept: " MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " \
	MT_DOCKER_MANIFEST_LIST ", " MT_DOCKER_MANIFEST

static bool is_digest(const char *s)
{
	return !strncmp(s, "sha256:", 7);
}

/* the media type of a manifest: Content-Type without parameters, or the
 * body's own mediaType when the server sent none or a generic one */
static char *media_type(const struct http_head *h, const struct strbuf *body)
{
	const char *ct = http_head_get(h, "content-type");
	struct kerr e = KERR_INIT;
	cleanup_json cJSON *v = NULL;
	const char *mt = NULL;

	if (ct && oci_media_kind(ct) != OCI_MEDIA_UNKNOWN)
		return xstrndup(ct, strcspn(ct, "; \t"));
	if (ct) {
		char *bare = xstrndup(ct, strcspn(ct, "; \t"));

		if (oci_media_kind(bare) != OCI_MEDIA_UNKNOWN ||
		    strstr(bare, "vnd.docker.distribution.manifest.v1"))
			return bare;
		free(bare);
	}
	v = json_parse(body->buf, body->len, "manifest", &e);
	if (v)
		json_get_string(v, "mediaType", false, &mt, &e);
	kerr_clear(&e);
	/* an OCI manifest may leave mediaType out: what it holds tells */
	if (!mt && v)
		mt = cJSON_GetObjectItemCaseSensitive(v, "manifests") ? MT_OCI_INDEX :
		     MT_OCI_MANIFEST;
	return mt ? xstrdup(mt) : NULL;
}

int reg_manifest_get(struct reg_conn *c, const char *reference, struct reg_manifest *m,
		     struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct strvec hv = STRVEC_INIT;
	cleanup_free char *path = xasprintf("manifests/%s", reference);
	unsigned char h[SHA256_LEN];
	const char *dcd;
	int rc;

	memset(m, 0, sizeof(*m));
	m->body = (struct strbuf)STRBUF_INIT;
	strvec_push(&hv, ACCEPT);
	rc = reg_do(c, "GET", path, &hv, (struct http_body)HTTP_BODY_NONE, true, &resp, err);
	strvec_clear(&hv);
	if (rc < 0)
		return -1;
	if (resp.head.status != 200) {
		cleanup_free char *what = xasprintf("manifest '%s:%s'", c->repo->path, reference);

		return reg_status_error(&resp, what, err);
	}
	if (http_read_all(&resp, &m->body, REG_MANIFEST_LIMIT, err) < 0) {
		http_response_end(&resp);
		return kerr_wrap(err, "manifest '%s'", reference);
	}
	sha256_buf(m->body.buf, m->body.len, h);
	digest_format(h, m->digest);
	dcd = http_head_get(&resp.head, "docker-content-digest");
	if (is_digest(reference) && strcmp(reference, m->digest))
		rc = kerr_set(err, "manifest '%s': the registry sent bytes of digest %s", reference,
			      m->digest);
	else if (dcd && is_digest(dcd) && strcmp(dcd, m->digest))
		rc = kerr_set(err, "manifest '%s': Docker-Content-Digest says %s, the bytes are %s",
			      reference, dcd, m->digest);
	if (rc >= 0) {
		m->media_type = media_type(&resp.head, &m->body);
		if (!m->media_type || oci_media_kind(m->media_type) == OCI_MEDIA_UNKNOWN) {
			rc = kerr_input(err, "manifest '%s' is a '%s': kiln reads OCI and Docker "
					"schema 2 images (schema 1 is long deprecated)", reference,
					m->media_type ? m->media_type : "?");
		} else if (oci_media_kind(m->media_type) != OCI_MEDIA_INDEX &&
			   oci_media_kind(m->media_type) != OCI_MEDIA_MANIFEST) {
			rc = kerr_input(err, "'%s' is a '%s', not an image", reference,
					m->media_type);
		}
	}
	http_response_end(&resp);
	return rc;
}

void reg_manifest_clear(struct reg_manifest *m)
{
	strbuf_release(&m->body);
	free(m->media_type);
	m->media_type = NULL;
}

int reg_manifest_put(struct reg_conn *c, const char *reference, const char *media_type,
		     const void *body, size_t len, struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_body b = { body, -1, 0, (int64_t)len };
	struct strvec hv = STRVEC_INIT;
	cleanup_free char *path = xasprintf("manifests/%s", reference);
	char digest[DIGEST_STR_LEN];
	unsigned char h[SHA256_LEN];
	const char *dcd;
	int rc;

	strvec_pushf(&hv, "Content-Type: %s", media_type);
	rc = reg_do(c, "PUT", path, &hv, b, false, &resp, err);
	strvec_clear(&hv);
	if (rc < 0)
		return -1;
	if (resp.head.status != 201 && resp.head.status != 200) {
		cleanup_free char *what = xasprintf("PUT manifest '%s:%s'", c->repo->path,
						    reference);

		return reg_status_error(&resp, what, err);
	}
	sha256_buf(body, len, h);
	digest_format(h, digest);
	dcd = http_head_get(&resp.head, "docker-content-digest");
	if (dcd && strcmp(dcd, digest))
		rc = kerr_set(err, "PUT manifest '%s': the registry says %s, kiln sent %s",
			      reference, dcd, digest);
	http_response_end(&resp);
	return rc;
}
