/* plan-internal.h: what the planner's files share: a bump allocator, a
 * string map for scopes, the per-stage state behind struct plan. */
#ifndef KILN_BUILD_PLAN_INTERNAL_H
#define KILN_BUILD_PLAN_INTERNAL_H

#include <stdint.h>

#include "build/plan.h"
#include "dockerfile/shell.h"
#include "util/arena.h"

/* ---- plan-env.c: memory and scopes ---- */

/* Everything a stage's expansion produces lives in one arena, so expanding
 * the stage again (after ONBUILD triggers) frees the old result at once. */
struct plan_arena {
	struct arena mem;
};

void *pa_alloc(struct plan_arena *a, size_t n);	/* zeroed */
const char *pa_strdup(struct plan_arena *a, const char *s);
/* copies n elements of size into the arena (NULL for none) */
void *pa_memdup(struct plan_arena *a, const void *p, size_t n, size_t size);
void pa_free(struct plan_arena *a);

/* where a scope's value came from */
enum env_src {
	SRC_BASE,	/* the base image's config */
	SRC_ENV,	/* ENV */
	SRC_ARG,	/* ARG, a build arg, an automatic platform arg */
};

struct env_slot {
	const char *name;	/* NULL: empty slot */
	const char *value;
	uint32_t hash;
	uint32_t stamp;		/* the last expansion that recorded it as used */
	int aux;		/* free for the owner: an index */
	uint8_t src;
	uint8_t flags;		/* global scope: 1 once looked up */
};

/* name -> value, open addressing; names and values are not owned */
struct env_map {
	struct env_slot *slots;
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

struct env_slot *env_find(const struct env_map *m, const char *name);
/* inserts or replaces; returns the slot (valid until the next set) */
struct env_slot *env_set(struct env_map *m, const char *name, const char *value,
			 enum env_src src);
void env_copy(struct env_map *dst, const struct env_map *src);
void env_clear(struct env_map *m);

/* a growable list of name/value pairs, moved into an arena when done */
struct kv_list {
	struct plan_kv *v;
	size_t n, alloc;
};

void kv_push(struct kv_list *l, const char *key, const char *value);
/* copies the list and its strings into a, and empties it */
struct plan_kv *kv_finish(struct kv_list *l, struct plan_arena *a, size_t *n);
void kv_release(struct kv_list *l);

/* ---- plan.c and friends: the state behind struct plan ---- */

/* one instruction a stage runs, before expansion */
struct stage_src {
	const struct df_node *node;
	int line;
	bool onbuild;
};

/* a stage another one needs, found without expanding anything */
struct stage_ref {
	int stage;
	int line;		/* of the COPY or RUN */
};

struct stage_priv {
	const struct df_node *from;	/* its FROM line */
	struct stage_src *src;
	size_t nsrc, alloc;
	struct stage_ref *refs;	/* COPY --from and mount sources that are stages */
	size_t nrefs;
	struct plan_arena arena;	/* instrs and all they point to */
	const struct plan_kv *base_env;	/* plan_set_base_env, in the plan's arena */
	size_t nbase_env;
	bool expanded;
	bool dirty;
};

struct build_arg {
	const char *key;
	const char *value;
};

struct plan_priv {
	struct plan_arena arena;	/* what lives as long as the plan */
	struct stage_priv *stages;
	struct build_arg *args;		/* --build-arg, one per key */
	size_t nargs;
	struct env_map global;		/* the global scope */
	struct env_map names;		/* stage names -> index (aux) */
	struct df_file *triggers;	/* parsed ONBUILD triggers of base images */
	size_t ntriggers, triggers_alloc;
	uint32_t stamp;			/* counts expansions, see env_slot.stamp */
};

/* the value of --build-arg key, NULL when not given */
const char *plan_arg_value(const struct plan *p, const char *key);
bool plan_is_proxy_arg(const char *key);

/* COPY --from (by_index: a number is a stage index) or a mount's from=:
 * a stage by its name, else an image; out->image points to from */
int plan_resolve_from(const struct plan *p, const char *from, bool by_index,
		      struct plan_src *out, struct kerr *err);

/* plan-graph.c: refs, cycles, the target, levels; plan-expand.c: the
 * needed stages not expanded yet (or dirty) and their ancestors */
int plan_graph(struct plan *p, struct kerr *err);
int plan_expand(struct plan *p, struct kerr *err);
/* frees what a stage's expansion made */
void plan_stage_clear(struct plan_stage *st, struct stage_priv *sp);
/* marks stage and every stage built on it (FROM it, directly or not) dirty */
void plan_mark_dirty(struct plan *p, int stage);

/* "path:LINE: " in front of err's message; returns -1 */
int plan_at(const struct plan *p, int line, struct kerr *err);

#endif
