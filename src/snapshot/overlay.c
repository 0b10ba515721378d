/* overlay.c: the unpacked layers mounted as one overlayfs in kiln's user
 * namespace (userxattr: the layers' opaque marks are user.overlay.*). Each
 * directory is named by a /proc/self/fd link, which stays short whatever
 * the store's path. The new mount API takes the lowers one at a time
 * ("lowerdir+", kernel >= 6.8); before it, all of them go into one option
 * string, which the kernel limits to a page. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/syscalls.h"
#include "snapshot/internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"


/* overlayfs' limit on lowers (OVL_MAX_STACK) */
#define MAX_LOWERS 500

int snapshot_force_mount2;

static int fsconfig_str(int fd, const char *key, const char *val)
{
	return sys_fsconfig(fd, val ? KILN_FSCONFIG_SET_STRING : KILN_FSCONFIG_SET_FLAG,
			    key, val, 0);
}

/* the kernel's own words on a failed fsconfig, when it left some */
static void fs_reason(int fd, struct strbuf *out)
{
	char buf[512];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (n > 2 && buf[1] == ' ') {
			strbuf_reset(out);
			strbuf_addstr(out, buf + 2);
			strbuf_rtrim(out);
		}
	}
}

/* options that keep the upper readable alone; refused by old kernels,
 * which never turn the features on for userxattr mounts anyway */
static const char *const extra_opts[][2] = {
	{ "index", "off" },
	{ "metacopy", "off" },
	{ "redirect_dir", "nofollow" },	/* "off" follows, which userxattr refuses */
};

/* 1 mounted, 0 no new mount API (or no "lowerdir+"), -1 failed */
static int mount_new_api(struct snapshot *s, const int *lower, size_t n, int upper, int work,
			 struct kerr *err)
{
	cleanup_close int fs = sys_fsopen("overlay", KILN_FSOPEN_CLOEXEC);
	cleanup_close int mnt = -1;
	struct strbuf why = STRBUF_INIT;
	char path[64];
	int r = -1;

	if (fs < 0)
		return errno == ENOSYS ? 0 : kerr_errno(err, errno, "overlayfs");
	if (fsconfig_str(fs, "source", "kiln") < 0 || fsconfig_str(fs, "userxattr", NULL) < 0) {
		kerr_errno(err, errno, "overlayfs: userxattr");
		goto out;
	}
	for (size_t i = 0; i < sizeof(extra_opts) / sizeof(extra_opts[0]); i++)
		fsconfig_str(fs, extra_opts[i][0], extra_opts[i][1]);
	/* the top-most lower first */
	for (size_t i = n; i-- > 0;) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", lower[i]);
		if (fsconfig_str(fs, "lowerdir+", path) < 0) {
			if (errno == EINVAL && i == n - 1) {
				fs_reason(fs, &why);
				if (!why.len || strstr(why.buf, "lowerdir+")) {
					r = 0;	/* before 6.8 */
					goto out;
				}
			}
			fs_reason(fs, &why);
			kerr_errno(err, errno, "overlayfs: lower %zu%s%s", n - i,
				   why.len ? ": " : "", why.buf);
			goto out;
		}
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", upper);
	if (fsconfig_str(fs, "upperdir", path) < 0) {
		fs_reason(fs, &why);
		kerr_errno(err, errno, "overlayfs: upper dir%s%s", why.len ? ": " : "", why.buf);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", work);
	if (fsconfig_str(fs, "workdir", path) < 0) {
		fs_reason(fs, &why);
		kerr_errno(err, errno, "overlayfs: work dir%s%s", why.len ? ": " : "", why.buf);
		goto out;
	}
	if (sys_fsconfig(fs, KILN_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		fs_reason(fs, &why);
		kerr_errno(err, errno, "overlayfs%s%s", why.len ? ": " : "", why.buf);
		goto out;
	}
	mnt = sys_fsmount(fs, KILN_FSMOUNT_CLOEXEC, 0);
	if (mnt < 0) {
		kerr_errno(err, errno, "overlayfs: fsmount");
		goto out;
	}
	if (sys_move_mount(mnt, "", AT_FDCWD, s->rootfs,
		    KILN_MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		kerr_errno(err, errno, "overlayfs: cannot mount on '%s'", s->rootfs);
		goto out;
	}
	r = 1;
out:
	strbuf_release(&why);
	return r;
}

static void add_fd_path(struct strbuf *sb, int fd)
{
	strbuf_addf(sb, "/proc/self/fd/%d", fd);
}

static int mount_classic(struct snapshot *s, const int *lower, size_t n, int upper, int work,
			 struct kerr *err)
{
	struct strbuf opts = STRBUF_INIT;
	long page = sysconf(_SC_PAGESIZE);
	size_t base;
	int r;

	strbuf_addstr(&opts, "lowerdir=");
	for (size_t i = n; i-- > 0;) {
		add_fd_path(&opts, lower[i]);
		if (i)
			strbuf_addch(&opts, ':');
	}
	strbuf_addstr(&opts, ",upperdir=");
	add_fd_path(&opts, upper);
	strbuf_addstr(&opts, ",workdir=");
	add_fd_path(&opts, work);
	strbuf_addstr(&opts, ",userxattr");
	base = opts.len;
	for (size_t i = 0; i < sizeof(extra_opts) / sizeof(extra_opts[0]); i++)
		strbuf_addf(&opts, ",%s=%s", extra_opts[i][0], extra_opts[i][1]);
	if (page <= 0)
		page = 4096;
	if (base >= (size_t)page) {
		r = kerr_set(err, "overlayfs: %zu layers do not fit in one mount option string (a kernel >= 6.8 takes any number up to %d)",
			     n, MAX_LOWERS);
		goto out;
	}
	if (opts.len >= (size_t)page)
		strbuf_setlen(&opts, base);
	r = mount("kiln", s->rootfs, "overlay", 0, opts.buf);
	if (r < 0 && errno == EINVAL && opts.len > base) {
		strbuf_setlen(&opts, base);
		r = mount("kiln", s->rootfs, "overlay", 0, opts.buf);
	}
	if (r < 0)
		r = kerr_errno(err, errno, "overlayfs: mount on '%s'", s->rootfs);
out:
	strbuf_release(&opts);
	return r;
}

static int open_dir(int dirfd, const char *name, const char *what, struct kerr *err)
{
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open %s '%s'", what, name);
	return fd;
}

int snapshot_overlay_mount(struct snapshot *s, const char *const *diff_ids, size_t n,
			   struct kerr *err)
{
	size_t nlower = n ? n : 1;
	int *lower = xcalloc(nlower, sizeof(*lower));
	cleanup_close int upper = -1;
	cleanup_close int work = -1;
	int r = -1;

	for (size_t i = 0; i < nlower; i++)
		lower[i] = -1;
	if (n > MAX_LOWERS) {
		kerr_set(err, "overlayfs: %zu layers, more than the %d it stacks", n, MAX_LOWERS);
		goto out;
	}
	if (access("/proc/self/fd", X_OK) < 0) {
		kerr_set(err, "overlayfs: the layers are named through /proc, which is not mounted");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *hex = strncmp(diff_ids[i], "sha256:", 7) ? diff_ids[i] : diff_ids[i] + 7;

		lower[i] = open_dir(s->layersfd, hex, "unpacked layer", err);
		if (lower[i] < 0)
			goto out;
		if (!faccessat(lower[i], WHITEOUT_AS_FILES, F_OK, AT_SYMLINK_NOFOLLOW)) {
			kerr_set(err, "overlayfs: layer 'sha256:%s' keeps its whiteouts as files "
				 "(this filesystem holds no overlay whiteouts)", hex);
			goto out;
		}
	}
	/* FROM scratch: overlayfs needs a lower, an empty one will do */
	if (!n) {
		if (mkdirat(s->dirfd, "lower", 0755) < 0 && errno != EEXIST) {
			kerr_errno(err, errno, "cannot create '%s/lower'", s->name);
			goto out;
		}
		if ((lower[0] = open_dir(s->dirfd, "lower", "directory", err)) < 0)
			goto out;
	}
	if ((upper = open_dir(s->dirfd, "upper", "directory", err)) < 0 ||
	    (work = open_dir(s->dirfd, "work", "directory", err)) < 0)
		goto out;
	r = snapshot_force_mount2 ? 0 : mount_new_api(s, lower, nlower, upper, work, err);
	if (r == 0)
		r = mount_classic(s, lower, nlower, upper, work, err);
	if (r > 0)
		r = 0;
out:
	for (size_t i = 0; i < nlower; i++)
		if (lower[i] >= 0)
			close(lower[i]);
	free(lower);
	return r;
}
