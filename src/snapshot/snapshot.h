/* snapshot.h: the root filesystem a step runs in: the unpacked layers so far
 * as read-only lowers, the step's changes kept apart, and the layer those
 * changes make. Two ways: overlayfs in kiln's user namespace, or a copy. */
#ifndef KILN_SNAPSHOT_SNAPSHOT_H
#define KILN_SNAPSHOT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "layer/diff.h"
#include "layer/layer.h"
#include "store/store.h"
#include "util/err.h"

enum snapshot_kind {
	SNAPSHOT_AUTO,		/* overlay when it mounts, else copy (said once) */
	SNAPSHOT_OVERLAY,
	SNAPSHOT_COPY,
};

/* "auto", "overlay", "copy" (KILN_SNAPSHOTTER, --snapshotter) */
int snapshot_kind_parse(const char *s, enum snapshot_kind *k, struct kerr *err);
/* from KILN_SNAPSHOTTER; AUTO when it is unset or empty */
int snapshot_kind_default(enum snapshot_kind *k, struct kerr *err);

/*
 * Unpacks a layer blob of st into the store's unpacked-layer cache for
 * this process's id map (kiln/layers/<diff_id hex>, or kiln/layers-single
 * where one id is mapped) in overlay-lower form, unless it is there; the
 * blob's digest and diff_id are checked. Owners the map cannot hold stay
 * the process's on disk and go into <diff_id hex>.owners beside the layer.
 * Safe against concurrent kiln processes (unpack into a temp dir, rename).
 * Must run after sandbox_enter, so owners are the image's ids.
 */
int snapshot_layer_ensure(struct store *st, const char *digest, const char *diff_id,
			  struct kerr *err);

/* what snapshot_layer_ensure asks between a layer's entries: true stops
 * the unpack ("interrupted"); the build's and kiln run's stop flags */
void snapshot_set_stop(bool (*stop)(void));

struct snapshot;

/*
 * A new snapshot whose lowers are the given unpacked layers (diff_ids, the
 * base first; each must have been ensured), in a temp dir under the store's
 * kiln/ folder. rootfs() is the directory to run in or copy into; it is
 * writable and starts as the layers merged.
 */
int snapshot_new(struct snapshot **out, struct store *st, enum snapshot_kind kind,
		 const char *const *diff_ids, size_t n, struct kerr *err);
/* the merged root, an absolute path, and an fd open on it */
const char *snapshot_rootfs(const struct snapshot *s);
int snapshot_rootfd(const struct snapshot *s);
enum snapshot_kind snapshot_kind_of(const struct snapshot *s);

/* an owner the layer must record for path ("etc/x", no leading slash) when
 * the disk cannot hold it (a single-id map): COPY --chown does this */
int snapshot_set_owner(struct snapshot *s, const char *path, unsigned uid, unsigned gid,
		       struct kerr *err);

/*
 * The owner path ("etc/x") has in the image where the disk cannot show
 * it: snapshot_set_owner's word, else, where the disk shows 0:0 (st is
 * path's stat in the root), the owners the layers' unpacking could not
 * give (beside each unpacked layer), asked of the top-most layer that
 * holds path, so a later layer's file replaces an earlier one's owner. 1
 * with *out filled (out->path is borrowed), 0 when the disk's owner is
 * the image's, -1 with err. snapshot_diff asks the same.
 */
int snapshot_owner(struct snapshot *s, const char *path, const struct stat *st,
		   struct layer_owner *out, struct kerr *err);

/*
 * Writes what changed since snapshot_new as a layer into out_fd: new and
 * changed entries with their parent directories, deletions as OCI
 * whiteouts, a directory that replaced a lower one as opaque. Overlay
 * reads the upper dir only, never the whole root; copy compares the tree
 * with what it recorded at snapshot_new. Both give the same bytes.
 * *empty is set when nothing changed (no layer should be added).
 */
int snapshot_diff(struct snapshot *s, int out_fd, const struct layer_opts *o,
		  struct layer_result *res, bool *empty, struct kerr *err);

/* unmounts and removes everything snapshot_new made; NULL is fine */
void snapshot_free(struct snapshot *s);

/* Removes the snapshots of st no live process holds (as snapshot_new does
 * in passing), half-made ones of processes killed while making them too,
 * unmounting those of a stage child killed outright, whose
 * mounts outlive it in kiln's namespace; waits up to 2 s for the child's
 * own children to let go of them. For when no overlay snapshot of this
 * namespace should be live: one that is makes it wait the 2 s. */
void snapshot_sweep(struct store *st);

#endif
