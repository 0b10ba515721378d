/* test-extract.c: the extractor: entries and their attributes, whiteouts in
 * merge and overlay mode, and the hostile corpus leaving its canary alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/extract-int.h"
#include "layer/extract.h"
#include "util/path.h"
#include "util/sha256.h"
#include "readtest.h"

/* tmp/root is where layers go; tmp/canary/secret must never change */
struct fx {
	char *tmp;
	char *cdir;	/* the generated corpus, removed even when a test fails */
	int tmpfd, rootfd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	umask(022);
	f->tmp = tmpdir_make();
	chmod(f->tmp, 0755);
	f->tmpfd = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(f->tmpfd, "root", 0755);
	mkdirat(f->tmpfd, "canary", 0755);
	put_file(f->tmpfd, "canary/secret", "do not touch\n");
	f->rootfd = openat(f->tmpfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->rootfd);
	close(f->tmpfd);
	tmpdir_remove(f->tmp);
	tmpdir_remove(f->cdir);
	free(f);
	path_force_walk = 0;
	return 0;
}

static int extract(struct fx *f, const struct strbuf *tar, const struct layer_extract_opts *o,
		   struct layer_extract_stats *st, struct kerr *err)
{
	struct layer_input *in;
	int r;

	if (layer_input_open_mem(&in, tar->buf, tar->len, o ? &o->verify : NULL, err) < 0)
		return -1;
	r = layer_extract(f->rootfd, in, o, st, err);
	layer_input_free(in);
	return r;
}

static void extract_ok(struct fx *f, const struct strbuf *tar, const struct layer_extract_opts *o,
		       struct layer_extract_stats *st)
{
	struct kerr err = KERR_INIT;

	if (extract(f, tar, o, st, &err) < 0)
		fail_msg("extract: %s", err.msg);
}

static struct stat lst(struct fx *f, const char *path)
{
	struct stat st;

	if (fstatat(f->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("stat '%s': %s", path, strerror(errno));
	return st;
}

static int exists(struct fx *f, const char *path)
{
	struct stat st;

	return fstatat(f->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static char *content(struct fx *f, const char *path)
{
	size_t len;

	return read_whole(f->rootfd, path, &len);
}

static void test_basic_tree(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT, pax = STRBUF_INIT;
	struct layer_extract_stats st;
	struct th file = { .path = "etc/conf", .data = "abc", .len = 3, .mode = 0640,
			   .mtime = 1000000000 };
	struct th dir = { .path = "etc", .type = TAR_DIR, .mode = 0750, .mtime = 1100000000 };
	struct stat s1, s2;
	char *c, link[64];

	(void)state;
	tb_add(&tar, &dir);
	tb_add(&tar, &file);
	tb_typed(&tar, TAR_SYMLINK, "etc/sym", "../etc/conf", 0777);
	tb_typed(&tar, TAR_LINK, "etc/hard", "etc/conf", 0);
	tb_typed(&tar, TAR_FIFO, "etc/fifo", NULL, 0600);
	tb_typed(&tar, TAR_DIR, "opt/sticky", NULL, 01777);
	tb_file(&tar, "implicit/parents/file", "x");
	tb_record(&pax, "mtime", "1200000000.123456789", 20);
	tb_meta(&tar, 'x', &pax);
	tb_file(&tar, "nsec", "");
	tb_end(&tar);
	extract_ok(f, &tar, NULL, &st);
	assert_int_equal(st.entries, 8);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.hardlinks, 1);
	assert_int_equal(st.symlinks, 1);
	assert_int_equal(st.specials, 1);
	c = content(f, "etc/conf");
	assert_string_equal(c, "abc");
	free(c);
	s1 = lst(f, "etc/conf");
	assert_int_equal(s1.st_mode & 07777, 0640);
	assert_int_equal(s1.st_mtime, 1000000000);
	s2 = lst(f, "etc/hard");
	assert_int_equal(s1.st_ino, s2.st_ino);
	assert_int_equal(readlinkat(f->rootfd, "etc/sym", link, sizeof(link)), 11);
	assert_true(S_ISFIFO(lst(f, "etc/fifo").st_mode));
	assert_int_equal(lst(f, "etc/fifo").st_mode & 0777, 0600);
	/* the directory's mtime survives the entries written into it */
	s1 = lst(f, "etc");
	assert_int_equal(s1.st_mode & 07777, 0750);
	assert_int_equal(s1.st_mtime, 1100000000);
	assert_int_equal(lst(f, "opt/sticky").st_mode & 07777, 01777);
	assert_int_equal(lst(f, "implicit/parents").st_mode & 0777, 0755);
	s1 = lst(f, "nsec");
	assert_int_equal(s1.st_mtim.tv_sec, 1200000000);
	assert_int_equal(s1.st_mtim.tv_nsec, 123456789);
	strbuf_release(&tar);
	strbuf_release(&pax);
}

static void test_setuid_policy(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct th mine = { .path = "mine", .mode = 06755, .uid = geteuid(), .gid = getegid() };
	struct th other = { .path = "other", .mode = 06755, .uid = geteuid() + 1,
			    .gid = getegid() + 1 };
	struct th dir = { .path = "sgid-dir", .type = TAR_DIR, .mode = 02775,
			  .gid = getegid() };

	tb_add(&tar, &mine);
	tb_add(&tar, &other);
	tb_add(&tar, &dir);
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	/* owned as the archive says: kept; owned by someone else: dropped */
	assert_int_equal(lst(f, "mine").st_mode & 07777, 06755);
	assert_int_equal(lst(f, "other").st_mode & 07777, 0755);
	assert_int_equal(lst(f, "sgid-dir").st_mode & 07777, 02775);
	strbuf_release(&tar);
}

static void test_devices(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct th null = { .path = "dev/null", .type = TAR_CHR, .mode = 0666, .major = 1,
			   .minor = 3 };
	struct th loop = { .path = "dev/loop0", .type = TAR_BLK, .mode = 0660, .major = 7 };
	struct layer_extract_stats st;

	tb_add(&tar, &null);
	tb_add(&tar, &loop);
	tb_end(&tar);
	extract_ok(f, &tar, NULL, &st);
	if (st.skipped) {
		/* no CAP_MKNOD: both skipped, the layer still applied */
		assert_int_equal(st.skipped, 2);
		assert_false(exists(f, "dev/null"));
		assert_true(S_ISDIR(lst(f, "dev").st_mode));
	} else {
		struct stat s = lst(f, "dev/null");

		assert_true(S_ISCHR(s.st_mode));
		assert_int_equal(major(s.st_rdev), 1);
		assert_int_equal(minor(s.st_rdev), 3);
		assert_true(S_ISBLK(lst(f, "dev/loop0").st_mode));
	}
	strbuf_release(&tar);
}

static void test_chown(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct th file = { .path = "owned", .uid = 1234, .gid = 5678, .mode = 04755 };
	struct th sym = { .path = "sym", .type = TAR_SYMLINK, .link = "owned", .uid = 42,
			  .gid = 43 };
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct layer_idmap map = { 0, 100000, 65536 };
	struct kerr err = KERR_INIT;
	struct stat s;

	if (geteuid() != 0) {
		print_message("# skip: chown to other ids needs CAP_CHOWN (not root)\n");
		skip();
	}
	tb_add(&tar, &file);
	tb_add(&tar, &sym);
	tb_end(&tar);
	o.chown = 1;
	extract_ok(f, &tar, &o, NULL);
	s = lst(f, "owned");
	assert_int_equal(s.st_uid, 1234);
	assert_int_equal(s.st_gid, 5678);
	/* chown goes before chmod, so setuid survives it */
	assert_int_equal(s.st_mode & 07777, 04755);
	assert_int_equal(lst(f, "sym").st_uid, 42);

	o.uid_map = o.gid_map = &map;
	o.n_uid_map = o.n_gid_map = 1;
	extract_ok(f, &tar, &o, NULL);
	assert_int_equal(lst(f, "owned").st_uid, 101234);
	assert_int_equal(lst(f, "sym").st_gid, 100043);
	map.size = 100;
	assert_int_equal(extract(f, &tar, &o, NULL, &err), -1);
	assert_string_equal(err.msg, "'owned': uid 1234 is outside the mapped ranges");
	kerr_clear(&err);
	strbuf_release(&tar);
}

static void test_xattrs(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT, pax = STRBUF_INIT;
	struct layer_extract_stats st;
	char v[16];
	int fd;

	tb_record(&pax, "SCHILY.xattr.user.kiln", "yes", 3);
	tb_record(&pax, "SCHILY.xattr.user.overlay.opaque", "y", 1);
	tb_record(&pax, "SCHILY.xattr.trusted.overlay.redirect", "/x", 2);
	tb_record(&pax, "SCHILY.xattr.trusted.kiln", "t", 1);
	tb_meta(&tar, 'x', &pax);
	tb_file(&tar, "file", "x");
	tb_meta(&tar, 'x', &pax);
	tb_typed(&tar, TAR_DIR, "dir", NULL, 0755);
	tb_end(&tar);
	extract_ok(f, &tar, NULL, &st);
	fd = openat(f->rootfd, "file", O_RDONLY | O_CLOEXEC);
	if (fgetxattr(fd, "user.kiln", v, sizeof(v)) < 0 && errno == ENOTSUP) {
		close(fd);
		print_message("# skip: /tmp has no user xattrs\n");
		skip();
	}
	assert_int_equal(fgetxattr(fd, "user.kiln", v, sizeof(v)), 3);
	assert_memory_equal(v, "yes", 3);
	assert_int_equal(fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)), -1);
	assert_int_equal(fgetxattr(fd, "trusted.overlay.redirect", v, sizeof(v)), -1);
	if (geteuid() == 0) {
		assert_int_equal(fgetxattr(fd, "trusted.kiln", v, sizeof(v)), 1);
		assert_int_equal(st.skipped, 0);
	} else {
		/* trusted.* needs CAP_SYS_ADMIN: skipped, counted, not fatal */
		assert_int_equal(st.skipped, 2);
	}
	close(fd);
	fd = openat(f->rootfd, "dir", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(fgetxattr(fd, "user.kiln", v, sizeof(v)), 3);
	assert_int_equal(fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)), -1);
	close(fd);
	strbuf_release(&tar);
	strbuf_release(&pax);
}

/* a lower layer: a/x a/y a/sub/z b, d/old, d/sub/oldsub */
static void lower(struct fx *f)
{
	struct strbuf tar = STRBUF_INIT;

	tb_file(&tar, "a/x", "x");
	tb_file(&tar, "a/y", "y");
	tb_file(&tar, "a/sub/z", "z");
	tb_file(&tar, "b", "b");
	tb_file(&tar, "d/old", "old");
	tb_file(&tar, "d/sub/oldsub", "oldsub");
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	strbuf_release(&tar);
}

static void test_merge_whiteouts(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct layer_extract_stats st;

	lower(f);
	tb_file(&tar, "a/.wh.x", "");
	tb_file(&tar, "a/.wh.sub", "");
	tb_file(&tar, ".wh.b", "");
	tb_file(&tar, ".wh.never-there", "");
	tb_file(&tar, "nodir/.wh.x", "");
	tb_file(&tar, "a/.wh..wh.plnk", "");
	tb_end(&tar);
	extract_ok(f, &tar, NULL, &st);
	assert_false(exists(f, "a/x"));
	assert_false(exists(f, "a/sub"));
	assert_false(exists(f, "b"));
	assert_true(exists(f, "a/y"));
	/* a whiteout in a missing directory makes nothing */
	assert_false(exists(f, "nodir"));
	assert_false(exists(f, "a/.wh..wh.plnk"));
	assert_int_equal(st.whiteouts, 5);
	strbuf_release(&tar);
}

static void test_merge_opaque_keeps_own(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;

	lower(f);
	/* the marker after this layer's own entries of d */
	tb_typed(&tar, TAR_DIR, "d", NULL, 0755);
	tb_file(&tar, "d/new", "new");
	tb_file(&tar, "d/sub/newf", "newf");
	tb_file(&tar, "d/.wh..wh..opq", "");
	/* and before them in a */
	tb_file(&tar, "a/.wh..wh..opq", "");
	tb_file(&tar, "a/fresh", "fresh");
	/* a whiteout of a path this layer made hides nothing of it */
	tb_file(&tar, "mine", "m");
	tb_file(&tar, ".wh.mine", "");
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	assert_false(exists(f, "d/old"));
	assert_false(exists(f, "d/sub/oldsub"));
	assert_true(exists(f, "d/new"));
	assert_true(exists(f, "d/sub/newf"));
	assert_false(exists(f, "a/x"));
	assert_false(exists(f, "a/sub"));
	assert_true(exists(f, "a/fresh"));
	assert_true(exists(f, "mine"));
	strbuf_release(&tar);
}

static void test_overlay_mode(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct stat s;
	char v[4];
	int fd;

	tb_typed(&tar, TAR_DIR, "d", NULL, 0755);
	tb_file(&tar, "d/.wh..wh..opq", "");
	tb_file(&tar, "d/kept", "k");
	tb_file(&tar, "e/.wh.gone", "");
	tb_end(&tar);
	o.mode = LAYER_OVERLAY;
	extract_ok(f, &tar, &o, NULL);
	s = lst(f, "e/gone");
	assert_true(S_ISCHR(s.st_mode));
	assert_int_equal(s.st_rdev, makedev(0, 0));
	assert_false(exists(f, "e/.wh.gone"));
	assert_false(exists(f, "d/.wh..wh..opq"));
	fd = openat(f->rootfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	close(fd);
	strbuf_release(&tar);
}

static void test_replace(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	char *c;

	lower(f);
	put_file(f->rootfd, "d/old", "old");
	symlinkat("a", f->rootfd, "s");
	tb_typed(&tar, TAR_DIR, "b", NULL, 0700);	/* file -> dir */
	tb_file(&tar, "d", "now a file");		/* dir -> file */
	tb_file(&tar, "s", "no longer a link");	/* symlink -> file */
	tb_typed(&tar, TAR_DIR, "a", NULL, 0711);	/* dir over dir merges */
	tb_typed(&tar, TAR_SYMLINK, "a/y", "x", 0777);	/* file -> symlink */
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	assert_true(S_ISDIR(lst(f, "b").st_mode));
	c = content(f, "d");
	assert_string_equal(c, "now a file");
	free(c);
	assert_true(S_ISREG(lst(f, "s").st_mode));
	assert_true(S_ISREG(lst(f, "a/x").st_mode));
	assert_int_equal(lst(f, "a").st_mode & 0777, 0711);
	assert_true(S_ISLNK(lst(f, "a/y").st_mode));
	/* the lower symlink target was not written through */
	assert_true(S_ISDIR(lst(f, "a").st_mode));
	strbuf_release(&tar);
}

static int stop_calls;

static bool stop_after_two(void)
{
	return ++stop_calls > 2;
}

/* a stop asked between entries ends the unpack there, as "interrupted" */
static void test_stop(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct kerr err = KERR_INIT;

	tb_file(&tar, "a", "a");
	tb_file(&tar, "b", "b");
	tb_file(&tar, "c", "c");
	tb_end(&tar);
	o.stop = stop_after_two;
	stop_calls = 0;
	assert_int_equal(extract(f, &tar, &o, NULL, &err), -1);
	assert_int_equal(err.errnum, EINTR);
	assert_string_equal(err.msg, "interrupted");
	assert_true(exists(f, "a") && exists(f, "b"));
	assert_false(exists(f, "c"));
	kerr_clear(&err);
	strbuf_release(&tar);
}

/* a directory named twice takes the later entry's mode, as tar does */
static void test_dir_twice(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;

	tb_typed(&tar, TAR_DIR, "t", NULL, 0700);
	tb_typed(&tar, TAR_DIR, "t/in", NULL, 0755);
	tb_file(&tar, "t/in/f", "f");
	tb_typed(&tar, TAR_DIR, "t", NULL, 0751);
	tb_typed(&tar, TAR_DIR, "t/in", NULL, 0555);
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	assert_int_equal(lst(f, "t").st_mode & 07777, 0751);
	assert_int_equal(lst(f, "t/in").st_mode & 07777, 0555);
	assert_true(S_ISREG(lst(f, "t/in/f").st_mode));
	strbuf_release(&tar);
}

static void test_hardlinks(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	lower(f);
	symlinkat("a/x", f->rootfd, "lnk");
	tb_typed(&tar, TAR_LINK, "to-lower", "a/x", 0);
	tb_typed(&tar, TAR_LINK, "to-symlink", "lnk", 0);
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	assert_int_equal(lst(f, "to-lower").st_ino, lst(f, "a/x").st_ino);
	/* a symlink is linked as itself */
	assert_true(S_ISLNK(lst(f, "to-symlink").st_mode));
	strbuf_reset(&tar);
	tb_typed(&tar, TAR_LINK, "missing", "no/such", 0);
	assert_int_equal(extract(f, &tar, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "'missing'"));
	kerr_clear(&err);
	strbuf_release(&tar);
}

static void test_readonly_lower(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	lower(f);
	fchmodat(f->rootfd, "a/sub", 0555, 0);
	fchmodat(f->rootfd, "a", 0555, 0);
	tb_file(&tar, "a/sub/new", "n");
	tb_file(&tar, "a/.wh.y", "");
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	assert_true(exists(f, "a/sub/new"));
	assert_false(exists(f, "a/y"));
	assert_int_equal(lst(f, "a").st_mode & 0777, 0555);
	assert_int_equal(lst(f, "a/sub").st_mode & 0777, 0555);
	/* modes come back when the layer fails too */
	strbuf_reset(&tar);
	tb_file(&tar, "a/sub/new2", "n");
	tb_file(&tar, "../escape", "n");
	assert_int_equal(extract(f, &tar, NULL, NULL, &err), -1);
	kerr_clear(&err);
	assert_int_equal(lst(f, "a/sub").st_mode & 0777, 0555);
	fchmodat(f->rootfd, "a/sub", 0755, 0);
	fchmodat(f->rootfd, "a", 0755, 0);
	strbuf_release(&tar);
}

/* Lower layers on disk may hold symlinks to the host's real paths: a layer
 * writing, whiting out or linking through them stays inside the root. */
static void lower_symlinks(struct fx *f)
{
	struct strbuf tar = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char *canary, *secret;
	size_t len;
	char *c;

	if (asprintf(&canary, "%s/canary", f->tmp) < 0 ||
	    asprintf(&secret, "%s/canary/secret", f->tmp) < 0)
		abort();
	assert_int_equal(symlinkat(canary, f->rootfd, "hostdir"), 0);
	assert_int_equal(symlinkat(secret, f->rootfd, "hostfile"), 0);
	assert_int_equal(symlinkat("../canary", f->rootfd, "updir"), 0);
	tb_file(&tar, "hostfile", "replaced");
	tb_file(&tar, "hostdir/.wh.secret", "");
	tb_file(&tar, "updir/.wh..wh..opq", "");
	tb_file(&tar, "hostdir/new", "inside");
	tb_typed(&tar, TAR_SYMLINK, "updir", "../canary/secret", 0777);
	tb_end(&tar);
	extract_ok(f, &tar, NULL, NULL);
	assert_true(S_ISREG(lst(f, "hostfile").st_mode));
	/* the absolute link resolved against the root */
	assert_int_equal(faccessat(f->rootfd, canary + 1, F_OK, AT_SYMLINK_NOFOLLOW), 0);
	c = read_whole(f->tmpfd, "canary/secret", &len);
	assert_string_equal(c, "do not touch\n");
	free(c);
	assert_int_equal(faccessat(f->tmpfd, "canary/new", F_OK, 0), -1);
	strbuf_reset(&tar);
	tb_typed(&tar, TAR_LINK, "stolen", "hostdir/secret", 0);
	assert_int_equal(extract(f, &tar, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "hardlink target directory 'hostdir'"));
	kerr_clear(&err);
	free(canary);
	free(secret);
	strbuf_release(&tar);
}

static void test_lower_symlinks_openat2(void **state)
{
	path_force_walk = 0;
	lower_symlinks(*state);
}

static void test_lower_symlinks_walk(void **state)
{
	path_force_walk = 1;
	lower_symlinks(*state);
	path_force_walk = 0;
}

static void digest_str(const void *p, size_t len, char out[DIGEST_STR_LEN])
{
	unsigned char h[SHA256_LEN];

	sha256_buf(p, len, h);
	digest_format(h, out);
}

static int blob_fd(struct fx *f, const char *name, const struct strbuf *data)
{
	int fd = openat(f->tmpfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data->buf, data->len), (ssize_t)data->len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_extract_new(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT, gz = STRBUF_INIT;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct kerr err = KERR_INIT;
	char dg[DIGEST_STR_LEN], want[300];
	unsigned char *z;
	size_t zlen;
	int fd, n = 0;
	DIR *d;
	struct dirent *de;

	tb_file(&tar, "file", "content");
	tb_end(&tar);
	z = gzip_mem(tar.buf, tar.len, &zlen);
	strbuf_add(&gz, z, zlen);
	free(z);
	digest_str(gz.buf, gz.len, dg);
	fd = blob_fd(f, "blob", &gz);
	o.verify.digest = dg;
	assert_int_equal(layer_extract_new(f->tmpfd, "unpacked", fd, &o, NULL, &err), 0);
	assert_int_equal(faccessat(f->tmpfd, "unpacked/file", F_OK, 0), 0);

	lseek(fd, 0, SEEK_SET);
	o.verify.digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
	assert_int_equal(layer_extract_new(f->tmpfd, "bad", fd, &o, NULL, &err), -1);
	snprintf(want, sizeof(want), "layer digest mismatch: expected '%s', got '%s'",
		 o.verify.digest, dg);
	assert_string_equal(err.msg, want);
	kerr_clear(&err);
	close(fd);
	/* nothing left of the failed one: no "bad", no temporary */
	d = opendir(f->tmp);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
		else
			assert_true(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."));
	closedir(d);
	assert_int_equal(n, 4);	/* root canary blob unpacked */
	strbuf_release(&tar);
	strbuf_release(&gz);
}

static void test_layer_fd_diff_id(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct kerr err = KERR_INIT;
	char di[DIGEST_STR_LEN];
	int fd;

	tb_file(&tar, "file", "content");
	tb_end(&tar);
	digest_str(tar.buf, tar.len, di);
	fd = blob_fd(f, "blob", &tar);
	o.verify.diff_id = di;
	assert_int_equal(layer_extract_fd(f->rootfd, fd, &o, NULL, &err), 0);
	lseek(fd, 0, SEEK_SET);
	o.verify.diff_id = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
	assert_int_equal(layer_extract_fd(f->rootfd, fd, &o, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "diffID mismatch"));
	assert_non_null(strstr(err.msg, di));
	kerr_clear(&err);
	close(fd);
	strbuf_release(&tar);
}

/* "path type size content" of every file under fd, in readdir order */
static void snapshot(int dirfd, const char *prefix, struct strbuf *out)
{
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW);
		strbuf_addf(out, "%s/%s %o %lld\n", prefix, de->d_name, (unsigned int)st.st_mode,
			    (long long)st.st_size);
		if (S_ISREG(st.st_mode)) {
			size_t len;
			char *c = read_whole(dirfd, de->d_name, &len);

			strbuf_add(out, c, len);
			free(c);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			char *p;

			if (asprintf(&p, "%s/%s", prefix, de->d_name) < 0)
				abort();
			snapshot(sub, p, out);
			free(p);
			close(sub);
		}
	}
	closedir(d);
}

static void check_holds(struct fx *f, const char *name, const char *what)
{
	struct kerr err = KERR_INIT;
	struct stat st;
	char v[8];
	int fd;

	if (!strcmp(what, "-"))
		return;
	if (!strncmp(what, "file:", 5)) {
		fd = path_open_in_root(f->rootfd, what + 5, O_PATH | O_NOFOLLOW, 0, &err);
		if (fd < 0)
			fail_msg("%s: %s", name, err.msg);
		fstat(fd, &st);
		close(fd);
		if (!S_ISREG(st.st_mode))
			fail_msg("%s: '%s' is not a regular file", name, what + 5);
	} else if (!strncmp(what, "noxattr:", 8)) {
		fd = openat(f->rootfd, what + 8, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)), -1);
		assert_int_equal(fgetxattr(fd, "user.overlay.redirect", v, sizeof(v)), -1);
		assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), -1);
		close(fd);
	} else if (!strncmp(what, "nosuid:", 7)) {
		assert_int_equal(lst(f, what + 7).st_mode & 06000, 0);
	} else {
		fail_msg("%s: unknown check '%s'", name, what);
	}
}

/* empties the root for the next archive */
static void fresh_root(struct fx *f)
{
	struct kerr err = KERR_INIT;

	close(f->rootfd);
	assert_int_equal(wh_remove_tree(f->tmpfd, "root", &err), 0);
	mkdirat(f->tmpfd, "root", 0755);
	f->rootfd = openat(f->tmpfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void run_corpus(struct fx *f)
{
	char *cdir = f->cdir = tmpdir_make(), *canary, *line = NULL;
	struct strbuf before = STRBUF_INIT, top = STRBUF_INIT;
	int cfd, refused = 0, ok = 0, canfd;
	size_t cap = 0;
	FILE *m;

	if (asprintf(&canary, "%s/canary", f->tmp) < 0)
		abort();
	assert_int_equal(corpus_generate(cdir, canary), 0);
	cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	canfd = openat(f->tmpfd, "canary", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snapshot(canfd, "", &before);
	m = fdopen(openat(cfd, "MANIFEST", O_RDONLY | O_CLOEXEC), "r");
	while (getline(&line, &cap, m) > 0) {
		char *name = strtok(line, "\t"), *outcome = strtok(NULL, "\t");
		char *what = strtok(NULL, "\n");
		struct strbuf tar = STRBUF_INIT, after = STRBUF_INIT;
		struct kerr err = KERR_INIT;
		size_t len;
		char *data = read_whole(cfd, name, &len);
		int r;

		strbuf_add(&tar, data, len);
		free(data);
		fresh_root(f);
		r = extract(f, &tar, NULL, NULL, &err);
		if (!strcmp(outcome, "refused")) {
			if (r == 0)
				fail_msg("%s: extracted, should be refused (%s)", name, what);
			if (!strstr(err.msg, what))
				fail_msg("%s: error '%s' lacks '%s'", name, err.msg, what);
			refused++;
		} else {
			if (r < 0)
				fail_msg("%s: %s", name, err.msg);
			check_holds(f, name, what);
			ok++;
		}
		snapshot(canfd, "", &after);
		if (strcmp(before.buf, after.buf))
			fail_msg("%s: the canary changed:\n%s", name, after.buf);
		/* and nothing new beside the root */
		strbuf_reset(&top);
		{
			DIR *d = opendir(f->tmp);
			struct dirent *de;
			int n = 0;

			while ((de = readdir(d)))
				n++;
			closedir(d);
			if (n != 4)
				fail_msg("%s: %d entries beside the root", name, n - 2);
		}
		kerr_clear(&err);
		strbuf_release(&tar);
		strbuf_release(&after);
	}
	print_message("# corpus: %d refused, %d neutralized\n", refused, ok);
	assert_true(refused + ok >= 20);
	free(line);
	fclose(m);
	close(cfd);
	close(canfd);
	free(canary);
	strbuf_release(&before);
	strbuf_release(&top);
	tmpdir_remove(cdir);
	f->cdir = NULL;
}

static void test_corpus_openat2(void **state)
{
	path_force_walk = 0;
	run_corpus(*state);
}

static void test_corpus_walk(void **state)
{
	path_force_walk = 1;
	run_corpus(*state);
	path_force_walk = 0;
}

static void test_gnu_tar_round_trip(void **state)
{
	struct fx *f = *state;
	char *cmd, *a, *b;
	int fd;
	FILE *p;
	struct strbuf la = STRBUF_INIT, lb = STRBUF_INIT;

	if (asprintf(&cmd, "cd %s && mkdir -p src/d/e && printf hello > src/d/file && "
		     "chmod 0604 src/d/file && ln -s d/file src/sym && ln src/d/file src/hard && "
		     "mkfifo src/fifo && chmod 0710 src/d/e && "
		     "touch -h -d @1500000000 src/sym && touch -d @1600000000.5 src/d/file && "
		     "%s -c 'import os; os.setxattr(\"src/d/file\", \"user.rt\", b\"1\")' && "
		     "touch -d @1400000000 src/d/e src/d && "
		     "tar --xattrs --format=pax -cf layer.tar -C src .", f->tmp, python()) < 0)
		abort();
	assert_int_equal(system(cmd), 0);
	free(cmd);
	fd = openat(f->tmpfd, "layer.tar", O_RDONLY | O_CLOEXEC);
	{
		struct kerr err = KERR_INIT;

		if (layer_extract_fd(f->rootfd, fd, NULL, NULL, &err) < 0)
			fail_msg("%s", err.msg);
	}
	close(fd);
	/* the same listing (type, mode, size, mtime, target, xattrs) both ways */
	for (int i = 0; i < 2; i++) {
		if (asprintf(&cmd, "cd %s/%s && find . -mindepth 1 -printf '%%p %%y %%m %%s %%T@ %%l\\n' | sort; "
			     "%s '%s/tests/layer-corpus/xattrs.py' . | sort", f->tmp,
			     i ? "root" : "src", python(), srctree()) < 0)
			abort();
		p = popen(cmd, "r");
		free(cmd);
		{
			char buf[4096];
			size_t n;

			while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
				strbuf_add(i ? &lb : &la, buf, n);
		}
		pclose(p);
	}
	a = la.buf;
	b = lb.buf;
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "./d/file f 604 5 1600000000.5"));
	assert_non_null(strstr(a, "./d/file user.rt=31"));
	strbuf_release(&la);
	strbuf_release(&lb);
}

/* overlayfs, mounted by an unprivileged user in a user namespace with
 * userxattr, must honour the whiteouts overlay mode produced */
static void test_overlay_mount(void **state)
{
	struct fx *f = *state;
	struct strbuf tar = STRBUF_INIT;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	char *opts;
	pid_t pid;
	int status, pfd[2];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	mkdirat(f->tmpfd, "base", 0755);
	mkdirat(f->tmpfd, "base/opq", 0755);
	put_file(f->tmpfd, "base/opq/hidden", "h");
	put_file(f->tmpfd, "base/gone", "g");
	put_file(f->tmpfd, "base/stays", "s");
	mkdirat(f->tmpfd, "mnt", 0755);
	tb_file(&tar, ".wh.gone", "");
	tb_typed(&tar, TAR_DIR, "opq", NULL, 0755);
	tb_file(&tar, "opq/.wh..wh..opq", "");
	tb_file(&tar, "opq/new", "n");
	tb_end(&tar);
	o.mode = LAYER_OVERLAY;
	extract_ok(f, &tar, &o, NULL);
	if (asprintf(&opts, "lowerdir=%s/root:%s/base,userxattr", f->tmp, f->tmp) < 0)
		abort();
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		char map[64], path[4096];
		int fd, code;

		close(pfd[1]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			_exit(77);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			_exit(77);
		close(fd);
		fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd < 0 || write(fd, "deny", 4) < 0)
			_exit(77);
		close(fd);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		fd = open("/proc/self/gid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			_exit(77);
		close(fd);
		snprintf(path, sizeof(path), "%s/mnt", f->tmp);
		if (mount("overlay", path, "overlay", MS_RDONLY, opts) < 0)
			_exit(78);
		code = 0;
		snprintf(path, sizeof(path), "%s/mnt/gone", f->tmp);
		if (access(path, F_OK) == 0)
			code |= 1;
		snprintf(path, sizeof(path), "%s/mnt/stays", f->tmp);
		if (access(path, F_OK) != 0)
			code |= 2;
		snprintf(path, sizeof(path), "%s/mnt/opq/hidden", f->tmp);
		if (access(path, F_OK) == 0)
			code |= 4;
		snprintf(path, sizeof(path), "%s/mnt/opq/new", f->tmp);
		if (access(path, F_OK) != 0)
			code |= 8;
		_exit(code);
	}
	close(pfd[0]);
	close(pfd[1]);
	waitpid(pid, &status, 0);
	free(opts);
	strbuf_release(&tar);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		print_message("# skip: no user namespaces for this user\n");
		skip();
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 78) {
		print_message("# skip: overlayfs refused a userxattr mount in a user namespace\n");
		skip();
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* n empty files in d0..d999, made up on the fly, so memory use is the
 * extractor's alone */
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
		size_t n;

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
		n = len - got < 512 - b->pos ? len - got : 512 - b->pos;
		memcpy((char *)buf + got, b->block + b->pos, n);
		b->pos += n;
		got += n;
	}
	return (ssize_t)got;
}

static void test_bomb(void **state)
{
	struct fx *f = *state;
	int full = getenv("KILN_TEST_BOMB_FULL") != NULL;
	struct bomb b = { .n = full ? LAYER_MAX_ENTRIES + 1 : 20001, .pos = 512 };
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct layer_input *in;
	struct kerr err = KERR_INIT;
	struct layer_extract_stats st;
	char want[64];

	if (!full)
		o.limits.max_entries = 20000;
	assert_int_equal(layer_input_open(&in, bomb_source, &b, NULL, &err), 0);
	assert_int_equal(layer_extract(f->rootfd, in, &o, &st, &err), -1);
	snprintf(want, sizeof(want), "archive has more than %llu entries",
		 (unsigned long long)o.limits.max_entries);
	assert_string_equal(err.msg, want);
	assert_int_equal(st.files, o.limits.max_entries);
	kerr_clear(&err);
	layer_input_free(in);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_basic_tree),
		T(test_setuid_policy),
		T(test_devices),
		T(test_chown),
		T(test_xattrs),
		T(test_merge_whiteouts),
		T(test_merge_opaque_keeps_own),
		T(test_overlay_mode),
		T(test_replace),
		T(test_dir_twice),
		T(test_stop),
		T(test_hardlinks),
		T(test_readonly_lower),
		T(test_lower_symlinks_openat2),
		T(test_lower_symlinks_walk),
		T(test_extract_new),
		T(test_layer_fd_diff_id),
		T(test_corpus_openat2),
		T(test_corpus_walk),
		T(test_gnu_tar_round_trip),
		T(test_overlay_mount),
		T(test_bomb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
