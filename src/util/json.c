/* json.c: strict access to cJSON values, and cJSON allocating through the
 * x-wrappers so that out-of-memory aborts in one place. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/xalloc.h"

static void *json_malloc(size_t n)
{
	return xmalloc(n);
}

static void __attribute__((constructor)) json_setup(void)
{
	cJSON_Hooks hooks = { json_malloc, free };

	cJSON_InitHooks(&hooks);
}

cJSON *json_parse(const char *buf, size_t len, const char *what, struct kerr *err)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	size_t off;

	if (!v) {
		/* cJSON reports running out of input as an error at the last
		 * byte; again with a NUL after the input (never valid JSON)
		 * it stops at len instead, which tells the two apart */
		char *padded = xmalloc(len + 1);

		if (len)
			memcpy(padded, buf, len);
		padded[len] = '\0';
		end = NULL;
		cJSON_Delete(cJSON_ParseWithLengthOpts(padded, len + 1, &end, 0));
		off = end && end >= padded ? (size_t)(end - padded) : 0;
		free(padded);
		if (off >= len)
			kerr_input(err, "%s: invalid JSON: unexpected end of input", what);
		else
			kerr_input(err, "%s: invalid JSON at byte %zu", what, off);
		return NULL;
	}
	off = (size_t)(end - buf);
	while (off < len && strchr(" \t\r\n", buf[off]) && buf[off])
		off++;
	if (off < len) {
		cJSON_Delete(v);
		kerr_input(err, "%s: invalid JSON: trailing data at byte %zu", what, off);
		return NULL;
	}
	return v;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "invalid";
}

/* the member, NULL when absent (0) or an error (-1) */
static int member(const cJSON *obj, const char *key, bool required,
		  const cJSON **out, struct kerr *err)
{
	if (!cJSON_IsObject(obj))
		return kerr_input(err, "'%s': parent is %s, not an object", key,
				  obj ? type_name(obj) : "missing");
	*out = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!*out && required)
		return kerr_input(err, "'%s': missing", key);
	return 0;
}

static int wrong_type(const char *key, const cJSON *v, const char *want, struct kerr *err)
{
	return kerr_input(err, "'%s': expected %s, found %s", key, want, type_name(v));
}

int json_get_string(const cJSON *obj, const char *key, bool required,
		    const char **out, struct kerr *err)
{
	const cJSON *v;

	if (member(obj, key, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return wrong_type(key, v, "a string", err);
	*out = v->valuestring;
	return 0;
}

int json_get_int64(const cJSON *obj, const char *key, bool required,
		   int64_t *out, struct kerr *err)
{
	const cJSON *v;
	double d;

	if (member(obj, key, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return wrong_type(key, v, "an integer", err);
	d = v->valuedouble;
	/* from 2^53 on a double no longer holds every integer: 2^53 + 1
	 * reads as 2^53, so neither can be trusted */
	if (d != floor(d) || d >= 9007199254740992.0 || d <= -9007199254740992.0)
		return kerr_input(err, "'%s': %g is not an integer kiln can hold", key, d);
	*out = (int64_t)d;
	return 0;
}

int json_get_bool(const cJSON *obj, const char *key, bool required,
		  bool *out, struct kerr *err)
{
	const cJSON *v;

	if (member(obj, key, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return wrong_type(key, v, "a boolean", err);
	*out = cJSON_IsTrue(v);
	return 0;
}

int json_get_object(const cJSON *obj, const char *key, bool required,
		    const cJSON **out, struct kerr *err)
{
	const cJSON *v;

	if (member(obj, key, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return wrong_type(key, v, "an object", err);
	*out = v;
	return 0;
}

int json_get_array(const cJSON *obj, const char *key, bool required,
		   const cJSON **out, struct kerr *err)
{
	const cJSON *v;

	if (member(obj, key, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return wrong_type(key, v, "an array", err);
	*out = v;
	return 0;
}

char *json_print(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (!s)
		abort(); /* only on allocation failure, which xmalloc already aborts on */
	return s;
}
