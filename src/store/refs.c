/* refs.c: names in index.json. kiln writes docker's short form (app:1),
 * since skopeo's and umoci's oci: transports look names up as exact
 * strings; any spelling that means the same reference is still found. */
#include <stdlib.h>
#include <string.h>

#include "image/media.h"
#include "image/ref.h"
#include "store/internal.h"
#include "util/xalloc.h"

/* the normalised "docker.io/library/app:1" of a name, or NULL */
static char *normal(const char *name)
{
	struct kerr err = KERR_INIT;
	struct img_ref r;
	char *s;

	if (img_ref_parse(name, &r, &err) < 0) {
		kerr_clear(&err);
		return NULL;
	}
	img_ref_default_tag(&r);
	s = img_ref_string(&r);
	img_ref_clear(&r);
	return s;
}

static bool names_equal(const char *stored, const char *typed, const char *typed_norm)
{
	char *n;
	bool eq;

	if (!stored)
		return false;
	if (!strcmp(stored, typed))
		return true;
	if (!typed_norm || !(n = normal(stored)))
		return false;
	eq = !strcmp(n, typed_norm);
	free(n);
	return eq;
}

static int by_id(struct store *st, const struct oci_index *idx, const char *name,
		 struct kerr *err)
{
	const char *prefix = strncmp(name, "sha256:", 7) ? name : name + 7;
	size_t plen = strlen(prefix);
	const char *found_id = NULL;
	int found = -1;

	for (size_t i = 0; i < idx->n; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		bool hit = !strncmp(d->digest + 7, prefix, plen);

		if (!hit) {
			struct store_image img;
			struct kerr e2 = KERR_INIT;

			/* the image ID is the config's digest */
			if (store_image_load(st, d, &img, &e2) == 0)
				hit = !strncmp(img.manifest.config.digest + 7, prefix, plen);
			store_image_clear(&img);
			kerr_clear(&e2);
		}
		if (!hit)
			continue;
		if (found >= 0 && strcmp(found_id, d->digest))
			return kerr_input(err, "'%s' names more than one image", name);
		if (found < 0) {
			found = (int)i;
			found_id = d->digest;
		}
	}
	return found;
}

int store_resolve(struct store *st, const struct oci_index *idx, const char *name,
		  struct kerr *err)
{
	char *norm = normal(name);
	struct img_ref r = IMG_REF_INIT;
	struct kerr e2 = KERR_INIT;
	int found = -1;

	for (size_t i = 0; i < idx->n && found < 0; i++)
		if (names_equal(oci_descriptor_ref_name(&idx->manifests[i]), name, norm))
			found = (int)i;
	/* name@digest: the image with that digest under that name, or any */
	if (found < 0 && img_ref_parse(name, &r, &e2) == 0 && r.digest) {
		for (size_t i = 0; i < idx->n && found < 0; i++)
			if (!strcmp(idx->manifests[i].digest, r.digest))
				found = (int)i;
	}
	bool parsed = norm != NULL;

	img_ref_clear(&r);
	kerr_clear(&e2);
	free(norm);
	if (found < 0 && img_ref_is_id_prefix(name)) {
		found = by_id(st, idx, name, err);
		if (found < 0 && err->msg)
			return -1;
	}
	if (found < 0) {
		if (!parsed && !img_ref_is_id_prefix(name) && img_ref_parse(name, &r, err) < 0)
			return -1;
		return kerr_input(err, "no such image: '%s'", name);
	}
	return found;
}

/* the short form kiln stores, or an input error */
static char *tag_name(const char *name, struct kerr *err)
{
	struct img_ref r;
	char *s;

	if (img_ref_parse(name, &r, err) < 0)
		return NULL;
	if (r.digest) {
		img_ref_clear(&r);
		kerr_input(err, "'%s': a tag cannot have a digest", name);
		return NULL;
	}
	img_ref_default_tag(&r);
	s = img_ref_familiar(&r);
	img_ref_clear(&r);
	return s;
}

/* -1 or the entry with this digest and no name */
static int find_untagged(const struct oci_index *idx, const char *digest, size_t skip)
{
	for (size_t i = 0; i < idx->n; i++)
		if (i != skip && !oci_descriptor_ref_name(&idx->manifests[i]) &&
		    !strcmp(idx->manifests[i].digest, digest))
			return (int)i;
	return -1;
}

static bool digest_in_use(const struct oci_index *idx, const char *digest, size_t skip)
{
	for (size_t i = 0; i < idx->n; i++)
		if (i != skip && !strcmp(idx->manifests[i].digest, digest))
			return true;
	return false;
}

struct tag_arg {
	const struct oci_descriptor *d;
	const char *name;	/* short form */
};

static int tag_fn(struct store *st, struct oci_index *idx, void *arg, struct kerr *err)
{
	struct tag_arg *a = arg;
	char *norm = normal(a->name);
	struct oci_descriptor nd = OCI_DESCRIPTOR_INIT;
	int u;

	(void)st;
	(void)err;
	for (size_t i = 0; i < idx->n; i++) {
		struct oci_descriptor *e = &idx->manifests[i];

		if (!names_equal(oci_descriptor_ref_name(e), a->name, norm))
			continue;
		if (!strcmp(e->digest, a->d->digest) &&
		    !strcmp(oci_descriptor_ref_name(e), a->name)) {
			free(norm);
			return 0;
		}
		/* the name moves: its old image stays, as <none> if nothing
		 * else names it */
		if (digest_in_use(idx, e->digest, i)) {
			oci_index_remove(idx, i);
			i--;
		} else {
			img_map_del(&e->annotations, OCI_ANNOT_REF_NAME);
		}
	}
	free(norm);
	u = find_untagged(idx, a->d->digest, (size_t)-1);
	if (u >= 0) {
		img_map_set(&idx->manifests[u].annotations, OCI_ANNOT_REF_NAME, a->name);
		return 1;
	}
	oci_descriptor_copy(&nd, a->d);
	img_map_set(&nd.annotations, OCI_ANNOT_REF_NAME, a->name);
	oci_index_add(idx, &nd);
	oci_descriptor_clear(&nd);
	return 1;
}

int store_tag(struct store *st, const struct oci_descriptor *d, const char *name,
	      struct kerr *err)
{
	char *short_name = tag_name(name, err);
	struct tag_arg a = { d, short_name };
	int r;

	if (!short_name)
		return -1;
	r = store_index_update(st, tag_fn, &a, err);
	free(short_name);
	return r;
}

static int keep_fn(struct store *st, struct oci_index *idx, void *arg, struct kerr *err)
{
	const struct oci_descriptor *d = arg;

	(void)st;
	(void)err;
	for (size_t i = 0; i < idx->n; i++)
		if (!strcmp(idx->manifests[i].digest, d->digest))
			return 0;
	oci_index_add(idx, d);
	return 1;
}

int store_keep(struct store *st, const struct oci_descriptor *d, struct kerr *err)
{
	return store_index_update(st, keep_fn, (void *)d, err);
}

struct rm_arg {
	const char *name;
	bool force;
	bool by_name_only;
	struct strvec *report;
};

static void report(struct rm_arg *a, const char *what, const char *s)
{
	if (a->report)
		strvec_pushf(a->report, "%s: %s", what, s);
}

static int rm_fn(struct store *st, struct oci_index *idx, void *arg, struct kerr *err)
{
	struct rm_arg *a = arg;
	int i = store_resolve(st, idx, a->name, err);
	const char *rn;
	char *digest;
	bool by_name;
	size_t tagged = 0;

	if (i < 0)
		return -1;
	rn = oci_descriptor_ref_name(&idx->manifests[i]);
	{
		char *norm = normal(a->name);

		by_name = names_equal(rn, a->name, norm);
		free(norm);
	}
	if (a->by_name_only && !by_name)
		return kerr_input(err, "'%s' is not a name of an image", a->name);
	digest = xstrdup(idx->manifests[i].digest);
	if (by_name) {
		report(a, "Untagged", rn);
		oci_index_remove(idx, (size_t)i);
	} else {
		for (size_t k = 0; k < idx->n; k++)
			if (!strcmp(idx->manifests[k].digest, digest) &&
			    oci_descriptor_ref_name(&idx->manifests[k]))
				tagged++;
		if (tagged > 1 && !a->force) {
			kerr_input(err, "image '%s' has %zu names; remove them by name or use --force",
				   a->name, tagged);
			free(digest);
			return -1;
		}
		for (size_t k = 0; k < idx->n; k++) {
			if (strcmp(idx->manifests[k].digest, digest))
				continue;
			rn = oci_descriptor_ref_name(&idx->manifests[k]);
			if (rn)
				report(a, "Untagged", rn);
			oci_index_remove(idx, k--);
		}
	}
	if (!digest_in_use(idx, digest, (size_t)-1))
		report(a, "Deleted", digest);
	free(digest);
	return 1;
}

int store_untag(struct store *st, const char *name, struct strvec *rep, struct kerr *err)
{
	struct rm_arg a = { name, false, true, rep };

	return store_index_update(st, rm_fn, &a, err);
}

int store_remove(struct store *st, const char *name, bool force, struct strvec *rep,
		 struct kerr *err)
{
	struct rm_arg a = { name, force, false, rep };

	return store_index_update(st, rm_fn, &a, err);
}
