/* diff.h: the changes of a build step as layer entries, from an overlayfs
 * upper directory or by comparing a tree with a record taken before. */
#ifndef KILN_LAYER_DIFF_H
#define KILN_LAYER_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "layer/layer.h"
#include "util/err.h"

/* an owner to record for path instead of the one on disk */
struct layer_owner {
	const char *path;	/* "etc/x": relative, clean, no leading slash */
	unsigned uid, gid;
};

/* The owner of path where the disk shows 0:0 and owners[] has no word on
 * it: 1 with *out filled, 0 when 0:0 it is, -1 with err. A snapshot asks
 * the tables of its layers' refused owners. */
typedef int (*layer_owner_fn)(void *ctx, const char *path, struct layer_owner *out,
			      struct kerr *err);

struct layer_diff_opts {
	const struct layer_owner *owners;	/* sorted by path (strcmp) */
	size_t nowners;
	bool no_xattrs;		/* as layer_opts.no_xattrs: leave them out */
	/* layer_diff_upper: the overlay's lower dirs, base first as the
	 * layers stack; none, and every directory of the upper is new */
	const int *lowers;
	size_t nlowers;
	layer_owner_fn owner_fn;	/* NULL: the disk's 0:0 is the owner */
	void *owner_ctx;
};

/*
 * A directory that only looks touched is left out by both diffs: one that
 * is not opaque (overlay: no user.overlay.opaque="y"; compare: the inode
 * recorded), whose mode, owner (o->owners' word first) and mtime to the
 * nanosecond are the lower's (overlay: the path in the top-most lower
 * that shows it, which must be a directory; compare: the record), and
 * below which the diff has nothing but such directories. Mount points the
 * sandbox made and removed, a chmod undone, leave nothing then, as in
 * BuildKit's differ. So a change of a directory's xattrs alone is no
 * change: overlayfs copies the directory up with the same mode, owner and
 * times, and nothing else tells it from a copy-up for the sake of a file
 * below that is gone again; the compare ignores a directory's ctime to
 * agree.
 */

/*
 * The upper directory of an overlay mounted with userxattr, as entries of
 * lw: a 0/0 character device becomes a whiteout of its name, a directory
 * with user.overlay.opaque="y" is written and marked opaque, other
 * user.overlay.* attributes are dropped. Entries in the writer's order (a
 * directory before its contents, names in byte order, a whiteout sorted by
 * the name it hides); hardlinks within the upper as links. The upper is
 * read once before anything is written, to find the directories left out
 * (above); in o->lowers only the upper's paths are looked up. *empty
 * tells whether anything was written. lw is not finished.
 */
int layer_diff_upper(int upperfd, struct layer_writer *lw, const struct layer_diff_opts *o,
		     bool *empty, struct kerr *err);

/* what a tree looked like: per path, type, mode, owner, size, mtime, ctime,
 * inode and device, symlink target */
struct layer_tree_record;

int layer_tree_record(int rootfd, struct layer_tree_record **out, struct kerr *err);
void layer_tree_record_free(struct layer_tree_record *r);

/*
 * What changed under rootfd since rec, as entries of lw, the same entries
 * and order layer_diff_upper gives for the same change made on an overlay:
 * new or changed entries (any metadata but atime; for a directory mode,
 * owner and mtime only) with every directory above them, removed paths as whiteouts (a removed directory as one
 * whiteout), a directory that is a new inode where one was as opaque with
 * all its contents.
 */
int layer_diff_tree(int rootfd, const struct layer_tree_record *rec, struct layer_writer *lw,
		    const struct layer_diff_opts *o, bool *empty, struct kerr *err);

#endif
