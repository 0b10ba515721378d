/* layer.h: writing layer blobs: a directory tree or a caller's entries
 * become a tar stream, gzip'ed and hashed in one pass into an fd. */
#ifndef KILN_LAYER_LAYER_H
#define KILN_LAYER_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "layer/tar.h"
#include "util/err.h"
#include "util/sha256.h"

#define LAYER_LEVEL_DEFAULT 6

/* what happens to each entry's mtime */
enum layer_mtime {
	LAYER_MTIME_KEEP,	/* as on disk / as given */
	LAYER_MTIME_CLAMP,	/* min(mtime, timestamp): SOURCE_DATE_EPOCH */
	LAYER_MTIME_SET,	/* every entry gets timestamp: --timestamp */
};

struct layer_opts {
	/* 1..9, or 0 for an uncompressed tar (media type ...layer.v1.tar) */
	int level;
	/* compression threads: 0 for one per online CPU (at most 8); 1
	 * compresses on the calling thread. The bytes do not depend on it. */
	int threads;
	enum layer_mtime mtime_policy;
	int64_t timestamp;
	/* PAX mtime records with nanoseconds; off, times are whole seconds */
	bool hires_mtime;
	/* leave extended attributes (incl. file capabilities) out */
	bool no_xattrs;
};

#define LAYER_OPTS_INIT { LAYER_LEVEL_DEFAULT, 0, LAYER_MTIME_KEEP, 0, false, false }

/* What a finished layer is known by. Uncompressed, digest == diff_id. */
struct layer_result {
	unsigned char diff_id[SHA256_LEN];	/* sha256 of the tar stream */
	unsigned char digest[SHA256_LEN];	/* sha256 of the blob as written */
	uint64_t tar_size;
	uint64_t size;				/* bytes written to the fd */
};

/* Sets CLAMP to SOURCE_DATE_EPOCH when the variable is set and not empty;
 * a value that is not a decimal number of seconds is an input error. */
int layer_opts_from_env(struct layer_opts *o, struct kerr *err);

/*
 * Writes the tree under rootfd (not the root itself) as a layer into out_fd:
 * entries in path order, a directory before its contents, siblings by byte
 * order of their names; symlinks are never followed; files with several
 * links are stored once and then as hardlinks to the first path.
 */
int layer_write_tree(int rootfd, int out_fd, const struct layer_opts *o,
		     struct layer_result *res, struct kerr *err);

/*
 * A layer from entries the caller supplies in the order they go into the
 * archive (the diff and 'kiln import' use this). Entries are not sorted
 * or checked for duplicates here.
 */
struct layer_writer;

/* opts are copied; a level outside 0..9 is an input error */
int layer_writer_new(struct layer_writer **lw, int out_fd,
		     const struct layer_opts *o, struct kerr *err);
/* content_fd is read for e->size bytes when e->type is TAR_REG and the
 * size is not 0; else pass -1. Fewer bytes than e->size is an error. */
int layer_writer_add(struct layer_writer *lw, const struct tar_entry *e,
		     int content_fd, struct kerr *err);
/* the same with the content in memory (len must equal e->size) */
int layer_writer_add_buf(struct layer_writer *lw, const struct tar_entry *e,
			 const void *data, size_t len, struct kerr *err);
/* OCI whiteout of path ("etc/foo" is written as "etc/.wh.foo") */
int layer_writer_whiteout(struct layer_writer *lw, const char *path,
			  struct kerr *err);
/* marks the directory dir opaque ("" for the root): "dir/.wh..wh..opq" */
int layer_writer_opaque(struct layer_writer *lw, const char *dir,
			struct kerr *err);
/* ends the archive, flushes everything to the fd and fills res */
int layer_writer_finish(struct layer_writer *lw, struct layer_result *res,
			struct kerr *err);
/* after finish, or to abandon a layer half way (the fd is not closed) */
void layer_writer_free(struct layer_writer *lw);

/*
 * gzips an uncompressed tar from in_fd into out_fd (level 1..9, or 0 to
 * copy it as it is), hashing both sides: res->diff_id is the input's sha256.
 */
int layer_compress_stream(int in_fd, int out_fd, int level, int threads,
			  struct layer_result *res, struct kerr *err);

#endif
