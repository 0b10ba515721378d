/* archive-int.h: private to the archive loader: blobs held in kiln/ingest
 * until the whole input checked out, and the images found in it. */
#ifndef KILN_STORE_ARCHIVE_INT_H
#define KILN_STORE_ARCHIVE_INT_H

#include <stdbool.h>

#include "store/archive.h"

struct staged {
	char *path;		/* in the archive */
	struct store_blob b;	/* fd closed between writing and commit */
	char digest[DIGEST_STR_LEN];
	bool used;		/* an image needs it: commit, else drop */
};

struct loaded_image {
	struct oci_descriptor desc;	/* what index.json gets */
	struct strbuf manifest;		/* a manifest made here (docker), else empty */
	char *id;			/* config digest, for "Loaded image ID" */
	struct strvec tags;
};

struct archive_load {
	struct store *st;
	int dirfd;		/* an OCI layout directory, or -1 for a tar */
	struct staged *s;
	size_t ns, ns_alloc;
	struct strbuf manifest_json, index_json;
	bool has_manifest_json, has_index_json, has_layout;
	struct loaded_image *imgs;
	size_t nimgs, imgs_alloc;
};

/* the staged entry at path, or at blobs/sha256/<hex> of digest (staged from
 * the directory on first use); NULL with an input error when absent */
struct staged *archive_by_path(struct archive_load *l, const char *path, struct kerr *err);
struct staged *archive_by_digest(struct archive_load *l, const char *digest, struct kerr *err);
/* a staged blob's content, at most limit bytes */
int archive_read(struct archive_load *l, struct staged *s, size_t limit, struct strbuf *out,
		 struct kerr *err);
/* an fd reading a staged blob from its start */
int archive_open(struct archive_load *l, struct staged *s, struct kerr *err);
struct loaded_image *archive_add_image(struct archive_load *l);

/* fill l->imgs from manifest.json / index.json */
int archive_read_docker(struct archive_load *l, struct kerr *err);
int archive_read_oci(struct archive_load *l, struct kerr *err);

#endif
