/* fuzz-image.c: libFuzzer harness for the image JSON readers (manifest,
 * index, config): any input is read or refused, and what is read writes back
 * to bytes that read again to the same bytes (digests depend on it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/config.h"
#include "image/index.h"
#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* serialize, parse, serialize: the two outputs must match */
#define ROUND_TRIP(type, parse, json, clear, ...)				\
	do {									\
		struct type a, b;						\
		struct kerr err = KERR_INIT;					\
		memset(&a, 0, sizeof(a));					\
		memset(&b, 0, sizeof(b));					\
		if (parse((const char *)data, size, &a, ##__VA_ARGS__, &err) == 0) { \
			char *s1 = json(&a);					\
			if (parse(s1, strlen(s1), &b, ##__VA_ARGS__, &err) != 0) \
				abort();					\
			char *s2 = json(&b);					\
			if (strcmp(s1, s2) != 0)				\
				abort();					\
			free(s1);						\
			free(s2);						\
		}								\
		clear(&a);							\
		clear(&b);							\
		kerr_clear(&err);						\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ROUND_TRIP(oci_manifest, oci_manifest_parse, oci_manifest_json, oci_manifest_clear);
	ROUND_TRIP(oci_index, oci_index_parse, oci_index_json, oci_index_clear, 0);
	ROUND_TRIP(oci_index, oci_index_parse, oci_index_json, oci_index_clear, OCI_ANY_MEDIA);
	ROUND_TRIP(img_config, img_config_parse, img_config_json, img_config_clear);
	return 0;
}
