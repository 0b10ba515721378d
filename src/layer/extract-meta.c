/* extract-meta.c: file attributes of unpacked entries: owners (mapped),
 * modes with the setuid policy, xattrs, mtimes, and directories fixed last
 * so that writing their contents does not undo them. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/extract-int.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

static int map_id(const struct layer_idmap *map, size_t n, uint32_t id, uint32_t *out)
{
	if (!map) {
		*out = id;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (id >= map[i].container && id - map[i].container < map[i].size) {
			*out = map[i].host + (id - map[i].container);
			return 0;
		}
	return -1;
}

/* the owner on disk, or -1 when ownership is not asked for */
static int owner(struct extract *x, const struct tar_entry *e, uid_t *uid, gid_t *gid,
		 struct kerr *err)
{
	const struct layer_extract_opts *o = x->opts;
	uint32_t u, g;

	if (!o->chown)
		return 0;
	if (map_id(o->uid_map, o->n_uid_map, (uint32_t)e->uid, &u) < 0)
		return kerr_input(err, "'%s': uid %u is outside the mapped ranges", e->path,
				  (unsigned int)e->uid);
	if (map_id(o->gid_map, o->n_gid_map, (uint32_t)e->gid, &g) < 0)
		return kerr_input(err, "'%s': gid %u is outside the mapped ranges", e->path,
				  (unsigned int)e->gid);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 1;
}

/* setuid/setgid only on a file owned by whom the archive names: otherwise
 * the bit would run the program as the person unpacking */
static mode_t file_mode(struct extract *x, const struct tar_entry *e, bool chowned)
{
	mode_t m = e->mode & 07777;

	if (chowned || x->opts->setid_private)
		return m;
	if ((m & S_ISUID) && e->uid != x->euid)
		m &= ~(mode_t)S_ISUID;
	if ((m & S_ISGID) && e->gid != x->egid)
		m &= ~(mode_t)S_ISGID;
	if (m != (e->mode & 07777) && !x->warned_suid++)
		log_warn("'%s': setuid/setgid bits dropped, the file is not owned by uid %u gid %u (and others in this layer)",
			 e->path, (unsigned int)e->uid, (unsigned int)e->gid);
	return m;
}

static int is_overlay_xattr(const char *name)
{
	return !strncmp(name, "user.overlay.", 13) || !strncmp(name, "trusted.overlay.", 16);
}

static void xattr_refused(struct extract *x, const struct tar_entry *e, const char *name,
			  int errnum)
{
	x->stats->skipped++;
	if (!x->warned_xattr++)
		log_warn("'%s': xattr '%s' not set (%s); skipping refused xattrs in this layer",
			 e->path, name, strerror(errnum));
}

static void set_xattrs(struct extract *x, int fd, const struct tar_entry *e)
{
	for (size_t i = 0; i < e->nxattrs; i++) {
		const struct tar_xattr *a = &e->xattrs[i];

		/* overlayfs' own markers are never taken from an archive:
		 * they would hide or redirect files of other layers */
		if (is_overlay_xattr(a->name))
			continue;
		if (fd < 0)
			xattr_refused(x, e, a->name, EPERM);
		else if (fsetxattr(fd, a->name, a->value, a->len, 0) < 0)
			xattr_refused(x, e, a->name, errno);
	}
}

static void to_timespec(const struct tar_entry *e, struct timespec ts[2])
{
	ts[0].tv_sec = ts[1].tv_sec = (time_t)e->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)e->mtime_nsec;
}

/* a chown the kernel refused: fatal unless the caller lets it pass */
static int chown_refused(struct extract *x, const struct tar_entry *e, uid_t uid, gid_t gid,
			 struct kerr *err)
{
	if (errno != EINVAL || !x->opts->chown_lenient)
		return kerr_errno(err, errno, "cannot change the owner of '%s'", e->path);
	x->stats->skipped++;
	/* kept for the layers kiln writes: the sandbox said once that the
	 * map is short, and that is all a user needs to hear */
	if (x->opts->owners) {
		layer_owners_refused(x->opts->owners, e->path, (uint32_t)e->uid,
				     (uint32_t)e->gid);
		pathset_add(x->refused, e->path);
		if (!x->warned_chown++)
			log_debug("'%s': owner %u:%u is not in the user namespace's id map; recorded beside the layer (and others)",
				  e->path, (unsigned int)e->uid, (unsigned int)e->gid);
		return 0;
	}
	if (!x->warned_chown++)
		log_warn("'%s': owner %u:%u cannot be given here (not in the user namespace's id map); keeping such files as unpacked in this layer",
			 e->path, (unsigned int)uid, (unsigned int)gid);
	return 0;
}

int meta_file(struct extract *x, int fd, const struct tar_entry *e, struct kerr *err)
{
	struct timespec ts[2];
	uid_t uid;
	gid_t gid;
	int r = owner(x, e, &uid, &gid, err);

	if (r < 0)
		return -1;
	/* chown clears setuid and file capabilities: it goes first */
	if (r && fchown(fd, uid, gid) < 0) {
		if (chown_refused(x, e, uid, gid, err) < 0)
			return -1;
		r = 0;
	}
	if (fchmod(fd, file_mode(x, e, r > 0)) < 0)
		return kerr_errno(err, errno, "cannot change the mode of '%s'", e->path);
	set_xattrs(x, fd, e);
	to_timespec(e, ts);
	if (futimens(fd, ts) < 0)
		return kerr_errno(err, errno, "cannot set the mtime of '%s'", e->path);
	return 0;
}

/* gives parentfd/name the owner the entry asks for, when owner() says so */
static int chown_at(struct extract *x, int parentfd, const char *name,
		    const struct tar_entry *e, struct kerr *err)
{
	uid_t uid;
	gid_t gid;
	int r = owner(x, e, &uid, &gid, err);

	if (r < 0)
		return -1;
	if (r && fchownat(parentfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return chown_refused(x, e, uid, gid, err);
	return 0;
}

int meta_at(struct extract *x, int parentfd, const char *name,
	    const struct tar_entry *e, struct kerr *err)
{
	struct timespec ts[2];

	if (chown_at(x, parentfd, name, e, err) < 0)
		return -1;
	/* mknod applied the umask; symlinks have no mode of their own */
	if (e->type != TAR_SYMLINK &&
	    fchmodat(parentfd, name, e->mode & 0777, 0) < 0)
		return kerr_errno(err, errno, "cannot change the mode of '%s'", e->path);
	/* user.* xattrs are for files and directories only */
	set_xattrs(x, -1, e);
	to_timespec(e, ts);
	if (utimensat(parentfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "cannot set the mtime of '%s'", e->path);
	return 0;
}

static void add_fix(struct extract *x, const char *path, mode_t mode,
		    const struct tar_entry *e)
{
	struct dirfix *f;

	x->fix = xgrow(x->fix, sizeof(*x->fix), x->nfix + 1, &x->afix);
	f = &x->fix[x->nfix++];
	f->path = xstrdup(path);
	f->mode = mode;
	f->restore = !e;
	f->mtime = e ? e->mtime : 0;
	f->nsec = e ? e->mtime_nsec : 0;
}

int meta_dir(struct extract *x, int parentfd, const char *name,
	     const struct tar_entry *e, struct kerr *err)
{
	cleanup_close int fd = -1;

	if (chown_at(x, parentfd, name, e, err) < 0)
		return -1;
	if (e->nxattrs)
		fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	set_xattrs(x, fd, e);
	/* a directory the layer names twice takes the later entry's mode
	 * and time, as tar does; its fix keeps its place (before what the
	 * directory holds, so applied after it) */
	for (size_t i = x->nfix; x->again && i-- > 0;)
		if (!x->fix[i].restore && !strcmp(x->fix[i].path, e->path)) {
			x->fix[i].mode = e->mode & 07777;
			x->fix[i].mtime = e->mtime;
			x->fix[i].nsec = e->mtime_nsec;
			return 0;
		}
	add_fix(x, e->path, e->mode & 07777, e);
	return 0;
}

/* chmod through an O_PATH fd, which fchmod refuses */
static int chmod_fd(int fd, mode_t mode)
{
	char proc[64];
	int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (rfd >= 0) {
		r = fchmod(rfd, mode);
		close(rfd);
		return r;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return chmod(proc, mode);
}

int meta_open_up(struct extract *x, int dirfd, const char *path, struct kerr *err)
{
	struct stat st;

	/* root needs no write bit; others can only widen their own dirs */
	if (x->euid == 0)
		return 0;
	if (fstat(dirfd, &st) < 0)
		return kerr_errno(err, errno, "cannot stat '%s'", path);
	if (st.st_uid != x->euid || (st.st_mode & 0300) == 0300)
		return 0;
	if (chmod_fd(dirfd, (st.st_mode & 07777) | 0700) < 0)
		return kerr_errno(err, errno, "cannot make '%s' writable", path);
	add_fix(x, path, st.st_mode & 07777, NULL);
	return 0;
}

void meta_keep_times(struct extract *x, int dirfd, const char *path, bool made)
{
	struct dirfix *f;
	struct stat st;

	if (pathset_has(x->made, path) || pathset_has(x->timed, path) || fstat(dirfd, &st) < 0)
		return;
	pathset_add(x->timed, path);
	x->fix = xgrow(x->fix, sizeof(*x->fix), x->nfix + 1, &x->afix);
	f = &x->fix[x->nfix++];
	f->path = xstrdup(path);
	f->mode = st.st_mode & 07777;
	f->restore = 2;
	f->mtime = made ? 0 : st.st_mtim.tv_sec;
	f->nsec = made ? 0 : (uint32_t)st.st_mtim.tv_nsec;
}

static int apply_fix(struct extract *x, const struct dirfix *f, struct kerr *err)
{
	const char *slash = strrchr(f->path, '/');
	cleanup_free char *dir = slash ? xstrndup(f->path, (size_t)(slash - f->path)) : NULL;
	const char *name = slash ? slash + 1 : f->path;
	cleanup_close int pfd = -1;
	struct timespec ts[2];
	struct stat st;
	int at = x->rootfd;

	if (!strcmp(f->path, ".")) {
		name = ".";
	} else if (dir) {
		pfd = path_open_in_root(x->rootfd, dir, O_PATH | O_DIRECTORY, 0, err);
		if (pfd < 0)
			return -1;
		at = pfd;
	}
	/* a later entry may have replaced the directory: nothing to fix */
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (fchmodat(at, name, f->mode, 0) < 0)
		return kerr_errno(err, errno, "cannot change the mode of '%s'", f->path);
	if (f->restore == 1)
		return 0;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)f->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)f->nsec;
	if (utimensat(at, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "cannot set the mtime of '%s'", f->path);
	return 0;
}

int meta_finish(struct extract *x, struct kerr *err)
{
	struct kerr local = KERR_INIT;
	int r = 0;

	/* widened lower dirs and kept times first, then the layer's own dirs
	 * deepest-last reversed, so what the layer gives a dir wins */
	for (size_t i = 0; i < x->nfix; i++)
		if (x->fix[i].restore && apply_fix(x, &x->fix[i], err ? err : &local) < 0 && !r)
			r = -1;
	for (size_t i = x->nfix; i-- > 0;)
		if (!x->fix[i].restore && !r && apply_fix(x, &x->fix[i], err ? err : &local) < 0)
			r = -1;
	kerr_clear(&local);
	return err ? r : 0;
}

void meta_release(struct extract *x)
{
	for (size_t i = 0; i < x->nfix; i++)
		free(x->fix[i].path);
	free(x->fix);
	x->fix = NULL;
	x->nfix = x->afix = 0;
}
