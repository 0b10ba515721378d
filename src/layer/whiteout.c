/* whiteout.c: OCI whiteouts (".wh.NAME", ".wh..wh..opq") applied to the
 * root in merge mode or turned into overlayfs markers, and the fd-relative
 * tree removal they need. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/extract-int.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Opens parentfd/name as a directory to empty, never through a symlink,
 * widening it first when an unprivileged owner could not write in it. */
static int open_dir_rw(int parentfd, const char *name)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == EACCES && !fchmodat(parentfd, name, 0700, 0))
		fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st) && geteuid() != 0 && (st.st_mode & 0700) != 0700)
		fchmod(fd, (st.st_mode & 07777) | 0700);
	return fd;
}

/* what to keep: NULL removes everything under dirfd; else the entries the
 * set holds are kept (a kept directory is pruned in turn) */
struct prune {
	const struct pathset *keep;
	struct strbuf path;
};

static int empty_dir(int dirfd, struct prune *p, const char *what, struct kerr *err);

static int remove_at(int parentfd, const char *name, struct prune *p, const char *what,
		     struct kerr *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : kerr_errno(err, errno, "cannot stat in '%s'", what);
	if (p && p->keep && pathset_has(p->keep, p->path.buf) && !S_ISDIR(st.st_mode))
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
			return kerr_errno(err, errno, "cannot remove '%s'", what);
		return 0;
	}
	fd = open_dir_rw(parentfd, name);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", what);
	if (p && p->keep && pathset_has(p->keep, p->path.buf))
		return empty_dir(fd, p, what, err);
	if (empty_dir(fd, NULL, what, err) < 0)
		return -1;
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return kerr_errno(err, errno, "cannot remove '%s'", what);
	return 0;
}

/* Removes what dirfd holds; with a prune, only what the set does not. */
static int empty_dir(int dirfd, struct prune *p, const char *what, struct kerr *err)
{
	int dfd = dup(dirfd);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (dfd < 0)
		return kerr_errno(err, errno, "cannot read '%s'", what);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return kerr_errno(err, errno, "cannot read '%s'", what);
	}
	while ((errno = 0, de = readdir(d))) {
		size_t len = p ? p->path.len : 0;
		int r;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (p) {
			if (p->path.len)
				strbuf_addch(&p->path, '/');
			strbuf_addstr(&p->path, de->d_name);
		}
		r = remove_at(dirfd, de->d_name, p, what, err);
		if (p)
			strbuf_setlen(&p->path, len);
		if (r < 0)
			return -1;
	}
	if (errno)
		return kerr_errno(err, errno, "cannot read '%s'", what);
	return 0;
}

int wh_remove_tree(int parentfd, const char *name, struct kerr *err)
{
	return remove_at(parentfd, name, NULL, name, err);
}

/* merge mode: hides what lower layers have at dirpath/name (or, for an
 * opaque marker, in dirpath) and keeps what this layer made */
static int merge_whiteout(struct extract *x, int parentfd, const char *dirpath,
			  const char *name, int opaque, struct kerr *err)
{
	struct prune p = { x->made, STRBUF_INIT };
	int r;

	if (strcmp(dirpath, "."))
		strbuf_addstr(&p.path, dirpath);
	if (opaque) {
		/* parentfd is O_PATH, which cannot be listed */
		int fd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			r = kerr_errno(err, errno, "cannot open '%s'", dirpath);
		} else {
			r = empty_dir(fd, &p, dirpath, err);
			close(fd);
		}
	} else {
		if (p.path.len)
			strbuf_addch(&p.path, '/');
		strbuf_addstr(&p.path, name);
		r = remove_at(parentfd, name, &p, p.path.buf, err);
	}
	strbuf_release(&p.path);
	return r;
}

/* errors of a filesystem that cannot hold overlayfs's markers: an
 * overlayfs store (a rootless container's root), FUSE */
static bool marker_refused(int e)
{
	return e == EPERM || e == EOPNOTSUPP || e == EINVAL || e == EACCES;
}

/* the marker as the layer tar has it, an empty file, and once per layer
 * the note at its top that says so */
static int whiteout_file(struct extract *x, int parentfd, const char *dirpath,
			 const char *file, struct kerr *err)
{
	int fd = openat(parentfd, file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot create the whiteout '%s/%s'", dirpath, file);
	close(fd);
	if (!x->wh_files) {
		fd = openat(x->rootfd, WHITEOUT_AS_FILES, O_WRONLY | O_CREAT | O_NOFOLLOW |
			    O_CLOEXEC, 0);
		if (fd < 0)
			return kerr_errno(err, errno, "cannot create '%s'", WHITEOUT_AS_FILES);
		close(fd);
		x->wh_files = true;
		log_debug("this filesystem holds no overlay whiteouts: kept as files");
	}
	return 0;
}

/* overlay mode: the markers overlayfs reads with userxattr, or, where the
 * filesystem refuses them, the tar's own ".wh." files (a copy snapshot
 * reads both; overlayfs cannot run on such a filesystem anyway) */
static int overlay_whiteout(struct extract *x, int parentfd, const char *dirpath,
			    const char *name, int opaque, struct kerr *err)
{
	cleanup_free char *file = NULL;
	cleanup_close int fd = -1;
	struct stat st;

	if (opaque) {
		fd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return kerr_errno(err, errno, "cannot open '%s'", dirpath);
		if (fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) == 0)
			return 0;
		if (!marker_refused(errno))
			return kerr_errno(err, errno, "cannot mark '%s' opaque", dirpath);
		return whiteout_file(x, parentfd, dirpath, WHITEOUT_OPAQUE, err);
	}
	if (!fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    remove_at(parentfd, name, NULL, name, err) < 0)
		return -1;
	if (!x->wh_files && mknodat(parentfd, name, S_IFCHR | 0, makedev(0, 0)) == 0)
		return 0;
	if (!x->wh_files && !marker_refused(errno))
		return kerr_errno(err, errno, "cannot create the whiteout of '%s/%s'", dirpath,
				  name);
	file = xasprintf("%s%s", WHITEOUT_PREFIX, name);
	return whiteout_file(x, parentfd, dirpath, file, err);
}

int wh_check(const struct tar_entry *e, const char *name, struct kerr *err)
{
	const char *victim = name + strlen(WHITEOUT_PREFIX);

	if (!strcmp(name, WHITEOUT_OPAQUE))
		return 1;
	if (!strncmp(victim, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX))) {
		/* aufs' own bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not a
		 * whiteout of anything, skipped as docker does */
		log_debug("'%s': aufs metadata skipped", e->path);
		return 0;
	}
	if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
		return kerr_input(err, "'%s': whiteout of nothing", e->path);
	return 1;
}

int wh_apply(struct extract *x, const struct tar_entry *e, int parentfd,
	     const char *dirpath, const char *name, struct kerr *err)
{
	const char *victim = name + strlen(WHITEOUT_PREFIX);
	int opaque = !strcmp(name, WHITEOUT_OPAQUE);

	(void)e;
	x->stats->whiteouts++;
	if (x->opts->mode == LAYER_OVERLAY)
		return overlay_whiteout(x, parentfd, dirpath, victim, opaque, err);
	return merge_whiteout(x, parentfd, dirpath, victim, opaque, err);
}
