/* arena.h: a bump allocator for data that lives and dies together (a parsed
 * Dockerfile, a build plan): many small allocations, one release. */
#ifndef KILN_UTIL_ARENA_H
#define KILN_UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

#define ARENA_INIT { NULL }

/* n zeroed bytes aligned for any type; aborts on exhaustion like xmalloc */
void *arena_alloc(struct arena *a, size_t n);
/* NULL for n == 0 */
void *arena_memdup(struct arena *a, const void *p, size_t n);
/* s[0..n) and a NUL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* frees every chunk; the arena is empty and usable again */
void arena_release(struct arena *a);

#endif
