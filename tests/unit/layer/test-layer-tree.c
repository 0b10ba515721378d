/* test-layer-tree.c: directory trees into layers: entry order, hardlinks,
 * xattrs from disk, determinism under SOURCE_DATE_EPOCH, digests, gzip of
 * a tar stream, and GNU tar and Python reading what kiln writes. */
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/fcaps.h"
#include "layer/layer.h"
#include "util/sha256.h"
#include "util/testutil.h"
#include "layer/writetest.h"

static int have(const char *cmd)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

static int run(const char *fmt, ...) KILN_PRINTF(1, 2);
static int run(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	rc = system(cmd);
	free(cmd);
	return rc;
}

struct tree {
	char *dir;
	int fd;
};

static void mk(int dirfd, const char *name, const char *content)
{
	put_file(dirfd, name, content);
}

/* a small tree with every kind of entry the walk writes */
static struct tree make_tree(void)
{
	struct tree t;

	t.dir = tmpdir_make();
	t.fd = open(t.dir, O_RDONLY | O_DIRECTORY);
	assert_true(t.fd >= 0);
	assert_int_equal(mkdirat(t.fd, "a", 0755), 0);
	mk(t.fd, "a/x", "in a\n");
	mk(t.fd, "a-b", "dash\n");
	mk(t.fd, "b", "bee\n");
	assert_int_equal(mkdirat(t.fd, "empty", 0700), 0);
	assert_int_equal(symlinkat("/etc/passwd", t.fd, "abs-link"), 0);
	assert_int_equal(symlinkat("a", t.fd, "dir-link"), 0);
	assert_int_equal(mkfifoat(t.fd, "fifo", 0600), 0);
	assert_int_equal(linkat(t.fd, "b", t.fd, "a/hard-b", 0), 0);
	assert_int_equal(linkat(t.fd, "b", t.fd, "z-hard-b", 0), 0);
	return t;
}

static void tree_free(struct tree *t)
{
	close(t->fd);
	tmpdir_remove(t->dir);
}

/* the tree as a layer in memory */
static void tree_tar(int rootfd, const struct layer_opts *o, struct strbuf *out,
		     struct layer_result *res)
{
	struct kerr err = KERR_INIT;
	FILE *f = tmpfile();

	assert_non_null(f);
	if (layer_write_tree(rootfd, fileno(f), o, res, &err) < 0)
		fail_msg("write tree: %s", err.msg);
	lseek(fileno(f), 0, SEEK_SET);
	strbuf_reset(out);
	assert_int_equal(strbuf_read_fd(out, fileno(f), 64 << 20, &err), 0);
	fclose(f);
}

static void test_walk_order_and_types(void **state)
{
	static const struct { const char *name; char type; } want[] = {
		{ "a/", '5' }, { "a/hard-b", '0' }, { "a/x", '0' }, { "a-b", '0' },
		{ "abs-link", '2' }, { "b", '1' }, { "dir-link", '2' },
		{ "empty/", '5' }, { "fifo", '6' }, { "z-hard-b", '1' },
	};
	struct tree t = make_tree();
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct layer_result res;
	struct listed l[16];
	unsigned char h[SHA256_LEN];
	size_t n;

	(void)state;
	tree_tar(t.fd, &o, &sb, &res);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 16);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(l[i].name, want[i].name);
		assert_int_equal(l[i].type, want[i].type);
	}
	/* the first path of a linked file holds the data, later ones link */
	assert_memory_equal(l[1].data, "bee\n", 4);
	assert_string_equal(l[5].link, "a/hard-b");
	assert_string_equal(l[9].link, "a/hard-b");
	assert_int_equal(l[5].size, 0);
	assert_string_equal(l[4].link, "/etc/passwd");
	assert_int_equal(l[7].mode, 0700);

	/* what the result says is what was written */
	assert_int_equal(res.tar_size, sb.len);
	assert_int_equal(res.size, sb.len);
	sha256_buf(sb.buf, sb.len, h);
	assert_memory_equal(res.diff_id, h, SHA256_LEN);
	assert_memory_equal(res.digest, h, SHA256_LEN);
	listed_clear(l, n);
	strbuf_release(&sb);
	tree_free(&t);
}

static void set_mtimes(int dirfd, const char *name, time_t when)
{
	struct timespec ts[2] = { { when, 0 }, { when, 0 } };

	assert_int_equal(utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_determinism(void **state)
{
	static const char *const names[] = { "a/x", "a-b", "b", "a", "empty",
					     "abs-link", "fifo", "dir-link" };
	struct tree t1 = make_tree(), t2 = make_tree();
	struct layer_opts o = LAYER_OPTS_INIT;
	struct strbuf s1 = STRBUF_INIT, s2 = STRBUF_INIT;
	struct layer_result r1, r2;
	struct kerr err = KERR_INIT;

	(void)state;
	/* the same tree twice: the same bytes */
	o.threads = 1;
	tree_tar(t1.fd, &o, &s1, &r1);
	tree_tar(t1.fd, &o, &s2, &r2);
	assert_memory_equal(r1.digest, r2.digest, SHA256_LEN);
	assert_memory_equal(r1.diff_id, r2.diff_id, SHA256_LEN);
	assert_int_equal(s1.len, s2.len);
	assert_memory_equal(s1.buf, s2.buf, s1.len);

	/* two copies made at different times differ ... */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		set_mtimes(t1.fd, names[i], 1700000000 + (time_t)i);
		set_mtimes(t2.fd, names[i], 1800000000 - (time_t)i);
	}
	tree_tar(t1.fd, &o, &s1, &r1);
	tree_tar(t2.fd, &o, &s2, &r2);
	assert_memory_not_equal(r1.diff_id, r2.diff_id, SHA256_LEN);

	/* ... but not under a SOURCE_DATE_EPOCH before both */
	setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
	assert_int_equal(layer_opts_from_env(&o, &err), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	tree_tar(t1.fd, &o, &s1, &r1);
	tree_tar(t2.fd, &o, &s2, &r2);
	assert_memory_equal(r1.diff_id, r2.diff_id, SHA256_LEN);
	assert_memory_equal(r1.digest, r2.digest, SHA256_LEN);

	/* and gzip on 3 threads instead of 1 changes nothing */
	o.threads = 3;
	tree_tar(t2.fd, &o, &s2, &r2);
	assert_memory_equal(r1.digest, r2.digest, SHA256_LEN);
	assert_int_equal(s1.len, s2.len);
	assert_memory_equal(s1.buf, s2.buf, s1.len);

	strbuf_release(&s1);
	strbuf_release(&s2);
	tree_free(&t1);
	tree_free(&t2);
}

static void test_walk_xattrs(void **state)
{
	struct tree t = make_tree();
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct layer_result res;
	struct listed l[16];
	size_t n, len;
	int fd;
	const char *v;

	(void)state;
	fd = openat(t.fd, "a/x", O_RDONLY);
	if (fsetxattr(fd, "user.kiln", "v\0x", 3, 0) < 0) {
		close(fd);
		tree_free(&t);
		skip();	/* the file system under /tmp keeps no user xattrs */
	}
	close(fd);
	fd = openat(t.fd, "a", O_RDONLY | O_DIRECTORY);
	assert_int_equal(fsetxattr(fd, "user.dir", "d", 1, 0), 0);
	assert_int_equal(fsetxattr(fd, "user.overlay.opaque", "y", 1, 0), 0);
	close(fd);

	tree_tar(t.fd, &o, &sb, &res);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 16);
	assert_string_equal(l[0].name, "a/");
	v = pax_get(l[0].pax, l[0].paxlen, "SCHILY.xattr.user.dir", &len);
	assert_non_null(v);
	/* overlayfs bookkeeping stays out */
	assert_null(pax_get(l[0].pax, l[0].paxlen, "SCHILY.xattr.user.overlay.opaque", &len));
	assert_string_equal(l[2].name, "a/x");
	v = pax_get(l[2].pax, l[2].paxlen, "SCHILY.xattr.user.kiln", &len);
	assert_non_null(v);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "v\0x", 3);
	listed_clear(l, n);

	/* and none at all when asked */
	o.no_xattrs = true;
	tree_tar(t.fd, &o, &sb, &res);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 16);
	assert_null(l[0].pax);
	assert_null(l[2].pax);
	listed_clear(l, n);
	strbuf_release(&sb);
	tree_free(&t);
}

/* a v2 capability on disk comes out as it went in (needs CAP_SETFCAP) */
static void test_walk_fcaps(void **state)
{
	struct tree t = make_tree();
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct layer_result res;
	unsigned char v2[20];
	struct listed l[16];
	char path[512];
	const char *v;
	size_t n, len;
	int found = 0;

	(void)state;
	put32(v2, FCAPS_REV2 | FCAPS_EFFECTIVE);
	put32(v2 + 4, 1u << 13);	/* cap_net_raw */
	memset(v2 + 8, 0, 12);
	mk(t.fd, "ping", "#!/bin/true\n");
	snprintf(path, sizeof(path), "%s/ping", t.dir);
	if (setxattr(path, FCAPS_XATTR, v2, sizeof(v2), 0) < 0) {
		tree_free(&t);
		skip();	/* not privileged */
	}
	tree_tar(t.fd, &o, &sb, &res);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 16);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l[i].name, "ping"))
			continue;
		found = 1;
		v = pax_get(l[i].pax, l[i].paxlen, "SCHILY.xattr.security.capability", &len);
		assert_non_null(v);
		assert_int_equal(len, 20);
		assert_memory_equal(v, v2, 20);
	}
	assert_true(found);
	listed_clear(l, n);
	strbuf_release(&sb);
	tree_free(&t);
}

/*
 * The case the v3 -> v2 conversion is for: a capability set inside a user
 * namespace is stored as v3 with the namespace's root uid, and reading it
 * from outside returns it so. setcap runs in a namespace of nobody (when
 * we are root) or of ourselves; the layer must hold plain v2.
 */
static void test_walk_fcaps_v3_on_disk(void **state)
{
	struct tree t = make_tree();
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct layer_result res;
	unsigned char raw[64];
	struct listed l[16];
	char path[512];
	const unsigned char *v;
	ssize_t rawlen;
	size_t n, len;
	int found = 0;

	(void)state;
	mk(t.fd, "ping", "#!/bin/true\n");
	snprintf(path, sizeof(path), "%s/ping", t.dir);
	if (geteuid() == 0) {
		if (chmod(t.dir, 0755) < 0 || chown(path, 65534, 65534) < 0 ||
		    run("setpriv --reuid=65534 --regid=65534 --clear-groups "
			"unshare -r setcap cap_net_raw+ep %s 2>/dev/null", path) != 0) {
			tree_free(&t);
			skip();	/* no setpriv, setcap or user namespaces */
		}
	} else if (run("unshare -r setcap cap_net_raw+ep %s 2>/dev/null", path) != 0) {
		tree_free(&t);
		skip();
	}
	rawlen = getxattr(path, FCAPS_XATTR, raw, sizeof(raw));
	assert_int_equal(rawlen, FCAPS_V3_LEN);
	assert_int_equal(raw[3], 3);	/* revision 3 in the top byte */

	tree_tar(t.fd, &o, &sb, &res);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 16);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l[i].name, "ping"))
			continue;
		found = 1;
		v = (const unsigned char *)pax_get(l[i].pax, l[i].paxlen,
						   "SCHILY.xattr." FCAPS_XATTR, &len);
		assert_non_null(v);
		assert_int_equal(len, FCAPS_V2_LEN);
		assert_int_equal(v[3], 2);
		assert_int_equal(v[0], raw[0]);	/* effective flag kept */
		assert_memory_equal(v + 4, raw + 4, 16);
	}
	assert_true(found);
	listed_clear(l, n);
	strbuf_release(&sb);
	tree_free(&t);
}

static void test_walk_device(void **state)
{
	struct tree t = make_tree();
	struct layer_opts o = opts_plain();
	struct strbuf sb = STRBUF_INIT;
	struct layer_result res;
	struct listed l[16];
	size_t n;
	int found = 0;

	(void)state;
	if (mknodat(t.fd, "null", S_IFCHR | 0666, makedev(1, 3)) < 0) {
		tree_free(&t);
		skip();	/* not privileged */
	}
	tree_tar(t.fd, &o, &sb, &res);
	n = tar_list((unsigned char *)sb.buf, sb.len, l, 16);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *h;

		if (strcmp(l[i].name, "null"))
			continue;
		found = 1;
		assert_int_equal(l[i].type, '3');
		h = l[i].data - 512;
		assert_int_equal(octal_field(h + 329, 8), 1);
		assert_int_equal(octal_field(h + 337, 8), 3);
	}
	assert_true(found);
	listed_clear(l, n);
	strbuf_release(&sb);
	tree_free(&t);
}

/* --- other readers --- */

#define LONG_LINK "long-link-in-a-long-directory-needs-pax-path-yes"

/* whether the fixture's file got its user xattr */
static int fixture_xattr;

/* a tree with long names, a long link, hardlinks and an xattr, written
 * gzip'ed and plain into dir; the first three names go to dir/expected */
static void readers_fixture(const char *dir, struct tree *t)
{
	struct layer_opts o = LAYER_OPTS_INIT;
	struct layer_result res;
	struct kerr err = KERR_INIT;
	char path[512], *long_dir = repeat('L', 120), *long_name = repeat('n', 110);
	int fd, sub;

	*t = make_tree();
	assert_int_equal(mkdirat(t->fd, long_dir, 0755), 0);
	sub = openat(t->fd, long_dir, O_RDONLY | O_DIRECTORY);
	mk(sub, long_name, "deep\n");
	assert_int_equal(symlinkat(long_name, sub, LONG_LINK), 0);
	fd = openat(t->fd, "b", O_RDONLY);
	fixture_xattr = fsetxattr(fd, "user.kiln", "layer", 5, 0) == 0;
	close(fd);
	close(sub);
	set_mtimes(t->fd, "b", 1234567890);

	snprintf(path, sizeof(path), "%s/layer.tar.gz", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (layer_write_tree(t->fd, fd, &o, &res, &err) < 0)
		fail_msg("%s", err.msg);
	close(fd);
	o.level = 0;
	snprintf(path, sizeof(path), "%s/layer.tar", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (layer_write_tree(t->fd, fd, &o, &res, &err) < 0)
		fail_msg("%s", err.msg);
	close(fd);
	snprintf(path, sizeof(path), "%s/expected", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dprintf(fd, "%s/\n%s/%s\n%s/%s\n", long_dir, long_dir, LONG_LINK, long_dir, long_name);
	close(fd);
	free(long_dir);
	free(long_name);
}

static void test_gnu_tar_reads_it(void **state)
{
	char *dir = tmpdir_make();
	struct tree t;

	(void)state;
	if (!have("tar") || !have("gzip")) {
		tmpdir_remove(dir);
		skip();
	}
	readers_fixture(dir, &t);
	/* lists without complaint, in our order, with the long names whole */
	assert_int_equal(run("cd %s && gzip -dc layer.tar.gz | cmp - layer.tar", dir), 0);
	assert_int_equal(run("cd %s && tar -tvf layer.tar > list 2> errs && ! [ -s errs ]", dir), 0);
	assert_int_equal(run("cd %s && tar -tf layer.tar | head -3 | cmp - expected", dir), 0);
	assert_int_equal(run("cd %s && grep -q '^hrw-r--r-- .* z-hard-b link to a/hard-b$' list", dir), 0);
	assert_int_equal(run("cd %s && grep -q '^prw------- .* fifo$' list", dir), 0);
	assert_int_equal(run("cd %s && grep -q '^lrwxrwxrwx .* abs-link -> /etc/passwd$' list", dir), 0);
	assert_int_equal(run("cd %s && grep -q ' 2009-02-1[34] ..:.. b link to a/hard-b$' list", dir), 0);
	/* extracts with xattrs; the hardlink is one inode again */
	assert_int_equal(run("cd %s && mkdir x && tar --xattrs --xattrs-include='*' -C x -xzf layer.tar.gz", dir), 0);
	assert_int_equal(run("cd %s/x && [ $(stat -c %%i b) = $(stat -c %%i a/hard-b) ] && "
			     "[ \"$(cat L*/n*)\" = deep ]", dir), 0);
	if (fixture_xattr && have("python3"))
		assert_int_equal(run("cd %s/x && python3 -c \"import os; "
				     "assert os.getxattr('b', 'user.kiln') == b'layer'\"", dir), 0);
	tree_free(&t);
	tmpdir_remove(dir);
}

static void test_python_reads_it(void **state)
{
	static const char script[] =
		"import sys, tarfile\n"
		"names = []\n"
		"with tarfile.open(sys.argv[1], 'r:gz') as t:\n"
		"    for m in t:\n"
		"        names.append(m.name)\n"
		"        assert m.uname == '' and m.gname == '', m.name\n"
		"        if m.name == 'z-hard-b': assert m.islnk() and m.linkname == 'a/hard-b'\n"
		"        if m.name == 'b': assert m.islnk() and m.mtime == 1234567890\n"
		"        if m.name == 'a/hard-b': assert m.isreg() and t.extractfile(m).read() == b'bee\\n'\n"
		"        if m.name.endswith('-yes'): assert m.issym() and m.linkname == 'n' * 110\n"
		"        if m.name == 'fifo': assert m.isfifo()\n"
		"        if m.name == 'a/hard-b' and 'SCHILY.xattr.user.kiln' in m.pax_headers:\n"
		"            assert m.pax_headers['SCHILY.xattr.user.kiln'] == 'layer'\n"
		"assert names[0] == 'L' * 120, names[0]\n"
		"assert names[2] == 'L' * 120 + '/' + 'n' * 110, names[2]\n"
		"assert 'a' in names and 'empty' in names, names\n"
		"print('ok', len(names))\n";
	char *dir = tmpdir_make();
	struct tree t;
	char path[512];
	int fd;

	(void)state;
	if (!have("python3")) {
		tmpdir_remove(dir);
		skip();
	}
	readers_fixture(dir, &t);
	snprintf(path, sizeof(path), "%s/check.py", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(write(fd, script, strlen(script)), (ssize_t)strlen(script));
	close(fd);
	assert_int_equal(run("cd %s && python3 check.py layer.tar.gz | grep -q '^ok 13$'", dir), 0);
	tree_free(&t);
	tmpdir_remove(dir);
}

static void test_compress_stream(void **state)
{
	struct tree t = make_tree();
	struct layer_opts o = opts_plain();
	struct layer_result r1, r2;
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	char path[512];
	int in, out;
	struct strbuf blob = STRBUF_INIT;
	unsigned char h[SHA256_LEN];

	(void)state;
	snprintf(path, sizeof(path), "%s/in.tar", dir);
	in = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(layer_write_tree(t.fd, in, &o, &r1, &err), 0);
	lseek(in, 0, SEEK_SET);
	snprintf(path, sizeof(path), "%s/out.tar.gz", dir);
	out = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(layer_compress_stream(in, out, 6, 2, &r2, &err), 0);
	/* the input's hash is the diff_id the tree walk computed */
	assert_memory_equal(r1.diff_id, r2.diff_id, SHA256_LEN);
	assert_int_equal(r1.tar_size, r2.tar_size);
	lseek(out, 0, SEEK_SET);
	assert_int_equal(strbuf_read_fd(&blob, out, 1 << 20, &err), 0);
	assert_int_equal(blob.len, r2.size);
	sha256_buf(blob.buf, blob.len, h);
	assert_memory_equal(r2.digest, h, SHA256_LEN);

	/* the same as writing the tree gzip'ed directly */
	o.level = 6;
	assert_int_equal(ftruncate(out, 0), 0);
	lseek(out, 0, SEEK_SET);
	assert_int_equal(layer_write_tree(t.fd, out, &o, &r1, &err), 0);
	assert_memory_equal(r1.digest, r2.digest, SHA256_LEN);

	/* level 0 copies */
	lseek(in, 0, SEEK_SET);
	assert_int_equal(ftruncate(out, 0), 0);
	lseek(out, 0, SEEK_SET);
	assert_int_equal(layer_compress_stream(in, out, 0, 1, &r2, &err), 0);
	assert_memory_equal(r2.digest, r2.diff_id, SHA256_LEN);
	assert_true(layer_compress_stream(in, out, -1, 1, &r2, &err) < 0);
	kerr_clear(&err);
	close(in);
	close(out);
	strbuf_release(&blob);
	tmpdir_remove(dir);
	tree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_order_and_types),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_walk_xattrs),
		cmocka_unit_test(test_walk_fcaps),
		cmocka_unit_test(test_walk_fcaps_v3_on_disk),
		cmocka_unit_test(test_walk_device),
		cmocka_unit_test(test_gnu_tar_reads_it),
		cmocka_unit_test(test_python_reads_it),
		cmocka_unit_test(test_compress_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
