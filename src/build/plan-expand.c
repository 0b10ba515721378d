/* plan-expand.c: the instructions of the needed stages expanded as BuildKit
 * dispatches them: which words expand, the scope each sees (ARGs, ENVs, the
 * parent stage's), ARG values from build args, defaults and the global scope. */
#include <stdlib.h>
#include <string.h>

#include "build/plan-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* a stage's variables as its instructions run */
struct scope {
	struct env_map env;	/* what expansion sees: base image, ARG, ENV */
	struct env_map decl;	/* names of the ARGs declared so far -> index in args */
	struct kv_list args;	/* those ARGs with their own values, in order */
};

static void scope_free(struct scope *s)
{
	if (!s)
		return;
	env_clear(&s->env);
	env_clear(&s->decl);
	kv_release(&s->args);
	free(s);
}

static struct scope *scope_copy(const struct scope *s)
{
	struct scope *c = xcalloc(1, sizeof(*c));

	env_copy(&c->env, &s->env);
	env_copy(&c->decl, &s->decl);
	if (s->args.n) {
		c->args.v = xmemdup(s->args.v, s->args.n * sizeof(*s->args.v));
		c->args.n = c->args.alloc = s->args.n;
	}
	return c;
}

/* one stage's expansion */
struct xctx {
	struct plan *p;
	struct scope *s;
	struct plan_arena *a;
	struct df_env env;
	struct kv_list used;	/* ARG values the current instruction looked up */
	uint32_t stamp;
	/* RUN's args, shared by the RUNs between two ARG or ENV lines */
	struct plan_kv *run_args;
	size_t nrun_args;
	bool run_args_ok;
};

static const char *xlookup(void *ctx, const char *name)
{
	struct xctx *x = ctx;
	struct env_slot *s = env_find(&x->s->env, name);

	if (!s)
		return NULL;
	if (s->src == SRC_ARG && s->stamp != x->stamp) {
		s->stamp = x->stamp;
		kv_push(&x->used, s->name, s->value);
	}
	return s->value;
}

static const char *pa_strndup(struct plan_arena *a, const char *s, size_t n)
{
	char *d = pa_alloc(a, n + 1);

	memcpy(d, s, n);
	return d;
}

/* a word without '$', quotes or the escape char expands to itself */
static bool plain(const char *in, char escape)
{
	for (; *in; in++)
		if (*in == '$' || *in == '\'' || *in == '"' || *in == escape)
			return false;
	return true;
}

static int word(struct xctx *x, const char *in, const char **out, struct kerr *err)
{
	char *res;

	if (plain(in, x->p->df->escape)) {
		*out = in;
		return 0;
	}
	if (df_expand_word(in, x->p->df->escape, &x->env, &res, err) < 0)
		return -1;
	*out = pa_strdup(x->a, res);
	free(res);
	return 0;
}

static int mount_expand(void *ctx, const char *in, char **out, struct kerr *err)
{
	struct xctx *x = ctx;

	return df_expand_word(in, x->p->df->escape, &x->env, out, err);
}

/*
 * A COPY/ADD heredoc body: BuildKit expands it with '\' as the escape and
 * quotes taken literally; escaping each quote that is not escaped already
 * gives that from the word expander.
 */
static int heredoc_text(struct xctx *x, const struct df_heredoc *h, const char **out,
			struct kerr *err)
{
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	const char *s = h->content.s;
	char *res;

	if (!h->expand) {
		*out = s;
		return 0;
	}
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\') {
			strbuf_addch(&sb, s[i]);
			if (s[i + 1])
				strbuf_addch(&sb, s[++i]);
			continue;
		}
		if (s[i] == '\'' || s[i] == '"')
			strbuf_addch(&sb, '\\');
		strbuf_addch(&sb, s[i]);
	}
	if (df_expand_word(sb.buf, '\\', &x->env, &res, err) < 0)
		return kerr_wrap(err, "heredoc '%s'", h->name.s);
	*out = pa_strdup(x->a, res);
	free(res);
	return 0;
}

/* the --flags; COPY and ADD expand --chown, --chmod and --checksum */
static int flags(struct xctx *x, const struct df_node *n, struct plan_instr *in,
		 struct kerr *err)
{
	bool copy = n->kind == DF_COPY || n->kind == DF_ADD;

	if (!n->nflags)
		return 0;
	in->flags = pa_alloc(x->a, n->nflags * sizeof(*in->flags));
	for (size_t k = 0; k < n->nflags; k++) {
		const char *s = n->flags[k].s;
		const char *eq;
		struct plan_flag *f = &in->flags[in->nflags++];

		if (s[0] == '-' && s[1] == '-')
			s += 2;
		eq = strchr(s, '=');
		f->name = pa_strndup(x->a, s, eq ? (size_t)(eq - s) : strlen(s));
		f->value = eq ? eq + 1 : "";
		if (copy && eq && (!strcmp(f->name, "chown") || !strcmp(f->name, "chmod") ||
				   !strcmp(f->name, "checksum")) &&
		    word(x, eq + 1, &f->value, err) < 0)
			return kerr_wrap(err, "--%s", f->name);
	}
	return 0;
}

/* 3<<EOF, <<-"EOF": a source that is a heredoc */
static bool heredoc_word(const char *s)
{
	while (*s >= '0' && *s <= '9')
		s++;
	if (s[0] != '<' || s[1] != '<')
		return false;
	s += 2;
	if (*s == '-')
		s++;
	return *s != '\0';
}

static int copy_add(struct xctx *x, const struct df_node *n, struct plan_instr *in,
		    struct kerr *err)
{
	const char *from = n->kind == DF_COPY ? df_flag_get(n, "from") : NULL;
	size_t nh = 0;

	in->words = pa_alloc(x->a, (n->nargs + 1) * sizeof(*in->words));
	if (n->nheredocs)
		in->heredocs = pa_alloc(x->a, n->nheredocs * sizeof(*in->heredocs));
	for (size_t k = 0; k < n->nargs; k++) {
		/* the destination is never a heredoc */
		if (!n->json && k + 1 < n->nargs && nh < n->nheredocs &&
		    heredoc_word(n->args[k].s)) {
			nh++;
			continue;
		}
		if (word(x, n->args[k].s, &in->words[in->nwords], err) < 0)
			return -1;
		in->nwords++;
	}
	for (nh = 0; nh < n->nheredocs; nh++)
		if (heredoc_text(x, &n->heredocs[nh], &in->heredocs[nh], err) < 0)
			return -1;
	if (from)
		return plan_resolve_from(x->p, from, true, &in->from, err);
	return 0;
}

/* ENV and LABEL: every key and value expanded in the scope before the line */
static int pairs(struct xctx *x, const struct df_node *n, struct plan_instr *in,
		 struct kerr *err)
{
	in->pairs = pa_alloc(x->a, (n->nargs / 3 + 1) * sizeof(*in->pairs));
	for (size_t k = 0; k + 1 < n->nargs; k += 3) {
		struct plan_kv *kv = &in->pairs[in->npairs];

		if (word(x, n->args[k].s, &kv->key, err) < 0 ||
		    word(x, n->args[k + 1].s, &kv->value, err) < 0)
			return -1;
		in->npairs++;
	}
	if (n->kind == DF_ENV) {
		for (size_t k = 0; k < in->npairs; k++)
			env_set(&x->s->env, in->pairs[k].key, in->pairs[k].value, SRC_ENV);
		x->run_args_ok = false;
	}
	return 0;
}

/*
 * ARG name[=default]: a build arg wins, else the default expanded in the
 * scope so far, else (no default) the global scope's value; one without a
 * value is declared but not set. Each name sees the ones before it.
 */
static int args(struct xctx *x, const struct df_node *n, struct plan_instr *in,
		struct kerr *err)
{
	struct scope *s = x->s;

	in->pairs = pa_alloc(x->a, (n->nargs + 1) * sizeof(*in->pairs));
	for (size_t k = 0; k < n->nargs; k++) {
		const char *w = n->args[k].s, *eq = strchr(w, '=');
		const char *key = pa_strndup(x->a, w, eq ? (size_t)(eq - w) : strlen(w));
		const char *v = plan_arg_value(x->p, key);
		struct env_slot *d;

		if (!v && eq) {
			if (word(x, eq + 1, &v, err) < 0)
				return -1;
		} else if (!v) {
			struct env_slot *g = env_find(&x->p->priv->global, key);

			if (g) {
				g->flags |= 1;
				v = g->value;
			}
		}
		if (v)
			env_set(&s->env, key, v, SRC_ARG);
		d = env_find(&s->decl, key);
		if (d) {
			s->args.v[d->aux].value = v;
		} else {
			env_set(&s->decl, key, NULL, SRC_ARG)->aux = (int)s->args.n;
			kv_push(&s->args, key, v);
		}
		in->pairs[in->npairs++] = (struct plan_kv){ key, v };
	}
	x->run_args_ok = false;
	return 0;
}

static void run_args(struct xctx *x, struct plan_instr *in)
{
	struct scope *s = x->s;

	if (!x->run_args_ok) {
		x->nrun_args = s->args.n;
		x->run_args = s->args.n ? pa_alloc(x->a, s->args.n * sizeof(*x->run_args)) : NULL;
		for (size_t k = 0; k < s->args.n; k++) {
			const struct env_slot *e = env_find(&s->env, s->args.v[k].key);
			const char *v = e ? e->value : s->args.v[k].value;

			x->run_args[k].key = pa_strdup(x->a, s->args.v[k].key);
			x->run_args[k].value = v ? pa_strdup(x->a, v) : NULL;
		}
		x->run_args_ok = true;
	}
	in->args = x->run_args;
	in->nargs = x->nrun_args;
}

static int run(struct xctx *x, const struct df_node *n, struct plan_instr *in,
	       struct kerr *err)
{
	size_t pos = 0, count = 0;
	const char *v;

	while (df_flag_next(n, "mount", &pos))
		count++;
	if (count) {
		in->mounts = pa_alloc(x->a, count * sizeof(*in->mounts));
		in->mount_from = pa_alloc(x->a, count * sizeof(*in->mount_from));
	}
	pos = 0;
	while ((v = df_flag_next(n, "mount", &pos))) {
		struct df_mount *m = &in->mounts[in->nmounts];
		struct plan_src *src = &in->mount_from[in->nmounts];

		if (df_parse_mount(v, mount_expand, x, m, err) < 0)
			return kerr_wrap(err, "--mount");
		in->nmounts++;
		src->stage = -1;
		if (m->from && *m->from && m->type != DF_MOUNT_TMPFS)
			plan_resolve_from(x->p, m->from, false, src, err);
	}
	run_args(x, in);
	return 0;
}

static int each_word(struct xctx *x, const struct df_node *n, struct plan_instr *in,
		     size_t max, struct kerr *err)
{
	size_t count = n->nargs < max ? n->nargs : max;

	in->words = pa_alloc(x->a, (count + 1) * sizeof(*in->words));
	for (size_t k = 0; k < count; k++) {
		if (word(x, n->args[k].s, &in->words[k], err) < 0)
			return -1;
		in->nwords++;
	}
	return 0;
}

static int expose(struct xctx *x, const struct df_node *n, struct plan_instr *in,
		  struct kerr *err)
{
	cleanup_strvec struct strvec ports = STRVEC_INIT;

	for (size_t k = 0; k < n->nargs; k++)
		if (df_expand_words(n->args[k].s, x->p->df->escape, &x->env, &ports, err) < 0)
			return -1;
	in->words = pa_alloc(x->a, (ports.n + 1) * sizeof(*in->words));
	for (size_t k = 0; k < ports.n; k++)
		in->words[in->nwords++] = pa_strdup(x->a, ports.v[k]);
	return 0;
}

/* RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER, ONBUILD: as written */
static void as_written(struct xctx *x, const struct df_node *n, struct plan_instr *in)
{
	in->words = pa_alloc(x->a, (n->nargs + 1) * sizeof(*in->words));
	for (size_t k = 0; k < n->nargs; k++)
		in->words[in->nwords++] = n->args[k].s;
}

static int expand_instr(struct xctx *x, const struct stage_src *src, struct plan_instr *in,
			struct kerr *err)
{
	const struct df_node *n = src->node;
	int r = 0;

	in->kind = n->kind;
	in->node = n;
	in->line = src->line;
	in->onbuild = src->onbuild;
	in->from.stage = -1;
	x->stamp = ++x->p->priv->stamp;
	x->used.n = 0;
	if (flags(x, n, in, err) < 0)
		return -1;
	switch (n->kind) {
	case DF_ADD:
	case DF_COPY:
		r = copy_add(x, n, in, err);
		break;
	case DF_ENV:
	case DF_LABEL:
		r = pairs(x, n, in, err);
		break;
	case DF_ARG:
		r = args(x, n, in, err);
		break;
	case DF_RUN:
		as_written(x, n, in);
		return run(x, n, in, err);
	case DF_WORKDIR:
	case DF_USER:
	case DF_STOPSIGNAL:
		r = each_word(x, n, in, 1, err);
		break;
	case DF_VOLUME:
		r = each_word(x, n, in, n->nargs, err);
		break;
	case DF_EXPOSE:
		r = expose(x, n, in, err);
		break;
	default:
		as_written(x, n, in);
		break;
	}
	if (r == 0)
		in->args = kv_finish(&x->used, x->a, &in->nargs);
	return r;
}

void plan_stage_clear(struct plan_stage *st, struct stage_priv *sp)
{
	for (size_t k = 0; k < st->ninstrs; k++)
		for (size_t m = 0; m < st->instrs[k].nmounts; m++)
			df_mount_release(&st->instrs[k].mounts[m]);
	pa_free(&sp->arena);
	st->instrs = NULL;
	st->ninstrs = 0;
	sp->expanded = false;
}

static int expand_stage(struct plan *p, size_t i, struct scope *s, struct kerr *err)
{
	struct plan_stage *st = &p->stages[i];
	struct stage_priv *sp = &p->priv->stages[i];
	struct xctx x = { .p = p, .s = s, .a = &sp->arena };
	int r = 0;

	x.env = (struct df_env){ NULL, 0, xlookup, &x, NULL };
	plan_stage_clear(st, sp);
	st->instrs = pa_alloc(&sp->arena, (sp->nsrc + 1) * sizeof(*st->instrs));
	for (size_t k = 0; k < sp->nsrc; k++) {
		/* counted first, so a failure half way still frees its mounts */
		st->ninstrs = k + 1;
		if (expand_instr(&x, &sp->src[k], &st->instrs[k], err) < 0) {
			r = plan_at(p, sp->src[k].line, err);
			break;
		}
	}
	kv_release(&x.used);
	if (r == 0) {
		sp->expanded = true;
		sp->dirty = false;
	}
	return r;
}

/*
 * Expands the needed stages that are new or dirty, with the stages they are
 * built on (whose scope they start from) again, in file order. A parent's
 * scope goes to its last child in the pass and is copied for the others, so
 * a long chain of stages costs no copies.
 */
int plan_expand(struct plan *p, struct kerr *err)
{
	size_t n = p->nstages;
	cleanup_free bool *in = xcalloc(n, sizeof(bool));
	cleanup_free int *left = xcalloc(n, sizeof(int));
	cleanup_free struct scope **scopes = xcalloc(n, sizeof(*scopes));
	int r = 0;

	for (size_t i = 0; i < n; i++)
		in[i] = p->stages[i].needed &&
			(!p->priv->stages[i].expanded || p->priv->stages[i].dirty);
	for (size_t i = n; i-- > 0;)
		if (in[i] && p->stages[i].base_stage >= 0)
			in[p->stages[i].base_stage] = true;
	for (size_t i = 0; i < n; i++)
		if (in[i] && p->stages[i].base_stage >= 0)
			left[p->stages[i].base_stage]++;
	for (size_t i = 0; i < n && r == 0; i++) {
		int b = p->stages[i].base_stage;
		struct scope *s;

		if (!in[i])
			continue;
		if (b >= 0) {
			if (--left[b] == 0) {
				s = scopes[b];
				scopes[b] = NULL;
			} else {
				s = scope_copy(scopes[b]);
			}
		} else {
			const struct stage_priv *sp = &p->priv->stages[i];

			s = xcalloc(1, sizeof(*s));
			for (size_t k = 0; k < sp->nbase_env; k++)
				env_set(&s->env, sp->base_env[k].key, sp->base_env[k].value, SRC_BASE);
		}
		r = expand_stage(p, i, s, err);
		if (left[i] > 0)
			scopes[i] = s;
		else
			scope_free(s);
	}
	for (size_t i = 0; i < n; i++)
		scope_free(scopes[i]);
	return r;
}
