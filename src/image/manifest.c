/* manifest.c: manifests read strictly (schemaVersion 2, a config, layers of
 * layer types) and written in the Go structs' key order. */
#include <stdlib.h>
#include <string.h>

#include "image/jsonio.h"
#include "image/manifest.h"
#include "image/media.h"
#include "util/xalloc.h"

void oci_manifest_init(struct oci_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->config = (struct oci_descriptor)OCI_DESCRIPTOR_INIT;
	m->media_type = xstrdup(MT_OCI_MANIFEST);
}

static int parse_layers(const cJSON *root, struct oci_manifest *m, struct kerr *err)
{
	const cJSON *arr, *v;
	int i = 0;

	if (json_get_array(root, "layers", true, &arr, err) < 0)
		return -1;
	cJSON_ArrayForEach(v, arr) {
		struct oci_descriptor *d;

		m->layers = xgrow(m->layers, sizeof(*m->layers), m->nlayers + 1, &m->layers_alloc);
		d = &m->layers[m->nlayers++];
		*d = (struct oci_descriptor)OCI_DESCRIPTOR_INIT;
		if (oci_descriptor_parse(v, d, OCI_ANY_MEDIA, err) < 0)
			return kerr_wrap(err, "'layers[%d]'", i);
		i++;
	}
	return 0;
}

int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *m, struct kerr *err)
{
	cleanup_json cJSON *root = json_parse(buf, len, "manifest", err);
	const cJSON *cfg = NULL, *subj = NULL;
	int64_t version = 0;

	oci_manifest_init(m);
	if (!root)
		return -1;
	if (!cJSON_IsObject(root))
		return kerr_input(err, "manifest: expected an object");
	if (json_get_int64(root, "schemaVersion", true, &version, err) < 0 ||
	    jio_string(root, "mediaType", false, &m->media_type, err) < 0 ||
	    jio_string(root, "artifactType", false, &m->artifact_type, err) < 0)
		return kerr_wrap(err, "manifest");
	if (version != 2)
		return kerr_input(err, "manifest: 'schemaVersion': %lld is not supported (expected 2)",
				  (long long)version);
	if (strcmp(m->media_type, MT_OCI_MANIFEST) && strcmp(m->media_type, MT_DOCKER_MANIFEST))
		return kerr_input(err, "manifest: 'mediaType': '%s' is not an image manifest",
				  m->media_type);
	if (json_get_object(root, "config", true, &cfg, err) < 0)
		return kerr_wrap(err, "manifest");
	if (oci_descriptor_parse(cfg, &m->config, OCI_ANY_MEDIA, err) < 0)
		return kerr_wrap(err, "manifest: 'config'");
	if (parse_layers(root, m, err) < 0 ||
	    json_get_object(root, "subject", false, &subj, err) < 0 ||
	    jio_map(root, "annotations", false, &m->annotations, err) < 0)
		return kerr_wrap(err, "manifest");
	if (subj) {
		m->subject = xcalloc(1, sizeof(*m->subject));
		if (oci_descriptor_parse(subj, m->subject, OCI_ANY_MEDIA, err) < 0)
			return kerr_wrap(err, "manifest: 'subject'");
	}
	return 0;
}

char *oci_manifest_json(const struct oci_manifest *m)
{
	bool docker = m->media_type && !strcmp(m->media_type, MT_DOCKER_MANIFEST);
	cleanup_json cJSON *o = cJSON_CreateObject();
	cJSON *arr;

	jio_add_int(o, "schemaVersion", 2);
	jio_add_string(o, "mediaType", m->media_type);
	if (!docker)
		jio_add_string(o, "artifactType", m->artifact_type);
	cJSON_AddItemToObject(o, "config", oci_descriptor_json(&m->config, docker));
	arr = cJSON_AddArrayToObject(o, "layers");
	for (size_t i = 0; i < m->nlayers; i++)
		cJSON_AddItemToArray(arr, oci_descriptor_json(&m->layers[i], docker));
	if (!docker) {
		if (m->subject)
			cJSON_AddItemToObject(o, "subject", oci_descriptor_json(m->subject, false));
		jio_add_map(o, "annotations", &m->annotations, false);
	}
	return json_print(o);
}

void oci_manifest_add_layer(struct oci_manifest *m, const char *media_type,
			    const char *digest, int64_t size)
{
	struct oci_descriptor *d;

	m->layers = xgrow(m->layers, sizeof(*m->layers), m->nlayers + 1, &m->layers_alloc);
	d = &m->layers[m->nlayers++];
	*d = (struct oci_descriptor)OCI_DESCRIPTOR_INIT;
	oci_descriptor_set(d, media_type, digest, size);
}

static int retype(char **mt, struct kerr *err)
{
	const char *d = oci_media_to_docker(*mt);

	if (!oci_media_is_docker(d))
		return kerr_input(err, "'%s' has no Docker media type", *mt);
	if (d != *mt) {
		char *n = xstrdup(d);

		free(*mt);
		*mt = n;
	}
	return 0;
}

int oci_manifest_to_docker(struct oci_manifest *m, struct kerr *err)
{
	if (retype(&m->media_type, err) < 0 || retype(&m->config.media_type, err) < 0)
		return -1;
	for (size_t i = 0; i < m->nlayers; i++)
		if (retype(&m->layers[i].media_type, err) < 0)
			return -1;
	return 0;
}

void oci_manifest_clear(struct oci_manifest *m)
{
	free(m->media_type);
	free(m->artifact_type);
	oci_descriptor_clear(&m->config);
	for (size_t i = 0; i < m->nlayers; i++)
		oci_descriptor_clear(&m->layers[i]);
	free(m->layers);
	if (m->subject) {
		oci_descriptor_clear(m->subject);
		free(m->subject);
	}
	img_map_clear(&m->annotations);
	memset(m, 0, sizeof(*m));
}
