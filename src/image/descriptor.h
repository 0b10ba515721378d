/* descriptor.h: OCI content descriptors (mediaType, digest, size and the
 * optional urls, annotations, platform, artifactType). */
#ifndef KILN_IMAGE_DESCRIPTOR_H
#define KILN_IMAGE_DESCRIPTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "image/map.h"
#include "image/platform.h"
#include "util/json.h"
#include "util/strvec.h"

struct oci_descriptor {
	char *media_type;
	char *digest;		/* "sha256:<hex>" */
	int64_t size;
	struct strvec urls;
	struct img_map annotations;
	struct oci_platform *platform;	/* NULL when absent */
	char *artifact_type;
};

#define OCI_DESCRIPTOR_INIT { NULL, NULL, 0, STRVEC_INIT, IMG_MAP_INIT, NULL, NULL }

/* parse flags */
#define OCI_ANY_MEDIA	1	/* any valid media type, not only the known ones */

int oci_descriptor_parse(const cJSON *obj, struct oci_descriptor *d, unsigned flags,
			 struct kerr *err);
/* docker: Docker's key order (mediaType, size, digest) and no OCI-only fields */
cJSON *oci_descriptor_json(const struct oci_descriptor *d, bool docker);
void oci_descriptor_set(struct oci_descriptor *d, const char *media_type,
			const char *digest, int64_t size);
void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src);
void oci_descriptor_clear(struct oci_descriptor *d);
/* the ref.name annotation or NULL */
const char *oci_descriptor_ref_name(const struct oci_descriptor *d);

#endif
