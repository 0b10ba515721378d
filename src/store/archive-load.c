/* archive-load.c: 'kiln load': stages every blob of an archive in
 * kiln/ingest, has the format code check them, then commits and names. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/media.h"
#include "image/ref.h"
#include "layer/input.h"
#include "layer/tar-read.h"
#include "store/archive-int.h"
#include "store/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* the digest of what was written so far, without ending the blob */
static void staged_digest(struct staged *s)
{
	unsigned char h[SHA256_LEN];
	struct sha256 c;

	mbedtls_sha256_init(&c.ctx);
	mbedtls_sha256_clone(&c.ctx, &s->b.h.ctx);
	sha256_final(&c, h);
	digest_format(h, s->digest);
}

/* fd until it is closed here: thousands of blobs must not need thousands
 * of fds, so each is reopened by name to be read or committed */
static struct staged *stage(struct archive_load *l, const char *path, ssize_t (*rd)(void *, void *, size_t, struct kerr *),
			    void *ctx, struct kerr *err)
{
	struct staged *s;
	char buf[65536];
	ssize_t n;

	l->s = xgrow(l->s, sizeof(*l->s), l->ns + 1, &l->ns_alloc);
	s = &l->s[l->ns];
	*s = (struct staged){ .path = NULL, .b = STORE_BLOB_INIT };
	if (store_blob_begin(l->st, &s->b, err) < 0)
		return NULL;
	l->ns++;
	s->path = xstrdup(path);
	while ((n = rd(ctx, buf, sizeof(buf), err)) > 0)
		if (store_blob_write(&s->b, buf, (size_t)n, err) < 0)
			return NULL;
	if (n < 0)
		return NULL;
	staged_digest(s);
	close(s->b.fd);
	s->b.fd = -1;
	/* a file named by its digest is checked now, whatever refers to it */
	if (!strncmp(path, "blobs/sha256/", 13) && strcmp(path + 13, s->digest + 7))
		return kerr_input(err, "'%s': wrong digest (the content hashes to '%s')", path,
				  s->digest), NULL;
	return s;
}

static ssize_t tar_src(void *r, void *buf, size_t len, struct kerr *err)
{
	return tar_reader_read(r, buf, len, err);
}

static ssize_t fd_src(void *fd, void *buf, size_t len, struct kerr *err)
{
	ssize_t n;

	while ((n = read(*(int *)fd, buf, len)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return kerr_errno(err, errno, "cannot read the archive");
	return n;
}

struct staged *archive_by_path(struct archive_load *l, const char *path, struct kerr *err)
{
	for (size_t i = 0; i < l->ns; i++)
		if (!strcmp(l->s[i].path, path))
			return &l->s[i];
	return kerr_input(err, "'%s' is missing from the archive", path), NULL;
}

struct staged *archive_by_digest(struct archive_load *l, const char *digest, struct kerr *err)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	const char *hex = store_digest_hex(digest, err);

	if (!hex)
		return NULL;
	path = xasprintf("blobs/sha256/%s", hex);
	if (l->dirfd < 0)
		return archive_by_path(l, path, err);
	for (size_t i = 0; i < l->ns; i++)
		if (!strcmp(l->s[i].path, path))
			return &l->s[i];
	fd = openat(l->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return kerr_input(err, "blob '%s' is missing from the layout", digest), NULL;
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", path), NULL;
	return stage(l, path, fd_src, &fd, err);
}

int archive_open(struct archive_load *l, struct staged *s, struct kerr *err)
{
	int fd = openat(l->st->ingestfd, s->b.tmpname, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s/kiln/ingest/%s'", l->st->root,
				  s->b.tmpname);
	return fd;
}

int archive_read(struct archive_load *l, struct staged *s, size_t limit, struct strbuf *out,
		 struct kerr *err)
{
	cleanup_close int fd = archive_open(l, s, err);

	if (fd < 0)
		return -1;
	strbuf_reset(out);
	if (strbuf_read_fd(out, fd, limit, err) < 0)
		return kerr_wrap(err, "'%s'", s->path);
	return 0;
}

struct loaded_image *archive_add_image(struct archive_load *l)
{
	struct loaded_image *im;

	l->imgs = xgrow(l->imgs, sizeof(*l->imgs), l->nimgs + 1, &l->imgs_alloc);
	im = &l->imgs[l->nimgs++];
	*im = (struct loaded_image){ .desc = OCI_DESCRIPTOR_INIT, .manifest = STRBUF_INIT,
				     .tags = STRVEC_INIT };
	return im;
}

/* the few JSON files are kept in memory, layer metadata of old docker
 * archives (<id>/json, <id>/VERSION) is skipped, the rest is staged */
static int read_entry(struct archive_load *l, struct tar_reader *r, const struct tar_entry *e,
		      struct kerr *err)
{
	const char *base = strrchr(e->path, '/');
	struct strbuf *keep = NULL;
	char buf[65536];
	ssize_t n;

	if (!strcmp(e->path, "manifest.json")) {
		keep = &l->manifest_json;
		l->has_manifest_json = true;
	} else if (!strcmp(e->path, "index.json")) {
		keep = &l->index_json;
		l->has_index_json = true;
	} else if (!strcmp(e->path, MT_OCI_LAYOUT_FILE)) {
		l->has_layout = true;
		return 0;
	} else if (!strcmp(e->path, "repositories") ||
		   (base && strncmp(e->path, "blobs/", 6) &&
		    (!strcmp(base, "/json") || !strcmp(base, "/VERSION")))) {
		return 0;
	}
	if (!keep)
		return stage(l, e->path, tar_src, r, err) ? 0 : -1;
	if (e->size > STORE_INDEX_LIMIT)
		return kerr_input(err, "'%s' is too large", e->path);
	while ((n = tar_reader_read(r, buf, sizeof(buf), err)) > 0)
		strbuf_add(keep, buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

static int read_tar(struct archive_load *l, int fd, struct kerr *err)
{
	struct layer_input *in = NULL;
	struct tar_reader *r;
	struct tar_entry e = TAR_ENTRY_INIT;
	int got;

	/* a gzip'ed archive (docker save | gzip) reads as well */
	if (layer_input_open_fd(&in, fd, NULL, err) < 0)
		return -1;
	r = tar_reader_new(layer_input_source, in, NULL);
	while ((got = tar_reader_next(r, &e, err)) > 0) {
		if (e.type == TAR_REG && read_entry(l, r, &e, err) < 0) {
			got = -1;
			break;
		}
	}
	tar_entry_clear(&e);
	if (got == 0 && !tar_reader_count(r))
		got = kerr_input(err, "not an archive (no tar entries)");
	if (got < 0 && err->kind == KERR_INPUT && !l->ns && !l->has_manifest_json &&
	    !l->has_index_json)
		kerr_wrap(err, "not an archive");
	tar_reader_free(r);
	layer_input_free(in);
	return got;
}

static int read_dir(struct archive_load *l, struct kerr *err)
{
	if (read_file_at(l->dirfd, "index.json", &l->index_json, STORE_INDEX_LIMIT, err) < 0) {
		err->kind = KERR_INPUT;
		return kerr_wrap(err, "not an OCI layout");
	}
	l->has_index_json = true;
	l->has_layout = !faccessat(l->dirfd, MT_OCI_LAYOUT_FILE, F_OK, 0);
	return 0;
}

/* docker's familiar form: "sk/app:3" for docker.io/sk/app:3 */
static void loaded_name(struct strvec *loaded, const char *name)
{
	struct kerr err = KERR_INIT;
	struct img_ref r;
	char *s;

	if (img_ref_parse(name, &r, &err) < 0) {
		kerr_clear(&err);
		strvec_pushf(loaded, "Loaded image: %s", name);
		return;
	}
	img_ref_default_tag(&r);
	s = img_ref_familiar(&r);
	strvec_pushf(loaded, "Loaded image: %s", s);
	free(s);
	img_ref_clear(&r);
}

/* every check passed: blobs into place, then manifests, then names */
static int commit(struct archive_load *l, struct strvec *loaded, struct kerr *err)
{
	for (size_t i = 0; i < l->ns; i++) {
		struct staged *s = &l->s[i];

		if (!s->used)
			continue;
		s->b.fd = openat(l->st->ingestfd, s->b.tmpname, O_RDWR | O_CLOEXEC);
		if (s->b.fd < 0)
			return kerr_errno(err, errno, "cannot reopen '%s'", s->b.tmpname);
		if (store_blob_commit(&s->b, s->digest, NULL, err) < 0)
			return kerr_wrap(err, "'%s'", s->path);
	}
	for (size_t i = 0; i < l->nimgs; i++) {
		struct loaded_image *im = &l->imgs[i];

		if (im->manifest.len && store_blob_put(l->st, im->manifest.buf, im->manifest.len,
						       im->desc.digest, NULL, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->nimgs; i++) {
		struct loaded_image *im = &l->imgs[i];

		if (!im->tags.n) {
			if (store_keep(l->st, &im->desc, err) < 0)
				return -1;
			strvec_pushf(loaded, "Loaded image ID: %s", im->id);
		}
		for (size_t k = 0; k < im->tags.n; k++) {
			if (store_tag(l->st, &im->desc, im->tags.v[k], err) < 0)
				return -1;
			loaded_name(loaded, im->tags.v[k]);
		}
	}
	return 0;
}

static void release(struct archive_load *l)
{
	for (size_t i = 0; i < l->ns; i++) {
		/* committed ones have no temp file left; abort frees the rest */
		store_blob_abort(&l->s[i].b);
		free(l->s[i].path);
	}
	for (size_t i = 0; i < l->nimgs; i++) {
		oci_descriptor_clear(&l->imgs[i].desc);
		strbuf_release(&l->imgs[i].manifest);
		free(l->imgs[i].id);
		strvec_clear(&l->imgs[i].tags);
	}
	free(l->s);
	free(l->imgs);
	strbuf_release(&l->manifest_json);
	strbuf_release(&l->index_json);
}

int store_archive_load(struct store *st, int fd, int dirfd, struct strvec *loaded,
		       struct kerr *err)
{
	struct archive_load l = { .st = st, .dirfd = dirfd, .manifest_json = STRBUF_INIT,
				  .index_json = STRBUF_INIT };
	int r;

	/* prune must leave our ingest files and new blobs alone until named */
	r = store_hold(st, err);
	if (r >= 0)
		r = dirfd >= 0 ? read_dir(&l, err) : read_tar(&l, fd, err);
	if (r >= 0) {
		if (l.has_manifest_json)
			r = archive_read_docker(&l, err);
		else if (l.has_index_json)
			r = archive_read_oci(&l, err);
		else
			r = kerr_input(err, "not a docker-archive or oci-archive "
				       "(no manifest.json or index.json)");
	}
	if (r >= 0 && !l.nimgs)
		r = kerr_input(err, "the archive holds no images");
	if (r >= 0)
		r = commit(&l, loaded, err);
	release(&l);
	return r;
}
