/* blob.c: content-addressed blobs. A blob is written to kiln/ingest/,
 * hashed as it goes, checked, fsynced and renamed to blobs/sha256/<hex>, so
 * a blob file is always complete and no lock is needed to write one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int store_blob_begin(struct store *st, struct store_blob *b, struct kerr *err)
{
	*b = (struct store_blob)STORE_BLOB_INIT;
	if (store_hold(st, err) < 0)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		unsigned long long r;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned long long)getpid() * 2654435761u + (unsigned)tries;
		b->tmpname = xasprintf("blob-%016llx", r);
		b->fd = openat(st->ingestfd, b->tmpname, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (b->fd >= 0)
			break;
		free(b->tmpname);
		b->tmpname = NULL;
		if (errno != EEXIST)
			return kerr_errno(err, errno, "cannot create a blob in '%s/kiln/ingest'",
					  st->root);
	}
	if (b->fd < 0)
		return kerr_set(err, "cannot create a blob in '%s/kiln/ingest'", st->root);
	b->st = st;
	sha256_init(&b->h);
	return 0;
}

int store_blob_resume(struct store *st, struct store_blob *b, const char *digest, int64_t max,
		      struct kerr *err)
{
	cleanup_free char *name = NULL;
	cleanup_free char *buf = NULL;
	struct sha256 h;
	int64_t have = 0;
	int fd;

	if (strncmp(digest, "sha256:", 7) || strlen(digest) != 7 + 64)
		return kerr_input(err, "'%s' is not a sha256 digest", digest);
	if (store_hold(st, err) < 0)
		return -1;
	name = xasprintf("partial-%s", digest + 7);
	fd = openat(st->ingestfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot create '%s/kiln/ingest/%s'", st->root, name);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		return e == EWOULDBLOCK ? 1 : kerr_errno(err, e, "cannot lock '%s/kiln/ingest/%s'",
							  st->root, name);
	}
	sha256_init(&h);
	buf = xmalloc(1 << 16);
	for (;;) {
		ssize_t n = pread(fd, buf, 1 << 16, have);

		if (n < 0) {
			close(fd);
			return kerr_errno(err, errno, "cannot read '%s/kiln/ingest/%s'", st->root,
					  name);
		}
		if (!n || have + n > max)
			break;
		sha256_update(&h, buf, (size_t)n);
		have += n;
	}
	/* longer than the blob: nothing of it can be trusted */
	if (lseek(fd, 0, SEEK_END) > max) {
		unsigned char drop[SHA256_LEN];

		sha256_final(&h, drop);
		sha256_init(&h);
		have = 0;
	}
	if (ftruncate(fd, have) < 0 || lseek(fd, have, SEEK_SET) < 0) {
		close(fd);
		return kerr_errno(err, errno, "cannot write '%s/kiln/ingest/%s'", st->root, name);
	}
	*b = (struct store_blob)STORE_BLOB_INIT;
	b->st = st;
	b->fd = fd;
	b->tmpname = steal_ptr(name);
	b->h = h;
	b->size = have;
	return 0;
}

/* closes b, its temp file unlinked or (keep) left for store_blob_resume */
static void release(struct store_blob *b, bool keep)
{
	if (b->fd >= 0) {
		unsigned char h[SHA256_LEN];

		/* releases the hash context */
		sha256_final(&b->h, h);
		close(b->fd);
		b->fd = -1;
	}
	if (b->tmpname && !keep)
		unlinkat(b->st->ingestfd, b->tmpname, 0);
	free(b->tmpname);
	b->tmpname = NULL;
}

void store_blob_keep(struct store_blob *b)
{
	/* only a download's file is ever taken up again */
	release(b, b->tmpname && !strncmp(b->tmpname, "partial-", 8));
}

int store_blob_write(struct store_blob *b, const void *buf, size_t len, struct kerr *err)
{
	if (write_all(b->fd, buf, len) < 0)
		return kerr_errno(err, errno, "cannot write a blob in '%s/kiln/ingest'", b->st->root);
	sha256_update(&b->h, buf, len);
	b->size += (int64_t)len;
	return 0;
}

void store_blob_abort(struct store_blob *b)
{
	release(b, false);
}

int store_blob_check(struct store_blob *b, const char *expected, char out[DIGEST_STR_LEN],
		     struct kerr *err)
{
	unsigned char h[SHA256_LEN];
	char got[DIGEST_STR_LEN];
	int fd = b->fd;

	b->fd = -1;
	sha256_final(&b->h, h);
	digest_format(h, got);
	if (expected && strcmp(expected, got)) {
		close(fd);
		store_blob_abort(b);
		return kerr_input(err, "digest mismatch: expected '%s', got '%s'", expected, got);
	}
	if (out)
		memcpy(out, got, DIGEST_STR_LEN);
	memcpy(b->digest, got, DIGEST_STR_LEN);
	if (fsync(fd) < 0) {
		kerr_errno(err, errno, "cannot write blob '%s'", got);
		close(fd);
		store_blob_abort(b);
		return -1;
	}
	close(fd);
	return 0;
}

int store_blob_checked_fd(const struct store_blob *b, struct kerr *err)
{
	int fd = openat(b->st->ingestfd, b->tmpname, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot read blob '%s' in '%s/kiln/ingest'", b->digest,
				  b->st->root);
	return fd;
}

int store_blob_publish(struct store_blob *b, struct kerr *err)
{
	struct stat sb;

	if (!fstatat(b->st->blobsfd, b->digest + 7, &sb, 0)) {
		/* already there: content addressing makes it the same bytes */
		store_blob_abort(b);
		return 0;
	}
	if (renameat(b->st->ingestfd, b->tmpname, b->st->blobsfd, b->digest + 7) < 0) {
		kerr_errno(err, errno, "cannot store blob '%s'", b->digest);
		store_blob_abort(b);
		return -1;
	}
	free(b->tmpname);
	b->tmpname = NULL;
	if (fsync(b->st->blobsfd) < 0)
		return kerr_errno(err, errno, "cannot store blob '%s'", b->digest);
	return 0;
}

int store_blob_commit(struct store_blob *b, const char *expected, char out[DIGEST_STR_LEN],
		      struct kerr *err)
{
	if (store_blob_check(b, expected, out, err) < 0)
		return -1;
	return store_blob_publish(b, err);
}

int store_blob_put(struct store *st, const void *buf, size_t len, const char *expected,
		   char out[DIGEST_STR_LEN], struct kerr *err)
{
	struct store_blob b;

	if (store_blob_begin(st, &b, err) < 0)
		return -1;
	if (store_blob_write(&b, buf, len, err) < 0) {
		store_blob_abort(&b);
		return -1;
	}
	return store_blob_commit(&b, expected, out, err);
}

int store_blob_put_fd(struct store *st, int fd, const char *expected,
		      char out[DIGEST_STR_LEN], struct kerr *err)
{
	struct store_blob b;
	char buf[65536];

	if (store_blob_begin(st, &b, err) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kerr_errno(err, errno, "cannot read blob data");
			store_blob_abort(&b);
			return -1;
		}
		if (!n)
			break;
		if (store_blob_write(&b, buf, (size_t)n, err) < 0) {
			store_blob_abort(&b);
			return -1;
		}
	}
	return store_blob_commit(&b, expected, out, err);
}

int store_blob_open(struct store *st, const char *digest, struct kerr *err)
{
	const char *hex = store_digest_hex(digest, err);
	int fd;

	if (!hex)
		return -1;
	fd = openat(st->blobsfd, hex, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kerr_set(err, "blob '%s' is missing from '%s'", digest, st->root);
		return kerr_errno(err, errno, "cannot open blob '%s'", digest);
	}
	return fd;
}

int store_blob_read(struct store *st, const char *digest, size_t limit, struct strbuf *out,
		    struct kerr *err)
{
	cleanup_close int fd = store_blob_open(st, digest, err);
	unsigned char h[SHA256_LEN];
	char got[DIGEST_STR_LEN];

	if (fd < 0)
		return -1;
	strbuf_reset(out);
	if (strbuf_read_fd(out, fd, limit, err) < 0)
		return kerr_wrap(err, "blob '%s'", digest);
	sha256_buf(out->buf, out->len, h);
	digest_format(h, got);
	if (strcmp(got, digest))
		return kerr_set(err, "blob '%s' is corrupt (its content hashes to '%s')", digest, got);
	return 0;
}

bool store_blob_exists(struct store *st, const char *digest)
{
	struct kerr err = KERR_INIT;
	const char *hex = store_digest_hex(digest, &err);
	struct stat sb;

	kerr_clear(&err);
	return hex && !fstatat(st->blobsfd, hex, &sb, 0);
}
