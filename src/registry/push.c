/* push.c: an image of the store to a registry: blobs first (skipped when
 * the registry has them, mounted from a sibling repository when it can,
 * uploaded otherwise), side by side, then manifests, then the tag. */
#include <stdio.h>
#include <string.h>

#include "image/index.h"
#include "image/manifest.h"
#include "image/media.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MANIFEST_LIMIT REG_MANIFEST_LIMIT

struct push {
	struct store *st;
	const struct reg_push_opts *o;
	struct reg_repo *repo;
	const struct oci_descriptor **blobs;
	size_t nblobs;
	/* blobs other repositories of this registry have: digest, repository */
	struct strvec cand_digest, cand_repo;
};

/* the layers of images the store names on this registry under another
 * repository: a registry can mount those instead of taking them again */
static void find_candidates(struct push *p)
{
	struct oci_index idx;
	struct kerr e = KERR_INIT;

	oci_index_init(&idx);
	if (store_index_read(p->st, &idx, &e) < 0)
		goto out;
	for (size_t i = 0; i < idx.n; i++) {
		const char *name = oci_descriptor_ref_name(&idx.manifests[i]);
		struct img_ref r = IMG_REF_INIT;
		struct store_image img;

		if (!name || img_ref_parse(name, &r, &e) < 0 ||
		    strcmp(r.domain, p->repo->registry) || !strcmp(r.path, p->repo->path)) {
			kerr_clear(&e);
			img_ref_clear(&r);
			continue;
		}
		if (store_image_load(p->st, &idx.manifests[i], &img, &e) >= 0) {
			for (size_t k = 0; k < img.manifest.nlayers; k++) {
				strvec_push(&p->cand_digest, img.manifest.layers[k].digest);
				strvec_push(&p->cand_repo, r.path);
			}
		}
		store_image_clear(&img);
		kerr_clear(&e);
		img_ref_clear(&r);
	}
out:
	kerr_clear(&e);
	oci_index_clear(&idx);
}

static void say(const struct push *p, const char *digest, const char *what)
{
	if (p->o->reg.out && !p->o->reg.quiet)
		fprintf(p->o->reg.out, "%.12s: %s\n", digest + 7, what);
}

static int push_blob(struct reg_conn *c, size_t i, void *arg, struct kerr *err)
{
	struct push *p = arg;
	const struct oci_descriptor *d = p->blobs[i];
	int r = reg_blob_exists(c, d->digest, err);

	if (r != 0) {
		if (r > 0)
			say(p, d->digest, "Layer already exists");
		return r < 0 ? -1 : 0;
	}
	for (size_t k = 0; k < p->cand_digest.n; k++) {
		if (strcmp(p->cand_digest.v[k], d->digest))
			continue;
		r = reg_blob_mount(c, d->digest, p->cand_repo.v[k], err);
		if (r < 0) {
			/* not allowed to read there, say: upload it instead */
			log_debug("mount of %s from %s: %s", d->digest, p->cand_repo.v[k], err->msg);
			kerr_clear(err);
		} else if (r > 0) {
			cleanup_free char *what = xasprintf("Mounted from %s", p->cand_repo.v[k]);

			say(p, d->digest, what);
			return 0;
		}
		break;
	}
	if (reg_blob_upload(c, p->st, d, err) < 0)
		return -1;
	say(p, d->digest, "Pushed");
	return 0;
}

static void add_blob(struct push *p, const struct oci_descriptor *d)
{
	for (size_t i = 0; i < p->nblobs; i++)
		if (!strcmp(p->blobs[i]->digest, d->digest))
			return;
	p->blobs = xrealloc(p->blobs, (p->nblobs + 1) * sizeof(*p->blobs));
	p->blobs[p->nblobs++] = d;
}

/* One manifest and its blobs, PUT under reference (NULL: its digest).
 * out receives what was pushed: the manifest's descriptor, new when
 * --format docker changed its bytes. */
static int push_manifest(struct reg_conn *c, struct push *p, const struct oci_descriptor *d,
			 const char *reference, struct oci_descriptor *out, struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_manifest m;
	cleanup_free char *conv = NULL;
	const char *body, *mt = d->media_type;
	size_t len;
	char digest[DIGEST_STR_LEN];
	unsigned char h[SHA256_LEN];
	int r;

	oci_manifest_init(&m);
	r = store_blob_read(p->st, d->digest, MANIFEST_LIMIT, &sb, err);
	if (r >= 0)
		r = oci_manifest_parse(sb.buf, sb.len, &m, err);
	if (r < 0) {
		kerr_wrap(err, "manifest '%s'", d->digest);
		goto out;
	}
	body = sb.buf;
	len = sb.len;
	if (p->o->docker_format && !oci_media_is_docker(m.media_type)) {
		r = oci_manifest_to_docker(&m, err);
		if (r < 0)
			goto out;
		conv = oci_manifest_json(&m);
		body = conv;
		len = strlen(conv);
		mt = MT_DOCKER_MANIFEST;
	}
	free(p->blobs);
	p->blobs = NULL;
	p->nblobs = 0;
	add_blob(p, &m.config);
	for (size_t i = 0; i < m.nlayers; i++)
		add_blob(p, &m.layers[i]);
	r = reg_each(p->repo, p->nblobs, p->o->reg.jobs, push_blob, p, err);
	if (r >= 0) {
		sha256_buf(body, len, h);
		digest_format(h, digest);
		r = reg_manifest_put(c, reference ? reference : digest, mt, body, len, err);
	}
	if (r >= 0) {
		oci_descriptor_copy(out, d);
		free(out->media_type);
		free(out->digest);
		out->media_type = xstrdup(mt);
		out->digest = xstrdup(digest);
		out->size = (int64_t)len;
	}
out:
	oci_manifest_clear(&m);
	strbuf_release(&sb);
	return r;
}

/* An index: the manifests the store has, pushed by digest, then the
 * index under the tag; a new index when some are absent or converted. */
static int push_index(struct reg_conn *c, struct push *p, const struct oci_descriptor *d,
		      const char *tag, struct oci_descriptor *out, struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_index idx;
	cleanup_free char *conv = NULL;
	const char *body, *mt = d->media_type;
	bool changed = false;
	size_t len;
	char digest[DIGEST_STR_LEN];
	unsigned char h[SHA256_LEN];
	int r;

	oci_index_init(&idx);
	r = store_blob_read(p->st, d->digest, MANIFEST_LIMIT, &sb, err);
	if (r >= 0)
		r = oci_index_parse(sb.buf, sb.len, &idx, 0, err);
	if (r < 0) {
		kerr_wrap(err, "index '%s'", d->digest);
		goto out;
	}
	for (size_t i = 0; r >= 0 && i < idx.n; i++) {
		struct oci_descriptor *e = &idx.manifests[i];
		struct oci_descriptor done = OCI_DESCRIPTOR_INIT;

		if (!store_blob_exists(p->st, e->digest)) {
			char *pf = e->platform ? img_platform_format(e->platform) : xstrdup(e->digest);

			log_warn("push: the store has not got the %s image of '%s'; the index pushed "
				 "leaves it out", pf, tag);
			free(pf);
			oci_index_remove(&idx, i--);
			changed = true;
			continue;
		}
		if (oci_media_kind(e->media_type) != OCI_MEDIA_MANIFEST) {
			r = kerr_input(err, "index '%s' holds a '%s'; kiln pushes one level of index",
				       d->digest, e->media_type);
			break;
		}
		r = push_manifest(c, p, e, NULL, &done, err);
		if (r >= 0 && strcmp(done.digest, e->digest)) {
			free(e->digest);
			free(e->media_type);
			e->digest = xstrdup(done.digest);
			e->media_type = xstrdup(done.media_type);
			e->size = done.size;
			changed = true;
		}
		oci_descriptor_clear(&done);
	}
	if (r < 0)
		goto out;
	if (!idx.n) {
		r = kerr_input(err, "the store has none of the images of index '%s'", d->digest);
		goto out;
	}
	if (p->o->docker_format && !oci_media_is_docker(mt)) {
		r = oci_index_to_docker(&idx, err);
		if (r < 0)
			goto out;
		changed = true;
	}
	body = sb.buf;
	len = sb.len;
	if (changed) {
		conv = oci_index_json(&idx);
		body = conv;
		len = strlen(conv);
		mt = idx.media_type ? idx.media_type : MT_OCI_INDEX;
	}
	sha256_buf(body, len, h);
	digest_format(h, digest);
	r = reg_manifest_put(c, tag, mt, body, len, err);
	if (r >= 0)
		oci_descriptor_set(out, mt, digest, (int64_t)len);
out:
	oci_index_clear(&idx);
	strbuf_release(&sb);
	return r;
}

/* the store's entry src names, copied */
static int find_source(struct store *st, const char *src, bool need_name,
		       struct oci_descriptor *d, struct kerr *err)
{
	struct oci_index idx;
	int i;

	oci_index_init(&idx);
	i = store_index_read(st, &idx, err) < 0 ? -1 : store_resolve(st, &idx, src, err);
	if (i >= 0 && need_name && img_ref_is_id_prefix(src) &&
	    !oci_descriptor_ref_name(&idx.manifests[i]))
		i = kerr_input(err, "'%s' is an image without a name: say where to push it "
			       "(kiln push %s REGISTRY/NAME:TAG)", src, src);
	if (i >= 0)
		oci_descriptor_copy(d, &idx.manifests[i]);
	oci_index_clear(&idx);
	return i < 0 ? -1 : 0;
}

int reg_push(struct store *st, const char *src, const char *dest,
	     const struct reg_push_opts *o, char digest[DIGEST_STR_LEN], int64_t *size,
	     struct kerr *err)
{
	struct oci_descriptor d = OCI_DESCRIPTOR_INIT, pushed = OCI_DESCRIPTOR_INIT;
	struct img_ref ref = IMG_REF_INIT;
	struct reg_repo repo;
	struct reg_conn c;
	struct push p = { st, o, &repo, NULL, 0, STRVEC_INIT, STRVEC_INIT };
	bool opened = false;
	int r;

	r = img_ref_parse(dest ? dest : src, &ref, err);
	if (r >= 0 && ref.digest)
		r = kerr_input(err, "'%s': push to a tag, not a digest", dest ? dest : src);
	if (r >= 0) {
		img_ref_default_tag(&ref);
		/* blobs stay while they travel: prune waits for us */
		r = store_hold(st, err);
	}
	if (r >= 0)
		r = find_source(st, src, !dest, &d, err);
	if (r >= 0) {
		r = reg_repo_open(&repo, &ref, true, &o->reg, err);
		opened = r >= 0;
	}
	if (r >= 0) {
		if (o->reg.out && !o->reg.quiet)
			fprintf(o->reg.out, "The push refers to repository [%s/%s]\n", ref.domain,
				ref.path);
		find_candidates(&p);
		reg_conn_init(&c, &repo);
		if (oci_media_kind(d.media_type) == OCI_MEDIA_INDEX)
			r = push_index(&c, &p, &d, ref.tag, &pushed, err);
		else
			r = push_manifest(&c, &p, &d, ref.tag, &pushed, err);
		reg_conn_release(&c);
	}
	if (r >= 0) {
		snprintf(digest, DIGEST_STR_LEN, "%s", pushed.digest);
		*size = pushed.size;
		if (o->reg.out)
			fprintf(o->reg.out, "%s: digest: %s size: %lld\n", ref.tag, pushed.digest,
				(long long)pushed.size);
	}
	if (opened)
		reg_repo_close(&repo);
	free(p.blobs);
	strvec_clear(&p.cand_digest);
	strvec_clear(&p.cand_repo);
	oci_descriptor_clear(&pushed);
	oci_descriptor_clear(&d);
	img_ref_clear(&ref);
	return r < 0 ? kerr_wrap(err, "'%s'", dest ? dest : src) : 0;
}
