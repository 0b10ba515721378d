/* gzip.c: the gzip format of kiln's layers (see gzip.h) and the stage that
 * writes it on the calling thread, one block after the other. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "layer/gzip.h"
#include "util/xalloc.h"

/* no name, mtime 0, XFL 0, OS 255 */
const unsigned char layer_gz_header[GZ_HEADER_LEN] = {
	0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255,
};

/* zlib's allocations go through xmalloc, so a stream cannot fail to start
 * and out-of-memory ends kiln the way every other allocation does */
static voidpf gz_alloc(voidpf opaque, uInt items, uInt size)
{
	return xmalloc(xmul(items, size));
}

static void gz_free(voidpf opaque, voidpf p)
{
	free(p);
}

int layer_gz_stream_init(z_stream *zs, int level, struct kerr *err)
{
	memset(zs, 0, sizeof(*zs));
	zs->zalloc = gz_alloc;
	zs->zfree = gz_free;
	if (deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return kerr_set(err, "cannot start gzip at level %d", level);
	return 0;
}

int layer_gz_deflate_block(z_stream *zs, const unsigned char *dict, size_t dictlen,
			   const unsigned char *data, size_t len, bool last,
			   struct layer_gz_out *out, struct kerr *err)
{
	int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
	/* room for stored blocks of incompressible data and the flush marker */
	size_t want = len + len / 8 + 64;

	if (deflateReset(zs) != Z_OK ||
	    (dictlen && deflateSetDictionary(zs, dict, (uInt)dictlen) != Z_OK))
		return kerr_set(err, "gzip: cannot reset the stream");
	if (out->alloc < want) {
		free(out->buf);
		out->buf = xmalloc(want);
		out->alloc = want;
	}
	out->len = 0;
	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	for (;;) {
		int ret;

		zs->next_out = out->buf + out->len;
		zs->avail_out = (uInt)(out->alloc - out->len);
		ret = deflate(zs, flush);
		out->len = out->alloc - zs->avail_out;
		if (ret == Z_STREAM_ERROR)
			return kerr_set(err, "gzip: deflate failed");
		if (last ? ret == Z_STREAM_END : zs->avail_out != 0)
			return 0;
		out->alloc *= 2;
		out->buf = xrealloc(out->buf, out->alloc);
	}
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

void layer_gz_trailer(unsigned char out[8], uint32_t crc, uint64_t total)
{
	put_le32(out, crc);
	put_le32(out + 4, (uint32_t)total);
}

/* the serial stage: buf holds the previous GZ_DICT bytes, then the block */
struct gz_sink {
	struct layer_sink base;
	z_stream zs;
	unsigned char *buf;
	size_t dictlen, len;
	struct layer_gz_out out;
	uint32_t crc;
	uint64_t total;
	bool started;
};

static int gz_flush_block(struct gz_sink *g, bool last, struct kerr *err)
{
	const unsigned char *data = g->buf + g->dictlen;

	g->crc = (uint32_t)crc32(g->crc, data, (uInt)g->len);
	g->total += g->len;
	if (layer_gz_deflate_block(&g->zs, g->buf, g->dictlen, data, g->len, last,
				   &g->out, err) < 0)
		return -1;
	if (!g->started) {
		if (layer_sink_write(g->base.next, layer_gz_header, GZ_HEADER_LEN, err) < 0)
			return -1;
		g->started = true;
	}
	if (layer_sink_write(g->base.next, g->out.buf, g->out.len, err) < 0)
		return -1;
	if (!last) {
		/* a block is only cut when full, so it holds a whole dictionary */
		memmove(g->buf, data + g->len - GZ_DICT, GZ_DICT);
		g->dictlen = GZ_DICT;
		g->len = 0;
	}
	return 0;
}

static int gz_write(struct layer_sink *s, const void *buf, size_t len,
		    struct kerr *err)
{
	struct gz_sink *g = (struct gz_sink *)s;
	const unsigned char *p = buf;

	while (len) {
		size_t n = GZ_BLOCK - g->len;

		if (n > len)
			n = len;
		memcpy(g->buf + g->dictlen + g->len, p, n);
		g->len += n;
		p += n;
		len -= n;
		if (g->len == GZ_BLOCK && gz_flush_block(g, false, err) < 0)
			return -1;
	}
	return 0;
}

static int gz_finish(struct layer_sink *s, struct kerr *err)
{
	struct gz_sink *g = (struct gz_sink *)s;
	unsigned char trailer[8];

	if (gz_flush_block(g, true, err) < 0)
		return -1;
	layer_gz_trailer(trailer, g->crc, g->total);
	if (layer_sink_write(s->next, trailer, sizeof(trailer), err) < 0)
		return -1;
	return layer_sink_finish(s->next, err);
}

static void gz_sink_free(struct layer_sink *s)
{
	struct gz_sink *g = (struct gz_sink *)s;

	deflateEnd(&g->zs);
	free(g->buf);
	free(g->out.buf);
	free(g);
}

static const struct layer_sink_ops gz_ops = { gz_write, gz_finish, gz_sink_free };

static int online_cpus(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > 8 ? 8 : n;
}

struct layer_sink *layer_sink_gzip(struct layer_sink *next, int level, int threads)
{
	struct gz_sink *g;
	struct layer_sink *p;
	struct kerr err = KERR_INIT;

	if (threads <= 0)
		threads = online_cpus();
	if (threads > 32)	/* each costs about 600 KB of buffers */
		threads = 32;
	if (threads > 1 && (p = layer_gz_parallel_sink(next, level, threads)))
		return p;
	g = xcalloc(1, sizeof(*g));
	g->base.ops = &gz_ops;
	g->base.next = next;
	g->buf = xmalloc(GZ_DICT + GZ_BLOCK);
	g->crc = (uint32_t)crc32(0, NULL, 0);
	if (layer_gz_stream_init(&g->zs, level, &err) < 0)
		abort();	/* only a level outside 1..9 gets here: a bug */
	return &g->base;
}
