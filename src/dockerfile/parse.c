/* parse.c: df_parse, the loop from logical lines to the tree: locations,
 * ONBUILD triggers, heredoc bodies, and the errors with file:line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/heredoc.h"
#include "dockerfile/internal.h"
#include "util/xalloc.h"

int df_error(struct kerr *err, const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kerr_vset(err, KERR_INPUT, 0, fmt, ap);
	va_end(ap);
	return kerr_wrap(err, "%s:%d", path, line);
}

/* BuildKit takes these only as an instruction of their own */
static int check_trigger(const struct df_node *n, struct kerr *err)
{
	if (n->kind != DF_ONBUILD || !n->sub)
		return 0;
	switch (n->sub->kind) {
	case DF_ONBUILD:
		return kerr_input(err, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	case DF_FROM:
	case DF_MAINTAINER:
		return kerr_input(err, "%s isn't allowed as an ONBUILD trigger",
				  df_kind_name(n->sub->kind));
	default:
		return 0;
	}
}

static bool can_have_heredoc(const struct df_node *n)
{
	if (n->kind == DF_ONBUILD && n->sub)
		n = n->sub;
	return (n->kind == DF_RUN || n->kind == DF_COPY || n->kind == DF_ADD) && !n->json;
}

void df_file_release(struct df_file *f)
{
	free(f->nodes);
	df_arena_free(f->arena);
	memset(f, 0, sizeof(*f));
}

int df_parse(const char *buf, size_t len, const char *path, struct df_file *out,
	     struct kerr *err)
{
	struct strbuf line = STRBUF_INIT;
	struct df_lexer lx;
	size_t alloc = 0;
	int start = 0, r;

	memset(out, 0, sizeof(*out));
	out->arena = df_arena_new();
	out->path = df_arena_str(out->arena, path, strlen(path)).s;
	df_lexer_init(&lx, buf, len, out->arena);

	while ((r = df_lexer_next(&lx, &line, &start, err)) > 0) {
		struct df_node *n;

		out->nodes = xgrow(out->nodes, sizeof(*out->nodes), out->n + 1, &alloc);
		n = &out->nodes[out->n];
		r = df_parse_line(out->arena, line.buf, line.len, lx.escape, n, err);
		if (r == 0)
			r = check_trigger(n, err);
		if (r == 0 && can_have_heredoc(n) && df_has_substr(line.buf, line.len, "<<"))
			r = df_heredocs_read(&lx, line.buf, line.len, n, err);
		if (r < 0)
			break;
		n->start_line = start;
		n->end_line = lx.line;
		if (n->sub) {
			n->sub->start_line = start;
			n->sub->end_line = lx.line;
		}
		out->n++;
	}
	strbuf_release(&line);
	if (r < 0) {
		kerr_wrap(err, "%s:%d", path, start);
		goto out_release;
	}
	if (out->n == 0) {
		df_error(err, path, lx.line > 0 ? lx.line : 1, "file with no instructions");
		goto out_release;
	}
	out->escape = lx.escape;
	out->syntax = lx.syntax.s;
	out->check = lx.check.s;
	return 0;

out_release:
	df_file_release(out);
	return -1;
}
