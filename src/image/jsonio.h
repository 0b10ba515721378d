/* jsonio.h: private to src/image: reading and writing the JSON shapes the
 * image documents share (string lists, string maps, sets, digests). */
#ifndef KILN_IMAGE_JSONIO_H
#define KILN_IMAGE_JSONIO_H

#include <stdbool.h>
#include <stdint.h>

#include "image/map.h"
#include "util/json.h"
#include "util/strvec.h"

/* string member copied into *out (freeing what was there) */
int jio_string(const cJSON *obj, const char *key, bool required, char **out,
	       struct kerr *err);
/* "sha256:<hex>" member */
int jio_digest(const cJSON *obj, const char *key, bool required, char **out,
	       struct kerr *err);
/* array of strings; null counts as absent (docker writes "Cmd": null) */
int jio_strvec(const cJSON *obj, const char *key, struct strvec *out, bool *present,
	       struct kerr *err);
/* object of strings (as_set false) or of empty objects (as_set true) */
int jio_map(const cJSON *obj, const char *key, bool as_set, struct img_map *out,
	    struct kerr *err);
int jio_size(const cJSON *obj, const char *key, bool required, int64_t *out,
	     struct kerr *err);

/* writers omit what is empty, as Go's omitempty does */
void jio_add_string(cJSON *obj, const char *key, const char *s);
void jio_add_strvec(cJSON *obj, const char *key, const struct strvec *sv);
void jio_add_map(cJSON *obj, const char *key, const struct img_map *m, bool as_set);
void jio_add_int(cJSON *obj, const char *key, int64_t v);

void jio_strvec_copy(struct strvec *dst, const struct strvec *src);

#endif
