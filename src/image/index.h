/* index.h: the image index (OCI) / manifest list (Docker), which is also
 * the shape of an image layout's index.json. */
#ifndef KILN_IMAGE_INDEX_H
#define KILN_IMAGE_INDEX_H

#include <stddef.h>

#include "image/descriptor.h"

struct oci_index {
	char *media_type;	/* MT_OCI_INDEX, MT_DOCKER_MANIFEST_LIST or NULL */
	char *artifact_type;
	struct oci_descriptor *manifests;
	size_t n;
	size_t alloc;
	struct oci_descriptor *subject;
	struct img_map annotations;
};

/* an empty OCI index (with its mediaType) */
void oci_index_init(struct oci_index *idx);
/* flags: OCI_ANY_MEDIA lets entries be of any media type (index.json) */
int oci_index_parse(const char *buf, size_t len, struct oci_index *idx, unsigned flags,
		    struct kerr *err);
char *oci_index_json(const struct oci_index *idx);
/* appends a copy of d; returns its position */
size_t oci_index_add(struct oci_index *idx, const struct oci_descriptor *d);
void oci_index_remove(struct oci_index *idx, size_t i);
int oci_index_to_docker(struct oci_index *idx, struct kerr *err);
void oci_index_clear(struct oci_index *idx);

#endif
