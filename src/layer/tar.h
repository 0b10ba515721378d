/* tar.h: one archive entry as kiln's tar writer emits it and its reader
 * returns it, shared by both directions of src/layer/. */
#ifndef KILN_LAYER_TAR_H
#define KILN_LAYER_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAR_REG		'0'
#define TAR_LINK	'1'	/* hardlink: linkname is an earlier entry's path */
#define TAR_SYMLINK	'2'
#define TAR_CHR		'3'
#define TAR_BLK		'4'
#define TAR_DIR		'5'
#define TAR_FIFO	'6'

#define TAR_BLOCK 512

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
/* at the top of an unpacked layer whose whiteouts are ".wh." files (a
 * filesystem that holds neither 0/0 devices nor user xattrs): overlayfs
 * cannot take it as a lower. No tar entry can make it (aufs' names are
 * skipped). */
#define WHITEOUT_AS_FILES ".wh..wh..kiln"

struct tar_xattr {
	char *name;
	unsigned char *value;
	size_t len;
};

struct tar_entry {
	char *path;		/* relative, cleaned, no "./" prefix, no trailing '/' */
	char *linkname;
	char type;
	mode_t mode;		/* permission bits with setuid/setgid/sticky, no S_IFMT */
	uid_t uid;
	gid_t gid;
	uint64_t size;
	int64_t mtime;
	uint32_t mtime_nsec;
	unsigned int devmajor, devminor;
	struct tar_xattr *xattrs;
	size_t nxattrs;
};

#define TAR_ENTRY_INIT { NULL, NULL, TAR_REG, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0 }

/* frees strings and xattrs, resets to TAR_ENTRY_INIT */
void tar_entry_clear(struct tar_entry *e);
void tar_entry_add_xattr(struct tar_entry *e, const char *name, const void *value,
			 size_t len);

#endif
