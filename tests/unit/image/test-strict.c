/* test-strict.c: strict reading: each bad document fails as an input error
 * whose message names the field, never a crash or a silent default. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "image/config.h"
#include "image/index.h"
#include "image/manifest.h"
#include "image/media.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define RFS "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}"
#define CFGD "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":1}"

enum doc { CONFIG, MANIFEST, INDEX };

struct bad {
	enum doc doc;
	const char *json;
	const char *want;	/* the whole message */
};

static const struct bad bad[] = {
	{ CONFIG, "[]", "image config: expected an object" },
	{ CONFIG, "{\"os\":\"linux\"," RFS "}", "image config: 'architecture': missing" },
	{ CONFIG, "{\"architecture\":1,\"os\":\"linux\"," RFS "}",
	  "image config: 'architecture': expected a string, found a number" },
	{ CONFIG, "{\"architecture\":\"amd64\"," RFS "}", "image config: 'os': missing" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"}", "image config: 'rootfs': missing" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}",
	  "image config: 'rootfs': 'type': 'x' is not 'layers'" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}",
	  "image config: 'rootfs': 'diff_ids': missing" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:12\"]}}",
	  "image config: 'rootfs': 'diff_ids[0]': 'sha256:12': a sha256 digest has 64 hex digits" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":\"A=1\"}," RFS "}",
	  "image config: 'config': 'Env': expected an array, found a string" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"a\",1]}," RFS "}",
	  "image config: 'config': 'Cmd[1]': expected a string" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"a\":1}}," RFS "}",
	  "image config: 'config': 'Labels': 'a': expected a string" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"ExposedPorts\":{\"80/tcp\":\"\"}}," RFS "}",
	  "image config: 'config': 'ExposedPorts': '80/tcp': expected an object" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Healthcheck\":{\"Retries\":\"3\"}}," RFS "}",
	  "image config: 'config': 'Healthcheck': 'Retries': expected an integer, found a string" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"yesterday\"," RFS "}",
	  "image config: 'created': 'yesterday': not an RFC 3339 time" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"," RFS ",\"history\":[{\"empty_layer\":\"yes\"}]}",
	  "image config: 'history[0]': 'empty_layer': expected a boolean, found a string" },
	{ CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"," RFS ",\"history\":[1]}",
	  "image config: 'history[0]': expected an object" },
	{ MANIFEST, "{\"schemaVersion\":1," CFGD ",\"layers\":[]}",
	  "manifest: 'schemaVersion': 1 is not supported (expected 2)" },
	{ MANIFEST, "{" CFGD ",\"layers\":[]}", "manifest: 'schemaVersion': missing" },
	{ MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\"," CFGD ",\"layers\":[]}",
	  "manifest: 'mediaType': '" MT_OCI_INDEX "' is not an image manifest" },
	{ MANIFEST, "{\"schemaVersion\":2,\"layers\":[]}", "manifest: 'config': missing" },
	{ MANIFEST, "{\"schemaVersion\":2," CFGD "}", "manifest: 'layers': missing" },
	{ MANIFEST, "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
	  "manifest: 'config': 'mediaType': missing" },
	{ MANIFEST, "{\"schemaVersion\":2," CFGD ",\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER
	  "\",\"digest\":\"" D1 "\",\"size\":-1}]}",
	  "manifest: 'layers[0]': 'size': must not be negative" },
	{ MANIFEST, "{\"schemaVersion\":2," CFGD ",\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER
	  "\",\"digest\":\"md5:abc\",\"size\":1}]}",
	  "manifest: 'layers[0]': 'digest': 'md5:abc': unsupported digest algorithm 'md5'" },
	{ MANIFEST, "{\"schemaVersion\":2," CFGD ",\"layers\":[{\"mediaType\":\"bogus\","
	  "\"digest\":\"" D1 "\",\"size\":1}]}",
	  "manifest: 'layers[0]': 'mediaType': 'bogus' is not a media type" },
	{ MANIFEST, "{\"schemaVersion\":2," CFGD ",\"layers\":[]} x",
	  "manifest: invalid JSON: trailing data at byte 190" },
	{ INDEX, "{\"schemaVersion\":2}", "index: 'manifests': missing" },
	{ INDEX, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"text/plain\",\"digest\":\""
	  D1 "\",\"size\":1}]}", "index: 'manifests[0]': 'mediaType': unknown media type 'text/plain'" },
	{ INDEX, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
	  "\",\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
	  "index: 'manifests[0]': platform: 'architecture': missing" },
	{ INDEX, "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"manifests\":[]}",
	  "index: 'mediaType': '" MT_OCI_MANIFEST "' is not an index" },
	{ INDEX, "{\"schemaVersion\":2,\"manifests\":[],\"annotations\":{\"a\":true}}",
	  "index: 'annotations': 'a': expected a string" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kerr err = KERR_INIT;
		const char *j = bad[i].json;
		struct img_config c;
		struct oci_manifest m;
		struct oci_index idx;
		int r;

		switch (bad[i].doc) {
		case CONFIG:
			r = img_config_parse(j, strlen(j), &c, &err);
			img_config_clear(&c);
			break;
		case MANIFEST:
			r = oci_manifest_parse(j, strlen(j), &m, &err);
			oci_manifest_clear(&m);
			break;
		default:
			r = oci_index_parse(j, strlen(j), &idx, 0, &err);
			oci_index_clear(&idx);
			break;
		}
		if (r != -1 || !err.msg || strcmp(err.msg, bad[i].want))
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, err.msg ? err.msg : "",
				 bad[i].want);
		assert_int_equal(err.kind, KERR_INPUT);
		kerr_clear(&err);
	}
}

/* index.json may name anything; a plain index only images */
static void test_any_media(void **state)
{
	static const char j[] = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
				"\"application/vnd.example.sig\",\"digest\":\"" D1 "\",\"size\":1}]}";
	struct kerr err = KERR_INIT;
	struct oci_index idx;

	(void)state;
	assert_int_equal(oci_index_parse(j, strlen(j), &idx, OCI_ANY_MEDIA, &err), 0);
	oci_index_clear(&idx);
	assert_int_equal(oci_index_parse(j, strlen(j), &idx, 0, &err), -1);
	oci_index_clear(&idx);
	kerr_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_any_media),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
