/* test-fsck.c: fsck finds a corrupt blob, a missing one and a stale temp
 * file, repair leaves a store that checks clean, and a reader whose image
 * was removed under it is told so instead of failing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "store/fsck.h"
#include "store/storetest.h"

static void collect(void *ctx, const char *line)
{
	strvec_push(ctx, line);
}

static bool has_line(const struct strvec *sv, const char *part)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strstr(sv->v[i], part))
			return true;
	return false;
}

static void run_fsck(const char *dir, bool repair, struct strvec *out,
		     struct store_fsck_stats *stats)
{
	struct kerr err = KERR_INIT;

	strvec_clear(out);
	must(store_fsck(dir, repair, collect, out, stats, &err), &err);
}

static void test_fsck(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct oci_descriptor a = OCI_DESCRIPTOR_INIT, b = OCI_DESCRIPTOR_INIT;
	char ida[DIGEST_STR_LEN], idb[DIGEST_STR_LEN];
	struct strvec out = STRVEC_INIT;
	struct store_fsck_stats s;
	struct store st;
	struct oci_index idx;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	must(store_hold(&st, &err), &err);
	put_image(&st, "aaa", &a, ida);
	put_image(&st, "bbb", &b, idb);
	must(store_tag(&st, &a, "a:1", &err), &err);
	must(store_tag(&st, &a, "a:2", &err), &err);
	must(store_tag(&st, &b, "b:1", &err), &err);
	store_close(&st);

	run_fsck(dir, false, &out, &s);
	assert_int_equal(s.problems, 0);
	assert_int_equal(s.images, 2);
	assert_int_equal(s.blobs, 6);
	assert_int_equal(out.n, 0);

	/* a's config damaged, a stale temp file of a killed writer */
	must(store_open_root(&st, dir, &err), &err);
	put_file(st.blobsfd, ida + 7, "{}");
	put_file(st.ingestfd, "blob-0123456789abcdef", "half");
	store_close(&st);
	run_fsck(dir, false, &out, &s);
	assert_int_equal(s.problems, 2);
	assert_true(has_line(&out, "corrupt, its content hashes to"));
	assert_true(has_line(&out, "(config of image 'a:1')"));
	assert_true(has_line(&out, "'kiln/ingest/blob-0123456789abcdef': temporary file"));

	run_fsck(dir, true, &out, &s);
	assert_int_equal(s.problems, 2);
	/* both names, the blob, the temp file */
	assert_int_equal(s.fixed, 4);
	assert_true(has_line(&out, "repaired: removed 'a:1' from index.json"));
	assert_true(has_line(&out, "repaired: removed 'a:2' from index.json"));

	run_fsck(dir, false, &out, &s);
	assert_int_equal(s.problems, 0);
	assert_int_equal(s.images, 1);
	check_readable(dir);
	must(store_open_root(&st, dir, &err), &err);
	must(store_index_read(&st, &idx, &err), &err);
	assert_int_equal(idx.n, 1);
	assert_string_equal(oci_descriptor_ref_name(&idx.manifests[0]), "b:1");
	oci_index_clear(&idx);
	store_close(&st);

	strvec_clear(&out);
	oci_descriptor_clear(&a);
	oci_descriptor_clear(&b);
	tmpdir_remove(dir);
}

static void test_load_live(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct oci_descriptor a = OCI_DESCRIPTOR_INIT;
	char ida[DIGEST_STR_LEN];
	struct store st;
	struct store_image img;
	struct oci_index idx;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	must(store_hold(&st, &err), &err);
	put_image(&st, "aaa", &a, ida);
	must(store_tag(&st, &a, "a:1", &err), &err);
	must(store_index_read(&st, &idx, &err), &err);
	/* still named, its config gone: an error */
	assert_int_equal(unlinkat(st.blobsfd, ida + 7, 0), 0);
	assert_int_equal(store_image_load_live(&st, &idx.manifests[0], &img, &err), -1);
	assert_non_null(strstr(err.msg, "is missing"));
	kerr_clear(&err);
	store_image_clear(&img);
	/* removed meanwhile, as rmi and prune do: gone, no error */
	must(store_untag(&st, "a:1", NULL, &err), &err);
	assert_int_equal(store_image_load_live(&st, &idx.manifests[0], &img, &err), 1);
	assert_null(err.msg);
	store_image_clear(&img);
	oci_index_clear(&idx);
	store_close(&st);
	oci_descriptor_clear(&a);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsck),
		cmocka_unit_test(test_load_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
