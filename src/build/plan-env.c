/* plan-env.c: the planner's memory (an arena per stage) and its scopes: a
 * hash map from variable names to values that remembers where each came from. */
#include <stdlib.h>
#include <string.h>

#include "build/plan-internal.h"
#include "util/arena.h"
#include "util/xalloc.h"

/* ---- arena ---- */

void *pa_alloc(struct plan_arena *a, size_t n)
{
	return arena_alloc(&a->mem, n);
}

const char *pa_strdup(struct plan_arena *a, const char *s)
{
	return arena_strndup(&a->mem, s, strlen(s));
}

void *pa_memdup(struct plan_arena *a, const void *p, size_t n, size_t size)
{
	return arena_memdup(&a->mem, p, xmul(n, size));
}

void pa_free(struct plan_arena *a)
{
	arena_release(&a->mem);
}

/* ---- map ---- */

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct env_slot *probe(const struct env_map *m, const char *name, uint32_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct env_slot *s = &m->slots[i];

		if (!s->name || (s->hash == h && !strcmp(s->name, name)))
			return s;
	}
}

struct env_slot *env_find(const struct env_map *m, const char *name)
{
	struct env_slot *s;

	if (!m->cap)
		return NULL;
	s = probe(m, name, hash_name(name));
	return s->name ? s : NULL;
}

static void grow(struct env_map *m)
{
	struct env_map bigger = { NULL, m->cap ? m->cap * 2 : 16, 0 };

	bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].name)
			*probe(&bigger, m->slots[i].name, m->slots[i].hash) = m->slots[i];
	bigger.n = m->n;
	free(m->slots);
	*m = bigger;
}

struct env_slot *env_set(struct env_map *m, const char *name, const char *value,
			 enum env_src src)
{
	uint32_t h = hash_name(name);
	struct env_slot *s;

	/* at most half full, so probes stay short */
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	s = probe(m, name, h);
	if (!s->name) {
		s->name = name;
		s->hash = h;
		s->stamp = 0;
		s->aux = 0;
		s->flags = 0;
		m->n++;
	}
	s->value = value;
	s->src = (uint8_t)src;
	return s;
}

void env_copy(struct env_map *dst, const struct env_map *src)
{
	dst->cap = src->cap;
	dst->n = src->n;
	dst->slots = src->cap ? xmemdup(src->slots, src->cap * sizeof(*src->slots)) : NULL;
}

void env_clear(struct env_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- pairs ---- */

void kv_push(struct kv_list *l, const char *key, const char *value)
{
	l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &l->alloc);
	l->v[l->n].key = key;
	l->v[l->n].value = value;
	l->n++;
}

struct plan_kv *kv_finish(struct kv_list *l, struct plan_arena *a, size_t *n)
{
	struct plan_kv *v = pa_memdup(a, l->v, l->n, sizeof(*l->v));

	/* the strings may live in another stage's arena or a scope */
	for (size_t k = 0; k < l->n; k++) {
		v[k].key = pa_strdup(a, v[k].key);
		if (v[k].value)
			v[k].value = pa_strdup(a, v[k].value);
	}
	*n = l->n;
	l->n = 0;
	return v;
}

void kv_release(struct kv_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
