/* extract.h: applies a layer to a root directory as OCI's layer.md says:
 * files, links, devices, attributes and whiteouts, nothing outside the root. */
#ifndef KILN_LAYER_EXTRACT_H
#define KILN_LAYER_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layer/bounds.h"
#include "layer/input.h"
#include "layer/owners.h"
#include "util/err.h"

enum layer_mode {
	/* whiteouts delete from the lower layers already in the root */
	LAYER_MERGE,
	/* the layer alone, as an overlayfs lower mounted with userxattr:
	 * whiteouts become 0/0 char devices, opaque dirs an xattr */
	LAYER_OVERLAY,
};

/* ids container..container+size-1 become host.. on disk */
struct layer_idmap {
	uint32_t container, host, size;
};

struct layer_extract_opts {
	enum layer_mode mode;
	int chown;		/* lchown to the archive's (mapped) ids */
	const struct layer_idmap *uid_map;	/* NULL: identity */
	size_t n_uid_map;
	const struct layer_idmap *gid_map;
	size_t n_gid_map;
	struct layer_input_opts verify;	/* used by _fd and _new */
	struct tar_limits limits;
	/* with chown: an owner the kernel refuses with EINVAL (an id outside
	 * the user namespace's map) is left as created, setuid/setgid bits
	 * dropped as without chown, and one warning said per layer */
	int chown_lenient;
	/* with chown_lenient: gets the owners the kernel refused, per path
	 * as the archive left it, hardlinks too; finished when
	 * layer_extract returns 0. The caller clears it. */
	struct layer_owners *owners;
	/* nobody else can reach the root (a 0700 folder): setuid/setgid
	 * bits stay on a file whose owner was not given, as on the image's
	 * (the kernel then drops them as it would there, on a write) */
	int setid_private;
	/* every entry is owned by force_uid:force_gid, whatever the archive
	 * says (ADD --chown of an archive, as BuildKit does it) */
	int force_owner;
	uint32_t force_uid, force_gid;
	/* asked between entries: true stops the unpack with EINTR
	 * ("interrupted"), so a stop need not wait for a big layer */
	bool (*stop)(void);
};

#define LAYER_EXTRACT_OPTS_INIT { LAYER_MERGE, 0, NULL, 0, NULL, 0, \
	LAYER_INPUT_OPTS_INIT, TAR_LIMITS_INIT, 0, NULL, 0, 0, 0, 0, NULL }

struct layer_extract_stats {
	unsigned long long entries;
	unsigned long long files, dirs, symlinks, hardlinks, specials;
	unsigned long long whiteouts;
	unsigned long long skipped;	/* devices or xattrs kiln may not create */
	unsigned long long bytes;	/* content of regular files */
};

/*
 * Unpacks the tar stream of in onto the directory rootfd, then reads the
 * rest of in and checks its digests (layer_input_finish). On error the
 * root holds part of the layer. stats may be NULL.
 */
int layer_extract(int rootfd, struct layer_input *in, const struct layer_extract_opts *opts,
		  struct layer_extract_stats *stats, struct kerr *err);
/* the same from a blob open at fd, checked against opts->verify */
int layer_extract_fd(int rootfd, int fd, const struct layer_extract_opts *opts,
		     struct layer_extract_stats *stats, struct kerr *err);
/* Unpacks into a temporary sibling of parentfd/name and renames it to name
 * on success; any failure (a digest mismatch too) leaves no directory.
 * With opts->owners, the table is stored as name.owners beside it before
 * the rename (layer_owners_store), so a published layer always has its. */
int layer_extract_new(int parentfd, const char *name, int fd,
		      const struct layer_extract_opts *opts,
		      struct layer_extract_stats *stats, struct kerr *err);

#endif
