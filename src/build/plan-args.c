/* plan-args.c: --build-arg as docker reads it, and the warning about build
 * args nothing consumed ("[Warning] One or more build-args [X] were not consumed"). */
#include <stdlib.h>
#include <string.h>

#include "build/plan-internal.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

int plan_build_arg(const char *spec, struct strvec *out, struct kerr *err)
{
	const char *v;

	if (spec[0] == '=' || !spec[0])
		return kerr_input(err, "invalid build arg '%s': no name", spec);
	if (strchr(spec, '=')) {
		strvec_push(out, spec);
		return 0;
	}
	/* "--build-arg NAME": the value from the environment, if it has one */
	v = getenv(spec);
	if (v)
		strvec_pushf(out, "%s=%s", spec, v);
	return 0;
}

/* names an ARG declares: "A=1" and "A" both declare A */
static void declare(struct env_map *m, const char *word, struct plan_arena *a)
{
	const char *eq = strchr(word, '=');
	size_t n = eq ? (size_t)(eq - word) : strlen(word);
	char *key = pa_alloc(a, n + 1);

	memcpy(key, word, n);
	env_set(m, key, NULL, SRC_ARG);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A build arg is consumed by an ARG of its name before the first FROM or
 * in a stage the target needs, by a FROM line (or an ARG) reading it from
 * the global scope (the automatic platform args), or by kiln itself:
 * proxies, SOURCE_DATE_EPOCH and BuildKit's BUILDKIT_* options.
 */
void plan_unused_build_args(const struct plan *p, struct strvec *out)
{
	struct plan_priv *pp = p->priv;
	struct env_map declared = { 0 };
	struct plan_arena a = { 0 };
	size_t first = out->n;

	if (!pp || !pp->nargs)
		return;
	for (size_t k = 0; k < p->df->n && p->df->nodes[k].kind != DF_FROM; k++)
		for (size_t w = 0; w < p->df->nodes[k].nargs; w++)
			declare(&declared, p->df->nodes[k].args[w].s, &a);
	for (size_t i = 0; i < p->nstages; i++) {
		const struct plan_stage *st = &p->stages[i];

		if (!st->needed)
			continue;
		for (size_t k = 0; k < st->ninstrs; k++)
			if (st->instrs[k].kind == DF_ARG)
				for (size_t w = 0; w < st->instrs[k].npairs; w++)
					env_set(&declared, st->instrs[k].pairs[w].key, NULL, SRC_ARG);
	}
	for (size_t k = 0; k < pp->nargs; k++) {
		const char *key = pp->args[k].key;
		const struct env_slot *g = env_find(&pp->global, key);

		if (plan_is_proxy_arg(key) || !strncmp(key, "BUILDKIT_", 9) ||
		    !strcmp(key, "SOURCE_DATE_EPOCH") || (g && (g->flags & 1)) ||
		    env_find(&declared, key))
			continue;
		strvec_push(out, key);
	}
	env_clear(&declared);
	pa_free(&a);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_str);
}

void plan_warn_unused(const struct plan *p)
{
	struct strvec unused = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;

	plan_unused_build_args(p, &unused);
	for (size_t k = 0; k < unused.n; k++)
		strbuf_addf(&sb, "%s%s", k ? " " : "", unused.v[k]);
	if (unused.n)
		log_warn("One or more build-args [%s] were not consumed", sb.buf);
	strbuf_release(&sb);
	strvec_clear(&unused);
}
