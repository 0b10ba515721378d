/* test-owners.c: the owners an unpacked layer could not be given: the log
 * the extractor keeps (replacements, hardlinks), the table file (any path
 * bytes, damage refused), and what layer_extract_new leaves beside a layer
 * unpacked where only one id is mapped. */
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
#include <unistd.h>

#include "layer/extract.h"
#include "layer/owners.h"
#include "util/fs.h"
#include "readtest.h"
#include "layer/difftest.h"

/* the table as "path uid:gid" lines */
static char *dump(const struct layer_owners *t)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < t->n; i++)
		strbuf_addf(&sb, "%s %u:%u\n", t->v[i].path, (unsigned)t->v[i].uid,
			    (unsigned)t->v[i].gid);
	return strbuf_detach(&sb, NULL);
}

static void check_table(const struct layer_owners *t, const char *want)
{
	char *got = dump(t);

	assert_string_equal(got, want);
	free(got);
}

/* the last word per path counts; a link has its target's owner as it was
 * when the link was made, and keeps it when the target is replaced */
static void test_log(void **state)
{
	struct layer_owners t = LAYER_OWNERS_INIT;

	(void)state;
	layer_owners_refused(&t, "b", 1000, 1000);
	layer_owners_refused(&t, "a", 33, 33);
	layer_owners_link(&t, "a2", "a");
	layer_owners_link(&t, "a3", "a2");
	layer_owners_replaced(&t, "a");		/* a new "a", given its owner */
	layer_owners_replaced(&t, "b");
	layer_owners_refused(&t, "b", 7, 8);
	layer_owners_link(&t, "c", "a");	/* the new "a": nobody's */
	layer_owners_link(&t, "d", "nothing");
	layer_owners_refused(&t, "e", 1, 1);
	layer_owners_replaced(&t, "e");
	layer_owners_finish(&t);
	check_table(&t, "a2 33:33\na3 33:33\nb 7:8\n");
	assert_non_null(layer_owners_find(&t, "a3"));
	assert_null(layer_owners_find(&t, "a"));
	assert_null(layer_owners_find(&t, "c"));
	/* finished twice: the same */
	layer_owners_finish(&t);
	check_table(&t, "a2 33:33\na3 33:33\nb 7:8\n");
	layer_owners_clear(&t);
	layer_owners_finish(&t);
	assert_int_equal(t.n, 0);
}

static void test_file(void **state)
{
	static const char weird[] = "we ird/new\nline/\xff\xfe 7";
	struct layer_owners t = LAYER_OWNERS_INIT, back;
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	char *want;

	(void)state;
	layer_owners_refused(&t, weird, 4294967295u, 0);
	layer_owners_refused(&t, "etc/x", 1000, 42);
	layer_owners_finish(&t);
	assert_int_equal(layer_owners_store(&t, dfd, "abc", &err), 0);
	assert_int_equal(read_file_at(dfd, "abc.owners", &sb, 1 << 20, &err), 0);
	assert_int_equal(sb.len, strlen("kiln-owners 1\n1000 42 etc/x") + 1 +
			 strlen("4294967295 0 ") + strlen(weird) + 1);
	assert_memory_equal(sb.buf, "kiln-owners 1\n1000 42 etc/x\0", 28);
	strbuf_release(&sb);
	assert_int_equal(layer_owners_load(&back, dfd, "abc", &err), 0);
	want = dump(&t);
	check_table(&back, want);
	free(want);
	layer_owners_clear(&back);

	/* no table: no file, and none read */
	layer_owners_clear(&t);
	assert_int_equal(layer_owners_store(&t, dfd, "abc", &err), 0);
	assert_int_equal(faccessat(dfd, "abc.owners", F_OK, 0), -1);
	assert_int_equal(layer_owners_load(&back, dfd, "abc", &err), 0);
	assert_int_equal(back.n, 0);
	close(dfd);
	tmpdir_remove(dir);
}

static void bad(const char *buf, size_t len, const char *want)
{
	struct layer_owners t;
	struct kerr err = KERR_INIT;

	assert_int_equal(layer_owners_parse(&t, buf, len, "x.owners", &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("'%s' lacks '%s'", err.msg, want);
	assert_int_equal(t.n, 0);
	assert_null(t.v);
	kerr_clear(&err);
}

#define BAD(s, want) bad(s, sizeof(s) - 1, want)

static void test_damage(void **state)
{
	(void)state;
	BAD("", "not a kiln owners table");
	BAD("kiln-owners 2\n", "not a kiln owners table");
	BAD("kiln-owners 1\n1 1 a", "record 1 is cut short");
	BAD("kiln-owners 1\n1 1 b\0" "1 1 a\0", "record 2 is out of order");
	BAD("kiln-owners 1\n1 1 a\0" "1 1 a\0", "record 2 is out of order");
	BAD("kiln-owners 1\n4294967296 1 a\0", "bad record 1");
	BAD("kiln-owners 1\n-1 1 a\0", "bad record 1");
	BAD("kiln-owners 1\n1 x1 a\0", "bad record 1");
	BAD("kiln-owners 1\n1 1 \0", "bad record 1");
	BAD("kiln-owners 1\n1 1 /a\0", "bad record 1");
	BAD("kiln-owners 1\n1 1\0", "bad record 1");
}

/* ---- unpacked where only our own id is mapped ---- */

static char userns_why[256];
static bool userns_ok;

#define TABLE "chage 0:42\nhome/app 1000:1000\nhome/app/f 1000:1000\nhome/app/g 1000:1000\n" \
	"sym 7:7\n"

static void test_extract_single_id(void **state)
{
	struct strbuf tar = STRBUF_INIT;
	struct layer_extract_opts o = LAYER_EXTRACT_OPTS_INIT;
	struct layer_owners t = LAYER_OWNERS_INIT, back;
	struct kerr err = KERR_INIT;
	char *dir, *p;
	int dfd, fd;
	struct stat st;
	struct th h[] = {
		{ .path = "home", .type = TAR_DIR, .mode = 0755 },
		{ .path = "home/app", .type = TAR_DIR, .mode = 0750, .uid = 1000, .gid = 1000 },
		{ .path = "home/app/f", .mode = 0644, .uid = 1000, .gid = 1000, .data = "f", .len = 1 },
		{ .path = "home/app/g", .type = TAR_LINK, .link = "home/app/f" },
		{ .path = "chage", .mode = 02755, .gid = 42, .data = "c", .len = 1 },
		{ .path = "root-owned", .mode = 04755, .data = "r", .len = 1 },
		{ .path = "twice", .mode = 0644, .uid = 5, .gid = 5 },
		{ .path = "twice", .mode = 0644 },
		{ .path = "sym", .type = TAR_SYMLINK, .link = "chage", .uid = 7, .gid = 7 },
	};

	(void)state;
	if (!userns_ok)
		skip();
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		tb_add(&tar, &h[i]);
	tb_end(&tar);
	dir = tmpdir_make();
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	p = xasprintf("%s/layer.tar", dir);
	put_file(AT_FDCWD, p, "");
	fd = open(p, O_RDWR | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write_all(fd, tar.buf, tar.len), 0);
	lseek(fd, 0, SEEK_SET);
	o.mode = LAYER_OVERLAY;
	o.chown = 1;
	o.chown_lenient = 1;
	o.owners = &t;
	if (layer_extract_new(dfd, "l", fd, &o, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	check_table(&t, TABLE);
	/* on disk: ours, the setgid bit gone with the owner, root's kept */
	assert_int_equal(fstatat(dfd, "l/chage", &st, 0), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(fstatat(dfd, "l/root-owned", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	/* the table is beside the layer, as it was given */
	assert_int_equal(layer_owners_load(&back, dfd, "l", &err), 0);
	check_table(&back, TABLE);
	layer_owners_clear(&back);
	layer_owners_clear(&t);

	/* where nobody else can reach them, the bits stay */
	lseek(fd, 0, SEEK_SET);
	o.setid_private = 1;
	if (layer_extract_new(dfd, "p", fd, &o, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(fstatat(dfd, "p/chage", &st, 0), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 02755);
	check_table(&t, TABLE);
	layer_owners_clear(&back);
	layer_owners_clear(&t);
	close(fd);
	free(p);
	close(dfd);
	strbuf_release(&tar);
	tmpdir_remove(dir);
}

static int userns_group(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_single_id),
	};

	userns_ok = enter_userns(userns_why, sizeof(userns_why)) == 0;
	if (!userns_ok)
		fprintf(stderr, "# no user namespace (%s): extraction skipped\n", userns_why);
	return cmocka_run_group_tests_name("owners in a user namespace", tests, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_damage),
	};
	int r = cmocka_run_group_tests_name("owners", tests, NULL, NULL);

	umask(022);
	return r | run_in_child(userns_group);
}
