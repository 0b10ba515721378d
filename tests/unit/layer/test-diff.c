/* test-diff.c: a step's changes as layer entries: from handmade overlayfs
 * upper dirs, from a tree against its record, and both against each other
 * for the same change made on a real overlay mount and on a plain tree. */
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/diff.h"
#include "layer/layer.h"
#include "util/sha256.h"
#include "util/testutil.h"
#include "layer/difftest.h"

/* root/name in one of a few static buffers */
static const char *at(const char *root, const char *name)
{
	static char buf[4][4096];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", root, name);
	return p;
}

static void put(const char *root, const char *name, const char *content)
{
	FILE *f = fopen(at(root, name), "w");

	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void mkd(const char *root, const char *name, mode_t mode)
{
	assert_int_equal(mkdir(at(root, name), mode), 0);
	assert_int_equal(chmod(at(root, name), mode), 0);
}

/* which diff to run: the upper dir, or the tree against rec */
struct diff_src {
	int fd;
	const struct layer_tree_record *rec;
	const struct layer_owner *owners;
	size_t nowners;
	const int *lowers;	/* the upper's, base first */
	size_t nlowers;
};

/* the diff as a listing; *empty what the diff said */
static int diff_listing(const struct diff_src *s, struct listing *out, bool *empty,
			struct kerr *err)
{
	struct layer_opts o = opts_fixed();
	struct layer_diff_opts d = { s->owners, s->nowners, false, s->lowers, s->nlowers,
				     NULL, NULL };
	struct layer_writer *lw;
	struct layer_result res;
	struct strbuf tar;
	FILE *f = tmpfile();
	int r;

	assert_non_null(f);
	assert_int_equal(layer_writer_new(&lw, fileno(f), &o, err), 0);
	r = s->rec ? layer_diff_tree(s->fd, s->rec, lw, &d, empty, err)
		   : layer_diff_upper(s->fd, lw, &d, empty, err);
	if (r == 0)
		r = layer_writer_finish(lw, &res, err);
	layer_writer_free(lw);
	if (r < 0) {
		fclose(f);
		return -1;
	}
	read_back(f, &tar);
	listing_of(&tar, out);
	strbuf_release(&tar);
	memcpy(out->diff_id, res.diff_id, SHA256_LEN);
	fclose(f);
	return 0;
}

static void check_listing(const struct diff_src *s, const char *want, bool want_empty)
{
	struct kerr err = KERR_INIT;
	struct listing l;
	bool empty = !want_empty;

	if (diff_listing(s, &l, &empty, &err) < 0)
		fail_msg("diff: %s", err.msg);
	assert_string_equal(l.text.buf, want);
	assert_int_equal(empty, want_empty);
	strbuf_release(&l.text);
}

static bool have_user_xattrs(const char *dir)
{
	if (setxattr(dir, "user.kiln-test", "1", 1, 0) < 0)
		return false;
	removexattr(dir, "user.kiln-test");
	return true;
}

/* a 0/0 char device: unprivileged users may make them since 5.8 */
static void wh(const char *root, const char *name)
{
	if (mknod(at(root, name), S_IFCHR | 0, makedev(0, 0)) < 0)
		skip();
}

static void set_x(const char *root, const char *name, const char *x, const char *v)
{
	assert_int_equal(lsetxattr(at(root, name), x, v, strlen(v), 0), 0);
}

/* ---- the upper dir ---- */

static void test_upper_handmade(void **state)
{
	char *u = tmpdir_make();
	struct diff_src s = { -1, NULL, NULL, 0, NULL, 0 };

	(void)state;
	if (!have_user_xattrs(u)) {
		tmpdir_remove(u);
		skip();
	}
	umask(022);
	wh(u, "a");
	mkd(u, "bin", 0755);
	put(u, "bin/ab", "AB");
	assert_int_equal(shell("ln %s/bin/ab %s/bin/zz", u, u), 0);
	mkd(u, "b-x", 0700);
	mkd(u, "etc", 0755);
	set_x(u, "etc", "user.overlay.impure", "y");
	set_x(u, "etc", "user.overlay.origin", "");
	set_x(u, "etc", "user.keep", "v");
	put(u, "etc/new", "N");
	wh(u, "etc/gone");
	mkd(u, "opq", 0750);
	set_x(u, "opq", "user.overlay.opaque", "y");
	put(u, "opq/f", "F");
	/* overlayfs links its whiteouts to one inode: still whiteouts */
	assert_int_equal(shell("ln %s/etc/gone %s/opq/gone2", u, u), 0);
	/* the root's own marks are not an entry */
	set_x(u, ".", "user.overlay.opaque", "y");

	s.fd = open(u, O_RDONLY | O_DIRECTORY);
	check_listing(&s,
		      ".wh.a 0 0 0:0\n"
		      "b-x/ 5 700 0:0\n"
		      "bin/ 5 755 0:0\n"
		      "bin/ab 0 644 0:0 =AB\n"
		      "bin/zz 1 644 0:0 ->bin/ab\n"
		      "etc/ 5 755 0:0\n"
		      "etc/.wh.gone 0 0 0:0\n"
		      "etc/new 0 644 0:0 =N\n"
		      "opq/ 5 750 0:0\n"
		      "opq/.wh..wh..opq 0 0 0:0\n"
		      "opq/f 0 644 0:0 =F\n"
		      "opq/.wh.gone2 0 0 0:0\n", false);
	close(s.fd);
	tmpdir_remove(u);
}

static void test_upper_owners_and_xattrs(void **state)
{
	static const struct layer_owner own[] = { { "etc", 7, 8 }, { "etc/new", 4242, 4343 } };
	char *u = tmpdir_make();
	struct diff_src s = { -1, NULL, own, 2, NULL, 0 };
	struct layer_opts o = opts_fixed();
	struct layer_diff_opts d = { own, 2, false, NULL, 0, NULL, NULL };
	struct layer_writer *lw;
	struct layer_result res;
	struct kerr err = KERR_INIT;
	struct strbuf tar;
	bool empty;
	FILE *f;

	(void)state;
	if (!have_user_xattrs(u)) {
		tmpdir_remove(u);
		skip();
	}
	umask(022);
	mkd(u, "etc", 0755);
	put(u, "etc/new", "N");
	set_x(u, "etc", "user.overlay.impure", "y");
	set_x(u, "etc", "user.keep", "v");
	s.fd = open(u, O_RDONLY | O_DIRECTORY);
	check_listing(&s, "etc/ 5 755 7:8\netc/new 0 644 4242:4343 =N\n", false);

	/* user.keep goes into the layer, user.overlay.* never */
	f = tmpfile();
	assert_int_equal(layer_writer_new(&lw, fileno(f), &o, &err), 0);
	assert_int_equal(layer_diff_upper(s.fd, lw, &d, &empty, &err), 0);
	assert_int_equal(layer_writer_finish(lw, &res, &err), 0);
	layer_writer_free(lw);
	read_back(f, &tar);
	assert_non_null(memmem(tar.buf, tar.len, "SCHILY.xattr.user.keep=v", 24));
	assert_null(memmem(tar.buf, tar.len, "overlay", 7));
	strbuf_release(&tar);
	fclose(f);
	close(s.fd);
	tmpdir_remove(u);
}

static void test_upper_refuses_redirect_metacopy(void **state)
{
	char *u = tmpdir_make();
	struct diff_src s = { -1, NULL, NULL, 0, NULL, 0 };
	struct kerr err = KERR_INIT;
	struct listing l;
	bool empty;

	(void)state;
	if (!have_user_xattrs(u)) {
		tmpdir_remove(u);
		skip();
	}
	mkd(u, "d", 0755);
	set_x(u, "d", "user.overlay.redirect", "/elsewhere");
	s.fd = open(u, O_RDONLY | O_DIRECTORY);
	assert_int_equal(diff_listing(&s, &l, &empty, &err), -1);
	assert_non_null(strstr(err.msg, "'d'"));
	assert_non_null(strstr(err.msg, "redirect"));
	kerr_clear(&err);

	assert_int_equal(removexattr(at(u, "d"), "user.overlay.redirect"), 0);
	put(u, "d/f", "meta");
	set_x(u, "d/f", "user.overlay.metacopy", "");
	assert_int_equal(diff_listing(&s, &l, &empty, &err), -1);
	assert_non_null(strstr(err.msg, "'d/f'"));
	assert_non_null(strstr(err.msg, "metacopy"));
	kerr_clear(&err);
	close(s.fd);
	tmpdir_remove(u);
}

static void test_upper_empty(void **state)
{
	char *u = tmpdir_make();
	struct diff_src s = { -1, NULL, NULL, 0, NULL, 0 };

	(void)state;
	s.fd = open(u, O_RDONLY | O_DIRECTORY);
	check_listing(&s, "", true);
	close(s.fd);
	tmpdir_remove(u);
}

/* dir's atime and mtime, to put back after a change inside */
static struct timespec *times_of(const char *r, const char *dir, struct timespec ts[2])
{
	struct stat st;

	assert_int_equal(lstat(at(r, dir), &st), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	return ts;
}

static void set_times(const char *r, const char *dir, const struct timespec ts[2])
{
	assert_int_equal(utimensat(AT_FDCWD, at(r, dir), ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* every directory under root gets one mtime, as layers unpacked with
 * the same times have */
static void same_mtimes(const char *root)
{
	assert_int_equal(shell("find %s -type d -exec touch -h -d @1500000000.123456789 {} +",
			       root), 0);
}

/*
 * The lowers are looked up as overlayfs merges them: a directory the
 * upper holds for nothing is left out only when the directory it copies
 * is what the merged root showed there.
 */
static void test_upper_lowers(void **state)
{
	static const struct layer_owner own[] = { { "own", 7, 8 } };
	char *t = tmpdir_make();
	char *l0 = xasprintf("%s/l0", t), *l1 = xasprintf("%s/l1", t), *u = xasprintf("%s/u", t);
	struct diff_src s = { -1, NULL, own, 1, NULL, 0 };
	const struct timespec other[2] = { { 1400000000, 0 }, { 1400000000, 0 } };
	int lowers[2];

	(void)state;
	if (!have_user_xattrs(t)) {
		tmpdir_remove(t);
		skip();
	}
	umask(022);
	mkd(t, "l0", 0755);
	mkd(t, "l1", 0755);
	mkd(t, "u", 0755);
	/* the base */
	mkd(l0, "a", 0755);
	mkd(l0, "a/b", 0755);
	mkd(l0, "f", 0755);
	mkd(l0, "hid", 0755);
	mkd(l0, "o", 0755);
	mkd(l0, "o/sub", 0755);
	/* the top-most lower: a whiteout, an opaque dir and a file over
	 * directories of the base */
	mkd(l1, "a", 0755);
	put(l1, "f", "F");
	wh(l1, "hid");
	mkd(l1, "m", 0755);
	mkd(l1, "m/q", 0755);
	mkd(l1, "o", 0755);
	set_x(l1, "o", "user.overlay.opaque", "y");
	mkd(l1, "opq", 0755);
	mkd(l1, "own", 0755);
	/* the upper: all directories, none holding anything else */
	mkd(u, "a", 0755);
	mkd(u, "a/b", 0755);	/* the base's, through a: left out */
	mkd(u, "f", 0755);	/* the file hid the base's f: new */
	mkd(u, "hid", 0755);	/* whited out: new */
	mkd(u, "m", 0755);	/* another mtime: kept */
	mkd(u, "m/q", 0755);	/* the lower's: left out below a kept one */
	mkd(u, "new", 0755);
	mkd(u, "o", 0755);
	mkd(u, "o/sub", 0755);	/* the opaque o hid the base's: new */
	mkd(u, "opq", 0755);
	mkd(u, "own", 0755);	/* owned otherwise by o->owners */
	same_mtimes(t);
	set_x(u, "opq", "user.overlay.opaque", "y");
	set_times(u, "m", other);

	lowers[0] = open(l0, O_PATH | O_DIRECTORY);
	lowers[1] = open(l1, O_PATH | O_DIRECTORY);
	s.fd = open(u, O_RDONLY | O_DIRECTORY);
	s.lowers = lowers;
	s.nlowers = 2;
	check_listing(&s,
		      "f/ 5 755 0:0\n"
		      "hid/ 5 755 0:0\n"
		      "m/ 5 755 0:0\n"
		      "new/ 5 755 0:0\n"
		      "o/ 5 755 0:0\n"
		      "o/sub/ 5 755 0:0\n"
		      "opq/ 5 755 0:0\n"
		      "opq/.wh..wh..opq 0 0 0:0\n"
		      "own/ 5 755 7:8\n", false);

	/* once the upper holds no more than the lowers' directories */
	assert_int_equal(shell("rm -rf %s/f %s/hid %s/new %s/o/sub %s/opq", u, u, u, u, u), 0);
	same_mtimes(u);
	s.nowners = 0;
	check_listing(&s, "", true);
	/* without its lowers, every directory of an upper is new */
	s.nlowers = 0;
	check_listing(&s,
		      "a/ 5 755 0:0\na/b/ 5 755 0:0\nm/ 5 755 0:0\nm/q/ 5 755 0:0\n"
		      "o/ 5 755 0:0\nown/ 5 755 0:0\n", false);

	close(s.fd);
	close(lowers[0]);
	close(lowers[1]);
	free(l0);
	free(l1);
	free(u);
	tmpdir_remove(t);
}

/* ---- the same changes, as a tree against its record and on overlay ---- */

/* what every scenario starts from: a lower as kiln unpacks it */
static void make_base(const char *r)
{
	put(r, "data", "D");
	mkd(r, "etc", 0755);
	put(r, "etc/group", "g");
	put(r, "etc/hosts", "h");
	put(r, "etc/passwd", "p");
	mkd(r, "h", 0755);
	put(r, "h/a", "A");
	assert_int_equal(shell("ln %s/h/a %s/h/b", r, r), 0);
	assert_int_equal(symlink("usr/bin/tool", at(r, "link")), 0);
	mkd(r, "usr", 0755);
	mkd(r, "usr/bin", 0755);
	put(r, "usr/bin/tool", "T");
	mkd(r, "usr/lib", 0755);
	put(r, "usr/lib/libx", "L");
	mkd(r, "usr/share", 0755);
	mkd(r, "usr/share/doc", 0755);
	put(r, "usr/share/doc/readme", "R");
	mkd(r, "var", 0755);
	mkd(r, "var/empty", 0755);
}

struct scenario {
	const char *name;
	void (*change)(const char *root);
	const char *want;	/* the listing both diffs must give */
};

static void ch_add(const char *r)
{
	put(r, "etc/new", "x");
	mkd(r, "opt", 0755);
	mkd(r, "opt/app", 0700);
	put(r, "opt/app/run", "r");
}

static void ch_content(const char *r)
{
	put(r, "usr/lib/libx", "L2");
}

static void ch_chmod(const char *r)
{
	assert_int_equal(chmod(at(r, "etc/passwd"), 0600), 0);
}

static void ch_rm_file(const char *r)
{
	assert_int_equal(unlink(at(r, "etc/group")), 0);
}

static void ch_rm_dir(const char *r)
{
	assert_int_equal(shell("rm -rf %s/usr/share", r), 0);
}

static void ch_file_to_dir(const char *r)
{
	assert_int_equal(unlink(at(r, "data")), 0);
	mkd(r, "data", 0755);
	put(r, "data/x", "X");
}

static void ch_dir_to_file(const char *r)
{
	assert_int_equal(shell("rm -rf %s/var/empty", r), 0);
	put(r, "var/empty", "E");
}

static void ch_recreate_dir(const char *r)
{
	assert_int_equal(shell("rm -rf %s/usr/bin", r), 0);
	mkd(r, "usr/bin", 0755);
	put(r, "usr/bin/new", "n");
}

static void ch_hardlinks(const char *r)
{
	mkd(r, "opt", 0755);
	put(r, "opt/a", "a");
	assert_int_equal(shell("ln %s/opt/a %s/opt/b", r, r), 0);
	assert_int_equal(shell("ln %s/etc/hosts %s/etc/hosts2", r, r), 0);
}

static void ch_unlink_one_of_two(const char *r)
{
	assert_int_equal(unlink(at(r, "h/b")), 0);
}

static void ch_retarget(const char *r)
{
	assert_int_equal(unlink(at(r, "link")), 0);
	assert_int_equal(symlink("etc/passwd", at(r, "link")), 0);
}

static void ch_nothing(const char *r)
{
	(void)r;
}

/* what the sandbox does for a mount point the image lacks */
static void ch_mount_point(const char *r)
{
	struct timespec ts[2];

	times_of(r, "etc", ts);
	put(r, "etc/x", "");
	assert_int_equal(unlink(at(r, "etc/x")), 0);
	set_times(r, "etc", ts);
}

static void ch_chmod_undone(const char *r)
{
	struct timespec ts[2];

	times_of(r, "usr/share", ts);
	assert_int_equal(chmod(at(r, "usr/share"), 0700), 0);
	assert_int_equal(chmod(at(r, "usr/share"), 0755), 0);
	set_times(r, "usr/share", ts);
}

static void ch_dir_mtime(const char *r)
{
	const struct timespec ts[2] = { { 1234567890, 5 }, { 1234567890, 5 } };

	set_times(r, "etc", ts);
}

/* made and removed deep inside directories that were there */
static void ch_nested_undone(const char *r)
{
	struct timespec ts[2];

	times_of(r, "usr/share/doc", ts);
	assert_int_equal(shell("mkdir -p %s/usr/share/doc/a/b/c && echo x > %s/usr/share/doc/a/b/c/f",
			       r, r), 0);
	assert_int_equal(shell("rm -rf %s/usr/share/doc/a", r), 0);
	set_times(r, "usr/share/doc", ts);
}

static void ch_new_empty_dir(const char *r)
{
	mkd(r, "var/new", 0755);
}

/* one change undone, one kept: only the kept one's directories */
static void ch_undone_and_kept(const char *r)
{
	ch_mount_point(r);
	ch_nested_undone(r);
	put(r, "usr/lib/libx", "L3");
}

static const struct scenario scenarios[] = {
	{ "add", ch_add,
	  "etc/ 5 755 0:0\netc/new 0 644 0:0 =x\nopt/ 5 755 0:0\nopt/app/ 5 700 0:0\n"
	  "opt/app/run 0 644 0:0 =r\n" },
	{ "content", ch_content, "usr/ 5 755 0:0\nusr/lib/ 5 755 0:0\nusr/lib/libx 0 644 0:0 =L2\n" },
	{ "chmod", ch_chmod, "etc/ 5 755 0:0\netc/passwd 0 600 0:0 =p\n" },
	{ "rm-file", ch_rm_file, "etc/ 5 755 0:0\netc/.wh.group 0 0 0:0\n" },
	{ "rm-dir", ch_rm_dir, "usr/ 5 755 0:0\nusr/.wh.share 0 0 0:0\n" },
	{ "file-to-dir", ch_file_to_dir,
	  "data/ 5 755 0:0\ndata/.wh..wh..opq 0 0 0:0\ndata/x 0 644 0:0 =X\n" },
	{ "dir-to-file", ch_dir_to_file, "var/ 5 755 0:0\nvar/empty 0 644 0:0 =E\n" },
	{ "rm-rf-mkdir", ch_recreate_dir,
	  "usr/ 5 755 0:0\nusr/bin/ 5 755 0:0\nusr/bin/.wh..wh..opq 0 0 0:0\n"
	  "usr/bin/new 0 644 0:0 =n\n" },
	{ "hardlinks", ch_hardlinks,
	  "etc/ 5 755 0:0\netc/hosts 0 644 0:0 =h\netc/hosts2 1 644 0:0 ->etc/hosts\n"
	  "opt/ 5 755 0:0\nopt/a 0 644 0:0 =a\nopt/b 1 644 0:0 ->opt/a\n" },
	{ "unlink-one-link", ch_unlink_one_of_two, "h/ 5 755 0:0\nh/.wh.b 0 0 0:0\n" },
	{ "retarget", ch_retarget, "link 2 777 0:0 ->etc/passwd\n" },
	{ "nothing", ch_nothing, "" },
	{ "mount-point-undone", ch_mount_point, "" },
	{ "chmod-undone", ch_chmod_undone, "" },
	{ "dir-mtime", ch_dir_mtime, "etc/ 5 755 0:0\n" },
	{ "nested-undone", ch_nested_undone, "" },
	{ "new-empty-dir", ch_new_empty_dir, "var/ 5 755 0:0\nvar/new/ 5 755 0:0\n" },
	{ "undone-and-kept", ch_undone_and_kept,
	  "usr/ 5 755 0:0\nusr/lib/ 5 755 0:0\nusr/lib/libx 0 644 0:0 =L3\n" },
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* the tree diff of one scenario; the listing goes to out */
static void tree_diff(const struct scenario *sc, struct listing *out)
{
	char *t = tmpdir_make();
	struct layer_tree_record *rec = NULL;
	struct kerr err = KERR_INIT;
	struct diff_src s = { -1, NULL, NULL, 0, NULL, 0 };
	bool empty;

	make_base(t);
	s.fd = open(t, O_RDONLY | O_DIRECTORY);
	if (layer_tree_record(s.fd, &rec, &err) < 0)
		fail_msg("record: %s", err.msg);
	sc->change(t);
	s.rec = rec;
	if (diff_listing(&s, out, &empty, &err) < 0)
		fail_msg("%s: diff tree: %s", sc->name, err.msg);
	if (empty != !*sc->want)
		fail_msg("%s: diff tree: empty is %d, got\n%s", sc->name, empty, out->text.buf);
	layer_tree_record_free(rec);
	close(s.fd);
	tmpdir_remove(t);
}

static void test_tree_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSCEN; i++) {
		struct listing l;

		tree_diff(&scenarios[i], &l);
		if (strcmp(l.text.buf, scenarios[i].want))
			fail_msg("%s: got\n%swant\n%s", scenarios[i].name, l.text.buf,
				 scenarios[i].want);
		strbuf_release(&l.text);
	}
}

/* a directory removed and made again may get the old inode number back
 * (ext4 hands it out at once): still a new directory, so opaque */
static void test_tree_reused_inode(void **state)
{
	char *t = tmpdir_make();
	struct layer_tree_record *rec = NULL;
	struct kerr err = KERR_INIT;
	struct diff_src s = { -1, NULL, NULL, 0, NULL, 0 };

	(void)state;
	umask(022);
	mkd(t, "d", 0755);
	s.fd = open(t, O_RDONLY | O_DIRECTORY);
	assert_int_equal(layer_tree_record(s.fd, &rec, &err), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(rmdir(at(t, "d")), 0);
		mkd(t, "d", 0755);
	}
	s.rec = rec;
	check_listing(&s, "d/ 5 755 0:0\nd/.wh..wh..opq 0 0 0:0\n", false);
	layer_tree_record_free(rec);
	close(s.fd);
	tmpdir_remove(t);
}

static void test_tree_owners(void **state)
{
	static const struct layer_owner own[] = { { "etc/new", 4242, 4242 } };
	char *t = tmpdir_make();
	struct layer_tree_record *rec = NULL;
	struct kerr err = KERR_INIT;
	struct diff_src s = { -1, NULL, own, 1, NULL, 0 };

	(void)state;
	make_base(t);
	s.fd = open(t, O_RDONLY | O_DIRECTORY);
	assert_int_equal(layer_tree_record(s.fd, &rec, &err), 0);
	put(t, "etc/new", "x");
	s.rec = rec;
	check_listing(&s, "etc/ 5 755 0:0\netc/new 0 644 4242:4242 =x\n", false);
	layer_tree_record_free(rec);
	close(s.fd);
	tmpdir_remove(t);
}

/* ---- on a real overlay mount, in a user namespace ---- */

static char userns_why[256];
static bool userns_ok;

#define OVL_OPTS "userxattr,index=off,metacopy=off,redirect_dir=nofollow"

static void overlay_diff(const struct scenario *sc, struct listing *out)
{
	char *t = tmpdir_make();
	char *lower = xasprintf("%s/lower", t), *upper = xasprintf("%s/upper", t);
	char *work = xasprintf("%s/work", t), *merged = xasprintf("%s/merged", t);
	char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s," OVL_OPTS, lower, upper,
			       work);
	struct kerr err = KERR_INIT;
	struct diff_src s = { -1, NULL, NULL, 0, NULL, 0 };
	int lowerfd;
	bool empty;

	assert_int_equal(mkdir(lower, 0755), 0);
	assert_int_equal(mkdir(upper, 0755), 0);
	assert_int_equal(mkdir(work, 0755), 0);
	assert_int_equal(mkdir(merged, 0755), 0);
	make_base(lower);
	if (mount("overlay", merged, "overlay", 0, opts) < 0)
		fail_msg("mount overlay: %s", strerror(errno));
	sc->change(merged);
	s.fd = open(upper, O_RDONLY | O_DIRECTORY);
	lowerfd = open(lower, O_PATH | O_DIRECTORY);
	assert_true(lowerfd >= 0);
	s.lowers = &lowerfd;
	s.nlowers = 1;
	if (diff_listing(&s, out, &empty, &err) < 0)
		fail_msg("%s: diff upper: %s", sc->name, err.msg);
	if (empty != !*sc->want)
		fail_msg("%s: diff upper: empty is %d, got\n%s", sc->name, empty, out->text.buf);
	close(lowerfd);
	close(s.fd);
	assert_int_equal(umount2(merged, MNT_DETACH), 0);
	free(lower);
	free(upper);
	free(work);
	free(merged);
	free(opts);
	tmpdir_remove(t);
}

static void test_overlay_equals_tree(void **state)
{
	(void)state;
	if (!userns_ok)
		skip();
	for (size_t i = 0; i < NSCEN; i++) {
		struct listing lo, lt;

		overlay_diff(&scenarios[i], &lo);
		tree_diff(&scenarios[i], &lt);
		if (strcmp(lo.text.buf, scenarios[i].want))
			fail_msg("%s on overlay: got\n%swant\n%s", scenarios[i].name, lo.text.buf,
				 scenarios[i].want);
		if (strcmp(lt.text.buf, scenarios[i].want))
			fail_msg("%s on a tree: got\n%swant\n%s", scenarios[i].name, lt.text.buf,
				 scenarios[i].want);
		/* and byte for byte the same layer */
		assert_memory_equal(lo.diff_id, lt.diff_id, SHA256_LEN);
		strbuf_release(&lo.text);
		strbuf_release(&lt.text);
	}
}

static void ch_dir_xattr(const char *r)
{
	set_x(r, "etc", "user.k", "v");
}

static void ch_file_xattr(const char *r)
{
	set_x(r, "etc/passwd", "user.k", "v");
}

/* xattrs set on a directory alone are no change, on a file they are */
static const struct scenario xattr_scenarios[] = {
	{ "dir-xattr", ch_dir_xattr, "" },
	{ "file-xattr", ch_file_xattr, "etc/ 5 755 0:0\netc/passwd 0 644 0:0 =p\n" },
};

static void test_overlay_xattrs(void **state)
{
	char *t = tmpdir_make();
	bool ok = have_user_xattrs(t);

	(void)state;
	tmpdir_remove(t);
	if (!userns_ok || !ok)
		skip();
	for (size_t i = 0; i < sizeof(xattr_scenarios) / sizeof(xattr_scenarios[0]); i++) {
		const struct scenario *sc = &xattr_scenarios[i];
		struct listing lo, lt;

		overlay_diff(sc, &lo);
		tree_diff(sc, &lt);
		if (strcmp(lo.text.buf, sc->want) || strcmp(lt.text.buf, sc->want))
			fail_msg("%s: got\n%son overlay and\n%son a tree, want\n%s", sc->name,
				 lo.text.buf, lt.text.buf, sc->want);
		assert_memory_equal(lo.diff_id, lt.diff_id, SHA256_LEN);
		strbuf_release(&lo.text);
		strbuf_release(&lt.text);
	}
}

static int setup_userns(void **state)
{
	(void)state;
	userns_ok = enter_userns(userns_why, sizeof(userns_why)) == 0;
	if (!userns_ok)
		fprintf(stderr, "# no user namespace (%s): overlay tests skipped\n", userns_why);
	return 0;
}

static int overlay_group(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_equals_tree),
		cmocka_unit_test(test_overlay_xattrs),
	};

	return cmocka_run_group_tests_name("diff on overlay", tests, setup_userns, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upper_handmade),
		cmocka_unit_test(test_upper_owners_and_xattrs),
		cmocka_unit_test(test_upper_refuses_redirect_metacopy),
		cmocka_unit_test(test_upper_empty),
		cmocka_unit_test(test_upper_lowers),
		cmocka_unit_test(test_tree_scenarios),
		cmocka_unit_test(test_tree_reused_inode),
		cmocka_unit_test(test_tree_owners),
	};
	int r;

	umask(022);
	r = cmocka_run_group_tests(tests, NULL, NULL);

	return r | run_in_child(overlay_group);
}
