/* test-prune.c: prune removes exactly what no named image reaches (blobs,
 * <none> images, temp files, unpacked layers) and nothing when a named
 * image is damaged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "store/storetest.h"

static bool exists_at(int dirfd, const char *name)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_prune(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct oci_descriptor a = OCI_DESCRIPTOR_INIT, b = OCI_DESCRIPTOR_INIT;
	char ida[DIGEST_STR_LEN], idb[DIGEST_STR_LEN], junk[DIGEST_STR_LEN];
	struct store_prune_stats stats;
	struct store st;
	struct oci_index idx;
	char *la, *lb;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	must(store_hold(&st, &err), &err);
	put_image(&st, "keep", &a, ida);
	put_image(&st, "drop", &b, idb);
	must(store_blob_put(&st, "junk!", 5, NULL, junk, &err), &err);
	must(store_tag(&st, &a, "a", &err), &err);
	must(store_tag(&st, &b, "b", &err), &err);
	must(store_tag(&st, &a, "b", &err), &err);	/* b's image becomes <none> */
	/* the unpacked-layer cache: "keep" is reached, "drop" is not */
	{
		struct store_image img;

		must(store_image_load(&st, &a, &img, &err), &err);
		la = store_layer_path(&st, img.config.diff_ids.v[0]);
		store_image_clear(&img);
		must(store_image_load(&st, &b, &img, &err), &err);
		lb = store_layer_path(&st, img.config.diff_ids.v[0]);
		store_image_clear(&img);
	}
	assert_int_equal(mkdir(la, 0755), 0);
	assert_int_equal(mkdir(lb, 0555), 0);
	put_file(st.ingestfd, "blob-stale", "partial");
	store_close(&st);

	/* prune refuses while this process holds the store */
	must(store_open_root(&st, dir, &err), &err);
	must(store_hold(&st, &err), &err);
	assert_int_equal(store_prune(&st, &stats, &err), -1);
	kerr_clear(&err);
	store_close(&st);

	must(store_open_root(&st, dir, &err), &err);
	must(store_prune(&st, &stats, &err), &err);
	assert_int_equal(stats.images, 1);
	assert_int_equal(stats.layers, 1);
	assert_int_equal(stats.blobs, 4);	/* b's manifest, config, layer; junk */
	assert_true(stats.bytes > 5 + 7);
	assert_true(exists_at(st.blobsfd, a.digest + 7));
	assert_true(exists_at(st.blobsfd, ida + 7));
	assert_false(exists_at(st.blobsfd, b.digest + 7));
	assert_false(exists_at(st.blobsfd, idb + 7));
	assert_false(exists_at(st.blobsfd, junk + 7));
	assert_false(exists_at(st.ingestfd, "blob-stale"));
	assert_true(exists_at(AT_FDCWD, la));
	assert_false(exists_at(AT_FDCWD, lb));
	must(store_index_read(&st, &idx, &err), &err);
	assert_int_equal(idx.n, 2);
	oci_index_clear(&idx);
	check_readable(dir);
	/* nothing left to do */
	must(store_prune(&st, &stats, &err), &err);
	assert_int_equal(stats.bytes, 0);
	store_close(&st);
	free(la);
	free(lb);
	oci_descriptor_clear(&a);
	oci_descriptor_clear(&b);
	tmpdir_remove(dir);
}

static void test_prune_damaged(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct oci_descriptor a = OCI_DESCRIPTOR_INIT;
	char ida[DIGEST_STR_LEN], junk[DIGEST_STR_LEN];
	struct store_prune_stats stats;
	struct store st;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	must(store_hold(&st, &err), &err);
	put_image(&st, "a", &a, ida);
	must(store_blob_put(&st, "junk!", 5, NULL, junk, &err), &err);
	must(store_tag(&st, &a, "app:1", &err), &err);
	store_close(&st);
	must(store_open_root(&st, dir, &err), &err);
	put_file(st.blobsfd, ida + 7, "{}");
	assert_int_equal(store_prune(&st, &stats, &err), -1);
	assert_non_null(strstr(err.msg, "image 'app:1': "));
	assert_non_null(strstr(err.msg, "is corrupt"));
	assert_int_equal(kerr_exit_code(&err), 1);
	kerr_clear(&err);
	assert_true(exists_at(st.blobsfd, junk + 7));
	store_close(&st);
	oci_descriptor_clear(&a);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_prune_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
