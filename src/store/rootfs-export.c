/* rootfs-export.c: an image's flattened tree as one tar. Unpacked by a user
 * who is not root, files belong to that user and lose setuid bits; the tar
 * must still say what the image says, so the owners and modes the layers
 * give each path are read from the layers and put back into the stream. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layer/input.h"
#include "layer/layer.h"
#include "layer/tar-read.h"
#include "layer/tar-write.h"
#include "store/internal.h"
#include "store/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* path -> what the last layer that wrote it says: open addressing, FNV-1a */
struct owner {
	char *path;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	char type;
};

struct owners {
	struct owner *slot;
	size_t n, cap;		/* cap: a power of two, kept at most half full */
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static struct owner *owners_find(const struct owners *o, const char *path)
{
	if (!o->cap)
		return NULL;
	for (size_t i = hash(path) & (o->cap - 1);; i = (i + 1) & (o->cap - 1)) {
		if (!o->slot[i].path)
			return NULL;
		if (!strcmp(o->slot[i].path, path))
			return &o->slot[i];
	}
}

static struct owner *owners_slot(struct owners *o, const char *path)
{
	size_t i;

	if (2 * (o->n + 1) > o->cap) {
		struct owners bigger = { xcalloc(o->cap ? 2 * o->cap : 1024, sizeof(struct owner)),
					 o->n, o->cap ? 2 * o->cap : 1024 };

		for (size_t k = 0; k < o->cap; k++) {
			if (!o->slot[k].path)
				continue;
			for (i = hash(o->slot[k].path) & (bigger.cap - 1); bigger.slot[i].path;
			     i = (i + 1) & (bigger.cap - 1))
				;
			bigger.slot[i] = o->slot[k];
		}
		free(o->slot);
		*o = bigger;
	}
	for (i = hash(path) & (o->cap - 1); o->slot[i].path; i = (i + 1) & (o->cap - 1))
		if (!strcmp(o->slot[i].path, path))
			return &o->slot[i];
	o->slot[i].path = xstrdup(path);
	o->n++;
	return &o->slot[i];
}

static void owners_clear(struct owners *o)
{
	for (size_t i = 0; i < o->cap; i++)
		free(o->slot[i].path);
	free(o->slot);
	memset(o, 0, sizeof(*o));
}

/* Every layer's headers in order, the last word on a path winning. A path a
 * later layer deleted is not on disk either, so it is never looked up. */
static int read_owners(struct store *st, const struct store_image *img, struct owners *o,
		       struct kerr *err)
{
	for (size_t i = 0; i < img->manifest.nlayers; i++) {
		const char *digest = img->manifest.layers[i].digest;
		struct layer_input_opts io = { digest, img->config.diff_ids.v[i] };
		cleanup_close int fd = store_blob_open(st, digest, err);
		struct layer_input *in = NULL;
		struct tar_reader *tr;
		struct tar_entry e = TAR_ENTRY_INIT;
		int r;

		if (fd < 0 || layer_input_open_fd(&in, fd, &io, err) < 0)
			return -1;
		tr = tar_reader_new(layer_input_source, in, NULL);
		while ((r = tar_reader_next(tr, &e, err)) > 0) {
			const char *base = strrchr(e.path, '/');
			struct owner *w;

			base = base ? base + 1 : e.path;
			if (!strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
				continue;
			w = owners_slot(o, e.path);
			w->uid = e.uid;
			w->gid = e.gid;
			w->mode = e.mode;
			w->type = e.type;
		}
		tar_entry_clear(&e);
		tar_reader_free(tr);
		if (r == 0)
			r = layer_input_finish(in, err);
		layer_input_free(in);
		if (r < 0)
			return kerr_wrap(err, "layer '%s'", digest);
	}
	return 0;
}

static ssize_t fd_source(void *ctx, void *buf, size_t len, struct kerr *err)
{
	ssize_t n;

	while ((n = read(*(int *)ctx, buf, len)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return kerr_errno(err, errno, "cannot read the exported tree");
	return n;
}

/* the tree writer's tar from in, each entry given the image's owner (root
 * for directories no layer named) and mode, to out */
static int restore(int in, int out, const struct owners *o, struct kerr *err)
{
	struct layer_opts lo = LAYER_OPTS_INIT;
	struct layer_sink *sink = layer_sink_fd(out);
	struct tar_reader *tr = tar_reader_new(fd_source, &in, NULL);
	struct tar_entry e = TAR_ENTRY_INIT;
	struct tar_writer w;
	char buf[65536];
	int r;

	tar_writer_init(&w, sink, &lo);
	while ((r = tar_reader_next(tr, &e, err)) > 0) {
		const struct owner *x = owners_find(o, e.path);
		ssize_t n = 0;
		int wr = 0;

		e.uid = x ? x->uid : 0;
		e.gid = x ? x->gid : 0;
		/* the bits an unprivileged unpack drops; a hardlink's are its
		 * target's, which the writer does not repeat */
		if (x && x->type == e.type && e.type != TAR_SYMLINK)
			e.mode = x->mode;
		if (tar_write_header(&w, &e, err) < 0) {
			r = -1;
			break;
		}
		while (e.type == TAR_REG && wr >= 0 &&
		       (n = tar_reader_read(tr, buf, sizeof(buf), err)) > 0)
			wr = tar_write_data(&w, buf, (size_t)n, err);
		if (n < 0 || wr < 0) {
			r = -1;
			break;
		}
	}
	if (r == 0)
		r = tar_write_end(&w, err);
	if (r == 0)
		r = layer_sink_finish(sink, err);
	tar_entry_clear(&e);
	tar_reader_free(tr);
	tar_writer_release(&w);
	layer_sink_free(sink);
	return r;
}

/* layer_write_tree in a child, so its tar streams through a pipe and is
 * never whole on disk or in memory; the child's error comes back on a
 * second pipe */
static int write_restored(int rootfd, int out, const struct owners *o, struct kerr *err)
{
	struct layer_opts lo = LAYER_OPTS_INIT;
	int data[2], msg[2];
	cleanup_pid pid_t pid = -1;
	struct strbuf why = STRBUF_INIT;
	struct kerr ignored = KERR_INIT;
	int r, status;

	if (pipe2(data, O_CLOEXEC) < 0)
		return kerr_errno(err, errno, "cannot make a pipe");
	if (pipe2(msg, O_CLOEXEC) < 0) {
		close(data[0]);
		close(data[1]);
		return kerr_errno(err, errno, "cannot make a pipe");
	}
	lo.level = 0;
	lo.threads = 1;
	pid = fork();
	if (pid == 0) {
		struct kerr cerr = KERR_INIT;
		struct layer_result res;

		close(data[0]);
		close(msg[0]);
		if (layer_write_tree(rootfd, data[1], &lo, &res, &cerr) < 0) {
			write_all(msg[1], cerr.msg, strlen(cerr.msg));
			_exit(1);
		}
		_exit(0);
	}
	close(data[1]);
	close(msg[1]);
	if (pid < 0) {
		close(data[0]);
		close(msg[0]);
		return kerr_errno(err, errno, "cannot fork");
	}
	r = restore(data[0], out, o, err);
	close(data[0]);
	strbuf_read_fd(&why, msg[0], 4096, &ignored);
	kerr_clear(&ignored);
	close(msg[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	/* a stream that ends short (an input error of the reader) is better
	 * explained by the child's own error; the parent's write errors stand */
	if (why.len && (r >= 0 || err->kind == KERR_INPUT))
		r = kerr_set(err, "%s", why.buf);
	else if (r >= 0 && !(WIFEXITED(status) && !WEXITSTATUS(status)))
		r = kerr_set(err, "the tree writer failed");
	strbuf_release(&why);
	return r;
}

int store_rootfs_export(struct store *st, const struct store_image *img, int rootfd,
			int out, struct kerr *err)
{
	struct owners o = { NULL, 0, 0 };
	struct layer_opts lo = LAYER_OPTS_INIT;
	struct layer_result res;
	int r;

	if (geteuid() == 0) {
		/* the unpack gave every file its owner */
		lo.level = 0;
		lo.threads = 1;
		return layer_write_tree(rootfd, out, &lo, &res, err);
	}
	r = read_owners(st, img, &o, err);
	if (r >= 0)
		r = write_restored(rootfd, out, &o, err);
	owners_clear(&o);
	return r;
}
