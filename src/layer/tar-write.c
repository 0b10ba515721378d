/* tar-write.c: the tar stream into a sink: headers, contents padded to
 * whole blocks, whiteout entries and the end of the archive. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer/tar-write.h"
#include "util/xalloc.h"

/* reads from content fds: as large as a gzip block */
#define COPY_BUF (128 * 1024)

static const unsigned char zeros[2 * TAR_BLOCK];

void tar_writer_init(struct tar_writer *w, struct layer_sink *out,
		     const struct layer_opts *o)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->mtime_policy = o->mtime_policy;
	w->timestamp = o->timestamp;
	w->hires_mtime = o->hires_mtime;
	strbuf_init(&w->hdr, 2 * TAR_BLOCK);
}

void tar_writer_release(struct tar_writer *w)
{
	strbuf_release(&w->hdr);
	free(w->buf);
	w->buf = NULL;
}

int tar_write_header(struct tar_writer *w, const struct tar_entry *e,
		     struct kerr *err)
{
	uint64_t size = e->type == TAR_REG ? e->size : 0;

	if (w->remain)
		return kerr_input(err, "the previous entry lacks %llu bytes of content",
				  (unsigned long long)w->remain);
	strbuf_reset(&w->hdr);
	if (tar_encode_header(w, e, &w->hdr, err) < 0)
		return -1;
	if (layer_sink_write(w->out, w->hdr.buf, w->hdr.len, err) < 0)
		return -1;
	w->remain = size;
	w->pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
	return 0;
}

int tar_write_data(struct tar_writer *w, const void *buf, size_t len,
		   struct kerr *err)
{
	if (len > w->remain)
		return kerr_input(err, "%zu bytes of content where %llu are due", len,
				  (unsigned long long)w->remain);
	if (!len)
		return 0;
	if (layer_sink_write(w->out, buf, len, err) < 0)
		return -1;
	w->remain -= len;
	if (w->remain)
		return 0;
	return layer_sink_write(w->out, zeros, w->pad, err);
}

int tar_write_fd(struct tar_writer *w, int fd, struct kerr *err)
{
	if (!w->buf && w->remain)
		w->buf = xmalloc(COPY_BUF);
	while (w->remain) {
		size_t want = w->remain < COPY_BUF ? (size_t)w->remain : COPY_BUF;
		ssize_t n = read(fd, w->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_errno(err, errno, "cannot read");
		if (n == 0)
			/* changed under us: what we have no longer matches the header */
			return kerr_set(err, "file shrank by %llu bytes while it was read",
					(unsigned long long)w->remain);
		if (tar_write_data(w, w->buf, (size_t)n, err) < 0)
			return -1;
	}
	return 0;
}

/* an empty regular file named dir + "/" + name */
static int write_marker(struct tar_writer *w, const char *dir, size_t dirlen,
			const char *name, struct kerr *err)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct strbuf path = STRBUF_INIT;
	int rc;

	if (dirlen) {
		strbuf_add(&path, dir, dirlen);
		strbuf_addch(&path, '/');
	}
	strbuf_addstr(&path, name);
	e.path = path.buf;
	e.type = TAR_REG;
	rc = tar_write_header(w, &e, err);
	strbuf_release(&path);
	return rc;
}

int tar_write_whiteout(struct tar_writer *w, const char *path, struct kerr *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	struct strbuf name = STRBUF_INIT;
	int rc;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return kerr_input(err, "cannot write a whiteout for '%s'", path);
	strbuf_addstr(&name, WHITEOUT_PREFIX);
	strbuf_addstr(&name, base);
	rc = write_marker(w, path, slash ? (size_t)(slash - path) : 0, name.buf, err);
	strbuf_release(&name);
	return rc;
}

int tar_write_opaque(struct tar_writer *w, const char *dir, struct kerr *err)
{
	return write_marker(w, dir, strlen(dir), WHITEOUT_OPAQUE, err);
}

int tar_write_end(struct tar_writer *w, struct kerr *err)
{
	if (w->remain)
		return kerr_input(err, "the last entry lacks %llu bytes of content",
				  (unsigned long long)w->remain);
	return layer_sink_write(w->out, zeros, sizeof(zeros), err);
}
