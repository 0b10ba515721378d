/* media.c: the media type table: one row per type with its kind, its
 * compression and its counterpart in the other (OCI or Docker) family. */
#include <string.h>

#include "image/media.h"

struct media_row {
	const char *oci;
	const char *docker;	/* NULL: Docker has no such type */
	enum oci_media_kind kind;
	enum oci_compression comp;
};

static const struct media_row rows[] = {
	{ MT_OCI_INDEX, MT_DOCKER_MANIFEST_LIST, OCI_MEDIA_INDEX, OCI_COMP_NONE },
	{ MT_OCI_MANIFEST, MT_DOCKER_MANIFEST, OCI_MEDIA_MANIFEST, OCI_COMP_NONE },
	{ MT_OCI_CONFIG, MT_DOCKER_CONFIG, OCI_MEDIA_CONFIG, OCI_COMP_NONE },
	{ MT_OCI_LAYER, MT_DOCKER_LAYER, OCI_MEDIA_LAYER, OCI_COMP_NONE },
	{ MT_OCI_LAYER_GZIP, MT_DOCKER_LAYER_GZIP, OCI_MEDIA_LAYER, OCI_COMP_GZIP },
	{ MT_OCI_LAYER_ZSTD, MT_DOCKER_LAYER_ZSTD, OCI_MEDIA_LAYER, OCI_COMP_ZSTD },
	{ MT_OCI_LAYER_ND, NULL, OCI_MEDIA_LAYER, OCI_COMP_NONE },
	{ MT_OCI_LAYER_ND_GZIP, MT_DOCKER_LAYER_FOREIGN, OCI_MEDIA_LAYER, OCI_COMP_GZIP },
	{ MT_OCI_LAYER_ND_ZSTD, NULL, OCI_MEDIA_LAYER, OCI_COMP_ZSTD },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct media_row *find(const char *mt, bool *docker)
{
	if (!mt)
		return NULL;
	for (size_t i = 0; i < NROWS; i++) {
		if (!strcmp(rows[i].oci, mt)) {
			*docker = false;
			return &rows[i];
		}
		if (rows[i].docker && !strcmp(rows[i].docker, mt)) {
			*docker = true;
			return &rows[i];
		}
	}
	return NULL;
}

enum oci_media_kind oci_media_kind(const char *mt)
{
	bool d;
	const struct media_row *r = find(mt, &d);

	return r ? r->kind : OCI_MEDIA_UNKNOWN;
}

enum oci_compression oci_media_compression(const char *mt)
{
	bool d;
	const struct media_row *r = find(mt, &d);

	return r && r->kind == OCI_MEDIA_LAYER ? r->comp : OCI_COMP_UNKNOWN;
}

bool oci_media_is_docker(const char *mt)
{
	bool d = false;

	return find(mt, &d) && d;
}

const char *oci_media_to_docker(const char *mt)
{
	bool d;
	const struct media_row *r = find(mt, &d);

	return r && r->docker ? r->docker : mt;
}

const char *oci_media_to_oci(const char *mt)
{
	bool d;
	const struct media_row *r = find(mt, &d);

	return r ? r->oci : mt;
}

/* RFC 6838 restricted-name: alnum first, then alnum and !#$&-^_.+ */
static const char *restricted_name(const char *s)
{
	size_t n = 0;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return NULL;
	while (s[n] && n < 127 && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
				   (s[n] >= '0' && s[n] <= '9') || strchr("!#$&-^_.+", s[n])))
		n++;
	return s + n;
}

bool oci_media_valid(const char *mt)
{
	const char *p;

	if (!mt || !(p = restricted_name(mt)) || *p != '/')
		return false;
	p = restricted_name(p + 1);
	return p && *p == '\0';
}
