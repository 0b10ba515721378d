/* gc.c: prune. Holds kiln/gc.lock exclusively (blob writers hold it
 * shared), so nothing in flight can be mistaken for garbage; reads every
 * reachable manifest and config before deleting anything, so a damaged
 * store loses nothing more. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/media.h"
#include "store/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct marks {
	struct img_map blobs;	/* digest hex */
	struct img_map layers;	/* diff_id hex */
};

static int mark(struct store *st, struct marks *m, const struct oci_descriptor *d, int depth,
		struct kerr *err);

static int mark_manifest(struct store *st, struct marks *m, const char *digest,
			 struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_manifest man;
	struct img_config cfg;
	int r;

	oci_manifest_init(&man);
	memset(&cfg, 0, sizeof(cfg));
	r = store_blob_read(st, digest, STORE_JSON_LIMIT, &sb, err);
	if (r >= 0) {
		oci_manifest_clear(&man);
		r = oci_manifest_parse(sb.buf, sb.len, &man, err);
	}
	if (r >= 0) {
		img_map_set(&m->blobs, man.config.digest + 7, NULL);
		for (size_t i = 0; i < man.nlayers; i++)
			img_map_set(&m->blobs, man.layers[i].digest + 7, NULL);
		r = store_blob_read(st, man.config.digest, STORE_JSON_LIMIT, &sb, err);
		/* only image configs carry diff_ids; artifacts keep their blobs */
		if (r >= 0 && oci_media_kind(man.config.media_type) == OCI_MEDIA_CONFIG) {
			r = img_config_parse(sb.buf, sb.len, &cfg, err);
			for (size_t i = 0; r >= 0 && i < cfg.diff_ids.n; i++)
				img_map_set(&m->layers, cfg.diff_ids.v[i] + 7, NULL);
			img_config_clear(&cfg);
		}
	}
	oci_manifest_clear(&man);
	strbuf_release(&sb);
	return r;
}

static int mark_index(struct store *st, struct marks *m, const char *digest, int depth,
		      struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_index idx;
	int r = store_blob_read(st, digest, STORE_JSON_LIMIT, &sb, err);

	memset(&idx, 0, sizeof(idx));
	if (r >= 0)
		r = oci_index_parse(sb.buf, sb.len, &idx, OCI_ANY_MEDIA, err);
	/* an index need not have all its platforms here (fsck and save
	 * accept that too): an absent one has nothing to keep */
	for (size_t i = 0; r >= 0 && i < idx.n; i++)
		if (store_blob_exists(st, idx.manifests[i].digest))
			r = mark(st, m, &idx.manifests[i], depth + 1, err);
	oci_index_clear(&idx);
	strbuf_release(&sb);
	return r;
}

static int mark(struct store *st, struct marks *m, const struct oci_descriptor *d, int depth,
		struct kerr *err)
{
	if (depth > 8)
		return kerr_set(err, "indexes nested too deep at '%s'", d->digest);
	img_map_set(&m->blobs, d->digest + 7, NULL);
	switch (oci_media_kind(d->media_type)) {
	case OCI_MEDIA_INDEX:
		return mark_index(st, m, d->digest, depth, err);
	case OCI_MEDIA_MANIFEST:
		return mark_manifest(st, m, d->digest, err);
	default:
		return 0;
	}
}

/* The layer's name an entry of an unpacked-layer cache belongs to:
 * <hex> itself and <hex>.owners beside it. */
static bool layer_entry(const char *name, char hex[65])
{
	size_t n = strlen(name);

	if (n != 64 && (n != 64 + 7 || strcmp(name + 64, ".owners")))
		return false;
	memcpy(hex, name, 64);
	hex[64] = 0;
	return true;
}

/*
 * Removes every entry of dirfd that keep does not name (all: every entry).
 * layers: dirfd is an unpacked-layer cache, where an owners table goes
 * with its layer, whatever else is there (temp dirs of killed writers)
 * goes too, and count counts layers only.
 */
static int sweep(int dirfd, const struct img_map *keep, bool all, bool layers,
		 uint64_t *bytes, unsigned *count, struct kerr *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read a store directory");
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		char hex[65];
		bool layer = layers && layer_entry(de->d_name, hex);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!all && (layers ? layer && img_map_find(keep, hex)
				    : img_map_find(keep, de->d_name) != NULL))
			continue;
		if (store_rm_rf(dirfd, de->d_name, bytes, err) < 0)
			return -1;
		if (count && (!layers || (layer && strlen(de->d_name) == 64)))
			(*count)++;
	}
	return 0;
}

/* every cache there is, whichever kind of id map made it */
static int sweep_all_layers(struct store *st, const struct img_map *keep,
			    struct store_prune_stats *stats, struct kerr *err)
{
	for (int k = 0; k < STORE_LAYERS_KINDS; k++) {
		int fd = store_layers_peek(st, (enum store_layers)k);
		int r;

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return kerr_errno(err, errno, "cannot open '%s/%s'", st->root,
					  store_layers_name((enum store_layers)k));
		r = sweep(fd, keep, false, true, &stats->bytes, &stats->layers, err);
		close(fd);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* kiln/cache and kiln/logs (the build's step records and their output):
 * a record names blobs that index.json does not keep, which this prune
 * deletes, so the records go with them. Cache mounts (kiln/mounts) stay:
 * they hold no blobs and are what RUN --mount=type=cache is for. */
static int sweep_build(struct store *st, const char *name, uint64_t *bytes, struct kerr *err)
{
	cleanup_close int fd = openat(st->kilnfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : kerr_errno(err, errno, "cannot open '%s/kiln/%s'",
							 st->root, name);
	return sweep(fd, NULL, true, false, bytes, NULL, err);
}

/* index.json temp files of killed writers; we hold index.lock */
static int sweep_root_temps(struct store *st, uint64_t *bytes, struct kerr *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = dup(st->dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read '%s'", st->root);
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".tmp-", 5) &&
		    store_rm_rf(st->dirfd, de->d_name, bytes, err) < 0)
			return -1;
	return 0;
}

int store_lock_gc(struct store *st, struct kerr *err)
{
	int fd;

	if (st->gcfd >= 0)
		return kerr_set(err, "cannot prune a store this process is writing to");
	fd = store_lock(st, "gc.lock", LOCK_EX | LOCK_NB, err);
	if (fd >= 0)
		return fd;
	if (err->errnum != EWOULDBLOCK)
		return -1;
	kerr_clear(err);
	fprintf(stderr, "waiting for other kiln processes…\n");
	return store_lock(st, "gc.lock", LOCK_EX, err);
}

static int prune_locked(struct store *st, struct store_prune_stats *stats, struct kerr *err)
{
	struct marks m = { IMG_MAP_INIT, IMG_MAP_INIT };
	struct oci_index idx;
	size_t kept = 0;
	int r = store_index_read(st, &idx, err);

	if (r < 0)
		return -1;
	for (size_t i = 0; i < idx.n && r >= 0; i++) {
		const struct oci_descriptor *d = &idx.manifests[i];
		const char *name = oci_descriptor_ref_name(d);

		if (!name)
			continue;
		r = mark(st, &m, d, 0, err);
		if (r < 0) {
			kerr_wrap(err, "image '%s'", name);
			store_corrupt(err);
		}
	}
	/* <none> images go, as with 'docker image prune' */
	for (size_t i = 0; r >= 0 && i < idx.n; i++) {
		if (oci_descriptor_ref_name(&idx.manifests[i])) {
			kept++;
			continue;
		}
		oci_index_remove(&idx, i--);
		stats->images++;
	}
	if (r >= 0 && stats->images) {
		char *json = oci_index_json(&idx);

		r = atomic_write_at(st->dirfd, "index.json", json, strlen(json), 0644, err);
		free(json);
	}
	(void)kept;
	if (r >= 0)
		r = sweep(st->blobsfd, &m.blobs, false, false, &stats->bytes, &stats->blobs, err);
	if (r >= 0)
		r = fsync(st->blobsfd) < 0 ? kerr_errno(err, errno, "cannot sync '%s'", st->root) : 0;
	if (r >= 0)
		r = sweep(st->ingestfd, NULL, true, false, &stats->bytes, NULL, err);
	if (r >= 0)
		r = sweep_all_layers(st, &m.layers, stats, err);
	if (r >= 0)
		r = sweep_root_temps(st, &stats->bytes, err);
	if (r >= 0)
		r = sweep_build(st, "cache", &stats->bytes, err);
	if (r >= 0)
		r = sweep_build(st, "logs", &stats->bytes, err);
	oci_index_clear(&idx);
	img_map_clear(&m.blobs);
	img_map_clear(&m.layers);
	return r;
}

int store_prune(struct store *st, struct store_prune_stats *stats, struct kerr *err)
{
	struct oci_index idx;
	cleanup_close int gc = -1;
	cleanup_close int lk = -1;

	memset(stats, 0, sizeof(*stats));
	/* a corrupt index stops prune before it waits or locks anything */
	if (store_index_read(st, &idx, err) < 0)
		return -1;
	oci_index_clear(&idx);
	gc = store_lock_gc(st, err);
	if (gc < 0)
		return -1;
	lk = store_lock(st, "index.lock", LOCK_EX, err);
	if (lk < 0)
		return -1;
	return prune_locked(st, stats, err);
}
