/* test-shell.c: word expansion agrees with BuildKit line for line on its own
 * conformance files, plus the cases those files do not reach. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/shell.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* ---- cases of our own ---- */

static const char *const base_vars[] = {
	"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL=",
};

static char *expand_ok(const char *in, char esc, const struct df_env *env)
{
	struct kerr err = KERR_INIT;
	char *out = NULL;

	if (df_expand_word(in, esc, env, &out, &err) < 0)
		fail_msg("'%s' failed: %s", in, err.msg);
	kerr_clear(&err);
	return out;
}

static void check_word(const char *in, char esc, const struct df_env *env, const char *want)
{
	char *out = expand_ok(in, esc, env);

	if (strcmp(out, want))
		fail_msg("'%s' gave '%s', want '%s'", in, out, want);
	free(out);
}

/* the error message, which the caller frees; fails the test on success */
static char *expand_err(const char *in, char esc, const struct df_env *env)
{
	struct kerr err = KERR_INIT;
	char *out = NULL;

	if (df_expand_word(in, esc, env, &out, &err) == 0)
		fail_msg("'%s' gave '%s', want an error", in, out);
	assert_non_null(err.msg);
	assert_int_equal(err.kind, KERR_INPUT);
	return err.msg;
}

static void check_err(const char *in, const struct df_env *env, const char *want)
{
	char *msg = expand_err(in, '\\', env);

	if (strcmp(msg, want))
		fail_msg("'%s' failed with '%s', want '%s'", in, msg, want);
	free(msg);
}

static void test_backtick_escape(void **state)
{
	struct df_env env = { base_vars, 4, NULL, NULL, NULL };

	(void)state;
	check_word("he`$PWD", '`', &env, "he$PWD");
	check_word("he``$PWD", '`', &env, "he`/home");
	check_word("C:\\dir\\$SHELL", '`', &env, "C:\\dir\\bash");
	check_word("\"C:\\dir`\"x`\"\"", '`', &env, "C:\\dir\"x\"");
	check_word("\"a`b\"", '`', &env, "a`b");
	check_word("hello`", '`', &env, "hello");
	check_word("a` b", '`', &env, "a b");
	check_word("'`$PWD'", '`', &env, "`$PWD");
	/* patterns take the escape raw; BuildKit's pattern escape is '\' */
	check_word("${SHELL#\\*}", '`', &env, "bash");
}

static void test_words_backtick(void **state)
{
	struct strvec sv = STRVEC_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(df_expand_words("a` b c`  d", '`', NULL, &sv, &err), 0);
	assert_int_equal(sv.n, 3);
	assert_string_equal(sv.v[0], "a b");
	assert_string_equal(sv.v[1], "c ");
	assert_string_equal(sv.v[2], "d");
	strvec_clear(&sv);
}

static void test_used(void **state)
{
	static const char *const vars[] = { "A=1", "B=2", "E=" };
	struct df_used used = DF_USED_INIT;
	struct df_env env = { vars, 3, NULL, NULL, &used };
	char *out;

	(void)state;
	out = expand_ok("${A:-$B} $C ${E-x} $A '$D' \"$F\" \\$G", '\\', &env);
	assert_string_equal(out, "1   1 $D  $G");
	free(out);
	/* the default's B is looked up before A, and every name once */
	assert_int_equal(used.set.n, 3);
	assert_string_equal(used.set.v[0], "B");
	assert_string_equal(used.set.v[1], "A");
	assert_string_equal(used.set.v[2], "E");
	assert_int_equal(used.unset.n, 2);
	assert_string_equal(used.unset.v[0], "C");
	assert_string_equal(used.unset.v[1], "F");
	assert_true(df_used_has(&used, "A"));
	assert_false(df_used_has(&used, "C"));
	assert_false(df_used_has(&used, "D"));

	/* collects across calls */
	out = expand_ok("${Z:+x}${A}", '\\', &env);
	free(out);
	assert_int_equal(used.set.n, 3);
	assert_int_equal(used.unset.n, 3);
	assert_string_equal(used.unset.v[2], "Z");
	df_used_clear(&used);
	assert_int_equal(used.set.n, 0);
}

static const char *lookup_cb(void *ctx, const char *name)
{
	(*(int *)ctx)++;
	if (!strcmp(name, "CB"))
		return "from-callback";
	if (!strcmp(name, "EMPTY"))
		return "";
	return NULL;
}

static void test_env_lookup(void **state)
{
	static const char *const vars[] = { "X=1", "X=2", "FLAG", "CB=list" };
	struct strvec sv = STRVEC_INIT;
	int calls = 0;
	struct df_env env = { vars, 3, lookup_cb, &calls, NULL };

	(void)state;
	/* later entries win; a bare name is set and empty */
	assert_string_equal(df_env_get(&env, "X"), "2");
	assert_string_equal(df_env_get(&env, "FLAG"), "");
	assert_int_equal(calls, 0);
	/* CB is past nvars, so the callback answers */
	assert_string_equal(df_env_get(&env, "CB"), "from-callback");
	assert_null(df_env_get(&env, "NOPE"));
	assert_null(df_env_get(&env, "X2"));
	assert_null(df_env_get(NULL, "X"));
	check_word("${FLAG-unset}${EMPTY-unset}${NOPE-unset}", '\\', &env, "unset");
	check_word("${FLAG:-d1}${EMPTY:-d2}", '\\', &env, "d1d2");

	strvec_push(&sv, "K=v w");
	{
		struct df_env senv = DF_ENV_STRVEC(&sv);

		check_word("$K", '\\', &senv, "v w");
	}
	strvec_clear(&sv);
}

/* from BuildKit's own unit tests of ${X#p}, ${X%p} and ${X/p/r} */
static void test_patterns(void **state)
{
	static const char *const vars[] = {
		"FOO=xxyy", "BAR=x", "EMPTY=", "STARS=a***yy*", "XX=xx**",
		"SPECIAL=()[]{}^$.*?|\\x", "Q=???y", "F1=/foo*/*/*.txt", "N1=\\*/",
		"F2=/tmp/tmp/bar.txt", "N2=/tmp", "F3=/a/foo/b/c.txt", "N3=/?/", "R3=/",
		"URL=http://google.de", "F4=/tmp/foo.txt", "NL=a\nb", "K=한국어한",
	};
	struct df_env env = { vars, sizeof(vars) / sizeof(vars[0]), NULL, NULL, NULL };

	(void)state;
	check_word("${FOO#*x*y}", '\\', &env, "y");
	check_word("${FOO#*}", '\\', &env, "xxyy");
	check_word("${FOO#$BAR}", '\\', &env, "xyy");
	check_word("${FOO#$EMPTY}", '\\', &env, "xxyy");
	check_word("${FOO#}", '\\', &env, "xxyy");
	check_word("${FOO##*x}", '\\', &env, "yy");
	check_word("${FOO##}", '\\', &env, "xxyy");
	check_word("${Q#?\\?}", '\\', &env, "?y");
	check_word("${ABC:-.}${FOO%x}${ABC:-.}", '\\', &env, ".xxyy.");
	check_word("${FOO%y}", '\\', &env, "xxy");
	check_word("${FOO%%y*}", '\\', &env, "xx");
	check_word("${FOO%y*}", '\\', &env, "xxy");
	check_word("${XX%%\\**}", '\\', &env, "xx");
	check_word("${STARS%%\\**\\*}", '\\', &env, "a");
	check_word("${FOO%}", '\\', &env, "xxyy");
	check_word("${FOO%%$EMPTY}", '\\', &env, "xxyy");
	check_word("${SPECIAL#()[]{\\}^$.\\*\\?|\\\\}", '\\', &env, "x");
	check_word("${F1/$N1/.} - ${F1//$N1/.}", '\\', &env, "/foo.*/*.txt - /foo..*.txt");
	check_word("${F2/$N2/} - ${F2//$N2/}", '\\', &env, "/tmp/bar.txt - /bar.txt");
	check_word("${F3/$N3/$R3} - ${F3//$N3/$R3}", '\\', &env, "/foo/b/c.txt - /foo/c.txt");
	check_word("${URL/http:\\/\\//https://}", '\\', &env, "https://google.de");
	/* BuildKit keeps the escape in the replacement */
	check_word("${F4//\\//\\/}", '\\', &env, "\\/tmp\\/foo.txt");
	check_word("${FOO/$EMPTY/ww}", '\\', &env, "wwxxyy");
	check_word("${FOO///}", '\\', &env, "xxyy");
	check_word("${UNSET///}", '\\', &env, "");
	check_word("${FOO//y/-}", '\\', &env, "xx--");
	check_word("${FOO//*/-}", '\\', &env, "-");
	check_word("${FOO/x*/-}", '\\', &env, "-");
	check_word("${FOO//?/.}", '\\', &env, "....");
	/* ReplaceAllString expands $0 in the replacement to the match */
	check_word("${FOO//y/<\\$0>}", '\\', &env, "xx<\\y><\\y>");
	/* Go's '.' stops at a newline */
	check_word("${NL#*b}", '\\', &env, "a\nb");
	check_word("${NL//?/.}", '\\', &env, ".\n.");
	/* runes, not bytes */
	check_word("${K#?}", '\\', &env, "국어한");
	check_word("${K%?}", '\\', &env, "한국어");
	check_word("${K%%한*}", '\\', &env, "");
	check_word("${K%한*}", '\\', &env, "한국어");
	check_word("${K/국?/-}", '\\', &env, "한-한");
}

static void test_errors(void **state)
{
	static const char *const vars[] = { "SET=x", "EMPTY=" };
	struct df_env env = { vars, 2, NULL, NULL, NULL };

	(void)state;
	check_err("a'b", &env, "cannot expand 'a'b': unterminated single quote");
	check_err("a\"b", &env, "cannot expand 'a\"b': unterminated double quote");
	check_err("x${}", &env, "cannot expand 'x${}': bad substitution: no variable name after '${'");
	check_err("${SET", &env, "cannot expand '${SET': missing '}'");
	check_err("${SET:-x", &env, "cannot expand '${SET:-x': missing '}'");
	check_err("${SET:-\"x}", &env, "cannot expand '${SET:-\"x}': missing '}'");
	check_err("${SET:=y}z", &env,
		  "cannot expand '${SET:=y}z': unsupported modifier ':=' in '${SET:=y}'");
	check_err("a${SET^^}", &env,
		  "cannot expand 'a${SET^^}': unsupported modifier '^' in '${SET^^}'");
	check_err("${UNSET?}", &env, "cannot expand '${UNSET?}': 'UNSET' is not allowed to be unset");
	check_err("${EMPTY:?}", &env,
		  "cannot expand '${EMPTY:?}': 'EMPTY' is not allowed to be empty");
	check_err("${UNSET:?set it with --build-arg}", &env,
		  "cannot expand '${UNSET:?set it with --build-arg}': UNSET: set it with --build-arg");
	check_err("${SET//x}", &env, "cannot expand '${SET//x}': missing '/'");
	check_err("${SET#\\x}", &env,
		  "cannot expand '${SET#\\x}': invalid escape '\\x' in pattern '\\x'");
	/* ${X:?} tells empty from unset, ${X?} only unset */
	check_word("${EMPTY?}", '\\', &env, "");
}

static void test_words_edges(void **state)
{
	static const char *const vars[] = { "V=a  b", "TAB=x\ty", "NB=p\xc2\xa0q" };
	struct df_env env = { vars, 3, NULL, NULL, NULL };
	struct strvec sv = STRVEC_INIT;
	struct kerr err = KERR_INIT;

	(void)state;
	strvec_push(&sv, "kept");
	assert_int_equal(df_expand_words("  $V \"\" '' \"$V\" ${V:+\"c d\"} $TAB $NB", '\\', &env,
					 &sv, &err), 0);
	/* an empty quoted word yields nothing; expansions split at any Unicode space */
	assert_int_equal(sv.n, 10);
	assert_string_equal(sv.v[0], "kept");
	assert_string_equal(sv.v[1], "a");
	assert_string_equal(sv.v[2], "b");
	assert_string_equal(sv.v[3], "a  b");
	assert_string_equal(sv.v[4], "c");
	assert_string_equal(sv.v[5], "d");
	assert_string_equal(sv.v[6], "x");
	assert_string_equal(sv.v[7], "y");
	assert_string_equal(sv.v[8], "p");
	assert_string_equal(sv.v[9], "q");
	/* a failure leaves the vector as it was */
	assert_int_equal(df_expand_words("ok 'broken", '\\', &env, &sv, &err), -1);
	assert_int_equal(sv.n, 10);
	assert_null(sv.v[10]);
	kerr_clear(&err);
	strvec_clear(&sv);
}

/* ---- BuildKit's conformance files, one test per line ---- */

struct conf_case {
	char *file;
	int line;
	char *input;
	char *expected;		/* envVarTest: the word or "error" */
	struct strvec want;	/* wordsTest: the expected words */
	struct strvec env;	/* wordsTest: ENV lines above this one */
};

static void conf_case_free(struct conf_case *c)
{
	free(c->file);
	free(c->input);
	free(c->expected);
	strvec_clear(&c->want);
	strvec_clear(&c->env);
	free(c);
}

static void test_env_var_line(void **state)
{
	const struct conf_case *c = *state;
	struct df_env env = { base_vars, 4, NULL, NULL, NULL };
	struct kerr err = KERR_INIT;
	char *out = NULL;
	int r;

	r = df_expand_word(c->input, '\\', &env, &out, &err);
	if (!strcmp(c->expected, "error")) {
		if (r == 0)
			fail_msg("%s:%d: '%s' gave '%s', want an error", c->file, c->line,
				 c->input, out);
	} else if (r < 0) {
		fail_msg("%s:%d: %s", c->file, c->line, err.msg);
	} else if (strcmp(out, c->expected)) {
		fail_msg("%s:%d: '%s' gave '%s', want '%s'", c->file, c->line, c->input,
			 out, c->expected);
	}
	free(out);
	kerr_clear(&err);
}

static void test_words_line(void **state)
{
	const struct conf_case *c = *state;
	struct df_env env = DF_ENV_STRVEC(&c->env);
	struct strvec got = STRVEC_INIT;
	struct strbuf gs = STRBUF_INIT, ws = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	if (df_expand_words(c->input, '\\', &env, &got, &err) < 0)
		strvec_push(&got, "error");
	for (size_t i = 0; i < got.n; i++)
		strbuf_addf(&gs, "%s[%s]", i ? "," : "", got.v[i]);
	for (size_t i = 0; i < c->want.n; i++)
		strbuf_addf(&ws, "%s[%s]", i ? "," : "", c->want.v[i]);
	if (strcmp(gs.buf, ws.buf))
		fail_msg("%s:%d: '%s' gave %s, want %s", c->file, c->line, c->input, gs.buf,
			 ws.buf);
	strvec_clear(&got);
	strbuf_release(&gs);
	strbuf_release(&ws);
	kerr_clear(&err);
}

static char *trim(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* outside any test, so no cmocka assertion: the data itself is wrong */
static void malformed(const char *path, int line)
{
	fprintf(stderr, "%s:%d: malformed conformance line\n", path, line);
	exit(1);
}

struct suite {
	struct CMUnitTest *t;
	size_t n, alloc;
	struct strvec names;
};

static void suite_add(struct suite *s, const char *name, CMUnitTestFunction fn, void *state)
{
	s->t = xgrow(s->t, sizeof(*s->t), s->n + 1, &s->alloc);
	strvec_push(&s->names, name);
	s->t[s->n++] = (struct CMUnitTest){ s->names.v[s->names.n - 1], fn, NULL, NULL, state };
}

/* envVarTest: "PLATFORM|input|expected", W lines are Windows-only */
static int load_env_var_test(struct suite *s, const char *dir)
{
	char *path = xasprintf("%s/shell/envVarTest", dir);
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, added = 0;

	if (!f) {
		free(path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct strvec fields = STRVEC_INIT;
		char *t, *plat;
		struct conf_case *c;

		lineno++;
		if (line[0] == '#')
			continue;
		t = trim(line, (size_t)len);
		if (!*t) {
			free(t);
			continue;
		}
		strvec_split(&fields, t, '|');
		free(t);
		if (fields.n != 3)
			malformed(path, lineno);
		plat = trim(fields.v[0], strlen(fields.v[0]));
		if (strcmp(plat, "A") && strcmp(plat, "U") && strcmp(plat, "W"))
			malformed(path, lineno);
		if (strcmp(plat, "W")) {
			char *name;

			c = xcalloc(1, sizeof(*c));
			c->file = xstrdup("envVarTest");
			c->line = lineno;
			c->input = trim(fields.v[1], strlen(fields.v[1]));
			c->expected = trim(fields.v[2], strlen(fields.v[2]));
			name = xasprintf("envVarTest:%d %s", lineno, c->input);
			suite_add(s, name, test_env_var_line, c);
			free(name);
			added++;
		}
		free(plat);
		strvec_clear(&fields);
	}
	free(line);
	fclose(f);
	free(path);
	return added;
}

/* wordsTest: "input | a,b,c" after "ENV k=v" lines; trailing spaces count */
static int load_words_test(struct suite *s, const char *dir)
{
	char *path = xasprintf("%s/shell/wordsTest", dir);
	FILE *f = fopen(path, "r");
	struct strvec env = STRVEC_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, added = 0;

	if (!f) {
		free(path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct strvec fields = STRVEC_INIT;
		struct conf_case *c;
		const char *exp;
		char *name;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#')
			continue;
		if (!strncmp(line, "ENV ", 4)) {
			const char *v = line + 3;

			while (*v == ' ')
				v++;
			strvec_push(&env, v);
			continue;
		}
		strvec_split(&fields, line, '|');
		if (fields.n != 2)
			malformed(path, lineno);
		c = xcalloc(1, sizeof(*c));
		c->file = xstrdup("wordsTest");
		c->line = lineno;
		c->input = trim(fields.v[0], strlen(fields.v[0]));
		for (exp = fields.v[1]; *exp == ' '; exp++)
			;
		strvec_split(&c->want, exp, ',');
		for (size_t i = 0; i < env.n; i++)
			strvec_push(&c->env, env.v[i]);
		name = xasprintf("wordsTest:%d %s", lineno, c->input);
		suite_add(s, name, test_words_line, c);
		free(name);
		strvec_clear(&fields);
		added++;
	}
	free(line);
	fclose(f);
	free(path);
	strvec_clear(&env);
	return added;
}

static void test_conformance_missing(void **state)
{
	const char *dir = *state;

	if (dir)
		print_message("# no BuildKit conformance data in '%s'\n", dir);
	else
		print_message("# no BuildKit conformance data: set KILN_CONFORMANCE or KILN_SRCTREE\n");
	skip();
}

static char *conformance_dir(void)
{
	const char *d = getenv("KILN_CONFORMANCE"), *src;

	if (d && *d)
		return xstrdup(d);
	src = getenv("KILN_SRCTREE");
	if (src && *src)
		return xasprintf("%s/../shared/conformance/buildkit", src);
	return NULL;
}

int main(void)
{
	static const struct CMUnitTest own[] = {
		cmocka_unit_test(test_backtick_escape),
		cmocka_unit_test(test_words_backtick),
		cmocka_unit_test(test_used),
		cmocka_unit_test(test_env_lookup),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_words_edges),
	};
	struct suite s = { NULL, 0, 0, STRVEC_INIT };
	char *dir = conformance_dir();
	size_t nown = sizeof(own) / sizeof(own[0]);
	int env_cases = -1, word_cases = -1, rc;

	for (size_t i = 0; i < nown; i++)
		suite_add(&s, own[i].name, own[i].test_func, NULL);
	if (dir) {
		env_cases = load_env_var_test(&s, dir);
		if (env_cases >= 0)
			word_cases = load_words_test(&s, dir);
	}
	if (env_cases < 0 || word_cases < 0)
		suite_add(&s, "conformance files", test_conformance_missing, dir);
	else
		print_message("# conformance: %d envVarTest lines, %d wordsTest lines from %s\n",
			      env_cases, word_cases, dir);

	rc = _cmocka_run_group_tests("shell", s.t, s.n, NULL, NULL);

	for (size_t i = nown; i < s.n; i++)
		if (s.t[i].test_func != test_conformance_missing)
			conf_case_free(s.t[i].initial_state);
	free(s.t);
	strvec_clear(&s.names);
	free(dir);
	return rc;
}
