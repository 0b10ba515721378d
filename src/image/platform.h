/* platform.h: image platforms (os/arch/variant): parsing, docker's
 * normalisation (x86_64 == amd64, aarch64 == arm64 == arm64/v8, arm ==
 * arm/v7), matching, and choosing the best manifest of an index. */
#ifndef KILN_IMAGE_PLATFORM_H
#define KILN_IMAGE_PLATFORM_H

#include <stdbool.h>

#include "util/json.h"
#include "util/strvec.h"

struct oci_platform {
	char *architecture;
	char *os;
	char *os_version;		/* "os.version" */
	struct strvec os_features;	/* "os.features" */
	char *variant;
	struct strvec features;
};

#define OCI_PLATFORM_INIT { NULL, NULL, NULL, STRVEC_INIT, NULL, STRVEC_INIT }

/* the JSON object of a descriptor's "platform" */
int oci_platform_parse(const cJSON *obj, struct oci_platform *p, struct kerr *err);
cJSON *oci_platform_json(const struct oci_platform *p);
void oci_platform_copy(struct oci_platform *dst, const struct oci_platform *src);
void oci_platform_clear(struct oci_platform *p);

/* "linux/arm64/v8", "linux/amd64", "arm64" (the host's os), "linux" (the
 * host's arch); the result is normalised */
int img_platform_parse(const char *s, struct oci_platform *p, struct kerr *err);
/* lowercase and docker's spellings, in place */
void img_platform_normalize(struct oci_platform *p);
/* "os/arch[/variant]"; caller frees */
char *img_platform_format(const struct oci_platform *p);
/* the platform this kiln runs on, normalised */
void img_platform_host(struct oci_platform *p);
/* true when an image for have runs as want: same os, arch and variant after
 * normalisation (an empty variant in want accepts any) */
bool img_platform_match(const struct oci_platform *want, const struct oci_platform *have);

struct oci_index;
/* the entry of idx that best fits want (NULL: the host), by containerd's
 * order: exact first, then older variants (arm64 -> arm/v8..v5, amd64 ->
 * 386); -1 when none fits */
int img_index_select(const struct oci_index *idx, const struct oci_platform *want);

#endif
