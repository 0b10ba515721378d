/* rootfs-unpack.c: an image's layers applied in order onto one directory,
 * as 'kiln unpack' and 'kiln export' need it, each blob checked as it is read. */
#include <unistd.h>

#include "layer/extract.h"
#include "store/internal.h"
#include "store/rootfs.h"
#include "util/cleanup.h"

void store_rootfs_remove(int dirfd, const char *name)
{
	struct kerr ignored = KERR_INIT;
	uint64_t bytes = 0;

	store_rm_rf(dirfd, name, &bytes, &ignored);
	kerr_clear(&ignored);
}

int store_rootfs_load(struct store *st, const char *name, struct store_image *img,
		      struct kerr *err)
{
	struct oci_index idx;
	int i, r;

	/* prune must not take the blobs between resolving and reading them */
	if (store_hold(st, err) < 0 || store_index_read(st, &idx, err) < 0)
		return -1;
	i = store_resolve(st, &idx, name, err);
	r = i < 0 ? -1 : store_image_load(st, &idx.manifests[i], img, err);
	oci_index_clear(&idx);
	return r;
}

int store_rootfs_unpack(struct store *st, const struct store_image *img, int rootfd,
			bool private, struct kerr *err)
{
	const struct oci_manifest *m = &img->manifest;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;

	if (m->nlayers != img->config.diff_ids.n)
		return kerr_set(err, "image has %zu layers but %zu diff_ids", m->nlayers,
				img->config.diff_ids.n);
	/* ownership from the archive only where we may give it away */
	o.chown = geteuid() == 0;
	o.setid_private = private;
	for (size_t i = 0; i < m->nlayers; i++) {
		cleanup_close int fd = store_blob_open(st, m->layers[i].digest, err);

		if (fd < 0)
			return -1;
		o.verify.digest = m->layers[i].digest;
		o.verify.diff_id = img->config.diff_ids.v[i];
		if (layer_extract_fd(rootfd, fd, &o, NULL, err) < 0)
			return kerr_wrap(err, "layer '%s'", m->layers[i].digest);
	}
	return 0;
}
