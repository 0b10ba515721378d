/* test-snapshot.c: step roots from layer blobs in a scratch store: the
 * unpacked-layer cache, overlay and copy snapshots over layers with
 * whiteouts, their diffs (the same bytes), and nothing left after free.
 * Everything runs in a user and mount namespace of the test's own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "layer/diff.h"
#include "snapshot/internal.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/testutil.h"
#include "layer/difftest.h"

static char userns_why[256];
static bool userns_ok;

/* the tests map one id, whose layers have a cache of their own */
#define LAYERS "kiln/layers-single"

struct blob {
	char digest[DIGEST_STR_LEN];
	char diff_id[DIGEST_STR_LEN];
};

struct fx {
	char *dir;
	struct store st;
	struct blob b[3];
};

static void must(int r, struct kerr *err)
{
	if (r < 0)
		fail_msg("%s", err->msg ? err->msg : "failed");
}

static void add(struct layer_writer *lw, char type, const char *path, unsigned mode,
		const char *data, const char *link)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct kerr err = KERR_INIT;

	e.type = type;
	e.path = (char *)path;
	e.linkname = (char *)link;
	e.mode = mode;
	e.mtime = 1600000000;
	e.size = data ? strlen(data) : 0;
	must(layer_writer_add_buf(lw, &e, data, data ? strlen(data) : 0, &err), &err);
}

static void add_owned(struct layer_writer *lw, const char *path, unsigned uid)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct kerr err = KERR_INIT;

	e.type = TAR_REG;
	e.path = (char *)path;
	e.mode = 04755;
	e.uid = uid;
	e.gid = uid;
	e.size = 1;
	must(layer_writer_add_buf(lw, &e, "u", 1, &err), &err);
}

typedef void (*layer_fn)(struct layer_writer *lw);

/* a gzip'ed layer made by fn, put in the store */
static void make_blob(struct store *st, layer_fn fn, struct blob *b)
{
	struct layer_opts o = LAYER_OPTS_INIT;
	struct kerr err = KERR_INIT;
	struct layer_writer *lw;
	struct layer_result res;
	FILE *f = tmpfile();

	o.threads = 1;
	must(layer_writer_new(&lw, fileno(f), &o, &err), &err);
	fn(lw);
	must(layer_writer_finish(lw, &res, &err), &err);
	layer_writer_free(lw);
	lseek(fileno(f), 0, SEEK_SET);
	must(store_blob_put_fd(st, fileno(f), NULL, b->digest, &err), &err);
	digest_format(res.diff_id, b->diff_id);
	fclose(f);
}

static void layer_base(struct layer_writer *lw)
{
	struct kerr err = KERR_INIT;

	add(lw, TAR_DIR, "etc", 0755, NULL, NULL);
	add(lw, TAR_REG, "etc/group", 0644, "g1", NULL);
	add(lw, TAR_REG, "etc/passwd", 0644, "p1", NULL);
	add(lw, TAR_DIR, "h", 0755, NULL, NULL);
	add(lw, TAR_REG, "h/a", 0644, "a1", NULL);
	add(lw, TAR_LINK, "h/b", 0644, NULL, "h/a");
	add(lw, TAR_SYMLINK, "link", 0777, NULL, "usr/bin/tool");
	add(lw, TAR_DIR, "usr", 0755, NULL, NULL);
	add(lw, TAR_DIR, "usr/bin", 0755, NULL, NULL);
	add(lw, TAR_REG, "usr/bin/tool", 0755, "t1", NULL);
	add(lw, TAR_DIR, "usr/share", 0755, NULL, NULL);
	add(lw, TAR_REG, "usr/share/old", 0644, "o1", NULL);
	add(lw, TAR_FIFO, "usr/fifo", 0600, NULL, NULL);
	/* an owner outside a one-id map: kept as unpacked, with a warning */
	add_owned(lw, "usr/owned", 1000);
	(void)err;
}

static void layer_mid(struct layer_writer *lw)
{
	struct kerr err = KERR_INIT;

	add(lw, TAR_DIR, "etc", 0750, NULL, NULL);
	must(layer_writer_whiteout(lw, "etc/group", &err), &err);
	add(lw, TAR_REG, "etc/passwd", 0600, "p2", NULL);
	add(lw, TAR_DIR, "h", 0755, NULL, NULL);
	add(lw, TAR_REG, "h/a", 0644, "a2", NULL);
	add(lw, TAR_DIR, "usr", 0755, NULL, NULL);
	add(lw, TAR_DIR, "usr/share", 0700, NULL, NULL);
	must(layer_writer_opaque(lw, "usr/share", &err), &err);
	add(lw, TAR_REG, "usr/share/new", 0644, "n2", NULL);
}

static void layer_top(struct layer_writer *lw)
{
	struct kerr err = KERR_INIT;

	add(lw, TAR_DIR, "bin", 0755, NULL, NULL);
	add(lw, TAR_REG, "bin/x", 0755, "x3", NULL);
	add(lw, TAR_LINK, "bin/y", 0755, NULL, "bin/x");
	add(lw, TAR_DIR, "usr", 0755, NULL, NULL);
	must(layer_writer_whiteout(lw, "usr/bin", &err), &err);
}

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct kerr err = KERR_INIT;
	char *root;

	if (!userns_ok) {
		free(f);
		*state = NULL;
		return 0;
	}
	f->dir = tmpdir_make();
	root = xasprintf("%s/store", f->dir);
	if (store_open_root(&f->st, root, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	free(root);
	make_blob(&f->st, layer_base, &f->b[0]);
	make_blob(&f->st, layer_mid, &f->b[1]);
	make_blob(&f->st, layer_top, &f->b[2]);
	for (int i = 0; i < 3; i++)
		if (snapshot_layer_ensure(&f->st, f->b[i].digest, f->b[i].diff_id, &err) < 0) {
			fprintf(stderr, "ensure: %s\n", err.msg);
			return -1;
		}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	store_close(&f->st);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static struct fx *need(void **state)
{
	if (!userns_ok || !*state)
		skip();
	return *state;
}

static const char *const *ids_of(struct fx *f, const char *v[3])
{
	for (int i = 0; i < 3; i++)
		v[i] = f->b[i].diff_id;
	return v;
}

static char *read_at(int rootfd, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
	struct kerr err = KERR_INIT;

	if (fd < 0)
		return NULL;
	must(strbuf_read_fd(&sb, fd, 1 << 20, &err), &err);
	close(fd);
	return strbuf_detach(&sb, NULL);
}

static bool exists_at(int rootfd, const char *path)
{
	struct stat st;

	return fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void check_merged(struct snapshot *s)
{
	int r = snapshot_rootfd(s);
	struct stat st, st2;
	char *t;

	assert_false(exists_at(r, "etc/group"));
	assert_false(exists_at(r, "usr/bin"));
	assert_false(exists_at(r, "usr/share/old"));
	assert_non_null(t = read_at(r, "etc/passwd"));
	assert_string_equal(t, "p2");
	free(t);
	assert_non_null(t = read_at(r, "h/a"));
	assert_string_equal(t, "a2");
	free(t);
	/* h/b was linked to the lower h/a, which the mid layer replaced */
	assert_non_null(t = read_at(r, "h/b"));
	assert_string_equal(t, "a1");
	free(t);
	assert_non_null(t = read_at(r, "usr/share/new"));
	assert_string_equal(t, "n2");
	free(t);
	assert_int_equal(fstatat(r, "etc", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(fstatat(r, "usr/share", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_mtime, 1600000000);
	assert_int_equal(fstatat(r, "bin/x", &st, 0), 0);
	assert_int_equal(fstatat(r, "bin/y", &st2, 0), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(fstatat(r, "usr/fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(fstatat(r, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* uid 1000 is not ours to give: left to root; the setuid bit stays
	 * in the one-id map's cache, which is nobody else's to reach */
	assert_int_equal(fstatat(r, "usr/owned", &st, 0), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 04755);
}

static bool mounted_anywhere(const char *needle)
{
	char *mi = NULL;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	bool r;

	assert_true(fd >= 0);
	mi = slurp_fd(fd);
	close(fd);
	r = strstr(mi, needle) != NULL;
	free(mi);
	return r;
}

/* the snapshots folder holds nothing */
static void check_no_snapshots(struct fx *f)
{
	char *p = xasprintf("%s/store/kiln/snapshots", f->dir);
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, 0);
	assert_false(mounted_anywhere(p));
	free(p);
}

/* layers in the cache; no temp dir may be among them, only the owners
 * tables beside them */
static int count_layers(struct fx *f)
{
	char *p = xasprintf("%s/store/" LAYERS, f->dir);
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlen(de->d_name) == 64 + 7) {
			assert_string_equal(de->d_name + 64, ".owners");
			continue;
		}
		assert_int_equal(strlen(de->d_name), 64);
		n++;
	}
	closedir(d);
	free(p);
	return n;
}

static void test_ensure(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct blob bad;
	char *p;
	struct stat st;

	/* again: already there */
	must(snapshot_layer_ensure(&f->st, f->b[1].digest, f->b[1].diff_id, &err), &err);
	/* the cache holds whiteouts and opaque marks overlayfs reads */
	p = xasprintf("%s/store/" LAYERS "/%s/etc/group", f->dir, f->b[1].diff_id + 7);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, 0);
	free(p);

	/* a diff_id that does not match leaves nothing behind */
	bad = f->b[2];
	memcpy(bad.diff_id, f->b[0].diff_id, sizeof(bad.diff_id));
	p = xasprintf("%s/store/" LAYERS "/%s", f->dir, f->b[0].diff_id + 7);
	assert_int_equal(shell("rm -rf '%s'", p), 0);
	free(p);
	assert_int_equal(snapshot_layer_ensure(&f->st, bad.digest, bad.diff_id, &err), -1);
	assert_non_null(strstr(err.msg, bad.digest));
	kerr_clear(&err);
	assert_int_equal(count_layers(f), 2);
	must(snapshot_layer_ensure(&f->st, f->b[0].digest, f->b[0].diff_id, &err), &err);
	assert_int_equal(count_layers(f), 3);

	/* the owner the map could not give is beside the layer */
	p = xasprintf("%s/store/" LAYERS "/%s.owners", f->dir, f->b[0].diff_id + 7);
	{
		char *t = read_at(AT_FDCWD, p);

		assert_non_null(t);
		assert_string_equal(t, "kiln-owners 1\n1000 1000 usr/owned");
		free(t);
	}
	free(p);

	/* not a digest */
	assert_int_equal(snapshot_layer_ensure(&f->st, f->b[0].digest, "sha256:xyz", &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
}

/* four processes unpack one layer at once: all succeed, one dir stays */
static void test_ensure_concurrent(void **state)
{
	struct fx *f = need(state);
	char *p = xasprintf("%s/store/" LAYERS "/%s", f->dir, f->b[2].diff_id + 7);
	pid_t pids[4];

	assert_int_equal(shell("rm -rf '%s'", p), 0);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct kerr err = KERR_INIT;

			_exit(snapshot_layer_ensure(&f->st, f->b[2].digest, f->b[2].diff_id,
						    &err) < 0);
		}
	}
	for (int i = 0; i < 4; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	free(p);
	p = xasprintf("%s/store/" LAYERS "/%s/bin/x", f->dir, f->b[2].diff_id + 7);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(count_layers(f), 3);
	free(p);
}

static void kinds(void **state, enum snapshot_kind k)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct snapshot *s;
	const char *v[3];
	char *name;

	must(snapshot_new(&s, &f->st, k, ids_of(f, v), 3, &err), &err);
	assert_int_equal(snapshot_kind_of(s), k);
	assert_true(snapshot_rootfs(s)[0] == '/');
	check_merged(s);
	name = xstrdup(snapshot_rootfs(s));
	assert_int_equal(mounted_anywhere(name), k == SNAPSHOT_OVERLAY);
	snapshot_free(s);
	assert_false(mounted_anywhere(name));
	free(name);
	check_no_snapshots(f);
}

static void test_overlay_merged(void **state)
{
	kinds(state, SNAPSHOT_OVERLAY);
}

static void test_copy_merged(void **state)
{
	kinds(state, SNAPSHOT_COPY);
}

/* the root of the snapshot at hand, for the shell */
static const char *cur_root;

/* the same RUN in both kinds (no file of a lower hardlink changed: there
 * overlayfs copies up one name and a copy changes the shared inode) */
static void step(int r)
{
	int fd;

	assert_int_equal(mkdirat(r, "opt", 0755), 0);
	fd = openat(r, "opt/new", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "new", 3), 3);
	close(fd);
	assert_int_equal(linkat(r, "opt/new", r, "opt/new2", 0), 0);
	assert_int_equal(unlinkat(r, "etc/passwd", 0), 0);
	assert_int_equal(fchmodat(r, "usr/fifo", 0644, 0), 0);
	assert_int_equal(shell("cd '%s' && rm -rf usr/share && mkdir usr/share && echo z > usr/share/z",
			       cur_root), 0);
	fd = openat(r, "h/b", O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "b4", 2), 2);
	close(fd);
}

static const char step_want[] =
	"etc/ 5 750 0:0\n"
	"etc/.wh.passwd 0 0 0:0\n"
	"h/ 5 755 0:0\n"
	"h/b 0 644 0:0 =b4\n"
	"opt/ 5 755 0:0\n"
	"opt/new 0 644 0:0 =new\n"
	"opt/new2 1 644 0:0 ->opt/new\n"
	"usr/ 5 755 0:0\n"
	"usr/fifo 6 644 0:0\n"
	"usr/share/ 5 755 0:0\n"
	"usr/share/.wh..wh..opq 0 0 0:0\n"
	"usr/share/z 0 644 0:0 =z\n\n"	/* echo wrote "z\n" */
	"usr/share/zz 0 644 4242:4343 =z\n";

/* the diff after change; owned: also a file with owners set */
static void diff_of_ex(struct fx *f, enum snapshot_kind k, void (*change)(int), size_t nl,
		       bool owned, struct listing *l, bool *empty)
{
	struct layer_opts o = opts_fixed();
	struct kerr err = KERR_INIT;
	struct layer_result res;
	struct snapshot *s;
	struct strbuf tar;
	const char *v[3];
	FILE *out = tmpfile();

	must(snapshot_new(&s, &f->st, k, ids_of(f, v), nl, &err), &err);
	if (change) {
		int fd;

		cur_root = snapshot_rootfs(s);
		change(snapshot_rootfd(s));
		fd = !owned ? -1 : openat(snapshot_rootfd(s), "usr/share/zz",
					  O_WRONLY | O_CREAT, 0644);
		if (fd >= 0) {
			assert_int_equal(write(fd, "z", 1), 1);
			close(fd);
			must(snapshot_set_owner(s, "/usr/share/zz", 4242, 4343, &err), &err);
			must(snapshot_set_owner(s, "usr/share/z", 1, 1, &err), &err);
			/* replaced: the last word counts */
			must(snapshot_set_owner(s, "usr/share/z", 0, 0, &err), &err);
		}
	}
	must(snapshot_diff(s, fileno(out), &o, &res, empty, &err), &err);
	read_back(out, &tar);
	if (*empty)
		assert_int_equal(tar.len, 0);
	listing_of(&tar, l);
	memcpy(l->diff_id, res.diff_id, SHA256_LEN);
	strbuf_release(&tar);
	fclose(out);
	snapshot_free(s);
}

static void diff_of(struct fx *f, enum snapshot_kind k, void (*change)(int), size_t nl,
		    struct listing *l, bool *empty)
{
	diff_of_ex(f, k, change, nl, true, l, empty);
}

/* made in dir and removed, dir's times put back: what the sandbox does
 * with a mount point the image lacks */
static void make_and_remove(int r, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct timespec ts[2];
	struct stat st;
	int fd;

	assert_int_equal(fstatat(r, dir, &st, 0), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	fd = openat(r, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unlinkat(r, path, 0), 0);
	assert_int_equal(utimensat(r, dir, ts, 0), 0);
	free(path);
}

/* etc comes from the mid layer, usr/share from its opaque dir there */
static void undone(int r)
{
	make_and_remove(r, "etc", "hosts");
	make_and_remove(r, "usr/share", "x");
}

static void undone_and_kept(int r)
{
	undone(r);
	assert_int_equal(mkdirat(r, "usr/share/d", 0755), 0);
}

static void test_diff_undone(void **state)
{
	struct fx *f = need(state);
	static const enum snapshot_kind ks[] = { SNAPSHOT_OVERLAY, SNAPSHOT_COPY };
	struct listing l[2];
	bool empty;

	for (size_t k = 0; k < 2; k++) {
		empty = false;
		diff_of_ex(f, ks[k], undone, 3, false, &l[k], &empty);
		if (!empty)
			fail_msg("%s: not empty:\n%s", k ? "copy" : "overlay", l[k].text.buf);
		strbuf_release(&l[k].text);
		diff_of_ex(f, ks[k], undone_and_kept, 3, false, &l[k], &empty);
		assert_false(empty);
		assert_string_equal(l[k].text.buf, "usr/ 5 755 0:0\nusr/share/ 5 700 0:0\n"
				    "usr/share/d/ 5 755 0:0\n");
	}
	assert_memory_equal(l[0].diff_id, l[1].diff_id, SHA256_LEN);
	strbuf_release(&l[0].text);
	strbuf_release(&l[1].text);
	check_no_snapshots(f);
}

static void test_diff_same_bytes(void **state)
{
	struct fx *f = need(state);
	struct listing lo, lc;
	bool eo, ec;

	diff_of(f, SNAPSHOT_OVERLAY, step, 3, &lo, &eo);
	diff_of(f, SNAPSHOT_COPY, step, 3, &lc, &ec);
	assert_false(eo);
	assert_false(ec);
	assert_string_equal(lo.text.buf, step_want);
	assert_string_equal(lc.text.buf, step_want);
	assert_memory_equal(lo.diff_id, lc.diff_id, SHA256_LEN);
	strbuf_release(&lo.text);
	strbuf_release(&lc.text);

	/* nothing done: no layer */
	diff_of(f, SNAPSHOT_OVERLAY, NULL, 3, &lo, &eo);
	diff_of(f, SNAPSHOT_COPY, NULL, 3, &lc, &ec);
	assert_true(eo);
	assert_true(ec);
	strbuf_release(&lo.text);
	strbuf_release(&lc.text);
	check_no_snapshots(f);
}

/* owners a one-id map cannot give, in two layers: the second replaces
 * one such file and whites out another */
static void add_as(struct layer_writer *lw, char type, const char *path, unsigned mode,
		   unsigned uid, unsigned gid, const char *data, const char *link)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct kerr err = KERR_INIT;

	e.type = type;
	e.path = (char *)path;
	e.linkname = (char *)link;
	e.mode = mode;
	e.uid = uid;
	e.gid = gid;
	e.mtime = 1600000000;
	e.size = data ? strlen(data) : 0;
	must(layer_writer_add_buf(lw, &e, data, data ? strlen(data) : 0, &err), &err);
}

static void layer_owned(struct layer_writer *lw)
{
	add_as(lw, TAR_DIR, "home", 0755, 0, 0, NULL, NULL);
	add_as(lw, TAR_DIR, "home/app", 0750, 1000, 1000, NULL, NULL);
	add_as(lw, TAR_REG, "home/app/f", 0644, 1000, 1000, "f", NULL);
	add_as(lw, TAR_REG, "home/app/l1", 0644, 1000, 1000, "l", NULL);
	add_as(lw, TAR_LINK, "home/app/l2", 0644, 1000, 1000, NULL, "home/app/l1");
	add_as(lw, TAR_DIR, "srv", 0755, 0, 0, NULL, NULL);
	add_as(lw, TAR_REG, "srv/x", 0644, 33, 33, "x", NULL);
	add_as(lw, TAR_REG, "srv/y", 0644, 33, 33, "y", NULL);
	add_as(lw, TAR_DIR, "usr", 0755, 0, 0, NULL, NULL);
	add_as(lw, TAR_REG, "usr/chage", 02755, 0, 42, "c", NULL);
	add_as(lw, TAR_REG, "usr/mod", 02755, 0, 42, "m", NULL);
}

static void layer_over(struct layer_writer *lw)
{
	struct kerr err = KERR_INIT;

	add_as(lw, TAR_DIR, "srv", 0755, 0, 0, NULL, NULL);
	must(layer_writer_whiteout(lw, "srv/y", &err), &err);
	add_as(lw, TAR_REG, "srv/x", 0644, 0, 0, "X", NULL);
}

static void append(int r, const char *path, const char *data)
{
	int fd = openat(r, path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void owned_step(int r)
{
	int fd;

	append(r, "home/app/f", "+");
	append(r, "srv/x", "+");
	append(r, "usr/chage", "+");
	assert_int_equal(fchmodat(r, "usr/mod", 0700, 0), 0);
	/* made anew where a lower layer's whiteout hides an owned file */
	fd = openat(r, "srv/y", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	fd = openat(r, "home/app/new", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static const char owned_want[] =
	"home/ 5 755 0:0\n"
	"home/app/ 5 750 1000:1000\n"
	"home/app/f 0 644 1000:1000 =f+\n"
	"home/app/new 0 644 0:0\n"
	"srv/ 5 755 0:0\n"
	"srv/x 0 644 0:0 =X+\n"
	"srv/y 0 644 0:0\n"
	"usr/ 5 755 0:0\n"
	"usr/chage 0 755 0:42 =c+\n"	/* a write drops it, as with the owner */
	"usr/mod 0 700 0:42 =m\n";

/* the owner snapshot_owner tells for path, "-" for none */
static char *owner_of(struct snapshot *s, const char *path)
{
	struct kerr err = KERR_INIT;
	struct layer_owner o;
	struct stat st;
	int r;

	if (fstatat(snapshot_rootfd(s), path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("%s: %s", path, strerror(errno));
	r = snapshot_owner(s, path, &st, &o, &err);
	must(r, &err);
	return r ? xasprintf("%u:%u", o.uid, o.gid) : xstrdup("-");
}

static void check_owner(struct snapshot *s, const char *path, const char *want)
{
	char *got = owner_of(s, path);

	assert_string_equal(got, want);
	free(got);
}

/* Where one id is mapped, the owners the layers' unpacking could not give
 * reach the diff of both kinds (the same bytes), from the top-most layer
 * that holds a path; a file made anew where a whiteout is gets none. */
static void test_owner_tables(void **state)
{
	static const enum snapshot_kind ks[] = { SNAPSHOT_OVERLAY, SNAPSHOT_COPY };
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct layer_opts o = opts_fixed();
	struct listing l[2];
	struct blob b[2];
	const char *v[2];

	make_blob(&f->st, layer_owned, &b[0]);
	make_blob(&f->st, layer_over, &b[1]);
	for (int i = 0; i < 2; i++) {
		must(snapshot_layer_ensure(&f->st, b[i].digest, b[i].diff_id, &err), &err);
		v[i] = b[i].diff_id;
	}
	for (size_t k = 0; k < 2; k++) {
		struct layer_result res;
		struct snapshot *s;
		struct strbuf tar;
		bool empty;
		FILE *out = tmpfile();

		must(snapshot_new(&s, &f->st, ks[k], v, 2, &err), &err);
		check_owner(s, "home/app", "1000:1000");
		check_owner(s, "home/app/l2", "1000:1000");
		check_owner(s, "srv/x", "-");
		check_owner(s, "usr/chage", "0:42");
		check_owner(s, "home", "-");
		owned_step(snapshot_rootfd(s));
		check_owner(s, "srv/y", "-");
		check_owner(s, "usr/mod", "0:42");
		must(snapshot_diff(s, fileno(out), &o, &res, &empty, &err), &err);
		assert_false(empty);
		read_back(out, &tar);
		listing_of(&tar, &l[k]);
		memcpy(l[k].diff_id, res.diff_id, SHA256_LEN);
		strbuf_release(&tar);
		fclose(out);
		snapshot_free(s);
		assert_string_equal(l[k].text.buf, owned_want);
	}
	assert_memory_equal(l[0].diff_id, l[1].diff_id, SHA256_LEN);
	strbuf_release(&l[0].text);
	strbuf_release(&l[1].text);
	check_no_snapshots(f);
}

/* kernels before 6.8: every lower in one mount option string */
static void test_overlay_mount2(void **state)
{
	struct listing lo, lc;
	bool eo, ec;

	need(state);
	snapshot_force_mount2 = 1;
	kinds(state, SNAPSHOT_OVERLAY);
	diff_of(*state, SNAPSHOT_OVERLAY, step, 3, &lo, &eo);
	snapshot_force_mount2 = 0;
	diff_of(*state, SNAPSHOT_COPY, step, 3, &lc, &ec);
	assert_string_equal(lo.text.buf, lc.text.buf);
	assert_memory_equal(lo.diff_id, lc.diff_id, SHA256_LEN);
	strbuf_release(&lo.text);
	strbuf_release(&lc.text);
}

static void scratch_step(int r)
{
	int fd = openat(r, "hello", O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	close(fd);
}

/* FROM scratch: no lowers at all */
static void test_scratch(void **state)
{
	struct fx *f = need(state);
	struct listing lo, lc;
	bool eo, ec;

	diff_of(f, SNAPSHOT_OVERLAY, scratch_step, 0, &lo, &eo);
	diff_of(f, SNAPSHOT_COPY, scratch_step, 0, &lc, &ec);
	assert_string_equal(lo.text.buf, "hello 0 600 0:0\n");
	assert_string_equal(lc.text.buf, "hello 0 600 0:0\n");
	assert_memory_equal(lo.diff_id, lc.diff_id, SHA256_LEN);
	strbuf_release(&lo.text);
	strbuf_release(&lc.text);
	check_no_snapshots(f);
}

static void test_errors(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct snapshot *s = NULL;
	const char *missing[] = {
		"sha256:0000000000000000000000000000000000000000000000000000000000000000"
	};
	enum snapshot_kind k;

	/* a layer never ensured: an error naming it, whatever the kind */
	assert_int_equal(snapshot_new(&s, &f->st, SNAPSHOT_AUTO, missing, 1, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.msg, "0000000000"));
	kerr_clear(&err);
	assert_int_equal(snapshot_new(&s, &f->st, SNAPSHOT_COPY, missing, 1, &err), -1);
	kerr_clear(&err);
	check_no_snapshots(f);

	assert_int_equal(snapshot_kind_parse("overlay", &k, &err), 0);
	assert_int_equal(k, SNAPSHOT_OVERLAY);
	assert_int_equal(snapshot_kind_parse("vfs", &k, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	setenv("KILN_SNAPSHOTTER", "copy", 1);
	assert_int_equal(snapshot_kind_default(&k, &err), 0);
	assert_int_equal(k, SNAPSHOT_COPY);
	setenv("KILN_SNAPSHOTTER", "zfs", 1);
	assert_int_equal(snapshot_kind_default(&k, &err), -1);
	assert_non_null(strstr(err.msg, "KILN_SNAPSHOTTER"));
	kerr_clear(&err);
	unsetenv("KILN_SNAPSHOTTER");
	assert_int_equal(snapshot_kind_default(&k, &err), 0);
	assert_int_equal(k, SNAPSHOT_AUTO);

	must(snapshot_new(&s, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	assert_int_equal(snapshot_set_owner(s, "../x", 0, 0, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	snapshot_free(s);
	snapshot_free(NULL);
}

/* a dead kiln's snapshot goes at the next snapshot_new; a live one stays */
static void test_sweep_stale(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct snapshot *live, *s;
	char *dead = xasprintf("%s/store/kiln/snapshots/0123456789abcdef", f->dir);
	char *lock = xasprintf("%s/lock", dead);
	char *file = xasprintf("%s/merged", dead);

	must(snapshot_new(&live, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	assert_int_equal(mkdir(dead, 0700), 0);
	assert_int_equal(mkdir(file, 0500), 0);
	put_file(AT_FDCWD, lock, "");
	must(snapshot_new(&s, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(snapshot_rootfs(live), F_OK), 0);
	snapshot_free(s);
	snapshot_free(live);
	check_no_snapshots(f);
	free(dead);
	free(lock);
	free(file);
}

/* A process killed between the mkdir of its snapshot and the rename that
 * shows it leaves a ".new-" folder: the next snapshot_new or snapshot_sweep
 * removes it, unless a creator is on its way (the create lock is held),
 * which may be that folder's */
static void test_sweep_new(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct snapshot *s;
	char *snaps = xasprintf("%s/store/kiln/snapshots", f->dir);
	char *a = xasprintf("%s/.new-0123456789abcdef", snaps);
	char *b = xasprintf("%s/.new-fedcba9876543210", snaps);
	char *lock = xasprintf("%s/lock", a);
	char *create = xasprintf("%s/store/kiln/snapshots.lock", f->dir);
	int fd;

	must(snapshot_new(&s, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	snapshot_free(s);
	assert_int_equal(mkdir(a, 0700), 0);
	put_file(AT_FDCWD, lock, "");
	assert_int_equal(mkdir(b, 0700), 0);
	must(snapshot_new(&s, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	assert_int_equal(access(a, F_OK), -1);
	assert_int_equal(access(b, F_OK), -1);
	snapshot_free(s);

	/* a creator on its way: the folder stays, and goes at the next sweep */
	assert_int_equal(mkdir(b, 0700), 0);
	fd = open(create, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	must(snapshot_new(&s, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	snapshot_free(s);
	snapshot_sweep(&f->st);
	assert_int_equal(access(b, F_OK), 0);
	close(fd);
	snapshot_sweep(&f->st);
	assert_int_equal(access(b, F_OK), -1);
	check_no_snapshots(f);
	free(snaps);
	free(a);
	free(b);
	free(lock);
	free(create);
}

/* A process of this namespace killed outright (a stage child) leaves its
 * overlay mounted here: snapshot_sweep unmounts and removes it, where
 * emptying it through the mount would fail; a live snapshot stays. */
static void test_sweep_killed(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct snapshot *live;
	const char *v[3];
	char *root;
	int p[2], status;
	pid_t pid;

	must(snapshot_new(&live, &f->st, SNAPSHOT_COPY, NULL, 0, &err), &err);
	ids_of(f, v);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct snapshot *s;

		close(p[0]);
		if (snapshot_new(&s, &f->st, SNAPSHOT_OVERLAY, v, 3, &err) < 0)
			_exit(1);
		write_all(p[1], snapshot_rootfs(s), strlen(snapshot_rootfs(s)));
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	root = slurp_fd(p[0]);
	close(p[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(*root == '/');
	assert_true(mounted_anywhere(root));
	snapshot_sweep(&f->st);
	assert_false(mounted_anywhere(root));
	assert_int_equal(access(root, F_OK), -1);
	assert_int_equal(access(snapshot_rootfs(live), F_OK), 0);
	snapshot_free(live);
	check_no_snapshots(f);
	free(root);
}

/* a busybox-sized layer: one 1 MB binary, 400 links to it, some files */
static void layer_busybox(struct layer_writer *lw)
{
	struct tar_entry e = TAR_ENTRY_INIT;
	struct kerr err = KERR_INIT;
	char *big = xmalloc(1 << 20);
	char path[64];

	memset(big, 'b', 1 << 20);
	add(lw, TAR_DIR, "bin", 0755, NULL, NULL);
	e.type = TAR_REG;
	e.path = (char *)"bin/busybox";
	e.mode = 0755;
	e.size = 1 << 20;
	must(layer_writer_add_buf(lw, &e, big, 1 << 20, &err), &err);
	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof(path), "bin/app%03d", i);
		add(lw, TAR_LINK, path, 0755, NULL, "bin/busybox");
	}
	add(lw, TAR_DIR, "etc", 0755, NULL, NULL);
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "etc/conf%02d", i);
		add(lw, TAR_REG, path, 0644, "some configuration\n", NULL);
	}
	free(big);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_timing(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct blob b;
	const char *v[1];
	static const enum snapshot_kind ks[] = { SNAPSHOT_OVERLAY, SNAPSHOT_COPY };

	make_blob(&f->st, layer_busybox, &b);
	must(snapshot_layer_ensure(&f->st, b.digest, b.diff_id, &err), &err);
	v[0] = b.diff_id;
	for (size_t k = 0; k < 2; k++) {
		double t0 = now_ms();
		int n = 20;

		for (int i = 0; i < n; i++) {
			struct snapshot *s;

			must(snapshot_new(&s, &f->st, ks[k], v, 1, &err), &err);
			snapshot_free(s);
		}
		fprintf(stderr, "# snapshot_new+free, busybox-sized layer, %s: %.2f ms\n",
			ks[k] == SNAPSHOT_OVERLAY ? "overlay" : "copy", (now_ms() - t0) / n);
	}
	check_no_snapshots(f);
}

static int must_fd(int fd)
{
	assert_true(fd >= 0);
	return fd;
}

/* rewrites an unpacked layer as a filesystem without whiteout devices or
 * user xattrs leaves it: ".wh." files for both, the note at the top */
static void to_files_form(int dirfd, bool top)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	struct stat self;
	char v[2];

	assert_non_null(d);
	assert_int_equal(fstat(dirfd, &self), 0);
	if (fgetxattr(dirfd, "user.overlay.opaque", v, sizeof(v)) == 1) {
		assert_int_equal(fremovexattr(dirfd, "user.overlay.opaque"), 0);
		close(must_fd(openat(dirfd, WHITEOUT_OPAQUE, O_WRONLY | O_CREAT | O_CLOEXEC, 0)));
	}
	if (top)
		close(must_fd(openat(dirfd, WHITEOUT_AS_FILES, O_WRONLY | O_CREAT | O_CLOEXEC, 0)));
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		assert_int_equal(fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			char *wh = xasprintf(".wh.%s", de->d_name);

			assert_int_equal(unlinkat(dirfd, de->d_name, 0), 0);
			close(must_fd(openat(dirfd, wh, O_WRONLY | O_CREAT | O_CLOEXEC, 0)));
			free(wh);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			assert_true(sub >= 0);
			to_files_form(sub, false);
			close(sub);
		}
	}
	closedir(d);
	/* as the extractor leaves it: times set after the entries */
	assert_int_equal(futimens(dirfd, (struct timespec[2]){ self.st_atim, self.st_mtim }), 0);
}

/* layers that keep whiteouts as files merge alike in a copy, and
 * overlayfs refuses them (auto then copies) */
static void test_whiteouts_as_files(void **state)
{
	struct fx *f = need(state);
	struct kerr err = KERR_INIT;
	struct snapshot *s = NULL;
	const char *v[3];

	for (int i = 0; i < 3; i++) {
		char *p = xasprintf("%s/store/" LAYERS "/%s", f->dir, f->b[i].diff_id + 7);
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		assert_true(fd >= 0);
		to_files_form(fd, true);
		close(fd);
		free(p);
	}
	must(snapshot_new(&s, &f->st, SNAPSHOT_COPY, ids_of(f, v), 3, &err), &err);
	check_merged(s);
	assert_false(exists_at(snapshot_rootfd(s), WHITEOUT_AS_FILES));
	snapshot_free(s);
	assert_int_equal(snapshot_new(&s, &f->st, SNAPSHOT_OVERLAY, ids_of(f, v), 3, &err), -1);
	assert_non_null(strstr(err.msg, "keeps its whiteouts as files"));
	kerr_clear(&err);
	must(snapshot_new(&s, &f->st, SNAPSHOT_AUTO, ids_of(f, v), 3, &err), &err);
	assert_int_equal(snapshot_kind_of(s), SNAPSHOT_COPY);
	check_merged(s);
	snapshot_free(s);
	check_no_snapshots(f);
}

static int setup_userns(void **state)
{
	userns_ok = enter_userns(userns_why, sizeof(userns_why)) == 0;
	if (!userns_ok)
		fprintf(stderr, "# no user namespace (%s): snapshot tests skipped\n", userns_why);
	return fx_setup(state);
}

static int group(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ensure),
		cmocka_unit_test(test_ensure_concurrent),
		cmocka_unit_test(test_overlay_merged),
		cmocka_unit_test(test_copy_merged),
		cmocka_unit_test(test_diff_same_bytes),
		cmocka_unit_test(test_diff_undone),
		cmocka_unit_test(test_owner_tables),
		cmocka_unit_test(test_overlay_mount2),
		cmocka_unit_test(test_scratch),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sweep_stale),
		cmocka_unit_test(test_sweep_new),
		cmocka_unit_test(test_sweep_killed),
		cmocka_unit_test(test_timing),
		/* last: it rewrites the fixture's layers */
		cmocka_unit_test(test_whiteouts_as_files),
	};

	return cmocka_run_group_tests_name("snapshot", tests, setup_userns, fx_teardown);
}

int main(void)
{
	umask(022);
	return run_in_child(group);
}
