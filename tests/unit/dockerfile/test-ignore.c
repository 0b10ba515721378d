/* test-ignore.c: .dockerignore decisions agree with moby's patternmatcher as
 * BuildKit walks a context, and the right ignore file is the one read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerfile/ignore.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define K DF_IGNORE_KEEP
#define E DF_IGNORE_EXCLUDE
#define S DF_IGNORE_SKIP_DIR

struct ignore_case {
	const char *patterns;	/* the file's text */
	const char *path;
	bool is_dir;
	enum df_ignore_verdict want;
};

static const struct ignore_case cases[] = {
	/* '*' and '?' stay inside one name; the pattern spans the whole path */
	{ "*.go", "main.go", false, E },
	{ "*.go", "cmd/main.go", false, K },
	{ "*", "anything", false, E },
	{ "*", "dir/file", false, E },
	{ "*c", "abc", false, E },
	{ "a*/b", "abc/b", false, E },
	{ "a*/b", "a/c/b", false, K },
	{ "a*b*c*d*e*/f", "axbxcxdxe/f", false, E },
	{ "a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, K },
	{ "a*b?c*x", "abxbbxdbxebxczzx", false, E },
	{ "a*b?c*x", "abxbbxdbxebxczzy", false, K },
	{ "abc?def", "abcZdef", false, E },
	{ "abc?def", "abcdef", false, K },
	{ "a?b", "a/b", false, K },
	{ "a*b", "a/b", false, K },
	{ "a?b", "a\xe2\x98\xba" "b", false, E },
	{ "a???b", "a\xe2\x98\xba" "b", false, K },
	/* classes, ranges, negation, escapes inside */
	{ "a[b-d]e", "ace", false, E },
	{ "a[b-d]e", "aae", false, K },
	{ "a[b-d]e", "ae", false, K },
	{ "a[^b-d]e", "aze", false, E },
	{ "ab[^c]", "abc", false, K },
	{ "[a-\xce\xb6]*", "\xce\xb1", false, E },
	{ "*[a-\xce\xb6]", "A", false, K },
	{ "[\\]a]", "]", false, E },
	{ "[x\\-]", "-", false, E },
	{ "[x\\-]", "z", false, K },
	{ "[!a]x", "!x", false, E },
	/* moby's regexp lets a negated class match '/' */
	{ "a[^x]b", "a/b", false, E },
	/* "**": any number of directories, and moby's three short cuts */
	{ "**", "file", false, E },
	{ "**", "dir/file", false, E },
	{ "dir/**", "dir/file", false, E },
	{ "dir/**", "dir", true, K },
	{ "dir/**", "dir/dir2/file", false, E },
	{ "**/dir", "dir", true, S },
	{ "**/dir", "a/b/dir/file", false, E },
	{ "**/dir2/*", "dir/dir2/file", false, E },
	{ "**/dir2/*", "dir/dir3/file", false, K },
	{ "**/dir2/**", "dir/dir2/dir3/file", false, E },
	{ "**file", "dir/dir/file", false, E },
	{ "**/file*.txt", "dir/dir/file.txt", false, E },
	{ "**/**/*.txt2", "dir/dir/file.txt", false, K },
	{ "**/*.txt", "file.txt", false, E },
	{ "a**/*.txt", "a/dir/dir/file.txt", false, E },
	{ "abc/**", "abc/def/ghi", false, E },
	{ "abc**", "abcdef", false, E },
	{ "a**b", "axb", false, K },
	{ "a**b", "ax/b", false, E },
	{ "**/.foo", "bar.foo", false, K },
	{ "**/.foo", ".foo", false, E },
	{ "**]", "x]", false, K },
	/* regexp characters are literal, '\' escapes */
	{ "a\\*b", "a*b", false, E },
	{ "a\\*b", "axb", false, K },
	{ ".*", ".foo", false, E },
	{ ".*", "foo", false, K },
	{ "abc.def", "abcZdef", false, K },
	{ "a(b)c/def", "a(b)c/def", false, E },
	{ "a.|)$(}+{bc", "a.|)$(}+{bc", false, E },
	{ "dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false, E },
	{ "a^b*", "a^bc", false, E },
	/* cleaning: leading '/' and "./", trailing '/', "..", white space */
	{ "/foo", "foo", false, E },
	{ "./foo/", "foo/bar", false, E },
	{ "foo/../bar", "bar", false, E },
	{ "  foo\t ", "foo", false, E },
	{ "\n\n   \nfoo\n", "foo", false, E },
	{ "foo\r\nbar\r\n", "bar", false, E },
	{ "\xEF\xBB\xBF" "foo", "foo", false, E },
	/* comments only in the first column */
	{ "# foo\nbar", "# foo", false, K },
	{ " # foo", "# foo", false, E },
	{ "#*\n", "x", false, K },
	/* exceptions: the last matching pattern decides */
	{ "*.md\n!README.md", "README.md", false, K },
	{ "*.md\n!README.md", "CHANGES.md", false, E },
	{ "!README.md\n*.md", "README.md", false, E },
	{ "*\n! /keep", "keep", false, K },
	{ "*\n!!x", "!x", false, K },
	{ "docs\n!docs/README.md", "docs/README.md", false, K },
	{ "docs\n!docs/README.md", "docs/other.md", false, E },
	{ "docs/\n!docs/README.md", "docs/README.md", false, K },
	{ "docs/*\n!docs/README.md", "docs/README.md", false, K },
	{ "**\n!util/docker/web", "util/docker/web/foo", false, K },
	{ "**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", false, E },
	{ "**\n!dist/*.whl", "dist/x.whl", false, K },
	{ "*\n!src", "src/a/b.c", false, K },
	{ "*\n!src", "other/x", false, E },
	/* a directory's result carries to its entries (the walk's parent rule) */
	{ "foo/bar\n!foo", "foo/bar/baz", false, E },
	{ "foo\n!foo/bar\nfoo/bar/baz", "foo/bar/qux", false, K },
	{ "a/b\n!a/**", "a/b", true, K },
	/* directories that a walk may skip */
	{ "node_modules", "node_modules", true, S },
	{ "node_modules", "node_modules", false, E },
	{ "node_modules", "src/node_modules", true, K },
	{ "**/node_modules", "src/node_modules", true, S },
	{ "node_modules\n!node_modules/keep.js", "node_modules", true, E },
	{ "node_modules\n!node_modules/keep.js", "node_modules/keep.js", false, K },
	{ "node_modules\n!node_modules/keep.js", "node_modules/other", true, S },
	{ "node_modules\n!src/*.js", "node_modules", true, S },
	{ "node_modules\n!**/keep.js", "node_modules", true, E },
	{ "node_modules\n!*/keep.js", "node_modules", true, E },
	{ "node_modules\n!n*s/x", "node_modules", true, E },
	{ "node_modules\n!nope*/x", "node_modules", true, S },
	{ "node_modules\n!node_modules", "node_modules", true, K },
	{ "build\n![b]uild/keep", "build", true, E },
	{ "build\n![c]uild/keep", "build", true, S },
	{ "a/b\n!a/b/c/**", "a/b", true, E },
	{ "a/b\n!a/x/**", "a/b", true, S },
	{ "a\n!a**/x", "a", true, E },
	{ "*\n!*.md", "docs", true, S },
	/* the context root is never excluded */
	{ "*", ".", true, K },
	{ "**", "", true, K },
};

static struct df_ignore *parse(const char *text)
{
	struct df_ignore *ig = df_ignore_new();
	struct kerr err = KERR_INIT;

	if (df_ignore_parse(ig, text, strlen(text), ".dockerignore", &err) < 0)
		fail_msg("cannot parse '%s': %s", text, err.msg);
	return ig;
}

static const char *vname(enum df_ignore_verdict v)
{
	return v == K ? "keep" : v == E ? "exclude" : "skip-dir";
}

/* one table row as its own test, so a failure names the row */
static void test_case(void **state)
{
	const struct ignore_case *c = *state;
	struct df_ignore *ig = parse(c->patterns);
	enum df_ignore_verdict got = df_ignore_match(ig, c->path, c->is_dir);

	df_ignore_free(ig);
	if (got != c->want)
		fail_msg("patterns '%s', %s '%s': %s, want %s", c->patterns,
			 c->is_dir ? "dir" : "file", c->path, vname(got), vname(c->want));
}

/* The walk API gives what the one-shot query gives, over a small tree. */
static void test_walk(void **state)
{
	static const char *const tree[][2] = {
		{ "a", "d" }, { "a/b", "d" }, { "a/b/c.txt", "f" }, { "a/b/keep.md", "f" },
		{ "a/x.md", "f" }, { "node_modules", "d" }, { "node_modules/m", "d" },
		{ "node_modules/m/i.js", "f" }, { "src", "d" }, { "src/main.go", "f" },
		{ "src/main_test.go", "f" },
	};
	struct df_ignore *ig = parse("a\n!a/**/*.md\na/b/keep*\nnode_modules\n*_test.go\n"
				     "**/*_test.go\n");
	size_t sz = df_ignore_state_size(ig), n = sizeof(tree) / sizeof(tree[0]);
	unsigned char *states = xcalloc(n, sz);

	(void)state;
	assert_int_equal(df_ignore_count(ig), 6);
	assert_true(df_ignore_has_exceptions(ig));
	assert_null(df_ignore_source(ig));
	for (size_t i = 0; i < n; i++) {
		const char *path = tree[i][0];
		bool dir = tree[i][1][0] == 'd';
		const char *sl = strrchr(path, '/');
		const unsigned char *parent = NULL;
		enum df_ignore_verdict v;

		if (sl) {
			for (size_t j = 0; j < i; j++)
				if (strlen(tree[j][0]) == (size_t)(sl - path) &&
				    !strncmp(tree[j][0], path, (size_t)(sl - path)))
					parent = states + j * sz;
			assert_non_null(parent);
		}
		v = df_ignore_check(ig, path, dir, parent, dir ? states + i * sz : NULL);
		if (v != df_ignore_match(ig, path, dir))
			fail_msg("'%s': walk says %s, one-shot %s", path, vname(v),
				 vname(df_ignore_match(ig, path, dir)));
	}
	assert_int_equal(df_ignore_match(ig, "a", true), E);
	assert_int_equal(df_ignore_match(ig, "a/x.md", false), K);
	assert_int_equal(df_ignore_match(ig, "a/b/keep.md", false), E);
	assert_int_equal(df_ignore_match(ig, "a/b/c.txt", false), E);
	assert_int_equal(df_ignore_match(ig, "node_modules", true), S);
	assert_int_equal(df_ignore_match(ig, "node_modules/m", true), S);
	assert_int_equal(df_ignore_match(ig, "src/main.go", false), K);
	assert_int_equal(df_ignore_match(ig, "src/main_test.go", false), E);
	/* paths are cleaned before matching */
	assert_int_equal(df_ignore_match(ig, "./src//main_test.go", false), E);
	assert_int_equal(df_ignore_match(ig, "/node_modules/", true), S);
	free(states);
	df_ignore_free(ig);
}

static void check_bad_n(const char *text, size_t len, const char *want)
{
	struct df_ignore *ig = df_ignore_new();
	struct kerr err = KERR_INIT;

	if (df_ignore_parse(ig, text, len, ".dockerignore", &err) == 0)
		fail_msg("'%s' parsed, want an error", text);
	assert_int_equal(err.kind, KERR_INPUT);
	if (strcmp(err.msg, want))
		fail_msg("'%s' failed with '%s', want '%s'", text, err.msg, want);
	kerr_clear(&err);
	df_ignore_free(ig);
}

static void check_bad(const char *text, const char *want)
{
	check_bad_n(text, strlen(text), want);
}

static void test_errors(void **state)
{
	(void)state;
	check_bad("ok\n!", ".dockerignore:2: illegal exclusion pattern '!'");
	check_bad("! ", ".dockerignore:1: illegal exclusion pattern '!'");
	check_bad("!/", ".dockerignore:1: illegal exclusion pattern '!'");
	check_bad("[", ".dockerignore:1: bad pattern '[': unclosed '['");
	check_bad("a\n\na[", ".dockerignore:3: bad pattern 'a[': unclosed '['");
	check_bad("[^bc", ".dockerignore:1: bad pattern '[^bc': unclosed '['");
	check_bad("foo\\", ".dockerignore:1: bad pattern 'foo\\': '\\' at the end");
	check_bad("[]a]", ".dockerignore:1: bad pattern '[]a]': ']' in a class needs a '\\'");
	check_bad("[-]", ".dockerignore:1: bad pattern '[-]': '-' in a class needs a '\\'");
	check_bad("[x-]", ".dockerignore:1: bad pattern '[x-]': ']' in a class needs a '\\'");
	check_bad("[a-b-c]", ".dockerignore:1: bad pattern '[a-b-c]': '-' in a class needs a '\\'");
	check_bad("[z-a]", ".dockerignore:1: bad pattern '[z-a]': range out of order in '[...]'");
	check_bad_n("ok\nx\0y", 6, ".dockerignore:2: NUL byte in a pattern");
}

static void test_add_and_keep(void **state)
{
	struct df_ignore *ig = df_ignore_new();
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(df_ignore_add(ig, "*", &err), 0);
	assert_int_equal(df_ignore_add(ig, "# comment", &err), 0);
	assert_int_equal(df_ignore_add(ig, "   ", &err), 0);
	assert_int_equal(df_ignore_add(ig, "sub", &err), 0);
	assert_int_equal(df_ignore_count(ig), 2);
	assert_false(df_ignore_has_exceptions(ig));
	assert_int_equal(df_ignore_match(ig, "Dockerfile", false), E);
	assert_int_equal(df_ignore_match(ig, "sub", true), S);

	/* docker's rule: the Dockerfile and the ignore file are still sent */
	df_ignore_keep(ig, "Dockerfile");
	df_ignore_keep(ig, ".dockerignore");
	df_ignore_keep(ig, "sub/dir/Docker*file[1]");
	assert_int_equal(df_ignore_count(ig), 5);
	assert_true(df_ignore_has_exceptions(ig));
	assert_int_equal(df_ignore_match(ig, "Dockerfile", false), K);
	assert_int_equal(df_ignore_match(ig, ".dockerignore", false), K);
	assert_int_equal(df_ignore_match(ig, "sub/dir/Docker*file[1]", false), K);
	/* the name is literal, not a pattern */
	assert_int_equal(df_ignore_match(ig, "sub/dir/Dockerxfile1", false), E);
	assert_int_equal(df_ignore_match(ig, "sub", true), E);
	assert_int_equal(df_ignore_match(ig, "sub/other", true), S);
	assert_int_equal(df_ignore_match(ig, "other", false), E);
	/* kept already: nothing added */
	df_ignore_keep(ig, "./Dockerfile");
	assert_int_equal(df_ignore_count(ig), 5);
	df_ignore_free(ig);
}

/* ---- which file is read ---- */

static char *tmpdir;

static int make_tmpdir(void **state)
{
	char tmpl[] = "/tmp/kiln-test-ignore.XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	tmpdir = xstrdup(tmpl);
	return 0;
}

static int remove_tmpdir(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int r = system(cmd);

	(void)state;
	free(cmd);
	free(tmpdir);
	return r == 0 ? 0 : -1;
}

static void put(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, rel);
	char *dir = xstrdup(path);
	struct kerr err = KERR_INIT;
	FILE *f;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(dir);
	free(path);
}

static void gone(const char *rel)
{
	char *path = xasprintf("%s/%s", tmpdir, rel);

	assert_int_equal(unlink(path), 0);
	free(path);
}

/* loads with context tmpdir/ctx and the Dockerfile at tmpdir/<df> */
static struct df_ignore *load(const char *df)
{
	char *ctx = xasprintf("%s/ctx", tmpdir);
	char *dfpath = df ? xasprintf("%s/%s", tmpdir, df) : NULL;
	struct df_ignore *ig = NULL;
	struct kerr err = KERR_INIT;

	if (df_ignore_load(ctx, dfpath, &ig, &err) < 0)
		fail_msg("load: %s", err.msg);
	free(ctx);
	free(dfpath);
	return ig;
}

static void check_source(const struct df_ignore *ig, const char *rel)
{
	char *want;

	if (!rel) {
		assert_null(df_ignore_source(ig));
		return;
	}
	want = xasprintf("%s/%s", tmpdir, rel);
	assert_non_null(df_ignore_source(ig));
	assert_string_equal(df_ignore_source(ig), want);
	free(want);
}

static void test_load(void **state)
{
	struct df_ignore *ig;

	(void)state;
	put("ctx/Dockerfile", "FROM scratch\n");
	put("ctx/src/x", "");

	/* nothing to read */
	ig = load("ctx/Dockerfile");
	check_source(ig, NULL);
	assert_int_equal(df_ignore_count(ig), 0);
	assert_int_equal(df_ignore_match(ig, "src/x", false), K);
	df_ignore_free(ig);

	/* the context's .dockerignore */
	put("ctx/.dockerignore", "# root\nsrc\n");
	ig = load("ctx/Dockerfile");
	check_source(ig, "ctx/.dockerignore");
	assert_int_equal(df_ignore_match(ig, "src", true), S);
	df_ignore_free(ig);

	/* a Dockerfile read from stdin has no name of its own */
	ig = load(NULL);
	check_source(ig, "ctx/.dockerignore");
	df_ignore_free(ig);

	/* <Dockerfile>.dockerignore next to the Dockerfile wins */
	put("ctx/Dockerfile.dockerignore", "*.md\n");
	ig = load("ctx/Dockerfile");
	check_source(ig, "ctx/Dockerfile.dockerignore");
	assert_int_equal(df_ignore_count(ig), 1);
	assert_int_equal(df_ignore_match(ig, "src", true), K);
	assert_int_equal(df_ignore_match(ig, "README.md", false), E);
	df_ignore_free(ig);

	/* ... even when empty */
	put("ctx/Dockerfile.dockerignore", "");
	ig = load("ctx/Dockerfile");
	check_source(ig, "ctx/Dockerfile.dockerignore");
	assert_int_equal(df_ignore_count(ig), 0);
	df_ignore_free(ig);
	gone("ctx/Dockerfile.dockerignore");

	/* the full file name, for a Dockerfile elsewhere and named otherwise */
	put("ci/app.Dockerfile", "FROM scratch\n");
	ig = load("ci/app.Dockerfile");
	check_source(ig, "ctx/.dockerignore");
	df_ignore_free(ig);
	put("ci/app.Dockerfile.dockerignore", "!src\n");
	put("ci/app.dockerignore", "nope\n");
	put("ci/.dockerignore", "nope\n");
	ig = load("ci/app.Dockerfile");
	check_source(ig, "ci/app.Dockerfile.dockerignore");
	assert_true(df_ignore_has_exceptions(ig));
	df_ignore_free(ig);

	/* a Dockerfile in a directory that does not exist is no error here */
	ig = load("missing/Dockerfile");
	check_source(ig, "ctx/.dockerignore");
	df_ignore_free(ig);
}

static void test_load_errors(void **state)
{
	char *ctx = xasprintf("%s/bad", tmpdir);
	char *want;
	struct df_ignore *ig = NULL;
	struct kerr err = KERR_INIT;

	(void)state;
	put("bad/.dockerignore", "ok\n\n[oops\n");
	assert_int_equal(df_ignore_load(ctx, NULL, &ig, &err), -1);
	assert_null(ig);
	want = xasprintf("%s/.dockerignore:3: bad pattern '[oops': unclosed '['", ctx);
	assert_string_equal(err.msg, want);
	free(want);
	kerr_clear(&err);

	/* a directory where the file should be */
	gone("bad/.dockerignore");
	want = xasprintf("%s/.dockerignore", ctx);
	assert_int_equal(mkdir(want, 0755), 0);
	assert_int_equal(df_ignore_load(ctx, NULL, &ig, &err), -1);
	assert_non_null(strstr(err.msg, want));
	kerr_clear(&err);
	free(want);
	free(ctx);
}

int main(void)
{
	static const struct CMUnitTest own[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_add_and_keep),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_errors),
	};
	size_t nown = sizeof(own) / sizeof(own[0]), ncases = sizeof(cases) / sizeof(cases[0]);
	struct CMUnitTest *tests = xcalloc(nown + ncases, sizeof(*tests));
	char **names = xcalloc(ncases, sizeof(*names));
	int rc;

	memcpy(tests, own, sizeof(own));
	for (size_t i = 0; i < ncases; i++) {
		const struct ignore_case *c = &cases[i];

		/* one line per test in TAP: newlines of the pattern text as '|' */
		names[i] = xasprintf("case %zu: '%s' %s '%s'", i + 1, c->patterns,
				     c->is_dir ? "dir" : "file", c->path);
		for (char *n = names[i]; *n; n++)
			if (*n == '\n' || *n == '\r')
				*n = '|';
		tests[nown + i] = (struct CMUnitTest){ names[i], test_case, NULL, NULL,
						       (void *)c };
	}
	rc = _cmocka_run_group_tests("ignore", tests, nown + ncases, make_tmpdir, remove_tmpdir);
	for (size_t i = 0; i < ncases; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
