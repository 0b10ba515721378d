/* walk.c: a directory tree into a layer, fd-relative and never following
 * a symlink: sorted entries, hardlinks by (dev, ino), xattrs from disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/layer.h"
#include "layer/walk.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

static size_t link_slot(const struct walk_links *l, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t)dev;
	size_t i = (size_t)(h ^ (h >> 29)) & (l->alloc - 1);

	while (l->v[i].path && (l->v[i].dev != dev || l->v[i].ino != ino))
		i = (i + 1) & (l->alloc - 1);
	return i;
}

/* the first path of (dev, ino), or NULL after remembering path for it */
const char *walk_link_seen(struct walk_links *l, dev_t dev, ino_t ino, const char *path)
{
	size_t i;

	if (2 * (l->n + 1) > l->alloc) {
		struct walk_links bigger = { NULL, l->n, l->alloc ? 2 * l->alloc : 64 };

		bigger.v = xcalloc(bigger.alloc, sizeof(*bigger.v));
		for (size_t j = 0; j < l->alloc; j++)
			if (l->v[j].path)
				bigger.v[link_slot(&bigger, l->v[j].dev, l->v[j].ino)] = l->v[j];
		free(l->v);
		*l = bigger;
	}
	i = link_slot(l, dev, ino);
	if (l->v[i].path)
		return l->v[i].path;
	l->v[i] = (struct walk_link){ dev, ino, xstrdup(path) };
	l->n++;
	return NULL;
}

void walk_links_clear(struct walk_links *l)
{
	for (size_t i = 0; i < l->alloc; i++)
		free(l->v[i].path);
	free(l->v);
}

/*
 * Kept out of layers: trusted.* (overlayfs' own, unreadable unprivileged
 * anyway), user.overlay.* (rootless overlayfs bookkeeping; the diff turns
 * it into whiteouts) and security.selinux (the build host's label, which
 * means nothing where the image runs).
 */
static bool keep_xattr(const char *name)
{
	return strncmp(name, "trusted.", 8) && strncmp(name, "user.overlay.", 13) &&
	       strcmp(name, "security.selinux");
}

static bool no_xattrs_here(int e)
{
	return e == ENOTSUP || e == EOPNOTSUPP || e == ENODATA;
}

/* fd >= 0 reads through the fd; otherwise path (not followed) */
static ssize_t x_list(int fd, const char *path, char *buf, size_t len)
{
	return fd >= 0 ? flistxattr(fd, buf, len) : llistxattr(path, buf, len);
}

static ssize_t x_get(int fd, const char *path, const char *name, void *buf, size_t len)
{
	return fd >= 0 ? fgetxattr(fd, name, buf, len) : lgetxattr(path, name, buf, len);
}

/* the list (name NULL) or a value into sb; sizes change between the two
 * calls when someone is writing: retry */
static ssize_t x_read(struct strbuf *sb, int fd, const char *path, const char *name)
{
	strbuf_reset(sb);
	for (int tries = 0; tries < 8; tries++) {
		ssize_t n = name ? x_get(fd, path, name, NULL, 0) : x_list(fd, path, NULL, 0);

		if (n <= 0)
			return n;
		strbuf_grow(sb, (size_t)n + 1);
		n = name ? x_get(fd, path, name, sb->buf, sb->alloc - 1)
			 : x_list(fd, path, sb->buf, sb->alloc - 1);
		if (n >= 0) {
			strbuf_setlen(sb, (size_t)n);
			return n;
		}
		if (errno != ERANGE)
			return -1;
	}
	errno = ERANGE;
	return -1;
}

/*
 * The user.overlay.* attributes of an upper entry (kiln mounts with
 * userxattr). Opaque is noted; a redirect or a metacopy file means the
 * upper was made with features kiln never turns on, where what a path
 * holds depends on the lowers: such an upper cannot be read alone.
 */
static int overlay_xattr(struct walk *w, int fd, const char *path, const char *x,
			 struct kerr *err)
{
	const char *what = x + 13;
	ssize_t n;

	if (!strcmp(what, "redirect") || !strcmp(what, "metacopy"))
		return kerr_set(err, "'%s' has the overlay %s attribute: kiln mounts without redirect_dir and metacopy and cannot read this upper directory",
				w->path.buf, what);
	if (strcmp(what, "opaque"))
		return 0;
	n = x_read(&w->val, fd, path, x);
	if (n < 0 && no_xattrs_here(errno))
		return 0;
	if (n < 0)
		return kerr_errno(err, errno, "cannot read xattr '%s' of '%s'", x, w->path.buf);
	/* "x" marks a lower holding xattr whiteouts, not an opaque dir */
	if (n == 1 && w->val.buf[0] == 'y')
		w->opaque = true;
	return 0;
}

static int read_xattrs(struct walk *w, struct tar_entry *e, int fd, int dirfd,
		       const char *name, struct kerr *err)
{
	char proc[64 + NAME_MAX];
	const char *path = NULL;
	ssize_t n;

	w->opaque = false;
	if (!w->xattrs && !w->upper)
		return 0;
	if (fd < 0) {
		if (!w->proc)
			return 0;
		/* no l*xattrat(): the magic link names the directory, and
		 * l*xattr does not follow the last component */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, name);
		path = proc;
	}
	n = x_read(&w->list, fd, path, NULL);
	if (n < 0 && no_xattrs_here(errno))
		return 0;
	if (n < 0)
		return kerr_errno(err, errno, "cannot list xattrs of '%s'", w->path.buf);
	for (size_t off = 0; off < w->list.len; off += strlen(w->list.buf + off) + 1) {
		const char *x = w->list.buf + off;

		if (w->upper && !strncmp(x, "user.overlay.", 13) &&
		    overlay_xattr(w, fd, path, x, err) < 0)
			return -1;
		if (!*x || !keep_xattr(x) || !w->xattrs)
			continue;
		n = x_read(&w->val, fd, path, x);
		if (n < 0 && no_xattrs_here(errno))
			continue;	/* removed since it was listed */
		if (n < 0)
			return kerr_errno(err, errno, "cannot read xattr '%s' of '%s'",
					  x, w->path.buf);
		tar_entry_add_xattr(e, x, w->val.buf, (size_t)n);
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_owner(const void *key, const void *elem)
{
	return strcmp(key, ((const struct layer_owner *)elem)->path);
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

const struct layer_owner *walk_owner(const struct walk *w, const char *path)
{
	if (!w->nowners)
		return NULL;
	return bsearch(path, w->owners, w->nowners, sizeof(*w->owners), cmp_owner);
}

static bool is_idle(const struct walk *w, const char *path)
{
	return w->idle && w->idle->n &&
	       bsearch(path, w->idle->v, w->idle->n, sizeof(*w->idle->v), cmp_key);
}

/* opens name for reading and checks it is still what fstatat saw; st is
 * then the open file's */
static int open_same(int dirfd, const char *name, struct stat *st,
		     int flags, const char *path, struct kerr *err)
{
	struct stat now;
	int fd = openat(dirfd, name, flags | O_RDONLY | O_NOFOLLOW | O_NOCTTY |
			O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", path);
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino || (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		return kerr_set(err, "'%s' changed while it was read", path);
	}
	*st = now;
	return fd;
}

static int add(struct walk *w, const struct tar_entry *e, int fd, struct kerr *err)
{
	w->wrote = true;
	return layer_writer_add(w->lw, e, fd, err);
}

int walk_whiteout(struct walk *w, const char *path, struct kerr *err)
{
	w->wrote = true;
	return layer_writer_whiteout(w->lw, path, err);
}

int walk_opaque(struct walk *w, const char *path, struct kerr *err)
{
	w->wrote = true;
	return layer_writer_opaque(w->lw, path, err);
}

static int walk_symlink(struct walk *w, struct tar_entry *e, int dirfd, const char *name,
			const struct stat *st, struct kerr *err)
{
	struct strbuf target = STRBUF_INIT;
	ssize_t n;

	strbuf_grow(&target, (size_t)st->st_size + 1);
	n = readlinkat(dirfd, name, target.buf, target.alloc - 1);
	if (n < 0 || (size_t)n >= target.alloc - 1) {
		strbuf_release(&target);
		return n < 0 ? kerr_errno(err, errno, "cannot read link '%s'", w->path.buf)
			     : kerr_set(err, "'%s' changed while it was read", w->path.buf);
	}
	strbuf_setlen(&target, (size_t)n);
	e->type = TAR_SYMLINK;
	e->linkname = strbuf_detach(&target, NULL);
	if (read_xattrs(w, e, -1, dirfd, name, err) < 0)
		return -1;
	return add(w, e, -1, err);
}

static int walk_directory(struct walk *w, struct tar_entry *e, int dirfd, const char *name,
			  struct stat *st, enum walk_depth depth, struct kerr *err)
{
	cleanup_close int fd = -1;
	bool opaque;

	e->type = TAR_DIR;
	if ((fd = open_same(dirfd, name, st, O_DIRECTORY, w->path.buf, err)) < 0 ||
	    read_xattrs(w, e, fd, dirfd, name, err) < 0)
		return -1;
	opaque = depth == WALK_TREE_OPAQUE || (w->upper && w->opaque);
	if (add(w, e, -1, err) < 0 || (opaque && walk_opaque(w, w->path.buf, err) < 0))
		return -1;
	return depth == WALK_ENTRY ? 0 : walk_dir(w, fd, err);
}

int walk_entry(struct walk *w, int dirfd, const char *name, enum walk_depth depth,
	       struct kerr *err)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	cleanup_close int fd = -1;
	const struct layer_owner *own;
	struct layer_owner found;
	const char *first;
	struct stat st;
	int rc = -1;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "cannot stat '%s'", w->path.buf);
	/* before the hardlink check: overlayfs links its whiteouts to one
	 * shared inode */
	if (w->upper && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		return walk_whiteout(w, w->path.buf, err);
	if (S_ISDIR(st.st_mode) && is_idle(w, w->path.buf))
		return 0;
	e.path = w->path.buf;	/* borrowed: cleared before tar_entry_clear */
	e.mode = st.st_mode & 07777;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	e.mtime = st.st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	own = walk_owner(w, w->path.buf);
	if (!own && st.st_uid == 0 && st.st_gid == 0 && w->owner_fn) {
		int r = w->owner_fn(w->owner_ctx, w->path.buf, &found, err);

		if (r < 0)
			return -1;
		if (r)
			own = &found;
	}
	if (own) {
		e.uid = own->uid;
		e.gid = own->gid;
	}

	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 &&
	    (first = walk_link_seen(&w->links, st.st_dev, st.st_ino, w->path.buf))) {
		e.type = TAR_LINK;
		e.linkname = (char *)first;
		rc = add(w, &e, -1, err);
		e.linkname = NULL;
		goto out;
	}

	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		e.type = TAR_REG;
		if ((fd = open_same(dirfd, name, &st, 0, w->path.buf, err)) < 0)
			goto out;
		e.size = (uint64_t)st.st_size;
		if (read_xattrs(w, &e, fd, dirfd, name, err) < 0)
			goto out;
		rc = add(w, &e, fd, err);
		break;
	case S_IFDIR:
		rc = walk_directory(w, &e, dirfd, name, &st, depth, err);
		break;
	case S_IFLNK:
		rc = walk_symlink(w, &e, dirfd, name, &st, err);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		e.type = S_ISCHR(st.st_mode) ? TAR_CHR : S_ISBLK(st.st_mode) ? TAR_BLK : TAR_FIFO;
		if (e.type != TAR_FIFO) {
			e.devmajor = major(st.st_rdev);
			e.devminor = minor(st.st_rdev);
		}
		if (read_xattrs(w, &e, -1, dirfd, name, err) < 0)
			goto out;
		rc = add(w, &e, -1, err);
		break;
	default:
		/* sockets: tar has no type for them, and they mean nothing
		 * without the process that listens */
		log_debug("'%s': socket left out of the layer", w->path.buf);
		rc = 0;
	}
out:
	e.path = NULL;
	tar_entry_clear(&e);
	return rc;
}

int walk_names(int dirfd, const char *what, struct strvec *names, struct kerr *err)
{
	struct dirent *de;
	DIR *d;
	int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	int rc = 0;

	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		rc = kerr_errno(err, errno, "cannot read directory '%s'", what);
		if (dup_fd >= 0)
			close(dup_fd);
		return rc;
	}
	rewinddir(d);	/* the dup shares its offset with an fd read before */
	for (;;) {
		errno = 0;
		if (!(de = readdir(d)))
			break;
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strvec_push(names, de->d_name);
	}
	if (errno)
		rc = kerr_errno(err, errno, "cannot read directory '%s'", what);
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), cmp_names);
	return rc;
}

size_t walk_push(struct walk *w, const char *name)
{
	size_t base = w->path.len;

	if (base)
		strbuf_addch(&w->path, '/');
	strbuf_addstr(&w->path, name);
	return base;
}

/* every entry in dirfd, siblings by byte order, each directory followed by
 * its contents: the order BuildKit and containerd write */
int walk_dir(struct walk *w, int dirfd, struct kerr *err)
{
	struct strvec names = STRVEC_INIT;
	size_t base = w->path.len;
	int rc = walk_names(dirfd, base ? w->path.buf : ".", &names, err);

	for (size_t i = 0; i < names.n && !rc; i++) {
		walk_push(w, names.v[i]);
		rc = walk_entry(w, dirfd, names.v[i], WALK_TREE, err);
		strbuf_setlen(&w->path, base);
	}
	strvec_clear(&names);
	return rc;
}

void walk_init(struct walk *w, struct layer_writer *lw, bool xattrs)
{
	memset(w, 0, sizeof(*w));
	w->lw = lw;
	w->xattrs = xattrs;
	w->proc = access("/proc/self/fd", X_OK) == 0;
	strbuf_init(&w->path, 0);
	strbuf_init(&w->list, 0);
	strbuf_init(&w->val, 0);
}

void walk_release(struct walk *w)
{
	walk_links_clear(&w->links);
	strbuf_release(&w->path);
	strbuf_release(&w->list);
	strbuf_release(&w->val);
}

int layer_write_tree(int rootfd, int out_fd, const struct layer_opts *o,
		     struct layer_result *res, struct kerr *err)
{
	cleanup_close int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct layer_writer *lw;
	struct walk w;
	int rc;

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open the layer's root");
	if (layer_writer_new(&lw, out_fd, o, err) < 0)
		return -1;
	walk_init(&w, lw, !o->no_xattrs);
	rc = walk_dir(&w, fd, err);
	if (!rc)
		rc = layer_writer_finish(lw, res, err);
	layer_writer_free(lw);
	walk_release(&w);
	return rc;
}
