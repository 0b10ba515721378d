/* archive-save.c: 'kiln save': the store's images as a docker-archive or an
 * oci-archive, one deterministic tar streamed to an fd, blobs never in memory;
 * or the oci-archive's files as an OCI layout in a directory (build -o).
 * A multi-platform image is its host's manifest in a docker-archive (docker
 * load holds one platform) and its whole index in an oci-archive. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/media.h"
#include "image/ref.h"
#include "layer/tar-write.h"
#include "store/archive.h"
#include "store/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define COPY_BUF (128 * 1024)

/* one image in the archive with every name it goes by */
struct item {
	struct oci_descriptor desc;	/* its manifest (the host's, of an index) */
	struct oci_descriptor top;	/* what index.json names: desc, or an index */
	struct oci_manifest manifest;
	struct strvec tags;
};

/* what the tar holds: a directory, a store blob, or bytes built here */
struct entry {
	char *path;
	char type;
	char *digest;		/* a blob */
	int64_t size;
	struct strbuf data;	/* else the content */
};

struct save {
	struct item *items;
	size_t nitems, items_alloc;
	struct entry *ents;
	size_t nents, ents_alloc;
};

static struct entry *add_entry(struct save *s, char type, const char *path)
{
	struct entry *e;

	s->ents = xgrow(s->ents, sizeof(*s->ents), s->nents + 1, &s->ents_alloc);
	e = &s->ents[s->nents++];
	*e = (struct entry){ .path = xstrdup(path), .type = type, .data = STRBUF_INIT };
	return e;
}

static bool have_path(const struct save *s, const char *path)
{
	for (size_t i = 0; i < s->nents; i++)
		if (!strcmp(s->ents[i].path, path))
			return true;
	return false;
}

static void add_blob(struct save *s, const struct oci_descriptor *d)
{
	char *path = xasprintf("blobs/sha256/%s", d->digest + 7);
	struct entry *e;

	if (!have_path(s, path)) {
		e = add_entry(s, TAR_REG, path);
		e->digest = xstrdup(d->digest);
		e->size = d->size;
	}
	free(path);
}

static void add_json(struct save *s, const char *path, cJSON *v)
{
	char *text = json_print(v);

	strbuf_addstr(&add_entry(s, TAR_REG, path)->data, text);
	free(text);
	cJSON_Delete(v);
}

/* finds names[k]'s image; an image named twice is one item with two tags */
static int add_item(struct save *s, struct store *st, const struct oci_index *idx,
		    const char *name, struct kerr *err)
{
	int i = store_resolve(st, idx, name, err);
	const char *ref;
	struct store_image img;
	struct item *it = NULL;

	if (i < 0)
		return -1;
	if (store_image_load(st, &idx->manifests[i], &img, err) < 0) {
		store_image_clear(&img);
		return kerr_wrap(err, "image '%s'", name);
	}
	for (size_t k = 0; k < s->nitems && !it; k++)
		if (!strcmp(s->items[k].desc.digest, img.desc.digest))
			it = &s->items[k];
	if (!it) {
		s->items = xgrow(s->items, sizeof(*s->items), s->nitems + 1, &s->items_alloc);
		it = &s->items[s->nitems++];
		*it = (struct item){ .desc = OCI_DESCRIPTOR_INIT, .top = OCI_DESCRIPTOR_INIT,
				     .tags = STRVEC_INIT };
		oci_descriptor_copy(&it->desc, &img.desc);
		img_map_del(&it->desc.annotations, OCI_ANNOT_REF_NAME);
		oci_descriptor_copy(&it->top, &idx->manifests[i]);
		img_map_del(&it->top.annotations, OCI_ANNOT_REF_NAME);
		it->manifest = img.manifest;
		memset(&img.manifest, 0, sizeof(img.manifest));
	}
	/* an ID names no tag, as with docker save */
	ref = oci_descriptor_ref_name(&idx->manifests[i]);
	if (ref && !(img_ref_is_id_prefix(name) && strcmp(name, ref))) {
		bool dup = false;

		for (size_t k = 0; k < it->tags.n; k++)
			dup |= !strcmp(it->tags.v[k], ref);
		if (!dup)
			strvec_push(&it->tags, ref);
	}
	store_image_clear(&img);
	return 0;
}

/* "app:1" -> "app", "1" for the repositories file */
static void split_tag(const char *name, char **repo, const char **tag)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');

	if (colon && (!slash || colon > slash)) {
		*repo = xstrndup(name, (size_t)(colon - name));
		*tag = colon + 1;
	} else {
		*repo = xstrdup(name);
		*tag = "latest";
	}
}

static void plan_docker(struct save *s)
{
	cJSON *arr = cJSON_CreateArray(), *repos = cJSON_CreateObject();

	for (size_t i = 0; i < s->nitems; i++) {
		struct item *it = &s->items[i];
		cJSON *o = cJSON_CreateObject(), *tags = cJSON_CreateArray();
		cJSON *layers = cJSON_CreateArray();
		char *p = xasprintf("blobs/sha256/%s", it->manifest.config.digest + 7);

		cJSON_AddStringToObject(o, "Config", p);
		free(p);
		add_blob(s, &it->manifest.config);
		for (size_t k = 0; k < it->tags.n; k++) {
			char *repo;
			const char *tag;
			cJSON *r;

			cJSON_AddItemToArray(tags, cJSON_CreateString(it->tags.v[k]));
			split_tag(it->tags.v[k], &repo, &tag);
			r = cJSON_GetObjectItemCaseSensitive(repos, repo);
			if (!r)
				r = cJSON_AddObjectToObject(repos, repo);
			free(repo);
			/* docker wants the top layer's v1 ID; there is none
			 * here, and docker and podman read manifest.json */
			if (!cJSON_GetObjectItemCaseSensitive(r, tag))
				cJSON_AddStringToObject(r, tag, it->manifest.config.digest + 7);
		}
		cJSON_AddItemToObject(o, "RepoTags", tags);
		for (size_t k = 0; k < it->manifest.nlayers; k++) {
			p = xasprintf("blobs/sha256/%s", it->manifest.layers[k].digest + 7);
			cJSON_AddItemToArray(layers, cJSON_CreateString(p));
			free(p);
			add_blob(s, &it->manifest.layers[k]);
		}
		cJSON_AddItemToObject(o, "Layers", layers);
		cJSON_AddItemToArray(arr, o);
	}
	add_json(s, "manifest.json", arr);
	add_json(s, "repositories", repos);
}

/* a manifest with its config and layers */
static int add_manifest(struct save *s, struct store *st, const struct oci_descriptor *d,
			struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_manifest m;
	int r;

	oci_manifest_init(&m);
	r = store_blob_read(st, d->digest, STORE_JSON_LIMIT, &sb, err);
	if (r >= 0) {
		oci_manifest_clear(&m);
		r = oci_manifest_parse(sb.buf, sb.len, &m, err);
	}
	if (r >= 0) {
		add_blob(s, d);
		add_blob(s, &m.config);
		for (size_t k = 0; k < m.nlayers; k++)
			add_blob(s, &m.layers[k]);
	} else {
		kerr_wrap(err, "manifest '%s'", d->digest);
	}
	oci_manifest_clear(&m);
	strbuf_release(&sb);
	return r;
}

/* An index with every platform the store has. The store may lack some
 * (absent gets their names): then out is a new index of the rest, since
 * an archive must hold every blob its index.json reaches. */
static int add_index(struct save *s, struct store *st, const struct oci_descriptor *d,
		     int depth, struct oci_descriptor *out, struct strvec *absent,
		     struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_index idx;
	bool changed = false;
	int r;

	if (depth > 4)
		return kerr_set(err, "indexes nested too deep at '%s'", d->digest);
	memset(&idx, 0, sizeof(idx));
	r = store_blob_read(st, d->digest, STORE_JSON_LIMIT, &sb, err);
	if (r >= 0)
		r = oci_index_parse(sb.buf, sb.len, &idx, OCI_ANY_MEDIA, err);
	if (r < 0)
		kerr_wrap(err, "index '%s'", d->digest);
	for (size_t i = 0; r >= 0 && i < idx.n; i++) {
		struct oci_descriptor *c = &idx.manifests[i];
		struct oci_descriptor sub = OCI_DESCRIPTOR_INIT;

		if (!store_blob_exists(st, c->digest)) {
			if (c->platform)
				strvec_push_nodup(absent, img_platform_format(c->platform));
			else
				strvec_push(absent, c->digest);
			oci_index_remove(&idx, i--);
			changed = true;
			continue;
		}
		if (oci_media_kind(c->media_type) == OCI_MEDIA_INDEX) {
			r = add_index(s, st, c, depth + 1, &sub, absent, err);
			if (r >= 0 && strcmp(sub.digest, c->digest)) {
				/* the entry keeps its platform and annotations */
				free(c->digest);
				c->digest = xstrdup(sub.digest);
				c->size = sub.size;
				changed = true;
			}
			oci_descriptor_clear(&sub);
		} else if (oci_media_kind(c->media_type) == OCI_MEDIA_MANIFEST) {
			r = add_manifest(s, st, c, err);
		} else {
			add_blob(s, c);
		}
	}
	if (r >= 0 && !changed) {
		add_blob(s, d);
		oci_descriptor_copy(out, d);
	} else if (r >= 0) {
		char *json = oci_index_json(&idx);
		unsigned char h[SHA256_LEN];
		char dg[DIGEST_STR_LEN];
		char *path;

		sha256_buf(json, strlen(json), h);
		digest_format(h, dg);
		path = xasprintf("blobs/sha256/%s", dg + 7);
		if (!have_path(s, path))
			strbuf_addstr(&add_entry(s, TAR_REG, path)->data, json);
		free(path);
		oci_descriptor_copy(out, d);
		free(out->digest);
		out->digest = xstrdup(dg);
		out->size = (int64_t)strlen(json);
		free(json);
	}
	oci_index_clear(&idx);
	strbuf_release(&sb);
	return r;
}

/* drops what idx names name (or, name NULL, the unnamed d): the entry
 * written next replaces it, as a tag moves in the store */
static void index_drop(struct oci_index *idx, const char *name, const struct oci_descriptor *d)
{
	for (size_t i = idx->n; i-- > 0;) {
		const char *ref = oci_descriptor_ref_name(&idx->manifests[i]);

		if (name ? ref && !strcmp(ref, name) :
			   !ref && !strcmp(idx->manifests[i].digest, d->digest))
			oci_index_remove(idx, i);
	}
}

/* index.json: idx, which may hold a layout's earlier entries, with every
 * item added under each of its names */
static int plan_oci(struct save *s, struct store *st, struct oci_index *idx, struct kerr *err)
{
	char *text;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < s->nitems; i++) {
		struct item *it = &s->items[i];
		struct oci_descriptor top = OCI_DESCRIPTOR_INIT;

		if (oci_media_kind(it->top.media_type) == OCI_MEDIA_INDEX) {
			struct strvec absent = STRVEC_INIT;

			r = add_index(s, st, &it->top, 0, &top, &absent, err);
			if (r >= 0 && absent.n) {
				struct strbuf list = STRBUF_INIT;

				for (size_t k = 0; k < absent.n; k++)
					strbuf_addf(&list, "%s%s", k ? ", " : "", absent.v[k]);
				log_warn("'%s': the store lacks %s of its index; the archive "
					 "holds the other platforms", it->tags.n ? it->tags.v[0] :
					 it->top.digest, list.buf);
				strbuf_release(&list);
			}
			strvec_clear(&absent);
		} else {
			oci_descriptor_copy(&top, &it->desc);
			add_blob(s, &it->desc);
			add_blob(s, &it->manifest.config);
			for (size_t k = 0; k < it->manifest.nlayers; k++)
				add_blob(s, &it->manifest.layers[k]);
		}
		if (r >= 0 && !it->tags.n) {
			index_drop(idx, NULL, &top);
			oci_index_add(idx, &top);
		}
		for (size_t k = 0; r >= 0 && k < it->tags.n; k++) {
			size_t at;

			index_drop(idx, it->tags.v[k], &top);
			at = oci_index_add(idx, &top);
			img_map_set(&idx->manifests[at].annotations, OCI_ANNOT_REF_NAME,
				    it->tags.v[k]);
		}
		oci_descriptor_clear(&top);
	}
	text = oci_index_json(idx);
	strbuf_addstr(&add_entry(s, TAR_REG, "index.json")->data, text);
	free(text);
	strbuf_addstr(&add_entry(s, TAR_REG, MT_OCI_LAYOUT_FILE)->data,
		      "{\"imageLayoutVersion\":\"" OCI_LAYOUT_VERSION "\"}");
	return r;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static int write_entry(struct tar_writer *w, struct store *st, const struct entry *e,
		       struct kerr *err)
{
	struct tar_entry te = TAR_ENTRY_INIT;
	cleanup_close int fd = -1;
	struct stat sb;

	te.path = e->path;
	te.type = e->type;
	te.mode = e->type == TAR_DIR ? 0755 : 0644;
	te.size = e->type == TAR_DIR ? 0 : e->digest ? (uint64_t)e->size : e->data.len;
	if (e->digest) {
		fd = store_blob_open(st, e->digest, err);
		if (fd < 0)
			return -1;
		if (fstat(fd, &sb) < 0)
			return kerr_errno(err, errno, "cannot stat blob '%s'", e->digest);
		if (sb.st_size != e->size)
			return kerr_set(err, "blob '%s' has %lld bytes, its descriptor says %lld",
					e->digest, (long long)sb.st_size, (long long)e->size);
	}
	if (tar_write_header(w, &te, err) < 0)
		return -1;
	if (e->digest)
		return tar_write_fd(w, fd, err);
	if (e->data.len)
		return tar_write_data(w, e->data.buf, e->data.len, err);
	return 0;
}

static int write_tar(struct save *s, struct store *st, int out_fd, struct kerr *err)
{
	struct layer_opts o = LAYER_OPTS_INIT;
	struct layer_sink *sink = layer_sink_fd(out_fd);
	struct tar_writer w;
	int r = 0;

	o.mtime_policy = LAYER_MTIME_SET;
	o.timestamp = 0;
	tar_writer_init(&w, sink, &o);
	qsort(s->ents, s->nents, sizeof(*s->ents), by_path);
	for (size_t i = 0; i < s->nents && r >= 0; i++)
		r = write_entry(&w, st, &s->ents[i], err);
	if (r >= 0)
		r = tar_write_end(&w, err);
	if (r >= 0)
		r = layer_sink_finish(sink, err);
	tar_writer_release(&w);
	layer_sink_free(sink);
	return r;
}

/* One entry as a file of the layout at dirfd: directories made, blobs
 * copied unless the layout has them already (they are named by their
 * content, as BuildKit's local store trusts them), the rest written whole.
 * Each file appears complete or not at all. */
static int write_file(int dirfd, struct store *st, const struct entry *e, struct kerr *err)
{
	struct atomic_file af = ATOMIC_FILE_INIT;
	const char *slash = strrchr(e->path, '/');
	cleanup_free char *dir = slash ? xstrndup(e->path, (size_t)(slash - e->path)) : NULL;
	const char *base = slash ? slash + 1 : e->path;
	cleanup_close int pfd = -1, fd = -1;
	cleanup_free char *buf = NULL;
	struct stat sb;
	int r;

	if (e->type == TAR_DIR) {
		if (mkdirat(dirfd, e->path, 0755) < 0 && errno != EEXIST)
			return kerr_errno(err, errno, "cannot create '%s'", e->path);
		return 0;
	}
	pfd = dir ? openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
		    fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (pfd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", dir ? dir : ".");
	if (!e->digest)
		return atomic_write_at(pfd, base, e->data.buf ? e->data.buf : "", e->data.len,
				       0644, err);
	if (fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size == e->size)
		return 0;
	fd = store_blob_open(st, e->digest, err);
	if (fd < 0 || atomic_file_open(&af, pfd, base, 0644, err) < 0)
		return -1;
	buf = xmalloc(COPY_BUF);
	r = 0;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = kerr_errno(err, errno, "cannot read blob '%s'", e->digest);
		else if (n > 0 && write_all(af.fd, buf, (size_t)n) < 0)
			r = kerr_errno(err, errno, "cannot write '%s'", e->path);
		if (n <= 0 || r < 0)
			break;
	}
	if (r >= 0 && (fstat(af.fd, &sb) < 0 || sb.st_size != e->size))
		r = kerr_set(err, "blob '%s' is not of the %lld bytes its descriptor says",
			     e->digest, (long long)e->size);
	if (r >= 0)
		r = atomic_file_commit(&af, err);
	atomic_file_abort(&af);
	return r;
}

/* index.json last, so that what it names is there when it appears */
static int write_layout(struct save *s, struct store *st, int dirfd, struct kerr *err)
{
	const struct entry *index = NULL;

	qsort(s->ents, s->nents, sizeof(*s->ents), by_path);
	for (size_t i = 0; i < s->nents; i++) {
		if (!strcmp(s->ents[i].path, "index.json"))
			index = &s->ents[i];
		else if (write_file(dirfd, st, &s->ents[i], err) < 0)
			return -1;
	}
	return index ? write_file(dirfd, st, index, err) : 0;
}

/* Plans the archive of names (index.json from idx on, for an oci one) and
 * writes it as one tar to out_fd, or into the layout at dirfd. */
static int save(struct store *st, char **names, size_t n, enum store_archive_format fmt,
		struct oci_index *idx, int out_fd, int dirfd, struct kerr *err)
{
	struct save s = { 0 };
	struct oci_index have;
	int r = 0;

	/* prune must not take blobs from under the tar being written */
	if (store_hold(st, err) < 0 || store_index_read(st, &have, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r >= 0; i++)
		r = add_item(&s, st, &have, names[i], err);
	oci_index_clear(&have);
	if (r >= 0) {
		add_entry(&s, TAR_DIR, "blobs");
		add_entry(&s, TAR_DIR, "blobs/sha256");
		if (fmt == STORE_ARCHIVE_DOCKER)
			plan_docker(&s);
		else
			r = plan_oci(&s, st, idx, err);
	}
	if (r >= 0)
		r = dirfd >= 0 ? write_layout(&s, st, dirfd, err) : write_tar(&s, st, out_fd, err);
	for (size_t i = 0; i < s.nitems; i++) {
		oci_descriptor_clear(&s.items[i].desc);
		oci_descriptor_clear(&s.items[i].top);
		oci_manifest_clear(&s.items[i].manifest);
		strvec_clear(&s.items[i].tags);
	}
	for (size_t i = 0; i < s.nents; i++) {
		free(s.ents[i].path);
		free(s.ents[i].digest);
		strbuf_release(&s.ents[i].data);
	}
	free(s.items);
	free(s.ents);
	return r;
}

int store_archive_save(struct store *st, char **names, size_t n,
		       enum store_archive_format fmt, int out_fd, struct kerr *err)
{
	struct oci_index idx;
	int r;

	oci_index_init(&idx);
	r = save(st, names, n, fmt, &idx, out_fd, -1, err);
	oci_index_clear(&idx);
	return r;
}

/* Two writers of one layout take turns, so the second reads the first's
 * index.json and keeps its images instead of writing over them. The lock
 * is on the directory itself: the layout holds no file of kiln's. The
 * wait is bounded by the other's copy of its blobs, so it is not cut
 * short by a signal (as store_lock is not). */
static int lock_layout(int dirfd, struct kerr *err)
{
	while (flock(dirfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return kerr_errno(err, errno, "cannot lock the layout");
	return 0;
}

int store_layout_save(struct store *st, char **names, size_t n, int dirfd, struct kerr *err)
{
	struct strbuf text = STRBUF_INIT;
	struct oci_index idx;
	int r = 0;

	if (lock_layout(dirfd, err) < 0)
		return -1;
	/* an existing layout keeps its other images, as BuildKit's does */
	oci_index_init(&idx);
	if (read_file_at(dirfd, "index.json", &text, STORE_JSON_LIMIT, err) == 0) {
		oci_index_clear(&idx);
		r = oci_index_parse(text.buf, text.len, &idx, OCI_ANY_MEDIA, err);
		if (r < 0)
			kerr_wrap(err, "'index.json' of the layout");
	} else if (err->errnum == ENOENT) {
		kerr_clear(err);
	} else {
		r = -1;
	}
	if (r >= 0)
		r = save(st, names, n, STORE_ARCHIVE_OCI, &idx, -1, dirfd, err);
	flock(dirfd, LOCK_UN);
	oci_index_clear(&idx);
	strbuf_release(&text);
	return r;
}
