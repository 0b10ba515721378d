/* test-tar-write.c: the tar writer: header fields and checksums, long
 * names, PAX records, mtime policies, xattrs and file capabilities (v3 to
 * v2), whiteouts and entries supplied by the caller. */
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

#include "layer/fcaps.h"
#include "layer/layer.h"
#include "layer/tar-write.h"
#include "util/testutil.h"
#include "layer/writetest.h"

/* the header blocks of one entry */
static void encode(const struct tar_entry *e, const struct layer_opts *o,
		   struct strbuf *out)
{
	struct tar_writer w;
	struct kerr err = KERR_INIT;

	tar_writer_init(&w, NULL, o);
	strbuf_reset(out);
	if (tar_encode_header(&w, e, out, &err) < 0)
		fail_msg("encode: %s", err.msg);
	tar_writer_release(&w);
	assert_int_equal(out->len % TAR_BLOCK, 0);
}

static int encode_fails(const struct tar_entry *e)
{
	struct layer_opts o = opts_plain();
	struct tar_writer w;
	struct strbuf out = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	int rc;

	tar_writer_init(&w, NULL, &o);
	rc = tar_encode_header(&w, e, &out, &err);
	tar_writer_release(&w);
	strbuf_release(&out);
	kerr_clear(&err);
	return rc < 0;
}

static void assert_checksum(const unsigned char *h)
{
	unsigned sum = 0;

	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	assert_int_equal(octal_field(h + 148, 8), sum);
	assert_int_equal(h[154], 0);
	assert_int_equal(h[155], ' ');
}

static const unsigned char *last_block(const struct strbuf *sb)
{
	return (const unsigned char *)sb->buf + sb->len - 512;
}

static void test_ustar_fields(void **state)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *h;

	(void)state;
	e.path = "etc/hostname";
	e.mode = 04755;
	e.uid = 1000;
	e.gid = 100;
	e.size = 12345;
	e.mtime = 1700000000;
	e.mtime_nsec = 123;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);
	h = last_block(&sb);
	assert_string_equal((const char *)h, "etc/hostname");
	assert_memory_equal(h + 100, "0004755", 8);
	assert_memory_equal(h + 108, "0001750", 8);
	assert_memory_equal(h + 116, "0000144", 8);
	assert_memory_equal(h + 124, "00000030071", 12);
	assert_memory_equal(h + 136, "14524770400", 12);
	assert_int_equal(h[156], '0');
	assert_memory_equal(h + 257, "ustar\0" "00", 8);
	/* no user or group names, devices 0, nothing after the prefix */
	for (int i = 265; i < 329; i++)
		assert_int_equal(h[i], 0);
	assert_memory_equal(h + 329, "0000000", 8);
	assert_memory_equal(h + 337, "0000000", 8);
	for (int i = 345; i < 512; i++)
		assert_int_equal(h[i], 0);
	assert_checksum(h);

	/* directories end in '/'; size is 0 for all but regular files */
	e.type = TAR_DIR;
	e.path = "usr/share";
	encode(&e, &o, &sb);
	h = last_block(&sb);
	assert_string_equal((const char *)h, "usr/share/");
	assert_int_equal(octal_field(h + 124, 12), 0);
	assert_int_equal(h[156], '5');
	assert_checksum(h);

	e.type = TAR_CHR;
	e.path = "dev/null";
	e.devmajor = 1;
	e.devminor = 3;
	encode(&e, &o, &sb);
	h = last_block(&sb);
	assert_memory_equal(h + 329, "0000001", 8);
	assert_memory_equal(h + 337, "0000003", 8);
	assert_checksum(h);

	e.type = TAR_SYMLINK;
	e.path = "bin";
	e.linkname = "usr/bin";
	encode(&e, &o, &sb);
	h = last_block(&sb);
	assert_string_equal((const char *)h + 157, "usr/bin");
	assert_memory_equal(h + 329, "0000000", 8);
	strbuf_release(&sb);
}

static void test_long_names(void **state)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT;
	char *a = repeat('a', 100), *b = repeat('b', 60), *c = repeat('c', 101);
	char *d = repeat('d', 99);
	struct listed l[2];
	const unsigned char *h;

	(void)state;
	/* exactly 100 bytes: the name field without a NUL */
	e.path = a;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);
	assert_memory_equal(sb.buf, a, 100);

	/* 60 + 1 + 100: splits into prefix and name, no PAX */
	strbuf_addf(&path, "%s/%s", b, a);
	e.path = path.buf;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);
	h = last_block(&sb);
	assert_memory_equal(h, a, 100);
	assert_string_equal((const char *)h + 345, b);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	assert_string_equal(l[0].name, path.buf);
	listed_clear(l, 1);

	/* a directory's trailing '/' counts: 60 + 1 + 99 + '/' splits too */
	e.type = TAR_DIR;
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/%s", b, d);
	e.path = path.buf;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	assert_int_equal(strlen(l[0].name), path.len + 1);
	assert_int_equal(l[0].name[path.len], '/');
	listed_clear(l, 1);

	/* a last component over 100 bytes cannot split: PAX path */
	e.type = TAR_REG;
	strbuf_reset(&path);
	strbuf_addf(&path, "x/%s", c);
	e.path = path.buf;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 3 * 512);
	assert_int_equal(sb.buf[156], 'x');
	/* its name: the base, cut to fill the 100 bytes */
	assert_memory_equal(sb.buf, "PaxHeaders.0/", 13);
	assert_memory_equal(sb.buf + 13, c, 87);
	assert_memory_equal(sb.buf + 100, "0000644", 8);
	assert_checksum((unsigned char *)sb.buf);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	assert_string_equal(l[0].name, path.buf);
	listed_clear(l, 1);

	/* over 256 bytes in all: PAX path too */
	strbuf_reset(&path);
	for (int i = 0; i < 30; i++)
		strbuf_addstr(&path, "directory/");
	strbuf_addstr(&path, "file");
	e.path = path.buf;
	encode(&e, &o, &sb);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	assert_string_equal(l[0].name, path.buf);
	listed_clear(l, 1);

	/* long link targets: PAX linkpath */
	e.type = TAR_SYMLINK;
	e.path = "link";
	e.linkname = c;
	encode(&e, &o, &sb);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	assert_string_equal(l[0].link, c);
	assert_null(pax_get(l[0].pax, l[0].paxlen, "path", &(size_t){ 0 }));
	listed_clear(l, 1);

	free(a);
	free(b);
	free(c);
	free(d);
	strbuf_release(&path);
	strbuf_release(&sb);
}

/* every record's length prefix counts the record exactly, across the
 * lengths where the prefix gains a digit */
static void test_pax_record_lengths(void **state)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT;

	(void)state;
	for (size_t n = 90; n < 1010; n++) {
		const char *pax;
		size_t paxlen, reclen;

		strbuf_reset(&path);
		for (size_t i = 0; i < n; i++)
			strbuf_addch(&path, 'p');
		e.path = path.buf;
		encode(&e, &o, &sb);
		if (n <= 100) {
			assert_int_equal(sb.len, 512);
			continue;
		}
		pax = sb.buf + 512;
		paxlen = octal_field((unsigned char *)sb.buf + 124, 12);
		reclen = strtoul(pax, NULL, 10);
		assert_int_equal(reclen, paxlen);
		assert_int_equal(pax[reclen - 1], '\n');
		/* "<len> path=<n bytes>\n" */
		assert_int_equal(reclen, (size_t)snprintf(NULL, 0, "%zu", reclen) + 7 + n);
	}
	strbuf_release(&path);
	strbuf_release(&sb);
}

static void test_big_numbers(void **state)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *h;
	const char *v;
	size_t len;
	struct listed l[2];

	(void)state;
	/* the largest values ustar holds stay in ustar */
	e.path = "f";
	e.size = 077777777777ull;
	e.uid = 07777777;
	e.gid = 07777777;
	e.mtime = 077777777777ll;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);

	/* beyond: PAX records, base-256 in the fields */
	e.size = 10ull << 30;
	e.uid = 3000000;
	e.gid = 4000000000u;
	e.mtime = -5;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 3 * 512);
	h = last_block(&sb);
	assert_int_equal(h[124], 0x80);
	assert_int_equal(octal_field(h + 124, 12), 10ull << 30);
	assert_int_equal(h[108], 0x80);
	assert_int_equal(octal_field(h + 108, 8), 3000000);
	assert_int_equal(octal_field(h + 116, 8), 4000000000u);
	for (int i = 136; i < 147; i++)
		assert_int_equal(h[i], 0xff);
	assert_int_equal(h[147], (unsigned char)-5);
	assert_checksum(h);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	v = pax_get(l[0].pax, l[0].paxlen, "size", &len);
	assert_non_null(v);
	assert_memory_equal(v, "10737418240", len);
	v = pax_get(l[0].pax, l[0].paxlen, "uid", &len);
	assert_memory_equal(v, "3000000", len);
	v = pax_get(l[0].pax, l[0].paxlen, "gid", &len);
	assert_memory_equal(v, "4000000000", len);
	v = pax_get(l[0].pax, l[0].paxlen, "mtime", &len);
	assert_int_equal(len, 2);
	assert_memory_equal(v, "-5", 2);
	/* keys in byte order */
	assert_true(strstr(l[0].pax, "gid=") < strstr(l[0].pax, "mtime="));
	assert_true(strstr(l[0].pax, "mtime=") < strstr(l[0].pax, "size="));
	assert_true(strstr(l[0].pax, "size=") < strstr(l[0].pax, "uid="));
	listed_clear(l, 1);
	strbuf_release(&sb);
}

static void test_mtime_policies(void **state)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct listed l[2];
	const char *v;
	size_t len;

	(void)state;
	e.path = "f";
	e.mtime = 1700000000;
	e.mtime_nsec = 500000000;

	/* nanoseconds only when asked for */
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);
	o.hires_mtime = true;
	encode(&e, &o, &sb);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	v = pax_get(l[0].pax, l[0].paxlen, "mtime", &len);
	assert_non_null(v);
	assert_memory_equal(v, "1700000000.5", len);
	assert_int_equal(octal_field(last_block(&sb) + 136, 12), 1700000000);
	listed_clear(l, 1);

	e.mtime = -2;
	e.mtime_nsec = 250000000;
	encode(&e, &o, &sb);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	v = pax_get(l[0].pax, l[0].paxlen, "mtime", &len);
	assert_memory_equal(v, "-1.75", len);
	listed_clear(l, 1);

	/* clamp: later times become the timestamp, earlier ones stay */
	o.mtime_policy = LAYER_MTIME_CLAMP;
	o.timestamp = 1600000000;
	e.mtime = 1700000000;
	e.mtime_nsec = 7;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);
	assert_int_equal(octal_field(last_block(&sb) + 136, 12), 1600000000);
	e.mtime = 1500000000;
	e.mtime_nsec = 0;
	encode(&e, &o, &sb);
	assert_int_equal(octal_field(last_block(&sb) + 136, 12), 1500000000);
	/* equal seconds with a fraction is later: clamped, no PAX */
	e.mtime = 1600000000;
	e.mtime_nsec = 1;
	encode(&e, &o, &sb);
	assert_int_equal(sb.len, 512);

	o.mtime_policy = LAYER_MTIME_SET;
	e.mtime = 5;
	encode(&e, &o, &sb);
	assert_int_equal(octal_field(last_block(&sb) + 136, 12), 1600000000);
	strbuf_release(&sb);
}

static void test_xattrs(void **state)
{
	static const unsigned char bin[] = { 'a', '\n', 0, '=', 0xff, ' ' };
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct listed l[2];
	const char *v;
	size_t len;

	(void)state;
	e.path = xstrdup("f");
	tar_entry_add_xattr(&e, "user.zeta", "z", 1);
	tar_entry_add_xattr(&e, "user.bin", bin, sizeof(bin));
	tar_entry_add_xattr(&e, "user.empty", "", 0);
	encode(&e, &o, &sb);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	v = pax_get(l[0].pax, l[0].paxlen, "SCHILY.xattr.user.bin", &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(v, bin, sizeof(bin));
	v = pax_get(l[0].pax, l[0].paxlen, "SCHILY.xattr.user.empty", &len);
	assert_non_null(v);
	assert_int_equal(len, 0);
	/* sorted by name whatever order they came in */
	assert_true(memmem(l[0].pax, l[0].paxlen, "user.bin", 8) <
		    memmem(l[0].pax, l[0].paxlen, "user.empty", 10));
	assert_true(memmem(l[0].pax, l[0].paxlen, "user.empty", 10) <
		    memmem(l[0].pax, l[0].paxlen, "user.zeta", 9));
	listed_clear(l, 1);

	/* a name PAX cannot carry, and the same name twice */
	tar_entry_add_xattr(&e, "user.a=b", "x", 1);
	assert_true(encode_fails(&e));
	tar_entry_clear(&e);
	e.path = xstrdup("f");
	tar_entry_add_xattr(&e, "user.a", "x", 1);
	tar_entry_add_xattr(&e, "user.a", "y", 1);
	assert_true(encode_fails(&e));
	tar_entry_clear(&e);
	strbuf_release(&sb);
}

static void test_fcaps_v3_to_v2(void **state)
{
	unsigned char v3[24], v2[20], v1[12], out[FCAPS_MAX_LEN];
	struct kerr err = KERR_INIT;
	struct tar_entry e = TAR_ENTRY_INIT;
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct listed l[2];
	const char *v;
	size_t len;

	(void)state;
	/* cap_net_bind_service+ep, cap_sys_admin (21) inheritable, a high
	 * capability (cap_bpf, 39) permitted, as a namespace with root 100000
	 * stores it */
	put32(v3, FCAPS_REV3 | FCAPS_EFFECTIVE);
	put32(v3 + 4, 1u << 10);
	put32(v3 + 8, 1u << 21);
	put32(v3 + 12, 1u << (39 - 32));
	put32(v3 + 16, 0);
	put32(v3 + 20, 100000);
	assert_int_equal(fcaps_to_v2(v3, sizeof(v3), out, &err), 20);
	put32(v2, FCAPS_REV2 | FCAPS_EFFECTIVE);
	memcpy(v2 + 4, v3 + 4, 16);
	assert_memory_equal(out, v2, 20);

	/* v2 and v1 pass unchanged */
	assert_int_equal(fcaps_to_v2(v2, sizeof(v2), out, &err), 20);
	assert_memory_equal(out, v2, 20);
	put32(v1, FCAPS_REV1);
	put32(v1 + 4, 1u << 10);
	put32(v1 + 8, 0);
	assert_int_equal(fcaps_to_v2(v1, sizeof(v1), out, &err), 12);
	assert_memory_equal(out, v1, 12);

	/* wrong lengths and revisions */
	assert_true(fcaps_to_v2(v3, 20, out, &err) < 0);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_true(fcaps_to_v2(v2, 24, out, &err) < 0);
	assert_true(fcaps_to_v2(v2, 3, out, &err) < 0);
	put32(v1, 0x04000000);
	assert_true(fcaps_to_v2(v1, sizeof(v1), out, &err) < 0);
	kerr_clear(&err);

	/* through the writer: the layer holds the v2 form */
	e.path = xstrdup("usr/bin/ping");
	tar_entry_add_xattr(&e, FCAPS_XATTR, v3, sizeof(v3));
	encode(&e, &o, &sb);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 2), 1);
	v = pax_get(l[0].pax, l[0].paxlen, "SCHILY.xattr.security.capability", &len);
	assert_non_null(v);
	assert_int_equal(len, 20);
	assert_memory_equal(v, v2, 20);
	listed_clear(l, 1);

	/* a broken capability is an error naming the xattr */
	tar_entry_clear(&e);
	e.path = xstrdup("f");
	tar_entry_add_xattr(&e, FCAPS_XATTR, v3, 7);
	assert_true(encode_fails(&e));
	tar_entry_clear(&e);
	strbuf_release(&sb);
}

static void test_bad_entries(void **state)
{
	struct tar_entry e = TAR_ENTRY_INIT;

	(void)state;
	e.path = "";
	assert_true(encode_fails(&e));
	e.path = "/etc/passwd";
	assert_true(encode_fails(&e));
	e.path = "a/../../b";
	assert_true(encode_fails(&e));
	e.path = "..";
	assert_true(encode_fails(&e));
	e.path = "a/..b";	/* a name, not a parent */
	assert_false(encode_fails(&e));
	e.path = "link";
	e.type = TAR_SYMLINK;
	assert_true(encode_fails(&e));
	e.type = 'Z';
	assert_true(encode_fails(&e));
}

/* writes entries through a layer_writer into a memory buffer */
static void write_entries(struct strbuf *out, void (*fill)(struct layer_writer *))
{
	struct layer_opts o = opts_plain();
	struct layer_writer *lw;
	struct layer_result res;
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/out.tar", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(layer_writer_new(&lw, fd, &o, &err), 0);
	fill(lw);
	if (layer_writer_finish(lw, &res, &err) < 0)
		fail_msg("finish: %s", err.msg);
	layer_writer_free(lw);
	lseek(fd, 0, SEEK_SET);
	strbuf_reset(out);
	assert_int_equal(strbuf_read_fd(out, fd, 1 << 20, &err), 0);
	assert_int_equal(out->len, res.tar_size);
	close(fd);
	tmpdir_remove(dir);
}

static void fill_whiteouts(struct layer_writer *lw)
{
	struct kerr err = KERR_INIT;
	struct tar_entry d = TAR_ENTRY_INIT;

	d.path = "etc";
	d.type = TAR_DIR;
	d.mode = 0755;
	assert_int_equal(layer_writer_add(lw, &d, -1, &err), 0);
	assert_int_equal(layer_writer_opaque(lw, "etc", &err), 0);
	assert_int_equal(layer_writer_whiteout(lw, "etc/motd", &err), 0);
	assert_int_equal(layer_writer_whiteout(lw, "tmp", &err), 0);
	assert_int_equal(layer_writer_opaque(lw, "", &err), 0);
	assert_true(layer_writer_whiteout(lw, "etc/..", &err) < 0);
	kerr_clear(&err);
}

static void test_whiteouts(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct listed l[8];
	size_t n;

	(void)state;
	write_entries(&sb, fill_whiteouts);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 8);
	assert_int_equal(n, 5);
	assert_string_equal(l[0].name, "etc/");
	assert_string_equal(l[1].name, "etc/.wh..wh..opq");
	assert_string_equal(l[2].name, "etc/.wh.motd");
	assert_string_equal(l[3].name, ".wh.tmp");
	assert_string_equal(l[4].name, ".wh..wh..opq");
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(l[i].type, '0');
		assert_int_equal(l[i].size, 0);
		assert_int_equal(l[i].mode, 0);
	}
	/* the archive ends with two zero blocks */
	assert_int_equal(sb.len, 5 * 512 + 1024);
	listed_clear(l, n);
	strbuf_release(&sb);
}

static void fill_contents(struct layer_writer *lw)
{
	struct kerr err = KERR_INIT;
	struct tar_entry e = TAR_ENTRY_INIT;
	char buf[513];

	e.path = "a";
	e.size = 5;
	e.mode = 0644;
	assert_int_equal(layer_writer_add_buf(lw, &e, "hello", 5, &err), 0);
	/* a size that does not match the content */
	assert_true(layer_writer_add_buf(lw, &e, "hell", 4, &err) < 0);
	kerr_clear(&err);
	e.path = "b";
	e.size = 513;
	memset(buf, 'b', sizeof(buf));
	assert_int_equal(layer_writer_add_buf(lw, &e, buf, sizeof(buf), &err), 0);
}

static void test_contents_padding(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct listed l[4];

	(void)state;
	write_entries(&sb, fill_contents);
	assert_int_equal(tar_list((unsigned char *)sb.buf, sb.len, l, 4), 2);
	assert_memory_equal(l[0].data, "hello", 5);
	assert_int_equal(l[1].size, 513);
	assert_int_equal(l[1].data - (const unsigned char *)sb.buf, 3 * 512);
	/* header, 1 block, header, 2 blocks, end */
	assert_int_equal(sb.len, 5 * 512 + 1024);
	listed_clear(l, 2);
	strbuf_release(&sb);
}

static void test_env_epoch(void **state)
{
	struct layer_opts o = LAYER_OPTS_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(layer_opts_from_env(&o, &err), 0);
	assert_int_equal(o.mtime_policy, LAYER_MTIME_KEEP);
	setenv("SOURCE_DATE_EPOCH", "", 1);
	assert_int_equal(layer_opts_from_env(&o, &err), 0);
	assert_int_equal(o.mtime_policy, LAYER_MTIME_KEEP);
	setenv("SOURCE_DATE_EPOCH", "12x", 1);
	assert_true(layer_opts_from_env(&o, &err) < 0);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_non_null(strstr(err.msg, "'12x'"));
	setenv("SOURCE_DATE_EPOCH", "-1", 1);
	assert_true(layer_opts_from_env(&o, &err) < 0);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(layer_opts_from_env(&o, &err), 0);
	assert_int_equal(o.mtime_policy, LAYER_MTIME_CLAMP);
	assert_int_equal(o.timestamp, 1700000000);
	unsetenv("SOURCE_DATE_EPOCH");
	kerr_clear(&err);
}

/* a file shorter than its size: the content fd runs dry */
static void test_short_content(void **state)
{
	struct layer_opts o = opts_plain();
	struct layer_writer *lw;
	struct tar_entry e = TAR_ENTRY_INIT;
	struct kerr err = KERR_INIT;
	int p[2], null = open("/dev/null", O_WRONLY);

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	close(p[1]);
	assert_int_equal(layer_writer_new(&lw, null, &o, &err), 0);
	e.path = "short";
	e.size = 10;
	assert_true(layer_writer_add(lw, &e, p[0], &err) < 0);
	assert_non_null(strstr(err.msg, "'short'"));
	assert_non_null(strstr(err.msg, "shrank by 7 bytes"));
	/* and a missing fd is an error too */
	kerr_clear(&err);
	layer_writer_free(lw);
	assert_int_equal(layer_writer_new(&lw, null, &o, &err), 0);
	assert_true(layer_writer_add(lw, &e, -1, &err) < 0);
	layer_writer_free(lw);
	o.level = 10;
	assert_true(layer_writer_new(&lw, null, &o, &err) < 0);
	assert_null(lw);
	kerr_clear(&err);
	close(p[0]);
	close(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ustar_fields),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_pax_record_lengths),
		cmocka_unit_test(test_big_numbers),
		cmocka_unit_test(test_mtime_policies),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_fcaps_v3_to_v2),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_whiteouts),
		cmocka_unit_test(test_contents_padding),
		cmocka_unit_test(test_env_epoch),
		cmocka_unit_test(test_short_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
