/* media.h: every media type kiln reads or writes, in one place, and what
 * each one is (index, manifest, config, layer) with its compression. */
#ifndef KILN_IMAGE_MEDIA_H
#define KILN_IMAGE_MEDIA_H

#include <stdbool.h>

#define MT_OCI_INDEX		"application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST		"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG		"application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER		"application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP	"application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD	"application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_OCI_LAYER_ND		"application/vnd.oci.image.layer.nondistributable.v1.tar"
#define MT_OCI_LAYER_ND_GZIP	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define MT_OCI_LAYER_ND_ZSTD	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define MT_OCI_EMPTY		"application/vnd.oci.empty.v1+json"
#define MT_OCI_LAYOUT_FILE	"oci-layout"
#define OCI_LAYOUT_VERSION	"1.0.0"

#define MT_DOCKER_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_MANIFEST_LIST	"application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG	"application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER		"application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP	"application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_ZSTD	"application/vnd.docker.image.rootfs.diff.tar.zstd"
#define MT_DOCKER_LAYER_FOREIGN	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* annotations kiln reads and writes */
#define OCI_ANNOT_REF_NAME	"org.opencontainers.image.ref.name"
#define OCI_ANNOT_CREATED	"org.opencontainers.image.created"

enum oci_media_kind {
	OCI_MEDIA_UNKNOWN = 0,
	OCI_MEDIA_INDEX,
	OCI_MEDIA_MANIFEST,
	OCI_MEDIA_CONFIG,
	OCI_MEDIA_LAYER,
};

enum oci_compression {
	OCI_COMP_NONE = 0,
	OCI_COMP_GZIP,
	OCI_COMP_ZSTD,
	OCI_COMP_UNKNOWN,	/* not a layer type kiln knows */
};

enum oci_media_kind oci_media_kind(const char *mt);
enum oci_compression oci_media_compression(const char *mt);
bool oci_media_is_docker(const char *mt);
/* the Docker / OCI spelling of the same thing; mt itself when there is none */
const char *oci_media_to_docker(const char *mt);
const char *oci_media_to_oci(const char *mt);
/* "type/subtype" as RFC 6838 allows it: what a descriptor may carry */
bool oci_media_valid(const char *mt);

#endif
