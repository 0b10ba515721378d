/* storetest.h: what the store unit tests share: a scratch store and a
 * small image (config + one layer + manifest) written through the API. */
#ifndef KILN_TESTS_STORE_STORETEST_H
#define KILN_TESTS_STORE_STORETEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/media.h"
#include "store/store.h"
#include "util/testutil.h"
#include "util/xalloc.h"

static inline void must(int r, struct kerr *err)
{
	if (r < 0)
		fail_msg("%s", err->msg ? err->msg : "failed");
}

/* writes an image whose layer holds text; d receives its manifest
 * descriptor, config_digest (may be NULL) the image ID */
static inline void put_image(struct store *st, const char *text, struct oci_descriptor *d,
			     char *config_digest)
{
	struct kerr err = KERR_INIT;
	char layer[DIGEST_STR_LEN], cfgd[DIGEST_STR_LEN], man[DIGEST_STR_LEN];
	struct oci_manifest m;
	char *cfg, *mj;

	must(store_blob_put(st, text, strlen(text), NULL, layer, &err), &err);
	cfg = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":"
			"{\"t\":\"%s\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
			text, layer);
	must(store_blob_put(st, cfg, strlen(cfg), NULL, cfgd, &err), &err);
	oci_manifest_init(&m);
	oci_descriptor_set(&m.config, MT_OCI_CONFIG, cfgd, (int64_t)strlen(cfg));
	oci_manifest_add_layer(&m, MT_OCI_LAYER, layer, (int64_t)strlen(text));
	mj = oci_manifest_json(&m);
	must(store_blob_put(st, mj, strlen(mj), NULL, man, &err), &err);
	oci_descriptor_set(d, MT_OCI_MANIFEST, man, (int64_t)strlen(mj));
	if (config_digest)
		memcpy(config_digest, cfgd, DIGEST_STR_LEN);
	free(cfg);
	free(mj);
	oci_manifest_clear(&m);
}

/* every index entry loads: what "a readable store" means */
static inline void check_readable(const char *root)
{
	struct kerr err = KERR_INIT;
	struct store st;
	struct oci_index idx;

	must(store_open_root(&st, root, &err), &err);
	must(store_index_read(&st, &idx, &err), &err);
	for (size_t i = 0; i < idx.n; i++) {
		struct store_image img;

		if (store_image_load(&st, &idx.manifests[i], &img, &err) < 0)
			fail_msg("entry %zu: %s", i, err.msg);
		store_image_clear(&img);
	}
	oci_index_clear(&idx);
	store_close(&st);
}

#endif
