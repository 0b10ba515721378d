/* shell.c: BuildKit's word expansion (its shell lexer), rune for rune, so a
 * Dockerfile expands in kiln exactly as in docker build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/rune.h"
#include "dockerfile/shell.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define END_OF_INPUT (-1)

struct lexer {
	const char *s;
	size_t pos;
	size_t len;
	char esc;
	const struct df_env *env;
	struct kerr *err;
};

/*
 * Word splitting rides along with expansion, as in BuildKit: literal text
 * and expansion results split at white space, quoted text and escaped
 * characters never do. in_word without text is a quoted "" so far, which
 * keeps the next blank from ending a word yet yields no word of its own.
 */
struct words {
	struct strvec *out;
	struct strbuf cur;
	bool in_word;
};

static void words_raw(struct words *w, const char *p, size_t n)
{
	if (!w)
		return;
	strbuf_add(&w->cur, p, n);
	w->in_word = true;
}

static void words_rune(struct words *w, const char *p, size_t n)
{
	uint32_t cp;

	if (!w)
		return;
	df_rune_decode(p, n, &cp);
	if (!df_rune_is_space(cp)) {
		words_raw(w, p, n);
	} else if (w->in_word && w->cur.len) {
		strvec_push(w->out, w->cur.buf);
		strbuf_reset(&w->cur);
		w->in_word = false;
	}
}

static void words_text(struct words *w, const char *p, size_t n)
{
	if (!w)
		return;
	for (size_t i = 0; i < n;) {
		size_t l = df_rune_len(p + i, n - i);

		words_rune(w, p + i, l);
		i += l;
	}
}

static void words_finish(struct words *w)
{
	if (w->cur.len)
		strvec_push(w->out, w->cur.buf);
	strbuf_reset(&w->cur);
	w->in_word = false;
}

void df_used_clear(struct df_used *u)
{
	strvec_clear(&u->set);
	strvec_clear(&u->unset);
}

static bool strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

bool df_used_has(const struct df_used *u, const char *name)
{
	return strvec_has(&u->set, name);
}

const char *df_env_get(const struct df_env *env, const char *name)
{
	size_t n = strlen(name);

	if (!env)
		return NULL;
	for (size_t i = env->nvars; i-- > 0;) {
		const char *e = env->vars[i];

		if (!e || strncmp(e, name, n))
			continue;
		if (e[n] == '=')
			return e + n + 1;
		if (e[n] == '\0')
			return "";
	}
	return env->lookup ? env->lookup(env->ctx, name) : NULL;
}

static const char *lookup(struct lexer *lx, const char *name)
{
	const char *v = df_env_get(lx->env, name);
	struct df_used *u = lx->env ? lx->env->used : NULL;

	if (u) {
		struct strvec *list = v ? &u->set : &u->unset;

		if (!strvec_has(list, name))
			strvec_push(list, name);
	}
	return v;
}

/* ---- patterns of ${X#p} ${X%p} ${X/p/r} ---- */

/*
 * BuildKit turns these patterns into Go regular expressions: '*' is ".*"
 * (lazy for # and %), '?' is ".", everything else literal, and '\' escapes
 * only '*', '?' and '\' (and is dropped before '}' and '/'). Go's '.' does
 * not match a newline, so neither do '*' and '?' here.
 */
enum tok_kind { TOK_LIT, TOK_ANY, TOK_STAR };

struct tok {
	enum tok_kind kind;
	const char *lit;	/* TOK_LIT: one rune inside the pattern text */
	size_t len;
};

struct pattern {
	struct tok *t;
	size_t n;
	size_t alloc;
	bool greedy;
};

static void pattern_release(struct pattern *p)
{
	free(p->t);
	p->t = NULL;
	p->n = p->alloc = 0;
}

#define cleanup_pattern __attribute__((cleanup(pattern_release)))

static void pattern_push(struct pattern *p, enum tok_kind kind, const char *lit, size_t len)
{
	p->t = xgrow(p->t, sizeof(*p->t), p->n + 1, &p->alloc);
	p->t[p->n++] = (struct tok){ kind, lit, len };
}

static int pattern_compile(struct pattern *p, const char *s, size_t n, bool greedy,
			   struct kerr *err)
{
	p->greedy = greedy;
	for (size_t i = 0; i < n;) {
		size_t l = df_rune_len(s + i, n - i);

		if (s[i] == '*') {
			pattern_push(p, TOK_STAR, NULL, 0);
		} else if (s[i] == '?') {
			pattern_push(p, TOK_ANY, NULL, 0);
		} else if (s[i] == '\\') {
			if (i + 1 < n && (s[i + 1] == '}' || s[i + 1] == '/')) {
				i++;
				continue;
			}
			if (i + 1 >= n)
				return kerr_input(err, "invalid pattern '%.*s': '\\' at its end",
						  (int)n, s);
			l = df_rune_len(s + i + 1, n - i - 1);
			if (s[i + 1] != '*' && s[i + 1] != '?' && s[i + 1] != '\\')
				return kerr_input(err, "invalid escape '\\%.*s' in pattern '%.*s'",
						  (int)l, s + i + 1, (int)n, s);
			pattern_push(p, TOK_LIT, s + i + 1, 1);
			l = 2;
		} else {
			pattern_push(p, TOK_LIT, s + i, l);
		}
		i += l;
	}
	return 0;
}

/* reversed token order, for matching a suffix on a reversed value */
static void pattern_reverse(struct pattern *p)
{
	for (size_t i = 0, j = p->n; i + 1 < j; i++, j--) {
		struct tok t = p->t[i];

		p->t[i] = p->t[j - 1];
		p->t[j - 1] = t;
	}
}

struct matcher {
	const struct pattern *p;
	const char *s;
	size_t len;
	unsigned char *failed;	/* (token, position) pairs known not to match */
};

static bool failed_get(const struct matcher *m, size_t ti, size_t pos)
{
	return m->failed[ti * (m->len + 1) + pos];
}

static void failed_set(struct matcher *m, size_t ti, size_t pos)
{
	m->failed[ti * (m->len + 1) + pos] = 1;
}

/*
 * Backtracking in the order Go's leftmost-first regexp prefers, so the match
 * found (and so its end) is the one BuildKit finds. Remembering failed
 * states keeps "*a*b*c" from going exponential.
 */
static bool match_here(struct matcher *m, size_t ti, size_t pos, size_t *end)
{
	const struct tok *t;

	if (ti == m->p->n) {
		*end = pos;
		return true;
	}
	if (failed_get(m, ti, pos))
		return false;
	t = &m->p->t[ti];
	switch (t->kind) {
	case TOK_LIT:
		if (pos + t->len <= m->len && !memcmp(m->s + pos, t->lit, t->len) &&
		    match_here(m, ti + 1, pos + t->len, end))
			return true;
		break;
	case TOK_ANY:
		if (pos < m->len && m->s[pos] != '\n' &&
		    match_here(m, ti + 1, pos + df_rune_len(m->s + pos, m->len - pos), end))
			return true;
		break;
	case TOK_STAR: {
		/*
		 * A star that failed at q fails at every later q of the same
		 * line, so only the stretch up to the first such q needs a try,
		 * and a failure marks the stretch: linear, not quadratic.
		 */
		size_t hi = pos, q;

		for (q = pos; q < m->len && m->s[q] != '\n';) {
			size_t nq = q + df_rune_len(m->s + q, m->len - q);

			if (failed_get(m, ti, nq))
				break;
			hi = q = nq;
		}
		if (m->p->greedy) {
			for (q = hi;;) {
				if (match_here(m, ti + 1, q, end))
					return true;
				if (q <= pos)
					break;
				q = df_rune_start(m->s, q);
				if (q < pos)
					q = pos;
			}
		} else {
			for (q = pos;; q += df_rune_len(m->s + q, m->len - q)) {
				if (match_here(m, ti + 1, q, end))
					return true;
				if (q >= hi)
					break;
			}
		}
		for (q = pos; q < hi; q += df_rune_len(m->s + q, m->len - q))
			failed_set(m, ti, q);
		failed_set(m, ti, hi);
		break;
	}
	}
	failed_set(m, ti, pos);
	return false;
}

static void matcher_init(struct matcher *m, const struct pattern *p, const char *s,
			 size_t len)
{
	m->p = p;
	m->s = s;
	m->len = len;
	m->failed = xcalloc(xmul(p->n + 1, len + 1), 1);
}

static void matcher_release(struct matcher *m)
{
	free(m->failed);
	m->failed = NULL;
}

#define cleanup_matcher __attribute__((cleanup(matcher_release)))

/*
 * Finds the first match starting at or after from; *start and *end span it.
 * The failure memory stays valid across calls, as a failed state does not
 * depend on where the search began.
 */
static bool matcher_find(struct matcher *m, size_t from, bool anchored, size_t *start,
			 size_t *end)
{
	for (size_t at = from; at <= m->len;) {
		if (match_here(m, 0, at, end)) {
			*start = at;
			return true;
		}
		if (anchored || at == m->len)
			break;
		at += df_rune_len(m->s + at, m->len - at);
	}
	return false;
}

static void reverse_runes(struct strbuf *out, const char *s, size_t len)
{
	strbuf_setlen(out, 0);
	strbuf_grow(out, len);
	for (size_t i = len; i > 0;) {
		size_t st = df_rune_start(s, i);

		strbuf_add(out, s + st, i - st);
		i = st;
	}
}

/* ${X#p} ${X##p} ${X%p} ${X%%p}; pat is the text after the name */
static int trim_value(struct strbuf *res, const char *value, const struct strbuf *pat,
		      char op, struct kerr *err)
{
	cleanup_pattern struct pattern p = { 0 };
	cleanup_matcher struct matcher m = { 0 };
	cleanup_strbuf struct strbuf rev = STRBUF_INIT;
	const char *ps = pat->buf;
	size_t pn = pat->len, vlen = strlen(value), start, end;
	bool greedy = false;

	if (pn > 0 && ps[0] == op) {
		greedy = true;
		ps++;
		pn--;
	}
	if (pattern_compile(&p, ps, pn, greedy, err) < 0)
		return -1;
	if (op == '#') {
		matcher_init(&m, &p, value, vlen);
		if (matcher_find(&m, 0, true, &start, &end))
			value += end;
		strbuf_addstr(res, value);
		return 0;
	}
	/*
	 * The shortest or longest suffix: BuildKit reverses pattern and value
	 * and takes a prefix, which is not quite a suffix search when '*' and
	 * '?' both occur, so do the same.
	 */
	pattern_reverse(&p);
	reverse_runes(&rev, value, vlen);
	matcher_init(&m, &p, rev.buf, rev.len);
	if (matcher_find(&m, 0, true, &start, &end))
		vlen -= end;
	strbuf_add(res, value, vlen);
	return 0;
}

/*
 * Go's Regexp.Expand for ReplaceAllString: "$$" is '$', "$0" and "${0}" the
 * match; other group references are empty here (the patterns have no
 * groups); a '$' not followed by a name stays.
 */
static void expand_template(struct strbuf *dst, const char *tpl, size_t tlen,
			    const char *match, size_t mlen)
{
	size_t i = 0;

	while (i < tlen) {
		const char *d = memchr(tpl + i, '$', tlen - i);
		size_t j, nstart;
		bool brace = false, zero;

		if (!d) {
			strbuf_add(dst, tpl + i, tlen - i);
			return;
		}
		strbuf_add(dst, tpl + i, (size_t)(d - tpl) - i);
		i = (size_t)(d - tpl) + 1;
		if (i < tlen && tpl[i] == '$') {
			strbuf_addch(dst, '$');
			i++;
			continue;
		}
		j = i;
		if (j < tlen && tpl[j] == '{') {
			brace = true;
			j++;
		}
		nstart = j;
		while (j < tlen) {
			uint32_t cp;
			size_t l = df_rune_decode(tpl + j, tlen - j, &cp);

			if (!df_rune_is_alnum(cp) && cp != '_')
				break;
			j += l;
		}
		if (j == nstart || (brace && (j >= tlen || tpl[j] != '}'))) {
			strbuf_addch(dst, '$');
			continue;
		}
		zero = j - nstart == 1 && tpl[nstart] == '0';
		if (brace)
			j++;
		if (zero)
			strbuf_add(dst, match, mlen);
		i = j;
	}
}

/* ${X/p/r} and ${X//p/r} */
static int replace_value(struct strbuf *res, const char *value, const struct strbuf *pat,
			 const struct strbuf *repl, bool all, struct kerr *err)
{
	cleanup_pattern struct pattern p = { 0 };
	cleanup_matcher struct matcher m = { 0 };
	size_t vlen = strlen(value), start, end, search = 0, last = 0;

	if (pattern_compile(&p, pat->buf, pat->len, true, err) < 0)
		return -1;
	matcher_init(&m, &p, value, vlen);
	if (!all) {
		if (!matcher_find(&m, 0, false, &start, &end)) {
			strbuf_addstr(res, value);
			return 0;
		}
		strbuf_add(res, value, start);
		strbuf_addbuf(res, repl);
		strbuf_addstr(res, value + end);
		return 0;
	}
	/* Go's ReplaceAllString loop, empty matches included */
	while (search <= vlen) {
		size_t width;

		if (!matcher_find(&m, search, false, &start, &end))
			break;
		strbuf_add(res, value + last, start - last);
		if (end > last || start == 0)
			expand_template(res, repl->buf, repl->len, value + start, end - start);
		last = end;
		width = search < vlen ? df_rune_len(value + search, vlen - search) : 1;
		if (search + width > end)
			search += width;
		else if (search + 1 > end)
			search++;
		else
			search = end;
	}
	strbuf_add(res, value + last, vlen - last);
	return 0;
}

/* ---- the lexer ---- */

static int process_until(struct lexer *lx, int stop, bool raw, struct strbuf *res,
			 struct words *w);

static size_t rune_at(const struct lexer *lx)
{
	return df_rune_len(lx->s + lx->pos, lx->len - lx->pos);
}

static int single_quote(struct lexer *lx, struct strbuf *res)
{
	const char *q;

	lx->pos++;
	q = memchr(lx->s + lx->pos, '\'', lx->len - lx->pos);
	if (!q) {
		lx->pos = lx->len;
		return kerr_input(lx->err, "unterminated single quote");
	}
	strbuf_add(res, lx->s + lx->pos, (size_t)(q - lx->s) - lx->pos);
	lx->pos = (size_t)(q - lx->s) + 1;
	return 0;
}

static int dollar(struct lexer *lx, struct strbuf *res);

/*
 * Inside double quotes the escape char escapes only '"', '$' and itself;
 * before anything else it stays. In a pattern (raw) it is kept in any case,
 * so the pattern compiler sees it.
 */
static int double_quote(struct lexer *lx, bool raw, struct strbuf *res)
{
	lx->pos++;
	for (;;) {
		char c;
		size_t l;

		if (lx->pos >= lx->len)
			return kerr_input(lx->err, "unterminated double quote");
		c = lx->s[lx->pos];
		if (c == '"') {
			lx->pos++;
			return 0;
		}
		if (c == '$') {
			if (dollar(lx, res) < 0)
				return -1;
			continue;
		}
		if (c == lx->esc) {
			lx->pos++;
			if (raw)
				strbuf_addch(res, c);
			if (lx->pos >= lx->len)
				continue;
			c = lx->s[lx->pos];
			if (c != '"' && c != '$' && c != lx->esc) {
				strbuf_addch(res, lx->esc);
				continue;
			}
		}
		l = rune_at(lx);
		strbuf_add(res, lx->s + lx->pos, l);
		lx->pos += l;
	}
}

static bool is_special_param(char c)
{
	return c && strchr("@*#?-$!0", c);
}

/* a name: digits (positional), one special char, or letters, digits, '_' */
static void read_name(struct lexer *lx, struct strbuf *name)
{
	if (lx->pos < lx->len) {
		char c = lx->s[lx->pos];

		if (c >= '0' && c <= '9') {
			while (lx->pos < lx->len && lx->s[lx->pos] >= '0' && lx->s[lx->pos] <= '9')
				strbuf_addch(name, lx->s[lx->pos++]);
			return;
		}
		if (is_special_param(c)) {
			strbuf_addch(name, c);
			lx->pos++;
			return;
		}
	}
	while (lx->pos < lx->len) {
		uint32_t cp;
		size_t l = df_rune_decode(lx->s + lx->pos, lx->len - lx->pos, &cp);

		if (!df_rune_is_alnum(cp) && cp != '_')
			break;
		strbuf_add(name, lx->s + lx->pos, l);
		lx->pos += l;
	}
}

/* an error inside ${...} that ran to the end of the input is a missing '}' */
static int missing_close(struct lexer *lx, char close)
{
	if (lx->pos >= lx->len)
		return kerr_input(lx->err, "missing '%c'", close);
	return -1;
}

/* an unsupported modifier, shown with its ${...} up to the next '}' */
static int bad_modifier(struct lexer *lx, size_t start, const char *op, size_t oplen)
{
	const char *close = memchr(lx->s + lx->pos, '}', lx->len - lx->pos);
	size_t end = close ? (size_t)(close - lx->s) + 1 : lx->pos;

	return kerr_input(lx->err, "unsupported modifier '%.*s' in '%.*s'", (int)oplen, op,
			  (int)(end - start), lx->s + start);
}

/*
 * ${X-w} ${X+w} ${X?w} ${X#p} ${X%p} and their ':' forms; op (oplen bytes)
 * is the modifier as written, c what it means, 0 for none BuildKit knows.
 * The word is read (and its variables looked up) before X, as in BuildKit.
 */
static int modifier(struct lexer *lx, size_t start, const char *name, bool null_unset,
		    char c, const char *op, size_t oplen, struct strbuf *res)
{
	cleanup_strbuf struct strbuf word = STRBUF_INIT;
	const char *value;
	bool empty;

	if (process_until(lx, '}', c == '#' || c == '%', &word, NULL) < 0)
		return missing_close(lx, '}');
	value = lookup(lx, name);
	empty = !value || (null_unset && !*value);
	switch (c) {
	case '-':
		strbuf_addstr(res, empty ? word.buf : value);
		return 0;
	case '+':
		if (!empty)
			strbuf_addbuf(res, &word);
		return 0;
	case '?':
		if (empty) {
			if (word.len)
				return kerr_input(lx->err, "%s: %s", name, word.buf);
			return kerr_input(lx->err, "'%s' is not allowed to be %s", name,
					  value ? "empty" : "unset");
		}
		strbuf_addstr(res, value);
		return 0;
	case '#':
	case '%':
		return trim_value(res, value ? value : "", &word, c, lx->err);
	}
	return kerr_input(lx->err, "unsupported modifier '%.*s' in '%.*s'", (int)oplen, op,
			  (int)(lx->pos - start), lx->s + start);
}

static int replace(struct lexer *lx, const char *name, struct strbuf *res)
{
	cleanup_strbuf struct strbuf pat = STRBUF_INIT;
	cleanup_strbuf struct strbuf repl = STRBUF_INIT;
	const char *value;
	bool all = false;

	if (lx->pos < lx->len && lx->s[lx->pos] == '/') {
		all = true;
		lx->pos++;
	}
	if (process_until(lx, '/', true, &pat, NULL) < 0)
		return missing_close(lx, '/');
	if (process_until(lx, '}', true, &repl, NULL) < 0)
		return missing_close(lx, '}');
	value = lookup(lx, name);
	return replace_value(res, value ? value : "", &pat, &repl, all, lx->err);
}

static int dollar(struct lexer *lx, struct strbuf *res)
{
	cleanup_strbuf struct strbuf name = STRBUF_INIT;
	size_t start = lx->pos, oplen, l;
	const char *value, *op;
	char c;

	lx->pos++;
	if (lx->pos >= lx->len || lx->s[lx->pos] != '{') {
		read_name(lx, &name);
		if (!name.len) {
			strbuf_addch(res, '$');
			return 0;
		}
		value = lookup(lx, name.buf);
		strbuf_addstr(res, value ? value : "");
		return 0;
	}
	lx->pos++;
	if (lx->pos >= lx->len)
		return kerr_input(lx->err, "missing '}'");
	c = lx->s[lx->pos];
	if (c == '{' || c == '}' || c == ':')
		return kerr_input(lx->err, "bad substitution: no variable name after '${'");
	read_name(lx, &name);
	if (lx->pos >= lx->len)
		return kerr_input(lx->err, "missing '}'");

	op = lx->s + lx->pos;
	c = *op;
	oplen = rune_at(lx);
	lx->pos += oplen;
	switch (c) {
	case '}':
		value = lookup(lx, name.buf);
		strbuf_addstr(res, value ? value : "");
		return 0;
	case ':':
		/* whatever follows ':' is read as a modifier, known or not */
		if (lx->pos >= lx->len)
			return kerr_input(lx->err, "missing '}'");
		l = rune_at(lx);
		c = l == 1 && strchr("+-?#%", lx->s[lx->pos]) ? lx->s[lx->pos] : 0;
		oplen += l;
		lx->pos += l;
		return modifier(lx, start, name.buf, true, c, op, oplen, res);
	case '+':
	case '-':
	case '?':
	case '#':
	case '%':
		return modifier(lx, start, name.buf, false, c, op, oplen, res);
	case '/':
		return replace(lx, name.buf, res);
	}
	return bad_modifier(lx, start, op, oplen);
}

/*
 * Reads up to stop (END_OF_INPUT at the top level, '}' or '/' inside ${})
 * and consumes it. raw keeps escape chars in the text, for patterns.
 */
static int process_until(struct lexer *lx, int stop, bool raw, struct strbuf *res,
			 struct words *w)
{
	cleanup_strbuf struct strbuf tmp = STRBUF_INIT;

	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];
		size_t l;

		if (stop != END_OF_INPUT && c == stop) {
			lx->pos++;
			return 0;
		}
		if (c == '$' || c == '\'' || c == '"') {
			int r;

			strbuf_reset(&tmp);
			if (c == '$')
				r = dollar(lx, &tmp);
			else if (c == '\'')
				r = single_quote(lx, &tmp);
			else
				r = double_quote(lx, raw, &tmp);
			if (r < 0)
				return -1;
			strbuf_addbuf(res, &tmp);
			if (c == '$')
				words_text(w, tmp.buf, tmp.len);
			else
				words_raw(w, tmp.buf, tmp.len);
			continue;
		}
		if (c == lx->esc) {
			lx->pos++;
			if (raw) {
				words_raw(w, &c, 1);
				strbuf_addch(res, c);
			}
			if (lx->pos >= lx->len)
				break;
			l = rune_at(lx);
			words_raw(w, lx->s + lx->pos, l);
		} else {
			l = rune_at(lx);
			words_rune(w, lx->s + lx->pos, l);
		}
		strbuf_add(res, lx->s + lx->pos, l);
		lx->pos += l;
	}
	if (stop != END_OF_INPUT)
		return kerr_input(lx->err, "missing '%c'", stop);
	return 0;
}

static int expand(const char *in, char escape, const struct df_env *env,
		  struct strbuf *res, struct words *w, struct kerr *err)
{
	struct lexer lx = { in, 0, strlen(in), escape, env, err };

	if (process_until(&lx, END_OF_INPUT, false, res, w) < 0)
		return kerr_wrap(err, "cannot expand '%s'", in);
	return 0;
}

int df_expand_word(const char *in, char escape, const struct df_env *env,
		   char **out, struct kerr *err)
{
	cleanup_strbuf struct strbuf res = STRBUF_INIT;

	if (expand(in, escape, env, &res, NULL, err) < 0)
		return -1;
	*out = strbuf_detach(&res, NULL);
	return 0;
}

int df_expand_words(const char *in, char escape, const struct df_env *env,
		    struct strvec *out, struct kerr *err)
{
	cleanup_strbuf struct strbuf res = STRBUF_INIT;
	struct words w = { out, STRBUF_INIT, false };
	size_t n0 = out->n;
	int r;

	r = expand(in, escape, env, &res, &w, err);
	if (r == 0)
		words_finish(&w);
	strbuf_release(&w.cur);
	if (r < 0) {
		/* leave out as it was */
		while (out->n > n0) {
			free(out->v[--out->n]);
			out->v[out->n] = NULL;
		}
	}
	return r;
}
