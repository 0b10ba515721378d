/* dump.c: the parse tree as text: BuildKit's dump format, which the
 * conformance files are written in, and JSON for tools. */
#include "dockerfile/dump.h"
#include "dockerfile/quote.h"
#include "util/xalloc.h"

static void dump_node(struct strbuf *sb, const struct df_node *n)
{
	strbuf_addstr(sb, n->name);
	if (n->nflags) {
		strbuf_addstr(sb, " [");
		for (size_t k = 0; k < n->nflags; k++) {
			if (k)
				strbuf_addch(sb, ' ');
			df_go_quote(sb, n->flags[k].s, n->flags[k].len);
		}
		strbuf_addch(sb, ']');
	}
	if (n->sub) {
		strbuf_addstr(sb, " (");
		dump_node(sb, n->sub);
		strbuf_addch(sb, ')');
	}
	for (size_t k = 0; k < n->nargs; k++) {
		strbuf_addch(sb, ' ');
		df_go_quote(sb, n->args[k].s, n->args[k].len);
	}
}

void df_dump(struct strbuf *sb, const struct df_file *f)
{
	for (size_t k = 0; k < f->n; k++) {
		strbuf_addch(sb, '(');
		dump_node(sb, &f->nodes[k]);
		strbuf_addstr(sb, ")\n");
	}
}

static cJSON *str_array(const struct df_str *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; k < n; k++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[k].s));
	return a;
}

static cJSON *node_json(const struct df_node *n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *hds;

	cJSON_AddStringToObject(o, "name", n->name);
	cJSON_AddNumberToObject(o, "start_line", n->start_line);
	cJSON_AddNumberToObject(o, "end_line", n->end_line);
	cJSON_AddItemToObject(o, "flags", str_array(n->flags, n->nflags));
	cJSON_AddItemToObject(o, "args", str_array(n->args, n->nargs));
	cJSON_AddBoolToObject(o, "json", n->json);
	hds = cJSON_AddArrayToObject(o, "heredocs");
	for (size_t k = 0; k < n->nheredocs; k++) {
		const struct df_heredoc *h = &n->heredocs[k];
		cJSON *ho = cJSON_CreateObject();

		cJSON_AddStringToObject(ho, "name", h->name.s);
		cJSON_AddNumberToObject(ho, "fd", h->fd);
		cJSON_AddBoolToObject(ho, "expand", h->expand);
		cJSON_AddBoolToObject(ho, "chomp", h->chomp);
		cJSON_AddStringToObject(ho, "content", h->content.s);
		cJSON_AddItemToArray(hds, ho);
	}
	if (n->sub)
		cJSON_AddItemToObject(o, "trigger", node_json(n->sub));
	return o;
}

cJSON *df_dump_json(const struct df_file *f)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *dirs, *instrs;
	char esc[2] = { f->escape, '\0' };

	cJSON_AddStringToObject(doc, "file", f->path);
	cJSON_AddStringToObject(doc, "escape", esc);
	dirs = cJSON_AddObjectToObject(doc, "directives");
	if (f->syntax)
		cJSON_AddStringToObject(dirs, "syntax", f->syntax);
	if (f->check)
		cJSON_AddStringToObject(dirs, "check", f->check);
	instrs = cJSON_AddArrayToObject(doc, "instructions");
	for (size_t k = 0; k < f->n; k++)
		cJSON_AddItemToArray(instrs, node_json(&f->nodes[k]));
	return doc;
}
