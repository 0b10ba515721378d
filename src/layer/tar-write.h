/* tar-write.h: the tar stream of a layer: ustar headers, PAX records where
 * ustar falls short, contents padded to blocks, the end-of-archive mark. */
#ifndef KILN_LAYER_TAR_WRITE_H
#define KILN_LAYER_TAR_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "layer/layer.h"
#include "layer/sink.h"
#include "layer/tar.h"
#include "util/err.h"
#include "util/strbuf.h"

/*
 * What every header holds, so that the same entries give the same bytes:
 * ustar ("ustar\0" "00"); mode without file-type bits; empty uname and
 * gname; devmajor and devminor 0 except for devices; directories named
 * with a trailing '/'; mtime after opts' policy, whole seconds unless
 * hires_mtime; no atime or ctime. Where ustar cannot hold a value (a path
 * that does not split into prefix and name, a link name over 100 bytes,
 * sizes from 8 GiB, ids from 2^21, negative or far mtimes, nanoseconds,
 * xattrs), a PAX extended header named "PaxHeaders.0/<base>" goes first,
 * its records in byte order of their keys, and the ustar field gets the
 * number in base-256 (GNU) for readers that do not know PAX.
 */
struct tar_writer {
	struct layer_sink *out;
	enum layer_mtime mtime_policy;
	int64_t timestamp;
	bool hires_mtime;
	struct strbuf hdr;	/* the current entry's header blocks */
	uint64_t remain;	/* content bytes the current entry still expects */
	size_t pad;		/* and the zeros that fill its last block */
	unsigned char *buf;	/* copy buffer for file contents */
};

/* out stays the caller's */
void tar_writer_init(struct tar_writer *w, struct layer_sink *out,
		     const struct layer_opts *o);
void tar_writer_release(struct tar_writer *w);

/* Appends e's header blocks (PAX header first when needed) to out. */
int tar_encode_header(const struct tar_writer *w, const struct tar_entry *e,
		      struct strbuf *out, struct kerr *err);

/* The header; for a TAR_REG entry, e->size bytes of tar_write_data or
 * tar_write_fd must follow before the next header. */
int tar_write_header(struct tar_writer *w, const struct tar_entry *e,
		     struct kerr *err);
int tar_write_data(struct tar_writer *w, const void *buf, size_t len,
		   struct kerr *err);
/* copies the rest of the current entry's content from fd */
int tar_write_fd(struct tar_writer *w, int fd, struct kerr *err);

/* empty regular files named ".wh.<base>" next to path, and ".wh..wh..opq"
 * in dir ("" for the root); mode 0, owner 0:0, mtime 0 (or the timestamp
 * under LAYER_MTIME_SET) */
int tar_write_whiteout(struct tar_writer *w, const char *path, struct kerr *err);
int tar_write_opaque(struct tar_writer *w, const char *dir, struct kerr *err);

/* the two zero blocks that end an archive (the sink is not finished) */
int tar_write_end(struct tar_writer *w, struct kerr *err);

#endif
