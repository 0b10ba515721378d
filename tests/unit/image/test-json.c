/* test-json.c: image JSON round trips byte for byte (config, manifest,
 * index, Docker schema2), key order and omitted empty fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/config.h"
#include "image/index.h"
#include "image/manifest.h"
#include "image/media.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char config_full[] =
	"{\"created\":\"2024-01-02T03:04:05.5Z\",\"author\":\"kiln\",\"architecture\":\"arm\","
	"\"os\":\"linux\",\"variant\":\"v7\",\"config\":{\"User\":\"1000:1000\","
	"\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{}},\"Env\":[\"PATH=/bin\",\"A=b c\"],"
	"\"Entrypoint\":[\"/init\"],\"Cmd\":[\"sh\",\"-c\",\"echo hi\"],\"Volumes\":{\"/data\":{}},"
	"\"WorkingDir\":\"/app\",\"Labels\":{\"a\":\"1\",\"b\":\"\"},\"StopSignal\":\"SIGTERM\","
	"\"ArgsEscaped\":true,\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":30000000000,"
	"\"Retries\":3},\"OnBuild\":[\"RUN make\"],\"Shell\":[\"/bin/bash\",\"-c\"]},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
	"\"history\":[{\"created\":\"2024-01-02T03:04:05Z\",\"created_by\":\"/bin/sh -c #(nop) ADD f /\"},"
	"{\"created_by\":\"/bin/sh -c #(nop) CMD [\\\"sh\\\"]\",\"comment\":\"c\",\"empty_layer\":true}]}";

static const char config_min[] =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

static const char manifest_oci[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\""
	MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":7023},\"layers\":[{\"mediaType\":\""
	MT_OCI_LAYER_GZIP "\",\"digest\":\"" D2 "\",\"size\":32654},{\"mediaType\":\""
	MT_OCI_LAYER "\",\"digest\":\"" D3 "\",\"size\":3000000000,\"annotations\":{\"x\":\"y\"}}],"
	"\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-02T03:04:05Z\"}}";

static const char manifest_docker[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"config\":{\"mediaType\":\""
	MT_DOCKER_CONFIG "\",\"size\":7023,\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":\""
	MT_DOCKER_LAYER_GZIP "\",\"size\":32654,\"digest\":\"" D2 "\"}]}";

static const char index_oci[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\""
	MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\","
	"\"os\":\"linux\"}},{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":2,"
	"\"annotations\":{\"org.opencontainers.image.ref.name\":\"app:1\"},\"platform\":{"
	"\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.17763.1040\","
	"\"os.features\":[\"win32k\"]}}],\"annotations\":{\"k\":\"v\"}}";

static const char list_docker[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST_LIST "\",\"manifests\":[{"
	"\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"size\":1,\"digest\":\"" D1 "\",\"platform\":{"
	"\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}}]}";

static void config_round_trip(const char *doc)
{
	struct kerr err = KERR_INIT;
	struct img_config c, c2;
	char *out;

	if (img_config_parse(doc, strlen(doc), &c, &err) < 0)
		fail_msg("%s", err.msg);
	out = img_config_json(&c);
	assert_string_equal(out, doc);
	img_config_copy(&c2, &c);
	free(out);
	out = img_config_json(&c2);
	assert_string_equal(out, doc);
	free(out);
	img_config_clear(&c);
	img_config_clear(&c2);
}

static void test_config(void **state)
{
	(void)state;
	config_round_trip(config_full);
	config_round_trip(config_min);
}

static void test_config_fields(void **state)
{
	struct kerr err = KERR_INIT;
	struct img_config c;

	(void)state;
	assert_int_equal(img_config_parse(config_full, strlen(config_full), &c, &err), 0);
	assert_string_equal(c.config.user, "1000:1000");
	assert_int_equal(c.config.exposed_ports.n, 2);
	assert_string_equal(c.config.exposed_ports.e[0].key, "443/tcp");
	assert_int_equal(c.config.healthcheck->interval, 30000000000LL);
	assert_int_equal(c.config.healthcheck->retries, 3);
	assert_string_equal(c.config.shell.v[0], "/bin/bash");
	assert_int_equal(c.nhistory, 2);
	assert_true(c.history[1].empty_layer);
	img_config_clear(&c);
}

/* docker writes null for empty lists and extra keys kiln does not keep */
static void test_config_docker_extras(void **state)
{
	static const char in[] =
		"{\"architecture\":\"amd64\",\"config\":{\"Hostname\":\"\",\"Cmd\":null,"
		"\"Entrypoint\":null,\"Env\":[\"A=1\"],\"Labels\":null,\"OnBuild\":null},"
		"\"container\":\"abc\",\"docker_version\":\"20.10\",\"os\":\"linux\","
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	static const char want[] =
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]},"
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	struct kerr err = KERR_INIT;
	struct img_config c;
	char *out;

	(void)state;
	if (img_config_parse(in, strlen(in), &c, &err) < 0)
		fail_msg("%s", err.msg);
	out = img_config_json(&c);
	assert_string_equal(out, want);
	free(out);
	img_config_clear(&c);
}

static void test_history(void **state)
{
	struct img_config c;
	char *out;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.architecture = strdup("amd64");
	c.os = strdup("linux");
	img_history_add(&c, "2024-01-02T03:04:05Z", "/bin/sh -c make", NULL, false);
	img_history_add_nop(&c, "2024-01-02T03:04:05Z", "ENV A=b");
	out = img_config_json(&c);
	assert_non_null(strstr(out, "\"history\":[{\"created\":\"2024-01-02T03:04:05Z\","
				    "\"created_by\":\"/bin/sh -c make\"},{\"created\":"
				    "\"2024-01-02T03:04:05Z\",\"created_by\":\"/bin/sh -c #(nop) "
				    "ENV A=b\",\"empty_layer\":true}]"));
	free(out);
	img_config_clear(&c);
}

static void test_time(void **state)
{
	struct kerr err = KERR_INIT;
	char buf[IMG_TIME_LEN];
	int64_t s;
	long ns;

	(void)state;
	img_time_format(0, 0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	img_time_format(1704164645, 500000000, buf);
	assert_string_equal(buf, "2024-01-02T03:04:05.5Z");
	img_time_format(1704164645, 123456789, buf);
	assert_string_equal(buf, "2024-01-02T03:04:05.123456789Z");
	assert_int_equal(img_time_parse("2024-01-02T03:04:05.5Z", &s, &ns, &err), 0);
	assert_int_equal(s, 1704164645);
	assert_int_equal(ns, 500000000);
	assert_int_equal(img_time_parse("2024-01-02T05:04:05+02:00", &s, &ns, &err), 0);
	assert_int_equal(s, 1704164645);
	assert_int_equal(img_time_parse("2024-01-02 03:04:05", &s, &ns, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
}

static void manifest_round_trip(const char *doc)
{
	struct kerr err = KERR_INIT;
	struct oci_manifest m;
	char *out;

	if (oci_manifest_parse(doc, strlen(doc), &m, &err) < 0)
		fail_msg("%s", err.msg);
	out = oci_manifest_json(&m);
	assert_string_equal(out, doc);
	free(out);
	oci_manifest_clear(&m);
}

static void test_manifest(void **state)
{
	(void)state;
	manifest_round_trip(manifest_oci);
	manifest_round_trip(manifest_docker);
}

static void test_manifest_build_and_docker(void **state)
{
	struct kerr err = KERR_INIT;
	struct oci_manifest m;
	char *out;

	(void)state;
	oci_manifest_init(&m);
	oci_descriptor_set(&m.config, MT_OCI_CONFIG, D1, 7023);
	oci_manifest_add_layer(&m, MT_OCI_LAYER_GZIP, D2, 32654);
	assert_int_equal(oci_manifest_to_docker(&m, &err), 0);
	out = oci_manifest_json(&m);
	assert_string_equal(out, manifest_docker);
	free(out);
	oci_manifest_clear(&m);

	oci_manifest_init(&m);
	oci_descriptor_set(&m.config, MT_OCI_CONFIG, D1, 1);
	oci_manifest_add_layer(&m, MT_OCI_LAYER_ND_ZSTD, D2, 1);
	assert_int_equal(oci_manifest_to_docker(&m, &err), -1);
	assert_non_null(strstr(err.msg, "has no Docker media type"));
	kerr_clear(&err);
	oci_manifest_clear(&m);
}

static void index_round_trip(const char *doc)
{
	struct kerr err = KERR_INIT;
	struct oci_index idx;
	char *out;

	if (oci_index_parse(doc, strlen(doc), &idx, 0, &err) < 0)
		fail_msg("%s", err.msg);
	out = oci_index_json(&idx);
	assert_string_equal(out, doc);
	free(out);
	oci_index_clear(&idx);
}

static void test_index(void **state)
{
	(void)state;
	index_round_trip(index_oci);
	index_round_trip(list_docker);
}

static void test_index_edit(void **state)
{
	struct kerr err = KERR_INIT;
	struct oci_index idx;
	struct oci_descriptor d = OCI_DESCRIPTOR_INIT;
	char *out;

	(void)state;
	oci_index_init(&idx);
	oci_descriptor_set(&d, MT_OCI_MANIFEST, D1, 10);
	oci_index_add(&idx, &d);
	oci_descriptor_set(&d, MT_OCI_MANIFEST, D2, 20);
	oci_index_add(&idx, &d);
	oci_descriptor_clear(&d);
	oci_index_remove(&idx, 0);
	out = oci_index_json(&idx);
	assert_string_equal(out, "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\","
			    "\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\""
			    D2 "\",\"size\":20}]}");
	free(out);
	assert_int_equal(oci_index_to_docker(&idx, &err), 0);
	out = oci_index_json(&idx);
	assert_string_equal(out, "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST_LIST
			    "\",\"manifests\":[{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"size\":20,"
			    "\"digest\":\"" D2 "\"}]}");
	free(out);
	oci_index_clear(&idx);
}

static void test_media(void **state)
{
	(void)state;
	assert_int_equal(oci_media_kind(MT_DOCKER_MANIFEST_LIST), OCI_MEDIA_INDEX);
	assert_int_equal(oci_media_kind(MT_OCI_CONFIG), OCI_MEDIA_CONFIG);
	assert_int_equal(oci_media_kind("text/plain"), OCI_MEDIA_UNKNOWN);
	assert_int_equal(oci_media_compression(MT_DOCKER_LAYER_GZIP), OCI_COMP_GZIP);
	assert_int_equal(oci_media_compression(MT_OCI_LAYER_ZSTD), OCI_COMP_ZSTD);
	assert_int_equal(oci_media_compression(MT_OCI_LAYER), OCI_COMP_NONE);
	assert_int_equal(oci_media_compression(MT_OCI_CONFIG), OCI_COMP_UNKNOWN);
	assert_true(oci_media_is_docker(MT_DOCKER_CONFIG));
	assert_false(oci_media_is_docker(MT_OCI_CONFIG));
	assert_string_equal(oci_media_to_docker(MT_OCI_LAYER_GZIP), MT_DOCKER_LAYER_GZIP);
	assert_string_equal(oci_media_to_oci(MT_DOCKER_LAYER_FOREIGN), MT_OCI_LAYER_ND_GZIP);
	assert_true(oci_media_valid("application/vnd.example+json"));
	assert_false(oci_media_valid("application"));
	assert_false(oci_media_valid("a/b/c"));
	assert_false(oci_media_valid("/b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_fields),
		cmocka_unit_test(test_config_docker_extras),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_manifest_build_and_docker),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_index_edit),
		cmocka_unit_test(test_media),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
