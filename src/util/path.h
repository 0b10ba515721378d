/* path.h: paths as text (lexical cleaning) and paths inside a root
 * directory, walked fd-relative so that '..' and symlinks cannot lead out. */
#ifndef KILN_UTIL_PATH_H
#define KILN_UTIL_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

/* Lexical clean as Go's path.Clean: one '/' between names, no '.', '..'
 * folded where possible ('/..' is '/'), "" becomes ".". Caller frees. */
char *path_clean(const char *p);
/* a + "/" + b, cleaned; b absolute is taken relative to a. Caller frees. */
char *path_join(const char *a, const char *b);
/* the last name of a cleaned path ("/" for "/", "." for "") */
const char *path_base(const char *p);
/* true when the cleaned relative path starts with ".." (leaves its base) */
bool path_escapes(const char *p);

/*
 * Opens path inside the directory rootfd as if rootfd were '/': absolute
 * symlinks and '..' resolve against the root and never above it, as with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), which is used when the
 * kernel has it. flags as for openat(2) (O_CLOEXEC is added); with O_NOFOLLOW
 * a symlink as the last component fails with ELOOP. Returns an fd or -1.
 */
int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
		      struct kerr *err);

/*
 * The path, relative to the root and cleaned ("" for the root itself), that
 * path names inside rootfd once every symlink on it is followed, the last
 * component's too, with '..' and absolute targets clamped at the root as
 * in path_open_in_root. What does not exist is kept as written, so a
 * dangling link names the path it would create (BuildKit's rule for a
 * COPY destination). Caller frees; NULL with err set on a symlink loop.
 */
char *path_resolve_in_root(int rootfd, const char *path, struct kerr *err);

/* mkdir -p of path inside rootfd; returns an O_PATH fd of the directory. */
int path_mkdirs_in_root(int rootfd, const char *path, mode_t mode, struct kerr *err);

/* For tests: 1 forces the portable walk even where openat2 exists. */
extern int path_force_walk;

#endif
