/* mounts.c: the container's file system: mount points made in the root and
 * removed again, then (in the container) the self-bind, /proc, /sys, /dev,
 * the generated /etc files, the caller's mounts and pivot_root. Every target
 * is opened inside the root, so an image's symlinks cannot move a mount out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "sandbox/syscalls.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

/* ---- generated files ---- */

static bool local_nameserver(const char *line)
{
	const char *p = line + strlen("nameserver");

	p += strspn(p, " \t");
	return !strncmp(p, "127.", 4) || !strncmp(p, "::1", 3);
}

void sbx_files_make(struct sbx_files *f, const struct sandbox_spec *spec, const char *hostname)
{
	struct strbuf host = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char *line, *save = NULL;

	strbuf_init(&f->hosts, 0);
	strbuf_init(&f->resolv, 0);
	strbuf_init(&f->hostname, 0);
	strbuf_addf(&f->hosts, "127.0.0.1\tlocalhost %s\n"
		    "::1\tlocalhost ip6-localhost ip6-loopback\n", hostname);
	strbuf_addf(&f->hostname, "%s\n", hostname);
	/* the host's resolver; a local one (systemd-resolved, dnsmasq) only
	 * answers where the host's network is shared */
	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", &host, 1 << 20, &err) < 0)
		kerr_clear(&err);
	for (line = strtok_r(host.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (spec->network == SANDBOX_NET_NONE && !strncmp(line, "nameserver", 10) &&
		    local_nameserver(line))
			continue;
		strbuf_addf(&f->resolv, "%s\n", line);
	}
	strbuf_release(&host);
}

void sbx_files_release(struct sbx_files *f)
{
	strbuf_release(&f->hosts);
	strbuf_release(&f->resolv);
	strbuf_release(&f->hostname);
}

/* ---- mount points, made by kiln before the run and removed after ---- */

static struct sbx_dirtime *remember_dir(struct sbx_points *p, int fd, const char *path)
{
	struct sbx_dirtime *d;
	struct stat st;

	for (size_t i = 0; i < p->ndirs; i++)
		if (!strcmp(p->dirs[i].path, path))
			return &p->dirs[i];
	if (fstat(fd, &st) < 0)
		return NULL;
	p->dirs = xgrow(p->dirs, sizeof(*p->dirs), p->ndirs + 1, &p->alloc);
	d = &p->dirs[p->ndirs++];
	d->path = xstrdup(path);
	d->times[0] = st.st_atim;
	d->times[1] = st.st_mtim;
	d->made = st.st_mtim;
	return d;
}

/* the directory part of an absolute cleaned path ("/" for "/x") */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* makes path (absolute) inside the root unless it exists, its missing
 * parents as directories and itself as a directory or an empty file */
static int ensure_point(int rootfd, const char *path, bool dir, struct sbx_points *p,
			struct kerr *err)
{
	cleanup_free char *clean = path_clean(path);
	struct strbuf prefix = STRBUF_INIT;
	const char *s = clean;
	int r = 0;

	while (*s == '/')
		s++;
	while (*s && r == 0) {
		size_t n = strcspn(s, "/");
		bool last = s[n] == '\0';
		struct kerr e = KERR_INIT;
		cleanup_free char *parent = NULL;
		cleanup_close int pfd = -1;
		struct sbx_dirtime *dt;
		struct stat st;
		int fd;

		strbuf_addch(&prefix, '/');
		strbuf_add(&prefix, s, n);
		s += n + !last;
		fd = path_open_in_root(rootfd, prefix.buf, O_PATH, 0, &e);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (e.errnum != ENOENT) {
			r = kerr_errno(err, e.errnum, "cannot open mount point '%s'", prefix.buf);
			kerr_clear(&e);
			break;
		}
		kerr_clear(&e);
		parent = parent_of(prefix.buf);
		pfd = path_open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY, 0, err);
		if (pfd < 0) {
			r = kerr_wrap(err, "mount point '%s'", path);
			break;
		}
		dt = remember_dir(p, pfd, parent);
		if (last && !dir) {
			fd = openat(pfd, path_base(prefix.buf),
				    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
		} else {
			fd = mkdirat(pfd, path_base(prefix.buf), 0755);
		}
		if (fd < 0) {
			r = kerr_errno(err, errno, "cannot create mount point '%s'", prefix.buf);
			break;
		}
		strvec_push(&p->made, prefix.buf);
		if (dt && !fstat(pfd, &st))
			dt->made = st.st_mtim;
	}
	strbuf_release(&prefix);
	return r;
}

int sbx_points_make(int rootfd, const struct sandbox_spec *spec, struct sbx_points *p,
		    struct kerr *err)
{
	static const char *const dirs[] = { "/proc", "/sys", "/dev" };
	static const char *const files[] = { "/etc/hosts", "/etc/resolv.conf", "/etc/hostname" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (ensure_point(rootfd, dirs[i], true, p, err) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (ensure_point(rootfd, files[i], false, p, err) < 0)
			return -1;
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct sandbox_mount *m = &spec->mounts[i];
		bool dir = true;
		struct stat st;

		if (m->kind == SANDBOX_BIND) {
			if (stat(m->src, &st) < 0)
				return kerr_errno(err, errno, "bind mount source '%s'", m->src);
			dir = S_ISDIR(st.st_mode);
		}
		if (ensure_point(rootfd, m->dst, dir, p, err) < 0)
			return -1;
	}
	return 0;
}

void sbx_points_remove(int rootfd, struct sbx_points *p)
{
	for (size_t i = 0; i < p->ndirs; i++) {
		struct kerr e = KERR_INIT;
		cleanup_close int fd = path_open_in_root(rootfd, p->dirs[i].path, O_PATH, 0, &e);
		struct stat st;

		/* the run changed the directory too: that change is the step's
		 * and stays (as BuildKit keeps the time it finds); only the
		 * removal below is undone */
		if (fd >= 0 && !fstat(fd, &st) && (st.st_mtim.tv_sec != p->dirs[i].made.tv_sec ||
						   st.st_mtim.tv_nsec != p->dirs[i].made.tv_nsec)) {
			p->dirs[i].times[0] = st.st_atim;
			p->dirs[i].times[1] = st.st_mtim;
		}
		kerr_clear(&e);
	}
	for (size_t i = p->made.n; i-- > 0;) {
		const char *path = p->made.v[i];
		cleanup_free char *parent = parent_of(path);
		struct kerr e = KERR_INIT;
		cleanup_close int pfd = path_open_in_root(rootfd, parent, O_PATH | O_DIRECTORY,
							  0, &e);
		const char *base = path_base(path);

		if (pfd < 0 || (unlinkat(pfd, base, 0) < 0 &&
				(errno != EISDIR || unlinkat(pfd, base, AT_REMOVEDIR) < 0) &&
				errno != ENOENT))
			log_warn("cannot remove mount point '%s': %s", path,
				 pfd < 0 ? e.msg : strerror(errno));
		kerr_clear(&e);
	}
	for (size_t i = 0; i < p->ndirs; i++) {
		struct kerr e = KERR_INIT;
		cleanup_close int fd = path_open_in_root(rootfd, p->dirs[i].path,
							 O_RDONLY | O_DIRECTORY, 0, &e);

		/* creating and removing a file touched the directory; a copy
		 * snapshot compares times and overlay's diff leaves out a
		 * copied-up directory only with the lower's mtime: put them back */
		if (fd >= 0)
			futimens(fd, p->dirs[i].times);
		kerr_clear(&e);
		free(p->dirs[i].path);
	}
	free(p->dirs);
	strvec_clear(&p->made);
	p->dirs = NULL;
	p->ndirs = p->alloc = 0;
}

/* ---- in the container ---- */

/* "/proc/self/fd/N" of an fd, for mount(2) targets opened inside the root */
#define FDPATH_LEN 32
static const char *fdpath(int fd, char buf[FDPATH_LEN])
{
	snprintf(buf, FDPATH_LEN, "/proc/self/fd/%d", fd);
	return buf;
}

static int mount_in(int rootfd, const char *target, const char *src, const char *type,
		    unsigned long flags, const char *data, struct kerr *err)
{
	cleanup_close int fd = path_open_in_root(rootfd, target, O_PATH, 0, err);
	char buf[FDPATH_LEN];

	if (fd < 0)
		return kerr_wrap(err, "mount point");
	if (mount(src, fdpath(fd, buf), type, flags, data) < 0)
		return kerr_errno(err, errno, "cannot mount %s on '%s'",
				  type ? type : src, target);
	return 0;
}

/* the flags a remount must repeat: the kernel refuses to clear nosuid,
 * nodev, noexec or atime flags that a more privileged namespace set */
static unsigned long locked_flags(const char *path)
{
	static const struct { unsigned long vfs, ms; } map[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sv.f_flag & map[i].vfs)
			f |= map[i].ms;
	return f;
}

/* makes the mount at target (inside the root) read-only, with its
 * submounts when rec */
static int make_readonly(int rootfd, const char *target, bool rec, struct kerr *err)
{
	cleanup_close int fd = path_open_in_root(rootfd, target, O_PATH, 0, err);
	struct kiln_mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	char buf[FDPATH_LEN];

	if (fd < 0)
		return kerr_wrap(err, "read-only mount");
	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &attr) == 0)
		return 0;
	if (errno != ENOSYS)
		return kerr_errno(err, errno, "cannot make '%s' read-only", target);
	/* before 5.12: the top mount alone */
	fdpath(fd, buf);
	if (mount(NULL, buf, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(buf),
		  NULL) < 0)
		return kerr_errno(err, errno, "cannot make '%s' read-only", target);
	return 0;
}

static int bind_in(int rootfd, const char *src, const char *target, bool ro,
		   struct kerr *err)
{
	if (mount_in(rootfd, target, src, NULL, MS_BIND | MS_REC, NULL, err) < 0)
		return -1;
	return ro ? make_readonly(rootfd, target, true, err) : 0;
}

static int mount_sys(int rootfd, const struct sandbox_spec *spec, struct kerr *err)
{
	struct kerr e = KERR_INIT;

	/* sysfs shows the network namespace of whoever mounts it, so only a
	 * container with its own may have a fresh one */
	if (spec->network == SANDBOX_NET_NONE) {
		if (mount_in(rootfd, "/sys", "sysfs", "sysfs",
			     MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, &e) == 0)
			return 0;
		kerr_clear(&e);
	}
	return bind_in(rootfd, "/sys", "/sys", true, err);
}

static int write_new(int dirfd, const char *name, const struct strbuf *sb, struct kerr *err)
{
	cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 || write_all(fd, sb->buf, sb->len) < 0)
		return kerr_errno(err, errno, "cannot write '/dev/%s'", name);
	return 0;
}

static int mount_dev(int rootfd, const struct sandbox_ids *ids, struct kerr *err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	cleanup_close int devfd = -1;
	const char *pts_opts = "newinstance,ptmxmode=0666,mode=0620,gid=5";

	if (mount_in(rootfd, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
		     "mode=755,size=65536k", err) < 0)
		return -1;
	devfd = path_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
	if (devfd < 0)
		return -1;
	/* device nodes cannot be made in a user namespace: bind the host's */
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		/* a host without it (kiln in a minimal container) gives none */
		if (access(path, F_OK) < 0 && errno == ENOENT)
			continue;
		fd = openat(devfd, nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return kerr_errno(err, errno, "cannot create '%s'", path);
		close(fd);
		if (mount_in(rootfd, path, path, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0)
		return kerr_errno(err, errno, "cannot create a directory in '/dev'");
	/* the tty group is a gid only the full map has */
	if (!sandbox_id_mapped(ids, 5, true))
		pts_opts = "newinstance,ptmxmode=0666,mode=0620";
	if (mount_in(rootfd, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		     pts_opts, err) < 0)
		return -1;
	if (mount_in(rootfd, "/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=65536k", err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0)
			return kerr_errno(err, errno, "cannot create '/dev/%s'", links[i][0]);
	return 0;
}

/*
 * The generated /etc files are written to the /dev tmpfs, bound read-only
 * onto their targets and unlinked again: the mounts keep them, /dev shows
 * nothing, and no temp file can outlive the container.
 */
static int mount_etc(int rootfd, const struct sbx_files *f, struct kerr *err)
{
	static const char *const names[] = { "hosts", "resolv.conf", "hostname" };
	const struct strbuf *bufs[] = { &f->hosts, &f->resolv, &f->hostname };
	cleanup_close int devfd = path_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
	cleanup_close int tmpfd = -1;
	int r = 0;

	if (devfd < 0)
		return -1;
	if (mkdirat(devfd, ".kiln-etc", 0755) < 0)
		return kerr_errno(err, errno, "cannot create '/dev/.kiln-etc'");
	tmpfd = openat(devfd, ".kiln-etc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return kerr_errno(err, errno, "cannot open '/dev/.kiln-etc'");
	for (size_t i = 0; i < 3 && r == 0; i++) {
		cleanup_free char *target = xasprintf("/etc/%s", names[i]);
		cleanup_close int fd = -1;
		char buf[FDPATH_LEN];

		r = write_new(tmpfd, names[i], bufs[i], err);
		if (r < 0)
			break;
		fd = openat(tmpfd, names[i], O_PATH | O_CLOEXEC);
		if (fd < 0) {
			r = kerr_errno(err, errno, "cannot open '/dev/.kiln-etc/%s'", names[i]);
			break;
		}
		r = bind_in(rootfd, fdpath(fd, buf), target, true, err);
		unlinkat(tmpfd, names[i], 0);
	}
	unlinkat(devfd, ".kiln-etc", AT_REMOVEDIR);
	return r;
}

static int mount_extra(int rootfd, const struct sandbox_mount *m, struct kerr *err)
{
	char opts[32];

	if (m->kind == SANDBOX_BIND)
		return bind_in(rootfd, m->src, m->dst, m->readonly, err);
	snprintf(opts, sizeof(opts), "mode=%o", m->mode ? m->mode : 01777);
	if (mount_in(rootfd, m->dst, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, opts, err) < 0)
		return -1;
	return m->readonly ? make_readonly(rootfd, m->dst, false, err) : 0;
}

int sbx_mount_root(const struct sandbox_spec *spec, const struct sandbox_ids *ids,
		   const struct sbx_files *files, struct kerr *err)
{
	cleanup_close int rootfd = -1;

	/* nothing made here may reach kiln's namespace, and pivot_root
	 * refuses shared mounts */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return kerr_errno(err, errno, "cannot make '/' private");
	if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return kerr_errno(err, errno, "cannot bind '%s' onto itself", spec->rootfs);
	rootfd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", spec->rootfs);
	if (mount_in(rootfd, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL, err) < 0)
		return -1;
	if (mount_sys(rootfd, spec, err) < 0 || mount_dev(rootfd, ids, err) < 0 ||
	    mount_etc(rootfd, files, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->nmounts; i++)
		if (mount_extra(rootfd, &spec->mounts[i], err) < 0)
			return -1;
	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves the image alone, with no host path reachable */
	if (fchdir(rootfd) < 0)
		return kerr_errno(err, errno, "cannot enter '%s'", spec->rootfs);
	if (sys_pivot_root(".", ".") < 0)
		return kerr_errno(err, errno, "pivot_root to '%s'", spec->rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return kerr_errno(err, errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return kerr_errno(err, errno, "cannot enter the new root");
	return 0;
}
