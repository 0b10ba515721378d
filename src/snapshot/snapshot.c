/* snapshot.c: a step's root: unpacked layers from the store's cache, put
 * together by overlayfs or by copying, and what changed as a layer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layer/extract.h"
#include "snapshot/internal.h"
#include "util/cleanup.h"
#include "util/kconfig.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

int snapshot_kind_parse(const char *s, enum snapshot_kind *k, struct kerr *err)
{
	if (!strcmp(s, "auto"))
		*k = SNAPSHOT_AUTO;
	else if (!strcmp(s, "overlay"))
		*k = SNAPSHOT_OVERLAY;
	else if (!strcmp(s, "copy"))
		*k = SNAPSHOT_COPY;
	else
		return kerr_input(err, "snapshotter '%s' is not auto, overlay or copy", s);
	return 0;
}

int snapshot_kind_default(enum snapshot_kind *k, struct kerr *err)
{
	const char *v = getenv("KILN_SNAPSHOTTER");

	*k = SNAPSHOT_AUTO;
	if (!v || !*v)
		return 0;
	if (snapshot_kind_parse(v, k, err) < 0)
		return kerr_wrap(err, "KILN_SNAPSHOTTER");
	return 0;
}

/* ---- the unpacked-layer cache ---- */

static const char *diff_id_hex(const char *diff_id, struct kerr *err)
{
	size_t len = diff_id ? strlen(diff_id) : 0;

	if (len != 71 || strncmp(diff_id, "sha256:", 7) ||
	    strspn(diff_id + 7, "0123456789abcdef") != 64) {
		kerr_input(err, "'%s' is not a sha256 diff_id", diff_id ? diff_id : "");
		return NULL;
	}
	return diff_id + 7;
}

static bool is_dir_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static bool (*ensure_stop)(void);

void snapshot_set_stop(bool (*stop)(void))
{
	ensure_stop = stop;
}

/* a blob the store took whole that no longer hashes to its name: the
 * disk changed it, not the image (only asked once unpacking failed) */
static bool blob_damaged(int fd, const char *digest)
{
	unsigned char h[SHA256_LEN];
	char got[DIGEST_STR_LEN];
	struct kerr err = KERR_INIT;

	if (lseek(fd, 0, SEEK_SET) < 0 || sha256_fd(fd, h, &err) < 0) {
		kerr_clear(&err);
		return false;
	}
	digest_format(h, got);
	return strcmp(got, digest) != 0;
}

int snapshot_layer_ensure(struct store *st, const char *digest, const char *diff_id,
			  struct kerr *err)
{
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct layer_owners owners = LAYER_OWNERS_INIT;
	const char *hex = diff_id_hex(diff_id, err);
	cleanup_close int fd = -1;
	enum store_layers kind;
	int layers, r;

	if (!hex)
		return -1;
	/* prune must not sweep the temp dir or the layer under a build */
	if (store_hold(st, err) < 0)
		return -1;
	kind = snapshot_map_kind();
	layers = store_layers_dirfd(st, kind, err);
	if (layers < 0)
		return -1;
	if (is_dir_at(layers, hex))
		return 0;
	fd = store_blob_open(st, digest, err);
	if (fd < 0)
		return -1;
	o.mode = LAYER_OVERLAY;
	o.chown = 1;
	o.chown_lenient = 1;
	/* what the map cannot hold goes beside the layer, for the diffs */
	o.owners = &owners;
	/* the one-id cache is the user's alone (0700): such a file keeps
	 * its setuid/setgid bits, which a write in a RUN drops as on the
	 * full map's, where the file has its owner */
	o.setid_private = kind == STORE_LAYERS_SINGLE;
	o.verify.digest = digest;
	o.verify.diff_id = diff_id;
	o.stop = ensure_stop;
	r = layer_extract_new(layers, hex, fd, &o, NULL, err);
	layer_owners_clear(&owners);
	if (r == 0)
		return 0;
	/* another kiln unpacked it meanwhile: its rename won, ours lost */
	if ((err->errnum == ENOTEMPTY || err->errnum == EEXIST) && is_dir_at(layers, hex)) {
		kerr_clear(err);
		return 0;
	}
	if (err->errnum == EINTR)
		return -1;
	if (blob_damaged(fd, digest))
		return kerr_wrap(err, "layer '%s' is damaged in the store ('kiln fsck --repair' "
				 "removes what names it)", digest);
	return kerr_wrap(err, "layer '%s'", digest);
}

/* ---- snapshots ---- */

/* kiln/snapshots.lock: creators hold it shared from the mkdir of a ".new-"
 * folder to its rename (or removal), so a sweep that takes it exclusively
 * knows that every ".new-" folder left is a dead process's */
static int create_lock(int kilnfd, int op)
{
	int fd = openat(kilnfd, "snapshots.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd >= 0 && flock(fd, op) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* the ".new-" folders of processes killed before their rename; none when a
 * creator is on its way, as one of them may be its: the next sweep takes
 * them */
static void sweep_new(int kilnfd, int snapsfd)
{
	cleanup_close int lk = create_lock(kilnfd, LOCK_EX | LOCK_NB);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (lk < 0)
		return;
	fd = fcntl(snapsfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);	/* the dup shares its offset with every other */
	while ((de = readdir(d))) {
		struct kerr e = KERR_INIT;

		if (!strncmp(de->d_name, ".new-", 5) &&
		    snapshot_remove_tree(snapsfd, de->d_name, &e) < 0)
			log_debug("stale snapshot '%s' stays: %s", de->d_name, e.msg);
		kerr_clear(&e);
	}
}

/* Is name's merged root a mount in this namespace? A snapshot of another
 * kiln's namespace never is, here. */
static bool mounted_here(int snapsfd, const char *name)
{
	cleanup_free char *merged = xasprintf("%s/merged", name);
	struct stat dir, root;

	return fstatat(snapsfd, name, &dir, AT_SYMLINK_NOFOLLOW) == 0 &&
	       fstatat(snapsfd, merged, &root, AT_SYMLINK_NOFOLLOW) == 0 &&
	       dir.st_dev != root.st_dev;
}

/* Folders of kiln processes that died: nobody holds their lock any more.
 * Their mounts went with their namespaces, but for a stage child killed
 * outright, which shares kiln's: unmounted first, never emptied through.
 * Returns how many are mounted here and still locked. */
static size_t sweep_stale(int snapsfd)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = fcntl(snapsfd, F_DUPFD_CLOEXEC, 0);
	size_t held = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);	/* the dup shares its offset with every other */
	while ((de = readdir(d))) {
		cleanup_free char *lock = NULL;
		cleanup_close int lk = -1;
		struct kerr e = KERR_INIT;

		if (de->d_name[0] == '.')
			continue;
		lock = xasprintf("%s/lock", de->d_name);
		lk = openat(snapsfd, lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (lk < 0)
			continue;
		if (flock(lk, LOCK_EX | LOCK_NB) < 0) {
			held += mounted_here(snapsfd, de->d_name);
			continue;
		}
		if (mounted_here(snapsfd, de->d_name)) {
			cleanup_free char *merged = xasprintf("/proc/self/fd/%d/%s/merged", snapsfd,
							      de->d_name);

			if (umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0) {
				log_debug("stale snapshot '%s' stays mounted: %s", de->d_name,
					  strerror(errno));
				continue;
			}
		}
		if (snapshot_remove_tree(snapsfd, de->d_name, &e) < 0)
			log_debug("stale snapshot '%s' stays: %s", de->d_name, e.msg);
		kerr_clear(&e);
	}
	return held;
}

void snapshot_sweep(struct store *st)
{
	cleanup_close int fd = openat(st->kilnfd, "snapshots", O_RDONLY | O_DIRECTORY |
				      O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		sweep_new(st->kilnfd, fd);
	/* a killed process's own children (the RUN sandbox's monitor) hold
	 * its lock until they are gone too, a moment later */
	for (int i = 0; fd >= 0 && sweep_stale(fd) && i < 200; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
}

/* s's folder as name: made under a dot name, which the stale sweep passes
 * by, and shown under its own only once its lock is held; one that fails
 * on the way goes before the create lock does */
static int make_locked(struct snapshot *s, const char *name, struct kerr *err)
{
	cleanup_close int create = create_lock(s->st->kilnfd, LOCK_SH);
	cleanup_free char *tmp = xasprintf(".new-%s", name);
	struct kerr e = KERR_INIT;

	if (create < 0)
		return kerr_errno(err, errno, "cannot lock '%s/kiln/snapshots.lock'", s->st->root);
	if (mkdirat(s->snapsfd, tmp, 0700) < 0)
		return kerr_errno(err, errno, "cannot create a snapshot in '%s/kiln/snapshots'",
				  s->st->root);
	s->dirfd = openat(s->snapsfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd < 0) {
		kerr_errno(err, errno, "cannot open snapshot '%s'", tmp);
		goto fail;
	}
	s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		kerr_errno(err, errno, "cannot lock snapshot '%s'", tmp);
		goto fail;
	}
	if (renameat(s->snapsfd, tmp, s->snapsfd, name) < 0) {
		kerr_errno(err, errno, "cannot create snapshot '%s'", name);
		goto fail;
	}
	s->name = xstrdup(name);
	return 0;
fail:
	if (snapshot_remove_tree(s->snapsfd, tmp, &e) < 0)
		log_warn("cannot remove snapshot '%s': %s", tmp, e.msg);
	kerr_clear(&e);
	return -1;
}

static int make_dirs(struct snapshot *s, struct kerr *err)
{
	static const char *const sub[] = { "upper", "work", "merged" };
	cleanup_free char *root = NULL;
	unsigned char rnd[8];
	char name[2 * sizeof(rnd) + 1];

	if (mkdirat(s->st->kilnfd, "snapshots", 0700) < 0 && errno != EEXIST)
		return kerr_errno(err, errno, "cannot create '%s/kiln/snapshots'", s->st->root);
	s->snapsfd = openat(s->st->kilnfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
	if (s->snapsfd < 0)
		return kerr_errno(err, errno, "cannot open '%s/kiln/snapshots'", s->st->root);
	sweep_new(s->st->kilnfd, s->snapsfd);
	sweep_stale(s->snapsfd);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return kerr_errno(err, errno, "getrandom");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(name + 2 * i, 3, "%02x", rnd[i]);
	if (make_locked(s, name, err) < 0)
		return -1;
	/* the merged root takes its mode from these, as unpacked layer
	 * roots have it */
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (mkdirat(s->dirfd, sub[i], 0755) < 0 || fchmodat(s->dirfd, sub[i], 0755, 0) < 0)
			return kerr_errno(err, errno, "cannot create '%s/%s'", name, sub[i]);
	root = realpath(s->st->root, NULL);
	if (!root)
		return kerr_errno(err, errno, "cannot resolve '%s'", s->st->root);
	s->rootfs = xasprintf("%s/kiln/snapshots/%s/merged", root, name);
	return 0;
}

static int open_root(struct snapshot *s, struct kerr *err)
{
	s->rootfd = open(s->rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->rootfd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", s->rootfs);
	return 0;
}

static int make_copy(struct snapshot *s, const char *const *diff_ids, size_t n,
		     struct kerr *err)
{
	cleanup_close int merged = openat(s->dirfd, "merged", O_RDONLY | O_DIRECTORY |
					  O_NOFOLLOW | O_CLOEXEC);

	if (merged < 0)
		return kerr_errno(err, errno, "cannot open '%s'", s->rootfs);
	/* an overlay that would not mount named them already */
	strvec_clear(&s->lowers);
	for (size_t i = 0; i < n; i++) {
		const char *hex = diff_id_hex(diff_ids[i], err);
		cleanup_close int src = -1;

		if (!hex)
			return -1;
		src = openat(s->layersfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (src < 0)
			return kerr_errno(err, errno, "cannot open unpacked layer '%s'", diff_ids[i]);
		if (snapshot_copy_layer(src, merged, diff_ids[i], err) < 0)
			return -1;
		strvec_push(&s->lowers, hex);
	}
	s->kind = SNAPSHOT_COPY;
	if (open_root(s, err) < 0)
		return -1;
	return layer_tree_record(s->rootfd, &s->rec, err);
}

static int make_overlay(struct snapshot *s, const char *const *diff_ids, size_t n,
			struct kerr *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *hex = diff_id_hex(diff_ids[i], err);

		if (!hex)
			return -1;
		strvec_push(&s->lowers, hex);
	}
	if (snapshot_overlay_mount(s, diff_ids, n, err) < 0)
		return -1;
	s->mounted = true;
	s->kind = SNAPSHOT_OVERLAY;
	return open_root(s, err);
}

int snapshot_new(struct snapshot **out, struct store *st, enum snapshot_kind kind,
		 const char *const *diff_ids, size_t n, struct kerr *err)
{
	/* once overlayfs failed, later snapshots of this process copy */
	static bool no_overlay;
	struct snapshot *s = xcalloc(1, sizeof(*s));
	int r;

	*out = NULL;
	s->st = st;
	s->snapsfd = s->dirfd = s->lockfd = s->rootfd = s->layersfd = -1;
	if (kind == SNAPSHOT_OVERLAY && !IS_ENABLED(CONFIG_OVERLAY)) {
		free(s);
		return kerr_input(err, "this kiln was built without overlayfs snapshots");
	}
	if (store_hold(st, err) < 0 || make_dirs(s, err) < 0 ||
	    (s->layersfd = store_layers_dirfd(st, snapshot_map_kind(), err)) < 0) {
		snapshot_free(s);
		return -1;
	}
	if (kind == SNAPSHOT_AUTO && (!IS_ENABLED(CONFIG_OVERLAY) || no_overlay))
		kind = SNAPSHOT_COPY;
	if (kind == SNAPSHOT_COPY) {
		r = make_copy(s, diff_ids, n, err);
	} else if (IS_ENABLED(CONFIG_OVERLAY)) {
		r = make_overlay(s, diff_ids, n, err);
		/* a layer missing from the cache is no reason to copy */
		if (r < 0 && kind == SNAPSHOT_AUTO && !s->mounted && err->kind != KERR_INPUT &&
		    err->errnum != ENOENT) {
			log_info("overlayfs is not available (%s): copying layers instead", err->msg);
			kerr_clear(err);
			no_overlay = true;
			r = make_copy(s, diff_ids, n, err);
		}
	} else {
		r = -1;
	}
	if (r < 0) {
		snapshot_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

const char *snapshot_rootfs(const struct snapshot *s)
{
	return s->rootfs;
}

int snapshot_rootfd(const struct snapshot *s)
{
	return s->rootfd;
}

enum snapshot_kind snapshot_kind_of(const struct snapshot *s)
{
	return s->kind;
}

static int cmp_owner(const void *a, const void *b)
{
	return strcmp(((const struct layer_owner *)a)->path, ((const struct layer_owner *)b)->path);
}

int snapshot_set_owner(struct snapshot *s, const char *path, unsigned uid, unsigned gid,
		       struct kerr *err)
{
	cleanup_free char *clean = NULL;
	size_t lo = 0, hi = s->nowners;

	while (*path == '/')
		path++;
	clean = path_clean(path);
	if (!strcmp(clean, ".") || path_escapes(clean))
		return kerr_input(err, "'%s' is not a path inside the root", path);
	/* the first record not before clean: the path's own, or its place */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->owners[mid].path, clean) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nowners && !strcmp(s->owners[lo].path, clean)) {
		s->owners[lo].uid = uid;
		s->owners[lo].gid = gid;
		return 0;
	}
	s->owners = xgrow(s->owners, sizeof(*s->owners), s->nowners + 1, &s->aowners);
	if (lo < s->nowners)
		memmove(&s->owners[lo + 1], &s->owners[lo],
			(s->nowners - lo) * sizeof(*s->owners));
	s->owners[lo] = (struct layer_owner){ steal_ptr(clean), uid, gid };
	s->nowners++;
	return 0;
}

int snapshot_owner(struct snapshot *s, const char *path, const struct stat *st,
		   struct layer_owner *out, struct kerr *err)
{
	struct layer_owner *hit = NULL;

	if (s->nowners)
		hit = bsearch(&(struct layer_owner){ .path = path }, s->owners, s->nowners,
			      sizeof(*s->owners), cmp_owner);
	if (hit) {
		*out = *hit;
		return 1;
	}
	if (st->st_uid || st->st_gid)
		return 0;
	return snapshot_lower_owner(s, path, out, err);
}

/* the overlay's lowers for the diff to look up the upper's directories
 * in; O_PATH, as the mount had them */
static int open_lowers(const struct snapshot *s, int *fds, struct kerr *err)
{
	for (size_t i = 0; i < s->lowers.n; i++) {
		fds[i] = openat(s->layersfd, s->lowers.v[i],
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0)
			return kerr_errno(err, errno, "cannot open unpacked layer 'sha256:%s'",
					  s->lowers.v[i]);
	}
	return 0;
}

static int diff_upper(struct snapshot *s, struct layer_writer *lw, struct layer_diff_opts *d,
		      bool *empty, struct kerr *err)
{
	cleanup_close int upper = openat(s->dirfd, "upper", O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);
	int *lowers = xcalloc(s->lowers.n ? s->lowers.n : 1, sizeof(*lowers));
	int r;

	for (size_t i = 0; i < s->lowers.n; i++)
		lowers[i] = -1;
	if (upper < 0)
		r = kerr_errno(err, errno, "cannot open '%s/upper'", s->name);
	else
		r = open_lowers(s, lowers, err);
	if (r == 0) {
		d->lowers = lowers;
		d->nlowers = s->lowers.n;
		r = layer_diff_upper(upper, lw, d, empty, err);
	}
	for (size_t i = 0; i < s->lowers.n; i++)
		if (lowers[i] >= 0)
			close(lowers[i]);
	free(lowers);
	return r;
}

int snapshot_diff(struct snapshot *s, int out_fd, const struct layer_opts *o,
		  struct layer_result *res, bool *empty, struct kerr *err)
{
	struct layer_diff_opts d = { s->owners, s->nowners, o->no_xattrs, NULL, 0,
				     snapshot_lower_owner, s };
	struct layer_writer *lw;
	int r;

	*empty = true;
	memset(res, 0, sizeof(*res));
	if (layer_writer_new(&lw, out_fd, o, err) < 0)
		return -1;
	if (s->kind == SNAPSHOT_OVERLAY)
		r = diff_upper(s, lw, &d, empty, err);
	else
		r = layer_diff_tree(s->rootfd, s->rec, lw, &d, empty, err);
	/* nothing changed: no layer, so no archive either */
	if (r == 0 && !*empty)
		r = layer_writer_finish(lw, res, err);
	layer_writer_free(lw);
	return r;
}

void snapshot_free(struct snapshot *s)
{
	struct kerr e = KERR_INIT;

	if (!s)
		return;
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->mounted && umount2(s->rootfs, MNT_DETACH) < 0)
		log_warn("cannot unmount '%s': %s", s->rootfs, strerror(errno));
	if (s->name && s->snapsfd >= 0 && snapshot_remove_tree(s->snapsfd, s->name, &e) < 0)
		log_warn("cannot remove snapshot '%s': %s", s->name, e.msg);
	kerr_clear(&e);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->snapsfd >= 0)
		close(s->snapsfd);
	layer_tree_record_free(s->rec);
	snapshot_tables_free(s);
	strvec_clear(&s->lowers);
	for (size_t i = 0; i < s->nowners; i++)
		free((char *)s->owners[i].path);
	free(s->owners);
	free(s->rootfs);
	free(s->name);
	free(s);
}
