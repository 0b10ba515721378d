/* test-opt.c: the option parser: every option type, short bundles, "--x=v"
 * and "--x v", "--", operands between options, and the error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/opt.h"
#include "util/strvec.h"
#include "testutil.h"

#define MAX_ARGS 32

/* what the options of one parse wrote */
static struct values {
	int quiet, verbose, num, debug, hook_calls, hook_fail;
	const char *tag;
	struct strvec env;
	struct strvec cb_args;	/* "(null)" for a flag without value */
} vals;

/* argv as a command gets it: writable strings, NULL after the last */
static struct args {
	int argc;
	char *argv[MAX_ARGS + 1];
	char *owned[MAX_ARGS];
} args;

static int record(const struct opt *o, const char *arg, struct kerr *err)
{
	(void)err;
	strvec_pushf(&vals.cb_args, "%s=%s", o->long_name, arg ? arg : "(null)");
	return 0;
}

static int refuse(const struct opt *o, const char *arg, struct kerr *err)
{
	(void)o;
	return kerr_input(err, "'%s' is not a platform", arg);
}

static const struct opt opts[] = {
	OPT_BOOL_('q', "quiet", &vals.quiet, "say less"),
	OPT_COUNT_('v', "verbose", &vals.verbose, "say more"),
	OPT_STRING_('t', "tag", &vals.tag, "NAME", "name the image"),
	OPT_INT_('n', "num", &vals.num, "N", "how many"),
	OPT_LIST_('e', "env", &vals.env, "K=V", "set a variable"),
	OPT_CALLBACK_('c', "cb", NULL, "ARG", "called with a value", record),
	OPT_CALLBACK_('f', "flag", NULL, NULL, "called without one", record),
	OPT_CALLBACK_(0, "platform", NULL, "OS/ARCH", "refuses everything", refuse),
	OPT_BOOL_(0, "long-only", &vals.debug, "no short form"),
	OPT_END_(),
};

static const struct cmd_help help = { "build", "[OPTIONS] CONTEXT", "Build an image." };

static int hook(struct kerr *err)
{
	vals.hook_calls++;
	if (vals.hook_fail)
		return kerr_input(err, "hook refused");
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&vals, 0, sizeof(vals));
	memset(&args, 0, sizeof(args));
	opt_global = NULL;
	opt_global_hook = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	strvec_clear(&vals.env);
	strvec_clear(&vals.cb_args);
	for (int i = 0; i < MAX_ARGS; i++)
		free(args.owned[i]);
	opt_global = NULL;
	opt_global_hook = NULL;
	return 0;
}

/* "kiln-cmd" then the given words, up to NULL */
static void set_args(const char *first, ...)
{
	va_list ap;
	const char *a;

	for (int i = 0; i < MAX_ARGS; i++) {
		free(args.owned[i]);
		args.owned[i] = NULL;
	}
	args.argc = 0;
	args.argv[args.argc] = args.owned[args.argc] = strdup("build");
	args.argc++;
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *)) {
		assert_true(args.argc < MAX_ARGS);
		args.argv[args.argc] = args.owned[args.argc] = strdup(a);
		args.argc++;
	}
	va_end(ap);
	args.argv[args.argc] = NULL;
}

static int parse(unsigned flags, struct kerr *err)
{
	return opt_parse(args.argc, args.argv, opts, &help, flags, err);
}

/* parsing succeeds with exactly the operands given (NULL-terminated) */
static void assert_operands(int n, ...)
{
	va_list ap;
	int i = 0;

	va_start(ap, n);
	for (const char *want = va_arg(ap, const char *); want; want = va_arg(ap, const char *)) {
		assert_true(i < n);
		assert_string_equal(args.argv[i], want);
		i++;
	}
	va_end(ap);
	assert_int_equal(i, n);
	assert_null(args.argv[n]);
}

static int parse_ok(unsigned flags)
{
	struct kerr err = KERR_INIT;
	int n = parse(flags, &err);

	if (n < 0)
		fail_msg("opt_parse: %s", err.msg ? err.msg : "(help)");
	assert_null(err.msg);
	return n;
}

static void assert_parse_fails(unsigned flags, const char *want)
{
	struct kerr err = KERR_INIT;
	int n = parse(flags, &err);

	if (n >= 0)
		fail_msg("opt_parse succeeded, want '%s'", want);
	assert_int_equal(n, -1);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_int_equal(kerr_exit_code(&err), 2);
	assert_int_equal(opt_done(n), -1);
	kerr_clear(&err);
}

static void test_no_args(void **state)
{
	(void)state;
	set_args(NULL);
	assert_int_equal(parse_ok(0), 0);
	assert_null(args.argv[0]);
	assert_int_equal(vals.quiet, 0);
}

static void test_bool(void **state)
{
	static const struct {
		const char *arg;
		int want;
	} cases[] = {
		{ "--quiet", 1 }, { "--quiet=false", 0 }, { "--quiet=true", 1 },
		{ "--quiet=0", 0 }, { "--quiet=1", 1 }, { "--long-only", 1 },
	};

	(void)state;
	set_args("-q", NULL);
	parse_ok(0);
	assert_int_equal(vals.quiet, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vals.quiet = vals.debug = -1;
		set_args(cases[i].arg, NULL);
		parse_ok(0);
		assert_int_equal(strncmp(cases[i].arg, "--long", 6) ? vals.quiet : vals.debug,
				 cases[i].want);
	}
	/* the last one wins */
	set_args("-q", "--quiet=false", NULL);
	parse_ok(0);
	assert_int_equal(vals.quiet, 0);

	set_args("--quiet=maybe", NULL);
	assert_parse_fails(0, "option '--quiet': 'maybe' is not true or false; "
			   "see 'kiln build --help'");
	set_args("--quiet=", NULL);
	assert_parse_fails(0, "option '--quiet': '' is not true or false; "
			   "see 'kiln build --help'");
}

static void test_count(void **state)
{
	(void)state;
	set_args("-vvv", NULL);
	parse_ok(0);
	assert_int_equal(vals.verbose, 3);
	vals.verbose = 0;
	set_args("-v", "--verbose", "-v", NULL);
	parse_ok(0);
	assert_int_equal(vals.verbose, 3);
	set_args("--verbose=2", NULL);
	assert_parse_fails(0, "option '--verbose' takes no value; see 'kiln build --help'");
}

static void test_string(void **state)
{
	static const char *const forms[][3] = {
		{ "-tfoo", NULL }, { "-t", "foo" }, { "--tag=foo", NULL }, { "--tag", "foo" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		vals.tag = NULL;
		set_args(forms[i][0], forms[i][1], NULL);
		assert_int_equal(parse_ok(0), 0);
		assert_string_equal(vals.tag, "foo");
	}
	set_args("-t", "a", "--tag", "b", "--tag=c", NULL);
	parse_ok(0);
	assert_string_equal(vals.tag, "c");
	/* values may be empty, contain '=', or look like options */
	set_args("--tag=", NULL);
	parse_ok(0);
	assert_string_equal(vals.tag, "");
	set_args("--tag=a=b", NULL);
	parse_ok(0);
	assert_string_equal(vals.tag, "a=b");
	set_args("--tag", "--quiet", NULL);
	parse_ok(0);
	assert_string_equal(vals.tag, "--quiet");
	assert_int_equal(vals.quiet, 0);
	set_args("-t", "-", NULL);
	parse_ok(0);
	assert_string_equal(vals.tag, "-");
}

static void test_missing_value(void **state)
{
	(void)state;
	set_args("--tag", NULL);
	assert_parse_fails(0, "option '--tag' needs a value; see 'kiln build --help'");
	set_args("-t", NULL);
	assert_parse_fails(0, "option '-t' needs a value; see 'kiln build --help'");
	set_args("-qt", NULL);
	assert_parse_fails(0, "option '-t' needs a value; see 'kiln build --help'");
	set_args("ctx", "--num", NULL);
	assert_parse_fails(0, "option '--num' needs a value; see 'kiln build --help'");
	set_args("--env", NULL);
	assert_parse_fails(0, "option '--env' needs a value; see 'kiln build --help'");
	set_args("--cb", NULL);
	assert_parse_fails(0, "option '--cb' needs a value; see 'kiln build --help'");
}

static void test_int(void **state)
{
	static const struct {
		const char *arg;
		int want;
	} ok[] = {
		{ "-n5", 5 }, { "--num=-3", -3 }, { "--num=0", 0 }, { "--num=2147483647", 2147483647 },
		{ "--num=-2147483648", -2147483647 - 1 }, { "-n007", 7 },
	};
	static const char *const bad[] = {
		"abc", "", "5x", "1.5", "2147483648", "-2147483649", "99999999999999999999", "0x10",
	};
	char arg[64], msg[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		set_args(ok[i].arg, NULL);
		parse_ok(0);
		assert_int_equal(vals.num, ok[i].want);
	}
	set_args("-n", "42", NULL);
	parse_ok(0);
	assert_int_equal(vals.num, 42);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vals.num = 77;
		snprintf(arg, sizeof(arg), "--num=%s", bad[i]);
		set_args(arg, NULL);
		snprintf(msg, sizeof(msg), "option '--num': '%s' is not a number; "
			 "see 'kiln build --help'", bad[i]);
		assert_parse_fails(0, msg);
		assert_int_equal(vals.num, 77);
	}
	set_args("-nfive", NULL);
	assert_parse_fails(0, "option '-n': 'five' is not a number; see 'kiln build --help'");
}

static void test_list(void **state)
{
	(void)state;
	set_args("-e", "A=1", "-eB=2", "--env", "C=3", "--env=D=4", "ctx", "-e", "", NULL);
	assert_int_equal(parse_ok(0), 1);
	assert_int_equal(vals.env.n, 5);
	assert_string_equal(vals.env.v[0], "A=1");
	assert_string_equal(vals.env.v[1], "B=2");
	assert_string_equal(vals.env.v[2], "C=3");
	assert_string_equal(vals.env.v[3], "D=4");
	assert_string_equal(vals.env.v[4], "");
	assert_null(vals.env.v[5]);
	assert_operands(1, "ctx", NULL);
}

static void test_callback(void **state)
{
	(void)state;
	set_args("-c", "x", "--cb=y", "-f", "--flag", "-cz", NULL);
	parse_ok(0);
	assert_int_equal(vals.cb_args.n, 5);
	assert_string_equal(vals.cb_args.v[0], "cb=x");
	assert_string_equal(vals.cb_args.v[1], "cb=y");
	assert_string_equal(vals.cb_args.v[2], "flag=(null)");
	assert_string_equal(vals.cb_args.v[3], "flag=(null)");
	assert_string_equal(vals.cb_args.v[4], "cb=z");

	/* a flag callback may be given a value with '=' (--pull=never) and
	 * decides itself what it accepts */
	strvec_clear(&vals.cb_args);
	set_args("--flag=x", NULL);
	parse_ok(0);
	assert_int_equal(vals.cb_args.n, 1);
	assert_string_equal(vals.cb_args.v[0], "flag=x");
	set_args("--verbose=2", NULL);
	assert_parse_fails(0, "option '--verbose' takes no value; see 'kiln build --help'");
	set_args("--platform", "plan9/vax", NULL);
	assert_parse_fails(0, "option '--platform': 'plan9/vax' is not a platform; "
			   "see 'kiln build --help'");
}

static void test_bundles(void **state)
{
	(void)state;
	set_args("-qvt", "val", NULL);
	assert_int_equal(parse_ok(0), 0);
	assert_int_equal(vals.quiet, 1);
	assert_int_equal(vals.verbose, 1);
	assert_string_equal(vals.tag, "val");

	vals.quiet = vals.verbose = 0;
	set_args("-vqvtval", "ctx", NULL);
	assert_int_equal(parse_ok(0), 1);
	assert_int_equal(vals.quiet, 1);
	assert_int_equal(vals.verbose, 2);
	/* the rest of the bundle after a value option is its value */
	assert_string_equal(vals.tag, "val");
	assert_operands(1, "ctx", NULL);

	set_args("-tqv", NULL);
	vals.verbose = 0;
	parse_ok(0);
	assert_string_equal(vals.tag, "qv");
	assert_int_equal(vals.verbose, 0);

	set_args("-vfn3", NULL);
	vals.verbose = 0;
	parse_ok(0);
	assert_int_equal(vals.verbose, 1);
	assert_int_equal(vals.num, 3);
	assert_int_equal(vals.cb_args.n, 1);
}

static void test_double_dash(void **state)
{
	(void)state;
	set_args("a", "--", "-q", "--tag", "x", "--", NULL);
	assert_int_equal(parse_ok(0), 5);
	assert_operands(5, "a", "-q", "--tag", "x", "--", NULL);
	assert_int_equal(vals.quiet, 0);
	assert_null(vals.tag);

	set_args("--", NULL);
	assert_int_equal(parse_ok(0), 0);
	assert_null(args.argv[0]);
	/* a value that is "--" is a value */
	set_args("--tag", "--", "-q", NULL);
	assert_int_equal(parse_ok(0), 0);
	assert_string_equal(vals.tag, "--");
	assert_int_equal(vals.quiet, 1);
}

static void test_interleaved(void **state)
{
	(void)state;
	set_args("a", "-q", "b", "--tag", "x", "c", "-", "-v", NULL);
	assert_int_equal(parse_ok(0), 4);
	assert_operands(4, "a", "b", "c", "-", NULL);
	assert_int_equal(vals.quiet, 1);
	assert_int_equal(vals.verbose, 1);
	assert_string_equal(vals.tag, "x");
}

static void test_stop_at_nonopt(void **state)
{
	(void)state;
	set_args("-q", "img", "-v", "cmd", "--tag", "--", NULL);
	assert_int_equal(parse_ok(OPT_STOP_AT_NONOPT), 5);
	assert_operands(5, "img", "-v", "cmd", "--tag", "--", NULL);
	assert_int_equal(vals.quiet, 1);
	assert_int_equal(vals.verbose, 0);
	assert_null(vals.tag);

	/* "--" still ends the options, and is dropped */
	set_args("-v", "--", "-q", NULL);
	assert_int_equal(parse_ok(OPT_STOP_AT_NONOPT), 1);
	assert_operands(1, "-q", NULL);
	assert_int_equal(vals.quiet, 1);

	/* unknown options after the first operand are the operand's business */
	set_args("img", "--nope", NULL);
	assert_int_equal(parse_ok(OPT_STOP_AT_NONOPT), 2);
	assert_operands(2, "img", "--nope", NULL);
}

static void test_unknown(void **state)
{
	(void)state;
	set_args("--nope", NULL);
	assert_parse_fails(0, "unknown option '--nope'; see 'kiln build --help'");
	set_args("--nope=1", NULL);
	assert_parse_fails(0, "unknown option '--nope'; see 'kiln build --help'");
	/* no abbreviations */
	set_args("--ta", "x", NULL);
	assert_parse_fails(0, "unknown option '--ta'; see 'kiln build --help'");
	set_args("--tagx", NULL);
	assert_parse_fails(0, "unknown option '--tagx'; see 'kiln build --help'");
	set_args("-x", NULL);
	assert_parse_fails(0, "unknown option '-x'; see 'kiln build --help'");
	set_args("-qx", NULL);
	assert_parse_fails(0, "unknown option '-x'; see 'kiln build --help'");
	set_args("ctx", "-1", NULL);
	assert_parse_fails(0, "unknown option '-1'; see 'kiln build --help'");
	set_args("---", NULL);
	assert_parse_fails(0, "unknown option '---'; see 'kiln build --help'");
	set_args("--=x", NULL);
	assert_parse_fails(0, "unknown option '--'; see 'kiln build --help'");
}

static void test_long_name_in_message(void **state)
{
	char arg[200], want[200];

	(void)state;
	memset(arg, 'x', sizeof(arg) - 1);
	arg[0] = arg[1] = '-';
	arg[sizeof(arg) - 1] = '\0';
	set_args(arg, NULL);
	/* a very long unknown name is cut in the message */
	snprintf(want, sizeof(want), "unknown option '%.50s'; see 'kiln build --help'", arg);
	assert_parse_fails(0, want);
}

static void test_no_help_name(void **state)
{
	struct kerr err = KERR_INIT;

	(void)state;
	set_args("--nope", NULL);
	assert_int_equal(opt_parse(args.argc, args.argv, opts, NULL, 0, &err), -1);
	assert_string_equal(err.msg, "unknown option '--nope'");
	kerr_clear(&err);
	assert_int_equal(opt_parse(args.argc, args.argv, NULL, NULL, 0, &err), -1);
	assert_string_equal(err.msg, "unknown option '--nope'");
	kerr_clear(&err);
	/* no table at all still takes operands */
	set_args("a", "b", NULL);
	assert_int_equal(opt_parse(args.argc, args.argv, NULL, NULL, 0, &err), 2);
	assert_operands(2, "a", "b", NULL);
}

static const struct opt globals[] = {
	OPT_BOOL_(0, "debug", &vals.debug, "debug messages"),
	OPT_COUNT_('V', "loud", &vals.verbose, "louder"),
	OPT_END_(),
};

static void test_global_options(void **state)
{
	(void)state;
	opt_global = globals;
	opt_global_hook = hook;
	set_args("ctx", "--debug", "-qV", NULL);
	assert_int_equal(parse_ok(0), 1);
	assert_int_equal(vals.debug, 1);
	assert_int_equal(vals.quiet, 1);
	assert_int_equal(vals.verbose, 1);
	assert_int_equal(vals.hook_calls, 1);

	vals.hook_fail = 1;
	set_args("ctx", NULL);
	{
		struct kerr err = KERR_INIT;

		assert_int_equal(parse(0, &err), -1);
		assert_string_equal(err.msg, "hook refused");
		kerr_clear(&err);
	}
	/* a parse error comes before the hook */
	vals.hook_calls = 0;
	set_args("--nope", NULL);
	assert_parse_fails(0, "unknown option '--nope'; see 'kiln build --help'");
	assert_int_equal(vals.hook_calls, 0);
}

/* runs a parse with stdout going to a memfd; returns what was printed */
static char *parse_capturing_stdout(int *ret, const struct opt *table)
{
	struct kerr err = KERR_INIT;
	int saved, fd = memfd_create("kiln-help", MFD_CLOEXEC);
	char *out;

	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_int_equal(dup2(fd, 1), 1);
	*ret = opt_parse(args.argc, args.argv, table, &help, 0, &err);
	fflush(stdout);
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	assert_null(err.msg);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	out = slurp_fd(fd);
	close(fd);
	return out;
}

static void test_help(void **state)
{
	static const char *const words[] = {
		"usage: kiln build [OPTIONS] CONTEXT", "Build an image.", "Options:",
		"-q, --quiet", "-t, --tag NAME", "--long-only", "--platform OS/ARCH",
	};
	const char *const forms[] = { "--help", "-h" };
	char *out;
	int r;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		set_args("ctx", forms[f], "--nope", NULL);
		out = parse_capturing_stdout(&r, opts);
		assert_int_equal(r, OPT_HELP_SHOWN);
		assert_int_equal(opt_done(r), 0);
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strstr(out, words[i]))
				fail_msg("help has no '%s':\n%s", words[i], out);
		if (IS_ENABLED(CONFIG_VERBOSE_HELP))
			assert_non_null(strstr(out, "name the image"));
		free(out);
	}
	/* global options have their own section */
	opt_global = globals;
	set_args("--help", NULL);
	out = parse_capturing_stdout(&r, opts);
	assert_int_equal(r, OPT_HELP_SHOWN);
	assert_non_null(strstr(out, "Global options:"));
	assert_non_null(strstr(out, "-V, --loud"));
	free(out);
}

static const struct opt with_h[] = {
	OPT_STRING_('h', "host", &vals.tag, "HOST", "a host"),
	OPT_END_(),
};

static void test_h_taken(void **state)
{
	char *out;
	int r;

	(void)state;
	/* a command that has its own -h does not get help from it */
	set_args("-h", "example.org", NULL);
	out = parse_capturing_stdout(&r, with_h);
	assert_int_equal(r, 0);
	assert_string_equal(out, "");
	assert_string_equal(vals.tag, "example.org");
	free(out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_args),
		T(test_bool),
		T(test_count),
		T(test_string),
		T(test_missing_value),
		T(test_int),
		T(test_list),
		T(test_callback),
		T(test_bundles),
		T(test_double_dash),
		T(test_interleaved),
		T(test_stop_at_nonopt),
		T(test_unknown),
		T(test_long_name_in_message),
		T(test_no_help_name),
		T(test_global_options),
		T(test_help),
		T(test_h_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
