/* test-parse.c: the Dockerfile parser's API (tree, lines, directives,
 * heredocs, errors, checks), Go-style quoting and --mount parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockerfile/dockerfile.h"
#include "dockerfile/mount.h"
#include "dockerfile/quote.h"
#include "util/kconfig.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- helpers --- */

static struct df_file parse_ok(const char *text)
{
	struct kerr err = KERR_INIT;
	struct df_file f;

	if (df_parse(text, strlen(text), "Dockerfile", &f, &err) < 0)
		fail_msg("parse failed: %s\n--- input:\n%s", err.msg, text);
	return f;
}

/* parses text and returns its error message (caller frees) */
static char *parse_err(const char *text)
{
	struct kerr err = KERR_INIT;
	struct df_file f;

	if (df_parse(text, strlen(text), "Dockerfile", &f, &err) == 0) {
		df_file_release(&f);
		fail_msg("parse did not fail:\n%s", text);
	}
	assert_int_equal(kerr_exit_code(&err), 2);
	return err.msg;
}

/* parses and validates text; returns the validation error (caller frees),
 * NULL when it passes */
static char *validate_err(const char *text)
{
	struct kerr err = KERR_INIT;
	struct df_file f = parse_ok(text);
	int r = df_validate(&f, &err);

	df_file_release(&f);
	if (r == 0)
		return NULL;
	assert_int_equal(kerr_exit_code(&err), 2);
	return err.msg;
}

static void assert_err(char *msg, const char *want)
{
	if (!msg || strcmp(msg, want))
		fail_msg("error\n  got:  %s\n  want: %s", msg ? msg : "(none)", want);
	free(msg);
}

static void assert_arg(const struct df_node *n, size_t k, const char *want)
{
	assert_true(k < n->nargs);
	assert_string_equal(n->args[k].s, want);
	assert_int_equal(n->args[k].len, strlen(want));
}

static char *quoted(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	df_go_quote(&sb, s, n);
	return strbuf_detach(&sb, NULL);
}

static void assert_quote(const char *in, size_t n, const char *want)
{
	char *got = quoted(in, n);

	assert_string_equal(got, want);
	free(got);
}

/* --- go_quote --- */

static void test_quote_ascii(void **state)
{
	(void)state;
	assert_quote("", 0, "\"\"");
	assert_quote("abc 123", 7, "\"abc 123\"");
	assert_quote("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	assert_quote("'single'", 8, "\"'single'\"");
	assert_quote("\a\b\f\n\r\t\v", 7, "\"\\a\\b\\f\\n\\r\\t\\v\"");
	assert_quote("\x01\x1f", 2, "\"\\x01\\x1f\"");
	assert_quote("a\0b", 3, "\"a\\x00b\"");
	assert_quote("\x7f", 1, "\"\\x7f\"");
}

static void test_quote_unicode(void **state)
{
	(void)state;
	/* printable runes stay as they are */
	assert_quote("\xe2\x99\xa5", 3, "\"\xe2\x99\xa5\"");		/* U+2665 heart */
	assert_quote("\xed\x95\x9c", 3, "\"\xed\x95\x9c\"");		/* Hangul */
	assert_quote("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");	/* U+1F600 */
	assert_quote("\xc3\xa9", 2, "\"\xc3\xa9\"");			/* e acute */
	/* not printable: C1 controls, spaces other than ' ', formats, private use */
	assert_quote("\xc2\x85", 2, "\"\\u0085\"");
	assert_quote("\xc2\xa0", 2, "\"\\u00a0\"");
	assert_quote("\xc2\xad", 2, "\"\\u00ad\"");
	assert_quote("\xe2\x80\x8b", 3, "\"\\u200b\"");
	assert_quote("\xe3\x80\x80", 3, "\"\\u3000\"");
	assert_quote("\xef\xbb\xbf", 3, "\"\\ufeff\"");
	assert_quote("\xee\x80\x80", 3, "\"\\ue000\"");
	assert_quote("\xf3\xb0\x80\x80", 4, "\"\\U000f0000\"");
	/* unassigned */
	assert_quote("\xcd\xb8", 2, "\"\\u0378\"");
	/* bytes that are not UTF-8, each on its own */
	assert_quote("\xff", 1, "\"\\xff\"");
	assert_quote("a\xc3(", 3, "\"a\\xc3(\"");
	assert_quote("\xed\xa0\x80", 3, "\"\\xed\\xa0\\x80\"");	/* a surrogate */
	assert_quote("\xe2\x82", 2, "\"\\xe2\\x82\"");		/* truncated */
	assert_true(df_go_isprint(' '));
	assert_false(df_go_isprint('\t'));
	assert_true(df_go_isprint(0x4E2D));
	assert_false(df_go_isprint(0x110000));
}

/* --- the tree --- */

static void test_instructions_and_lines(void **state)
{
	struct df_file f;

	(void)state;
	f = parse_ok("# a comment\n"
		     "from  alpine:3.19  AS  build\n"
		     "\n"
		     "RUN apk add \\\n"
		     "    # comment inside\n"
		     "\n"
		     "    curl\n"
		     "Cmd [\"a\", \"b\"]\n"
		     "entrypoint [ \"x\" \n"
		     "USER  me:you \n");
	assert_int_equal(f.n, 5);
	assert_int_equal(f.nodes[0].kind, DF_FROM);
	assert_string_equal(f.nodes[0].name, "from");
	assert_int_equal(f.nodes[0].start_line, 2);
	assert_int_equal(f.nodes[0].end_line, 2);
	assert_int_equal(f.nodes[0].nargs, 3);
	assert_arg(&f.nodes[0], 0, "alpine:3.19");
	assert_arg(&f.nodes[0], 1, "AS");
	assert_arg(&f.nodes[0], 2, "build");

	assert_int_equal(f.nodes[1].kind, DF_RUN);
	assert_int_equal(f.nodes[1].start_line, 4);
	assert_int_equal(f.nodes[1].end_line, 7);
	assert_int_equal(f.nodes[1].nargs, 1);
	assert_arg(&f.nodes[1], 0, "apk add     curl");
	assert_false(f.nodes[1].json);

	assert_int_equal(f.nodes[2].kind, DF_CMD);
	assert_true(f.nodes[2].json);
	assert_int_equal(f.nodes[2].nargs, 2);
	assert_arg(&f.nodes[2], 1, "b");

	/* not JSON after all: shell form, as written */
	assert_int_equal(f.nodes[3].kind, DF_ENTRYPOINT);
	assert_false(f.nodes[3].json);
	assert_arg(&f.nodes[3], 0, "[ \"x\"");

	assert_int_equal(f.nodes[4].kind, DF_USER);
	assert_arg(&f.nodes[4], 0, "me:you");
	assert_int_equal(f.escape, '\\');
	assert_null(f.syntax);
	df_file_release(&f);
}

static void test_env_label_arg(void **state)
{
	struct df_file f;

	(void)state;
	f = parse_ok("ENV a=1 b=\"two words\" c=x\\ y\n"
		     "ENV legacy value with spaces\n"
		     "LABEL k=v\n"
		     "ARG A B=2 C=\"3 4\"\n");
	assert_int_equal(f.nodes[0].nargs, 9);
	assert_arg(&f.nodes[0], 0, "a");
	assert_arg(&f.nodes[0], 2, "=");
	assert_arg(&f.nodes[0], 4, "\"two words\"");
	assert_arg(&f.nodes[0], 7, "x\\ y");
	assert_int_equal(f.nodes[1].nargs, 3);
	assert_arg(&f.nodes[1], 0, "legacy");
	assert_arg(&f.nodes[1], 1, "value with spaces");
	assert_arg(&f.nodes[1], 2, "");
	assert_int_equal(f.nodes[2].kind, DF_LABEL);
	assert_int_equal(f.nodes[3].nargs, 3);
	assert_arg(&f.nodes[3], 2, "C=\"3 4\"");
	df_file_release(&f);
}

static void test_flags(void **state)
{
	struct df_file f;
	size_t pos = 0;

	(void)state;
	f = parse_ok("COPY --from=build --chown=\"a b\" --link -- --not-a-flag /dst\n"
		     "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t make\n");
	assert_int_equal(f.nodes[0].nflags, 3);
	assert_string_equal(f.nodes[0].flags[1].s, "--chown=a b");
	assert_int_equal(f.nodes[0].nargs, 2);
	assert_arg(&f.nodes[0], 0, "--not-a-flag");
	assert_string_equal(df_flag_get(&f.nodes[0], "from"), "build");
	assert_string_equal(df_flag_get(&f.nodes[0], "link"), "");
	assert_null(df_flag_get(&f.nodes[0], "chmod"));
	assert_null(df_flag_get(&f.nodes[0], "fro"));
	assert_string_equal(df_flag_next(&f.nodes[1], "mount", &pos), "type=cache,target=/c");
	assert_string_equal(df_flag_next(&f.nodes[1], "mount", &pos), "type=tmpfs,target=/t");
	assert_null(df_flag_next(&f.nodes[1], "mount", &pos));
	df_file_release(&f);
}

static void test_onbuild(void **state)
{
	struct df_file f;

	(void)state;
	f = parse_ok("FROM a\nONBUILD COPY --from=x . /\nONBUILD\n");
	assert_int_equal(f.nodes[1].kind, DF_ONBUILD);
	assert_non_null(f.nodes[1].sub);
	assert_int_equal(f.nodes[1].sub->kind, DF_COPY);
	assert_int_equal(f.nodes[1].sub->nflags, 1);
	assert_int_equal(f.nodes[1].sub->start_line, 2);
	assert_null(f.nodes[2].sub);
	df_file_release(&f);
	assert_err(parse_err("FROM a\nONBUILD ONBUILD RUN x\n"),
		   "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	assert_err(parse_err("FROM a\n\nonbuild from b\n"),
		   "Dockerfile:3: FROM isn't allowed as an ONBUILD trigger");
	assert_err(parse_err("FROM a\nONBUILD Maintainer me\n"),
		   "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
	assert_err(parse_err("FROM a\nONBUILD FOO x\n"),
		   "Dockerfile:2: unknown instruction: FOO (did you mean FROM?)");
}

static void test_directives(void **state)
{
	struct df_file f;

	(void)state;
	f = parse_ok("# Syntax = docker/dockerfile:1.7\n"
		     "#check=skip=JSONArgsRecommended;error=true\n"
		     "  #  ESCAPE=`\n"
		     "FROM a\n"
		     "RUN echo \\\n"
		     "ENV X a`\n"
		     "  b\n");
	assert_string_equal(f.syntax, "docker/dockerfile:1.7");
	assert_string_equal(f.check, "skip=JSONArgsRecommended;error=true");
	assert_int_equal(f.escape, '`');
	assert_int_equal(f.n, 3);
	assert_arg(&f.nodes[1], 0, "echo \\");
	assert_arg(&f.nodes[2], 1, "a  b");
	df_file_release(&f);

	/* an empty line, a comment or an unknown directive ends them */
	f = parse_ok("# syntax=x\n\n# escape=`\nRUN a \\\n b\n");
	assert_int_equal(f.escape, '\\');
	assert_arg(&f.nodes[0], 0, "a  b");
	df_file_release(&f);
	f = parse_ok("# hello\n# escape=`\nRUN a \\\n b\n");
	assert_int_equal(f.escape, '\\');
	assert_null(f.syntax);
	df_file_release(&f);
	f = parse_ok("# foo=bar\n# escape=`\nRUN a\n");
	assert_int_equal(f.escape, '\\');
	df_file_release(&f);

	assert_err(parse_err("# escape=`\n# Escape=`\nFROM a\n"),
		   "Dockerfile:2: only one escape parser directive can be used");
	assert_err(parse_err("# syntax=a\n# syntax=b\nFROM a\n"),
		   "Dockerfile:2: only one syntax parser directive can be used");
	assert_err(parse_err("# escape=x\nFROM a\n"),
		   "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
	/* BuildKit's regexp gives a blank value, which is no escape token */
	assert_err(parse_err("# escape= \nFROM a\n"),
		   "Dockerfile:1: invalid escape token ' ' does not match ` or \\");
}

static void test_crlf_bom_eof(void **state)
{
	struct df_file f;

	(void)state;
	f = parse_ok("\xef\xbb\xbf# escape=`\r\nFROM a\r\nRUN x `\r\n  y\r\n");
	assert_int_equal(f.escape, '`');
	assert_arg(&f.nodes[0], 0, "a");
	assert_arg(&f.nodes[1], 0, "x   y");
	assert_int_equal(f.nodes[1].end_line, 4);
	df_file_release(&f);

	/* the escape char as the last byte of the file */
	f = parse_ok("FROM a\nRUN something \\");
	assert_arg(&f.nodes[1], 0, "something");
	df_file_release(&f);

	/* a BOM counts only at the very start (U+FEFF is no white space) */
	assert_err(parse_err("FROM a\n\xef\xbb\xbfRUN x\n"),
		   "Dockerfile:2: unknown instruction: \xef\xbb\xbfRUN");
}

static void test_json_go_rules(void **state)
{
	struct df_file f;

	(void)state;
	f = parse_ok("CMD [\"a\\u0000b\", \"\\ud83d\\ude00\", \"\\ud800\", \"\\/\", \"\xff\"]\n"
		     "CMD [\"a\"] trailing\n"
		     "CMD [\"a\",]\n"
		     "CMD []\n"
		     "RUN [\"\\x41\"]\n");
	assert_true(f.nodes[0].json);
	assert_int_equal(f.nodes[0].args[0].len, 3);
	assert_memory_equal(f.nodes[0].args[0].s, "a\0b", 3);
	assert_arg(&f.nodes[0], 1, "\xf0\x9f\x98\x80");
	assert_arg(&f.nodes[0], 2, "\xef\xbf\xbd");
	assert_arg(&f.nodes[0], 3, "/");
	assert_arg(&f.nodes[0], 4, "\xef\xbf\xbd");
	assert_false(f.nodes[1].json);
	assert_arg(&f.nodes[1], 0, "[\"a\"] trailing");
	assert_false(f.nodes[2].json);
	assert_true(f.nodes[3].json);
	assert_int_equal(f.nodes[3].nargs, 0);
	assert_false(f.nodes[4].json);
	df_file_release(&f);

	assert_err(parse_err("CMD [\"a\", {\"k\": 1}]\n"),
		   "Dockerfile:1: when using JSON array syntax, arrays must be comprised "
		   "of strings only");
	assert_err(parse_err("FROM a\nVOLUME [\"/a\", null]\n"),
		   "Dockerfile:2: when using JSON array syntax, arrays must be comprised "
		   "of strings only");
}

static void test_heredocs(void **state)
{
	struct df_file f;

	(void)state;
	if (!IS_ENABLED(CONFIG_DF_HEREDOC)) {
		assert_err(parse_err("FROM a\nRUN <<EOF\nx\nEOF\n"),
			   "Dockerfile:2: heredocs are not in this build (CONFIG_DF_HEREDOC=n)");
		skip();
	}
	f = parse_ok("FROM a\n"
		     "RUN <<EOF\n"
		     "echo $HOME\n"
		     "EOF\n"
		     "RUN <<-'END' 3<<\"x\"y cat\n"
		     "\t\tindented\n"
		     "\tEND\n"
		     "second\r\n"
		     "xy\n"
		     "COPY --chmod=755 <<run.sh /usr/bin/\n"
		     "#!/bin/sh\n"
		     "run.sh\n"
		     "RUN [\"<<EOF\"]\n"
		     "RUN echo $((1<<2)) << EOF\n");
	assert_int_equal(f.n, 6);
	assert_int_equal(f.nodes[1].nheredocs, 1);
	assert_string_equal(f.nodes[1].heredocs[0].name.s, "EOF");
	assert_string_equal(f.nodes[1].heredocs[0].content.s, "echo $HOME\n");
	assert_true(f.nodes[1].heredocs[0].expand);
	assert_false(f.nodes[1].heredocs[0].chomp);
	assert_int_equal(f.nodes[1].end_line, 4);

	assert_int_equal(f.nodes[2].nheredocs, 2);
	assert_string_equal(f.nodes[2].heredocs[0].name.s, "END");
	assert_true(f.nodes[2].heredocs[0].chomp);
	assert_false(f.nodes[2].heredocs[0].expand);
	assert_string_equal(f.nodes[2].heredocs[0].content.s, "indented\n");
	assert_string_equal(f.nodes[2].heredocs[1].name.s, "xy");
	assert_int_equal(f.nodes[2].heredocs[1].fd, 3);
	assert_false(f.nodes[2].heredocs[1].expand);
	assert_string_equal(f.nodes[2].heredocs[1].content.s, "second\r\n");
	assert_int_equal(f.nodes[2].start_line, 5);
	assert_int_equal(f.nodes[2].end_line, 9);

	assert_int_equal(f.nodes[3].kind, DF_COPY);
	assert_int_equal(f.nodes[3].nheredocs, 1);
	assert_string_equal(f.nodes[3].heredocs[0].content.s, "#!/bin/sh\n");
	assert_arg(&f.nodes[3], 0, "<<run.sh");
	/* exec form has none; "<<" inside a word or alone is none either */
	assert_int_equal(f.nodes[4].nheredocs, 0);
	assert_int_equal(f.nodes[5].nheredocs, 0);
	df_file_release(&f);

	assert_err(parse_err("FROM a\nRUN <<EOF\nnever ends\n"),
		   "Dockerfile:2: unterminated heredoc");
	assert_err(parse_err("FROM a\nRUN <<EOF <<EOF2\nx\nEOF\n"),
		   "Dockerfile:2: unterminated heredoc");
}

static void test_errors(void **state)
{
	(void)state;
	assert_err(parse_err(""), "Dockerfile:1: file with no instructions");
	assert_err(parse_err("# only\n# comments\n\n"), "Dockerfile:3: file with no instructions");
	assert_err(parse_err("FROM a\n\nENV PATH\n"), "Dockerfile:3: ENV must have two arguments");
	assert_err(parse_err("FROM a\nLABEL x\n"), "Dockerfile:2: LABEL must have two arguments");
	assert_err(parse_err("FROM a\nENV a=b c\n"),
		   "Dockerfile:2: syntax error - can't find = in \"c\". "
		   "Must be of the form: name=value");
	assert_err(parse_err("FROM a\nRUN x \\\n  y\nBOGUS z\n"),
		   "Dockerfile:4: unknown instruction: BOGUS");
	assert_err(parse_err("FROM a\ncopi a b\n"),
		   "Dockerfile:2: unknown instruction: copi (did you mean COPY?)");
}

static void test_validate(void **state)
{
	(void)state;
	assert_null(validate_err("ARG V=1\n"
				 "FROM --platform=$BUILDPLATFORM alpine AS Build-1\n"
				 "RUN --mount=type=cache,target=/c --mount=type=secret,id=s "
				 "--network=none --security=sandbox make\n"
				 "COPY --from=b --chown=1 --chmod=644 --link --parents "
				 "--exclude=a --exclude=b x y\n"
				 "ADD --checksum=sha256:0 --keep-git-dir=true --link=FALSE "
				 "--chown=1 --chmod=1 --exclude=x --unpack a b\n"
				 "HEALTHCHECK --interval=1m30s --timeout=0 --start-period=.5s "
				 "--start-interval=1ms --retries=0 CMD true\n"
				 "HEALTHCHECK NONE\n"
				 "SHELL [\"/bin/sh\", \"-c\"]\n"
				 "ONBUILD RUN x\n"
				 "EXPOSE 80/tcp\nVOLUME /v\nUSER u\nWORKDIR /w\nSTOPSIGNAL TERM\n"
				 "ENV a=b\nLABEL a=b\nMAINTAINER me\nCMD x\nENTRYPOINT y\n"));
	assert_err(validate_err("FROM a\nCOPY --foo a b\n"),
		   "Dockerfile:2: unknown flag '--foo' for COPY");
	assert_err(validate_err("FROM a\nCOPY --keep-git-dir a b\n"),
		   "Dockerfile:2: unknown flag '--keep-git-dir' for COPY");
	assert_err(validate_err("FROM --foo=x a\n"), "Dockerfile:1: unknown flag '--foo' for FROM");
	assert_err(validate_err("FROM a\nCMD --doit x\n"),
		   "Dockerfile:2: unknown flag '--doit' for CMD");
	assert_err(validate_err("FROM a\nONBUILD ADD --from=x a b\n"),
		   "Dockerfile:2: unknown flag '--from' for ADD");
	assert_err(validate_err("FROM a\nCOPY --from=a --from=b a b\n"),
		   "Dockerfile:2: duplicate flag '--from' for COPY");
	assert_err(validate_err("FROM a\nCOPY --from a b\n"),
		   "Dockerfile:2: missing a value on flag '--from' for COPY");
	assert_err(validate_err("FROM a\nCOPY --link=maybe a b\n"),
		   "Dockerfile:2: expecting boolean value for flag '--link', not: maybe");
	assert_err(validate_err("FROM a\nCOPY a\n"),
		   "Dockerfile:2: COPY requires at least two arguments, but only one was "
		   "provided. Destination could not be determined.");
	assert_err(validate_err("FROM a b\n"),
		   "Dockerfile:1: FROM requires either one or three arguments");
	assert_err(validate_err("FROM a AS 1st\n"),
		   "Dockerfile:1: invalid name for build stage: \"1st\", name can't start "
		   "with a number or contain symbols");
	assert_err(validate_err("FROM a\nRUN --network=bridge x\n"),
		   "Dockerfile:2: unsupported network mode \"bridge\"");
	assert_err(validate_err("FROM a\nRUN --security=root x\n"),
		   "Dockerfile:2: unsupported security mode \"root\"");
	assert_err(validate_err("FROM a\nRUN --mount=type=bind,mode=0644 x\n"),
		   "Dockerfile:2: --mount: mode not allowed for \"bind\" type mounts");
	assert_err(validate_err("FROM a\nSHELL sh -c\n"),
		   "Dockerfile:2: SHELL requires the arguments to be in JSON form");
	assert_err(validate_err("FROM a\nHEALTHCHECK NONE x\n"),
		   "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
	assert_err(validate_err("FROM a\nHEALTHCHECK CONNECT x\n"),
		   "Dockerfile:2: unknown type \"CONNECT\" in HEALTHCHECK (try CMD)");
	assert_err(validate_err("FROM a\nHEALTHCHECK CMD\n"),
		   "Dockerfile:2: Missing command after HEALTHCHECK CMD");
	assert_err(validate_err("FROM a\nHEALTHCHECK --timeout=10 CMD x\n"),
		   "Dockerfile:2: invalid duration '10' for --timeout");
	assert_err(validate_err("FROM a\nHEALTHCHECK --interval=10us CMD x\n"),
		   "Dockerfile:2: Interval \"interval\" cannot be less than 1ms");
	assert_err(validate_err("FROM a\nHEALTHCHECK --retries=-1 CMD x\n"),
		   "Dockerfile:2: --retries cannot be negative (-1)");
	assert_err(validate_err("FROM a\nHEALTHCHECK --retries=x CMD x\n"),
		   "Dockerfile:2: invalid value 'x' for --retries");
	assert_err(validate_err("FROM a\nUSER\n"), "Dockerfile:2: USER requires exactly one argument");
	assert_err(validate_err("FROM a\nEXPOSE\n"),
		   "Dockerfile:2: EXPOSE requires at least one argument");
	assert_err(validate_err("FROM a\nVOLUME [\" \"]\n"),
		   "Dockerfile:2: VOLUME specified can not be an empty string");
	assert_err(validate_err("FROM a\nARG =x\n"), "Dockerfile:2: ARG names can not be blank");
	assert_err(validate_err("FROM a\nENV =x\n"), "Dockerfile:2: ENV names can not be blank");
	assert_err(validate_err("FROM a\nONBUILD\n"),
		   "Dockerfile:2: ONBUILD requires at least one argument");
}

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(df_kind_lookup("healthCheck", 11), DF_HEALTHCHECK);
	assert_int_equal(df_kind_lookup("run", 2), -1);
	assert_int_equal(df_kind_lookup("bogus", 5), -1);
	assert_string_equal(df_kind_name(DF_STOPSIGNAL), "STOPSIGNAL");
	for (int k = 0; k < DF_KIND_COUNT; k++) {
		const char *name = df_kind_name(k);

		assert_int_equal(df_kind_lookup(name, strlen(name)), k);
	}
}

/* --- --mount --- */

static struct df_mount mount_ok(const char *spec)
{
	struct kerr err = KERR_INIT;
	struct df_mount m;

	if (df_parse_mount(spec, NULL, NULL, &m, &err) < 0)
		fail_msg("mount '%s': %s", spec, err.msg);
	return m;
}

static char *mount_err(const char *spec)
{
	struct kerr err = KERR_INIT;
	struct df_mount m;

	if (df_parse_mount(spec, NULL, NULL, &m, &err) == 0) {
		df_mount_release(&m);
		fail_msg("mount '%s' did not fail", spec);
	}
	assert_int_equal(kerr_exit_code(&err), 2);
	return err.msg;
}

static void test_mount_types(void **state)
{
	struct df_mount m;

	(void)state;
	m = mount_ok("target=/src");
	assert_int_equal(m.type, DF_MOUNT_BIND);
	assert_string_equal(m.target, "/src");
	assert_true(m.readonly);
	assert_null(m.from);
	df_mount_release(&m);

	m = mount_ok("type=bind,from=build,source=/out,dst=/in,rw");
	assert_string_equal(m.from, "build");
	assert_string_equal(m.source, "/out");
	assert_string_equal(m.target, "/in");
	assert_false(m.readonly);
	df_mount_release(&m);

	m = mount_ok("Type=CACHE,id=go,target=/root/.cache,sharing=Locked,mode=0755,uid=1000,gid=0");
	assert_int_equal(m.type, DF_MOUNT_CACHE);
	assert_string_equal(m.id, "go");
	assert_int_equal(m.sharing, DF_SHARING_LOCKED);
	assert_false(m.readonly);
	assert_true(m.has_mode);
	assert_int_equal(m.mode, 0755);
	assert_int_equal(m.uid, 1000);
	assert_true(m.has_gid);
	assert_int_equal(m.gid, 0);
	assert_string_equal(df_mount_type_name(m.type), "cache");
	assert_string_equal(df_mount_sharing_name(m.sharing), "locked");
	df_mount_release(&m);

	m = mount_ok("type=tmpfs,target=/t,size=64m");
	assert_int_equal(m.type, DF_MOUNT_TMPFS);
	assert_int_equal(m.size, 64 << 20);
	assert_false(m.readonly);
	df_mount_release(&m);
	m = mount_ok("type=tmpfs,target=/t,size=1.5 GiB,readonly=true");
	assert_int_equal(m.size, 1536ll << 20);
	assert_true(m.readonly);
	df_mount_release(&m);
	m = mount_ok("type=tmpfs,dst=/t,size=100");
	assert_int_equal(m.size, 100);
	df_mount_release(&m);

	m = mount_ok("type=secret,id=aws,env=AWS_KEY,required,uid=1");
	assert_int_equal(m.type, DF_MOUNT_SECRET);
	assert_string_equal(m.env, "AWS_KEY");
	assert_true(m.required);
	assert_true(m.readonly);
	df_mount_release(&m);
	m = mount_ok("type=secret,target=/run/secrets/x,required=false,ro=false");
	assert_false(m.required);
	assert_false(m.readonly);
	df_mount_release(&m);

	m = mount_ok("type=ssh,required=1,mode=600");
	assert_int_equal(m.type, DF_MOUNT_SSH);
	assert_true(m.required);
	assert_int_equal(m.mode, 0600);
	df_mount_release(&m);

	/* CSV quoting: a comma inside a value */
	m = mount_ok("type=bind,\"source=a,b\",target=/x,readwrite=true");
	assert_string_equal(m.source, "a,b");
	assert_false(m.readonly);
	df_mount_release(&m);
	m = mount_ok("\"target=/q\"\"uote\"");
	assert_string_equal(m.target, "/q\"uote");
	df_mount_release(&m);
}

static void test_mount_errors(void **state)
{
	(void)state;
	assert_err(mount_err("type=volume,target=/x"), "unsupported mount type \"volume\"");
	assert_err(mount_err("type=cach,target=/x"),
		   "unsupported mount type \"cach\" (did you mean cache?)");
	assert_err(mount_err("target=/x,sorce=/y"),
		   "unexpected key 'sorce' in 'sorce=/y' (did you mean source?)");
	assert_err(mount_err("target=/x,bogusbogus=1"),
		   "unexpected key 'bogusbogus' in 'bogusbogus=1'");
	assert_err(mount_err("type=cache,target=/x,sharing=shard"),
		   "unsupported sharing value \"shard\" (did you mean shared?)");
	assert_err(mount_err("target=/x,sharing=shared"), "invalid cache sharing set for bind mount");
	assert_err(mount_err("target=/x,ro=yes"), "invalid value for ro: yes");
	assert_err(mount_err("type=cache,target=/x,mode=0999"), "invalid value 0999 for mode");
	assert_err(mount_err("type=cache,target=/x,uid=-1"), "invalid value -1 for uid");
	assert_err(mount_err("type=cache,target=/x,gid=4294967296"),
		   "invalid value 4294967296 for gid");
	assert_err(mount_err("type=tmpfs,target=/x,uid=1"), "uid not allowed for \"tmpfs\" type mounts");
	assert_err(mount_err("target=/x,gid=1"), "gid not allowed for \"bind\" type mounts");
	assert_err(mount_err("target=/x,required"), "unexpected key 'required' for mount type 'bind'");
	/* order matters, as in BuildKit: required before type=secret */
	assert_err(mount_err("required,type=secret,id=x"),
		   "unexpected key 'required' for mount type 'bind'");
	assert_err(mount_err("type=cache,target=/x,size=1m"),
		   "unexpected key 'size' for mount type 'cache'");
	assert_err(mount_err("type=tmpfs,target=/x,size=12q"), "invalid value for size: 12q");
	assert_err(mount_err("type=tmpfs,target=/x,size=-1"), "invalid value for size: -1");
	assert_err(mount_err("target"), "invalid field 'target' must be a key=value pair");
	assert_err(mount_err(""), "invalid field '' must be a key=value pair");
	assert_err(mount_err("type=secret"), "invalid secret mount. one of source, target required");
	assert_err(mount_err("type=secret,id=a,from=x"), "secret mount should not have a from");
	assert_err(mount_err("type=secret,id=a,sharing=locked"),
		   "secret mount should not define sharing");
	assert_err(mount_err("type=secret,id=a,src=/x"), "both source and id can't be set");
	assert_err(mount_err("from=$STAGE,target=/x"),
		   "'from' doesn't support variable expansion, define alias stage instead");
	assert_err(mount_err("target=/x,so\"urce=y"),
		   "failed to parse csv mounts: bare \" in non-quoted-field");
	assert_err(mount_err("\"target=/x\"y"),
		   "failed to parse csv mounts: extraneous or missing \" in quoted-field");
	assert_err(mount_err("\"target=/x"),
		   "failed to parse csv mounts: extraneous or missing \" in quoted-field");
}

static int expand_upper(void *ctx, const char *in, char **out, struct kerr *err)
{
	int *calls = ctx;

	(*calls)++;
	if (!strcmp(in, "$BAD"))
		return kerr_input(err, "BAD: is not allowed to be unset");
	*out = xstrdup(!strcmp(in, "$DIR") ? "/expanded" : in);
	return 0;
}

static void test_mount_expand(void **state)
{
	struct kerr err = KERR_INIT;
	struct df_mount m;
	int calls = 0;

	(void)state;
	assert_int_equal(df_parse_mount("type=cache,target=$DIR,id=x", expand_upper, &calls,
					&m, &err), 0);
	assert_string_equal(m.target, "/expanded");
	assert_int_equal(calls, 3);
	df_mount_release(&m);
	assert_int_equal(df_parse_mount("target=$BAD", expand_upper, &calls, &m, &err), -1);
	assert_string_equal(err.msg, "BAD: is not allowed to be unset");
	kerr_clear(&err);
	/* a trailing '$' is no variable */
	assert_int_equal(df_parse_mount("from=stage$,target=/x", expand_upper, &calls, &m, &err), 0);
	assert_string_equal(m.from, "stage$");
	df_mount_release(&m);
}

/* --- size and speed --- */

static void test_ten_thousand(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	struct timespec t0, t1;
	struct df_file f;
	double ms;

	(void)state;
	strbuf_addstr(&sb, "FROM alpine AS base\n");
	for (int i = 0; i < 10000; i++) {
		switch (i % 5) {
		case 0:
			strbuf_addf(&sb, "RUN --mount=type=cache,target=/c echo %d && \\\n"
				    "    make -j4 target%d\n", i, i);
			break;
		case 1:
			strbuf_addf(&sb, "ENV V%d=\"value %d\" W%d=x\n", i, i, i);
			break;
		case 2:
			strbuf_addf(&sb, "COPY --chown=1:1 src/f%d /app/f%d\n", i, i);
			break;
		case 3:
			strbuf_addf(&sb, "CMD [\"/bin/app\", \"--n=%d\"]\n", i);
			break;
		default:
			if (IS_ENABLED(CONFIG_DF_HEREDOC))
				strbuf_addf(&sb, "RUN <<EOF\necho %d\nEOF\n", i);
			else
				strbuf_addf(&sb, "LABEL l%d=%d\n", i, i);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(df_parse(sb.buf, sb.len, "Dockerfile", &f, &err), 0);
	assert_int_equal(df_validate(&f, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("10001 instructions (%zu bytes) parsed and checked in %.1f ms\n",
		      sb.len, ms);
	assert_int_equal(f.n, 10001);
	assert_int_equal(f.nodes[10000].start_line, (int)(f.nodes[9999].end_line + 1));
	/* generous: this runs under the sanitizers */
	assert_true(ms < 2000);
	df_file_release(&f);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_ascii),
		cmocka_unit_test(test_quote_unicode),
		cmocka_unit_test(test_instructions_and_lines),
		cmocka_unit_test(test_env_label_arg),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_onbuild),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_crlf_bom_eof),
		cmocka_unit_test(test_json_go_rules),
		cmocka_unit_test(test_heredocs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_mount_types),
		cmocka_unit_test(test_mount_errors),
		cmocka_unit_test(test_mount_expand),
		cmocka_unit_test(test_ten_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
