/* test-roundtrip.c: a tree with every kind of entry written as a layer,
 * extracted and written again must give the same blob, bit for bit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/extract.h"
#include "layer/fcaps.h"
#include "layer/input.h"
#include "layer/layer.h"
#include "util/sha256.h"
#include "util/testutil.h"
#include "layer/writetest.h"

#define EPOCH 1600000000	/* SOURCE_DATE_EPOCH of every layer here */
#define OLD 1500000000		/* mtimes before it, kept as they are */
#define BIG (1536 * 1024 + 77)	/* more than 1 MiB, not a multiple of 512 */
#define MAX_ENTRIES 256

/* a scratch directory and an fd on it */
struct dir {
	char *path;
	int fd;
};

/* a layer written from a tree: the blob and what the writer said of it */
struct blob {
	struct strbuf data;
	struct layer_result res;
};

/* the blobs of a test, released by teardown even on failure */
static struct blob *blobs[8];

/* every scratch directory of a test, removed by teardown even on failure */
static char *scratch[8];

static struct dir dir_new(void)
{
	struct dir d;
	size_t i;

	d.path = tmpdir_make();
	d.fd = open(d.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d.fd >= 0);
	for (i = 0; i < 8 && scratch[i]; i++)
		;
	assert_true(i < 8);
	scratch[i] = d.path;
	return d;
}

/* directories made read-only by the tree must be writable to be emptied */
static int make_writable(const char *path, const struct stat *st, int type,
			 struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static void dir_free(struct dir *d)
{
	close(d->fd);
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 8; i++) {
		if (!scratch[i])
			continue;
		nftw(scratch[i], make_writable, 16, FTW_PHYS);
		tmpdir_remove(scratch[i]);
		scratch[i] = NULL;
	}
	for (size_t i = 0; i < 8; i++) {
		if (blobs[i])
			strbuf_release(&blobs[i]->data);
		free(blobs[i]);
		blobs[i] = NULL;
	}
	return 0;
}

/* what the fixture could make and what it had to leave out */
struct made {
	int devices, fcaps, xattrs, chowned;
};

static void write_bytes(int dirfd, const char *name, const void *buf, size_t len,
			mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		fail_msg("create '%s': %s", name, strerror(errno));
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void set_time(int dirfd, const char *name, time_t when)
{
	struct timespec ts[2] = { { when, 0 }, { when, 0 } };

	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("utimensat '%s': %s", name, strerror(errno));
}

static void md(int dirfd, const char *name, mode_t mode)
{
	if (mkdirat(dirfd, name, 0700) < 0)
		fail_msg("mkdir '%s': %s", name, strerror(errno));
	assert_int_equal(fchmodat(dirfd, name, mode, 0), 0);
}

static int set_xattr(int dirfd, const char *name, const char *key, const void *v,
		     size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	assert_true(fd >= 0);
	r = fsetxattr(fd, key, v, len, 0);
	close(fd);
	return r;
}

/* every kind of entry kiln writes and extracts */
static struct made make_tree(int fd)
{
	static const unsigned char bin[] = { 0, 1, 2, '=', '\n', 0xff, 0x80, 0, ' ', 'z' };
	char *l110 = repeat('l', 110), *d200 = repeat('D', 200), *f200 = repeat('f', 200);
	char *t150 = repeat('t', 150), *path;
	unsigned char *big = xmalloc(BIG), v2[FCAPS_V2_LEN];
	uint32_t x = 2463534242u;
	struct made m = { 0, 0, 0, 0 };
	int sub;

	/* plain files: empty, small, big and poorly compressible */
	write_bytes(fd, "empty", "", 0, 0644);
	write_bytes(fd, "small", "hello\n", 6, 0640);
	for (size_t i = 0; i < BIG; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		big[i] = (i / 4096) % 2 ? (unsigned char)x : (unsigned char)(i & 0x3f);
	}
	write_bytes(fd, "big.bin", big, BIG, 0644);
	free(big);

	/* modes */
	write_bytes(fd, "setuid", "#!/bin/true\n", 12, 04755);
	write_bytes(fd, "setgid", "#!/bin/true\n", 12, 02711);
	write_bytes(fd, "all-bits", "x", 1, 07755);
	md(fd, "sticky", 01777);
	md(fd, "sgid-dir", 02775);
	write_bytes(fd, "sgid-dir/in", "in\n", 3, 0600);
	md(fd, "ro-dir", 0755);
	write_bytes(fd, "ro-dir/file", "ro\n", 3, 0444);
	md(fd, "empty-dir", 0700);

	/* symlinks: relative, dangling, absolute, long target */
	assert_int_equal(symlinkat("small", fd, "rel-link"), 0);
	assert_int_equal(symlinkat("no/such/thing", fd, "dangling"), 0);
	assert_int_equal(symlinkat("/etc/passwd", fd, "abs-link"), 0);
	assert_int_equal(symlinkat(t150, fd, "long-target"), 0);

	/* a name over 100 bytes, a path over 255, a file three times linked */
	write_bytes(fd, l110, "long name\n", 10, 0644);
	md(fd, d200, 0755);
	sub = openat(fd, d200, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	write_bytes(sub, f200, "long path\n", 10, 0644);
	assert_int_equal(symlinkat(d200, sub, "up-link"), 0);
	md(fd, "hard", 0755);
	write_bytes(fd, "hard/a", "linked\n", 7, 0644);
	assert_int_equal(linkat(fd, "hard/a", fd, "hard/b", 0), 0);
	assert_int_equal(linkat(fd, "hard/a", sub, "z-link", 0), 0);

	/* names beyond ASCII, one of them not even UTF-8 */
	write_bytes(fd, "latin1-\xe9t\xe9", "l\n", 2, 0644);
	write_bytes(fd, "\xc3\xbcnic\xc3\xb8" "d\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac", "u\n", 2, 0644);
	md(fd, "\xd0\xba\xd0\xb0\xd1\x82\xd0\xb0\xd0\xbb\xd0\xbe\xd0\xb3", 0755);
	assert_int_equal(symlinkat("\xc3\xbcnic\xc3\xb8" "d\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac", fd,
				   "\xd0\xba\xd0\xb0\xd1\x82\xd0\xb0\xd0\xbb\xd0\xbe\xd0\xb3/\xe2\x86\x92"), 0);

	/* a fifo, and devices when we may make them */
	assert_int_equal(mkfifoat(fd, "fifo", 0640), 0);
	md(fd, "dev", 0755);
	if (mknodat(fd, "dev/null", S_IFCHR | 0666, makedev(1, 3)) == 0 &&
	    mknodat(fd, "dev/loop7", S_IFBLK | 0660, makedev(7, 7)) == 0)
		m.devices = 1;

	/* other owners, when we may give them away */
	if (geteuid() == 0) {
		assert_int_equal(fchownat(fd, "small", 1234, 5678, 0), 0);
		assert_int_equal(fchownat(fd, "dangling", 42, 43, AT_SYMLINK_NOFOLLOW), 0);
		assert_int_equal(fchownat(fd, "sticky", 65534, 65534, 0), 0);
		assert_int_equal(fchownat(fd, "hard/a", 1000, 100, 0), 0);
		/* chown drops setuid: set it again, as a package would have it */
		assert_int_equal(fchownat(fd, "setuid", 2000, 0, 0), 0);
		assert_int_equal(fchmodat(fd, "setuid", 04755, 0), 0);
		m.chowned = 1;
	}

	/* xattrs with values no text survives, and a file capability */
	if (set_xattr(fd, "small", "user.bin", bin, sizeof(bin)) == 0) {
		assert_int_equal(set_xattr(fd, "small", "user.empty", "", 0), 0);
		assert_int_equal(set_xattr(fd, "sgid-dir", "user.dir", "\xff\x00\xfe", 3), 0);
		assert_int_equal(set_xattr(fd, "hard/a", "user.linked", "L", 1), 0);
		m.xattrs = 1;
	}
	put32(v2, FCAPS_REV2 | FCAPS_EFFECTIVE);
	put32(v2 + 4, 1u << 13);	/* cap_net_raw */
	memset(v2 + 8, 0, 12);
	if (set_xattr(fd, "setgid", FCAPS_XATTR, v2, sizeof(v2)) == 0)
		m.fcaps = 1;

	/* mtimes: some before the epoch (kept), the rest now (clamped) */
	set_time(fd, "small", OLD + 1);
	set_time(fd, "big.bin", OLD + 2);
	set_time(fd, "dangling", OLD + 3);
	set_time(fd, "hard/a", OLD + 4);
	set_time(fd, "fifo", OLD + 5);
	set_time(sub, f200, OLD + 6);
	set_time(fd, "hard", OLD + 7);	/* a directory: after its contents */
	set_time(fd, d200, OLD + 8);
	assert_int_equal(fchmodat(fd, "ro-dir", 0555, 0), 0);
	set_time(fd, "ro-dir", OLD + 9);
	close(sub);
	if (asprintf(&path, "%s/%s", d200, f200) < 0)
		abort();
	assert_true(strlen(path) > 255);
	free(path);
	free(l110);
	free(d200);
	free(f200);
	free(t150);
	return m;
}

static void report(const struct made *m)
{
	if (!m->devices)
		print_message("# skip part: no char/block devices (mknod needs CAP_MKNOD)\n");
	if (!m->fcaps)
		print_message("# skip part: no security.capability (setting it needs CAP_SETFCAP)\n");
	if (!m->xattrs)
		print_message("# skip part: no user.* xattrs (the file system under /tmp has none)\n");
	if (!m->chowned)
		print_message("# skip part: every entry owned by us (other owners need CAP_CHOWN)\n");
}

static struct layer_opts opts(int level, int threads)
{
	struct layer_opts o = LAYER_OPTS_INIT;
	struct kerr err = KERR_INIT;

	setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
	assert_int_equal(layer_opts_from_env(&o, &err), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(o.mtime_policy, LAYER_MTIME_CLAMP);
	assert_int_equal(o.timestamp, EPOCH);
	o.level = level;
	o.threads = threads;
	return o;
}

static struct blob *write_blob(int rootfd, int level, int threads)
{
	struct blob *b = xcalloc(1, sizeof(*b));
	struct layer_opts o = opts(level, threads);
	struct kerr err = KERR_INIT;
	unsigned char h[SHA256_LEN];
	FILE *f = tmpfile();

	assert_non_null(f);
	if (layer_write_tree(rootfd, fileno(f), &o, &b->res, &err) < 0)
		fail_msg("write tree: %s", err.msg);
	lseek(fileno(f), 0, SEEK_SET);
	strbuf_init(&b->data, 0);
	for (size_t i = 0; i < 8; i++)
		if (!blobs[i]) {
			blobs[i] = b;
			break;
		}
	assert_int_equal(strbuf_read_fd(&b->data, fileno(f), 256 << 20, &err), 0);
	fclose(f);
	assert_int_equal(b->data.len, b->res.size);
	sha256_buf(b->data.buf, b->data.len, h);
	assert_memory_equal(h, b->res.digest, SHA256_LEN);
	if (!level)
		assert_memory_equal(b->res.digest, b->res.diff_id, SHA256_LEN);
	return b;
}

/* the blob into a new directory, its digests checked on the way */
static struct dir extract_blob(const struct blob *b, int check_devices)
{
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct layer_extract_stats st;
	struct kerr err = KERR_INIT;
	char digest[DIGEST_STR_LEN], diff_id[DIGEST_STR_LEN];
	struct dir d = dir_new();
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(write(fileno(f), b->data.buf, b->data.len), (ssize_t)b->data.len);
	lseek(fileno(f), 0, SEEK_SET);
	digest_format(b->res.digest, digest);
	digest_format(b->res.diff_id, diff_id);
	o.mode = LAYER_MERGE;
	o.chown = geteuid() == 0;
	o.verify.digest = digest;
	o.verify.diff_id = diff_id;
	if (layer_extract_fd(d.fd, fileno(f), &o, &st, &err) < 0)
		fail_msg("extract: %s", err.msg);
	fclose(f);
	/* whatever the writer could read, the extractor could make again */
	if (check_devices)
		assert_int_equal(st.skipped, 0);
	assert_true(st.entries >= 28);
	return d;
}

/* the tar stream of a blob */
static void untar(const struct blob *b, struct strbuf *out)
{
	struct layer_input *in;
	struct kerr err = KERR_INIT;
	char buf[65536];
	ssize_t n;

	assert_int_equal(layer_input_open_mem(&in, b->data.buf, b->data.len, NULL, &err), 0);
	while ((n = layer_input_read(in, buf, sizeof(buf), &err)) > 0)
		strbuf_add(out, buf, (size_t)n);
	assert_int_equal(n, 0);
	assert_int_equal(layer_input_finish(in, &err), 0);
	layer_input_free(in);
}

static void print_pax(const char *what, const struct listed *e)
{
	print_message("#   %s PAX: ", what);
	for (size_t i = 0; i < e->paxlen; i++) {
		unsigned char c = (unsigned char)e->pax[i];

		print_message(c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
	}
	print_message("\n");
}

/* on a mismatch: which entry differs first, and how */
static void explain(const struct blob *a, const struct blob *b)
{
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
	struct listed *la = xcalloc(MAX_ENTRIES, sizeof(*la));
	struct listed *lb = xcalloc(MAX_ENTRIES, sizeof(*lb));
	size_t na, nb, i;

	untar(a, &ta);
	untar(b, &tb);
	na = tar_list((unsigned char *)ta.buf, ta.len, la, MAX_ENTRIES);
	nb = tar_list((unsigned char *)tb.buf, tb.len, lb, MAX_ENTRIES);
	print_message("# tar streams: %zu and %zu bytes, %zu and %zu entries\n",
		      ta.len, tb.len, na, nb);
	for (i = 0; i < na && i < nb; i++) {
		const struct listed *x = &la[i], *y = &lb[i];
		const unsigned char *hx = x->data - 512, *hy = y->data - 512;

		if (x->paxlen == y->paxlen && (!x->paxlen || !memcmp(x->pax, y->pax, x->paxlen)) &&
		    !memcmp(hx, hy, 512) && x->size == y->size &&
		    (x->type != '0' || !memcmp(x->data, y->data, x->size)))
			continue;
		print_message("# first differing entry #%zu: '%s' vs '%s'\n", i, x->name, y->name);
		for (size_t k = 0; k < 512; k++)
			if (hx[k] != hy[k]) {
				print_message("#   header byte %zu differs: %02x vs %02x "
					      "(mode %o/%o uid %llu/%llu gid %llu/%llu "
					      "mtime %llu/%llu type %c/%c)\n", k, hx[k], hy[k],
					      x->mode, y->mode,
					      (unsigned long long)octal_field(hx + 108, 8),
					      (unsigned long long)octal_field(hy + 108, 8),
					      (unsigned long long)octal_field(hx + 116, 8),
					      (unsigned long long)octal_field(hy + 116, 8),
					      (unsigned long long)octal_field(hx + 136, 12),
					      (unsigned long long)octal_field(hy + 136, 12),
					      x->type, y->type);
				break;
			}
		print_pax("first ", x);
		print_pax("second", y);
		break;
	}
	if (i == na || i == nb)
		print_message("# the first %zu entries agree; one stream has more\n", i);
	listed_clear(la, na);
	listed_clear(lb, nb);
	free(la);
	free(lb);
	strbuf_release(&ta);
	strbuf_release(&tb);
}

static void assert_same(const struct blob *a, const struct blob *b, const char *what)
{
	if (!memcmp(a->res.digest, b->res.digest, SHA256_LEN) &&
	    !memcmp(a->res.diff_id, b->res.diff_id, SHA256_LEN) &&
	    a->data.len == b->data.len && !memcmp(a->data.buf, b->data.buf, a->data.len))
		return;
	print_message("# %s: the layers differ\n", what);
	explain(a, b);
	fail_msg("%s: not the same layer", what);
}

/* level 6: written, extracted in merge mode, written again */
static void test_roundtrip_gzip(void **state)
{
	struct dir src = dir_new(), out;
	struct made m;
	struct blob *a, *b;
	struct listed *l = xcalloc(MAX_ENTRIES, sizeof(*l));
	struct strbuf tar = STRBUF_INIT;
	struct stat st;
	size_t n;

	(void)state;
	umask(022);
	m = make_tree(src.fd);
	report(&m);
	a = write_blob(src.fd, 6, 0);
	assert_true(a->res.size < a->res.tar_size);
	out = extract_blob(a, m.devices);
	b = write_blob(out.fd, 6, 0);
	assert_same(a, b, "level 6 after a round trip");

	/* the extracted tree is what was put in, not only the same bytes */
	assert_int_equal(fstatat(out.fd, "hard/b", &st, 0), 0);
	assert_int_equal(st.st_nlink, 3);
	assert_int_equal(fstatat(out.fd, "setuid", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(fstatat(out.fd, "small", &st, 0), 0);
	assert_int_equal(st.st_mtime, OLD + 1);
	assert_int_equal(fstatat(out.fd, "dangling", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mtime, OLD + 3);
	assert_int_equal(fstatat(out.fd, "ro-dir", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	assert_int_equal(st.st_mtime, OLD + 9);
	assert_int_equal(fstatat(out.fd, "empty-dir", &st, 0), 0);
	assert_int_equal(st.st_mtime, EPOCH);

	/* and the layer holds every kind of entry asked for */
	untar(a, &tar);
	n = tar_list((unsigned char *)tar.buf, tar.len, l, MAX_ENTRIES);
	{
		int seen[128] = { 0 };

		for (size_t i = 0; i < n; i++)
			seen[(unsigned char)l[i].type & 127]++;
		assert_true(seen['0'] >= 10);
		assert_int_equal(seen['1'], 2);
		assert_true(seen['2'] >= 6);
		assert_int_equal(seen['3'], m.devices);
		assert_int_equal(seen['4'], m.devices);
		assert_true(seen['5'] >= 8);
		assert_int_equal(seen['6'], 1);
	}
	listed_clear(l, n);
	free(l);
	strbuf_release(&tar);
	dir_free(&out);
	dir_free(&src);
}

/* threads 1 and 2 give one blob; level 0 round-trips to the same tar */
static void test_roundtrip_threads_and_plain(void **state)
{
	struct dir src = dir_new(), out1, out2;
	struct made m;
	struct blob *one, *two, *plain, *plain2, *again;

	(void)state;
	umask(022);
	m = make_tree(src.fd);
	report(&m);
	one = write_blob(src.fd, 6, 1);
	two = write_blob(src.fd, 6, 2);
	assert_same(one, two, "level 6 on 1 and on 2 threads");

	/* extracted from the 2-thread blob, written uncompressed */
	out1 = extract_blob(two, m.devices);
	plain = write_blob(out1.fd, 0, 1);
	assert_memory_equal(plain->res.diff_id, one->res.diff_id, SHA256_LEN);
	assert_int_equal(plain->res.tar_size, one->res.tar_size);
	plain2 = write_blob(src.fd, 0, 2);
	assert_same(plain2, plain, "level 0 after a round trip");

	/* the plain blob extracted and gzip'ed on 2 threads: the first blob */
	out2 = extract_blob(plain, m.devices);
	again = write_blob(out2.fd, 6, 2);
	assert_same(one, again, "level 6 after a level 0 round trip");

	dir_free(&out1);
	dir_free(&out2);
	dir_free(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_roundtrip_gzip, teardown),
		cmocka_unit_test_teardown(test_roundtrip_threads_and_plain, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
