/* map.c: the sorted string map: binary search, insertion in place; maps in
 * image JSON hold tens of entries, not thousands. */
#include <stdlib.h>
#include <string.h>

#include "image/map.h"
#include "util/xalloc.h"

/* index of key, or of where it would go (*found 0) */
static size_t locate(const struct img_map *m, const char *key, int *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->e[mid].key, key);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

void img_map_set(struct img_map *m, const char *key, const char *value)
{
	int found;
	size_t i = locate(m, key, &found);

	if (found) {
		free(m->e[i].value);
		m->e[i].value = value ? xstrdup(value) : NULL;
		return;
	}
	m->e = xgrow(m->e, sizeof(*m->e), m->n + 1, &m->alloc);
	memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof(*m->e));
	m->e[i].key = xstrdup(key);
	m->e[i].value = value ? xstrdup(value) : NULL;
	m->n++;
}

struct img_map_entry *img_map_find(const struct img_map *m, const char *key)
{
	int found;
	size_t i = locate(m, key, &found);

	return found ? &m->e[i] : NULL;
}

const char *img_map_get(const struct img_map *m, const char *key)
{
	struct img_map_entry *e = img_map_find(m, key);

	return e ? e->value : NULL;
}

int img_map_del(struct img_map *m, const char *key)
{
	int found;
	size_t i = locate(m, key, &found);

	if (!found)
		return 0;
	free(m->e[i].key);
	free(m->e[i].value);
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(*m->e));
	m->n--;
	return 1;
}

void img_map_copy(struct img_map *dst, const struct img_map *src)
{
	for (size_t i = 0; i < src->n; i++)
		img_map_set(dst, src->e[i].key, src->e[i].value);
}

void img_map_clear(struct img_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].key);
		free(m->e[i].value);
	}
	free(m->e);
	m->e = NULL;
	m->n = m->alloc = 0;
}
