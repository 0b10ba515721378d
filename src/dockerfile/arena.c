/* arena.c: a parsed file's strings and arrays come from one pool, so a tree
 * is freed in one call and memory stays proportional to the input. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/internal.h"
#include "util/arena.h"
#include "util/xalloc.h"

struct df_arena {
	struct arena mem;
};

struct df_arena *df_arena_new(void)
{
	return xcalloc(1, sizeof(struct df_arena));
}

void df_arena_free(struct df_arena *a)
{
	if (!a)
		return;
	arena_release(&a->mem);
	free(a);
}

void *df_arena_alloc(struct df_arena *a, size_t n)
{
	return arena_alloc(&a->mem, n);
}

struct df_str df_arena_str(struct df_arena *a, const char *s, size_t n)
{
	return (struct df_str){ arena_strndup(&a->mem, s, n), n };
}

void *df_arena_memdup(struct df_arena *a, const void *p, size_t n)
{
	return arena_memdup(&a->mem, p, n);
}

void df_strlist_push(struct df_strlist *l, struct df_arena *a, const char *s, size_t n)
{
	l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &l->alloc);
	l->v[l->n++] = df_arena_str(a, s, n);
}

struct df_str *df_strlist_finish(struct df_strlist *l, struct df_arena *a, size_t *n)
{
	struct df_str *v = df_arena_memdup(a, l->v, l->n * sizeof(*l->v));

	*n = l->n;
	l->n = 0;
	return v;
}

void df_strlist_release(struct df_strlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}
