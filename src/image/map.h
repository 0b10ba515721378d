/* map.h: a string map kept sorted by key, as Go's encoding/json writes maps,
 * for labels, annotations and the ExposedPorts / Volumes sets. */
#ifndef KILN_IMAGE_MAP_H
#define KILN_IMAGE_MAP_H

#include <stddef.h>

struct img_map_entry {
	char *key;
	char *value;	/* NULL in a set (ExposedPorts, Volumes) */
};

struct img_map {
	struct img_map_entry *e;
	size_t n;
	size_t alloc;
};

#define IMG_MAP_INIT { NULL, 0, 0 }

/* replaces an existing key's value; value may be NULL */
void img_map_set(struct img_map *m, const char *key, const char *value);
/* the entry for key, or NULL */
struct img_map_entry *img_map_find(const struct img_map *m, const char *key);
const char *img_map_get(const struct img_map *m, const char *key);
/* returns 1 when key was there */
int img_map_del(struct img_map *m, const char *key);
void img_map_copy(struct img_map *dst, const struct img_map *src);
void img_map_clear(struct img_map *m);

#endif
