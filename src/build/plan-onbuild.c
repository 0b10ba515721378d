/* plan-onbuild.c: what the engine learns from a base image's config once it
 * has it: ONBUILD triggers to run after FROM, and the environment. */
#include <stdlib.h>
#include <string.h>

#include "build/plan-internal.h"
#include "util/xalloc.h"

/* df_parse names the trigger "trigger:1:"; the message names the FROM */
static int trigger_error(struct plan *p, int stage, const char *text, struct kerr *err)
{
	static const char prefix[] = "trigger:";
	char *m = err->msg;

	if (m && !strncmp(m, prefix, sizeof(prefix) - 1)) {
		char *rest = strstr(m, ": ");

		if (rest)
			memmove(m, rest + 2, strlen(rest + 2) + 1);
	}
	kerr_wrap(err, "ONBUILD trigger '%s' of the base image", text);
	return plan_at(p, p->stages[stage].line, err);
}

static int parse_trigger(struct plan *p, int stage, const char *text, struct df_file *f,
			 struct kerr *err)
{
	const struct df_node *n;

	if (df_parse(text, strlen(text), "trigger", f, err) < 0)
		return trigger_error(p, stage, text, err);
	n = &f->nodes[0];
	if (f->n != 1)
		kerr_input(err, "onbuild trigger should be a single expression");
	else if (n->kind == DF_ONBUILD)
		kerr_input(err, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	else if (n->kind == DF_FROM)
		kerr_input(err, "FROM isn't allowed as an ONBUILD trigger");
	else if (df_validate_node(f, n, err) == 0)
		return 0;
	df_file_release(f);
	return trigger_error(p, stage, text, err);
}

int plan_insert_onbuild(struct plan *p, int stage, const char *const *triggers, size_t n,
			struct kerr *err)
{
	struct plan_priv *pp = p->priv;
	struct stage_priv *sp;
	struct stage_src *src;
	size_t first = pp->ntriggers;

	if (stage < 0 || (size_t)stage >= p->nstages)
		return kerr_set(err, "plan: no stage %d", stage);
	if (n == 0)
		return 0;
	pp->triggers = xgrow(pp->triggers, sizeof(*pp->triggers), pp->ntriggers + n,
			     &pp->triggers_alloc);
	for (size_t k = 0; k < n; k++) {
		if (parse_trigger(p, stage, triggers[k], &pp->triggers[pp->ntriggers], err) < 0)
			return -1;
		pp->ntriggers++;
	}
	sp = &pp->stages[stage];
	src = xcalloc(sp->nsrc + n, sizeof(*src));
	for (size_t k = 0; k < n; k++)
		src[k] = (struct stage_src){ &pp->triggers[first + k].nodes[0],
					     p->stages[stage].line, true };
	if (sp->nsrc)
		memcpy(src + n, sp->src, sp->nsrc * sizeof(*src));
	free(sp->src);
	sp->src = src;
	sp->nsrc += n;
	sp->alloc = sp->nsrc;
	plan_mark_dirty(p, stage);
	if (plan_graph(p, err) < 0)
		return -1;
	return plan_expand(p, err);
}

int plan_set_base_env(struct plan *p, int stage, const char *const *env, size_t n,
		      struct kerr *err)
{
	struct stage_priv *sp;
	struct plan_kv *kv;

	if (stage < 0 || (size_t)stage >= p->nstages)
		return kerr_set(err, "plan: no stage %d", stage);
	sp = &p->priv->stages[stage];
	kv = n ? pa_alloc(&p->priv->arena, n * sizeof(*kv)) : NULL;
	for (size_t k = 0; k < n; k++) {
		const char *eq = strchr(env[k], '=');
		size_t klen = eq ? (size_t)(eq - env[k]) : strlen(env[k]);
		char *key = pa_alloc(&p->priv->arena, klen + 1);

		memcpy(key, env[k], klen);
		kv[k].key = key;
		kv[k].value = pa_strdup(&p->priv->arena, eq ? eq + 1 : "");
	}
	sp->base_env = kv;
	sp->nbase_env = n;
	plan_mark_dirty(p, stage);
	return plan_expand(p, err);
}
