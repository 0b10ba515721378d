/* writer.c: a layer from entries in the caller's order, and gzip of an
 * existing tar, both through the chain tar -> sha256 -> gzip -> sha256 -> fd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer/layer.h"
#include "layer/sink.h"
#include "layer/tar-write.h"
#include "util/xalloc.h"

struct layer_writer {
	struct tar_writer tw;
	struct layer_sink *chain;	/* its head hashes the tar: the diff_id */
	struct layer_sink *blob;	/* hashes the gzip output; NULL if none */
};

static int check_level(int level, int threads, struct kerr *err)
{
	if (level < 0 || level > 9)
		return kerr_input(err, "compression level %d is not 0..9", level);
	if (threads < 0)
		return kerr_input(err, "thread count %d is negative", threads);
	return 0;
}

static struct layer_sink *make_chain(int out_fd, int level, int threads,
				     struct layer_sink **blob)
{
	struct layer_sink *s = layer_sink_fd(out_fd);

	*blob = NULL;
	if (level) {
		s = *blob = layer_sink_hash(s);
		s = layer_sink_gzip(s, level, threads);
	}
	return layer_sink_hash(s);
}

/* finishes the chain and reads both hashes off it */
static int finish_chain(struct layer_sink *chain, struct layer_sink *blob,
			struct layer_result *res, struct kerr *err)
{
	if (layer_sink_finish(chain, err) < 0)
		return -1;
	layer_sink_hash_result(chain, res->diff_id, &res->tar_size);
	if (blob) {
		layer_sink_hash_result(blob, res->digest, &res->size);
	} else {
		memcpy(res->digest, res->diff_id, SHA256_LEN);
		res->size = res->tar_size;
	}
	return 0;
}

int layer_writer_new(struct layer_writer **out, int out_fd,
		     const struct layer_opts *o, struct kerr *err)
{
	struct layer_writer *lw;

	*out = NULL;
	if (check_level(o->level, o->threads, err) < 0)
		return -1;
	lw = xcalloc(1, sizeof(*lw));
	lw->chain = make_chain(out_fd, o->level, o->threads, &lw->blob);
	tar_writer_init(&lw->tw, lw->chain, o);
	*out = lw;
	return 0;
}

int layer_writer_add(struct layer_writer *lw, const struct tar_entry *e,
		     int content_fd, struct kerr *err)
{
	if (tar_write_header(&lw->tw, e, err) < 0)
		return -1;
	if (!lw->tw.remain)
		return 0;
	if (content_fd < 0)
		return kerr_input(err, "no content for '%s'", e->path);
	if (tar_write_fd(&lw->tw, content_fd, err) < 0)
		return kerr_wrap(err, "'%s'", e->path);
	return 0;
}

int layer_writer_add_buf(struct layer_writer *lw, const struct tar_entry *e,
			 const void *data, size_t len, struct kerr *err)
{
	if ((e->type == TAR_REG ? e->size : 0) != len)
		return kerr_input(err, "'%s': %zu bytes of content for a size of %llu",
				  e->path, len, (unsigned long long)e->size);
	if (tar_write_header(&lw->tw, e, err) < 0)
		return -1;
	return tar_write_data(&lw->tw, data, len, err);
}

int layer_writer_whiteout(struct layer_writer *lw, const char *path,
			  struct kerr *err)
{
	return tar_write_whiteout(&lw->tw, path, err);
}

int layer_writer_opaque(struct layer_writer *lw, const char *dir,
			struct kerr *err)
{
	return tar_write_opaque(&lw->tw, dir, err);
}

int layer_writer_finish(struct layer_writer *lw, struct layer_result *res,
			struct kerr *err)
{
	if (tar_write_end(&lw->tw, err) < 0)
		return -1;
	return finish_chain(lw->chain, lw->blob, res, err);
}

void layer_writer_free(struct layer_writer *lw)
{
	if (!lw)
		return;
	tar_writer_release(&lw->tw);
	layer_sink_free(lw->chain);
	free(lw);
}

int layer_compress_stream(int in_fd, int out_fd, int level, int threads,
			  struct layer_result *res, struct kerr *err)
{
	const size_t bufsz = 128 * 1024;
	struct layer_sink *chain, *blob;
	unsigned char *buf;
	int rc = 0;

	if (check_level(level, threads, err) < 0)
		return -1;
	chain = make_chain(out_fd, level, threads, &blob);
	buf = xmalloc(bufsz);
	for (;;) {
		ssize_t n = read(in_fd, buf, bufsz);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kerr_errno(err, errno, "cannot read the tar stream");
			break;
		}
		if (n == 0) {
			rc = finish_chain(chain, blob, res, err);
			break;
		}
		if ((rc = layer_sink_write(chain, buf, (size_t)n, err)) < 0)
			break;
	}
	free(buf);
	layer_sink_free(chain);
	return rc;
}

int layer_opts_from_env(struct layer_opts *o, struct kerr *err)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t;

	if (!v || !*v)
		return 0;
	errno = 0;
	t = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno == ERANGE)
		return kerr_input(err, "SOURCE_DATE_EPOCH '%s' is not a number of seconds", v);
	o->mtime_policy = LAYER_MTIME_CLAMP;
	o->timestamp = t;
	return 0;
}
