/* ignore.c: .dockerignore patterns compiled once and matched per path, with
 * the parent-directory results carried down a walk as BuildKit's fsutil does. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerfile/ignore.h"
#include "dockerfile/rune.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* an ignore file bigger than this is a mistake, not a pattern list */
#define IGNORE_FILE_MAX (16u << 20)

/*
 * moby compiles most patterns to a Go regexp but short-cuts three shapes:
 * plain text (exact), text + "**" (prefix) and "**" + text (suffix). The
 * short cuts differ from the regexp ("abc**" matches "abcdef"), so they are
 * kept as moby has them.
 */
enum pat_type { PAT_EXACT, PAT_PREFIX, PAT_SUFFIX, PAT_REGEXP };

enum tok_kind {
	TOK_LIT,	/* bytes of the pattern text */
	TOK_STAR,	/* "*": any run of runes but '/' */
	TOK_ANY,	/* "?": one rune but '/' */
	TOK_CLASS,	/* "[...]": one rune in (or, negated, not in) the ranges */
	TOK_DIRS,	/* "**" before more pattern: zero or more whole dirs */
	TOK_REST,	/* "**" at the end after a wildcard: ".*" */
};

struct range {
	uint32_t lo, hi;
};

struct tok {
	enum tok_kind kind;
	const char *lit;	/* TOK_LIT */
	size_t len;
	size_t r0, nr;		/* TOK_CLASS: ranges[r0 .. r0 + nr) */
	bool neg;
};

struct pattern {
	char *text;		/* cleaned, without the '!' */
	bool exception;
	enum pat_type type;
	struct tok *t;
	size_t n, alloc;
	struct range *ranges;
	size_t nranges, ralloc;
};

struct df_ignore {
	struct pattern *p;
	size_t n, alloc;
	bool exceptions;
	char *source;
};

struct df_ignore *df_ignore_new(void)
{
	return xcalloc(1, sizeof(struct df_ignore));
}

void df_ignore_free(struct df_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++) {
		free(ig->p[i].text);
		free(ig->p[i].t);
		free(ig->p[i].ranges);
	}
	free(ig->p);
	free(ig->source);
	free(ig);
}

const char *df_ignore_source(const struct df_ignore *ig)
{
	return ig->source;
}

size_t df_ignore_count(const struct df_ignore *ig)
{
	return ig->n;
}

bool df_ignore_has_exceptions(const struct df_ignore *ig)
{
	return ig->exceptions;
}

size_t df_ignore_state_size(const struct df_ignore *ig)
{
	return ig->n ? ig->n : 1;
}

/* ---- compiling ---- */

static void push_tok(struct pattern *p, struct tok t)
{
	/* runs of plain text become one literal */
	if (t.kind == TOK_LIT && p->n && p->t[p->n - 1].kind == TOK_LIT &&
	    p->t[p->n - 1].lit + p->t[p->n - 1].len == t.lit) {
		p->t[p->n - 1].len += t.len;
		return;
	}
	p->t = xgrow(p->t, sizeof(*p->t), p->n + 1, &p->alloc);
	p->t[p->n++] = t;
}

/* one class member as filepath.Match reads it: '-' and ']' need a '\' */
static int class_char(const char *s, size_t n, size_t *i, uint32_t *cp, struct kerr *err)
{
	if (*i >= n)
		return kerr_input(err, "unclosed '['");
	if (s[*i] == '-' || s[*i] == ']')
		return kerr_input(err, "'%c' in a class needs a '\\'", s[*i]);
	if (s[*i] == '\\') {
		(*i)++;
		if (*i >= n)
			return kerr_input(err, "unclosed '['");
	}
	*i += df_rune_decode(s + *i, n - *i, cp);
	return 0;
}

/* s[*i] is the '[' */
static int compile_class(struct pattern *p, const char *s, size_t n, size_t *i,
			 struct kerr *err)
{
	struct tok t = { .kind = TOK_CLASS, .r0 = p->nranges };

	(*i)++;
	if (*i < n && s[*i] == '^') {
		t.neg = true;
		(*i)++;
	}
	for (;;) {
		struct range r;

		if (*i < n && s[*i] == ']' && t.nr > 0) {
			(*i)++;
			break;
		}
		if (class_char(s, n, i, &r.lo, err) < 0)
			return -1;
		r.hi = r.lo;
		if (*i < n && s[*i] == '-') {
			(*i)++;
			if (class_char(s, n, i, &r.hi, err) < 0)
				return -1;
			/* Go's regexp rejects it when matching; reject it now */
			if (r.hi < r.lo)
				return kerr_input(err, "range out of order in '[...]'");
		}
		p->ranges = xgrow(p->ranges, sizeof(*p->ranges), p->nranges + 1, &p->ralloc);
		p->ranges[p->nranges++] = r;
		t.nr++;
	}
	push_tok(p, t);
	return 0;
}

/*
 * moby turns the pattern into a regexp and a match type in one scan; this
 * follows that scan, including where a "**" makes the type. Where moby's
 * regexp goes astray (an escape read as regexp syntax, "\d"; '^' read as an
 * anchor; '*' or '?' inside "[...]" turned into more regexp) the pattern is
 * read as filepath.Match, and the people writing it, read it. A negated
 * class matches '/', as moby's regexp does.
 */
static int compile(struct pattern *p, struct kerr *err)
{
	const char *s = p->text;
	size_t n = strlen(s);
	enum pat_type type = PAT_EXACT;

	for (size_t i = 0, iter = 0; i < n; iter++) {
		size_t l = df_rune_len(s + i, n - i);

		if (s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
			i += 2;
			if (i < n && s[i] == '/')
				i++;
			if (i >= n) {
				if (type == PAT_EXACT) {
					type = PAT_PREFIX;
				} else {
					push_tok(p, (struct tok){ .kind = TOK_REST });
					type = PAT_REGEXP;
				}
			} else {
				push_tok(p, (struct tok){ .kind = TOK_DIRS });
				type = PAT_REGEXP;
			}
			if (iter == 0)
				type = PAT_SUFFIX;
			continue;
		}
		switch (s[i]) {
		case '*':
			push_tok(p, (struct tok){ .kind = TOK_STAR });
			type = PAT_REGEXP;
			break;
		case '?':
			push_tok(p, (struct tok){ .kind = TOK_ANY });
			type = PAT_REGEXP;
			break;
		case '[':
			if (compile_class(p, s, n, &i, err) < 0)
				return -1;
			type = PAT_REGEXP;
			continue;
		case ']':
			push_tok(p, (struct tok){ .kind = TOK_LIT, .lit = s + i, .len = 1 });
			type = PAT_REGEXP;
			break;
		case '\\':
			if (i + 1 >= n)
				return kerr_input(err, "'\\' at the end");
			i++;
			l = df_rune_len(s + i, n - i);
			type = PAT_REGEXP;
			/* fallthrough */
		default:
			push_tok(p, (struct tok){ .kind = TOK_LIT, .lit = s + i, .len = l });
			break;
		}
		i += l;
	}
	p->type = type;
	return 0;
}

static size_t ltrim_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t l = df_rune_decode(s + i, n - i, &cp);

		if (!df_rune_is_space(cp))
			break;
		i += l;
	}
	return i;
}

static size_t rtrim_len(const char *s, size_t n)
{
	while (n > 0) {
		size_t st = df_rune_start(s, n);
		uint32_t cp;

		df_rune_decode(s + st, n - st, &cp);
		if (!df_rune_is_space(cp))
			break;
		n = st;
	}
	return n;
}

/* Go's strings.TrimSpace, as a new string */
static char *trim_dup(const char *s, size_t n)
{
	size_t a = ltrim_len(s, n);

	return xstrndup(s + a, rtrim_len(s + a, n - a));
}

/*
 * One line, the way moby's ignorefile.ReadAll and patternmatcher.New take it
 * between them: comment test before trimming, then trim, '!', clean, strip
 * a leading '/', and clean once more with the '!' attached.
 */
static int add_line(struct df_ignore *ig, const char *line, size_t len, struct kerr *err)
{
	cleanup_free char *t = NULL;
	cleanup_free char *body = NULL;
	cleanup_free char *full = NULL;
	cleanup_free char *clean = NULL;
	const char *b;
	struct pattern pat = { 0 };
	bool invert;

	if (len && line[0] == '#')
		return 0;
	t = trim_dup(line, len);
	if (!*t)
		return 0;
	invert = t[0] == '!';
	body = invert ? trim_dup(t + 1, strlen(t + 1)) : xstrdup(t);
	if (*body) {
		char *c = path_clean(body);

		free(body);
		body = c;
		if (body[0] == '/' && body[1])
			memmove(body, body + 1, strlen(body));
	}
	full = xasprintf("%s%s", invert ? "!" : "", body);
	clean = path_clean(full);
	b = clean;
	if (b[0] == '!') {
		if (!b[1])
			return kerr_input(err, "illegal exclusion pattern '!'");
		pat.exception = true;
		b++;
	}
	pat.text = xstrdup(b);
	if (compile(&pat, err) < 0) {
		kerr_wrap(err, "bad pattern '%s'", clean);
		free(pat.text);
		free(pat.t);
		free(pat.ranges);
		return -1;
	}
	ig->p = xgrow(ig->p, sizeof(*ig->p), ig->n + 1, &ig->alloc);
	ig->p[ig->n++] = pat;
	ig->exceptions |= pat.exception;
	return 0;
}

int df_ignore_add(struct df_ignore *ig, const char *line, struct kerr *err)
{
	return add_line(ig, line, strlen(line), err);
}

int df_ignore_parse(struct df_ignore *ig, const char *text, size_t len, const char *name,
		    struct kerr *err)
{
	size_t i = 0;
	int lineno = 0;

	/* a UTF-8 byte order mark, as editors on Windows write one */
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len, l = end - i;

		lineno++;
		if (l && text[i + l - 1] == '\r')
			l--;
		if (memchr(text + i, '\0', l))
			return kerr_input(err, "%s:%d: NUL byte in a pattern", name, lineno);
		{
			cleanup_free char *line = xstrndup(text + i, l);

			if (add_line(ig, line, l, err) < 0)
				return kerr_wrap(err, "%s:%d", name, lineno);
		}
		i = end + 1;
	}
	return 0;
}

/* 1 read, 0 absent, -1 error */
static int read_ignore_file(const char *path, struct strbuf *sb, struct kerr *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return kerr_errno(err, errno, "cannot open '%s'", path);
	}
	if (strbuf_read_fd(sb, fd, IGNORE_FILE_MAX, err) < 0)
		return kerr_wrap(err, "cannot read '%s'", path);
	return 1;
}

int df_ignore_load(const char *context_dir, const char *dockerfile, struct df_ignore **out,
		   struct kerr *err)
{
	struct df_ignore *ig = df_ignore_new();
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	char *path = NULL;
	int r = 0;

	if (dockerfile && *dockerfile) {
		path = xasprintf("%s.dockerignore", dockerfile);
		r = read_ignore_file(path, &sb, err);
		if (r <= 0) {
			free(path);
			path = NULL;
		}
	}
	if (r == 0) {
		path = path_join(context_dir, ".dockerignore");
		r = read_ignore_file(path, &sb, err);
		if (r <= 0) {
			free(path);
			path = NULL;
		}
	}
	if (r < 0)
		goto fail;
	if (path) {
		ig->source = path;
		if (df_ignore_parse(ig, sb.buf, sb.len, path, err) < 0)
			goto fail;
	}
	*out = ig;
	return 0;
fail:
	df_ignore_free(ig);
	return -1;
}

/* ---- matching ---- */

static bool class_has(const struct pattern *p, const struct tok *t, uint32_t cp)
{
	bool in = false;

	for (size_t i = 0; i < t->nr && !in; i++)
		in = cp >= p->ranges[t->r0 + i].lo && cp <= p->ranges[t->r0 + i].hi;
	return in != t->neg;
}

struct matcher {
	const struct pattern *p;
	const char *s;
	size_t len;
	bool prefix_only;	/* "can the pattern start with all of s" */
	unsigned char *failed;	/* (token, position) pairs known to fail */
};

static bool failed_get(const struct matcher *m, size_t ti, size_t pos)
{
	return m->failed[ti * (m->len + 1) + pos];
}

static void failed_set(struct matcher *m, size_t ti, size_t pos)
{
	m->failed[ti * (m->len + 1) + pos] = 1;
}

/* Go's '.' (in "**") stops at a newline; '[^/]' and classes do not */
static bool no_newline(const struct matcher *m, size_t from, size_t to)
{
	return !memchr(m->s + from, '\n', to - from);
}

/*
 * Whether tokens ti.. match s[pos..] whole or, with prefix_only, whether
 * they can consume s[pos..] and still have a way to go on (the pattern
 * could match something below the path).
 */
static bool match_from(struct matcher *m, size_t ti, size_t pos)
{
	const struct tok *t;
	uint32_t cp = 0;
	size_t w = 0;
	bool ok = false;

	if (pos == m->len && m->prefix_only)
		return true;
	if (ti == m->p->n)
		return pos == m->len;
	if (failed_get(m, ti, pos))
		return false;
	t = &m->p->t[ti];
	if (pos < m->len)
		w = df_rune_decode(m->s + pos, m->len - pos, &cp);
	switch (t->kind) {
	case TOK_LIT: {
		size_t avail = m->len - pos;

		if (m->prefix_only && avail < t->len)
			ok = !memcmp(m->s + pos, t->lit, avail);
		else
			ok = avail >= t->len && !memcmp(m->s + pos, t->lit, t->len) &&
			     match_from(m, ti + 1, pos + t->len);
		break;
	}
	case TOK_STAR:
		for (size_t q = pos;;) {
			if (match_from(m, ti + 1, q)) {
				ok = true;
				break;
			}
			if (q >= m->len || m->s[q] == '/')
				break;
			q += df_rune_len(m->s + q, m->len - q);
			if (q == m->len && m->prefix_only) {
				ok = true;
				break;
			}
		}
		break;
	case TOK_ANY:
		ok = w && cp != '/' && match_from(m, ti + 1, pos + w);
		break;
	case TOK_CLASS:
		ok = w && class_has(m->p, t, cp) && match_from(m, ti + 1, pos + w);
		break;
	case TOK_DIRS:
		if (match_from(m, ti + 1, pos)) {
			ok = true;
			break;
		}
		for (size_t q = pos; q < m->len && m->s[q] != '\n' && !ok; q++)
			if (m->s[q] == '/')
				ok = match_from(m, ti + 1, q + 1);
		if (!ok && m->prefix_only)
			ok = no_newline(m, pos, m->len);
		break;
	case TOK_REST:
		ok = no_newline(m, pos, m->len);
		break;
	}
	if (!ok)
		failed_set(m, ti, pos);
	return ok;
}

static bool run_matcher(const struct pattern *p, const char *s, size_t len, bool prefix_only)
{
	unsigned char small[2048];
	size_t need = xmul(p->n + 1, len + 1);
	struct matcher m = { p, s, len, prefix_only, small };
	bool r;

	if (need > sizeof(small))
		m.failed = xmalloc(need);
	memset(m.failed, 0, need);
	r = match_from(&m, 0, 0);
	if (m.failed != small)
		free(m.failed);
	return r;
}

static bool ends_with(const char *s, size_t n, const char *suf, size_t sn)
{
	return n >= sn && !memcmp(s + n - sn, suf, sn);
}

/* moby's Pattern.match on a cleaned relative path */
static bool pattern_match(const struct pattern *p, const char *path, size_t len)
{
	size_t tl = strlen(p->text);

	switch (p->type) {
	case PAT_EXACT:
		return len == tl && !memcmp(path, p->text, len);
	case PAT_PREFIX:
		return len >= tl - 2 && !memcmp(path, p->text, tl - 2);
	case PAT_SUFFIX: {
		const char *suf = p->text + 2;
		size_t sn = tl - 2;

		if (ends_with(path, len, suf, sn))
			return true;
		/* "**" + "/foo" matches "foo" */
		return sn && suf[0] == '/' && len == sn - 1 && !memcmp(path, suf + 1, len);
	}
	case PAT_REGEXP:
		return run_matcher(p, path, len, false);
	}
	return false;
}

/* Could p match some path below dir (a cleaned relative path)? */
static bool pattern_reaches_below(const struct pattern *p, const char *dir)
{
	cleanup_free char *pre = xasprintf("%s/", dir);
	size_t pl = strlen(pre), tl = strlen(p->text);

	switch (p->type) {
	case PAT_EXACT:
		return tl > pl && !memcmp(p->text, pre, pl);
	case PAT_PREFIX:
		tl -= 2;
		return !memcmp(p->text, pre, tl < pl ? tl : pl);
	case PAT_SUFFIX:
		return true;	/* any directory can hold a path with that ending */
	case PAT_REGEXP:
		return run_matcher(p, pre, pl, true);
	}
	return true;
}

/*
 * moby's MatchesUsingParentResults: patterns in order, the last that
 * matches decides; one that matched the parent directory matches here too
 * without a test, and a test is only made when it could change the answer.
 * Without parent results (entries of the root, or no walk state) a pattern
 * also matches when it matches one of the path's parent directories.
 */
static bool decide(const struct df_ignore *ig, const char *path, const unsigned char *parent,
		   unsigned char *state)
{
	size_t len = strlen(path);
	bool excluded = false;

	for (size_t i = 0; i < ig->n; i++) {
		const struct pattern *p = &ig->p[i];
		bool m = parent && parent[i];

		if (!m) {
			if (p->exception != excluded) {
				if (state)
					state[i] = 0;
				continue;
			}
			m = pattern_match(p, path, len);
			for (size_t k = 0; !m && !parent && k < len; k++)
				if (path[k] == '/')
					m = pattern_match(p, path, k);
		}
		if (state)
			state[i] = m;
		if (m)
			excluded = !p->exception;
	}
	return excluded;
}

static enum df_ignore_verdict verdict(const struct df_ignore *ig, const char *path,
				      bool excluded, bool is_dir)
{
	if (!excluded)
		return DF_IGNORE_KEEP;
	if (!is_dir)
		return DF_IGNORE_EXCLUDE;
	for (size_t i = 0; i < ig->n; i++)
		if (ig->p[i].exception && pattern_reaches_below(&ig->p[i], path))
			return DF_IGNORE_EXCLUDE;
	return DF_IGNORE_SKIP_DIR;
}

enum df_ignore_verdict df_ignore_check(const struct df_ignore *ig, const char *path,
				       bool is_dir, const unsigned char *parent,
				       unsigned char *state)
{
	bool excluded;

	if (!path[0] || !strcmp(path, ".")) {
		if (state)
			memset(state, 0, df_ignore_state_size(ig));
		return DF_IGNORE_KEEP;
	}
	excluded = decide(ig, path, parent, state);
	return verdict(ig, path, excluded, is_dir);
}

enum df_ignore_verdict df_ignore_match(const struct df_ignore *ig, const char *path,
				       bool is_dir)
{
	cleanup_free char *clean = path_clean(path[0] == '/' ? path + 1 : path);
	cleanup_free unsigned char *a = NULL;
	cleanup_free unsigned char *b = NULL;
	unsigned char *parent = NULL;
	bool excluded;

	if (!strcmp(clean, ".") || !ig->n)
		return DF_IGNORE_KEEP;
	a = xcalloc(ig->n, 1);
	b = xcalloc(ig->n, 1);
	/* the parents first, each with the results of its own parent */
	for (char *sl = strchr(clean, '/'); sl; sl = strchr(sl + 1, '/')) {
		unsigned char *cur = parent == a ? b : a;

		*sl = '\0';
		decide(ig, clean, parent, cur);
		*sl = '/';
		parent = cur;
	}
	excluded = decide(ig, clean, parent, NULL);
	return verdict(ig, clean, excluded, is_dir);
}

void df_ignore_keep(struct df_ignore *ig, const char *path)
{
	cleanup_free char *clean = path_clean(path[0] == '/' ? path + 1 : path);
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	if (!strcmp(clean, ".") || df_ignore_match(ig, clean, false) == DF_IGNORE_KEEP)
		return;
	/* escaped, so that a '*' or '[' in the name is not a wildcard */
	strbuf_addch(&sb, '!');
	for (const char *c = clean; *c; c++) {
		if (strchr("*?[]\\", *c))
			strbuf_addch(&sb, '\\');
		strbuf_addch(&sb, *c);
	}
	if (add_line(ig, sb.buf, sb.len, &err) < 0)
		abort();	/* an escaped path is always a valid pattern */
	strbuf_release(&sb);
}
