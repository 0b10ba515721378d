/* test-refs.c: names in index.json: tag in short form, resolve by any
 * spelling or ID prefix, move a tag (old image stays <none>), untag, rmi. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/storetest.h"

static void test_tag_resolve(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct oci_descriptor a = OCI_DESCRIPTOR_INIT, b = OCI_DESCRIPTOR_INIT;
	char ida[DIGEST_STR_LEN], prefix[20], line[100];
	struct store st;
	struct oci_index idx;
	struct strvec rep = STRVEC_INIT;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	must(store_hold(&st, &err), &err);
	put_image(&st, "a", &a, ida);
	put_image(&st, "b", &b, NULL);
	must(store_tag(&st, &a, "docker.io/library/app:1", &err), &err);
	must(store_tag(&st, &a, "reg:5000/x", &err), &err);
	must(store_tag(&st, &b, "localhost/b", &err), &err);
	assert_int_equal(store_tag(&st, &a, "Bad", &err), -1);
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
	must(store_index_read(&st, &idx, &err), &err);
	assert_int_equal(idx.n, 3);
	assert_string_equal(oci_descriptor_ref_name(&idx.manifests[0]), "app:1");
	assert_string_equal(oci_descriptor_ref_name(&idx.manifests[1]), "reg:5000/x:latest");
	assert_string_equal(oci_descriptor_ref_name(&idx.manifests[2]), "localhost/b:latest");
	assert_int_equal(store_resolve(&st, &idx, "app:1", &err), 0);
	assert_int_equal(store_resolve(&st, &idx, "docker.io/library/app:1", &err), 0);
	assert_int_equal(store_resolve(&st, &idx, "reg:5000/x", &err), 1);
	assert_int_equal(store_resolve(&st, &idx, "localhost/b:latest", &err), 2);
	snprintf(prefix, sizeof(prefix), "%.12s", ida + 7);
	assert_int_equal(store_resolve(&st, &idx, prefix, &err), 0);
	assert_int_equal(store_resolve(&st, &idx, ida, &err), 0);
	assert_int_equal(store_resolve(&st, &idx, "app:2", &err), -1);
	assert_string_equal(err.msg, "no such image: 'app:2'");
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
	oci_index_clear(&idx);

	/* app:1 moves to b: a keeps its other name, so no <none> entry */
	must(store_tag(&st, &b, "app:1", &err), &err);
	/* reg:5000/x moves too: now a has no name and stays as <none> */
	must(store_tag(&st, &b, "reg:5000/x:latest", &err), &err);
	must(store_index_read(&st, &idx, &err), &err);
	assert_int_equal(idx.n, 4);
	assert_null(oci_descriptor_ref_name(&idx.manifests[0]));
	assert_string_equal(idx.manifests[0].digest, a.digest);
	oci_index_clear(&idx);
	/* naming the <none> image again reuses its entry */
	must(store_tag(&st, &a, "again", &err), &err);
	must(store_index_read(&st, &idx, &err), &err);
	assert_int_equal(idx.n, 4);
	assert_string_equal(oci_descriptor_ref_name(&idx.manifests[0]), "again:latest");
	oci_index_clear(&idx);

	must(store_untag(&st, "localhost/b", &rep, &err), &err);
	assert_string_equal(rep.v[0], "Untagged: localhost/b:latest");
	assert_int_equal(rep.n, 1);
	strvec_clear(&rep);
	assert_int_equal(store_remove(&st, b.digest, false, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "has 2 names"));
	kerr_clear(&err);
	must(store_remove(&st, b.digest, true, &rep, &err), &err);
	assert_int_equal(rep.n, 3);
	snprintf(line, sizeof(line), "Deleted: %s", b.digest);
	assert_string_equal(rep.v[2], line);
	strvec_clear(&rep);
	check_readable(dir);
	oci_descriptor_clear(&a);
	oci_descriptor_clear(&b);
	store_close(&st);
	tmpdir_remove(dir);
}

/* names other tools write: umoci's bare tag, a long form */
static void test_foreign_names(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct oci_descriptor a = OCI_DESCRIPTOR_INIT;
	struct store st;
	struct oci_index idx;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	put_image(&st, "a", &a, NULL);
	must(store_index_read(&st, &idx, &err), &err);
	img_map_set(&a.annotations, OCI_ANNOT_REF_NAME, "latest");
	oci_index_add(&idx, &a);
	img_map_set(&a.annotations, OCI_ANNOT_REF_NAME, "docker.io/library/long:2");
	oci_index_add(&idx, &a);
	assert_int_equal(store_resolve(&st, &idx, "latest", &err), 0);
	assert_int_equal(store_resolve(&st, &idx, "long:2", &err), 1);
	oci_index_clear(&idx);
	oci_descriptor_clear(&a);
	store_close(&st);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_resolve),
		cmocka_unit_test(test_foreign_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
