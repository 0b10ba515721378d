/* lexer.c: physical lines into logical ones the way BuildKit's parser reads
 * them: BOM, parser directives, comments, continuation lines, CRLF. */
#include <string.h>

#include "dockerfile/internal.h"

enum {
	SEEN_SYNTAX = 1,
	SEEN_ESCAPE = 2,
	SEEN_CHECK = 4,
};

void df_lexer_init(struct df_lexer *lx, const char *buf, size_t len, struct df_arena *a)
{
	memset(lx, 0, sizeof(*lx));
	lx->buf = buf;
	lx->len = len;
	lx->escape = '\\';
	lx->arena = a;
}

bool df_lexer_raw_line(struct df_lexer *lx, const char **s, size_t *n)
{
	const char *nl;
	size_t rest;

	if (lx->pos >= lx->len)
		return false;
	rest = lx->len - lx->pos;
	*s = lx->buf + lx->pos;
	nl = memchr(*s, '\n', rest);
	*n = nl ? (size_t)(nl - *s) + 1 : rest;
	lx->pos += *n;
	lx->line++;
	return true;
}

/* Go's bytes.TrimRight(line, "\r\n"): every trailing CR and LF goes */
static size_t trim_newline(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

static bool is_comment(const char *s, size_t n)
{
	size_t sp = df_space_prefix(s, n);

	return sp < n && s[sp] == '#';
}

/* the \s of Go's regexp: ASCII only, and without \v */
static bool is_re_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/*
 * A directive is "#" name "=" value with optional space around the name and
 * the '=' (BuildKit's ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$). The first
 * line that is not one ends the directives for good, even an empty line or
 * a comment; a directive name kiln does not know ends them too.
 */
static int directive(struct df_lexer *lx, const char *s, size_t n, struct kerr *err)
{
	size_t i, name, name_len, v, vend;
	const char *dname;
	unsigned bit;

	if (lx->directives_done)
		return 0;
	if (n == 0 || s[0] != '#')
		goto done;
	i = 1 + df_space_prefix(s + 1, n - 1);
	name = i;
	if (i >= n || !is_alpha(s[i]))
		goto done;
	while (i < n && is_alnum(s[i]))
		i++;
	name_len = i - name;
	while (i < n && is_re_space(s[i]))
		i++;
	if (i >= n || s[i] != '=')
		goto done;
	i++;
	if (i >= n)
		goto done;
	/* the value is at least one byte: "# escape= " has the value " " */
	v = i;
	while (v < n - 1 && is_re_space(s[v]))
		v++;
	vend = n;
	while (vend > v + 1 && is_re_space(s[vend - 1]))
		vend--;

	if (name_len == 6 && !strncasecmp(s + name, "syntax", 6))
		bit = SEEN_SYNTAX, dname = "syntax";
	else if (name_len == 6 && !strncasecmp(s + name, "escape", 6))
		bit = SEEN_ESCAPE, dname = "escape";
	else if (name_len == 5 && !strncasecmp(s + name, "check", 5))
		bit = SEEN_CHECK, dname = "check";
	else
		goto done;
	if (lx->seen & bit)
		return kerr_input(err, "only one %s parser directive can be used", dname);
	lx->seen |= bit;
	if (bit == SEEN_ESCAPE) {
		if (vend - v != 1 || (s[v] != '\\' && s[v] != '`'))
			return kerr_input(err, "invalid escape token '%.*s' does not match ` or \\",
					  (int)(vend - v), s + v);
		lx->escape = s[v];
	} else if (bit == SEEN_SYNTAX) {
		lx->syntax = df_arena_str(lx->arena, s + v, vend - v);
	} else {
		lx->check = df_arena_str(lx->arena, s + v, vend - v);
	}
	return 0;

done:
	lx->directives_done = true;
	return 0;
}

/*
 * The escape char as the last thing on a line (trailing blanks allowed)
 * continues the line, unless the char before it is the escape char too.
 * Returns true when the line ends the instruction; *n drops the escape.
 */
static bool trim_continuation(const struct df_lexer *lx, const char *s, size_t *n)
{
	size_t e = *n;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e == 0 || s[e - 1] != lx->escape)
		return true;
	if (e >= 2 && s[e - 2] == lx->escape)
		return true;
	*n = e - 1;
	return false;
}

int df_lexer_next(struct df_lexer *lx, struct strbuf *out, int *start, struct kerr *err)
{
	const char *s;
	size_t n;

	for (;;) {
		bool eol;

		if (!df_lexer_raw_line(lx, &s, &n))
			return 0;
		if (lx->line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
			s += 3;
			n -= 3;
		}
		n = trim_newline(s, n);
		{
			size_t sp = df_space_prefix(s, n);

			s += sp;
			n -= sp;
		}
		*start = lx->line;
		if (directive(lx, s, n, err) < 0)
			return -1;
		if (n > 0 && s[0] == '#')
			n = 0;
		eol = trim_continuation(lx, s, &n);
		if (eol && n == 0)
			continue;
		strbuf_reset(out);
		strbuf_add(out, s, n);

		/* continuation lines keep their leading blanks, as BuildKit's do */
		while (!eol && df_lexer_raw_line(lx, &s, &n)) {
			n = trim_newline(s, n);
			if (is_comment(s, n))
				continue;
			if (df_space_prefix(s, n) == n)
				continue;
			eol = trim_continuation(lx, s, &n);
			strbuf_add(out, s, n);
		}
		return 1;
	}
}
