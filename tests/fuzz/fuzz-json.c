/* fuzz-json.c: libFuzzer harness for kiln's strict JSON reading: any input
 * must give a value or an error, never a crash, a leak or a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kerr err = KERR_INIT;
	cJSON *v = json_parse((const char *)data, size, "'fuzz'", &err);
	const cJSON *child = NULL;
	const char *s;
	int64_t n;
	bool b;

	if (v) {
		/* the getters must hold up against every shape of document */
		json_get_string(v, "mediaType", false, &s, &err);
		json_get_int64(v, "size", false, &n, &err);
		json_get_bool(v, "empty_layer", false, &b, &err);
		if (json_get_array(v, "layers", false, &child, &err) == 0 && child)
			for (const cJSON *e = child->child; e; e = e->next)
				json_get_string(e, "digest", false, &s, &err);
		child = NULL;
		if (json_get_object(v, "config", false, &child, &err) == 0 && child)
			json_get_string(child, "User", false, &s, &err);
		free(json_print(v));
		cJSON_Delete(v);
	}
	kerr_clear(&err);
	return 0;
}
