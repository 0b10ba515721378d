/* store.c: finding, creating and opening the store, its locks, and the
 * unpacked-layer directory. Creation is safe against concurrent kiln
 * processes: directories by mkdir, files by atomic rename under a lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "image/media.h"
#include "store/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char empty_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[]}";
static const char layout_file[] = "{\"imageLayoutVersion\":\"" OCI_LAYOUT_VERSION "\"}";

char *store_default_root(struct kerr *err)
{
	const char *s;

	if (kiln_globals.root && *kiln_globals.root)
		return xstrdup(kiln_globals.root);
	s = getenv("KILN_ROOT");
	if (s && *s)
		return xstrdup(s);
	s = getenv("XDG_DATA_HOME");
	if (s && *s == '/')
		return xasprintf("%s/kiln", s);
	s = getenv("HOME");
	if (s && *s == '/')
		return xasprintf("%s/.local/share/kiln", s);
	kerr_input(err, "cannot find the image store: HOME is not set; use --root DIR");
	return NULL;
}

int store_open(struct store *st, struct kerr *err)
{
	cleanup_free char *root = store_default_root(err);

	if (!root)
		return -1;
	return store_open_root(st, root, err);
}

/* dirfd/name, made when missing; in is its folder in the store ("kiln/")
 * for messages */
static int open_dir(int dirfd, const char *name, const char *root, const char *in,
		    struct kerr *err)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return kerr_errno(err, errno, "cannot create '%s/%s%s'", root, in, name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s/%s%s'", root, in, name);
	return fd;
}

int store_lock(struct store *st, const char *name, int op, struct kerr *err)
{
	int fd = openat(st->kilnfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s/kiln/%s'", st->root, name);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		kerr_errno(err, errno, "cannot lock '%s/kiln/%s'", st->root, name);
		close(fd);
		return -1;
	}
	return fd;
}

/* oci-layout and index.json appear whole, once, under the index lock */
static int init_files(struct store *st, struct kerr *err)
{
	struct stat sb;
	cleanup_close int lk = -1;

	if (!fstatat(st->dirfd, "index.json", &sb, 0) &&
	    !fstatat(st->dirfd, MT_OCI_LAYOUT_FILE, &sb, 0))
		return 0;
	lk = store_lock(st, "index.lock", LOCK_EX, err);
	if (lk < 0)
		return -1;
	if (fstatat(st->dirfd, MT_OCI_LAYOUT_FILE, &sb, 0) < 0 &&
	    atomic_write_at(st->dirfd, MT_OCI_LAYOUT_FILE, layout_file, strlen(layout_file),
			    0644, err) < 0)
		return -1;
	if (fstatat(st->dirfd, "index.json", &sb, 0) < 0 &&
	    atomic_write_at(st->dirfd, "index.json", empty_index, strlen(empty_index),
			    0644, err) < 0)
		return -1;
	return 0;
}

int store_open_root(struct store *st, const char *root, struct kerr *err)
{
	cleanup_close int blobs = -1;

	*st = (struct store)STORE_INIT;
	st->root = xstrdup(root);
	if (mkdir_p(root, 0755, err) < 0)
		goto out_close;
	st->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		kerr_errno(err, errno, "cannot open the store '%s'", root);
		goto out_close;
	}
	if ((blobs = open_dir(st->dirfd, "blobs", root, "", err)) < 0 ||
	    (st->blobsfd = open_dir(blobs, "sha256", root, "blobs/", err)) < 0 ||
	    (st->kilnfd = open_dir(st->dirfd, "kiln", root, "", err)) < 0 ||
	    (st->ingestfd = open_dir(st->kilnfd, "ingest", root, "kiln/", err)) < 0 ||
	    (st->layersfd = open_dir(st->kilnfd, "layers", root, "kiln/", err)) < 0 ||
	    init_files(st, err) < 0)
		goto out_close;
	return 0;

out_close:
	store_close(st);
	return -1;
}

void store_close(struct store *st)
{
	int *fds[] = { &st->dirfd, &st->blobsfd, &st->kilnfd, &st->ingestfd,
		       &st->layersfd, &st->gcfd, &st->single_layersfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(st->root);
	st->root = NULL;
}

int store_hold(struct store *st, struct kerr *err)
{
	if (st->gcfd >= 0)
		return 0;
	st->gcfd = store_lock(st, "gc.lock", LOCK_SH, err);
	return st->gcfd < 0 ? -1 : 0;
}

const char *store_digest_hex(const char *digest, struct kerr *err)
{
	unsigned char h[SHA256_LEN];

	if (!digest) {
		kerr_input(err, "no digest");
		return NULL;
	}
	if (digest_parse(digest, h, err) < 0)
		return NULL;
	return digest + 7;
}

int store_corrupt(struct kerr *err)
{
	err->kind = KERR_FAIL;
	return -1;
}

char *store_layer_path(struct store *st, const char *diff_id)
{
	struct kerr err = KERR_INIT;
	const char *hex = store_digest_hex(diff_id, &err);

	kerr_clear(&err);
	if (!hex)
		return NULL;
	return xasprintf("%s/kiln/layers/%s", st->root, hex);
}

static const char *const layers_dirs[STORE_LAYERS_KINDS] = {
	[STORE_LAYERS_FULL] = "layers",
	[STORE_LAYERS_SINGLE] = "layers-single",
};

const char *store_layers_name(enum store_layers kind)
{
	return kind == STORE_LAYERS_SINGLE ? "kiln/layers-single" : "kiln/layers";
}

int store_layers_dirfd(struct store *st, enum store_layers kind, struct kerr *err)
{
	if (kind == STORE_LAYERS_FULL)
		return st->layersfd;
	/* most stores never see a one-id map: no folder until one does,
	 * and nobody else's to reach, as its files keep setuid bits */
	if (st->single_layersfd < 0 && mkdirat(st->kilnfd, layers_dirs[kind], 0700) < 0 &&
	    errno != EEXIST)
		return kerr_errno(err, errno, "cannot create '%s/%s'", st->root,
				  store_layers_name(kind));
	if (st->single_layersfd < 0)
		st->single_layersfd = open_dir(st->kilnfd, layers_dirs[kind], st->root, "kiln/",
					       err);
	return st->single_layersfd;
}

int store_layers_peek(struct store *st, enum store_layers kind)
{
	return openat(st->kilnfd, layers_dirs[kind], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		      O_CLOEXEC);
}

int store_rm_rf(int dfd, const char *name, uint64_t *bytes, struct kerr *err)
{
	struct stat sb;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : kerr_errno(err, errno, "cannot remove '%s'", name);
	if (!S_ISDIR(sb.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return kerr_errno(err, errno, "cannot remove '%s'", name);
		if (S_ISREG(sb.st_mode))
			*bytes += (uint64_t)sb.st_size;
		return 0;
	}
	/* unpacked layers hold read-only directories */
	if ((sb.st_mode & 0700) != 0700)
		fchmodat(dfd, name, (sb.st_mode & 07777) | 0700, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot remove '%s'", name);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (store_rm_rf(dirfd(d), de->d_name, bytes, err) < 0)
			return kerr_wrap(err, "'%s'", name);
	}
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return kerr_errno(err, errno, "cannot remove '%s'", name);
	return 0;
}
