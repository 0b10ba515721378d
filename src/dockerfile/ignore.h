/* ignore.h: .dockerignore: which paths of the build context stay out of the
 * build, by moby's patternmatcher rules as BuildKit applies them in a walk. */
#ifndef KILN_DOCKERFILE_IGNORE_H
#define KILN_DOCKERFILE_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/*
 * Patterns, in file order. Each is cleaned like a path ("./a/" is "a", a
 * leading '/' is dropped) and matched against the whole slash-separated
 * path relative to the context root: '*' and '?' stay within one name,
 * "[a-z]" and "[^a-z]" are character classes, '\' escapes, "**" spans any
 * number of directories ("**" + "/x" also matches "x"). "!pattern" is an
 * exception: the last pattern that matches decides. A directory that is
 * excluded takes everything under it along, unless an exception names
 * something inside it.
 */
struct df_ignore;

enum df_ignore_verdict {
	DF_IGNORE_KEEP = 0,	/* part of the context */
	DF_IGNORE_EXCLUDE,	/* left out; a directory's entries still need checking */
	DF_IGNORE_SKIP_DIR,	/* an excluded directory that no exception can reach
				 * into: a walk need not descend (node_modules/) */
};

struct df_ignore *df_ignore_new(void);
void df_ignore_free(struct df_ignore *ig);

/*
 * Adds one line as .dockerignore has it: a '#' in the first column makes it
 * a comment, surrounding white space goes, an empty line adds nothing. A
 * malformed pattern ("!" alone, "[" unclosed, a trailing '\') is an error.
 */
int df_ignore_add(struct df_ignore *ig, const char *line, struct kerr *err);

/* Adds every line of a file's text; name is for messages ("name:line: ..."). */
int df_ignore_parse(struct df_ignore *ig, const char *text, size_t len, const char *name,
		    struct kerr *err);

/*
 * The patterns of a build, chosen as BuildKit does: "<dockerfile>.dockerignore"
 * (the Dockerfile's path plus ".dockerignore", so "ci/app.Dockerfile" reads
 * "ci/app.Dockerfile.dockerignore") when that file exists, even empty; else
 * ".dockerignore" in the context directory; else no patterns. dockerfile
 * is the path as the user named it, or NULL (read from stdin).
 */
int df_ignore_load(const char *context_dir, const char *dockerfile, struct df_ignore **out,
		   struct kerr *err);

/* the file the patterns came from, or NULL */
const char *df_ignore_source(const struct df_ignore *ig);
size_t df_ignore_count(const struct df_ignore *ig);
bool df_ignore_has_exceptions(const struct df_ignore *ig);

/*
 * The verdict for path (relative to the context, cleaned, no leading '/')
 * on its own: its parent directories are evaluated first, as a walk would.
 * is_dir allows DF_IGNORE_SKIP_DIR. "." and "" are always kept.
 */
enum df_ignore_verdict df_ignore_match(const struct df_ignore *ig, const char *path,
				       bool is_dir);

/*
 * The same during a walk, without re-evaluating the parents: each directory
 * keeps the df_ignore_state_size() bytes that state receives and hands them
 * to its entries as parent (NULL for entries of the context root). state
 * may be NULL for entries that are not directories.
 */
size_t df_ignore_state_size(const struct df_ignore *ig);
enum df_ignore_verdict df_ignore_check(const struct df_ignore *ig, const char *path,
				       bool is_dir, const unsigned char *parent,
				       unsigned char *state);

/*
 * Makes sure path is sent even when a pattern excludes it, by appending an
 * exception for exactly that path, as docker does for the Dockerfile and
 * the ignore file when they lie inside the context.
 */
void df_ignore_keep(struct df_ignore *ig, const char *path);

#define cleanup_df_ignore __attribute__((cleanup(df_ignore_freep)))
static inline void df_ignore_freep(struct df_ignore **ig)
{
	df_ignore_free(*ig);
}

#endif
