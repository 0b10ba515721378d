/* plan.c: plan_build: the instructions grouped into stages, the global
 * scope (automatic platform args, build args, ARGs before the first FROM)
 * and each FROM line expanded in it; then the graph and the expansion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/plan-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

int plan_at(const struct plan *p, int line, struct kerr *err)
{
	return kerr_wrap(err, "%s:%d", p->df->path, line);
}

static const char *lower_dup(struct plan_arena *a, const char *s)
{
	char *d = (char *)pa_strdup(a, s);

	for (char *c = d; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

const struct plan_stage *plan_find_stage(const struct plan *p, const char *name)
{
	char small[64];
	size_t n = strlen(name);
	char *low = n < sizeof(small) ? small : xmalloc(n + 1);
	const struct env_slot *s;

	for (size_t k = 0; k <= n; k++)
		low[k] = name[k] >= 'A' && name[k] <= 'Z' ? (char)(name[k] - 'A' + 'a') : name[k];
	s = p->priv ? env_find(&p->priv->names, low) : NULL;
	if (low != small)
		free(low);
	return s ? &p->stages[s->aux] : NULL;
}

const char *plan_stage_name(const struct plan_stage *s, char buf[24])
{
	if (s->name)
		return s->name;
	snprintf(buf, 24, "stage-%d", s->index);
	return buf;
}

const char *plan_flag_get(const struct plan_instr *in, const char *name)
{
	const char *v = NULL;

	for (size_t k = 0; k < in->nflags; k++)
		if (!strcmp(in->flags[k].name, name))
			v = in->flags[k].value;
	return v;
}

bool plan_flag_bool(const struct plan_instr *in, const char *name)
{
	const char *v = plan_flag_get(in, name);

	/* validation let only "", true and false through, in any case */
	return v && strcasecmp(v, "false");
}

const char *plan_arg_value(const struct plan *p, const char *key)
{
	for (size_t k = 0; k < p->priv->nargs; k++)
		if (!strcmp(p->priv->args[k].key, key))
			return p->priv->args[k].value;
	return NULL;
}

static const char *const proxy_names[] = {
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY",
};

bool plan_is_proxy_arg(const char *key)
{
	for (size_t k = 0; k < sizeof(proxy_names) / sizeof(proxy_names[0]); k++)
		if (!strcasecmp(key, proxy_names[k]))
			return true;
	return false;
}

void plan_mark_dirty(struct plan *p, int stage)
{
	p->priv->stages[stage].dirty = true;
	for (size_t j = (size_t)stage + 1; j < p->nstages; j++) {
		int b = p->stages[j].base_stage;

		if (b >= 0 && p->priv->stages[b].dirty)
			p->priv->stages[j].dirty = true;
	}
}

/* ---- what came from the command line ---- */

static int setup_platforms(struct plan *p, const struct plan_opts *o, struct kerr *err)
{
	plan_platform_host(&p->build_platform);
	if (o->build_platform &&
	    plan_platform_parse(o->build_platform, NULL, &p->build_platform, err) < 0)
		return kerr_wrap(err, "build platform");
	p->platform = p->build_platform;
	if (o->platform && plan_platform_parse(o->platform, &p->build_platform, &p->platform,
					       err) < 0)
		return kerr_wrap(err, "--platform");
	return 0;
}

static int setup_args(struct plan *p, const struct plan_opts *o, struct kerr *err)
{
	struct plan_priv *pp = p->priv;
	struct kv_list proxy = { 0 };

	pp->args = xcalloc(o->nbuild_args + 1, sizeof(*pp->args));
	for (size_t k = 0; k < o->nbuild_args; k++) {
		const char *spec = o->build_args[k];
		const char *eq = strchr(spec, '=');
		size_t klen = eq ? (size_t)(eq - spec) : strlen(spec);
		char *key = xstrndup(spec, klen);
		size_t j;

		if (klen == 0) {
			free(key);
			return kerr_input(err, "invalid build arg '%s': no name", spec);
		}
		for (j = 0; j < pp->nargs && strcmp(pp->args[j].key, key); j++)
			;
		if (j == pp->nargs)
			pp->args[pp->nargs++].key = pa_strdup(&pp->arena, key);
		pp->args[j].value = pa_strdup(&pp->arena, eq ? eq + 1 : "");
		free(key);
	}
	/* BuildKit gives RUN the proxies in both spellings; of two spellings
	 * of one name given, the one sorting last wins */
	for (size_t n = 0; n < sizeof(proxy_names) / sizeof(proxy_names[0]); n++) {
		const char *best = NULL, *value = NULL;

		for (size_t j = 0; j < pp->nargs; j++) {
			if (strcasecmp(pp->args[j].key, proxy_names[n]))
				continue;
			if (!best || strcmp(pp->args[j].key, best) > 0) {
				best = pp->args[j].key;
				value = pp->args[j].value;
			}
		}
		if (best) {
			kv_push(&proxy, proxy_names[n], value);
			kv_push(&proxy, lower_dup(&pp->arena, proxy_names[n]), value);
		}
	}
	p->proxy = kv_finish(&proxy, &pp->arena, &p->nproxy);
	kv_release(&proxy);
	return 0;
}

/* ---- stages ---- */

static int group_stages(struct plan *p, struct kerr *err)
{
	const struct df_file *df = p->df;
	struct plan_priv *pp = p->priv;
	size_t nfrom = 0, s = 0;
	bool seen = false;

	for (size_t k = 0; k < df->n; k++)
		nfrom += df->nodes[k].kind == DF_FROM;
	if (nfrom == 0)
		return df_error(err, df->path, df->n ? df->nodes[df->n - 1].start_line : 1,
				"dockerfile contains no stages to build");
	p->stages = xcalloc(nfrom, sizeof(*p->stages));
	pp->stages = xcalloc(nfrom, sizeof(*pp->stages));
	p->nstages = nfrom;
	for (size_t k = 0; k < df->n; k++) {
		const struct df_node *n = &df->nodes[k];
		struct plan_stage *st;
		struct stage_priv *sp;

		if (n->kind == DF_FROM) {
			st = &p->stages[s];
			st->index = (int)s++;
			st->line = n->start_line;
			st->base_stage = -1;
			st->level = -1;
			pp->stages[st->index].from = n;
			if (n->nargs >= 3 && !strcasecmp(n->args[1].s, "as"))
				st->name = lower_dup(&pp->arena, n->args[2].s);
			seen = true;
			continue;
		}
		if (!seen) {
			if (n->kind == DF_ARG)
				continue;	/* global: read by global_scope */
			return df_error(err, df->path, n->start_line,
					"no build stage in current context");
		}
		sp = &pp->stages[s - 1];
		sp->src = xgrow(sp->src, sizeof(*sp->src), sp->nsrc + 1, &sp->alloc);
		sp->src[sp->nsrc++] = (struct stage_src){ n, n->start_line, false };
	}
	return 0;
}

static int check_names(struct plan *p, struct kerr *err)
{
	struct env_map *names = &p->priv->names;

	for (size_t i = 0; i < p->nstages; i++) {
		struct plan_stage *st = &p->stages[i];
		struct env_slot *s;

		if (!st->name)
			continue;
		s = env_find(names, st->name);
		if (s)
			return df_error(err, p->df->path, st->line,
					"duplicate stage name \"%s\" (first defined on line %d): "
					"stage names must be unique", st->name,
					p->stages[s->aux].line);
		env_set(names, st->name, NULL, SRC_ARG)->aux = (int)i;
	}
	return 0;
}

/* ---- the global scope ---- */

/* the expansion of one word in the global scope, for FROM and the ARGs before it */
struct gx {
	struct env_map *env;
	struct kv_list *used;
	uint32_t stamp;
};

static const char *lookup(void *ctx, const char *name)
{
	struct gx *x = ctx;
	struct env_slot *s = env_find(x->env, name);

	if (!s)
		return NULL;
	s->flags |= 1;	/* looked up: consumes a build arg of its name */
	if (x->used && s->stamp != x->stamp) {
		s->stamp = x->stamp;
		kv_push(x->used, s->name, s->value);
	}
	return s->value;
}

static int expand_global(struct plan *p, const char *in, struct kv_list *used, char **out,
			 struct kerr *err)
{
	struct gx x = { &p->priv->global, used, ++p->priv->stamp };
	struct df_env env = { NULL, 0, lookup, &x, NULL };

	return df_expand_word(in, p->df->escape, &env, out, err);
}

/* sets a global arg, keeping global_args in the order names first came */
static void set_global(struct plan *p, struct kv_list *order, const char *key, const char *value)
{
	struct env_slot *s = env_find(&p->priv->global, key);

	if (s) {
		s->value = value;
		order->v[s->aux].value = value;
		return;
	}
	env_set(&p->priv->global, key, value, SRC_ARG)->aux = (int)order->n;
	kv_push(order, key, value);
}

static int global_scope(struct plan *p, const char *target, struct kerr *err)
{
	struct plan_priv *pp = p->priv;
	struct plan_arena *a = &pp->arena;
	const struct plan_platform *b = &p->build_platform, *t = &p->platform;
	char bs[PLAN_PLATFORM_STR], ts[PLAN_PLATFORM_STR];
	const char *const auto_args[][2] = {
		{ "BUILDPLATFORM", plan_platform_str(b, bs) },
		{ "BUILDOS", b->os },
		{ "BUILDOSVERSION", "" },
		{ "BUILDARCH", b->arch },
		{ "BUILDVARIANT", b->variant },
		{ "TARGETPLATFORM", plan_platform_str(t, ts) },
		{ "TARGETOS", t->os },
		{ "TARGETOSVERSION", "" },
		{ "TARGETARCH", t->arch },
		{ "TARGETVARIANT", t->variant },
		{ "TARGETSTAGE", target },
	};
	struct kv_list order = { 0 };
	int r = 0;

	for (size_t k = 0; k < sizeof(auto_args) / sizeof(auto_args[0]); k++) {
		const char *v = plan_arg_value(p, auto_args[k][0]);

		set_global(p, &order, auto_args[k][0], v ? v : pa_strdup(a, auto_args[k][1]));
	}
	for (size_t k = 0; k < p->df->n && p->df->nodes[k].kind != DF_FROM && r == 0; k++) {
		const struct df_node *n = &p->df->nodes[k];

		for (size_t w = 0; w < n->nargs; w++) {
			const char *word = n->args[w].s, *eq = strchr(word, '=');
			cleanup_free char *key = xstrndup(word, eq ? (size_t)(eq - word) : strlen(word));
			const char *v = plan_arg_value(p, key);
			char *exp;

			if (!v && eq) {
				if (expand_global(p, eq + 1, NULL, &exp, err) < 0) {
					r = plan_at(p, n->start_line, err);
					break;
				}
				v = pa_strdup(a, exp);
				free(exp);
			}
			if (v)
				set_global(p, &order, pa_strdup(a, key), v);
		}
	}
	p->global_args = kv_finish(&order, a, &p->nglobal_args);
	kv_release(&order);
	return r;
}

/* ---- FROM ---- */

static int expand_from(struct plan *p, size_t i, struct kerr *err)
{
	struct plan_stage *st = &p->stages[i];
	const struct df_node *n = p->priv->stages[i].from;
	struct plan_arena *a = &p->priv->arena;
	struct kv_list used = { 0 };
	cleanup_free char *base = NULL;
	cleanup_free char *plat = NULL;
	const char *pv, *lname;
	struct env_slot *named;
	int r = -1;

	if (n->nargs == 0) {
		df_error(err, p->df->path, st->line, "FROM requires either one or three arguments");
		goto out;
	}
	if (expand_global(p, n->args[0].s, &used, &base, err) < 0) {
		plan_at(p, st->line, err);
		goto out;
	}
	if (!*base) {
		df_error(err, p->df->path, st->line, "base name (%s) should not be blank",
			 n->args[0].s);
		goto out;
	}
	st->base = pa_strdup(a, base);
	pv = df_flag_get(n, "platform");
	if (pv) {
		if (expand_global(p, pv, &used, &plat, err) < 0) {
			kerr_wrap(err, "failed to process arguments for platform %s", pv);
			plan_at(p, st->line, err);
			goto out;
		}
		if (!*plat) {
			df_error(err, p->df->path, st->line,
				 "empty platform value from expression %s", pv);
			goto out;
		}
		if (plan_platform_parse(plat, &p->build_platform, &st->platform, err) < 0) {
			kerr_wrap(err, "failed to parse platform %s", pv);
			plan_at(p, st->line, err);
			goto out;
		}
		st->platform_given = true;
	} else {
		st->platform = p->platform;
	}
	st->from_args = kv_finish(&used, a, &st->nfrom_args);

	/* a stage's own name as its base can only be the image of that name */
	lname = lower_dup(a, base);
	named = env_find(&p->priv->names, lname);
	if (named && named->aux < (int)i) {
		st->base_kind = PLAN_BASE_STAGE;
		st->base_stage = named->aux;
		st->platform = p->stages[named->aux].platform;
	} else if (named && named->aux > (int)i) {
		df_error(err, p->df->path, st->line, "stage \"%s\" is used before it is defined "
			 "(on line %d): FROM can only build on an earlier stage", lname,
			 p->stages[named->aux].line);
		goto out;
	} else if (!strcmp(base, "scratch")) {
		st->base_kind = PLAN_BASE_SCRATCH;
	}
	r = 0;
out:
	kv_release(&used);
	return r;
}

/* A stage built FROM another runs that stage's ONBUILD lines first, with
 * the heredocs the parser hung on the ONBUILD node. */
static void inherit_onbuild(struct plan *p)
{
	for (size_t i = 0; i < p->nstages; i++) {
		int b = p->stages[i].base_stage;
		struct stage_priv *sp = &p->priv->stages[i], *bp;
		size_t ntrig = 0, k, t = 0;
		struct stage_src *src;

		if (b < 0)
			continue;
		bp = &p->priv->stages[b];
		for (k = 0; k < bp->nsrc; k++)
			ntrig += !bp->src[k].onbuild && bp->src[k].node->kind == DF_ONBUILD &&
				 bp->src[k].node->sub;
		if (!ntrig)
			continue;
		src = xcalloc(sp->nsrc + ntrig, sizeof(*src));
		for (k = 0; k < bp->nsrc; k++) {
			const struct df_node *on = bp->src[k].node;
			struct df_node *trig;

			if (bp->src[k].onbuild || on->kind != DF_ONBUILD || !on->sub)
				continue;
			trig = pa_memdup(&p->priv->arena, on->sub, 1, sizeof(*trig));
			trig->heredocs = on->heredocs;
			trig->nheredocs = on->nheredocs;
			src[t++] = (struct stage_src){ trig, p->stages[i].line, true };
		}
		if (sp->nsrc)
			memcpy(src + t, sp->src, sp->nsrc * sizeof(*src));
		free(sp->src);
		sp->src = src;
		sp->nsrc += ntrig;
		sp->alloc = sp->nsrc;
	}
}

static int find_target(struct plan *p, const char *target, struct kerr *err)
{
	const struct plan_stage *st;
	struct strbuf names = STRBUF_INIT;

	if (!target) {
		p->target = (int)p->nstages - 1;
		return 0;
	}
	st = plan_find_stage(p, target);
	if (st) {
		p->target = st->index;
		return 0;
	}
	for (size_t i = 0; i < p->nstages; i++)
		if (p->stages[i].name)
			strbuf_addf(&names, "%s%s", names.len ? ", " : "", p->stages[i].name);
	if (names.len)
		kerr_input(err, "target stage \"%s\" could not be found (stages: %s)", target,
			   names.buf);
	else
		kerr_input(err, "target stage \"%s\" could not be found: the Dockerfile names "
			   "no stages", target);
	strbuf_release(&names);
	return -1;
}

int plan_build(struct plan *p, const struct df_file *df, const struct plan_opts *o,
	       struct kerr *err)
{
	static const struct plan_opts none;
	const char *target_name;

	memset(p, 0, sizeof(*p));
	p->df = df;
	p->target = -1;
	p->priv = xcalloc(1, sizeof(*p->priv));
	if (!o)
		o = &none;
	if (setup_platforms(p, o, err) < 0 || setup_args(p, o, err) < 0 ||
	    group_stages(p, err) < 0 || check_names(p, err) < 0)
		goto fail;
	/* TARGETSTAGE: the --target as given, else the last stage's name */
	target_name = o->target ? o->target : p->stages[p->nstages - 1].name;
	if (global_scope(p, target_name ? target_name : "", err) < 0)
		goto fail;
	for (size_t i = 0; i < p->nstages; i++)
		if (expand_from(p, i, err) < 0)
			goto fail;
	inherit_onbuild(p);
	if (find_target(p, o->target, err) < 0 || plan_graph(p, err) < 0 ||
	    plan_expand(p, err) < 0)
		goto fail;
	return 0;
fail:
	plan_release(p);
	return -1;
}

void plan_release(struct plan *p)
{
	struct plan_priv *pp = p->priv;

	if (pp) {
		for (size_t i = 0; i < p->nstages; i++) {
			plan_stage_clear(&p->stages[i], &pp->stages[i]);
			free(pp->stages[i].src);
			free(pp->stages[i].refs);
			free(p->stages[i].deps);
		}
		for (size_t k = 0; k < pp->ntriggers; k++)
			df_file_release(&pp->triggers[k]);
		free(pp->triggers);
		free(pp->stages);
		free(pp->args);
		env_clear(&pp->global);
		env_clear(&pp->names);
		pa_free(&pp->arena);
		free(pp);
	}
	free(p->stages);
	free(p->order);
	free(p->skipped);
	memset(p, 0, sizeof(*p));
}
