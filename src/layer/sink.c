/* sink.c: the two plain stages of a layer's output chain: hashing and
 * counting what passes, and writing to an fd through a buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layer/sink.h"
#include "util/fs.h"
#include "util/xalloc.h"

void layer_sink_free(struct layer_sink *s)
{
	while (s) {
		struct layer_sink *next = s->next;

		s->ops->free(s);
		s = next;
	}
}

/*
 * fd: tar headers arrive 512 bytes at a time; collecting them saves a
 * syscall each when the layer is not compressed.
 */
#define FD_BUF (64 * 1024)

struct fd_sink {
	struct layer_sink base;
	int fd;
	size_t len;
	unsigned char buf[FD_BUF];
};

static int fd_flush(struct fd_sink *f, struct kerr *err)
{
	if (f->len && write_all(f->fd, f->buf, f->len) < 0)
		return kerr_errno(err, errno, "cannot write layer");
	f->len = 0;
	return 0;
}

static int fd_write(struct layer_sink *s, const void *buf, size_t len,
		    struct kerr *err)
{
	struct fd_sink *f = (struct fd_sink *)s;

	if (f->len + len <= FD_BUF) {
		memcpy(f->buf + f->len, buf, len);
		f->len += len;
		return 0;
	}
	if (fd_flush(f, err) < 0)
		return -1;
	if (len < FD_BUF) {
		memcpy(f->buf, buf, len);
		f->len = len;
		return 0;
	}
	if (write_all(f->fd, buf, len) < 0)
		return kerr_errno(err, errno, "cannot write layer");
	return 0;
}

static int fd_finish(struct layer_sink *s, struct kerr *err)
{
	return fd_flush((struct fd_sink *)s, err);
}

static void fd_free(struct layer_sink *s)
{
	free(s);
}

static const struct layer_sink_ops fd_ops = { fd_write, fd_finish, fd_free };

struct layer_sink *layer_sink_fd(int fd)
{
	struct fd_sink *f = xmalloc(sizeof(*f));

	f->base.ops = &fd_ops;
	f->base.next = NULL;
	f->fd = fd;
	f->len = 0;
	return &f->base;
}

/* hash: sha256 and byte count of everything that passes to next */
struct hash_sink {
	struct layer_sink base;
	struct sha256 h;
	uint64_t size;
	int done;
	unsigned char hash[SHA256_LEN];
};

static int hash_write(struct layer_sink *s, const void *buf, size_t len,
		      struct kerr *err)
{
	struct hash_sink *h = (struct hash_sink *)s;

	sha256_update(&h->h, buf, len);
	h->size += len;
	return layer_sink_write(s->next, buf, len, err);
}

static int hash_finish(struct layer_sink *s, struct kerr *err)
{
	struct hash_sink *h = (struct hash_sink *)s;

	if (!h->done) {
		sha256_final(&h->h, h->hash);
		h->done = 1;
	}
	return layer_sink_finish(s->next, err);
}

static void hash_free(struct layer_sink *s)
{
	struct hash_sink *h = (struct hash_sink *)s;

	if (!h->done)
		sha256_final(&h->h, h->hash);
	free(h);
}

static const struct layer_sink_ops hash_ops = { hash_write, hash_finish, hash_free };

struct layer_sink *layer_sink_hash(struct layer_sink *next)
{
	struct hash_sink *h = xcalloc(1, sizeof(*h));

	h->base.ops = &hash_ops;
	h->base.next = next;
	sha256_init(&h->h);
	return &h->base;
}

void layer_sink_hash_result(struct layer_sink *s, unsigned char hash[SHA256_LEN],
			    uint64_t *size)
{
	struct hash_sink *h = (struct hash_sink *)s;

	memcpy(hash, h->hash, SHA256_LEN);
	*size = h->size;
}
