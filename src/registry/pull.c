/* pull.c: an image from a registry into the store: the manifest (through
 * an index to one platform), its config and layers, fetched side by side,
 * and only then a name for it. */
#include <stdio.h>
#include <string.h>

#include "image/config.h"
#include "image/index.h"
#include "image/manifest.h"
#include "image/media.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

struct pull {
	struct store *st;
	const struct reg_opts *o;
	struct oci_descriptor **fetch;	/* layers the store lacks */
	struct store_blob *got;		/* each one, checked, in kiln/ingest */
	size_t nfetch;
};

static int fetch_one(struct reg_conn *c, size_t i, void *arg, struct kerr *err)
{
	struct pull *p = arg;
	const struct oci_descriptor *d = p->fetch[i];

	if (reg_blob_fetch(c, p->st, d, &p->got[i], err) < 0)
		return -1;
	if (p->o->out && !p->o->quiet)
		fprintf(p->o->out, "%.12s: Pull complete\n", d->digest + 7);
	return 0;
}

/* "linux/amd64, linux/arm/v7" of an index's entries */
static char *platforms(const struct oci_index *idx)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < idx->n; i++) {
		char *p;

		if (!idx->manifests[i].platform)
			continue;
		p = img_platform_format(idx->manifests[i].platform);
		strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", p);
		free(p);
	}
	return strbuf_detach(&sb, NULL);
}

/* the manifest of the platform wanted, through the index top is */
static int pick(struct reg_conn *c, const struct reg_manifest *top, const char *name,
		const struct oci_platform *want, struct reg_manifest *m, struct kerr *err)
{
	struct oci_index idx;
	int i;

	if (oci_index_parse(top->body.buf, top->body.len, &idx, 0, err) < 0) {
		oci_index_clear(&idx);
		return kerr_wrap(err, "index '%s' of '%s'", top->digest, name);
	}
	i = img_index_select(&idx, want);
	if (i < 0) {
		struct oci_platform host = OCI_PLATFORM_INIT;
		cleanup_free char *has = platforms(&idx);
		cleanup_free char *w = NULL;

		img_platform_host(&host);
		w = img_platform_format(want ? want : &host);
		oci_platform_clear(&host);
		oci_index_clear(&idx);
		return kerr_input(err, "'%s' has no image for %s (it has %s)", name, w,
				  *has ? has : "no platforms");
	}
	if (reg_manifest_get(c, idx.manifests[i].digest, m, err) < 0) {
		oci_index_clear(&idx);
		return -1;
	}
	oci_index_clear(&idx);
	if (oci_media_kind(m->media_type) != OCI_MEDIA_MANIFEST)
		return kerr_input(err, "'%s': index '%s' names a '%s' for this platform; kiln "
				  "reads one level of index", name, top->digest, m->media_type);
	return 0;
}

/* refuses layers kiln could not use later, before fetching any */
static int check_layers(const struct oci_manifest *m, const char *name, struct kerr *err)
{
	if (oci_media_kind(m->config.media_type) != OCI_MEDIA_CONFIG)
		return kerr_input(err, "'%s' is a '%s' artifact, not an image", name,
				  m->config.media_type);
	for (size_t i = 0; i < m->nlayers; i++) {
		const char *mt = m->layers[i].media_type;

		if (oci_media_compression(mt) == OCI_COMP_ZSTD)
			return kerr_input(err, "'%s': layer '%s' is zstd-compressed, which kiln does "
					  "not read (gzip and plain tar only)", name,
					  m->layers[i].digest);
		if (oci_media_kind(mt) != OCI_MEDIA_LAYER ||
		    oci_media_compression(mt) == OCI_COMP_UNKNOWN)
			return kerr_input(err, "'%s': layer '%s' is a '%s', which kiln does not "
					  "read", name, m->layers[i].digest, mt);
	}
	return 0;
}

/* a single-platform image must be what was asked for */
static int check_config(struct store *st, const struct store_blob *pending,
			const struct oci_manifest *m, const char *name,
			const struct oci_platform *want, struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct img_config cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	if (pending) {
		cleanup_close int fd = store_blob_checked_fd(pending, err);

		r = fd < 0 ? -1 : strbuf_read_fd(&sb, fd, 16u << 20, err);
	} else {
		r = store_blob_read(st, m->config.digest, 16u << 20, &sb, err);
	}
	if (r >= 0)
		r = img_config_parse(sb.buf, sb.len, &cfg, err);
	strbuf_release(&sb);
	if (r < 0) {
		img_config_clear(&cfg);
		return kerr_wrap(err, "config '%s' of '%s'", m->config.digest, name);
	}
	if (cfg.diff_ids.n != m->nlayers)
		r = kerr_set(err, "'%s': its config has %zu diff_ids for %zu layers", name,
			     cfg.diff_ids.n, m->nlayers);
	if (r >= 0 && want && cfg.architecture) {
		struct oci_platform have = OCI_PLATFORM_INIT;

		have.os = xstrdup(cfg.os ? cfg.os : "linux");
		have.architecture = xstrdup(cfg.architecture);
		have.variant = cfg.variant ? xstrdup(cfg.variant) : NULL;
		img_platform_normalize(&have);
		if (!img_platform_match(want, &have)) {
			cleanup_free char *h = img_platform_format(&have);
			cleanup_free char *w = img_platform_format(want);

			r = kerr_input(err, "'%s' is an image for %s, not %s", name, h, w);
		}
		oci_platform_clear(&have);
	}
	img_config_clear(&cfg);
	return r;
}

/* the digest the store's name points at now, or "" */
static void named_now(struct store *st, const char *name, char out[DIGEST_STR_LEN])
{
	struct oci_index idx;
	struct kerr e = KERR_INIT;
	int i;

	out[0] = 0;
	oci_index_init(&idx);
	if (store_index_read(st, &idx, &e) >= 0) {
		i = store_resolve(st, &idx, name, &e);
		if (i >= 0)
			snprintf(out, DIGEST_STR_LEN, "%s", idx.manifests[i].digest);
	}
	kerr_clear(&e);
	oci_index_clear(&idx);
}

static int pull_image(struct store *st, struct reg_repo *repo, const struct img_ref *ref,
		      const char *name, const struct oci_platform *want, const struct reg_opts *o,
		      struct reg_pull_result *res, struct kerr *err)
{
	struct reg_conn c;
	struct reg_manifest top, child;
	struct reg_manifest *m = &top;
	struct oci_manifest man;
	struct oci_descriptor d = OCI_DESCRIPTOR_INIT;
	struct pull p = { st, o, NULL, NULL, 0 };
	struct store_blob cfg = STORE_BLOB_INIT;
	char before[DIGEST_STR_LEN];
	int r;

	memset(&child, 0, sizeof(child));
	child.body = (struct strbuf)STRBUF_INIT;
	oci_manifest_init(&man);
	reg_conn_init(&c, repo);
	r = reg_manifest_get(&c, ref->digest ? ref->digest : ref->tag, &top, err);
	if (r >= 0 && oci_media_kind(top.media_type) == OCI_MEDIA_INDEX) {
		r = pick(&c, &top, name, want, &child, err);
		m = &child;
	}
	if (r >= 0 && oci_manifest_parse(m->body.buf, m->body.len, &man, err) < 0)
		r = kerr_wrap(err, "manifest '%s' of '%s'", m->digest, name);
	if (r >= 0)
		r = check_layers(&man, name, err);
	/* the store may be pruned from now on only around us */
	if (r >= 0)
		r = store_hold(st, err);
	/* the config is read before any layer is fetched, from the temp file
	 * it waits in with the layers until all of them are here */
	if (r >= 0 && !store_blob_exists(st, man.config.digest)) {
		r = reg_blob_fetch(&c, st, &man.config, &cfg, err);
		res->updated = true;
	}
	if (r >= 0)
		r = check_config(st, cfg.tmpname ? &cfg : NULL, &man, name,
				 m == &top ? want : NULL, err);
	if (r >= 0) {
		p.fetch = xcalloc(man.nlayers + 1, sizeof(*p.fetch));
		p.got = xcalloc(man.nlayers + 1, sizeof(*p.got));
		for (size_t i = 0; i <= man.nlayers; i++)
			p.got[i] = (struct store_blob)STORE_BLOB_INIT;
		for (size_t i = 0; i < man.nlayers; i++) {
			const struct oci_descriptor *l = &man.layers[i];
			bool dup = false;

			for (size_t k = 0; k < p.nfetch; k++)
				dup = dup || !strcmp(p.fetch[k]->digest, l->digest);
			if (store_blob_exists(st, l->digest)) {
				if (o->out && !o->quiet)
					fprintf(o->out, "%.12s: Already exists\n", l->digest + 7);
			} else if (!dup) {
				p.fetch[p.nfetch++] = &man.layers[i];
			}
		}
		if (o->out)
			fflush(o->out);
		r = reg_each(repo, p.nfetch, o->jobs, fetch_one, &p, err);
		res->updated = res->updated || p.nfetch;
	}
	/* every blob is here and checked: now they may be seen */
	for (size_t i = 0; r >= 0 && i < p.nfetch; i++)
		r = store_blob_publish(&p.got[i], err);
	if (r >= 0 && cfg.tmpname)
		r = store_blob_publish(&cfg, err);
	/* manifests last: a store with them has everything they name */
	if (r >= 0 && m == &child)
		r = store_blob_put(st, child.body.buf, child.body.len, child.digest, NULL, err);
	if (r >= 0)
		r = store_blob_put(st, top.body.buf, top.body.len, top.digest, NULL, err);
	if (r >= 0) {
		named_now(st, name, before);
		oci_descriptor_set(&d, top.media_type, top.digest, (int64_t)top.body.len);
		r = ref->tag ? store_tag(st, &d, name, err) : store_keep(st, &d, err);
		res->updated = res->updated || strcmp(before, top.digest);
		snprintf(res->digest, sizeof(res->digest), "%s", top.digest);
	}
	for (size_t i = 0; p.got && i < p.nfetch; i++)
		store_blob_abort(&p.got[i]);
	store_blob_abort(&cfg);
	oci_descriptor_clear(&d);
	free(p.got);
	free(p.fetch);
	oci_manifest_clear(&man);
	reg_manifest_clear(&child);
	reg_manifest_clear(&top);
	reg_conn_release(&c);
	return r;
}

int reg_pull(struct store *st, const char *name, const struct oci_platform *want,
	     const struct reg_opts *o, struct reg_pull_result *res, struct kerr *err)
{
	struct img_ref ref = IMG_REF_INIT;
	struct reg_repo repo;
	cleanup_free char *full = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	if (img_ref_parse(name, &ref, err) < 0)
		return -1;
	if (!ref.digest)
		img_ref_default_tag(&ref);
	res->name = img_ref_familiar(&ref);
	full = img_ref_string(&ref);
	if (o->out && !o->quiet) {
		fprintf(o->out, "%s: Pulling from %s\n", ref.tag ? ref.tag : ref.digest, ref.path);
		fflush(o->out);
	}
	r = reg_repo_open(&repo, &ref, false, o, err);
	if (r >= 0) {
		r = pull_image(st, &repo, &ref, res->name, want, o, res, err);
		reg_repo_close(&repo);
	}
	if (r >= 0 && o->out && !o->quiet) {
		fprintf(o->out, "Digest: %s\n", res->digest);
		fprintf(o->out, "Status: %s for %s\n", res->updated ? "Downloaded newer image" :
			"Image is up to date", res->name);
	}
	if (r >= 0 && o->out)
		fprintf(o->out, "%s\n", full);
	img_ref_clear(&ref);
	if (r < 0)
		return kerr_wrap(err, "'%s'", name);
	return 0;
}

void reg_pull_result_clear(struct reg_pull_result *res)
{
	free(res->name);
	res->name = NULL;
}
