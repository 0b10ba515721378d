/* heredoc.c: <<EOF on RUN, COPY and ADD: which words start a heredoc, its
 * delimiter and whether it expands variables, and reading its body. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/heredoc.h"
#include "dockerfile/rune.h"
#include "util/cleanup.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/*
 * Words of s as BuildKit's shell lexer splits them with no variables set and
 * unset ones left alone: raw keeps quotes and escape chars ('\' here, always),
 * otherwise they are applied. Returns NULL, or what is unterminated.
 */
static const char *shell_words(const char *s, size_t n, bool raw, struct strvec *out)
{
	cleanup_strbuf struct strbuf w = STRBUF_INIT;
	bool in_word = false;
	size_t i = 0;

	while (i < n) {
		char c = s[i];
		size_t len, sp;

		if (c == '\'') {
			const char *end = memchr(s + i + 1, '\'', n - i - 1);

			if (!end)
				return "single-quote";
			if (raw)
				strbuf_add(&w, s + i, (size_t)(end - s - i) + 1);
			else
				strbuf_add(&w, s + i + 1, (size_t)(end - s - i) - 1);
			in_word = true;
			i = (size_t)(end - s) + 1;
			continue;
		}
		if (c == '"') {
			size_t j = i + 1;

			if (raw)
				strbuf_addch(&w, '"');
			for (;;) {
				if (j >= n)
					return "double-quote";
				if (s[j] == '"') {
					if (raw)
						strbuf_addch(&w, '"');
					j++;
					break;
				}
				if (s[j] == '\\') {
					if (raw)
						strbuf_addch(&w, '\\');
					if (j + 1 < n && (s[j + 1] == '"' || s[j + 1] == '$' ||
							  s[j + 1] == '\\')) {
						strbuf_addch(&w, s[j + 1]);
						j += 2;
						continue;
					}
					if (j + 1 < n)
						strbuf_addch(&w, '\\');
					j++;
					continue;
				}
				strbuf_addch(&w, s[j++]);
			}
			in_word = true;
			i = j;
			continue;
		}
		if (c == '\\') {
			if (raw) {
				strbuf_addch(&w, '\\');
				in_word = true;
			}
			if (++i >= n)
				break;
			len = df_rune_len(s + i, n - i);
			strbuf_add(&w, s + i, len);
			in_word = true;
			i += len;
			continue;
		}
		sp = df_space_at(s + i, n - i);
		if (sp) {
			if (in_word && w.len) {
				strvec_push(out, w.buf);
				strbuf_reset(&w);
				in_word = false;
			}
			i += sp;
			continue;
		}
		len = df_rune_len(s + i, n - i);
		strbuf_add(&w, s + i, len);
		in_word = true;
		i += len;
	}
	if (w.len)
		strvec_push(out, w.buf);
	return NULL;
}

static size_t count_quotes(const char *s)
{
	size_t k = 0;

	for (; *s; s++)
		k += *s == '\'' || *s == '"';
	return k;
}

struct spec {
	char *name;
	unsigned fd;
	bool expand, chomp;
};

/*
 * word is a heredoc when it is [digits]<<[-]rest, rest has no '<' and lexes
 * to exactly one word. Returns 1 with *sp filled, 0 when it is no heredoc.
 */
static int match_word(const char *word, struct spec *sp, struct kerr *err)
{
	cleanup_strvec struct strvec cooked = STRVEC_INIT;
	cleanup_strvec struct strvec raw = STRVEC_INIT;
	unsigned long fd = 0;
	const char *p = word, *rest, *bad;

	while (*p >= '0' && *p <= '9') {
		fd = fd * 10 + (unsigned long)(*p - '0');
		if (fd > UINT_MAX)
			fd = UINT_MAX;
		p++;
	}
	if (p[0] != '<' || p[1] != '<')
		return 0;
	p += 2;
	sp->chomp = *p == '-';
	rest = p + sp->chomp;
	if (!*rest || strchr(rest, '<'))
		return 0;
	bad = shell_words(rest, strlen(rest), false, &cooked);
	if (bad)
		return kerr_input(err, "unexpected end of statement while looking for matching %s",
				  bad);
	if (cooked.n != 1)
		return 0;
	bad = shell_words(rest, strlen(rest), true, &raw);
	if (bad || raw.n != 1)
		return kerr_input(err, "internal lexing of heredoc produced inconsistent results: %s",
				  rest);
	/* a quote anywhere in the delimiter turns expansion off, as in sh */
	sp->expand = count_quotes(cooked.v[0]) == count_quotes(raw.v[0]);
	sp->fd = (unsigned)fd;
	sp->name = xstrdup(cooked.v[0]);
	return 1;
}

/* <<- strips the tabs that start each line of the body */
static void chomp_tabs(struct strbuf *b)
{
	size_t r = 0, w = 0;
	bool bol = true;

	for (; r < b->len; r++) {
		char c = b->buf[r];

		if (bol && c == '\t')
			continue;
		bol = c == '\n';
		b->buf[w++] = c;
	}
	strbuf_setlen(b, w);
}

static int read_body(struct df_lexer *lx, const struct spec *sp, struct df_heredoc *hd,
		     struct kerr *err)
{
	cleanup_strbuf struct strbuf body = STRBUF_INIT;
	size_t name_len = strlen(sp->name);
	const char *s;
	size_t n;

	while (df_lexer_raw_line(lx, &s, &n)) {
		const char *t = s;
		size_t tn = n;

		while (tn > 0 && (t[tn - 1] == '\n' || t[tn - 1] == '\r'))
			tn--;
		if (sp->chomp)
			while (tn > 0 && *t == '\t')
				t++, tn--;
		if (tn == name_len && !memcmp(t, sp->name, tn)) {
			if (sp->chomp)
				chomp_tabs(&body);
			hd->name = df_arena_str(lx->arena, sp->name, name_len);
			hd->content = df_arena_str(lx->arena, body.buf, body.len);
			hd->fd = sp->fd;
			hd->expand = sp->expand;
			hd->chomp = sp->chomp;
			return 0;
		}
		strbuf_add(&body, s, n);
	}
	return kerr_input(err, "unterminated heredoc");
}

int df_heredocs_read(struct df_lexer *lx, const char *line, size_t len,
		     struct df_node *node, struct kerr *err)
{
	cleanup_strvec struct strvec words = STRVEC_INIT;
	struct spec *specs = NULL;
	size_t nspecs = 0, alloc = 0;
	int r = 0;

	/* a line the lexer cannot split has no heredocs, as in BuildKit */
	if (shell_words(line, len, true, &words))
		return 0;
	for (size_t k = 0; k < words.n; k++) {
		struct spec sp = { 0 };

		r = match_word(words.v[k], &sp, err);
		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		specs = xgrow(specs, sizeof(*specs), nspecs + 1, &alloc);
		specs[nspecs++] = sp;
	}
	r = 0;
	if (!nspecs)
		goto out;
	node->heredocs = df_arena_alloc(lx->arena, nspecs * sizeof(*node->heredocs));
	for (size_t k = 0; k < nspecs; k++) {
		r = read_body(lx, &specs[k], &node->heredocs[k], err);
		if (r < 0)
			goto out;
		node->nheredocs++;
	}
out:
	for (size_t k = 0; k < nspecs; k++)
		free(specs[k].name);
	free(specs);
	return r;
}
