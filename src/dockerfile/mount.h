/* mount.h: RUN --mount=type=cache,target=/root/.cache,... parsed into a
 * structure, with every key and check BuildKit has. */
#ifndef KILN_DOCKERFILE_MOUNT_H
#define KILN_DOCKERFILE_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

enum df_mount_type {
	DF_MOUNT_BIND,		/* the default */
	DF_MOUNT_CACHE,
	DF_MOUNT_TMPFS,
	DF_MOUNT_SECRET,
	DF_MOUNT_SSH,
};

enum df_mount_sharing {
	DF_SHARING_UNSET,	/* a cache mount then shares */
	DF_SHARING_SHARED,
	DF_SHARING_PRIVATE,
	DF_SHARING_LOCKED,
};

struct df_mount {
	enum df_mount_type type;
	char *from;		/* a stage or image; NULL: the context (bind) or scratch */
	char *source;		/* src= */
	char *target;		/* target=, dst=, destination= */
	char *id;		/* cache or secret id */
	char *env;		/* secret as this environment variable; NULL when not given */
	enum df_mount_sharing sharing;
	bool readonly;		/* ro/rw as given, else true except for cache and tmpfs */
	bool required;		/* secret and ssh: fail when not provided */
	bool has_mode, has_uid, has_gid;
	uint32_t mode, uid, gid;	/* secret, ssh and cache */
	int64_t size;		/* tmpfs: limit in bytes, 0 for none */
};

/*
 * Expands a value before it is used ($VAR in target=... and the others, as
 * BuildKit does with the build args in scope): *out is a new string. NULL
 * takes values as written.
 */
typedef int (*df_mount_expand_fn)(void *ctx, const char *in, char **out, struct kerr *err);

/*
 * Parses the value of one --mount flag (CSV: "key=value" fields, quotes
 * allowed) into m. Errors (kind KERR_INPUT) name the key or value, like
 * "unexpected key 'foo' in 'foo=bar'". Release m with df_mount_release.
 */
int df_parse_mount(const char *spec, df_mount_expand_fn expand, void *ctx,
		   struct df_mount *m, struct kerr *err);
void df_mount_release(struct df_mount *m);

/* "bind", "cache", ... */
const char *df_mount_type_name(enum df_mount_type t);
/* "shared", "private", "locked", "" when unset */
const char *df_mount_sharing_name(enum df_mount_sharing s);

#endif
