/* json.h: cJSON with strict reading: a missing key or a value of the wrong
 * type is an error naming the key, never a NULL dereference later. */
#ifndef KILN_UTIL_JSON_H
#define KILN_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* Parses exactly one JSON value from buf (trailing garbage is an error);
 * what names the input in messages ("'manifest.json'"). */
cJSON *json_parse(const char *buf, size_t len, const char *what, struct kerr *err);

/* Getters: key absent -> 0 and *out untouched when !required, an input error
 * when required; present with the wrong type -> always an input error. */
int json_get_string(const cJSON *obj, const char *key, bool required,
		    const char **out, struct kerr *err);
int json_get_int64(const cJSON *obj, const char *key, bool required,
		   int64_t *out, struct kerr *err);
int json_get_bool(const cJSON *obj, const char *key, bool required,
		  bool *out, struct kerr *err);
int json_get_object(const cJSON *obj, const char *key, bool required,
		    const cJSON **out, struct kerr *err);
int json_get_array(const cJSON *obj, const char *key, bool required,
		   const cJSON **out, struct kerr *err);

/* compact output, as image digests need it; caller frees */
char *json_print(const cJSON *v);

#define cleanup_json __attribute__((cleanup(json_deletep)))
static inline void json_deletep(cJSON **v)
{
	cJSON_Delete(*v);
}

#endif
