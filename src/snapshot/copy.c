/* copy.c: the snapshot without overlayfs: every unpacked layer copied in
 * turn onto one directory, its overlay whiteouts applied as overlayfs would
 * show them. Owners, modes, xattrs and mtimes are kept, and files linked
 * within a layer stay linked; nothing is ever linked to the layer cache,
 * which a step must not be able to change. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/walk.h"
#include "snapshot/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define COPY_BUF (128 * 1024)

struct copy {
	int rootfd;		/* the destination root: hardlinks start there */
	const char *what;	/* the layer, for messages */
	struct strbuf path;	/* of the entry at hand, relative */
	struct walk_links links;	/* within this layer */
	struct strbuf list, val;
	char *buf;
	int warned_chown, warned_xattr, warned_dev;
};

/* ---- removal ---- */

static int empty_dir(int dirfd, const char *what, struct kerr *err);

int snapshot_remove_tree(int parentfd, const char *name, struct kerr *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : kerr_errno(err, errno, "cannot stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
			return kerr_errno(err, errno, "cannot remove '%s'", name);
		return 0;
	}
	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* a directory its owner made unreadable: only the owner gets here
	 * without the capability to ignore modes, and may widen it */
	if (fd < 0 && errno == EACCES && fchmodat(parentfd, name, 0700, 0) == 0)
		fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", name);
	if ((st.st_mode & 0700) != 0700 && geteuid() != 0)
		fchmod(fd, 0700);
	if (empty_dir(fd, name, err) < 0)
		return -1;
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return kerr_errno(err, errno, "cannot remove '%s'", name);
	return 0;
}

static int empty_dir(int dirfd, const char *what, struct kerr *err)
{
	int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return kerr_errno(err, errno, "cannot read '%s'", what);
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snapshot_remove_tree(dirfd, de->d_name, err) < 0)
			return kerr_wrap(err, "'%s'", what);
	}
	if (errno)
		return kerr_errno(err, errno, "cannot read '%s'", what);
	return 0;
}

/* ---- attributes ---- */

static bool copied_xattr(const char *name)
{
	/* overlayfs' markers become the copy's structure, not attributes;
	 * trusted.* cannot be set in a user namespace */
	return *name && strncmp(name, "user.overlay.", 13) && strncmp(name, "trusted.", 8);
}

static ssize_t list_xattrs(struct strbuf *sb, int fd)
{
	strbuf_reset(sb);
	for (int tries = 0; tries < 8; tries++) {
		ssize_t n = flistxattr(fd, NULL, 0);

		if (n <= 0)
			return n;
		strbuf_grow(sb, (size_t)n + 1);
		n = flistxattr(fd, sb->buf, sb->alloc - 1);
		if (n >= 0) {
			strbuf_setlen(sb, (size_t)n);
			return n;
		}
		if (errno != ERANGE)
			return -1;
	}
	return -1;
}

static bool no_xattrs(int e)
{
	return e == ENOTSUP || e == EOPNOTSUPP || e == ENODATA;
}

/*
 * Gives dst the xattrs src has, and only those: a directory of a later
 * layer replaces the attributes of the one below, as overlayfs shows only
 * the top-most. Attributes the kernel refuses are skipped with one warning.
 */
static int copy_xattrs(struct copy *c, int src, int dst, bool replace, struct kerr *err)
{
	ssize_t n;

	if (replace && (n = list_xattrs(&c->list, dst)) > 0) {
		for (size_t off = 0; off < c->list.len; off += strlen(c->list.buf + off) + 1) {
			const char *x = c->list.buf + off;

			if (copied_xattr(x) && fgetxattr(src, x, NULL, 0) < 0 && errno == ENODATA)
				fremovexattr(dst, x);
		}
	}
	n = list_xattrs(&c->list, src);
	if (n < 0 && no_xattrs(errno))
		return 0;
	if (n < 0)
		return kerr_errno(err, errno, "cannot list xattrs of '%s'", c->path.buf);
	for (size_t off = 0; off < c->list.len; off += strlen(c->list.buf + off) + 1) {
		const char *x = c->list.buf + off;
		ssize_t len;

		if (!copied_xattr(x))
			continue;
		len = fgetxattr(src, x, NULL, 0);
		if (len >= 0) {
			strbuf_reset(&c->val);
			strbuf_grow(&c->val, (size_t)len + 1);
			len = fgetxattr(src, x, c->val.buf, (size_t)len);
		}
		if (len < 0 && no_xattrs(errno))
			continue;
		if (len < 0)
			return kerr_errno(err, errno, "cannot read xattr '%s' of '%s'", x,
					  c->path.buf);
		if (fsetxattr(dst, x, c->val.buf, (size_t)len, 0) < 0 && !c->warned_xattr++)
			log_warn("'%s': xattr '%s' not copied (%s); skipping refused xattrs in layer %s",
				 c->path.buf, x, strerror(errno), c->what);
	}
	return 0;
}

/* the owner src has: EINVAL means the id is outside kiln's map, which can
 * only be so when the layer was unpacked the same way; keep it as made */
static int copy_owner(struct copy *c, int dirfd, const char *name, int fd,
		      const struct stat *st, struct kerr *err)
{
	int r = fd >= 0 ? fchown(fd, st->st_uid, st->st_gid)
			: fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);

	if (r == 0)
		return 0;
	if (errno != EINVAL)
		return kerr_errno(err, errno, "cannot change the owner of '%s'", c->path.buf);
	if (!c->warned_chown++)
		log_warn("'%s': owner %u:%u cannot be given here; keeping such files as copied in layer %s",
			 c->path.buf, (unsigned)st->st_uid, (unsigned)st->st_gid, c->what);
	return 0;
}

/* owner first (chown clears setuid and capabilities), mode, xattrs, times */
static int copy_meta_fd(struct copy *c, int src, int dst, const struct stat *st, bool replace,
			struct kerr *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (copy_owner(c, -1, NULL, dst, st, err) < 0)
		return -1;
	if (fchmod(dst, st->st_mode & 07777) < 0)
		return kerr_errno(err, errno, "cannot change the mode of '%s'", c->path.buf);
	if (copy_xattrs(c, src, dst, replace, err) < 0)
		return -1;
	if (futimens(dst, ts) < 0)
		return kerr_errno(err, errno, "cannot set the times of '%s'", c->path.buf);
	return 0;
}

/* ---- contents ---- */

static ssize_t sys_copy_file_range(int in, int out, size_t len)
{
	return syscall(SYS_copy_file_range, in, NULL, out, NULL, len, 0);
}

/* a reflink where the filesystem shares blocks, else the kernel's copy,
 * else read and write */
static int copy_content(struct copy *c, int src, int dst, off_t size, struct kerr *err)
{
	off_t done = 0;

	if (!size || ioctl(dst, FICLONE, src) == 0)
		return 0;
	while (done < size) {
		ssize_t n = sys_copy_file_range(src, dst, (size_t)(size - done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
			      errno == EOPNOTSUPP))
			break;
		if (n < 0)
			return kerr_errno(err, errno, "cannot copy '%s'", c->path.buf);
		if (n == 0)
			return kerr_set(err, "'%s' shrank while it was copied", c->path.buf);
		done += n;
	}
	if (!c->buf)
		c->buf = xmalloc(COPY_BUF);
	while (done < size) {
		ssize_t n = read(src, c->buf, COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_errno(err, errno, "cannot read '%s'", c->path.buf);
		if (n == 0)
			return kerr_set(err, "'%s' shrank while it was copied", c->path.buf);
		if (write_all(dst, c->buf, (size_t)n) < 0)
			return kerr_errno(err, errno, "cannot write '%s'", c->path.buf);
		done += n;
	}
	return 0;
}

static int copy_file(struct copy *c, int srcdir, int dstdir, const char *name,
		     const struct stat *st, struct kerr *err)
{
	cleanup_close int src = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int dst = -1;

	if (src < 0)
		return kerr_errno(err, errno, "cannot open '%s' in layer %s", c->path.buf, c->what);
	dst = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0)
		return kerr_errno(err, errno, "cannot create '%s'", c->path.buf);
	if (copy_content(c, src, dst, st->st_size, err) < 0)
		return -1;
	return copy_meta_fd(c, src, dst, st, false, err);
}

/* symlinks, fifos and devices: no xattrs (user.* cannot be on them) */
static int copy_special(struct copy *c, int srcdir, int dstdir, const char *name,
			const struct stat *st, struct kerr *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (S_ISLNK(st->st_mode)) {
		struct strbuf target = STRBUF_INIT;
		ssize_t n;
		int r;

		strbuf_grow(&target, (size_t)st->st_size + 1);
		n = readlinkat(srcdir, name, target.buf, target.alloc - 1);
		if (n < 0 || (size_t)n >= target.alloc - 1) {
			strbuf_release(&target);
			return kerr_errno(err, n < 0 ? errno : EIO, "cannot read link '%s' in layer %s",
					  c->path.buf, c->what);
		}
		strbuf_setlen(&target, (size_t)n);
		r = symlinkat(target.buf, dstdir, name);
		strbuf_release(&target);
		if (r < 0)
			return kerr_errno(err, errno, "cannot create symlink '%s'", c->path.buf);
	} else if (mknodat(dstdir, name, st->st_mode & (S_IFMT | 0777), st->st_rdev) < 0) {
		if (errno != EPERM || S_ISFIFO(st->st_mode))
			return kerr_errno(err, errno, "cannot create '%s'", c->path.buf);
		if (!c->warned_dev++)
			log_warn("device nodes cannot be created here; skipping '%s' and any others in layer %s",
				 c->path.buf, c->what);
		return 0;
	}
	if (copy_owner(c, dstdir, name, -1, st, err) < 0)
		return -1;
	if (!S_ISLNK(st->st_mode) && fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
		return kerr_errno(err, errno, "cannot change the mode of '%s'", c->path.buf);
	if (utimensat(dstdir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "cannot set the times of '%s'", c->path.buf);
	return 0;
}

static int copy_dir(struct copy *c, int srcfd, int dstfd, struct kerr *err);

bool snapshot_is_opaque(int fd)
{
	char v[2];

	if (fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y')
		return true;
	return !faccessat(fd, WHITEOUT_OPAQUE, F_OK, AT_SYMLINK_NOFOLLOW);
}

bool snapshot_is_whiteout(int dirfd, const char *name, const struct stat *st)
{
	cleanup_free char *file = NULL;

	if (st && S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return true;
	file = xasprintf("%s%s", WHITEOUT_PREFIX, name);
	return !faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW);
}

/* ".wh.NAME", ".wh..wh..opq", WHITEOUT_AS_FILES: markers, not files */
static bool marker_name(const char *name)
{
	return !strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX));
}

static int copy_directory(struct copy *c, int srcdir, int dstdir, const char *name,
			  const struct stat *st, bool exists, struct kerr *err)
{
	cleanup_close int src = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				       O_CLOEXEC);
	cleanup_close int dst = -1;

	if (src < 0)
		return kerr_errno(err, errno, "cannot open '%s' in layer %s", c->path.buf, c->what);
	if (!exists && mkdirat(dstdir, name, 0700) < 0)
		return kerr_errno(err, errno, "cannot create directory '%s'", c->path.buf);
	dst = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return kerr_errno(err, errno, "cannot open '%s'", c->path.buf);
	/* an opaque directory hides what the layers below put in it */
	if (exists && snapshot_is_opaque(src) && empty_dir(dst, c->path.buf, err) < 0)
		return -1;
	if (copy_dir(c, src, dst, err) < 0)
		return -1;
	return copy_meta_fd(c, src, dst, st, exists, err);
}

static int copy_entry(struct copy *c, int srcdir, int dstdir, const char *name,
		      struct kerr *err)
{
	struct stat st, old;
	bool exists;
	const char *first;

	if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "cannot stat '%s' in layer %s", c->path.buf, c->what);
	exists = fstatat(dstdir, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT)
		return kerr_errno(err, errno, "cannot stat '%s'", c->path.buf);
	/* a whiteout: what the layers below have here is gone */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		return exists ? snapshot_remove_tree(dstdir, name, err) : 0;
	if (exists && (!S_ISDIR(st.st_mode) || !S_ISDIR(old.st_mode))) {
		if (snapshot_remove_tree(dstdir, name, err) < 0)
			return -1;
		exists = false;
	}
	if (S_ISDIR(st.st_mode))
		return copy_directory(c, srcdir, dstdir, name, &st, exists, err);
	if (S_ISSOCK(st.st_mode))
		return 0;
	if (st.st_nlink > 1 &&
	    (first = walk_link_seen(&c->links, st.st_dev, st.st_ino, c->path.buf))) {
		if (linkat(c->rootfd, first, dstdir, name, 0) < 0)
			return kerr_errno(err, errno, "cannot link '%s' to '%s'", c->path.buf, first);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return copy_file(c, srcdir, dstdir, name, &st, err);
	return copy_special(c, srcdir, dstdir, name, &st, err);
}

static int copy_dir(struct copy *c, int srcfd, int dstfd, struct kerr *err)
{
	int dfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 0);
	size_t base = c->path.len;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return kerr_errno(err, errno, "cannot read '%s' in layer %s",
				  base ? c->path.buf : ".", c->what);
	}
	/* whiteouts kept as ".wh." files hide what the layers below have,
	 * not what this one puts back: they go first */
	for (int pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((errno = 0, de = readdir(d))) {
			const char *name = de->d_name;
			int r = 0;

			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			if (marker_name(name) != !pass)
				continue;
			if (base)
				strbuf_addch(&c->path, '/');
			strbuf_addstr(&c->path, name);
			if (!pass) {
				name += strlen(WHITEOUT_PREFIX);
				if (strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
					r = snapshot_remove_tree(dstfd, name, err);
			} else {
				r = copy_entry(c, srcfd, dstfd, name, err);
			}
			strbuf_setlen(&c->path, base);
			if (r < 0)
				return -1;
		}
		if (errno)
			return kerr_errno(err, errno, "cannot read '%s' in layer %s",
					  base ? c->path.buf : ".", c->what);
	}
	return 0;
}

int snapshot_copy_layer(int srcfd, int dstfd, const char *what, struct kerr *err)
{
	struct copy c = { .rootfd = dstfd, .what = what, .path = STRBUF_INIT,
			  .list = STRBUF_INIT, .val = STRBUF_INIT };
	int r = copy_dir(&c, srcfd, dstfd, err);

	walk_links_clear(&c.links);
	strbuf_release(&c.path);
	strbuf_release(&c.list);
	strbuf_release(&c.val);
	free(c.buf);
	return r;
}
