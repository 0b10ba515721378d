/* test-blob.c: blobs: the right digest lands under blobs/sha256, a wrong
 * one leaves nothing and names both digests, reads check the hash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/storetest.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define HELLO_D "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define WRONG_D "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static int count_dir(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	int n = 0;

	rewinddir(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_layout(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	char *root = xasprintf("%s/s", dir);
	struct store st;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	must(store_open_root(&st, root, &err), &err);
	must(read_file_at(st.dirfd, "oci-layout", &sb, 1024, &err), &err);
	assert_string_equal(sb.buf, "{\"imageLayoutVersion\":\"1.0.0\"}");
	strbuf_reset(&sb);
	must(read_file_at(st.dirfd, "index.json", &sb, 1024, &err), &err);
	assert_string_equal(sb.buf, "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
			    "\",\"manifests\":[]}");
	strbuf_release(&sb);
	store_close(&st);
	free(root);
	tmpdir_remove(dir);
}

static void test_right_and_wrong(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct store st;
	char d[DIGEST_STR_LEN];
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	assert_int_equal(store_blob_put(&st, "hello", 5, WRONG_D, d, &err), -1);
	assert_string_equal(err.msg, "digest mismatch: expected '" WRONG_D "', got '" HELLO_D "'");
	kerr_clear(&err);
	assert_false(store_blob_exists(&st, HELLO_D));
	assert_int_equal(count_dir(st.ingestfd), 0);
	assert_int_equal(count_dir(st.blobsfd), 0);

	must(store_blob_put(&st, "hello", 5, HELLO_D, d, &err), &err);
	assert_string_equal(d, HELLO_D);
	assert_true(store_blob_exists(&st, HELLO_D));
	/* again: skipped, still one file, no temp left */
	must(store_blob_put(&st, "hello", 5, NULL, d, &err), &err);
	assert_int_equal(count_dir(st.blobsfd), 1);
	assert_int_equal(count_dir(st.ingestfd), 0);
	must(store_blob_read(&st, HELLO_D, 100, &sb, &err), &err);
	assert_string_equal(sb.buf, "hello");

	/* a damaged blob is caught on read */
	put_file(st.blobsfd, HELLO_D + 7, "hellO");
	assert_int_equal(store_blob_read(&st, HELLO_D, 100, &sb, &err), -1);
	assert_non_null(strstr(err.msg, "is corrupt"));
	kerr_clear(&err);
	assert_int_equal(store_blob_open(&st, WRONG_D, &err), -1);
	assert_non_null(strstr(err.msg, "is missing"));
	assert_int_equal(kerr_exit_code(&err), 1);
	kerr_clear(&err);
	assert_int_equal(store_blob_open(&st, "sha256:xyz", &err), -1);
	kerr_clear(&err);
	strbuf_release(&sb);
	store_close(&st);
	tmpdir_remove(dir);
}

static void test_streamed(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct store st;
	struct store_blob b;
	char d[DIGEST_STR_LEN];
	int p[2];

	(void)state;
	must(store_open_root(&st, dir, &err), &err);
	must(store_blob_begin(&st, &b, &err), &err);
	must(store_blob_write(&b, "hel", 3, &err), &err);
	must(store_blob_write(&b, "lo", 2, &err), &err);
	must(store_blob_commit(&b, HELLO_D, d, &err), &err);
	must(store_blob_begin(&st, &b, &err), &err);
	must(store_blob_write(&b, "x", 1, &err), &err);
	store_blob_abort(&b);
	assert_int_equal(count_dir(st.ingestfd), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	close(p[1]);
	must(store_blob_put_fd(&st, p[0], HELLO_D, d, &err), &err);
	close(p[0]);
	assert_int_equal(count_dir(st.blobsfd), 1);
	store_close(&st);
	tmpdir_remove(dir);
}

static void test_default_root(void **state)
{
	struct kerr err = KERR_INIT;
	char *r;

	(void)state;
	unsetenv("KILN_ROOT");
	setenv("XDG_DATA_HOME", "/x/data", 1);
	r = store_default_root(&err);
	assert_string_equal(r, "/x/data/kiln");
	free(r);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	r = store_default_root(&err);
	assert_string_equal(r, "/home/u/.local/share/kiln");
	free(r);
	setenv("KILN_ROOT", "/k", 1);
	r = store_default_root(&err);
	assert_string_equal(r, "/k");
	free(r);
	unsetenv("KILN_ROOT");
	unsetenv("HOME");
	assert_null(store_default_root(&err));
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_right_and_wrong),
		cmocka_unit_test(test_streamed),
		cmocka_unit_test(test_default_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
