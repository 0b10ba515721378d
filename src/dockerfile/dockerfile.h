/* dockerfile.h: the Dockerfile parse tree as BuildKit's parser builds it
 * (before word expansion and stage grouping), and the checks a build runs on it. */
#ifndef KILN_DOCKERFILE_DOCKERFILE_H
#define KILN_DOCKERFILE_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* A string of the tree: NUL-terminated, and len counts bytes up to that NUL
 * (a JSON "\u0000" can put a NUL inside). */
struct df_str {
	const char *s;
	size_t len;
};

/* In the order of BuildKit's instruction list; DF_KIND_COUNT ends it. */
enum df_kind {
	DF_ADD,
	DF_ARG,
	DF_CMD,
	DF_COPY,
	DF_ENTRYPOINT,
	DF_ENV,
	DF_EXPOSE,
	DF_FROM,
	DF_HEALTHCHECK,
	DF_LABEL,
	DF_MAINTAINER,
	DF_ONBUILD,
	DF_RUN,
	DF_SHELL,
	DF_STOPSIGNAL,
	DF_USER,
	DF_VOLUME,
	DF_WORKDIR,
	DF_KIND_COUNT
};

struct df_heredoc {
	struct df_str name;	/* the delimiter, quotes removed */
	struct df_str content;	/* the lines between, newlines kept; tabs gone with <<- */
	unsigned fd;		/* 3<<EOF: 3; 0 when not given */
	bool expand;		/* false when the delimiter was quoted: no $VAR expansion */
	bool chomp;		/* <<- */
};

/*
 * One instruction. args are what BuildKit's dump prints after the flags:
 * shell form is one argument (the rest of the line), exec form one per JSON
 * element; ENV and LABEL give key, value and "=" (or "" for the legacy
 * "ENV key value") per pair, values still quoted as written.
 */
struct df_node {
	enum df_kind kind;
	const char *name;	/* lower case: "run" */
	struct df_str original;	/* the logical line, continuations joined */
	int start_line;		/* 1-based, in the file */
	int end_line;		/* last line, heredoc bodies included */
	bool json;		/* exec form */
	struct df_str *flags;	/* "--mount=type=cache,target=/x", as written */
	size_t nflags;
	struct df_str *args;
	size_t nargs;
	struct df_node *sub;	/* ONBUILD's trigger instruction */
	struct df_heredoc *heredocs;	/* in the order of their <<WORDs */
	size_t nheredocs;
};

struct df_arena;

struct df_file {
	const char *path;	/* the name errors give, as the caller passed it */
	struct df_node *nodes;
	size_t n;
	char escape;		/* '\\' or '`' */
	/* parser directives, NULL when not given */
	const char *syntax;
	const char *check;
	struct df_arena *arena;	/* owns every string and array above */
};

/*
 * Parses buf (len bytes, any content) into out. path names the file in error
 * messages, which are one line "path:LINE: what" and of kind KERR_INPUT.
 * Errors are those BuildKit's parser reports (bad directives, ENV without a
 * value, nested JSON, unterminated heredocs, a file with no instructions)
 * plus an unknown instruction and ONBUILD triggers that may not be triggers.
 * Flags, argument counts and --mount options are df_validate's part.
 */
int df_parse(const char *buf, size_t len, const char *path, struct df_file *out,
	     struct kerr *err);
void df_file_release(struct df_file *f);

/* "RUN" for DF_RUN */
const char *df_kind_name(enum df_kind kind);
/* DF_RUN for "run", "Run", ...; -1 when not an instruction */
int df_kind_lookup(const char *name, size_t len);

/*
 * The checks BuildKit runs when it turns the tree into instructions: known
 * flags with well-formed values, argument counts, FROM's AS name, SHELL in
 * JSON form, HEALTHCHECK's type and durations, RUN's --mount, --network and
 * --security. Messages: "path:LINE: unknown flag '--foo' for COPY".
 */
int df_validate(const struct df_file *f, struct kerr *err);
int df_validate_node(const struct df_file *f, const struct df_node *n, struct kerr *err);

/*
 * Walks the flags of n named name ("from" for --from): each call returns the
 * next one's value (the text after '=', "" for a bare --link) and advances
 * *pos, which starts at 0; NULL when there are no more.
 */
const char *df_flag_next(const struct df_node *n, const char *name, size_t *pos);
/* the last value of --name, NULL when not given */
const char *df_flag_get(const struct df_node *n, const char *name);

/* "path:line: " + message, as an input error; returns -1 */
int df_error(struct kerr *err, const char *path, int line, const char *fmt, ...)
	KILN_PRINTF(4, 5);

#endif
