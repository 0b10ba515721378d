/* walk.h: reading entries of a directory tree from disk into a layer
 * writer, shared by layer_write_tree and the diffs (diff.c). */
#ifndef KILN_LAYER_WALK_H
#define KILN_LAYER_WALK_H

#include <stdbool.h>
#include <sys/types.h>

#include "layer/diff.h"
#include "layer/layer.h"
#include "util/strbuf.h"
#include "util/strvec.h"

/* (dev, ino) of files with several links -> the path written first */
struct walk_link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct walk_links {
	struct walk_link *v;	/* open addressing; alloc is a power of two */
	size_t n, alloc;
};

/* the first path given for (dev, ino), or NULL after remembering path */
const char *walk_link_seen(struct walk_links *l, dev_t dev, ino_t ino, const char *path);
void walk_links_clear(struct walk_links *l);

struct walk {
	struct layer_writer *lw;
	bool xattrs;
	bool proc;		/* /proc/self/fd reaches xattrs of symlinks */
	/* an overlayfs upper dir: 0/0 char devices are whiteouts, opaque
	 * dirs are marked, redirects and metacopy files refused */
	bool upper;
	const struct layer_owner *owners;	/* sorted by path */
	size_t nowners;
	layer_owner_fn owner_fn;	/* for 0:0 on disk, after owners[] */
	void *owner_ctx;
	bool wrote;		/* anything went to lw */
	struct strbuf path;	/* of the entry at hand, relative to the root */
	struct walk_links links;
	struct strbuf list, val;	/* xattr buffers, reused */
	bool opaque;		/* set by read_xattrs in upper mode */
	/* directories left out with all they hold (paths sorted by
	 * strcmp): an upper's directories that changed nothing */
	const struct strvec *idle;
};

void walk_init(struct walk *w, struct layer_writer *lw, bool xattrs);
void walk_release(struct walk *w);

enum walk_depth {
	WALK_ENTRY,		/* the entry alone */
	WALK_TREE,		/* a directory with everything under it */
	WALK_TREE_OPAQUE,	/* the same, marked opaque before its contents */
};

/* dirfd/name, whose path is w->path, into the writer */
int walk_entry(struct walk *w, int dirfd, const char *name, enum walk_depth depth,
	       struct kerr *err);
/* every entry of dirfd (at w->path), siblings by byte order */
int walk_dir(struct walk *w, int dirfd, struct kerr *err);
/* the names in dirfd but "." and "..", sorted by strcmp */
int walk_names(int dirfd, const char *what, struct strvec *names, struct kerr *err);
/* the owner o->owners gives path, or NULL */
const struct layer_owner *walk_owner(const struct walk *w, const char *path);
/* w->path += "/" name (no slash at the top); returns the old length */
size_t walk_push(struct walk *w, const char *name);

/* the writer calls, noting that something was written */
int walk_whiteout(struct walk *w, const char *path, struct kerr *err);
int walk_opaque(struct walk *w, const char *path, struct kerr *err);

#endif
