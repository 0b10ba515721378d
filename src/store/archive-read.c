/* archive-read.c: what a loaded archive says: manifest.json of a
 * docker-archive or index.json of an OCI layout, checked against its blobs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/config.h"
#include "image/media.h"
#include "image/ref.h"
#include "layer/input.h"
#include "store/archive-int.h"
#include "store/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int input(struct kerr *err)
{
	err->kind = KERR_INPUT;
	return -1;
}

/* a name the store can hold, or an input error now, before anything is
 * committed */
static int check_name(const char *name, struct kerr *err)
{
	struct img_ref r;

	if (img_ref_parse(name, &r, err) < 0)
		return -1;
	img_ref_clear(&r);
	return 0;
}

/* A docker layer is only known by its diffID: a plain tar is its own
 * blob; a compressed one is read through to check what it unpacks to. */
static const char *layer_type(struct archive_load *l, struct staged *s, const char *diff_id,
			      struct kerr *err)
{
	struct layer_input_opts o = { s->digest, diff_id };
	struct layer_input *in = NULL;
	cleanup_close int fd = -1;
	const char *mt = NULL;
	char buf[65536];
	ssize_t n;

	if (!strcmp(s->digest, diff_id))
		return MT_OCI_LAYER;
	fd = archive_open(l, s, err);
	if (fd < 0 || layer_input_open_fd(&in, fd, &o, err) < 0)
		return NULL;
	while ((n = layer_input_read(in, buf, sizeof(buf), err)) > 0)
		;
	if (n == 0 && layer_input_finish(in, err) == 0)
		mt = layer_input_compressed(in) ? MT_OCI_LAYER_GZIP : NULL;
	if (n == 0 && !mt && !err->msg)
		kerr_input(err, "layer diffID mismatch: expected '%s', got '%s'", diff_id,
			   s->digest);
	layer_input_free(in);
	return mt;
}

static int docker_image(struct archive_load *l, const cJSON *o, struct kerr *err)
{
	const cJSON *tags = NULL, *layers = NULL, *v;
	const char *cpath;
	struct staged *cfg, *s;
	struct img_config c = { 0 };
	struct oci_manifest m;
	cleanup_strbuf struct strbuf cj = STRBUF_INIT;
	struct loaded_image *im;
	unsigned char h[SHA256_LEN];
	char *json;
	size_t k = 0;
	int r = -1;

	if (json_get_string(o, "Config", true, &cpath, err) < 0 ||
	    json_get_array(o, "Layers", true, &layers, err) < 0)
		return -1;
	/* docker writes "RepoTags": null for an image saved by ID */
	v = cJSON_GetObjectItemCaseSensitive(o, "RepoTags");
	if (v && !cJSON_IsNull(v) && json_get_array(o, "RepoTags", true, &tags, err) < 0)
		return -1;
	if (!(cfg = archive_by_path(l, cpath, err)) ||
	    archive_read(l, cfg, STORE_JSON_LIMIT, &cj, err) < 0)
		return -1;
	if (img_config_parse(cj.buf, cj.len, &c, err) < 0) {
		img_config_clear(&c);
		return kerr_wrap(err, "'%s'", cpath);
	}
	cfg->used = true;
	oci_manifest_init(&m);
	oci_descriptor_set(&m.config, MT_OCI_CONFIG, cfg->digest, cfg->b.size);
	cJSON_ArrayForEach(v, layers) {
		const char *mt;

		if (!cJSON_IsString(v)) {
			kerr_input(err, "'manifest.json': Layers: not a string");
			goto out;
		}
		if (k >= c.diff_ids.n) {
			kerr_input(err, "'%s': more layers than the config's diff_ids", cpath);
			goto out;
		}
		if (!(s = archive_by_path(l, v->valuestring, err)))
			goto out;
		if (!(mt = layer_type(l, s, c.diff_ids.v[k++], err))) {
			kerr_wrap(err, "'%s'", s->path);
			goto out;
		}
		s->used = true;
		oci_manifest_add_layer(&m, mt, s->digest, s->b.size);
	}
	if (k != c.diff_ids.n) {
		kerr_input(err, "'%s': fewer layers than the config's diff_ids", cpath);
		goto out;
	}
	im = archive_add_image(l);
	im->id = xstrdup(cfg->digest);
	json = oci_manifest_json(&m);
	strbuf_addstr(&im->manifest, json);
	free(json);
	sha256_buf(im->manifest.buf, im->manifest.len, h);
	im->desc.digest = xmalloc(DIGEST_STR_LEN);
	digest_format(h, im->desc.digest);
	im->desc.media_type = xstrdup(MT_OCI_MANIFEST);
	im->desc.size = (int64_t)im->manifest.len;
	cJSON_ArrayForEach(v, tags) {
		if (!cJSON_IsString(v) || check_name(v->valuestring, err) < 0) {
			if (!err->msg)
				kerr_input(err, "RepoTags: not a string");
			goto out;
		}
		strvec_push(&im->tags, v->valuestring);
	}
	r = 0;
out:
	oci_manifest_clear(&m);
	img_config_clear(&c);
	return r;
}

int archive_read_docker(struct archive_load *l, struct kerr *err)
{
	cleanup_json cJSON *arr = json_parse(l->manifest_json.buf, l->manifest_json.len,
					     "'manifest.json'", err);
	const cJSON *o;

	if (!arr)
		return input(err);
	if (!cJSON_IsArray(arr))
		return kerr_input(err, "'manifest.json': not an array");
	cJSON_ArrayForEach(o, arr) {
		if (!cJSON_IsObject(o))
			return kerr_input(err, "'manifest.json': an entry is not an object");
		if (docker_image(l, o, err) < 0)
			return -1;
	}
	return 0;
}

/* d's blob, checked for its size and marked for commit */
static struct staged *oci_blob(struct archive_load *l, const struct oci_descriptor *d,
			       struct kerr *err)
{
	struct staged *s = archive_by_digest(l, d->digest, err);

	if (!s)
		return NULL;
	if (s->b.size != d->size)
		return kerr_input(err, "blob '%s' has %lld bytes, its descriptor says %lld",
				  d->digest, (long long)s->b.size, (long long)d->size), NULL;
	s->used = true;
	return s;
}

/* a manifest with its config and layers, or an index with its manifests;
 * id gets the config digest of the first manifest */
static int oci_walk(struct archive_load *l, const struct oci_descriptor *d, int depth,
		    char **id, struct kerr *err)
{
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	enum oci_media_kind kind = oci_media_kind(d->media_type);
	struct staged *s;
	int r = 0;

	if (depth > 4)
		return kerr_input(err, "indexes nested too deep at '%s'", d->digest);
	if (!(s = oci_blob(l, d, err)) || archive_read(l, s, STORE_JSON_LIMIT, &sb, err) < 0)
		return -1;
	if (kind == OCI_MEDIA_INDEX) {
		struct oci_index idx;

		if (oci_index_parse(sb.buf, sb.len, &idx, OCI_ANY_MEDIA, err) < 0)
			r = kerr_wrap(err, "index '%s'", d->digest);
		for (size_t i = 0; r >= 0 && i < idx.n; i++)
			r = oci_walk(l, &idx.manifests[i], depth + 1, id, err);
		oci_index_clear(&idx);
		return r;
	}
	if (kind != OCI_MEDIA_MANIFEST)
		return kerr_input(err, "'%s': media type '%s' is not an image", d->digest,
				  d->media_type);
	struct oci_manifest m;

	if (oci_manifest_parse(sb.buf, sb.len, &m, err) < 0)
		r = kerr_wrap(err, "manifest '%s'", d->digest);
	if (r >= 0 && !oci_blob(l, &m.config, err))
		r = -1;
	for (size_t i = 0; r >= 0 && i < m.nlayers; i++)
		if (!oci_blob(l, &m.layers[i], err))
			r = -1;
	if (r >= 0 && !*id)
		*id = xstrdup(m.config.digest);
	oci_manifest_clear(&m);
	return r;
}

int archive_read_oci(struct archive_load *l, struct kerr *err)
{
	struct oci_index idx;
	int r = 0;

	if (!l->has_layout)
		return kerr_input(err, "index.json without oci-layout: not an OCI layout");
	if (oci_index_parse(l->index_json.buf, l->index_json.len, &idx, OCI_ANY_MEDIA, err) < 0)
		return kerr_wrap(err, "'index.json'");
	for (size_t i = 0; r >= 0 && i < idx.n; i++) {
		const struct oci_descriptor *d = &idx.manifests[i];
		/* docker 25 puts the tag alone in ref.name, the name here */
		const char *name = img_map_get(&d->annotations, "io.containerd.image.name");
		struct loaded_image *im = NULL;

		if (!name)
			name = oci_descriptor_ref_name(d);
		for (size_t k = 0; k < l->nimgs && !im; k++)
			if (!strcmp(l->imgs[k].desc.digest, d->digest))
				im = &l->imgs[k];
		if (!im) {
			char *id = NULL;

			r = oci_walk(l, d, 0, &id, err);
			im = archive_add_image(l);
			im->id = id ? id : xstrdup(d->digest);
			oci_descriptor_copy(&im->desc, d);
			img_map_del(&im->desc.annotations, OCI_ANNOT_REF_NAME);
			img_map_del(&im->desc.annotations, "io.containerd.image.name");
		}
		if (r >= 0 && name) {
			r = check_name(name, err);
			if (r >= 0)
				strvec_push(&im->tags, name);
		}
	}
	oci_index_clear(&idx);
	return r;
}
