/* input.h: a layer blob as a stream of tar bytes: gzip or plain tar told by
 * magic, the compressed digest and the diffID checked while it is read. */
#ifndef KILN_LAYER_INPUT_H
#define KILN_LAYER_INPUT_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/sha256.h"

/* reads up to len bytes of the blob; 0 at its end, -1 with err filled */
typedef ssize_t (*layer_source_fn)(void *ctx, void *buf, size_t len, struct kerr *err);

struct layer_input_opts {
	const char *digest;	/* expected "sha256:..." of the blob, or NULL */
	const char *diff_id;	/* expected digest of the tar stream, or NULL */
};

#define LAYER_INPUT_OPTS_INIT { NULL, NULL }

struct layer_input;

int layer_input_open(struct layer_input **in, layer_source_fn fn, void *ctx,
		     const struct layer_input_opts *opts, struct kerr *err);
/* fd is read from its offset and not closed */
int layer_input_open_fd(struct layer_input **in, int fd,
			const struct layer_input_opts *opts, struct kerr *err);
/* data must outlive the input */
int layer_input_open_mem(struct layer_input **in, const void *data, size_t len,
			 const struct layer_input_opts *opts, struct kerr *err);

/* tar bytes: returns how many, 0 at the end of the stream, -1 on error */
ssize_t layer_input_read(struct layer_input *in, void *buf, size_t len, struct kerr *err);
/* layer_input_read as a layer_source_fn / tar reader source */
ssize_t layer_input_source(void *in, void *buf, size_t len, struct kerr *err);

/* Reads what is left and checks the digests; an error names both. */
int layer_input_finish(struct layer_input *in, struct kerr *err);
/* after finish: "sha256:..." of the blob and of the tar stream */
const char *layer_input_digest(const struct layer_input *in);
const char *layer_input_diff_id(const struct layer_input *in);
/* 1 when the blob was gzip */
int layer_input_compressed(const struct layer_input *in);

void layer_input_free(struct layer_input *in);

#endif
