/* test-tar-read.c: the layer reader: gzip and digests, ustar/PAX/GNU
 * headers, limits, and errors that name the entry at fault. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer/input.h"
#include "layer/tar-read.h"
#include "util/sha256.h"
#include "readtest.h"

/* Reads data as a layer; lists "path type mode uid:gid size mtime[.ns]
 * [-> link] =content" lines into out. Returns 0 or -1 with err. */
static int list_layer(const void *data, size_t len, const struct layer_input_opts *opts,
		      const struct tar_limits *lim, struct strbuf *out, struct kerr *err)
{
	struct layer_input *in;
	struct tar_reader *r;
	struct tar_entry e = TAR_ENTRY_INIT;
	char buf[7];
	int n;

	if (layer_input_open_mem(&in, data, len, opts, err) < 0)
		return -1;
	r = tar_reader_new(layer_input_source, in, lim);
	while ((n = tar_reader_next(r, &e, err)) > 0) {
		ssize_t got;

		strbuf_addf(out, "%s %c %04o %u:%u %llu %lld", e.path, e.type,
			    (unsigned int)e.mode, (unsigned int)e.uid, (unsigned int)e.gid,
			    (unsigned long long)e.size, (long long)e.mtime);
		if (e.mtime_nsec)
			strbuf_addf(out, ".%09u", e.mtime_nsec);
		if (e.linkname)
			strbuf_addf(out, " -> %s", e.linkname);
		for (size_t i = 0; i < e.nxattrs; i++) {
			strbuf_addf(out, " [%s=", e.xattrs[i].name);
			strbuf_add(out, e.xattrs[i].value, e.xattrs[i].len);
			strbuf_addch(out, ']');
		}
		strbuf_addstr(out, " =");
		/* small reads exercise the content bookkeeping */
		while ((got = tar_reader_read(r, buf, sizeof(buf), err)) > 0)
			strbuf_add(out, buf, (size_t)got);
		if (got < 0) {
			n = -1;
			break;
		}
		strbuf_addch(out, '\n');
	}
	tar_entry_clear(&e);
	tar_reader_free(r);
	if (n == 0)
		n = layer_input_finish(in, err);
	layer_input_free(in);
	if (n < 0 && getenv("KILN_TEST_VERBOSE"))
		fprintf(stderr, "list_layer: %s\n", err->msg);
	return n;
}

static void sample(struct strbuf *sb)
{
	struct th dev = { .path = "dev/null", .type = TAR_CHR, .mode = 0666, .major = 1,
			  .minor = 3 };

	tb_typed(sb, TAR_DIR, "etc/", NULL, 0755);
	tb_file(sb, "etc/hosts", "127.0.0.1 localhost\n");
	tb_typed(sb, TAR_SYMLINK, "etc/link", "/etc/hosts", 0777);
	tb_typed(sb, TAR_LINK, "etc/hard", "etc/hosts", 0644);
	tb_add(sb, &dev);
	tb_end(sb);
}

static const char sample_list[] =
	"etc 5 0755 0:0 0 1700000000 =\n"
	"etc/hosts 0 0644 0:0 20 1700000000 =127.0.0.1 localhost\n\n"
	"etc/link 2 0777 0:0 0 1700000000 -> /etc/hosts =\n"
	"etc/hard 1 0644 0:0 0 1700000000 -> etc/hosts =\n"
	"dev/null 3 0666 0:0 0 1700000000 =\n";

static void test_plain(void **state)
{
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	sample(&tar);
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	assert_string_equal(out.buf, sample_list);
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void digest_of(const void *p, size_t len, char out[DIGEST_STR_LEN])
{
	unsigned char h[SHA256_LEN];

	sha256_buf(p, len, h);
	digest_format(h, out);
}

static void test_gzip_digests(void **state)
{
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	struct layer_input_opts o = LAYER_INPUT_OPTS_INIT;
	char dg[DIGEST_STR_LEN], di[DIGEST_STR_LEN];
	size_t zlen;
	unsigned char *z;
	struct layer_input *in;
	char buf[4096];

	(void)state;
	sample(&tar);
	z = gzip_mem(tar.buf, tar.len, &zlen);
	digest_of(z, zlen, dg);
	digest_of(tar.buf, tar.len, di);
	o.digest = dg;
	o.diff_id = di;
	assert_int_equal(list_layer(z, zlen, &o, NULL, &out, &err), 0);
	assert_string_equal(out.buf, sample_list);

	/* the accessors give what was computed */
	assert_int_equal(layer_input_open_mem(&in, z, zlen, NULL, &err), 0);
	assert_int_equal(layer_input_compressed(in), 1);
	while (layer_input_read(in, buf, sizeof(buf), &err) > 0)
		;
	assert_int_equal(layer_input_finish(in, &err), 0);
	assert_string_equal(layer_input_digest(in), dg);
	assert_string_equal(layer_input_diff_id(in), di);
	layer_input_free(in);
	free(z);
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void test_digest_mismatch(void **state)
{
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	struct layer_input_opts o = LAYER_INPUT_OPTS_INIT;
	const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	char want[256];
	char got[DIGEST_STR_LEN];

	(void)state;
	sample(&tar);
	digest_of(tar.buf, tar.len, got);
	o.digest = wrong;
	assert_int_equal(list_layer(tar.buf, tar.len, &o, NULL, &out, &err), -1);
	snprintf(want, sizeof(want), "layer digest mismatch: expected '%s', got '%s'", wrong, got);
	assert_string_equal(err.msg, want);
	kerr_clear(&err);

	o.digest = NULL;
	o.diff_id = wrong;
	strbuf_reset(&out);
	assert_int_equal(list_layer(tar.buf, tar.len, &o, NULL, &out, &err), -1);
	assert_non_null(strstr(err.msg, "diffID mismatch"));
	assert_non_null(strstr(err.msg, got));
	kerr_clear(&err);

	o.diff_id = "sha256:nothex";
	assert_int_equal(list_layer(tar.buf, tar.len, &o, NULL, &out, &err), -1);
	kerr_clear(&err);
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void test_gzip_members_and_garbage(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, out = STRBUF_INIT;
	struct strbuf both = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	size_t la, lb;
	unsigned char *za, *zb;

	(void)state;
	tb_file(&a, "a", "1");
	tb_file(&b, "b", "2");
	tb_end(&b);
	za = gzip_mem(a.buf, a.len, &la);
	zb = gzip_mem(b.buf, b.len, &lb);
	strbuf_add(&both, za, la);
	strbuf_add(&both, zb, lb);
	assert_int_equal(list_layer(both.buf, both.len, NULL, NULL, &out, &err), 0);
	assert_string_equal(out.buf, "a 0 0644 0:0 1 1700000000 =1\nb 0 0644 0:0 1 1700000000 =2\n");

	strbuf_addstr(&both, "junk");
	strbuf_reset(&out);
	assert_int_equal(list_layer(both.buf, both.len, NULL, NULL, &out, &err), -1);
	assert_string_equal(err.msg, "trailing garbage after gzip stream");
	kerr_clear(&err);

	/* cut in the middle of the second member */
	assert_int_equal(list_layer(both.buf, la + lb / 2, NULL, NULL, &out, &err), -1);
	assert_non_null(strstr(err.msg, "truncated"));
	kerr_clear(&err);
	free(za);
	free(zb);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&both);
	strbuf_release(&out);
}

static void test_compressions_refused(void **state)
{
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0 };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 0 };
	struct layer_input *in;
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(layer_input_open_mem(&in, zstd, sizeof(zstd), NULL, &err), -1);
	assert_string_equal(err.msg, "zstd-compressed layers are not supported");
	assert_int_equal(kerr_exit_code(&err), KERR_INPUT);
	kerr_clear(&err);
	assert_int_equal(layer_input_open_mem(&in, xz, sizeof(xz), NULL, &err), -1);
	assert_non_null(strstr(err.msg, "xz"));
	kerr_clear(&err);
}

static void test_pax(void **state)
{
	struct strbuf tar = STRBUF_INIT, pax = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	static const char bin[] = { 'a', '\n', 0, 'b' };
	char longp[300];

	(void)state;
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	memcpy(longp, "dir/", 4);
	tb_record(&pax, "path", longp, strlen(longp));
	tb_record(&pax, "uid", "70000", 5);
	tb_record(&pax, "gid", "80000", 5);
	tb_record(&pax, "mtime", "1700000000.25", 13);
	tb_record(&pax, "size", "3", 1);
	tb_record(&pax, "SCHILY.xattr.user.bin", bin, sizeof(bin));
	tb_record(&pax, "SCHILY.xattr.security.capability", "cap", 3);
	tb_record(&pax, "atime", "1.5", 3);
	tb_record(&pax, "uname", "someone", 7);
	tb_meta(&tar, 'x', &pax);
	/* header says 10 bytes; PAX says 3 */
	{
		struct th h = { .path = "short", .data = "abc", .len = 3 };

		tb_header(&tar, &h, 10);
		strbuf_add(&tar, "abc", 3);
		tb_pad(&tar);
	}
	strbuf_reset(&pax);
	tb_record(&pax, "linkpath", "/very/long/target", 17);
	tb_record(&pax, "mtime", "-1.75", 5);
	tb_meta(&tar, 'x', &pax);
	tb_typed(&tar, TAR_SYMLINK, "sym", "x", 0777);
	/* a global header sets nothing */
	strbuf_reset(&pax);
	tb_record(&pax, "path", "../../evil", 10);
	tb_record(&pax, "uid", "5", 1);
	tb_meta(&tar, 'g', &pax);
	tb_file(&tar, "plain", "");
	tb_end(&tar);
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	{
		struct strbuf want = STRBUF_INIT;

		strbuf_addf(&want, "%s 0 0644 70000:80000 3 1700000000.250000000 "
			    "[user.bin=a\n", longp);
		strbuf_add(&want, "\0b", 2);
		strbuf_addstr(&want, "] [security.capability=cap] =abc\n"
			      "sym 2 0777 0:0 0 -2.250000000 -> /very/long/target =\n"
			      "plain 0 0644 0:0 0 1700000000 =\n");
		if (out.len != want.len)
			fprintf(stderr, "got: %s\nwant: %s\n", out.buf, want.buf);
		assert_int_equal(out.len, want.len);
		assert_memory_equal(out.buf, want.buf, want.len);
		strbuf_release(&want);
	}
	strbuf_release(&tar);
	strbuf_release(&pax);
	strbuf_release(&out);
}

static void test_gnu_long_names(void **state)
{
	struct strbuf tar = STRBUF_INIT, m = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char name[200];

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	/* PAX path first, then the GNU name, which wins */
	tb_record(&m, "path", "from-pax", 8);
	tb_meta(&tar, 'x', &m);
	strbuf_reset(&m);
	strbuf_add(&m, name, sizeof(name));
	tb_meta(&tar, 'L', &m);
	strbuf_reset(&m);
	strbuf_addstr(&m, "long/link/target");
	strbuf_addch(&m, 0);
	tb_meta(&tar, 'K', &m);
	tb_typed(&tar, TAR_LINK, "short", "ignored", 0644);
	/* the old GNU magic */
	{
		struct strbuf one = STRBUF_INIT;
		unsigned int sum = 0;

		tb_file(&one, "gnu-file", "g");
		memcpy(one.buf + 257, "ustar  \0", 8);
		memset(one.buf + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)one.buf[i];
		tb_octal(one.buf + 148, 7, sum);
		strbuf_addbuf(&tar, &one);
		strbuf_release(&one);
	}
	tb_end(&tar);
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s 1 0644 0:0 0 1700000000 -> long/link/target =\n"
			 "gnu-file 0 0644 0:0 1 1700000000 =g\n", name);
		assert_string_equal(out.buf, want);
	}
	strbuf_release(&tar);
	strbuf_release(&m);
	strbuf_release(&out);
}

/* patches a header field of the first block and fixes the checksum */
static void patch(struct strbuf *tar, size_t off, const void *bytes, size_t len)
{
	unsigned int sum = 0;

	memcpy(tar->buf + off, bytes, len);
	memset(tar->buf + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)tar->buf[i];
	tb_octal(tar->buf + 148, 7, sum);
}

static void test_base256(void **state)
{
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	static const unsigned char uid[8] = { 0x80, 0, 0, 0, 0, 0x01, 0, 0 };
	static const unsigned char size[12] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 };
	static const unsigned char neg[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0xff, 0xfe, 0 };
	static const unsigned char mtime[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						 0xff, 0xff, 0xff, 0xff, 0xff, 0xf6 };
	static const unsigned char big[8] = { 0x80, 0, 0, 0x01, 0, 0, 0, 0 };

	(void)state;
	tb_file(&tar, "f", "hello");
	tb_end(&tar);
	patch(&tar, 108, uid, sizeof(uid));
	patch(&tar, 124, size, sizeof(size));
	patch(&tar, 136, mtime, sizeof(mtime));
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	assert_string_equal(out.buf, "f 0 0644 65536:0 5 -10 =hello\n");

	patch(&tar, 124, neg, sizeof(neg));
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), -1);
	assert_string_equal(err.msg, "'f': bad size field");
	kerr_clear(&err);
	patch(&tar, 124, size, sizeof(size));
	patch(&tar, 108, big, sizeof(big));
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), -1);
	assert_string_equal(err.msg, "'f': bad uid field");
	kerr_clear(&err);
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void expect_error(const struct strbuf *tar, const struct tar_limits *lim,
			 const char *substr)
{
	struct strbuf out = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	assert_int_equal(list_layer(tar->buf, tar->len, NULL, lim, &out, &err), -1);
	if (!strstr(err.msg, substr))
		fail_msg("error '%s' lacks '%s'", err.msg, substr);
	kerr_clear(&err);
	strbuf_release(&out);
}

static void test_checksum(void **state)
{
	struct strbuf tar = STRBUF_INIT;

	(void)state;
	tb_file(&tar, "a", "x");
	tb_file(&tar, "b", "y");
	tb_end(&tar);
	tar.buf[1024 + 150] ^= 1;
	expect_error(&tar, NULL, "header checksum mismatch after 'a'");
	strbuf_release(&tar);
}

/* what ADD asks before it unpacks a file: a right checksum, with or
 * without the ustar magic, and nothing for zeros or text */
static void test_header_valid(void **state)
{
	struct strbuf tar = STRBUF_INIT;
	char text[TAR_BLOCK];

	(void)state;
	tb_file(&tar, "a", "x");
	tb_end(&tar);
	assert_int_equal(tar_header_valid(tar.buf), 1);
	patch(&tar, 257, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(tar_header_valid(tar.buf), 1);
	tar.buf[0] ^= 1;
	assert_int_equal(tar_header_valid(tar.buf), 0);
	assert_int_equal(tar_header_valid(tar.buf + 1024), 0);
	memset(text, 'a', sizeof(text));
	assert_int_equal(tar_header_valid(text), 0);
	strbuf_release(&tar);
}

static void test_truncation_names_entry(void **state)
{
	struct strbuf tar = STRBUF_INIT;

	(void)state;
	tb_file(&tar, "ok", "x");
	tb_file(&tar, "victim", "0123456789");
	strbuf_setlen(&tar, 1024 + 512 + 4);
	expect_error(&tar, NULL, "'victim': archive is truncated");
	strbuf_setlen(&tar, 1024 + 100);
	expect_error(&tar, NULL, "truncated in a header after 'ok'");
	strbuf_release(&tar);
}

static void test_lying_pax_size(void **state)
{
	struct strbuf tar = STRBUF_INIT, pax = STRBUF_INIT;

	(void)state;
	tb_record(&pax, "size", "5000", 4);
	tb_meta(&tar, 'x', &pax);
	tb_file(&tar, "liar", "tiny");
	tb_end(&tar);
	expect_error(&tar, NULL, "'liar': archive is truncated");
	strbuf_release(&tar);
	strbuf_reset(&pax);
	tb_record(&pax, "size", "-1", 2);
	tb_meta(&tar, 'x', &pax);
	tb_file(&tar, "neg", "x");
	expect_error(&tar, NULL, "bad PAX size");
	strbuf_release(&tar);
	strbuf_release(&pax);
}

static void test_limits(void **state)
{
	struct strbuf tar = STRBUF_INIT, pax = STRBUF_INIT;
	struct tar_limits lim = TAR_LIMITS_INIT;
	char path[600];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	tb_record(&pax, "path", path, strlen(path));
	tb_meta(&tar, 'x', &pax);
	tb_file(&tar, "f", "x");
	tb_end(&tar);
	lim.max_path = 512;
	expect_error(&tar, &lim, "path of 599 bytes is longer than 512");
	lim.max_path = 4096;
	lim.max_pax = 100;
	expect_error(&tar, &lim, "bytes is larger than 100");
	strbuf_reset(&tar);
	for (int i = 0; i < 11; i++)
		tb_file(&tar, "same", "x");
	tb_end(&tar);
	lim = (struct tar_limits)TAR_LIMITS_INIT;
	lim.max_entries = 10;
	expect_error(&tar, &lim, "more than 10 entries");
	strbuf_release(&tar);
	strbuf_release(&pax);
}

static void test_paths(void **state)
{
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	tb_file(&tar, "/abs/file", "1");
	tb_file(&tar, "./dot/../x//y/", "");
	tb_typed(&tar, TAR_DIR, "./", NULL, 0755);
	tb_typed(&tar, TAR_LINK, "h", "/abs/file", 0644);
	tb_typed(&tar, TAR_SYMLINK, "s", "../../anywhere", 0777);
	tb_end(&tar);
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	/* "x//y/" as a regular file is a pre-POSIX directory */
	assert_string_equal(out.buf,
			    "abs/file 0 0644 0:0 1 1700000000 =1\n"
			    "x/y 5 0644 0:0 0 1700000000 =\n"
			    ". 5 0755 0:0 0 1700000000 =\n"
			    "h 1 0644 0:0 0 1700000000 -> abs/file =\n"
			    "s 2 0777 0:0 0 1700000000 -> ../../anywhere =\n");
	strbuf_reset(&tar);
	tb_file(&tar, "a/../../x", "1");
	expect_error(&tar, NULL, "path 'a/../../x' leaves the root");
	strbuf_reset(&tar);
	tb_typed(&tar, TAR_LINK, "h", "x/../../../etc/passwd", 0644);
	expect_error(&tar, NULL, "hardlink target 'x/../../../etc/passwd' leaves the root");
	strbuf_reset(&tar);
	tb_typed(&tar, TAR_SYMLINK, "s", "", 0777);
	expect_error(&tar, NULL, "link target is empty");
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void test_no_end_blocks(void **state)
{
	struct strbuf tar = STRBUF_INIT, out = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	tb_file(&tar, "a", "x");
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	assert_string_equal(out.buf, "a 0 0644 0:0 1 1700000000 =x\n");
	/* one zero block is enough; data after the end is not read as tar */
	tb_end(&tar);
	strbuf_setlen(&tar, tar.len - 512);
	strbuf_addstr(&tar, "trailing bytes that are no header");
	strbuf_reset(&out);
	assert_int_equal(list_layer(tar.buf, tar.len, NULL, NULL, &out, &err), 0);
	/* an empty blob is an empty layer */
	strbuf_reset(&out);
	assert_int_equal(list_layer("", 0, NULL, NULL, &out, &err), 0);
	assert_string_equal(out.buf, "");
	strbuf_release(&tar);
	strbuf_release(&out);
}

static void test_unread_content_skipped(void **state)
{
	struct strbuf tar = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	struct layer_input *in;
	struct tar_reader *r;
	struct tar_entry e = TAR_ENTRY_INIT;
	char big[3000], buf[10];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	tb_file(&tar, "big", big);
	tb_file(&tar, "next", "n");
	tb_end(&tar);
	assert_int_equal(layer_input_open_mem(&in, tar.buf, tar.len, NULL, &err), 0);
	r = tar_reader_new(layer_input_source, in, NULL);
	assert_int_equal(tar_reader_next(r, &e, &err), 1);
	assert_int_equal(tar_reader_read(r, buf, sizeof(buf), &err), 10);
	assert_int_equal(tar_reader_next(r, &e, &err), 1);
	assert_string_equal(e.path, "next");
	assert_int_equal(tar_reader_read(r, buf, sizeof(buf), &err), 1);
	assert_int_equal(tar_reader_read(r, buf, sizeof(buf), &err), 0);
	assert_int_equal(tar_reader_next(r, &e, &err), 0);
	assert_int_equal(tar_reader_next(r, &e, &err), 0);
	assert_int_equal(tar_reader_count(r), 2);
	tar_entry_clear(&e);
	tar_reader_free(r);
	assert_int_equal(layer_input_finish(in, &err), 0);
	layer_input_free(in);
	strbuf_release(&tar);
}

static void test_types_refused(void **state)
{
	struct strbuf tar = STRBUF_INIT;

	(void)state;
	tb_typed(&tar, 'S', "sparse", NULL, 0644);
	expect_error(&tar, NULL, "'sparse': sparse files are not supported");
	strbuf_reset(&tar);
	tb_typed(&tar, 'V', "vol", NULL, 0644);
	expect_error(&tar, NULL, "'vol': unsupported entry type 'V'");
	strbuf_reset(&tar);
	{
		struct strbuf pax = STRBUF_INIT;

		tb_record(&pax, "GNU.sparse.size", "10", 2);
		tb_meta(&tar, 'x', &pax);
		tb_file(&tar, "f", "x");
		expect_error(&tar, NULL, "sparse files are not supported");
		strbuf_reset(&tar);
		strbuf_reset(&pax);
		strbuf_addstr(&pax, "30 path=x\n");
		tb_meta(&tar, 'x', &pax);
		tb_file(&tar, "f", "x");
		expect_error(&tar, NULL, "malformed PAX record at offset 0");
		strbuf_release(&pax);
	}
	strbuf_release(&tar);
}

/* a source making up an archive of n empty files without holding it */
struct bomb {
	unsigned long n, done;
	char block[512];
	size_t pos;
	int ended;
};

static ssize_t bomb_source(void *ctx, void *buf, size_t len, struct kerr *err)
{
	struct bomb *b = ctx;
	size_t got = 0;

	(void)err;
	while (got < len) {
		if (b->pos == 512) {
			if (b->done == b->n) {
				if (b->ended++ >= 2)
					break;
				memset(b->block, 0, 512);
			} else {
				struct strbuf one = STRBUF_INIT;
				char name[32];

				snprintf(name, sizeof(name), "d%lu/f%lu", b->done % 1000, b->done);
				tb_file(&one, name, "");
				memcpy(b->block, one.buf, 512);
				strbuf_release(&one);
				b->done++;
			}
			b->pos = 0;
		}
		{
			size_t n = len - got < 512 - b->pos ? len - got : 512 - b->pos;

			memcpy((char *)buf + got, b->block + b->pos, n);
			b->pos += n;
			got += n;
		}
	}
	return (ssize_t)got;
}

static void test_bomb_entry_cap(void **state)
{
	struct bomb b = { .n = LAYER_MAX_ENTRIES + 1, .pos = 512 };
	struct kerr err = KERR_INIT;
	struct tar_reader *r = tar_reader_new(bomb_source, &b, NULL);
	struct tar_entry e = TAR_ENTRY_INIT;
	int n;

	(void)state;
	while ((n = tar_reader_next(r, &e, &err)) > 0)
		;
	assert_int_equal(n, -1);
	assert_string_equal(err.msg, "archive has more than 1048576 entries");
	assert_int_equal(tar_reader_count(r), LAYER_MAX_ENTRIES + 1);
	kerr_clear(&err);
	tar_entry_clear(&e);
	tar_reader_free(r);
}

static void test_fd_source_gnu_tar(void **state)
{
	char *tmp = tmpdir_make(), *cmd;
	struct kerr err = KERR_INIT;
	struct layer_input *in;
	struct tar_reader *r;
	struct tar_entry e = TAR_ENTRY_INIT;
	int fd, n, seen = 0;

	(void)state;
	if (asprintf(&cmd, "cd %s && mkdir -p src/d && printf data > src/d/file && "
		     "ln -s d/file src/sym && ln src/d/file src/hard && "
		     "%s -c 'import os; os.setxattr(\"src/d/file\", \"user.kiln\", b\"yes\")' && "
		     "tar --xattrs --format=pax -czf layer.tgz -C src .", tmp, python()) < 0)
		abort();
	assert_int_equal(system(cmd), 0);
	free(cmd);
	if (asprintf(&cmd, "%s/layer.tgz", tmp) < 0)
		abort();
	fd = open(cmd, O_RDONLY | O_CLOEXEC);
	free(cmd);
	assert_true(fd >= 0);
	assert_int_equal(layer_input_open_fd(&in, fd, NULL, &err), 0);
	r = tar_reader_new(layer_input_source, in, NULL);
	while ((n = tar_reader_next(r, &e, &err)) > 0) {
		/* GNU tar stores whichever name it meets first as the file */
		if (e.type == TAR_LINK) {
			assert_true(!strcmp(e.linkname, "d/file") || !strcmp(e.linkname, "hard"));
			seen |= 4;
		} else if (!strcmp(e.path, "d/file") || !strcmp(e.path, "hard")) {
			char buf[16];

			/* GNU tar writes the xattr as SCHILY.xattr.user.kiln */
			assert_int_equal(e.nxattrs, 1);
			assert_string_equal(e.xattrs[0].name, "user.kiln");
			assert_memory_equal(e.xattrs[0].value, "yes", 3);

			assert_int_equal(tar_reader_read(r, buf, sizeof(buf), &err), 4);
			assert_memory_equal(buf, "data", 4);
			seen |= 1;
		} else if (!strcmp(e.path, "sym")) {
			assert_string_equal(e.linkname, "d/file");
			seen |= 2;
		}
	}
	if (n < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(seen, 7);
	tar_entry_clear(&e);
	tar_reader_free(r);
	assert_int_equal(layer_input_finish(in, &err), 0);
	assert_int_equal(layer_input_compressed(in), 1);
	layer_input_free(in);
	close(fd);
	tmpdir_remove(tmp);
}

/* every corpus archive the MANIFEST calls refused for a reason the reader
 * sees must fail in the reader already, naming that reason */
static void test_corpus_reader(void **state)
{
	char *tmp = tmpdir_make(), *canary, *line = NULL;
	size_t cap = 0;
	FILE *m;
	int dirfd, count = 0;

	(void)state;
	if (asprintf(&canary, "%s/canary", tmp) < 0)
		abort();
	assert_int_equal(corpus_generate(tmp, canary), 0);
	dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	m = fdopen(openat(dirfd, "MANIFEST", O_RDONLY | O_CLOEXEC), "r");
	assert_non_null(m);
	while (getline(&line, &cap, m) > 0) {
		char *name = strtok(line, "\t"), *outcome = strtok(NULL, "\t");
		struct strbuf out = STRBUF_INIT;
		struct kerr err = KERR_INIT;
		size_t len;
		void *data = read_whole(dirfd, name, &len);
		int r = list_layer(data, len, NULL, NULL, &out, &err);

		/* ok archives must read cleanly; refused ones may need the
		 * extractor to see why */
		if (!strcmp(outcome, "ok") && r < 0)
			fail_msg("%s: %s", name, err.msg);
		count++;
		kerr_clear(&err);
		strbuf_release(&out);
		free(data);
	}
	assert_true(count >= 20);
	free(line);
	fclose(m);
	close(dirfd);
	free(canary);
	tmpdir_remove(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_gzip_digests),
		cmocka_unit_test(test_digest_mismatch),
		cmocka_unit_test(test_gzip_members_and_garbage),
		cmocka_unit_test(test_compressions_refused),
		cmocka_unit_test(test_pax),
		cmocka_unit_test(test_gnu_long_names),
		cmocka_unit_test(test_base256),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_header_valid),
		cmocka_unit_test(test_truncation_names_entry),
		cmocka_unit_test(test_lying_pax_size),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_no_end_blocks),
		cmocka_unit_test(test_unread_content_skipped),
		cmocka_unit_test(test_types_refused),
		cmocka_unit_test(test_bomb_entry_cap),
		cmocka_unit_test(test_fd_source_gnu_tar),
		cmocka_unit_test(test_corpus_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
