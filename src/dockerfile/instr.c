/* instr.c: one logical line into a node: keyword, the --flags before the
 * arguments, and the arguments as each instruction's BuildKit parser splits them. */
#include <string.h>
#include <strings.h>

#include "dockerfile/internal.h"
#include "dockerfile/quote.h"
#include "dockerfile/rune.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char *const upper_names[DF_KIND_COUNT] = {
	"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
	"HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
	"STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
};

static const char *const lower_names[DF_KIND_COUNT] = {
	"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from",
	"healthcheck", "label", "maintainer", "onbuild", "run", "shell",
	"stopsignal", "user", "volume", "workdir",
};

const char *df_kind_name(enum df_kind kind)
{
	return (unsigned)kind < DF_KIND_COUNT ? upper_names[kind] : "?";
}

int df_kind_lookup(const char *name, size_t len)
{
	for (int k = 0; k < DF_KIND_COUNT; k++)
		if (strlen(lower_names[k]) == len && !strncasecmp(name, lower_names[k], len))
			return k;
	return -1;
}

/* how the arguments after the flags are split, per instruction */
enum args_form {
	FORM_JSON_OR_STRING,	/* CMD, ENTRYPOINT, RUN, SHELL */
	FORM_JSON_OR_LIST,	/* ADD, COPY, VOLUME */
	FORM_LIST,		/* EXPOSE, FROM */
	FORM_STRING,		/* MAINTAINER, STOPSIGNAL, USER, WORKDIR */
	FORM_NAME_VALUE,	/* ENV, LABEL */
	FORM_NAMES,		/* ARG */
	FORM_HEALTH,		/* HEALTHCHECK */
	FORM_SUB,		/* ONBUILD */
};

static const unsigned char forms[DF_KIND_COUNT] = {
	[DF_ADD] = FORM_JSON_OR_LIST,
	[DF_ARG] = FORM_NAMES,
	[DF_CMD] = FORM_JSON_OR_STRING,
	[DF_COPY] = FORM_JSON_OR_LIST,
	[DF_ENTRYPOINT] = FORM_JSON_OR_STRING,
	[DF_ENV] = FORM_NAME_VALUE,
	[DF_EXPOSE] = FORM_LIST,
	[DF_FROM] = FORM_LIST,
	[DF_HEALTHCHECK] = FORM_HEALTH,
	[DF_LABEL] = FORM_NAME_VALUE,
	[DF_MAINTAINER] = FORM_STRING,
	[DF_ONBUILD] = FORM_SUB,
	[DF_RUN] = FORM_JSON_OR_STRING,
	[DF_SHELL] = FORM_JSON_OR_STRING,
	[DF_STOPSIGNAL] = FORM_STRING,
	[DF_USER] = FORM_STRING,
	[DF_VOLUME] = FORM_JSON_OR_LIST,
	[DF_WORKDIR] = FORM_STRING,
};

/* what a parser of one instruction works with */
struct line_ctx {
	struct df_arena *a;
	char escape;
	struct df_strlist flags;
	struct df_strlist args;
	struct strbuf word;
};

/* Flag words are split on ASCII blanks; BuildKit also splits on the bytes
 * 0x85 and 0xA0, which cuts UTF-8 letters in two, and kiln does not. */
static bool is_ascii_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * The --flags at the start of the arguments: words that start with "--",
 * quotes removed and '\' escaping the next byte; a lone "--" ends them.
 * Returns where the arguments start.
 */
static size_t extract_flags(struct line_ctx *c, const char *s, size_t n,
			    struct df_strlist *flags)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	bool blank_ok = false;
	char quote = 0;
	struct strbuf *w = &c->word;
	size_t pos;

	strbuf_reset(w);
	for (pos = 0; pos <= n; pos++) {
		char ch = pos < n ? s[pos] : 0;

		if (phase == SPACES) {
			if (pos == n)
				break;
			if (is_ascii_space(ch))
				continue;
			if (ch != '-' || pos + 1 == n || s[pos + 1] != '-')
				return pos;
			phase = WORD;
		}
		if (pos == n) {
			if ((w->len != 2 || memcmp(w->buf, "--", 2)) && (blank_ok || w->len))
				df_strlist_push(flags, c->a, w->buf, w->len);
			break;
		}
		if (phase == WORD) {
			if (is_ascii_space(ch)) {
				phase = SPACES;
				if (w->len == 2 && !memcmp(w->buf, "--", 2))
					return pos;
				if (blank_ok || w->len)
					df_strlist_push(flags, c->a, w->buf, w->len);
				strbuf_reset(w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
				continue;
			}
			if (ch == '\\') {
				if (pos + 1 == n)
					continue;
				ch = s[++pos];
			}
			strbuf_addch(w, ch);
			continue;
		}
		/* QUOTE */
		if (ch == quote) {
			phase = WORD;
			continue;
		}
		if (ch == '\\') {
			if (pos + 1 == n) {
				phase = WORD;
				continue;
			}
			ch = s[++pos];
		}
		strbuf_addch(w, ch);
	}
	return n;
}

/* Go's strings.Builder.WriteRune of what utf8.DecodeRune found: a byte that
 * is not UTF-8 becomes U+FFFD */
static void add_rune(struct strbuf *w, const char *s, size_t len, uint32_t cp)
{
	if (cp == DF_RUNE_ERROR && len == 1)
		strbuf_add(w, "\xEF\xBF\xBD", 3);
	else
		strbuf_add(w, s, len);
}

/*
 * Words for ENV, LABEL and ARG: split on white space outside quotes, with
 * the quotes and escape chars kept (the expansion removes them later).
 */
static void parse_words(struct line_ctx *c, const char *s, size_t n, struct df_strlist *out)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	bool blank_ok = false;
	uint32_t ch = 0, quote = 0, esc = (unsigned char)c->escape;
	struct strbuf *w = &c->word;
	size_t pos = 0, len = 0;

	strbuf_reset(w);
	for (; pos <= n; pos += len) {
		if (pos != n)
			len = df_rune_decode(s + pos, n - pos, &ch);

		if (phase == SPACES) {
			if (pos == n)
				break;
			if (df_rune_is_space(ch))
				continue;
			phase = WORD;
		}
		if (pos == n) {
			if (blank_ok || w->len)
				df_strlist_push(out, c->a, w->buf, w->len);
			break;
		}
		if (phase == WORD) {
			if (df_rune_is_space(ch)) {
				phase = SPACES;
				if (blank_ok || w->len)
					df_strlist_push(out, c->a, w->buf, w->len);
				strbuf_reset(w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
			}
			if (ch == esc) {
				if (pos + len == n)
					continue;	/* an escape at the very end goes */
				/* outside quotes the escape and what follows are kept
				 * as they are, even a quote */
				add_rune(w, s + pos, len, ch);
				pos += len;
				len = df_rune_decode(s + pos, n - pos, &ch);
			}
			add_rune(w, s + pos, len, ch);
			continue;
		}
		/* QUOTE: the escape char works in "..." but not in '...' */
		if (ch == quote)
			phase = WORD;
		if (ch == esc && quote != '\'') {
			if (pos + len == n) {
				phase = WORD;
				continue;
			}
			add_rune(w, s + pos, len, ch);
			pos += len;
			len = df_rune_decode(s + pos, n - pos, &ch);
		}
		add_rune(w, s + pos, len, ch);
	}
}

/* [\t\v\f\r ]+ separated, as BuildKit's regexp split */
static void split_blanks(struct line_ctx *c, const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return;
	for (;;) {
		size_t start = i;

		while (i < n && !df_is_hspace(s[i]))
			i++;
		df_strlist_push(&c->args, c->a, s + start, i - start);
		if (i == n)
			break;
		while (i < n && df_is_hspace(s[i]))
			i++;
	}
}

static int parse_name_value(struct line_ctx *c, const char *s, size_t n,
			    enum df_kind kind, struct kerr *err)
{
	struct df_strlist words = { 0 };
	int r = 0;

	parse_words(c, s, n, &words);
	if (words.n == 0)
		goto out;
	if (!memchr(words.v[0].s, '=', words.v[0].len)) {
		/* the legacy "ENV key value": the value is the rest, as written */
		size_t i = 0, j;

		while (i < n && !df_is_hspace(s[i]))
			i++;
		if (i == n) {
			r = kerr_input(err, "%s must have two arguments", upper_names[kind]);
			goto out;
		}
		j = i;
		while (j < n && df_is_hspace(s[j]))
			j++;
		df_strlist_push(&c->args, c->a, s, i);
		df_strlist_push(&c->args, c->a, s + j, n - j);
		df_strlist_push(&c->args, c->a, "", 0);
		goto out;
	}
	for (size_t k = 0; k < words.n; k++) {
		const struct df_str *wd = &words.v[k];
		const char *eq = memchr(wd->s, '=', wd->len);

		if (!eq) {
			cleanup_strbuf struct strbuf q = STRBUF_INIT;

			df_go_quote(&q, wd->s, wd->len);
			r = kerr_input(err, "syntax error - can't find = in %s. "
				       "Must be of the form: name=value", q.buf);
			goto out;
		}
		df_strlist_push(&c->args, c->a, wd->s, (size_t)(eq - wd->s));
		df_strlist_push(&c->args, c->a, eq + 1, wd->len - (size_t)(eq - wd->s) - 1);
		df_strlist_push(&c->args, c->a, "=", 1);
	}
out:
	df_strlist_release(&words);
	return r;
}

/*
 * JSON when it is a JSON array of strings; a line that is not JSON at all
 * stays shell form (one argument, or words for ADD, COPY and VOLUME), but a
 * JSON array holding something else than strings is an error.
 */
static int parse_json_or(struct line_ctx *c, const char *s, size_t n, bool list,
			 bool *json, struct kerr *err)
{
	size_t base = c->args.n;
	enum df_json_result r;

	if (n == 0)
		return 0;
	r = df_json_strings(s, n, c->a, &c->args);
	if (r == DF_JSON_NOT_STRINGS)
		return kerr_input(err, "when using JSON array syntax, arrays must be "
				  "comprised of strings only");
	if (r == DF_JSON_STRINGS) {
		*json = true;
		return 0;
	}
	c->args.n = base;
	if (list)
		split_blanks(c, s, n);
	else
		df_strlist_push(&c->args, c->a, s, n);
	return 0;
}

/* HEALTHCHECK: a type word (CMD, NONE, ...), then CMD's arguments */
static int parse_health(struct line_ctx *c, const char *s, size_t n, bool *json,
			struct kerr *err)
{
	size_t sep = 0, next;

	while (sep < n && !is_ascii_space(s[sep]))
		sep++;
	next = sep;
	while (next < n && is_ascii_space(s[next]))
		next++;
	if (sep == 0)
		return 0;
	df_strlist_push(&c->args, c->a, s, sep);
	return parse_json_or(c, s + next, n - next, false, json, err);
}

static int parse_line(struct line_ctx *c, const char *line, size_t len,
		      struct df_node *out, struct kerr *err);

static int parse_args(struct line_ctx *c, struct df_node *node, const char *s, size_t n,
		      struct kerr *err)
{
	switch (forms[node->kind]) {
	case FORM_JSON_OR_STRING:
		return parse_json_or(c, s, n, false, &node->json, err);
	case FORM_JSON_OR_LIST:
		return parse_json_or(c, s, n, true, &node->json, err);
	case FORM_LIST:
		split_blanks(c, s, n);
		return 0;
	case FORM_STRING:
		if (n)
			df_strlist_push(&c->args, c->a, s, n);
		return 0;
	case FORM_NAME_VALUE:
		return parse_name_value(c, s, n, node->kind, err);
	case FORM_NAMES:
		parse_words(c, s, n, &c->args);
		return 0;
	case FORM_HEALTH:
		return parse_health(c, s, n, &node->json, err);
	case FORM_SUB:
		if (n == 0)
			return 0;
		node->sub = df_arena_alloc(c->a, sizeof(*node->sub));
		return parse_line(c, s, n, node->sub, err);
	}
	return 0;
}

static int unknown_instruction(const char *word, size_t len, struct kerr *err)
{
	cleanup_free char *w = NULL;
	const char *hint;

	/* nothing but continuation lines up to the end of the file */
	if (len == 0)
		return kerr_input(err, "unexpected end of file after a line continuation");
	w = xstrndup(word, len);
	hint = df_suggest(w, upper_names, DF_KIND_COUNT, false);
	if (hint)
		return kerr_input(err, "unknown instruction: %s (did you mean %s?)", w, hint);
	return kerr_input(err, "unknown instruction: %s", w);
}

static int parse_line(struct line_ctx *c, const char *line, size_t len,
		      struct df_node *out, struct kerr *err)
{
	size_t lead = df_space_prefix(line, len), kw, rest, args;
	const char *s = line + lead;
	size_t n = len - lead;
	int kind, r;

	n -= df_space_suffix(s, n);
	kw = 0;
	while (kw < n && !df_is_hspace(s[kw]))
		kw++;
	kind = df_kind_lookup(s, kw);
	if (kind < 0)
		return unknown_instruction(s, kw, err);
	rest = kw;
	while (rest < n && df_is_hspace(s[rest]))
		rest++;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->name = lower_names[kind];
	out->original = df_arena_str(c->a, line, len);
	/* the flags are done before ONBUILD's trigger reuses the lists */
	c->flags.n = 0;
	args = rest + extract_flags(c, s + rest, n - rest, &c->flags);
	out->flags = df_strlist_finish(&c->flags, c->a, &out->nflags);
	args += df_space_prefix(s + args, n - args);
	c->args.n = 0;
	r = parse_args(c, out, s + args, n - args, err);
	if (r < 0)
		return r;
	if (out->kind != DF_ONBUILD)
		out->args = df_strlist_finish(&c->args, c->a, &out->nargs);
	return 0;
}

int df_parse_line(struct df_arena *a, const char *line, size_t len, char escape,
		  struct df_node *out, struct kerr *err)
{
	struct line_ctx c = { a, escape, { 0 }, { 0 }, STRBUF_INIT };
	int r = parse_line(&c, line, len, out, err);

	df_strlist_release(&c.flags);
	df_strlist_release(&c.args);
	strbuf_release(&c.word);
	return r;
}
