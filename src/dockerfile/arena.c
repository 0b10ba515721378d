/* arena.c: a parsed file's strings and arrays come from one pool, so a tree
 * is freed in one call and memory stays proportional to the input. */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/internal.h"
#include "util/xalloc.h"

/* Big enough that a typical Dockerfile needs one or two; requests larger
 * than this get a chunk of their own. */
#define CHUNK_SIZE (16 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

struct df_arena {
	struct chunk *head;
};

struct df_arena *df_arena_new(void)
{
	return xcalloc(1, sizeof(struct df_arena));
}

void df_arena_free(struct df_arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *df_arena_alloc(struct df_arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c = a->head;
	size_t need = (n + align - 1) & ~(align - 1);
	void *p;

	if (need < n)
		need = xmul(n, 2);	/* overflow: let xmul abort */
	if (!c || c->size - c->used < need) {
		size_t size = need > CHUNK_SIZE ? need : CHUNK_SIZE;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		if (a->head && need > CHUNK_SIZE) {
			/* keep filling the current chunk after a big one */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

struct df_str df_arena_str(struct df_arena *a, const char *s, size_t n)
{
	char *p = df_arena_alloc(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return (struct df_str){ p, n };
}

void *df_arena_memdup(struct df_arena *a, const void *p, size_t n)
{
	void *q;

	if (!n)
		return NULL;
	q = df_arena_alloc(a, n);
	memcpy(q, p, n);
	return q;
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
