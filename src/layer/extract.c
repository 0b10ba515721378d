/* extract.c: one layer onto a root directory: each entry's parent is opened
 * inside the root, its last name is never followed, and what stood there is
 * replaced as OCI's layer.md says. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "layer/extract-int.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

#define COPY_BUF (64 * 1024)

/* Splits a cleaned relative path into its directory ("." at the top) and
 * last name; returns the directory, caller frees. */
static char *split(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*name = path;
		return xstrdup(".");
	}
	*name = slash + 1;
	return xstrndup(path, (size_t)(slash - path));
}

/* The entry's directory, created (0755) when the layer left it implicit. */
/* meta_keep_times for each directory above dirpath, as far as they
 * exist (made: those the mkdir -p of dirpath has just made) */
static void keep_prefixes(struct extract *x, const char *dirpath, bool made)
{
	cleanup_free char *p = xstrdup(dirpath);

	for (char *s = p; (s = strchr(s, '/')); s++) {
		struct kerr e = KERR_INIT;
		int fd;

		*s = 0;
		fd = path_open_in_root(x->rootfd, p, O_PATH | O_DIRECTORY, 0, &e);
		*s = '/';
		kerr_clear(&e);
		if (fd < 0)
			return;
		*s = 0;
		meta_keep_times(x, fd, p, made);
		*s = '/';
		close(fd);
	}
}

static int open_parent(struct extract *x, const char *dirpath, struct kerr *err)
{
	struct kerr e2 = KERR_INIT;
	bool made = false;
	int fd;

	fd = path_open_in_root(x->rootfd, dirpath, O_PATH | O_DIRECTORY, 0, &e2);
	if (fd < 0 && e2.errnum == ENOENT) {
		kerr_clear(&e2);
		made = true;
		keep_prefixes(x, dirpath, false);
		fd = path_mkdirs_in_root(x->rootfd, dirpath, 0755, &e2);
		if (fd >= 0)
			keep_prefixes(x, dirpath, true);
	}
	if (fd < 0) {
		kerr_errno(err, e2.errnum, "cannot open directory '%s'", dirpath);
		kerr_clear(&e2);
		return -1;
	}
	kerr_clear(&e2);
	if (strcmp(dirpath, "."))
		meta_keep_times(x, fd, dirpath, made);
	if (meta_open_up(x, fd, dirpath, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Clears the way for e at parentfd/name. Returns 1 when an existing
 * directory stays (a directory entry over a directory merges), else 0. */
static int make_room(int parentfd, const char *name, const struct tar_entry *e,
		     struct kerr *err)
{
	struct stat st;

	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return kerr_errno(err, errno, "cannot stat '%s'", e->path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (e->type == TAR_DIR)
			return 1;
		return wh_remove_tree(parentfd, name, err);
	}
	if (unlinkat(parentfd, name, 0) < 0)
		return kerr_errno(err, errno, "cannot replace '%s'", e->path);
	return 0;
}

static int put_file(struct extract *x, int parentfd, const char *name,
		    const struct tar_entry *e, struct kerr *err)
{
	cleanup_close int fd = openat(parentfd, name,
				      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return kerr_errno(err, errno, "cannot create '%s'", e->path);
	while ((n = tar_reader_read(x->tr, x->buf, COPY_BUF, err)) > 0) {
		if (write_all(fd, x->buf, (size_t)n) < 0)
			return kerr_errno(err, errno, "cannot write '%s'", e->path);
		x->stats->bytes += (unsigned long long)n;
	}
	if (n < 0)
		return -1;
	x->stats->files++;
	return meta_file(x, fd, e, err);
}

static int put_dir(struct extract *x, int parentfd, const char *name, int exists,
		   const struct tar_entry *e, struct kerr *err)
{
	/* owner-writable until meta_finish, so the contents can go in */
	if (!exists && mkdirat(parentfd, name, (e->mode & 0777) | 0700) < 0)
		return kerr_errno(err, errno, "cannot create directory '%s'", e->path);
	x->stats->dirs++;
	return meta_dir(x, parentfd, name, e, err);
}

/* Every directory on the way to a hardlink's target must be a real one: a
 * symlink there could only have come from an archive playing tricks. */
static int open_link_dir(struct extract *x, const char *dirpath, struct kerr *err)
{
	cleanup_free char *copy = xstrdup(dirpath);
	char *save = NULL;
	int fd = openat(x->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open the root");
	if (!strcmp(dirpath, "."))
		return fd;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		if (next < 0)
			return kerr_errno(err, errno == ELOOP ? ENOTDIR : errno,
					  "hardlink target directory '%s'", dirpath);
		fd = next;
	}
	return fd;
}

static int put_hardlink(struct extract *x, int parentfd, const char *name,
			const struct tar_entry *e, struct kerr *err)
{
	const char *tname;
	cleanup_free char *tdir = split(e->linkname, &tname);
	cleanup_close int tfd = -1;
	struct stat st;

	if (!strcmp(e->linkname, e->path) || !strcmp(e->linkname, "."))
		return kerr_input(err, "'%s': hardlink to itself or the root", e->path);
	tfd = open_link_dir(x, tdir, err);
	if (tfd < 0)
		return kerr_wrap(err, "'%s'", e->path);
	if (fstatat(tfd, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "'%s': hardlink target '%s'", e->path,
				  e->linkname);
	if (S_ISDIR(st.st_mode))
		return kerr_input(err, "'%s': hardlink target '%s' is a directory", e->path,
				  e->linkname);
	if (make_room(parentfd, name, e, err) < 0)
		return -1;
	/* flags 0: a symlink target is linked as itself, never followed */
	if (linkat(tfd, tname, parentfd, name, 0) < 0)
		return kerr_errno(err, errno, "cannot link '%s' to '%s'", e->path, e->linkname);
	x->stats->hardlinks++;
	/* another name of a file whose owner was refused: the same owner */
	if (x->refused && pathset_has(x->refused, e->linkname)) {
		layer_owners_link(x->opts->owners, e->path, e->linkname);
		pathset_add(x->refused, e->path);
	}
	return 0;
}

static int put_special(struct extract *x, int parentfd, const char *name,
		       const struct tar_entry *e, struct kerr *err)
{
	mode_t kind = e->type == TAR_CHR ? S_IFCHR : e->type == TAR_BLK ? S_IFBLK : S_IFIFO;
	dev_t dev = kind == S_IFIFO ? 0 : makedev(e->devmajor, e->devminor);

	if (mknodat(parentfd, name, kind | (e->mode & 0777), dev) < 0) {
		if (errno != EPERM || kind == S_IFIFO)
			return kerr_errno(err, errno, "cannot create '%s'", e->path);
		/* no CAP_MKNOD (a user namespace): the image still works
		 * for most uses without its device nodes */
		if (!x->warned_dev++)
			log_warn("device nodes cannot be created here; skipping '%s' and any others in this layer",
				 e->path);
		x->stats->skipped++;
		return 0;
	}
	x->stats->specials++;
	return meta_at(x, parentfd, name, e, err);
}

static int put_entry(struct extract *x, const struct tar_entry *e, struct kerr *err)
{
	const char *name;
	cleanup_free char *dirpath = split(e->path, &name);
	cleanup_close int pfd = -1;
	int exists;

	if (!strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX))) {
		int r = wh_check(e, name, err);

		if (r <= 0)
			return r;
		/* a merge whiteout in a directory that is not there has
		 * nothing to hide, and must not make the directory */
		if (x->opts->mode == LAYER_MERGE) {
			struct kerr e2 = KERR_INIT;

			pfd = path_open_in_root(x->rootfd, dirpath, O_PATH | O_DIRECTORY, 0, &e2);
			if (pfd < 0 && (e2.errnum == ENOENT || e2.errnum == ENOTDIR)) {
				kerr_clear(&e2);
				x->stats->whiteouts++;
				return 0;
			}
			kerr_clear(&e2);
			if (pfd >= 0)
				close(pfd);
		}
		pfd = open_parent(x, dirpath, err);
		if (pfd < 0)
			return kerr_wrap(err, "'%s'", e->path);
		return wh_apply(x, e, pfd, dirpath, name, err);
	}
	pfd = open_parent(x, dirpath, err);
	if (pfd < 0)
		return kerr_wrap(err, "'%s'", e->path);
	x->again = pathset_has(x->made, e->path);
	pathset_add(x->made, e->path);
	/* an owner refused at this path goes with what stood there */
	if (x->refused && pathset_has(x->refused, e->path))
		layer_owners_replaced(x->opts->owners, e->path);
	if (e->type == TAR_LINK)
		return put_hardlink(x, pfd, name, e, err);
	exists = make_room(pfd, name, e, err);
	if (exists < 0)
		return -1;
	switch (e->type) {
	case TAR_REG:
		return put_file(x, pfd, name, e, err);
	case TAR_DIR:
		return put_dir(x, pfd, name, exists, e, err);
	case TAR_SYMLINK:
		if (symlinkat(e->linkname, pfd, name) < 0)
			return kerr_errno(err, errno, "cannot create symlink '%s'", e->path);
		x->stats->symlinks++;
		return meta_at(x, pfd, name, e, err);
	default:
		return put_special(x, pfd, name, e, err);
	}
}

int layer_extract(int rootfd, struct layer_input *in, const struct layer_extract_opts *opts,
		  struct layer_extract_stats *stats, struct kerr *err)
{
	struct layer_extract_opts def = LAYER_EXTRACT_OPTS_INIT;
	struct layer_extract_stats dummy;
	struct tar_entry e = TAR_ENTRY_INIT;
	struct extract x = { 0 };
	int r;

	x.rootfd = rootfd;
	x.opts = opts ? opts : &def;
	x.stats = stats ? stats : &dummy;
	memset(x.stats, 0, sizeof(*x.stats));
	x.tr = tar_reader_new(layer_input_source, in, &x.opts->limits);
	x.made = pathset_new();
	x.timed = pathset_new();
	if (x.opts->owners)
		x.refused = pathset_new();
	x.euid = geteuid();
	x.egid = getegid();
	x.buf = xmalloc(COPY_BUF);

	if (meta_open_up(&x, rootfd, ".", err) < 0)
		r = -1;
	else
		while ((r = tar_reader_next(x.tr, &e, err)) > 0) {
			x.stats->entries++;
			/* the root itself belongs to whoever unpacks */
			if (x.opts->stop && x.opts->stop()) {
				/* said as every other stop is, without strerror */
				r = kerr_set(err, "interrupted");
				err->errnum = EINTR;
				break;
			}
			if (!strcmp(e.path, "."))
				continue;
			if (x.opts->force_owner) {
				e.uid = x.opts->force_uid;
				e.gid = x.opts->force_gid;
			}
			if (put_entry(&x, &e, err) < 0) {
				r = -1;
				break;
			}
		}
	tar_entry_clear(&e);
	/* modes kiln widened come back even when the layer failed */
	if (meta_finish(&x, r < 0 ? NULL : err) < 0)
		r = -1;
	if (r == 0 && layer_input_finish(in, err) < 0)
		r = -1;
	if (r == 0 && x.opts->owners)
		layer_owners_finish(x.opts->owners);
	meta_release(&x);
	tar_reader_free(x.tr);
	pathset_free(x.made);
	pathset_free(x.timed);
	pathset_free(x.refused);
	free(x.buf);
	return r < 0 ? -1 : 0;
}

int layer_extract_fd(int rootfd, int fd, const struct layer_extract_opts *opts,
		     struct layer_extract_stats *stats, struct kerr *err)
{
	struct layer_extract_opts def = LAYER_EXTRACT_OPTS_INIT;
	struct layer_input *in;
	int r;

	if (!opts)
		opts = &def;
	if (layer_input_open_fd(&in, fd, &opts->verify, err) < 0)
		return -1;
	r = layer_extract(rootfd, in, opts, stats, err);
	layer_input_free(in);
	return r;
}

int layer_extract_new(int parentfd, const char *name, int fd,
		      const struct layer_extract_opts *opts,
		      struct layer_extract_stats *stats, struct kerr *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int rootfd = -1;
	unsigned int rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned int)getpid();
	tmp = xasprintf(".tmp-%s-%08x", name, rnd);
	if (mkdirat(parentfd, tmp, 0755) < 0)
		return kerr_errno(err, errno, "cannot create '%s'", tmp);
	rootfd = openat(parentfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		kerr_errno(err, errno, "cannot open '%s'", tmp);
		goto fail;
	}
	if (layer_extract_fd(rootfd, fd, opts, stats, err) < 0)
		goto fail;
	if (opts && opts->owners && layer_owners_store(opts->owners, parentfd, name, err) < 0)
		goto fail;
	if (renameat(parentfd, tmp, parentfd, name) < 0) {
		kerr_errno(err, errno, "cannot rename '%s' to '%s'", tmp, name);
		goto fail;
	}
	return 0;
fail:
	{
		struct kerr e2 = KERR_INIT;

		if (wh_remove_tree(parentfd, tmp, &e2) < 0)
			log_warn("cannot remove '%s': %s", tmp, e2.msg);
		kerr_clear(&e2);
	}
	return -1;
}
