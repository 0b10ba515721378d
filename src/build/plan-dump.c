/* plan-dump.c: a plan printed for people (one line per stage, one per
 * expanded instruction) and as JSON for tools: 'kiln debug plan'. */
#include <string.h>

#include <cjson/cJSON.h>

#include "build/plan.h"
#include "dockerfile/quote.h"
#include "util/strbuf.h"

/* a word as is when it reads unambiguously, else quoted as Go's %q */
static void add_word(struct strbuf *sb, const char *s)
{
	bool plain = *s != '\0';

	for (const char *c = s; *c && plain; c++)
		if ((unsigned char)*c <= ' ' || *c == '"' || *c == '\'' || *c == '\\' ||
		    *c == 0x7f)
			plain = false;
	if (plain)
		strbuf_addstr(sb, s);
	else
		df_go_quote(sb, s, strlen(s));
}

static void add_kvs(struct strbuf *sb, const struct plan_kv *kv, size_t n, bool empty_null)
{
	for (size_t k = 0; k < n; k++) {
		strbuf_addch(sb, ' ');
		strbuf_addstr(sb, kv[k].key);
		if (kv[k].value || empty_null) {
			strbuf_addch(sb, '=');
			add_word(sb, kv[k].value ? kv[k].value : "");
		}
	}
}

static void add_src(struct strbuf *sb, const struct plan *p, const struct plan_src *s)
{
	char buf[24];

	if (s->kind == PLAN_SRC_STAGE)
		strbuf_addf(sb, "stage %d \"%s\"", s->stage,
			    plan_stage_name(&p->stages[s->stage], buf));
	else if (s->kind == PLAN_SRC_IMAGE)
		strbuf_addf(sb, "image %s", s->image);
}

/* ",key=value" */
static void add_field(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addch(sb, ',');
	strbuf_addstr(sb, key);
	strbuf_addch(sb, '=');
	strbuf_addstr(sb, value);
}

static void add_mount(struct strbuf *sb, const struct df_mount *m)
{
	strbuf_addstr(sb, " --mount=type=");
	strbuf_addstr(sb, df_mount_type_name(m->type));
	if (m->from)
		add_field(sb, "from", m->from);
	if (m->source)
		add_field(sb, "source", m->source);
	if (m->target)
		add_field(sb, "target", m->target);
	if (m->id)
		add_field(sb, "id", m->id);
	if (m->env)
		add_field(sb, "env", m->env);
	if (m->sharing)
		add_field(sb, "sharing", df_mount_sharing_name(m->sharing));
	if (m->has_mode)
		strbuf_addf(sb, ",mode=%o", m->mode);
	if (m->has_uid)
		strbuf_addf(sb, ",uid=%u", m->uid);
	if (m->has_gid)
		strbuf_addf(sb, ",gid=%u", m->gid);
	if (m->size)
		strbuf_addf(sb, ",size=%lld", (long long)m->size);
	if (m->required)
		strbuf_addstr(sb, ",required");
	strbuf_addstr(sb, m->readonly ? ",ro" : ",rw");
}

static void add_json_words(struct strbuf *sb, const char *const *w, size_t n)
{
	strbuf_addstr(sb, " [");
	for (size_t k = 0; k < n; k++) {
		if (k)
			strbuf_addstr(sb, ", ");
		df_go_quote(sb, w[k], strlen(w[k]));
	}
	strbuf_addch(sb, ']');
}

/* the shell or the image config reads these words, so they print as written */
static bool shell_words(enum df_kind k)
{
	return k == DF_RUN || k == DF_CMD || k == DF_ENTRYPOINT || k == DF_HEALTHCHECK ||
	       k == DF_ONBUILD || k == DF_MAINTAINER;
}

static void dump_instr(struct strbuf *sb, const struct plan *p, const struct plan_instr *in)
{
	strbuf_addf(sb, "  %4d ", in->line);
	if (in->onbuild)
		strbuf_addstr(sb, "(onbuild) ");
	strbuf_addstr(sb, df_kind_name(in->kind));
	for (size_t k = 0; k < in->nflags; k++) {
		if (in->kind == DF_RUN && !strcmp(in->flags[k].name, "mount"))
			continue;
		strbuf_addstr(sb, " --");
		strbuf_addstr(sb, in->flags[k].name);
		if (in->flags[k].value[0] || strchr(in->node->flags[k].s, '=')) {
			strbuf_addch(sb, '=');
			add_word(sb, in->flags[k].value);
		}
	}
	for (size_t k = 0; k < in->nmounts; k++)
		add_mount(sb, &in->mounts[k]);
	switch (in->kind) {
	case DF_ENV:
	case DF_LABEL:
		add_kvs(sb, in->pairs, in->npairs, true);
		break;
	case DF_ARG:
		add_kvs(sb, in->pairs, in->npairs, false);
		break;
	default:
		if (in->node->json) {
			add_json_words(sb, in->words, in->nwords);
			break;
		}
		if (in->heredocs) {
			for (size_t k = 0; k < in->node->nheredocs; k++) {
				strbuf_addstr(sb, " <<");
				strbuf_addstr(sb, in->node->heredocs[k].name.s);
			}
		}
		for (size_t k = 0; k < in->nwords; k++) {
			strbuf_addch(sb, ' ');
			if (shell_words(in->kind))
				strbuf_addstr(sb, in->words[k]);
			else
				add_word(sb, in->words[k]);
		}
		break;
	}
	if (in->from.kind != PLAN_SRC_CONTEXT) {
		strbuf_addstr(sb, "  (from ");
		add_src(sb, p, &in->from);
		strbuf_addch(sb, ')');
	}
	for (size_t k = 0; k < in->nmounts; k++) {
		if (in->mount_from[k].kind == PLAN_SRC_CONTEXT)
			continue;
		strbuf_addstr(sb, "  (mount from ");
		add_src(sb, p, &in->mount_from[k]);
		strbuf_addch(sb, ')');
	}
	if (in->nargs) {
		strbuf_addstr(sb, "  (args:");
		add_kvs(sb, in->args, in->nargs, true);
		strbuf_addch(sb, ')');
	}
	strbuf_addch(sb, '\n');
}

static void dump_stage_head(struct strbuf *sb, const struct plan *p, const struct plan_stage *st)
{
	char pl[PLAN_PLATFORM_STR];

	strbuf_addf(sb, "stage %d", st->index);
	if (st->name)
		strbuf_addf(sb, " \"%s\"", st->name);
	if (st->base_kind == PLAN_BASE_STAGE) {
		strbuf_addf(sb, " FROM stage %d", st->base_stage);
		if (p->stages[st->base_stage].name)
			strbuf_addf(sb, " \"%s\"", p->stages[st->base_stage].name);
	} else {
		strbuf_addf(sb, " FROM %s", st->base);
	}
	strbuf_addf(sb, " (platform %s)", plan_platform_str(&st->platform, pl));
}

void plan_dump(struct strbuf *sb, const struct plan *p)
{
	for (size_t o = 0; o < p->norder; o++) {
		const struct plan_stage *st = &p->stages[p->order[o]];

		dump_stage_head(sb, p, st);
		strbuf_addf(sb, " level %d", st->level);
		if (st->ndeps) {
			strbuf_addstr(sb, " needs");
			for (size_t k = 0; k < st->ndeps; k++)
				strbuf_addf(sb, "%s%d", k ? "," : " ", st->deps[k]);
		}
		if (st->index == p->target)
			strbuf_addstr(sb, " target");
		strbuf_addch(sb, '\n');
		if (st->nfrom_args) {
			strbuf_addf(sb, "  %4d FROM args:", st->line);
			add_kvs(sb, st->from_args, st->nfrom_args, true);
			strbuf_addch(sb, '\n');
		}
		for (size_t k = 0; k < st->ninstrs; k++)
			dump_instr(sb, p, &st->instrs[k]);
	}
	for (size_t k = 0; k < p->nskipped; k++) {
		strbuf_addstr(sb, "skipped ");
		dump_stage_head(sb, p, &p->stages[p->skipped[k]]);
		strbuf_addch(sb, '\n');
	}
}

/* ---- JSON ---- */

static cJSON *kv_json(const struct plan_kv *kv, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; k < n; k++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", kv[k].key);
		if (kv[k].value)
			cJSON_AddStringToObject(o, "value", kv[k].value);
		else
			cJSON_AddNullToObject(o, "value");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *words_json(const char *const *w, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; k < n; k++)
		cJSON_AddItemToArray(a, cJSON_CreateString(w[k]));
	return a;
}

static cJSON *src_json(const struct plan_src *s)
{
	cJSON *o = cJSON_CreateObject();

	if (s->kind == PLAN_SRC_STAGE)
		cJSON_AddNumberToObject(o, "stage", s->stage);
	else if (s->kind == PLAN_SRC_IMAGE)
		cJSON_AddStringToObject(o, "image", s->image);
	else
		cJSON_AddBoolToObject(o, "context", true);
	return o;
}

static cJSON *mount_json(const struct df_mount *m, const struct plan_src *from)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", df_mount_type_name(m->type));
	if (m->from)
		cJSON_AddItemToObject(o, "from", src_json(from));
	if (m->source)
		cJSON_AddStringToObject(o, "source", m->source);
	if (m->target)
		cJSON_AddStringToObject(o, "target", m->target);
	if (m->id)
		cJSON_AddStringToObject(o, "id", m->id);
	if (m->env)
		cJSON_AddStringToObject(o, "env", m->env);
	if (m->sharing)
		cJSON_AddStringToObject(o, "sharing", df_mount_sharing_name(m->sharing));
	if (m->has_mode)
		cJSON_AddNumberToObject(o, "mode", m->mode);
	if (m->has_uid)
		cJSON_AddNumberToObject(o, "uid", m->uid);
	if (m->has_gid)
		cJSON_AddNumberToObject(o, "gid", m->gid);
	if (m->size)
		cJSON_AddNumberToObject(o, "size", (double)m->size);
	cJSON_AddBoolToObject(o, "readonly", m->readonly);
	cJSON_AddBoolToObject(o, "required", m->required);
	return o;
}

static cJSON *instr_json(const struct plan_instr *in)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *f = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "line", in->line);
	cJSON_AddStringToObject(o, "kind", df_kind_name(in->kind));
	cJSON_AddBoolToObject(o, "onbuild", in->onbuild);
	cJSON_AddBoolToObject(o, "json", in->node->json);
	for (size_t k = 0; k < in->nflags; k++)
		if (strcmp(in->flags[k].name, "mount"))
			cJSON_AddStringToObject(f, in->flags[k].name, in->flags[k].value);
	cJSON_AddItemToObject(o, "flags", f);
	cJSON_AddItemToObject(o, "words", words_json(in->words, in->nwords));
	if (in->kind == DF_ENV || in->kind == DF_LABEL || in->kind == DF_ARG)
		cJSON_AddItemToObject(o, "pairs", kv_json(in->pairs, in->npairs));
	if (in->heredocs) {
		cJSON *h = cJSON_AddArrayToObject(o, "heredocs");

		for (size_t k = 0; k < in->node->nheredocs; k++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "name", in->node->heredocs[k].name.s);
			cJSON_AddStringToObject(e, "content", in->heredocs[k]);
			cJSON_AddItemToArray(h, e);
		}
	}
	if (in->from.kind != PLAN_SRC_CONTEXT)
		cJSON_AddItemToObject(o, "from", src_json(&in->from));
	if (in->nmounts) {
		cJSON *m = cJSON_AddArrayToObject(o, "mounts");

		for (size_t k = 0; k < in->nmounts; k++)
			cJSON_AddItemToArray(m, mount_json(&in->mounts[k], &in->mount_from[k]));
	}
	cJSON_AddItemToObject(o, "args", kv_json(in->args, in->nargs));
	return o;
}

static cJSON *ints(const int *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; k < n; k++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(v[k]));
	return a;
}

static cJSON *stage_json(const struct plan_stage *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *is;
	char pl[PLAN_PLATFORM_STR];

	cJSON_AddNumberToObject(o, "index", st->index);
	if (st->name)
		cJSON_AddStringToObject(o, "name", st->name);
	else
		cJSON_AddNullToObject(o, "name");
	cJSON_AddNumberToObject(o, "line", st->line);
	if (st->base_kind == PLAN_BASE_STAGE)
		cJSON_AddNumberToObject(o, "baseStage", st->base_stage);
	else if (st->base_kind == PLAN_BASE_SCRATCH)
		cJSON_AddBoolToObject(o, "scratch", true);
	else
		cJSON_AddStringToObject(o, "baseImage", st->base);
	cJSON_AddStringToObject(o, "platform", plan_platform_str(&st->platform, pl));
	cJSON_AddBoolToObject(o, "needed", st->needed);
	cJSON_AddNumberToObject(o, "level", st->level);
	cJSON_AddItemToObject(o, "deps", ints(st->deps, st->ndeps));
	cJSON_AddItemToObject(o, "fromArgs", kv_json(st->from_args, st->nfrom_args));
	is = cJSON_AddArrayToObject(o, "instructions");
	for (size_t k = 0; k < st->ninstrs; k++)
		cJSON_AddItemToArray(is, instr_json(&st->instrs[k]));
	return o;
}

struct cJSON *plan_dump_json(const struct plan *p)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *stages, *unused;
	struct strvec un = STRVEC_INIT;
	char pl[PLAN_PLATFORM_STR];

	cJSON_AddStringToObject(doc, "file", p->df->path);
	cJSON_AddStringToObject(doc, "platform", plan_platform_str(&p->platform, pl));
	cJSON_AddStringToObject(doc, "buildPlatform", plan_platform_str(&p->build_platform, pl));
	cJSON_AddNumberToObject(doc, "target", p->target);
	cJSON_AddItemToObject(doc, "globalArgs", kv_json(p->global_args, p->nglobal_args));
	stages = cJSON_AddArrayToObject(doc, "stages");
	for (size_t i = 0; i < p->nstages; i++)
		cJSON_AddItemToArray(stages, stage_json(&p->stages[i]));
	cJSON_AddItemToObject(doc, "order", ints(p->order, p->norder));
	cJSON_AddNumberToObject(doc, "levels", p->nlevels);
	cJSON_AddItemToObject(doc, "skipped", ints(p->skipped, p->nskipped));
	plan_unused_build_args(p, &un);
	unused = cJSON_AddArrayToObject(doc, "unusedBuildArgs");
	for (size_t k = 0; k < un.n; k++)
		cJSON_AddItemToArray(unused, cJSON_CreateString(un.v[k]));
	strvec_clear(&un);
	return doc;
}
