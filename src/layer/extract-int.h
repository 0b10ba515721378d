/* extract-int.h: what the files of the extractor share: its state, the
 * set of paths this layer made, attribute and whiteout helpers. */
#ifndef KILN_LAYER_EXTRACT_INT_H
#define KILN_LAYER_EXTRACT_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "layer/extract.h"
#include "layer/tar-read.h"
#include "layer/tar.h"
#include "util/err.h"

/* Paths as keyed 64-bit hashes: memory stays at 16 bytes a path however
 * long the paths, and crafted names cannot pile up in one bucket. */
struct pathset;
struct pathset *pathset_new(void);
/* adds path and every parent of it */
void pathset_add(struct pathset *s, const char *path);
int pathset_has(const struct pathset *s, const char *path);
void pathset_free(struct pathset *s);

/* a directory whose mode and mtime are set once its contents are in */
struct dirfix {
	char *path;
	mode_t mode;
	int64_t mtime;
	uint32_t nsec;
	int restore;		/* 1: only give back a mode kiln widened;
				 * 2: give back a directory's mode and time
				 * the layer changed without naming it */
};

struct extract {
	int rootfd;
	const struct layer_extract_opts *opts;
	struct layer_extract_stats *stats;
	struct tar_reader *tr;
	struct pathset *made;
	struct pathset *timed;		/* directories with a restore 2 fix */
	struct pathset *refused;	/* paths in opts->owners (and parents) */
	struct dirfix *fix;
	size_t nfix, afix;
	uid_t euid;
	gid_t egid;
	int warned_dev, warned_xattr, warned_suid, warned_chown;
	bool wh_files;		/* WHITEOUT_AS_FILES was made */
	bool again;		/* the entry at hand names a path made before */
	char *buf;		/* file content in transit */
};

/* extract-meta.c */
/* ownership (when asked), mode with setuid/setgid policy, xattrs, mtime */
int meta_file(struct extract *x, int fd, const struct tar_entry *e, struct kerr *err);
/* ownership and mtime of what cannot be opened: symlinks, devices, fifos */
int meta_at(struct extract *x, int parentfd, const char *name,
	    const struct tar_entry *e, struct kerr *err);
/* ownership and xattrs now, mode and mtime deferred to meta_finish */
int meta_dir(struct extract *x, int parentfd, const char *name,
	     const struct tar_entry *e, struct kerr *err);
/* lets an unprivileged caller write into a read-only directory of a lower
 * layer; the mode comes back at meta_finish */
int meta_open_up(struct extract *x, int dirfd, const char *path, struct kerr *err);
/* the directory path (open at dirfd), which the layer changes without
 * naming it, gets its mode and times back at meta_finish (made: it was
 * made just now, for an entry below it: mtime 0), so that unpacking the
 * same layers gives the same tree whenever it runs */
void meta_keep_times(struct extract *x, int dirfd, const char *path, bool made);
int meta_finish(struct extract *x, struct kerr *err);
void meta_release(struct extract *x);

/* whiteout.c */
/* rm -rf of parentfd/name, fd-relative, never following a symlink */
int wh_remove_tree(int parentfd, const char *name, struct kerr *err);
/* for a name starting ".wh.": 1 a whiteout to apply, 0 one to skip, -1 bad */
int wh_check(const struct tar_entry *e, const char *name, struct kerr *err);
/* applies a checked whiteout entry; parentfd is its directory */
int wh_apply(struct extract *x, const struct tar_entry *e, int parentfd,
	     const char *dirpath, const char *name, struct kerr *err);

#endif
