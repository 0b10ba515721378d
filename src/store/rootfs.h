/* rootfs.h: root filesystems in and out of the store: a tarball becomes a
 * one-layer image (import), an image's layers become a directory (unpack). */
#ifndef KILN_STORE_ROOTFS_H
#define KILN_STORE_ROOTFS_H

#include <stdbool.h>

#include "image/platform.h"
#include "store/store.h"

struct store_import_opts {
	const char *name;		/* "app:1", checked by the caller */
	const char *source;		/* what history says it came from */
	const struct oci_platform *platform;
	/* holds the --change results; import fills in created, platform,
	 * rootfs and history, and the caller clears it */
	struct img_config *config;
};

/* Reads a tar or tar.gz from fd, checks it as a tar, stores it gzip'ed as
 * the one layer of a new image and tags it; id receives the config digest.
 * A bad tarball is an input error and leaves no blob behind. */
int store_rootfs_import(struct store *st, int fd, const struct store_import_opts *o,
			char id[DIGEST_STR_LEN], struct kerr *err);

/* Applies img's layers in order onto the directory rootfd (merge mode, each
 * blob's digest and diff_id checked); the caller holds the store. private:
 * nobody else can reach rootfd (a 0700 scratch dir), so setuid/setgid bits
 * stay on files not owned as the image says, with no warning. */
int store_rootfs_unpack(struct store *st, const struct store_image *img, int rootfd,
			bool private, struct kerr *err);

/* The tree unpacked at rootfd from img as one uncompressed tar into out.
 * Run by a user who is not root, the owners and modes (setuid too) are the
 * ones img's layers give, not the ones the files on disk have. */
int store_rootfs_export(struct store *st, const struct store_image *img, int rootfd,
			int out, struct kerr *err);

/* rm -rf of dirfd/name, best effort, for clean-up after a failure */
void store_rootfs_remove(int dirfd, const char *name);

/* Loads the image name resolves to; the store is held from here on. */
int store_rootfs_load(struct store *st, const char *name, struct store_image *img,
		      struct kerr *err);

/* One Dockerfile instruction of 'import --change' applied to rc: CMD,
 * ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR. */
int store_rootfs_change(struct img_runconfig *rc, const char *change, struct kerr *err);

#endif
