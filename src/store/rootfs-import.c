/* rootfs-import.c: 'kiln import': a root filesystem tarball checked as a tar,
 * stored gzip'ed as one layer, with a config and an OCI manifest, and named. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/media.h"
#include "layer/input.h"
#include "layer/layer.h"
#include "layer/tar-read.h"
#include "store/internal.h"
#include "store/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* An unlinked file in kiln/ingest: a crash leaves nothing for prune. */
static int scratch_file(struct store *st, struct kerr *err)
{
	int fd = openat(st->ingestfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	for (unsigned n = 0; fd < 0 && n < 100; n++) {
		char name[64];

		snprintf(name, sizeof(name), "import-%ld-%u", (long)getpid(), n);
		fd = openat(st->ingestfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			unlinkat(st->ingestfd, name, 0);
		else if (errno != EEXIST)
			break;
	}
	if (fd < 0)
		return kerr_errno(err, errno, "cannot create a file in '%s/kiln/ingest'", st->root);
	return fd;
}

/* the tar reader's source: tar bytes from the input, copied to the scratch
 * file as they pass, so the layer is exactly the bytes that were checked */
struct tee {
	struct layer_input *in;
	int out;
	const char *root;
};

static ssize_t tee_read(void *ctx, void *buf, size_t len, struct kerr *err)
{
	struct tee *t = ctx;
	ssize_t n = layer_input_read(t->in, buf, len, err);

	if (n > 0 && write_all(t->out, buf, (size_t)n) < 0)
		return kerr_errno(err, errno, "cannot write in '%s/kiln/ingest'", t->root);
	return n;
}

/* Copies the plain tar of fd (maybe gzip'ed) to a scratch file, reading it
 * entry by entry: a corrupt or truncated archive is an input error here. */
static int plain_tar(struct store *st, int fd, struct kerr *err)
{
	struct layer_input_opts io = LAYER_INPUT_OPTS_INIT;
	struct tee t = { NULL, -1, st->root };
	struct tar_reader *tr = NULL;
	struct tar_entry e = TAR_ENTRY_INIT;
	char buf[65536];
	int r;

	t.out = scratch_file(st, err);
	if (t.out < 0)
		return -1;
	r = layer_input_open_fd(&t.in, fd, &io, err);
	if (r >= 0) {
		tr = tar_reader_new(tee_read, &t, NULL);
		while ((r = tar_reader_next(tr, &e, err)) > 0)
			tar_entry_clear(&e);
		tar_entry_clear(&e);
		if (r == 0 && tar_reader_count(tr) == 0)
			r = kerr_input(err, "not a tar archive, or an empty one");
	}
	/* the end-of-archive blocks and padding belong to the layer too */
	while (r >= 0 && (r = (int)tee_read(&t, buf, sizeof(buf), err)) > 0)
		;
	if (r >= 0)
		r = layer_input_finish(t.in, err);
	if (tr)
		tar_reader_free(tr);
	if (t.in)
		layer_input_free(t.in);
	if (r >= 0 && lseek(t.out, 0, SEEK_SET) < 0)
		r = kerr_errno(err, errno, "cannot read back in '%s/kiln/ingest'", st->root);
	if (r < 0) {
		close(t.out);
		return -1;
	}
	return t.out;
}

/* the compressed layer, stored; fills the descriptor's digest and size */
static int store_layer(struct store *st, int tarfd, char digest[DIGEST_STR_LEN],
		       char diff_id[DIGEST_STR_LEN], int64_t *size, struct kerr *err)
{
	cleanup_close int gz = scratch_file(st, err);
	struct layer_result res;

	if (gz < 0)
		return -1;
	if (layer_compress_stream(tarfd, gz, LAYER_LEVEL_DEFAULT, 0, &res, err) < 0)
		return -1;
	digest_format(res.digest, digest);
	digest_format(res.diff_id, diff_id);
	*size = (int64_t)res.size;
	if (lseek(gz, 0, SEEK_SET) < 0)
		return kerr_errno(err, errno, "cannot read back in '%s/kiln/ingest'", st->root);
	return store_blob_put_fd(st, gz, digest, NULL, err);
}

/* SOURCE_DATE_EPOCH when set, for images that do not change with the clock */
static int created_time(char out[IMG_TIME_LEN], struct kerr *err)
{
	struct layer_opts lo = LAYER_OPTS_INIT;
	struct timespec ts;

	if (layer_opts_from_env(&lo, err) < 0)
		return -1;
	if (lo.mtime_policy == LAYER_MTIME_CLAMP) {
		img_time_format(lo.timestamp, 0, out);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	img_time_format(ts.tv_sec, ts.tv_nsec, out);
	return 0;
}

static int put_json(struct store *st, char *json, char digest[DIGEST_STR_LEN], int64_t *size,
		    struct kerr *err)
{
	int r = store_blob_put(st, json, strlen(json), NULL, digest, err);

	*size = (int64_t)strlen(json);
	free(json);
	return r;
}

int store_rootfs_import(struct store *st, int fd, const struct store_import_opts *o,
			char id[DIGEST_STR_LEN], struct kerr *err)
{
	struct img_config *c = o->config;
	char created[IMG_TIME_LEN], layer[DIGEST_STR_LEN], diff_id[DIGEST_STR_LEN];
	char man_digest[DIGEST_STR_LEN];
	struct oci_descriptor d = OCI_DESCRIPTOR_INIT;
	struct oci_manifest m;
	cleanup_close int tarfd = -1;
	int64_t layer_size, cfg_size, man_size;
	char *what;
	int r;

	if (created_time(created, err) < 0 || store_hold(st, err) < 0)
		return -1;
	tarfd = plain_tar(st, fd, err);
	if (tarfd < 0)
		return kerr_wrap(err, "'%s'", o->source);
	if (store_layer(st, tarfd, layer, diff_id, &layer_size, err) < 0)
		return -1;

	free(c->created);
	c->created = xstrdup(created);
	free(c->architecture);
	c->architecture = xstrdup(o->platform->architecture);
	free(c->os);
	c->os = xstrdup(o->platform->os);
	free(c->variant);
	c->variant = o->platform->variant ? xstrdup(o->platform->variant) : NULL;
	strvec_push(&c->diff_ids, diff_id);
	what = xasprintf("imported from %s", o->source);
	img_history_add(c, created, NULL, what, false);
	free(what);
	if (put_json(st, img_config_json(c), id, &cfg_size, err) < 0)
		return -1;

	oci_manifest_init(&m);
	oci_descriptor_set(&m.config, MT_OCI_CONFIG, id, cfg_size);
	oci_manifest_add_layer(&m, MT_OCI_LAYER_GZIP, layer, layer_size);
	r = put_json(st, oci_manifest_json(&m), man_digest, &man_size, err);
	oci_manifest_clear(&m);
	if (r < 0)
		return -1;
	oci_descriptor_set(&d, MT_OCI_MANIFEST, man_digest, man_size);
	r = store_tag(st, &d, o->name, err);
	oci_descriptor_clear(&d);
	return r;
}
