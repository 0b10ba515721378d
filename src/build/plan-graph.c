/* plan-graph.c: which stages a stage needs (its parent, COPY --from, RUN
 * --mount from=), cycles, what the target needs, and the waves of stages
 * that may run at once. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/plan-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int stage_by_name(const struct plan *p, const char *name)
{
	const struct plan_stage *s = plan_find_stage(p, name);

	return s ? s->index : -1;
}

/* Go's strconv.Atoi: an optional sign and decimal digits */
static bool is_number(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int plan_resolve_from(const struct plan *p, const char *from, bool by_index,
		      struct plan_src *out, struct kerr *err)
{
	int idx;

	out->kind = PLAN_SRC_STAGE;
	out->image = NULL;
	if (by_index && is_number(from)) {
		const char *d = from + (*from == '+' || *from == '-');
		long long v = 0;

		for (; *d && v <= (long long)p->nstages; d++)
			v = v * 10 + (*d - '0');
		if (*from == '-' || *d || v >= (long long)p->nstages)
			return kerr_input(err, "invalid stage index %s", from);
		out->stage = (int)v;
		return 0;
	}
	idx = stage_by_name(p, from);
	if (idx >= 0) {
		out->stage = idx;
		return 0;
	}
	out->kind = PLAN_SRC_IMAGE;
	out->stage = -1;
	out->image = from;
	return 0;
}

/* BuildKit resolves --from before any variable is known */
static int check_from_literal(const struct plan *p, const char *from, struct kerr *err)
{
	cleanup_free char *out = NULL;
	struct kerr ignored = KERR_INIT;
	int r = df_expand_word(from, p->df->escape, NULL, &out, &ignored);

	kerr_clear(&ignored);
	if (r < 0 || strcmp(out, from))
		return kerr_input(err, "variable expansion is not supported for --from, define "
				  "a new stage with FROM using ARG from global scope as a "
				  "workaround");
	return 0;
}

static void add_ref(struct stage_priv *sp, size_t *alloc, int stage, int line)
{
	sp->refs = xgrow(sp->refs, sizeof(*sp->refs), sp->nrefs + 1, alloc);
	sp->refs[sp->nrefs++] = (struct stage_ref){ stage, line };
}

static int find_refs(struct plan *p, size_t i, struct kerr *err)
{
	struct stage_priv *sp = &p->priv->stages[i];
	size_t alloc = 0;

	free(sp->refs);
	sp->refs = NULL;
	sp->nrefs = 0;
	for (size_t k = 0; k < sp->nsrc; k++) {
		const struct df_node *n = sp->src[k].node;
		int line = sp->src[k].line;
		const char *v;
		size_t pos = 0;

		if (n->kind == DF_COPY && (v = df_flag_get(n, "from"))) {
			struct plan_src src;

			if (check_from_literal(p, v, err) < 0 ||
			    plan_resolve_from(p, v, true, &src, err) < 0)
				return plan_at(p, line, err);
			if (src.kind == PLAN_SRC_STAGE)
				add_ref(sp, &alloc, src.stage, line);
			continue;
		}
		if (n->kind != DF_RUN)
			continue;
		while ((v = df_flag_next(n, "mount", &pos))) {
			struct df_mount m;
			int idx;

			/* most mounts take nothing from a stage: no need to parse */
			if (!strcasestr(v, "from"))
				continue;
			if (df_parse_mount(v, NULL, NULL, &m, err) < 0) {
				kerr_wrap(err, "--mount");
				return plan_at(p, line, err);
			}
			idx = m.from && *m.from && m.type != DF_MOUNT_TMPFS ?
			      stage_by_name(p, m.from) : -1;
			df_mount_release(&m);
			if (idx >= 0)
				add_ref(sp, &alloc, idx, line);
		}
	}
	return 0;
}

/* BuildKit's validateCircularDependency over the --from edges, from each
 * stage in turn, without recursion (a stage chain can be long) */
static int check_cycles(struct plan *p, struct kerr *err)
{
	size_t n = p->nstages;
	cleanup_free unsigned char *color = xcalloc(n, 1);	/* 0 new, 1 on path, 2 done */
	cleanup_free size_t *next = xcalloc(n, sizeof(size_t));
	cleanup_free int *stack = xcalloc(n, sizeof(int));

	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (color[root])
			continue;
		stack[depth++] = (int)root;
		color[root] = 1;
		while (depth) {
			int s = stack[depth - 1];
			struct stage_priv *sp = &p->priv->stages[s];
			const struct stage_ref *r;

			if (next[s] == sp->nrefs) {
				color[s] = 2;
				depth--;
				continue;
			}
			r = &sp->refs[next[s]++];
			if (color[r->stage] == 1) {
				char buf[24];

				kerr_input(err, "circular dependency detected on stage: %s",
					   plan_stage_name(&p->stages[root], buf));
				return plan_at(p, r->line, err);
			}
			if (color[r->stage] == 0) {
				color[r->stage] = 1;
				stack[depth++] = r->stage;
			}
		}
	}
	return 0;
}

static void mark_needed(struct plan *p)
{
	cleanup_free int *stack = xcalloc(p->nstages, sizeof(int));
	size_t depth = 0;

	for (size_t i = 0; i < p->nstages; i++)
		p->stages[i].needed = false;
	p->stages[p->target].needed = true;
	stack[depth++] = p->target;
	while (depth) {
		int s = stack[--depth];
		struct stage_priv *sp = &p->priv->stages[s];
		int b = p->stages[s].base_stage;

		if (b >= 0 && !p->stages[b].needed) {
			p->stages[b].needed = true;
			stack[depth++] = b;
		}
		for (size_t k = 0; k < sp->nrefs; k++) {
			int d = sp->refs[k].stage;

			if (!p->stages[d].needed) {
				p->stages[d].needed = true;
				stack[depth++] = d;
			}
		}
	}
}

/* a needed stage that takes files from a later one: BuildKit fails when it
 * dispatches the copy, as the source has not been built yet */
static int check_order(struct plan *p, struct kerr *err)
{
	for (size_t i = 0; i < p->nstages; i++) {
		struct stage_priv *sp = &p->priv->stages[i];

		if (!p->stages[i].needed)
			continue;
		for (size_t k = 0; k < sp->nrefs; k++) {
			char b1[24], b2[24];

			if (sp->refs[k].stage <= (int)i)
				continue;
			kerr_input(err, "cannot copy from stage \"%s\", it needs to be defined before "
				   "current stage \"%s\"",
				   plan_stage_name(&p->stages[sp->refs[k].stage], b1),
				   plan_stage_name(&p->stages[i], b2));
			return plan_at(p, sp->refs[k].line, err);
		}
	}
	return 0;
}

static void levels(struct plan *p)
{
	size_t n = p->nstages, o = 0, sk = 0;
	cleanup_free int *seen = xcalloc(n, sizeof(int));
	cleanup_free size_t *count = NULL;

	p->nlevels = 0;
	for (size_t i = 0; i < n; i++) {
		struct plan_stage *st = &p->stages[i];
		struct stage_priv *sp = &p->priv->stages[i];
		int b = st->base_stage;

		/* seen[d] == i + 1: d is in deps already */
		free(st->deps);
		st->deps = xcalloc(sp->nrefs + 1, sizeof(int));
		st->ndeps = 0;
		if (b >= 0) {
			st->deps[st->ndeps++] = b;
			seen[b] = (int)i + 1;
		}
		for (size_t k = 0; k < sp->nrefs; k++) {
			int d = sp->refs[k].stage;

			if (seen[d] != (int)i + 1) {
				seen[d] = (int)i + 1;
				st->deps[st->ndeps++] = d;
			}
		}
		st->level = -1;
		if (!st->needed)
			continue;
		st->level = 0;
		for (size_t k = 0; k < st->ndeps; k++)
			if (p->stages[st->deps[k]].level + 1 > st->level)
				st->level = p->stages[st->deps[k]].level + 1;
		if (st->level + 1 > p->nlevels)
			p->nlevels = st->level + 1;
	}
	/* counting sort by level keeps file order within a level */
	count = xcalloc((size_t)p->nlevels + 1, sizeof(size_t));
	free(p->order);
	free(p->skipped);
	p->order = xcalloc(n, sizeof(int));
	p->skipped = xcalloc(n, sizeof(int));
	for (size_t i = 0; i < n; i++)
		if (p->stages[i].needed)
			count[p->stages[i].level + 1]++;
	for (int l = 1; l <= p->nlevels; l++)
		count[l] += count[l - 1];
	for (size_t i = 0; i < n; i++) {
		if (p->stages[i].needed) {
			p->order[count[p->stages[i].level]++] = (int)i;
			o++;
		} else {
			p->skipped[sk++] = (int)i;
		}
	}
	p->norder = o;
	p->nskipped = sk;
}

int plan_graph(struct plan *p, struct kerr *err)
{
	for (size_t i = 0; i < p->nstages; i++)
		if (find_refs(p, i, err) < 0)
			return -1;
	if (check_cycles(p, err) < 0)
		return -1;
	mark_needed(p);
	if (check_order(p, err) < 0)
		return -1;
	levels(p);
	return 0;
}
