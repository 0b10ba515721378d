/* archive.h: images in and out of single files: docker-archive (what
 * 'docker save' writes) and oci-archive (a tar of an OCI image layout). */
#ifndef KILN_STORE_ARCHIVE_H
#define KILN_STORE_ARCHIVE_H

#include "store/store.h"

enum store_archive_format {
	STORE_ARCHIVE_DOCKER,
	STORE_ARCHIVE_OCI,
};

/*
 * Writes the images names[0..n) name as one tar to out_fd: entries in byte
 * order of their paths, mtime 0, owner 0:0, blobs as the store holds them
 * (gzip layers stay gzip). Each name goes into the archive: RepoTags in a
 * docker-archive, a ref.name annotation in an oci-archive.
 */
int store_archive_save(struct store *st, char **names, size_t n,
		       enum store_archive_format fmt, int out_fd, struct kerr *err);

/*
 * The same images as the files of an oci-archive, into the directory
 * dirfd: an OCI image layout (buildx's -o type=oci,tar=false). Blobs the
 * layout has are kept; so are the entries of its index.json but those
 * whose names the new images take. Writers of one layout take turns
 * (flock on dirfd), so each keeps what the one before it wrote.
 */
int store_layout_save(struct store *st, char **names, size_t n, int dirfd, struct kerr *err);

/*
 * Reads a docker-archive or an oci-archive (plain or gzip'ed tar) from fd,
 * or an OCI layout from the directory dirfd (fd -1). Every blob is checked
 * against its digest and held in kiln/ingest until the whole input is read
 * and checked; only then are blobs committed and names written, so a bad
 * input leaves the store as it was. loaded gets "Loaded image: NAME" and
 * "Loaded image ID: sha256:..." lines.
 */
int store_archive_load(struct store *st, int fd, int dirfd, struct strvec *loaded,
		       struct kerr *err);

#endif
