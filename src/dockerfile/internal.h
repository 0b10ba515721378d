/* internal.h: what the parser's files share and nobody else needs: the
 * arena, the line reader, the per-instruction line parsers and text helpers. */
#ifndef KILN_DOCKERFILE_INTERNAL_H
#define KILN_DOCKERFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile/dockerfile.h"
#include "util/err.h"
#include "util/strbuf.h"

/* --- arena.c: one allocation pool per parsed file, freed at once --- */

struct df_arena *df_arena_new(void);
void df_arena_free(struct df_arena *a);
/* zeroed, aligned for any type; aborts on exhaustion like xmalloc */
void *df_arena_alloc(struct df_arena *a, size_t n);
/* copies n bytes and adds a NUL */
struct df_str df_arena_str(struct df_arena *a, const char *s, size_t n);
void *df_arena_memdup(struct df_arena *a, const void *p, size_t n);

/* A growable list of strings that lives until it is copied into the arena. */
struct df_strlist {
	struct df_str *v;
	size_t n, alloc;
};

void df_strlist_push(struct df_strlist *l, struct df_arena *a, const char *s, size_t n);
/* moves the list into the arena (the list is emptied, its buffer kept) */
struct df_str *df_strlist_finish(struct df_strlist *l, struct df_arena *a, size_t *n);
void df_strlist_release(struct df_strlist *l);

/* --- text.c: white space as Go's unicode.IsSpace sees it --- */

/* bytes of white space (any Unicode White_Space rune) at the start of s */
size_t df_space_prefix(const char *s, size_t n);
/* bytes of white space at the end of s */
size_t df_space_suffix(const char *s, size_t n);
/* the bytes of the white-space rune at s, 0 when s does not start with one */
size_t df_space_at(const char *s, size_t n);
/* [\t\v\f\r ], the separator of BuildKit's word-splitting regexp */
static inline bool df_is_hspace(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}
bool df_has_substr(const char *s, size_t n, const char *needle);

/* --- lexer.c: physical lines into logical lines --- */

struct df_lexer {
	const char *buf;
	size_t len;
	size_t pos;		/* start of the next physical line */
	int line;		/* physical lines consumed */
	char escape;
	bool directives_done;
	unsigned seen;		/* directives given, one bit each */
	struct df_str syntax, check;	/* .s NULL when not given */
	struct df_arena *arena;
};

void df_lexer_init(struct df_lexer *lx, const char *buf, size_t len, struct df_arena *a);
/*
 * The next logical line into out: comments and empty lines skipped,
 * continuation lines joined. Returns 1 with *start set to its first line,
 * 0 at the end of the input, -1 with err set to a message (its line in
 * *start) on a bad parser directive.
 */
int df_lexer_next(struct df_lexer *lx, struct strbuf *out, int *start, struct kerr *err);
/* The next physical line as it is, line ending included; false at the end. */
bool df_lexer_raw_line(struct df_lexer *lx, const char **s, size_t *n);

/* --- instr.c: one logical line into a node --- */

/*
 * Splits line into keyword, flags and arguments and parses the arguments as
 * the keyword's instruction does. On error err holds the message without a
 * location (the caller knows the lines).
 */
int df_parse_line(struct df_arena *a, const char *line, size_t len, char escape,
		  struct df_node *out, struct kerr *err);

/* --- jsonarr.c: exec form --- */

enum df_json_result {
	DF_JSON_NOT_ARRAY = 0,	/* not valid JSON: the line is shell form */
	DF_JSON_STRINGS = 1,	/* an array of strings, in out */
	DF_JSON_NOT_STRINGS = -1,	/* valid, but an element is no string */
};

/* Reads s as Go's encoding/json reads it into []any. */
enum df_json_result df_json_strings(const char *s, size_t n, struct df_arena *a,
				    struct df_strlist *out);

/* --- flags.c: the --flags an instruction takes --- */

enum df_flag_type {
	DF_FLAG_BOOL,		/* --link, --link=true, --link=false */
	DF_FLAG_STRING,		/* --from=x, at most once */
	DF_FLAG_LIST,		/* --mount=x, any number of times */
};

struct df_flag_spec {
	const char *name;	/* without the dashes */
	enum df_flag_type type;
};

/* Checks the flags of n against the ones its instruction takes, as
 * BuildKit's BFlags does; the message names the flag and the instruction. */
int df_flags_check(const struct df_node *n, const struct df_flag_spec *specs,
		   size_t nspecs, struct kerr *err);

/* --- suggest.c: "did you mean" --- */

/* The option closest to val (edit distance under 3), NULL when none is or
 * val is one of them. */
const char *df_suggest(const char *val, const char *const *options, size_t n,
		       bool case_sensitive);

#endif
