/* manifest.h: the image manifest, OCI (written by default) or Docker
 * schema2 (read, and written when asked). */
#ifndef KILN_IMAGE_MANIFEST_H
#define KILN_IMAGE_MANIFEST_H

#include <stddef.h>

#include "image/descriptor.h"

struct oci_manifest {
	char *media_type;	/* MT_OCI_MANIFEST or MT_DOCKER_MANIFEST */
	char *artifact_type;
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t nlayers;
	size_t layers_alloc;
	struct oci_descriptor *subject;
	struct img_map annotations;
};

/* an empty OCI manifest whose config is to be set */
void oci_manifest_init(struct oci_manifest *m);
int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *m, struct kerr *err);
/* compact JSON in the manifest's own family; caller frees */
char *oci_manifest_json(const struct oci_manifest *m);
void oci_manifest_add_layer(struct oci_manifest *m, const char *media_type,
			    const char *digest, int64_t size);
/* switches to Docker media types; fails when a layer type has no Docker
 * spelling (zstd non-distributable) */
int oci_manifest_to_docker(struct oci_manifest *m, struct kerr *err);
void oci_manifest_clear(struct oci_manifest *m);

#endif
