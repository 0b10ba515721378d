/* owners.h: the owners an unpacked layer's files have in the image but not
 * on disk (an id outside the user namespace's map, so the chown was
 * refused), as the extractor found them, and the table kept beside the
 * unpacked layer that says them again to a diff or a copy. */
#ifndef KILN_LAYER_OWNERS_H
#define KILN_LAYER_OWNERS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct layer_owner_rec {
	char *path;		/* "etc/x": relative, clean */
	uint32_t uid, gid;
	/* while the layer is being unpacked (see below) */
	char *target;		/* a hardlink to target: its owner */
	int kind;
	size_t seq;
};

/*
 * While a layer is unpacked this is a log in archive order: an owner
 * refused at a path, a path whose entry was replaced (the old owner goes),
 * a hardlink whose inode is another path's. layer_owners_finish turns it
 * into the table: one record per path, sorted by strcmp, the last word of
 * the archive for each. A table read back is finished already.
 */
struct layer_owners {
	struct layer_owner_rec *v;
	size_t n, alloc;
	size_t seq;
};

#define LAYER_OWNERS_INIT { NULL, 0, 0, 0 }

void layer_owners_refused(struct layer_owners *t, const char *path, uint32_t uid,
			  uint32_t gid);
void layer_owners_replaced(struct layer_owners *t, const char *path);
void layer_owners_link(struct layer_owners *t, const char *path, const char *target);
void layer_owners_finish(struct layer_owners *t);

/* the record of path in a finished table, or NULL */
const struct layer_owner_rec *layer_owners_find(const struct layer_owners *t,
						const char *path);
void layer_owners_clear(struct layer_owners *t);

/*
 * The file: a first line "kiln-owners 1", then one record per path in the
 * table's order, "<uid> <gid> <path>" ended by a NUL: a
 * path may hold any byte but NUL, which no tar path can. what names the
 * file in errors.
 */
int layer_owners_write(const struct layer_owners *t, int fd, const char *what,
		       struct kerr *err);
/* the largest file read: a record per file of a layer is far below it */
#define LAYER_OWNERS_LIMIT ((size_t)1 << 30)

int layer_owners_parse(struct layer_owners *t, const char *buf, size_t len, const char *what,
		       struct kerr *err);
/* "<name>.owners" in dirfd; a missing file is an empty table */
int layer_owners_load(struct layer_owners *t, int dirfd, const char *name, struct kerr *err);
/* "<name>.owners" in dirfd written whole (temp file, rename), or removed
 * when t is empty */
int layer_owners_store(const struct layer_owners *t, int dirfd, const char *name,
		       struct kerr *err);

#endif
