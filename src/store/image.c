/* image.c: loading an image from the store: index.json's entry, through an
 * index to the host's manifest when it is one, then the config. Every blob
 * read is hash-checked; a bad one is the store's failure (exit 1). */
#include <stdlib.h>
#include <string.h>

#include "image/media.h"
#include "store/internal.h"
#include "util/xalloc.h"

int store_index_pick(struct store *st, const struct oci_index *idx,
		     const struct oci_platform *want)
{
	struct oci_index here;
	size_t *pos = xcalloc(idx->n + 1, sizeof(*pos));
	int i;

	/* a pull brings one platform of an index, a save may skip some:
	 * choose among the manifests the store has */
	memset(&here, 0, sizeof(here));
	for (size_t k = 0; k < idx->n; k++) {
		if (!store_blob_exists(st, idx->manifests[k].digest))
			continue;
		pos[here.n] = k;
		oci_index_add(&here, &idx->manifests[k]);
	}
	i = img_index_select(&here, want);
	/* no platform asked for and none of this host's: the image is for
	 * another machine, which docker shows and runs too */
	if (i < 0 && !want && here.n)
		i = 0;
	i = i < 0 ? -1 : (int)pos[i];
	oci_index_clear(&here);
	free(pos);
	return i;
}

static int pick_from_index(struct store *st, const struct oci_descriptor *d,
			   const struct oci_platform *want, struct oci_descriptor *out,
			   struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_index idx;
	int i;

	if (store_blob_read(st, d->digest, STORE_JSON_LIMIT, &sb, err) < 0) {
		strbuf_release(&sb);
		return -1;
	}
	i = oci_index_parse(sb.buf, sb.len, &idx, 0, err);
	strbuf_release(&sb);
	if (i < 0) {
		oci_index_clear(&idx);
		return kerr_wrap(err, "'%s'", d->digest);
	}
	i = store_index_pick(st, &idx, want);
	if (i < 0) {
		char *p = want ? img_platform_format(want) : NULL;
		bool listed = want && img_index_select(&idx, want) >= 0;

		/* no manifest at all is a broken store; another platform is
		 * what the caller asked for and the image (or the store) lacks */
		if (!want)
			kerr_set(err, "index '%s' has none of its manifests in the store", d->digest);
		else if (listed)
			kerr_input(err, "the store has not got the %s image of index '%s' "
				   "(kiln pull --platform %s)", p, d->digest, p);
		else
			kerr_input(err, "the image has no manifest for %s in its index '%s'", p,
				   d->digest);
		free(p);
		oci_index_clear(&idx);
		return want ? -2 : -1;
	}
	oci_descriptor_copy(out, &idx.manifests[i]);
	oci_index_clear(&idx);
	return 0;
}

int store_image_load(struct store *st, const struct oci_descriptor *d,
		     struct store_image *img, struct kerr *err)
{
	return store_image_load_platform(st, d, NULL, img, err);
}

int store_image_load_platform(struct store *st, const struct oci_descriptor *d,
			      const struct oci_platform *want, struct store_image *img,
			      struct kerr *err)
{
	struct strbuf cfg = STRBUF_INIT;
	int r;

	memset(img, 0, sizeof(*img));
	img->manifest_json = (struct strbuf)STRBUF_INIT;
	oci_manifest_init(&img->manifest);
	if (oci_media_kind(d->media_type) == OCI_MEDIA_INDEX) {
		r = pick_from_index(st, d, want, &img->desc, err);
		if (r == -2)
			return -1;
		if (r < 0)
			return store_corrupt(err);
	} else if (oci_media_kind(d->media_type) == OCI_MEDIA_MANIFEST) {
		oci_descriptor_copy(&img->desc, d);
	} else {
		return kerr_input(err, "'%s' is a '%s', not an image", d->digest, d->media_type);
	}
	oci_manifest_clear(&img->manifest);
	if (store_blob_read(st, img->desc.digest, STORE_JSON_LIMIT, &img->manifest_json, err) < 0 ||
	    oci_manifest_parse(img->manifest_json.buf, img->manifest_json.len, &img->manifest, err) < 0) {
		kerr_wrap(err, "'%s'", img->desc.digest);
		return store_corrupt(err);
	}
	r = store_blob_read(st, img->manifest.config.digest, STORE_JSON_LIMIT, &cfg, err);
	if (r >= 0)
		r = img_config_parse(cfg.buf, cfg.len, &img->config, err);
	strbuf_release(&cfg);
	if (r < 0) {
		kerr_wrap(err, "'%s'", img->manifest.config.digest);
		return store_corrupt(err);
	}
	return 0;
}

/* the entry of idx with d's digest and name, or -1 */
static int same_entry(const struct oci_index *idx, const struct oci_descriptor *d)
{
	const char *name = oci_descriptor_ref_name(d);

	for (size_t i = 0; i < idx->n; i++) {
		const char *n = oci_descriptor_ref_name(&idx->manifests[i]);

		if (!strcmp(idx->manifests[i].digest, d->digest) &&
		    (n == name || (n && name && !strcmp(n, name))))
			return (int)i;
	}
	return -1;
}

int store_image_load_live(struct store *st, const struct oci_descriptor *d,
			  struct store_image *img, struct kerr *err)
{
	struct kerr again = KERR_INIT;
	struct oci_index now;
	int r = store_image_load(st, d, img, err);

	if (r >= 0)
		return 0;
	/* rmi and prune do not lock out readers: what index.json named a
	 * moment ago may have lost its blobs since; only an image that is
	 * still named and still broken is an error */
	if (store_index_read(st, &now, &again) < 0) {
		kerr_clear(&again);
		return -1;
	}
	r = same_entry(&now, d);
	oci_index_clear(&now);
	if (r < 0) {
		kerr_clear(err);
		return 1;
	}
	store_image_clear(img);
	kerr_clear(err);
	return store_image_load(st, d, img, err) < 0 ? -1 : 0;
}

int64_t store_image_size(const struct store_image *img)
{
	int64_t n = img->manifest.config.size;

	for (size_t i = 0; i < img->manifest.nlayers; i++)
		n += img->manifest.layers[i].size;
	return n;
}

void store_image_clear(struct store_image *img)
{
	oci_descriptor_clear(&img->desc);
	oci_manifest_clear(&img->manifest);
	strbuf_release(&img->manifest_json);
	img_config_clear(&img->config);
}
