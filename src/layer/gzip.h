/* gzip.h: kiln's one gzip format, shared by the serial compressor and the
 * threaded one (gzip-parallel.c), which must produce the same bytes. */
#ifndef KILN_LAYER_GZIP_H
#define KILN_LAYER_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "layer/sink.h"
#include "util/err.h"

/*
 * The format, part of every layer digest kiln computes:
 *
 * - one gzip member; header 1f 8b 08, no flags, no name, mtime 0, XFL 0,
 *   OS 255 ("unknown", as Go's compress/gzip writes, so the bytes do not
 *   say where they were made);
 * - the tar stream is cut into GZ_BLOCK-byte blocks; each is raw deflate
 *   (window 15, memLevel 8, default strategy) from a reset stream primed
 *   with the previous GZ_DICT bytes as dictionary, ended with Z_SYNC_FLUSH
 *   (byte-aligned, not final), the last block (possibly empty) with
 *   Z_FINISH. Concatenated, the blocks are one deflate stream (as pigz
 *   makes them), and each depends only on its own and the previous bytes,
 *   so any number of threads produce the same output;
 * - trailer: CRC-32 and length mod 2^32 of the whole input, little-endian.
 *
 * The deflate bytes also depend on zlib's version: kiln links a pinned one.
 */
#define GZ_BLOCK (128 * 1024)
#define GZ_DICT (32 * 1024)
#define GZ_HEADER_LEN 10

extern const unsigned char layer_gz_header[GZ_HEADER_LEN];

/* a deflate stream as the format wants it; only a level outside 1..9 fails */
int layer_gz_stream_init(z_stream *zs, int level, struct kerr *err);

/* one block's output, grown as needed and reused between blocks */
struct layer_gz_out {
	unsigned char *buf;
	size_t len, alloc;
};

/* compresses data[0..len) primed with dict[0..dictlen) into out */
int layer_gz_deflate_block(z_stream *zs, const unsigned char *dict, size_t dictlen,
			   const unsigned char *data, size_t len, bool last,
			   struct layer_gz_out *out, struct kerr *err);

void layer_gz_trailer(unsigned char out[8], uint32_t crc, uint64_t total);

/* the threaded compressor, or NULL (next stays the caller's) when it is
 * not in this build */
#ifdef CONFIG_LAYER_PARALLEL_GZIP
struct layer_sink *layer_gz_parallel_sink(struct layer_sink *next, int level,
					  int threads);
#else
static inline struct layer_sink *layer_gz_parallel_sink(struct layer_sink *next,
							int level, int threads)
{
	return NULL;
}
#endif

#endif
