/* jsonio.c: the shared JSON shapes of image documents, read strictly (a
 * wrong element type names the key and the index) and written in order. */
#include <stdlib.h>

#include "image/jsonio.h"
#include "util/sha256.h"
#include "util/xalloc.h"

int jio_string(const cJSON *obj, const char *key, bool required, char **out,
	       struct kerr *err)
{
	const char *s = NULL;

	if (json_get_string(obj, key, required, &s, err) < 0)
		return -1;
	if (s) {
		free(*out);
		*out = xstrdup(s);
	}
	return 0;
}

int jio_digest(const cJSON *obj, const char *key, bool required, char **out,
	       struct kerr *err)
{
	unsigned char h[SHA256_LEN];
	const char *s = NULL;

	if (json_get_string(obj, key, required, &s, err) < 0)
		return -1;
	if (!s)
		return 0;
	if (digest_parse(s, h, err) < 0)
		return kerr_wrap(err, "'%s'", key);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

int jio_strvec(const cJSON *obj, const char *key, struct strvec *out, bool *present,
	       struct kerr *err)
{
	const cJSON *a = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	const cJSON *v;
	int i = 0;

	if (present)
		*present = false;
	if (!a || cJSON_IsNull(a))
		return 0;
	if (json_get_array(obj, key, false, &a, err) < 0)
		return -1;
	strvec_clear(out);
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsString(v))
			return kerr_input(err, "'%s[%d]': expected a string", key, i);
		strvec_push(out, v->valuestring);
		i++;
	}
	if (present)
		*present = true;
	return 0;
}

int jio_map(const cJSON *obj, const char *key, bool as_set, struct img_map *out,
	    struct kerr *err)
{
	const cJSON *o = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	const cJSON *v;

	if (!o || cJSON_IsNull(o))
		return 0;
	if (json_get_object(obj, key, false, &o, err) < 0)
		return -1;
	img_map_clear(out);
	cJSON_ArrayForEach(v, o) {
		if (as_set ? !cJSON_IsObject(v) : !cJSON_IsString(v))
			return kerr_input(err, "'%s': '%s': expected %s", key, v->string,
					  as_set ? "an object" : "a string");
		img_map_set(out, v->string, as_set ? NULL : v->valuestring);
	}
	return 0;
}

int jio_size(const cJSON *obj, const char *key, bool required, int64_t *out,
	     struct kerr *err)
{
	if (json_get_int64(obj, key, required, out, err) < 0)
		return -1;
	if (*out < 0)
		return kerr_input(err, "'%s': must not be negative", key);
	return 0;
}

void jio_add_string(cJSON *obj, const char *key, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(obj, key, s);
}

void jio_add_strvec(cJSON *obj, const char *key, const struct strvec *sv)
{
	cJSON *a;

	if (!sv->n)
		return;
	a = cJSON_AddArrayToObject(obj, key);
	for (size_t i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
}

void jio_add_map(cJSON *obj, const char *key, const struct img_map *m, bool as_set)
{
	cJSON *o;

	if (!m->n)
		return;
	o = cJSON_AddObjectToObject(obj, key);
	for (size_t i = 0; i < m->n; i++) {
		if (as_set)
			cJSON_AddObjectToObject(o, m->e[i].key);
		else
			cJSON_AddStringToObject(o, m->e[i].key, m->e[i].value ? m->e[i].value : "");
	}
}

void jio_add_int(cJSON *obj, const char *key, int64_t v)
{
	cJSON_AddNumberToObject(obj, key, (double)v);
}

void jio_strvec_copy(struct strvec *dst, const struct strvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		strvec_push(dst, src->v[i]);
}
