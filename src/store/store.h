/* store.h: the local image store: an OCI image layout (oci-layout,
 * index.json, blobs/sha256/) with tags as org.opencontainers.image.ref.name,
 * plus kiln/ beside it for locks, blob temp files and unpacked layers. */
#ifndef KILN_STORE_STORE_H
#define KILN_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/config.h"
#include "image/index.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "util/err.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strvec.h"

struct store {
	char *root;
	int dirfd;	/* the layout */
	int blobsfd;	/* blobs/sha256 */
	int kilnfd;	/* kiln/ */
	int ingestfd;	/* kiln/ingest: blob temp files */
	int layersfd;	/* kiln/layers: unpacked layers by diff_id */
	int gcfd;	/* kiln/gc.lock once store_hold ran, else -1 */
	int single_layersfd;	/* kiln/layers-single, opened when first asked */
};

#define STORE_INIT { NULL, -1, -1, -1, -1, -1, -1, -1 }

/* --root, else $KILN_ROOT, else $XDG_DATA_HOME/kiln, else ~/.local/share/kiln;
 * caller frees */
char *store_default_root(struct kerr *err);
/* opens (creating when needed) the store named by kiln_globals.root or the
 * default */
int store_open(struct store *st, struct kerr *err);
int store_open_root(struct store *st, const char *root, struct kerr *err);
void store_close(struct store *st);
/* Keeps prune away until store_close: call before writing blobs that
 * index.json does not name yet. Blocks while a prune runs. */
int store_hold(struct store *st, struct kerr *err);

/* blobs: written without a lock, hashed while written, renamed into place */
struct store_blob {
	struct store *st;
	int fd;
	char *tmpname;
	struct sha256 h;
	int64_t size;
	char digest[DIGEST_STR_LEN];	/* once checked */
};

#define STORE_BLOB_INIT { .fd = -1 }

int store_blob_begin(struct store *st, struct store_blob *b, struct kerr *err);
int store_blob_write(struct store_blob *b, const void *buf, size_t len, struct kerr *err);
/* expected (may be NULL) must match, else the temp file goes and the error
 * names both digests; out receives the digest */
int store_blob_commit(struct store_blob *b, const char *expected, char out[DIGEST_STR_LEN],
		      struct kerr *err);
void store_blob_abort(struct store_blob *b);
/*
 * A download of the blob digest that an interrupted one may have begun:
 * kiln/ingest/partial-<hex>, made when missing, flock'd while written. The
 * bytes an earlier process left (at most max) are hashed again and b->size
 * says how many; more than max start over. 1 when another process is
 * downloading it (b untouched: take store_blob_begin), 0, or -1.
 */
int store_blob_resume(struct store *st, struct store_blob *b, const char *digest, int64_t max,
		      struct kerr *err);
/* leaves a store_blob_resume file for a later one (a download cut off),
 * closing everything else; any other temp file goes as with abort */
void store_blob_keep(struct store_blob *b);
/* commit in two steps, for writers that name nothing until every blob of
 * an image is there (a pull): check the digest and sync, keeping the temp
 * file; then move it into place (or abort it) */
int store_blob_check(struct store_blob *b, const char *expected, char out[DIGEST_STR_LEN],
		     struct kerr *err);
int store_blob_publish(struct store_blob *b, struct kerr *err);
/* a checked blob's bytes before it is published */
int store_blob_checked_fd(const struct store_blob *b, struct kerr *err);
int store_blob_put(struct store *st, const void *buf, size_t len, const char *expected,
		   char out[DIGEST_STR_LEN], struct kerr *err);
int store_blob_put_fd(struct store *st, int fd, const char *expected,
		      char out[DIGEST_STR_LEN], struct kerr *err);
/* an fd to read the blob; a missing blob is a failure naming the digest */
int store_blob_open(struct store *st, const char *digest, struct kerr *err);
/* the whole blob (at most limit bytes), its hash checked */
int store_blob_read(struct store *st, const char *digest, size_t limit, struct strbuf *out,
		    struct kerr *err);
bool store_blob_exists(struct store *st, const char *digest);

/* index.json: read without a lock (it is replaced atomically); updated by
 * fn under kiln/index.lock. fn returns < 0 on error, 0 for no change, 1 to
 * write the index back. */
typedef int (*store_index_fn)(struct store *st, struct oci_index *idx, void *arg,
			      struct kerr *err);
int store_index_read(struct store *st, struct oci_index *idx, struct kerr *err);
int store_index_update(struct store *st, store_index_fn fn, void *arg, struct kerr *err);

/* an image as the store holds it: an index.json entry, resolved to one
 * manifest (an index picks the host's platform) and its config */
struct store_image {
	struct oci_descriptor desc;	/* the manifest's descriptor */
	struct oci_manifest manifest;
	struct strbuf manifest_json;
	struct img_config config;
};

int store_image_load(struct store *st, const struct oci_descriptor *d,
		     struct store_image *img, struct kerr *err);
/* the same, for readers that race with rmi and prune: when loading fails,
 * index.json is read again, and 1 means d is no longer in it (err
 * empty); a failure again is the error. img is cleared as after
 * store_image_load, in every case. */
int store_image_load_live(struct store *st, const struct oci_descriptor *d,
			  struct store_image *img, struct kerr *err);
/* the same for one platform (NULL: the host's) when d is an index; an
 * index without it is an input error naming the platform */
int store_image_load_platform(struct store *st, const struct oci_descriptor *d,
			      const struct oci_platform *want, struct store_image *img,
			      struct kerr *err);
/* the entry of idx that best fits want (NULL: the host's, else any) among
 * those whose manifest the store has; -1 when none does */
int store_index_pick(struct store *st, const struct oci_index *idx,
		     const struct oci_platform *want);
/* config plus layer blobs, in bytes */
int64_t store_image_size(const struct store_image *img);
void store_image_clear(struct store_image *img);

/* refs: names are stored in docker's short form (app:1, reg:5000/x:1) */
/* the position in idx of the image name (a reference or an ID prefix) names;
 * -1 with an input error when there is none */
int store_resolve(struct store *st, const struct oci_index *idx, const char *name,
		  struct kerr *err);
/* names d with name (moving the name if it named another image, which stays
 * as <none>); the caller holds the store when d's blobs are new */
int store_tag(struct store *st, const struct oci_descriptor *d, const char *name,
	      struct kerr *err);
/* keeps d in the store without a name (docker's <none>, which prune
 * removes), unless an entry already has its digest: a build without -t, a
 * load of an unnamed image, a pull by digest */
int store_keep(struct store *st, const struct oci_descriptor *d, struct kerr *err);
/* removes one name; an image left without names is removed */
int store_untag(struct store *st, const char *name, struct strvec *report, struct kerr *err);
/* 'kiln rmi': a name untags, an ID removes the image (all its names with
 * force); report gets "Untagged: x" / "Deleted: sha256:..." lines */
int store_remove(struct store *st, const char *name, bool force, struct strvec *report,
		 struct kerr *err);

/* gc: drops <none> images, then every blob, temp file and unpacked layer
 * that index.json does not reach; waits for holders */
struct store_prune_stats {
	uint64_t bytes;
	unsigned blobs;
	unsigned layers;
	unsigned images;
};
int store_prune(struct store *st, struct store_prune_stats *stats, struct kerr *err);

/*
 * The unpacked-layer caches, one per kind of user namespace map, as the
 * files' owners on disk mean something else in each: where only one id is
 * mapped every file is that id's (the owners it could not give are in
 * <diffid-hex>.owners beside the layer), and files of a full map's other
 * ids are the overflow id there. kiln/layers for a full map (and real
 * root), kiln/layers-single for one id.
 */
enum store_layers {
	STORE_LAYERS_FULL,
	STORE_LAYERS_SINGLE,
};
#define STORE_LAYERS_KINDS 2

/* "kiln/layers", "kiln/layers-single" */
const char *store_layers_name(enum store_layers kind);
/* the cache of kind, made when missing; -1 and err when it cannot be */
int store_layers_dirfd(struct store *st, enum store_layers kind, struct kerr *err);
/* the full map's cache: kiln/layers/<diffid-hex>; caller frees */
char *store_layer_path(struct store *st, const char *diff_id);

#endif
