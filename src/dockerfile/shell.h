/* shell.h: word expansion as BuildKit does it for FROM, ENV, ARG, COPY and the
 * other instructions: quotes, the escape char, $VAR and ${VAR...} forms. */
#ifndef KILN_DOCKERFILE_SHELL_H
#define KILN_DOCKERFILE_SHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strvec.h"

/*
 * The names an expansion looked up, each once, in the order first seen.
 * Every lookup counts, also one whose result was not needed (the default of
 * ${SET:-$OTHER} is expanded too): BuildKit reports the same, and the build
 * uses it for the cache key and the unused-build-arg warning. One df_used
 * may collect across many expansions.
 */
struct df_used {
	struct strvec set;	/* found in the environment */
	struct strvec unset;	/* looked up but not set */
};

#define DF_USED_INIT { STRVEC_INIT, STRVEC_INIT }

void df_used_clear(struct df_used *u);
/* true when name was looked up and found */
bool df_used_has(const struct df_used *u, const char *name);

/*
 * Where names are looked up. vars holds "NAME=value" entries, a later entry
 * overriding an earlier one (ARG after ENV, --build-arg after ARG); an entry
 * without '=' is set and empty. When vars lacks a name, lookup (if given) is
 * asked; it returns the value, or NULL for unset. A set but empty variable
 * and an unset one differ: ${X-d} and ${X?} tell them apart.
 */
struct df_env {
	const char *const *vars;
	size_t nvars;
	const char *(*lookup)(void *ctx, const char *name);
	void *ctx;
	struct df_used *used;	/* optional: every name looked up lands here */
};

/* a df_env over a strvec of "NAME=value" (the strvec must outlive it) */
#define DF_ENV_STRVEC(sv) { (const char *const *)(sv)->v, (sv)->n, NULL, NULL, NULL }

/* The value of name, or NULL when unset; does not record a use. */
const char *df_env_get(const struct df_env *env, const char *name);

/*
 * Expands in as one word: quotes removed, escapes applied, variables
 * replaced, white space kept (ENV, LABEL, WORKDIR, USER, FROM ...). escape
 * is the Dockerfile's escape char, '\\' or '`'. env may be NULL (nothing
 * set). On success *out is a new string the caller frees; on failure (an
 * unterminated quote, "${}", a bad modifier, ${X?} of an unset X, ...) err
 * says what and where, with kind KERR_INPUT.
 */
int df_expand_word(const char *in, char escape, const struct df_env *env,
		   char **out, struct kerr *err);

/*
 * Expands in and splits it into words, as for COPY/ADD sources and the
 * shell form of the exec-like instructions: white space outside quotes
 * separates words, and so does white space inside the value of an unquoted
 * expansion ($X with X="a b" gives two words, "$X" one). Empty words are
 * dropped, also a quoted "" standing alone. Words are appended to out.
 */
int df_expand_words(const char *in, char escape, const struct df_env *env,
		    struct strvec *out, struct kerr *err);

#endif
