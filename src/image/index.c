/* index.c: indexes read strictly and written in the Go struct's key order;
 * entries keep their order, since index.json's order is what users see. */
#include <stdlib.h>
#include <string.h>

#include "image/index.h"
#include "image/jsonio.h"
#include "image/media.h"
#include "util/xalloc.h"

void oci_index_init(struct oci_index *idx)
{
	memset(idx, 0, sizeof(*idx));
	idx->media_type = xstrdup(MT_OCI_INDEX);
}

int oci_index_parse(const char *buf, size_t len, struct oci_index *idx, unsigned flags,
		    struct kerr *err)
{
	cleanup_json cJSON *root = json_parse(buf, len, "index", err);
	const cJSON *arr = NULL, *v, *subj = NULL;
	int64_t version = 0;
	int i = 0;

	memset(idx, 0, sizeof(*idx));
	if (!root)
		return -1;
	if (!cJSON_IsObject(root))
		return kerr_input(err, "index: expected an object");
	if (json_get_int64(root, "schemaVersion", true, &version, err) < 0 ||
	    jio_string(root, "mediaType", false, &idx->media_type, err) < 0 ||
	    jio_string(root, "artifactType", false, &idx->artifact_type, err) < 0 ||
	    json_get_array(root, "manifests", true, &arr, err) < 0)
		return kerr_wrap(err, "index");
	if (version != 2)
		return kerr_input(err, "index: 'schemaVersion': %lld is not supported (expected 2)",
				  (long long)version);
	if (idx->media_type && strcmp(idx->media_type, MT_OCI_INDEX) &&
	    strcmp(idx->media_type, MT_DOCKER_MANIFEST_LIST))
		return kerr_input(err, "index: 'mediaType': '%s' is not an index", idx->media_type);
	cJSON_ArrayForEach(v, arr) {
		struct oci_descriptor *d;

		idx->manifests = xgrow(idx->manifests, sizeof(*d), idx->n + 1, &idx->alloc);
		d = &idx->manifests[idx->n++];
		*d = (struct oci_descriptor)OCI_DESCRIPTOR_INIT;
		if (oci_descriptor_parse(v, d, flags, err) < 0)
			return kerr_wrap(err, "index: 'manifests[%d]'", i);
		i++;
	}
	if (json_get_object(root, "subject", false, &subj, err) < 0 ||
	    jio_map(root, "annotations", false, &idx->annotations, err) < 0)
		return kerr_wrap(err, "index");
	if (subj) {
		idx->subject = xcalloc(1, sizeof(*idx->subject));
		if (oci_descriptor_parse(subj, idx->subject, OCI_ANY_MEDIA, err) < 0)
			return kerr_wrap(err, "index: 'subject'");
	}
	return 0;
}

char *oci_index_json(const struct oci_index *idx)
{
	bool docker = idx->media_type && !strcmp(idx->media_type, MT_DOCKER_MANIFEST_LIST);
	cleanup_json cJSON *o = cJSON_CreateObject();
	cJSON *arr;

	jio_add_int(o, "schemaVersion", 2);
	jio_add_string(o, "mediaType", idx->media_type);
	if (!docker)
		jio_add_string(o, "artifactType", idx->artifact_type);
	arr = cJSON_AddArrayToObject(o, "manifests");
	for (size_t i = 0; i < idx->n; i++)
		cJSON_AddItemToArray(arr, oci_descriptor_json(&idx->manifests[i], docker));
	if (!docker) {
		if (idx->subject)
			cJSON_AddItemToObject(o, "subject", oci_descriptor_json(idx->subject, false));
		jio_add_map(o, "annotations", &idx->annotations, false);
	}
	return json_print(o);
}

size_t oci_index_add(struct oci_index *idx, const struct oci_descriptor *d)
{
	struct oci_descriptor *n;

	idx->manifests = xgrow(idx->manifests, sizeof(*n), idx->n + 1, &idx->alloc);
	n = &idx->manifests[idx->n];
	*n = (struct oci_descriptor)OCI_DESCRIPTOR_INIT;
	oci_descriptor_copy(n, d);
	return idx->n++;
}

void oci_index_remove(struct oci_index *idx, size_t i)
{
	if (i >= idx->n)
		return;
	oci_descriptor_clear(&idx->manifests[i]);
	memmove(&idx->manifests[i], &idx->manifests[i + 1],
		(idx->n - i - 1) * sizeof(*idx->manifests));
	idx->n--;
}

int oci_index_to_docker(struct oci_index *idx, struct kerr *err)
{
	free(idx->media_type);
	idx->media_type = xstrdup(MT_DOCKER_MANIFEST_LIST);
	for (size_t i = 0; i < idx->n; i++) {
		const char *d = oci_media_to_docker(idx->manifests[i].media_type);

		if (oci_media_kind(d) != OCI_MEDIA_MANIFEST || !oci_media_is_docker(d))
			return kerr_input(err, "'%s' cannot be in a Docker manifest list",
					  idx->manifests[i].media_type);
		free(idx->manifests[i].media_type);
		idx->manifests[i].media_type = xstrdup(d);
	}
	return 0;
}

void oci_index_clear(struct oci_index *idx)
{
	free(idx->media_type);
	free(idx->artifact_type);
	for (size_t i = 0; i < idx->n; i++)
		oci_descriptor_clear(&idx->manifests[i]);
	free(idx->manifests);
	if (idx->subject) {
		oci_descriptor_clear(idx->subject);
		free(idx->subject);
	}
	img_map_clear(&idx->annotations);
	memset(idx, 0, sizeof(*idx));
}
