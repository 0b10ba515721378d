/* descriptor.c: descriptors read strictly (digest syntax, size >= 0, media
 * type known or at least well-formed) and written in the OCI Go struct's
 * key order, or Docker's when asked. */
#include <stdlib.h>

#include "image/descriptor.h"
#include "image/jsonio.h"
#include "image/media.h"
#include "util/xalloc.h"

int oci_descriptor_parse(const cJSON *obj, struct oci_descriptor *d, unsigned flags,
			 struct kerr *err)
{
	const cJSON *plat = NULL;

	if (!cJSON_IsObject(obj))
		return kerr_input(err, "expected a descriptor object");
	if (jio_string(obj, "mediaType", true, &d->media_type, err) < 0 ||
	    jio_digest(obj, "digest", true, &d->digest, err) < 0 ||
	    jio_size(obj, "size", true, &d->size, err) < 0 ||
	    jio_strvec(obj, "urls", &d->urls, NULL, err) < 0 ||
	    jio_map(obj, "annotations", false, &d->annotations, err) < 0 ||
	    jio_string(obj, "artifactType", false, &d->artifact_type, err) < 0 ||
	    json_get_object(obj, "platform", false, &plat, err) < 0)
		return -1;
	if (!oci_media_valid(d->media_type))
		return kerr_input(err, "'mediaType': '%s' is not a media type", d->media_type);
	if (!(flags & OCI_ANY_MEDIA) && oci_media_kind(d->media_type) == OCI_MEDIA_UNKNOWN)
		return kerr_input(err, "'mediaType': unknown media type '%s'", d->media_type);
	if (plat) {
		d->platform = xcalloc(1, sizeof(*d->platform));
		if (oci_platform_parse(plat, d->platform, err) < 0)
			return -1;
	}
	return 0;
}

cJSON *oci_descriptor_json(const struct oci_descriptor *d, bool docker)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mediaType", d->media_type ? d->media_type : "");
	if (docker) {
		jio_add_int(o, "size", d->size);
		cJSON_AddStringToObject(o, "digest", d->digest ? d->digest : "");
	} else {
		cJSON_AddStringToObject(o, "digest", d->digest ? d->digest : "");
		jio_add_int(o, "size", d->size);
	}
	jio_add_strvec(o, "urls", &d->urls);
	jio_add_map(o, "annotations", &d->annotations, false);
	if (d->platform)
		cJSON_AddItemToObject(o, "platform", oci_platform_json(d->platform));
	if (!docker)
		jio_add_string(o, "artifactType", d->artifact_type);
	return o;
}

void oci_descriptor_set(struct oci_descriptor *d, const char *media_type,
			const char *digest, int64_t size)
{
	oci_descriptor_clear(d);
	d->media_type = xstrdup(media_type);
	d->digest = xstrdup(digest);
	d->size = size;
}

void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src)
{
	oci_descriptor_set(dst, src->media_type ? src->media_type : "",
			   src->digest ? src->digest : "", src->size);
	jio_strvec_copy(&dst->urls, &src->urls);
	img_map_copy(&dst->annotations, &src->annotations);
	if (src->platform) {
		dst->platform = xcalloc(1, sizeof(*dst->platform));
		oci_platform_copy(dst->platform, src->platform);
	}
	dst->artifact_type = src->artifact_type ? xstrdup(src->artifact_type) : NULL;
}

void oci_descriptor_clear(struct oci_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	strvec_clear(&d->urls);
	img_map_clear(&d->annotations);
	if (d->platform) {
		oci_platform_clear(d->platform);
		free(d->platform);
	}
	free(d->artifact_type);
	*d = (struct oci_descriptor)OCI_DESCRIPTOR_INIT;
}

const char *oci_descriptor_ref_name(const struct oci_descriptor *d)
{
	return img_map_get(&d->annotations, OCI_ANNOT_REF_NAME);
}
