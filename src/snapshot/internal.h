/* internal.h: what the snapshot files share: the snapshot itself, the
 * overlay mount and the copy of layers that stands in for it. */
#ifndef KILN_SNAPSHOT_INTERNAL_H
#define KILN_SNAPSHOT_INTERNAL_H

#include <stdbool.h>
#include <sys/stat.h>

#include "layer/diff.h"
#include "layer/owners.h"
#include "layer/tar.h"
#include "snapshot/snapshot.h"
#include "util/strvec.h"

struct snapshot {
	struct store *st;
	enum snapshot_kind kind;	/* OVERLAY or COPY once made */
	int snapsfd;		/* kiln/snapshots */
	char *name;		/* of its folder there */
	int dirfd;		/* kiln/snapshots/<name> */
	int lockfd;		/* flock'd while the snapshot lives */
	char *rootfs;		/* .../<name>/merged, absolute */
	int rootfd;
	bool mounted;
	struct layer_tree_record *rec;	/* COPY: the tree at snapshot_new */
	int layersfd;		/* the store's cache for this id map (not ours) */
	struct strvec lowers;	/* names in it, base first */
	struct layer_owners *tables;	/* the lowers' refused owners, once asked */
	bool any_table;		/* one of them has a record */
	struct layer_owner *owners;	/* sorted by path, paths owned */
	size_t nowners, aowners;
};

/* owners.c */
/* the unpacked-layer cache this process's id map uses: the single one
 * when its user namespace maps one uid or one gid */
enum store_layers snapshot_map_kind(void);
/* the lowers' word on path's owner, a layer_owner_fn for the diff */
int snapshot_lower_owner(void *snap, const char *path, struct layer_owner *out,
			 struct kerr *err);
void snapshot_tables_free(struct snapshot *s);

/* overlay.c: mounts the layers (base first) with upper/ and work/ of
 * s->dirfd on merged/; a failure says why in one line */
int snapshot_overlay_mount(struct snapshot *s, const char *const *diff_ids, size_t n,
			   struct kerr *err);
/* For tests: 1 mounts with mount(2) and one option string, as on kernels
 * before 6.8. */
extern int snapshot_force_mount2;

/* copy.c */
/* An unpacked layer marks what it hides from the layers below as
 * overlayfs does (a 0/0 character device, user.overlay.opaque), or, on a
 * filesystem that holds neither, as the layer tar does (".wh.NAME" and
 * ".wh..wh..opq" files, WHITEOUT_AS_FILES at its top). These read both. */
bool snapshot_is_whiteout(int dirfd, const char *name, const struct stat *st);
bool snapshot_is_opaque(int dirfd);
/* applies the unpacked layer at srcfd (overlay-lower form) onto dstfd */
int snapshot_copy_layer(int srcfd, int dstfd, const char *what, struct kerr *err);
/* rm -rf of parentfd/name, never following a symlink */
int snapshot_remove_tree(int parentfd, const char *name, struct kerr *err);

#endif
