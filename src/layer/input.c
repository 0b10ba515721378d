/* input.c: layer blob -> tar bytes: magic sniffing, streaming inflate of
 * one or more gzip members, and the two digests computed on the way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "layer/input.h"
#include "util/xalloc.h"

#define IN_BUF (64 * 1024)

struct layer_input {
	layer_source_fn fn;
	void *ctx;
	unsigned char *buf;	/* raw blob bytes, buf[pos..len) not consumed */
	size_t pos, len;
	int eof;		/* the source has said 0 */
	int gzip;
	int zdone;		/* the last gzip member ended at the blob's end */
	int finished;
	z_stream z;
	struct sha256 blob_hash, tar_hash;
	char *want_digest, *want_diff_id;
	char digest[DIGEST_STR_LEN], diff_id[DIGEST_STR_LEN];
};

struct mem_src {
	const unsigned char *data;
	size_t len, pos;
};

/* Refills buf when everything in it was consumed; 0 at the blob's end. */
static int fill(struct layer_input *in, struct kerr *err)
{
	ssize_t n;

	if (in->pos < in->len)
		return 1;
	if (in->eof)
		return 0;
	in->pos = in->len = 0;
	n = in->fn(in->ctx, in->buf, IN_BUF, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		in->eof = 1;
		return 0;
	}
	in->len = (size_t)n;
	sha256_update(&in->blob_hash, in->buf, in->len);
	return 1;
}

/* Tells gzip from plain tar and refuses the compressions kiln lacks; the
 * first bytes stay in buf for the reader. */
static int sniff(struct layer_input *in, struct kerr *err)
{
	unsigned char head[6];
	size_t have;

	/* sources may return short reads: gather enough for the magic */
	while (in->len < sizeof(head) && !in->eof) {
		ssize_t n;

		n = in->fn(in->ctx, in->buf + in->len, IN_BUF - in->len, err);
		if (n < 0)
			return -1;
		if (n == 0) {
			in->eof = 1;
			break;
		}
		sha256_update(&in->blob_hash, in->buf + in->len, (size_t)n);
		in->len += (size_t)n;
	}
	have = in->len < sizeof(head) ? in->len : sizeof(head);
	memset(head, 0, sizeof(head));
	memcpy(head, in->buf, have);
	if (have >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		in->gzip = 1;
		return 0;
	}
	if (have >= 4 && !memcmp(head, "\x28\xb5\x2f\xfd", 4))
		return kerr_input(err, "zstd-compressed layers are not supported");
	if (have >= 6 && !memcmp(head, "\xfd" "7zXZ\0", 6))
		return kerr_input(err, "xz-compressed layers are not supported");
	if (have >= 3 && !memcmp(head, "BZh", 3))
		return kerr_input(err, "bzip2-compressed layers are not supported");
	return 0;
}

int layer_input_open(struct layer_input **inp, layer_source_fn fn, void *ctx,
		     const struct layer_input_opts *opts, struct kerr *err)
{
	struct layer_input *in = xcalloc(1, sizeof(*in));
	unsigned char scratch[SHA256_LEN];

	in->fn = fn;
	in->ctx = ctx;
	in->buf = xmalloc(IN_BUF);
	sha256_init(&in->blob_hash);
	sha256_init(&in->tar_hash);
	*inp = in;
	if (opts && opts->digest) {
		if (digest_parse(opts->digest, scratch, err) < 0)
			goto fail;
		in->want_digest = xstrdup(opts->digest);
	}
	if (opts && opts->diff_id) {
		if (digest_parse(opts->diff_id, scratch, err) < 0)
			goto fail;
		in->want_diff_id = xstrdup(opts->diff_id);
	}
	if (sniff(in, err) < 0)
		goto fail;
	if (in->gzip && inflateInit2(&in->z, 15 + 16) != Z_OK) {
		in->gzip = 0;
		kerr_set(err, "cannot start zlib inflate");
		goto fail;
	}
	return 0;
fail:
	layer_input_free(in);
	*inp = NULL;
	return -1;
}

static ssize_t fd_source(void *ctx, void *buf, size_t len, struct kerr *err)
{
	ssize_t n;

	do
		n = read(*(int *)ctx, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_errno(err, errno, "cannot read layer");
	return n;
}

static ssize_t mem_source(void *ctx, void *buf, size_t len, struct kerr *err)
{
	struct mem_src *m = ctx;
	size_t n = m->len - m->pos;

	(void)err;
	if (n > len)
		n = len;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

int layer_input_open_fd(struct layer_input **in, int fd,
			const struct layer_input_opts *opts, struct kerr *err)
{
	int *ctx = xmalloc(sizeof(*ctx));

	*ctx = fd;
	/* on failure the input, freed, took ctx with it */
	return layer_input_open(in, fd_source, ctx, opts, err);
}

int layer_input_open_mem(struct layer_input **in, const void *data, size_t len,
			 const struct layer_input_opts *opts, struct kerr *err)
{
	struct mem_src *m = xcalloc(1, sizeof(*m));

	m->data = data;
	m->len = len;
	return layer_input_open(in, mem_source, m, opts, err);
}

/* After a member ends: another member, the blob's end, or garbage. */
static int next_member(struct layer_input *in, struct kerr *err)
{
	int r = fill(in, err);

	if (r <= 0) {
		in->zdone = r == 0;
		return r;
	}
	if (in->buf[in->pos] != 0x1f)
		return kerr_input(err, "trailing garbage after gzip stream");
	if (inflateReset(&in->z) != Z_OK)
		return kerr_set(err, "cannot restart zlib inflate");
	return 1;
}

static ssize_t inflate_some(struct layer_input *in, void *buf, size_t len, struct kerr *err)
{
	while (!in->zdone) {
		int r, zr;
		size_t out;

		r = fill(in, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return kerr_input(err, "gzip stream is truncated");
		in->z.next_in = in->buf + in->pos;
		in->z.avail_in = (uInt)(in->len - in->pos);
		in->z.next_out = buf;
		in->z.avail_out = (uInt)(len > (1u << 30) ? (1u << 30) : len);
		out = in->z.avail_out;
		zr = inflate(&in->z, Z_NO_FLUSH);
		in->pos = in->len - in->z.avail_in;
		out -= in->z.avail_out;
		if (zr == Z_STREAM_END) {
			if (next_member(in, err) < 0)
				return -1;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return kerr_input(err, "gzip data is corrupt: %s",
					  in->z.msg ? in->z.msg : "inflate failed");
		}
		if (out)
			return (ssize_t)out;
	}
	return 0;
}

ssize_t layer_input_read(struct layer_input *in, void *buf, size_t len, struct kerr *err)
{
	ssize_t n;

	if (!len)
		return 0;
	if (in->gzip) {
		n = inflate_some(in, buf, len, err);
	} else {
		int r = fill(in, err);

		if (r <= 0)
			return r;
		n = (ssize_t)(in->len - in->pos < len ? in->len - in->pos : len);
		memcpy(buf, in->buf + in->pos, (size_t)n);
		in->pos += (size_t)n;
	}
	if (n > 0)
		sha256_update(&in->tar_hash, buf, (size_t)n);
	return n;
}

ssize_t layer_input_source(void *in, void *buf, size_t len, struct kerr *err)
{
	return layer_input_read(in, buf, len, err);
}

int layer_input_finish(struct layer_input *in, struct kerr *err)
{
	unsigned char h[SHA256_LEN];
	char *scratch;
	ssize_t n;

	if (in->finished)
		return 0;
	scratch = xmalloc(IN_BUF);
	while ((n = layer_input_read(in, scratch, IN_BUF, err)) > 0)
		;
	free(scratch);
	if (n < 0)
		return -1;
	in->finished = 1;
	sha256_final(&in->blob_hash, h);
	digest_format(h, in->digest);
	sha256_final(&in->tar_hash, h);
	digest_format(h, in->diff_id);
	if (in->want_digest && strcmp(in->want_digest, in->digest))
		return kerr_input(err, "layer digest mismatch: expected '%s', got '%s'",
				  in->want_digest, in->digest);
	if (in->want_diff_id && strcmp(in->want_diff_id, in->diff_id))
		return kerr_input(err, "layer diffID mismatch: expected '%s', got '%s'",
				  in->want_diff_id, in->diff_id);
	return 0;
}

const char *layer_input_digest(const struct layer_input *in)
{
	return in->finished ? in->digest : NULL;
}

const char *layer_input_diff_id(const struct layer_input *in)
{
	return in->finished ? in->diff_id : NULL;
}

int layer_input_compressed(const struct layer_input *in)
{
	return in->gzip;
}

void layer_input_free(struct layer_input *in)
{
	unsigned char h[SHA256_LEN];

	if (!in)
		return;
	if (in->gzip)
		inflateEnd(&in->z);
	if (!in->finished) {
		/* sha256_final is what releases the contexts */
		sha256_final(&in->blob_hash, h);
		sha256_final(&in->tar_hash, h);
	}
	if (in->fn == fd_source || in->fn == mem_source)
		free(in->ctx);
	free(in->want_digest);
	free(in->want_diff_id);
	free(in->buf);
	free(in);
}
