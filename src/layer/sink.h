/* sink.h: the chain a layer streams through (tar -> sha256 -> gzip ->
 * sha256 -> fd); each stage takes bytes and passes its output on. */
#ifndef KILN_LAYER_SINK_H
#define KILN_LAYER_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/sha256.h"

struct layer_sink;

struct layer_sink_ops {
	int (*write)(struct layer_sink *s, const void *buf, size_t len,
		     struct kerr *err);
	/* end of input: flush what is held, then finish the next stage */
	int (*finish)(struct layer_sink *s, struct kerr *err);
	/* frees this stage only; layer_sink_free walks the chain */
	void (*free)(struct layer_sink *s);
};

struct layer_sink {
	const struct layer_sink_ops *ops;
	struct layer_sink *next;	/* owned; NULL at the end of the chain */
};

static inline int layer_sink_write(struct layer_sink *s, const void *buf,
				   size_t len, struct kerr *err)
{
	return s->ops->write(s, buf, len, err);
}

static inline int layer_sink_finish(struct layer_sink *s, struct kerr *err)
{
	return s->ops->finish(s, err);
}

/* frees s and every stage after it */
void layer_sink_free(struct layer_sink *s);

/* the end of a chain: buffered writes to fd (not closed) */
struct layer_sink *layer_sink_fd(int fd);
/* counts and hashes what passes through to next */
struct layer_sink *layer_sink_hash(struct layer_sink *next);
/* valid after finish */
void layer_sink_hash_result(struct layer_sink *s, unsigned char hash[SHA256_LEN],
			    uint64_t *size);

/* gzip at level 1..9 on threads (see gzip.h for the format) */
struct layer_sink *layer_sink_gzip(struct layer_sink *next, int level, int threads);

#endif
