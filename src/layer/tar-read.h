/* tar-read.h: a pull reader of tar archives (ustar, POSIX PAX, GNU long
 * names, base-256 numbers) over any byte source, strict and bounded. */
#ifndef KILN_LAYER_TAR_READ_H
#define KILN_LAYER_TAR_READ_H

#include <stddef.h>
#include <sys/types.h>

#include "layer/bounds.h"
#include "layer/tar.h"
#include "util/err.h"

/* reads up to len bytes; 0 at the end of the stream, -1 with err filled */
typedef ssize_t (*tar_source_fn)(void *ctx, void *buf, size_t len, struct kerr *err);

struct tar_reader;

/* limits may be NULL for TAR_LIMITS_INIT */
struct tar_reader *tar_reader_new(tar_source_fn fn, void *ctx,
				  const struct tar_limits *limits);

/*
 * Fills e (cleared first) with the next entry: returns 1, 0 at the end of
 * the archive, -1 on error. Paths are cleaned and relative ("." is the
 * root); a path or hardlink target leaving the root is an error. Content
 * the caller did not read is skipped.
 */
int tar_reader_next(struct tar_reader *r, struct tar_entry *e, struct kerr *err);
/* content of the current entry: bytes read, 0 at its end, -1 on error */
ssize_t tar_reader_read(struct tar_reader *r, void *buf, size_t len, struct kerr *err);
/* entries returned so far */
unsigned long long tar_reader_count(const struct tar_reader *r);

void tar_reader_free(struct tar_reader *r);

/* 1 when the TAR_BLOCK bytes at block are a header the reader takes (its
 * checksum right, as old v7 archives without the ustar magic have it too),
 * e.g. to tell an archive from other data; an all-zero block is not one */
int tar_header_valid(const void *block);

#endif
