/* test-plan.c: the stage planner against BuildKit's rules: ARG scoping,
 * build args, which words expand, the stage graph, --target, ONBUILD. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/plan.h"
#include "dockerfile/dockerfile.h"
#include "util/kconfig.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* ---- helpers ---- */

struct fx {
	struct df_file df;
	struct plan p;
};

static void parse(struct fx *f, const char *text)
{
	struct kerr err = KERR_INIT;

	if (df_parse(text, strlen(text), "Dockerfile", &f->df, &err) < 0 ||
	    df_validate(&f->df, &err) < 0)
		fail_msg("parse failed: %s\n--- input:\n%s", err.msg, text);
}

/* plans text with build args (NULL-terminated "K=V" list), a target and a
 * target platform; the build platform is linux/amd64 */
static struct fx *plan_ok_opts(const char *text, const char *const *args, const char *target,
			       const char *platform)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct kerr err = KERR_INIT;
	size_t n = 0;
	struct plan_opts o;

	while (args && args[n])
		n++;
	o = (struct plan_opts){ args, n, target, platform, "linux/amd64" };
	parse(f, text);
	if (plan_build(&f->p, &f->df, &o, &err) < 0)
		fail_msg("plan failed: %s\n--- input:\n%s", err.msg, text);
	return f;
}

static struct fx *plan_ok(const char *text)
{
	return plan_ok_opts(text, NULL, NULL, NULL);
}

static void fx_free(struct fx *f)
{
	plan_release(&f->p);
	df_file_release(&f->df);
	free(f);
}

/* the plan fails with want, an input error */
static void plan_err(const char *text, const char *const *args, const char *target,
		     const char *want)
{
	struct fx f;
	struct kerr err = KERR_INIT;
	size_t n = 0;
	struct plan_opts o;

	while (args && args[n])
		n++;
	o = (struct plan_opts){ args, n, target, NULL, "linux/amd64" };
	parse(&f, text);
	if (plan_build(&f.p, &f.df, &o, &err) == 0) {
		plan_release(&f.p);
		df_file_release(&f.df);
		fail_msg("plan did not fail:\n%s", text);
	}
	df_file_release(&f.df);
	assert_int_equal(kerr_exit_code(&err), 2);
	if (strcmp(err.msg, want))
		fail_msg("error '%s', want '%s'", err.msg, want);
	kerr_clear(&err);
}

static const struct plan_instr *instr(const struct fx *f, int stage, size_t k)
{
	assert_true((size_t)stage < f->p.nstages);
	if (k >= f->p.stages[stage].ninstrs)
		fail_msg("stage %d has %zu instructions, want #%zu", stage,
			 f->p.stages[stage].ninstrs, k);
	return &f->p.stages[stage].instrs[k];
}

/* "K=V K2" for a list of pairs */
static void check_pairs(const struct plan_kv *kv, size_t n, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t k = 0; k < n; k++) {
		strbuf_addf(&sb, "%s%s", k ? " " : "", kv[k].key);
		if (kv[k].value)
			strbuf_addf(&sb, "=%s", kv[k].value);
	}
	if (strcmp(sb.buf, want))
		fail_msg("pairs '%s', want '%s'", sb.buf, want);
	strbuf_release(&sb);
}

/* "a|b" for an instruction's words */
static void check_words(const struct plan_instr *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t k = 0; k < in->nwords; k++)
		strbuf_addf(&sb, "%s%s", k ? "|" : "", in->words[k]);
	if (strcmp(sb.buf, want))
		fail_msg("line %d: words '%s', want '%s'", in->line, sb.buf, want);
	strbuf_release(&sb);
}

static void check_unused(const struct fx *f, const char *want)
{
	struct strvec u = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;

	plan_unused_build_args(&f->p, &u);
	for (size_t k = 0; k < u.n; k++)
		strbuf_addf(&sb, "%s%s", k ? " " : "", u.v[k]);
	if (strcmp(sb.buf, want))
		fail_msg("unused '%s', want '%s'", sb.buf, want);
	strbuf_release(&sb);
	strvec_clear(&u);
}

static void check_ints(const int *v, size_t n, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t k = 0; k < n; k++)
		strbuf_addf(&sb, "%s%d", k ? " " : "", v[k]);
	if (strcmp(sb.buf, want))
		fail_msg("got '%s', want '%s'", sb.buf, want);
	strbuf_release(&sb);
}

/* ---- ARG scoping ---- */

static void test_global_arg_in_from(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok("ARG TAG=12\nARG IMG=debian:${TAG}\nFROM $IMG AS b\nRUN true\n");
	assert_string_equal(f->p.stages[0].base, "debian:12");
	assert_int_equal(f->p.stages[0].base_kind, PLAN_BASE_IMAGE);
	check_pairs(f->p.stages[0].from_args, f->p.stages[0].nfrom_args, "IMG=debian:12");
	fx_free(f);

	/* a build arg overrides a global default, and the defaults after it see it */
	f = plan_ok_opts("ARG TAG=12\nARG IMG=debian:${TAG}\nFROM $IMG\n",
			 (const char *const[]){ "TAG=13", NULL }, NULL, NULL);
	assert_string_equal(f->p.stages[0].base, "debian:13");
	fx_free(f);
}

static void test_global_needs_redeclaration(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok("ARG V=1\nFROM alpine\nENV A=\"[$V]\"\nARG V\nENV B=$V\n");
	check_pairs(instr(f, 0, 0)->pairs, 1, "A=[]");
	check_pairs(instr(f, 0, 1)->pairs, 1, "V=1");
	check_pairs(instr(f, 0, 2)->pairs, 1, "B=1");
	check_pairs(instr(f, 0, 2)->args, instr(f, 0, 2)->nargs, "V=1");
	fx_free(f);

	/* redeclared, the build arg beats the global default */
	f = plan_ok_opts("ARG V=1\nFROM alpine\nARG V\nENV B=$V\n",
			 (const char *const[]){ "V=9", NULL }, NULL, NULL);
	check_pairs(instr(f, 0, 1)->pairs, 1, "B=9");
	fx_free(f);

	/* a global ARG without a value and no build arg leaves it unset */
	f = plan_ok("ARG V\nFROM alpine\nARG V\nENV B=${V-unset}\n");
	check_pairs(instr(f, 0, 0)->pairs, 1, "V");
	check_pairs(instr(f, 0, 1)->pairs, 1, "B=unset");
	fx_free(f);
}

static void test_stage_arg_default_and_build_arg(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok("FROM alpine\nARG A=one B=$A-two\nWORKDIR /$B\n");
	check_pairs(instr(f, 0, 0)->pairs, 2, "A=one B=one-two");
	check_words(instr(f, 0, 1), "/one-two");
	fx_free(f);

	/* the build arg is taken as given, not expanded */
	f = plan_ok_opts("FROM alpine\nARG A=one B=$A-two\nWORKDIR /$B\n",
			 (const char *const[]){ "A=$X", "B=b", NULL }, NULL, NULL);
	check_pairs(instr(f, 0, 0)->pairs, 2, "A=$X B=b");
	check_words(instr(f, 0, 1), "/b");
	fx_free(f);

	/* quotes of a default go, as the default is expanded */
	f = plan_ok("FROM alpine\nARG A=\"x y\"\nUSER $A\n");
	check_words(instr(f, 0, 1), "x y");
	fx_free(f);

	/* an ARG is not seen before its line, and not in the next stage */
	f = plan_ok("FROM alpine\nUSER u$A\nARG A=1\nUSER u$A\n"
		    "FROM alpine\nCOPY --from=0 / /\nUSER u$A\n");
	check_words(instr(f, 0, 0), "u");
	check_words(instr(f, 0, 2), "u1");
	check_words(instr(f, 1, 1), "u");
	fx_free(f);
}

static void test_build_arg_from_env(void **state)
{
	struct strvec sv = STRVEC_INIT;
	struct kerr err = KERR_INIT;
	struct fx *f;

	(void)state;
	setenv("KILN_TEST_BA", "from env", 1);
	unsetenv("KILN_TEST_NOPE");
	assert_int_equal(plan_build_arg("A=1", &sv, &err), 0);
	assert_int_equal(plan_build_arg("KILN_TEST_BA", &sv, &err), 0);
	assert_int_equal(plan_build_arg("KILN_TEST_NOPE", &sv, &err), 0);
	assert_int_equal(plan_build_arg("E=", &sv, &err), 0);
	assert_int_equal(sv.n, 3);
	assert_string_equal(sv.v[0], "A=1");
	assert_string_equal(sv.v[1], "KILN_TEST_BA=from env");
	assert_string_equal(sv.v[2], "E=");
	assert_int_equal(plan_build_arg("=x", &sv, &err), -1);
	assert_int_equal(kerr_exit_code(&err), 2);
	assert_string_equal(err.msg, "invalid build arg '=x': no name");
	kerr_clear(&err);
	unsetenv("KILN_TEST_BA");

	/* as build args: the one from the environment is set, the absent one
	 * keeps its default */
	f = plan_ok_opts("FROM alpine\nARG KILN_TEST_BA KILN_TEST_NOPE=dflt E\n",
			 (const char *const *)sv.v, NULL, NULL);
	check_pairs(instr(f, 0, 0)->pairs, 3, "KILN_TEST_BA=from env KILN_TEST_NOPE=dflt E=");
	fx_free(f);
	strvec_clear(&sv);
}

static void test_env_and_arg_order(void **state)
{
	struct fx *f;

	(void)state;
	/* ENV after ARG: later lines see the ENV value */
	f = plan_ok("FROM alpine\nARG V=arg\nENV V=env\nUSER $V\nRUN x\n");
	check_words(instr(f, 0, 2), "env");
	assert_int_equal(instr(f, 0, 2)->nargs, 0);	/* an ENV value is no build arg */
	/* RUN's args: the ARG with the value the process sees */
	check_pairs(instr(f, 0, 3)->args, instr(f, 0, 3)->nargs, "V=env");
	fx_free(f);

	/* ARG with a value after ENV: the ARG wins for later lines (BuildKit) */
	f = plan_ok("FROM alpine\nENV V=env\nARG V=arg\nUSER $V\n");
	check_words(instr(f, 0, 2), "arg");
	fx_free(f);

	/* ARG without a value after ENV leaves the ENV */
	f = plan_ok("FROM alpine\nENV V=env\nARG V\nUSER $V\nRUN x\n");
	check_words(instr(f, 0, 2), "env");
	check_pairs(instr(f, 0, 3)->args, 1, "V=env");
	fx_free(f);

	/* the pairs of one ENV see the scope before the line */
	f = plan_ok("FROM alpine\nENV A=1\nENV A=2 B=$A\nENV C=$A\n");
	check_pairs(instr(f, 0, 1)->pairs, 2, "A=2 B=1");
	check_pairs(instr(f, 0, 2)->pairs, 1, "C=2");
	fx_free(f);
}

static void test_args_not_in_config(void **state)
{
	struct fx *f;

	(void)state;
	/* ENV and LABEL carry values into the image, ARG never does: the plan
	 * keeps ARGs as ARG instructions and RUN args only */
	f = plan_ok("FROM alpine\nARG SECRET=s\nENV E=1\nLABEL l=$SECRET\nRUN echo\n");
	assert_int_equal(instr(f, 0, 1)->kind, DF_ENV);
	check_pairs(instr(f, 0, 1)->pairs, 1, "E=1");
	check_pairs(instr(f, 0, 2)->args, 1, "SECRET=s");
	check_pairs(instr(f, 0, 3)->args, 1, "SECRET=s");
	fx_free(f);

	/* declared without a value: in RUN's args with no value */
	f = plan_ok("FROM alpine\nARG X\nRUN echo\n");
	assert_int_equal(instr(f, 0, 1)->nargs, 1);
	assert_string_equal(instr(f, 0, 1)->args[0].key, "X");
	assert_null(instr(f, 0, 1)->args[0].value);
	fx_free(f);
}

static void test_proxy_args(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok_opts("FROM alpine\nRUN curl $HTTP_PROXY\nUSER $HTTP_PROXY\n",
			 (const char *const[]){ "HTTP_PROXY=http://p:3128", "no_proxy=local",
						NULL }, NULL, NULL);
	/* RUN gets them in both spellings, not as build args (not in history) */
	check_pairs(f->p.proxy, f->p.nproxy,
		    "HTTP_PROXY=http://p:3128 http_proxy=http://p:3128 NO_PROXY=local "
		    "no_proxy=local");
	assert_int_equal(instr(f, 0, 0)->nargs, 0);
	/* not declared, so not in the expansion scope */
	check_words(instr(f, 0, 1), "");
	/* and not reported as unused */
	check_unused(f, "");
	fx_free(f);

	/* declared, it is an ordinary ARG */
	f = plan_ok_opts("FROM alpine\nARG HTTP_PROXY\nRUN curl\n",
			 (const char *const[]){ "HTTP_PROXY=x", NULL }, NULL, NULL);
	check_pairs(instr(f, 0, 1)->args, 1, "HTTP_PROXY=x");
	fx_free(f);
}

static void test_platform_args(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok_opts("FROM --platform=$BUILDPLATFORM golang AS build\n"
			 "ARG TARGETOS TARGETARCH\n"
			 "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build\n"
			 "ENV A=${TARGETARCH}/${TARGETVARIANT}/${BUILDARCH}\n"
			 "ARG TARGETVARIANT TARGETPLATFORM BUILDPLATFORM TARGETSTAGE\n"
			 "ENV B=$TARGETVARIANT|$TARGETPLATFORM|$BUILDPLATFORM|$TARGETSTAGE\n"
			 "FROM alpine\nCOPY --from=build /out /\n",
			 NULL, NULL, "linux/arm/v7");
	/* the global scope for FROM */
	assert_string_equal(f->p.stages[0].platform.arch, "amd64");
	check_pairs(f->p.stages[0].from_args, 1, "BUILDPLATFORM=linux/amd64");
	/* the stage sees only what it declares */
	check_pairs(instr(f, 0, 0)->pairs, 2, "TARGETOS=linux TARGETARCH=arm");
	check_pairs(instr(f, 0, 1)->args, 2, "TARGETOS=linux TARGETARCH=arm");
	check_pairs(instr(f, 0, 2)->pairs, 1, "A=arm//");
	/* the last stage is the target, unnamed: TARGETSTAGE "" */
	check_pairs(instr(f, 0, 4)->pairs, 1, "B=v7|linux/arm/v7|linux/amd64|");
	assert_string_equal(f->p.stages[1].platform.variant, "v7");
	fx_free(f);

	/* TARGETSTAGE is the --target; build args override automatic args */
	f = plan_ok_opts("ARG TARGETSTAGE\nFROM alpine AS one\nARG TARGETSTAGE TARGETPLATFORM\n"
			 "FROM alpine AS two\n", (const char *const[]){ "TARGETPLATFORM=x/y", NULL },
			 "one", NULL);
	check_pairs(instr(f, 0, 0)->pairs, 2, "TARGETSTAGE=one TARGETPLATFORM=x/y");
	fx_free(f);
	/* TARGET* default to BUILD*; TARGETSTAGE to the last stage's name */
	f = plan_ok("FROM alpine AS one\nFROM alpine AS last\nARG TARGETSTAGE TARGETPLATFORM\n");
	check_pairs(instr(f, 1, 0)->pairs, 2, "TARGETSTAGE=last TARGETPLATFORM=linux/amd64");
	fx_free(f);
}

static void test_platform_parse(void **state)
{
	static const char *const cases[][2] = {
		{ "linux/amd64", "linux/amd64" }, { "linux/x86_64", "linux/amd64" },
		{ "Linux/AARCH64", "linux/arm64" }, { "linux/arm64/v8", "linux/arm64" },
		{ "linux/arm", "linux/arm/v7" }, { "linux/armhf", "linux/arm/v7" },
		{ "linux/arm/6", "linux/arm/v6" }, { "linux/armel", "linux/arm/v6" },
		{ "linux/i386", "linux/386" }, { "arm64", "linux/arm64" },
		{ "linux", "linux/riscv64" }, { "macos/arm64", "darwin/arm64" },
		{ "linux/riscv64", "linux/riscv64" }, { "linux/amd64/v1", "linux/amd64" },
		{ "linux/arm64/9", "linux/arm64/v9" },
	};
	struct plan_platform dflt, p;
	struct kerr err = KERR_INIT;
	char buf[PLAN_PLATFORM_STR];

	(void)state;
	assert_int_equal(plan_platform_parse("linux/riscv64", NULL, &dflt, &err), 0);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		if (plan_platform_parse(cases[k][0], &dflt, &p, &err) < 0)
			fail_msg("'%s': %s", cases[k][0], err.msg);
		assert_string_equal(plan_platform_str(&p, buf), cases[k][1]);
	}
	assert_int_equal(plan_platform_parse("linux/a/b/c", NULL, &p, &err), -1);
	assert_string_equal(err.msg, "\"linux/a/b/c\": cannot parse platform specifier");
	assert_int_equal(plan_platform_parse("linux/", NULL, &p, &err), -1);
	assert_int_equal(plan_platform_parse("foo", NULL, &p, &err), -1);
	assert_string_equal(err.msg, "\"foo\": unknown operating system or architecture");
	assert_int_equal(plan_platform_parse("linux/*", NULL, &p, &err), -1);
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);

	plan_platform_host(&p);
	assert_string_equal(p.os, "linux");
	assert_true(p.arch[0] != '\0');
}

static void test_platform_errors(void **state)
{
	(void)state;
	plan_err("FROM --platform=linux/a/b/c alpine\n", NULL, NULL,
		 "Dockerfile:1: failed to parse platform linux/a/b/c: \"linux/a/b/c\": "
		 "cannot parse platform specifier");
	plan_err("ARG P\nFROM --platform=$P alpine\n", NULL, NULL,
		 "Dockerfile:2: empty platform value from expression $P");
	plan_err("FROM --platform=${P:?} alpine\n", NULL, NULL,
		 "Dockerfile:1: failed to process arguments for platform ${P:?}: cannot expand "
		 "'${P:?}': 'P' is not allowed to be unset");
	plan_err("ARG B\nFROM $B\n", NULL, NULL, "Dockerfile:2: base name ($B) should not be blank");
}

/* ---- expansion: which instructions, which flags ---- */

static void test_what_expands(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok("FROM alpine\n"
		    "ARG V=1 W=\"a b\"\n"
		    "ADD --chown=$V --chmod=75$V --checksum=sha256:$V --link s$V /d$V\n"
		    "COPY --chown=u$V --exclude=*.$V [\"j$V\", \"/k$V\"]\n"
		    "ENV e$V=v$V\n"
		    "EXPOSE 8$V $W\n"
		    "LABEL l$V=\"x $V\"\n"
		    "STOPSIGNAL SIG$V\n"
		    "USER u$V\n"
		    "VOLUME /v$V [w]\n"
		    "WORKDIR /w$V\n"
		    "RUN --mount=type=cache,id=c$V,target=/c$V --network=none echo $V\n"
		    "RUN [\"echo\", \"$V\"]\n"
		    "CMD echo $V\n"
		    "ENTRYPOINT [\"$V\"]\n"
		    "SHELL [\"/bin/$V\"]\n"
		    "HEALTHCHECK --interval=10s CMD check $V\n"
		    "ONBUILD RUN echo $V\n"
		    "MAINTAINER m$V\n");
	check_words(instr(f, 0, 1), "s1|/d1");
	assert_string_equal(plan_flag_get(instr(f, 0, 1), "chown"), "1");
	assert_string_equal(plan_flag_get(instr(f, 0, 1), "chmod"), "751");
	assert_string_equal(plan_flag_get(instr(f, 0, 1), "checksum"), "sha256:1");
	assert_string_equal(plan_flag_get(instr(f, 0, 1), "link"), "");
	check_words(instr(f, 0, 2), "j1|/k1");
	assert_string_equal(plan_flag_get(instr(f, 0, 2), "chown"), "u1");
	assert_string_equal(plan_flag_get(instr(f, 0, 2), "exclude"), "*.$V");
	check_pairs(instr(f, 0, 3)->pairs, 1, "e1=v1");
	check_words(instr(f, 0, 4), "81|a|b");
	check_pairs(instr(f, 0, 5)->pairs, 1, "l1=x 1");
	check_words(instr(f, 0, 6), "SIG1");
	check_words(instr(f, 0, 7), "u1");
	check_words(instr(f, 0, 8), "/v1|[w]");
	check_words(instr(f, 0, 9), "/w1");
	/* RUN: only the mount values; the command is the shell's */
	check_words(instr(f, 0, 10), "echo $V");
	assert_int_equal(instr(f, 0, 10)->nmounts, 1);
	assert_string_equal(instr(f, 0, 10)->mounts[0].id, "c1");
	assert_string_equal(instr(f, 0, 10)->mounts[0].target, "/c1");
	assert_string_equal(plan_flag_get(instr(f, 0, 10), "network"), "none");
	check_words(instr(f, 0, 11), "echo|$V");
	check_words(instr(f, 0, 12), "echo $V");
	check_words(instr(f, 0, 13), "$V");
	check_words(instr(f, 0, 14), "/bin/$V");
	assert_string_equal(plan_flag_get(instr(f, 0, 15), "interval"), "10s");
	check_words(instr(f, 0, 15), "CMD|check $V");
	check_words(instr(f, 0, 16), "");
	assert_string_equal(instr(f, 0, 16)->node->sub->original.s, "RUN echo $V");
	check_words(instr(f, 0, 17), "m$V");
	/* what each used, for the cache key */
	check_pairs(instr(f, 0, 1)->args, instr(f, 0, 1)->nargs, "V=1");
	check_pairs(instr(f, 0, 4)->args, instr(f, 0, 4)->nargs, "V=1 W=a b");
	check_pairs(instr(f, 0, 12)->args, instr(f, 0, 12)->nargs, "");
	check_pairs(instr(f, 0, 10)->args, instr(f, 0, 10)->nargs, "V=1 W=a b");
	fx_free(f);
}

/* a boolean flag means what its value says, not that it is there */
static void test_flag_bool(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok("FROM alpine\n"
		    "COPY --parents a /d/\n"
		    "COPY --parents=true a /d/\n"
		    "COPY --parents=FALSE --link=True a /d/\n"
		    "COPY --parents=false a /d/\n"
		    "COPY a /d/\n");
	assert_true(plan_flag_bool(instr(f, 0, 0), "parents"));
	assert_true(plan_flag_bool(instr(f, 0, 1), "parents"));
	assert_false(plan_flag_bool(instr(f, 0, 2), "parents"));
	assert_true(plan_flag_bool(instr(f, 0, 2), "link"));
	assert_false(plan_flag_bool(instr(f, 0, 3), "parents"));
	assert_false(plan_flag_bool(instr(f, 0, 4), "parents"));
	fx_free(f);
}

static void test_heredoc_expansion(void **state)
{
	struct fx *f;

	(void)state;
	if (!IS_ENABLED(CONFIG_DF_HEREDOC))
		skip();
	f = plan_ok("FROM alpine\nARG N=world\n"
		    "COPY <<EOF <<\"RAW\" /etc/$N/\n"
		    "hi $N 'q' \"d\" \\$N ${N%ld}\nEOF\n$N\nRAW\n"
		    "RUN <<EOF\necho $N\nEOF\n");
	check_words(instr(f, 0, 1), "/etc/world/");
	assert_string_equal(instr(f, 0, 1)->heredocs[0], "hi world 'q' \"d\" $N wor\n");
	assert_string_equal(instr(f, 0, 1)->heredocs[1], "$N\n");
	assert_null(instr(f, 0, 2)->heredocs);
	assert_string_equal(instr(f, 0, 2)->node->heredocs[0].content.s, "echo $N\n");
	fx_free(f);

	/* a heredoc among other sources: both counted right */
	f = plan_ok("FROM alpine\nCOPY a <<EOF b /d/\nx\nEOF\n");
	check_words(instr(f, 0, 0), "a|b|/d/");
	assert_string_equal(instr(f, 0, 0)->heredocs[0], "x\n");
	fx_free(f);
}

static void test_expansion_errors(void **state)
{
	struct fx *f;

	(void)state;
	plan_err("FROM alpine\n\nUSER ${x:?must be set}\n", NULL, NULL,
		 "Dockerfile:3: cannot expand '${x:?must be set}': x: must be set");
	plan_err("FROM alpine\nARG A=${B:?}\n", NULL, NULL,
		 "Dockerfile:2: cannot expand '${B:?}': 'B' is not allowed to be unset");
	plan_err("ARG A=${B:?}\nFROM alpine\n", NULL, NULL,
		 "Dockerfile:1: cannot expand '${B:?}': 'B' is not allowed to be unset");
	plan_err("FROM alpine\nRUN --mount=target=${T:?notarget} x\n", NULL, NULL,
		 "Dockerfile:2: --mount: cannot expand '${T:?notarget}': T: notarget");
	plan_err("FROM alpine\nCOPY --chown=${U:?} a b\n", NULL, NULL,
		 "Dockerfile:2: --chown: cannot expand '${U:?}': 'U' is not allowed to be unset");
	/* a build arg fixes it, once an ARG takes it */
	f = plan_ok_opts("FROM alpine\nARG x\nUSER ${x:?must be set}\n",
			 (const char *const[]){ "x=1", NULL }, NULL, NULL);
	check_words(instr(f, 0, 1), "1");
	fx_free(f);
}

/* ---- the stage graph ---- */

static void test_stage_refs(void **state)
{
	struct fx *f;

	(void)state;
	f = plan_ok("FROM alpine AS Build\n"
		    "FROM build AS app\n"
		    "COPY --from=BUILD /a /b\n"
		    "COPY --from=0 /a /b\n"
		    "COPY --from=alpine:3 /a /b\n"
		    "COPY --from=scratch /a /b\n"
		    "RUN --mount=from=build,target=/m --mount=type=cache,target=/c "
		    "--mount=from=busybox,target=/b x\n");
	assert_string_equal(f->p.stages[0].name, "build");
	assert_int_equal(f->p.stages[1].base_kind, PLAN_BASE_STAGE);
	assert_int_equal(f->p.stages[1].base_stage, 0);
	assert_int_equal(instr(f, 1, 0)->from.kind, PLAN_SRC_STAGE);
	assert_int_equal(instr(f, 1, 0)->from.stage, 0);
	assert_int_equal(instr(f, 1, 1)->from.stage, 0);
	assert_int_equal(instr(f, 1, 2)->from.kind, PLAN_SRC_IMAGE);
	assert_string_equal(instr(f, 1, 2)->from.image, "alpine:3");
	assert_int_equal(instr(f, 1, 3)->from.kind, PLAN_SRC_IMAGE);
	assert_int_equal(instr(f, 1, 4)->mount_from[0].kind, PLAN_SRC_STAGE);
	assert_int_equal(instr(f, 1, 4)->mount_from[1].kind, PLAN_SRC_CONTEXT);
	assert_int_equal(instr(f, 1, 4)->mount_from[2].kind, PLAN_SRC_IMAGE);
	check_ints(f->p.stages[1].deps, f->p.stages[1].ndeps, "0");
	fx_free(f);

	f = plan_ok("FROM scratch\nFROM alpine AS alpine\n");
	assert_int_equal(f->p.stages[0].base_kind, PLAN_BASE_SCRATCH);
	/* its own name as base: the image */
	assert_int_equal(f->p.stages[1].base_kind, PLAN_BASE_IMAGE);
	fx_free(f);
}

static void test_stage_errors(void **state)
{
	struct fx *f;

	(void)state;
	plan_err("FROM a AS x\nFROM b AS y\nFROM c AS X\n", NULL, NULL,
		 "Dockerfile:3: duplicate stage name \"x\" (first defined on line 1): stage "
		 "names must be unique");
	plan_err("FROM a AS x\nCOPY --from=x /a /b\n", NULL, NULL,
		 "Dockerfile:2: circular dependency detected on stage: x");
	plan_err("FROM a\nRUN --mount=from=stage-0,target=/x true\nFROM b AS c\n"
		 "COPY --from=d / /\nFROM e AS d\nCOPY --from=c / /\n", NULL, NULL,
		 "Dockerfile:6: circular dependency detected on stage: c");
	plan_err("FROM a AS x\nCOPY --from=y /a /b\nFROM b AS y\n", NULL, "x",
		 "Dockerfile:2: cannot copy from stage \"y\", it needs to be defined before "
		 "current stage \"x\"");
	plan_err("FROM a AS x\nRUN --mount=from=y,target=/y true\nFROM b\nFROM c AS y\n", NULL,
		 "x", "Dockerfile:2: cannot copy from stage \"y\", it needs to be defined "
		 "before current stage \"x\"");
	plan_err("FROM a AS x\nCOPY --from=1 /a /b\nFROM b\n", NULL, "x",
		 "Dockerfile:2: cannot copy from stage \"stage-1\", it needs to be defined "
		 "before current stage \"x\"");
	plan_err("FROM a\nCOPY --from=2 /a /b\nFROM b\n", NULL, NULL,
		 "Dockerfile:2: invalid stage index 2");
	plan_err("FROM a\nCOPY --from=-1 /a /b\n", NULL, NULL,
		 "Dockerfile:2: invalid stage index -1");
	plan_err("FROM a\nCOPY --from=99999999999999999999 /a /b\n", NULL, NULL,
		 "Dockerfile:2: invalid stage index 99999999999999999999");
	plan_err("ARG S=x\nFROM a\nCOPY --from=$S /a /b\n", NULL, NULL,
		 "Dockerfile:3: variable expansion is not supported for --from, define a new "
		 "stage with FROM using ARG from global scope as a workaround");
	plan_err("FROM later\nFROM a AS later\n", NULL, NULL,
		 "Dockerfile:1: stage \"later\" is used before it is defined (on line 2): FROM "
		 "can only build on an earlier stage");
	plan_err("ARG A\nRUN x\nFROM a\n", NULL, NULL,
		 "Dockerfile:2: no build stage in current context");
	plan_err("ARG A\n", NULL, NULL, "Dockerfile:1: dockerfile contains no stages to build");
	plan_err("FROM a AS one\nFROM b AS two\n", NULL, "three",
		 "target stage \"three\" could not be found (stages: one, two)");
	plan_err("FROM a\n", NULL, "x",
		 "target stage \"x\" could not be found: the Dockerfile names no stages");
	/* a later stage a skipped stage copies from is no error: it never runs */
	f = plan_ok_opts("FROM a AS x\nCOPY --from=y / /\nFROM b AS y\n", NULL, "y", NULL);
	check_ints(f->p.skipped, f->p.nskipped, "0");
	fx_free(f);
}

static void test_target_pruning(void **state)
{
	static const char diamond[] =
		"FROM alpine AS base\n"
		"FROM base AS left\nRUN l\n"
		"FROM alpine AS unrelated\nRUN u\n"
		"FROM base AS right\nRUN r\n"
		"FROM scratch AS join\nCOPY --from=left / /l\nCOPY --from=right / /r\n"
		"RUN --mount=from=base,target=/b true\n"
		"FROM join AS test\nRUN t\n"
		"FROM alpine AS final\nCOPY --from=join / /\n";
	struct fx *f;

	(void)state;
	f = plan_ok_opts(diamond, NULL, "JOIN", NULL);
	assert_int_equal(f->p.target, 4);
	/* base first, left and right at once, then join */
	check_ints(f->p.order, f->p.norder, "0 1 3 4");
	check_ints(f->p.skipped, f->p.nskipped, "2 5 6");
	assert_int_equal(f->p.nlevels, 3);
	assert_int_equal(f->p.stages[1].level, 1);
	assert_int_equal(f->p.stages[3].level, 1);
	assert_int_equal(f->p.stages[4].level, 2);
	assert_int_equal(f->p.stages[2].level, -1);
	check_ints(f->p.stages[4].deps, f->p.stages[4].ndeps, "1 3 0");
	/* skipped stages are not expanded */
	assert_int_equal(f->p.stages[2].ninstrs, 0);
	assert_false(f->p.stages[2].needed);
	fx_free(f);

	/* no --target: the last stage; unrelated stages still skipped */
	f = plan_ok(diamond);
	assert_int_equal(f->p.target, 6);
	check_ints(f->p.order, f->p.norder, "0 1 3 4 6");
	check_ints(f->p.skipped, f->p.nskipped, "2 5");
	assert_int_equal(f->p.stages[6].level, 3);
	fx_free(f);

	/* independent stages at the same level */
	f = plan_ok("FROM a AS x\nFROM b AS y\nFROM c\nCOPY --from=x / /\nCOPY --from=y / /\n");
	check_ints(f->p.order, f->p.norder, "0 1 2");
	assert_int_equal(f->p.stages[0].level, 0);
	assert_int_equal(f->p.stages[1].level, 0);
	assert_int_equal(f->p.stages[2].level, 1);
	fx_free(f);
}

static void test_stage_inherits_scope(void **state)
{
	struct fx *f;

	(void)state;
	/* ENV and ARG values of the parent stage carry into FROM parent */
	f = plan_ok("FROM alpine AS p\nARG A=1\nENV E=e\n"
		    "FROM p\nUSER $A:$E\nRUN x\nFROM p\nENV F=$E\nCOPY --from=1 / /\n");
	check_words(instr(f, 1, 0), "1:e");
	check_pairs(instr(f, 1, 1)->args, 1, "A=1");
	check_pairs(instr(f, 2, 0)->pairs, 1, "F=e");
	/* both children inherit from stage 0, each with its own copy */
	assert_int_equal(f->p.stages[2].base_stage, 0);
	fx_free(f);
}

/* ---- ONBUILD ---- */

static void test_onbuild_insert(void **state)
{
	static const char *const triggers[] = {
		"ARG TRIG=t", "COPY --from=tools /bin/tool /usr/bin/", "ENV X=$TRIG$Y",
	};
	static const char *const env[] = { "PATH=/usr/bin", "Y=img" };
	static const char *const bad1[] = { "FROM x" };
	static const char *const bad2[] = { "RUN a\nRUN b" };
	static const char *const bad3[] = { "BOGUS x" };
	static const char *const bad4[] = { "COPY --from=nope:1 --bad a b" };
	static const char *const bad5[] = { "ENV A=${Q:?q}" };
	struct kerr err = KERR_INIT;
	struct fx *f;

	(void)state;
	f = plan_ok_opts("FROM alpine AS tools\nRUN build\nFROM other AS unused\n"
			 "FROM base:1 AS app\nARG Y=y\nRUN x\n",
			 NULL, "app", NULL);
	check_ints(f->p.order, f->p.norder, "2");
	assert_int_equal(plan_insert_onbuild(&f->p, 2, triggers, 3, &err), 0);
	/* right after FROM, on the FROM's line */
	assert_int_equal(f->p.stages[2].ninstrs, 5);
	assert_true(instr(f, 2, 0)->onbuild);
	assert_int_equal(instr(f, 2, 0)->line, 4);
	check_pairs(instr(f, 2, 0)->pairs, 1, "TRIG=t");
	assert_int_equal(instr(f, 2, 1)->from.stage, 0);
	check_pairs(instr(f, 2, 2)->pairs, 1, "X=t");
	assert_false(instr(f, 2, 3)->onbuild);
	/* the trigger's COPY --from makes tools needed */
	check_ints(f->p.order, f->p.norder, "0 2");
	assert_int_equal(f->p.stages[0].ninstrs, 1);
	check_ints(f->p.skipped, f->p.nskipped, "1");

	/* the base image's environment under the stage's own scope */
	assert_int_equal(plan_set_base_env(&f->p, 2, env, 2, &err), 0);
	check_pairs(instr(f, 2, 2)->pairs, 1, "X=timg");

	/* bad triggers, located at the FROM */
	assert_int_equal(plan_insert_onbuild(&f->p, 2, bad1, 1, &err), -1);
	assert_string_equal(err.msg, "Dockerfile:4: ONBUILD trigger 'FROM x' of the base "
			    "image: FROM isn't allowed as an ONBUILD trigger");
	assert_int_equal(plan_insert_onbuild(&f->p, 2, bad2, 1, &err), -1);
	assert_string_equal(err.msg, "Dockerfile:4: ONBUILD trigger 'RUN a\nRUN b' of the "
			    "base image: onbuild trigger should be a single expression");
	assert_int_equal(plan_insert_onbuild(&f->p, 2, bad3, 1, &err), -1);
	assert_string_equal(err.msg, "Dockerfile:4: ONBUILD trigger 'BOGUS x' of the base "
			    "image: unknown instruction: BOGUS");
	assert_int_equal(plan_insert_onbuild(&f->p, 2, bad4, 1, &err), -1);
	assert_string_equal(err.msg, "Dockerfile:4: ONBUILD trigger 'COPY --from=nope:1 "
			    "--bad a b' of the base image: unknown flag '--bad' for COPY");
	assert_int_equal(plan_insert_onbuild(&f->p, 2, bad5, 1, &err), -1);
	assert_string_equal(err.msg, "Dockerfile:4: cannot expand '${Q:?q}': Q: q");
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
	fx_free(f);
}

static void test_onbuild_from_stage(void **state)
{
	struct fx *f;

	(void)state;
	/* a stage FROM a stage runs the parent's ONBUILD lines first, a
	 * trigger's heredoc included */
	f = plan_ok(IS_ENABLED(CONFIG_DF_HEREDOC) ?
		    "FROM alpine AS base\nARG V=1\nONBUILD RUN echo $V\n"
		    "ONBUILD COPY <<EOF /f\nv=$V\nEOF\n"
		    "FROM base\nRUN own\n" :
		    "FROM alpine AS base\nARG V=1\nONBUILD RUN echo $V\n"
		    "ONBUILD COPY /f$V /f\n\n\n"
		    "FROM base\nRUN own\n");
	assert_int_equal(f->p.stages[1].ninstrs, 3);
	assert_true(instr(f, 1, 0)->onbuild);
	assert_int_equal(instr(f, 1, 0)->kind, DF_RUN);
	assert_int_equal(instr(f, 1, 0)->line, 7);
	check_words(instr(f, 1, 0), "echo $V");
	assert_int_equal(instr(f, 1, 1)->kind, DF_COPY);
	if (IS_ENABLED(CONFIG_DF_HEREDOC))
		assert_string_equal(instr(f, 1, 1)->heredocs[0], "v=1\n");
	else
		check_words(instr(f, 1, 1), "/f1|/f");
	assert_false(instr(f, 1, 2)->onbuild);
	/* the parent itself only records them */
	assert_int_equal(instr(f, 0, 1)->kind, DF_ONBUILD);
	fx_free(f);
}

/* ---- build args ---- */

static void test_unused_build_args(void **state)
{
	static const char *const args[] = {
		"GLOBAL=1", "STAGE=2", "OTHER=3", "NEVER=4", "TARGETARCH=arm64",
		"https_proxy=p", "BUILDKIT_INLINE_CACHE=1", "SOURCE_DATE_EPOCH=0",
		"Z=1", NULL,
	};
	struct fx *f;

	(void)state;
	f = plan_ok_opts("ARG GLOBAL\nFROM alpine:$TARGETARCH AS a\nARG STAGE\n"
			 "FROM alpine AS b\nARG OTHER\n", args, "a", NULL);
	/* OTHER's stage is skipped, so nothing consumed it */
	check_unused(f, "NEVER OTHER Z");
	fx_free(f);

	f = plan_ok_opts("FROM alpine\n", (const char *const[]){ "A=1", "A=2", NULL },
			 NULL, NULL);
	check_unused(f, "A");
	fx_free(f);
}

static void test_many_instructions(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct fx *f;

	(void)state;
	/* a chain: each stage copies from the one before */
	strbuf_addstr(&sb, "ARG G=g\n");
	for (int s = 0; s < 500; s++) {
		strbuf_addf(&sb, "FROM %s AS s%d\nARG A=%d\n", s ? "alpine:$G" : "scratch", s, s);
		for (int k = 0; k < 8; k++) {
			strbuf_addf(&sb, "ENV E%d=$A-%d\nCOPY ", k, k);
			if (s)
				strbuf_addf(&sb, "--from=s%d ", s - 1);
			strbuf_addf(&sb, "/x /y/$E%d\n", k);
		}
	}
	f = plan_ok(sb.buf);
	assert_int_equal(f->p.nstages, 500);
	assert_int_equal(f->p.norder, 500);
	assert_int_equal(f->p.nlevels, 500);
	check_words(instr(f, 499, 16), "/x|/y/499-7");
	fx_free(f);
	strbuf_release(&sb);
}

static void test_dump(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct fx *f;

	(void)state;
	f = plan_ok("FROM debian:12 AS build\nARG V=1\nRUN make $V\nFROM alpine AS x\n"
		    "FROM build\nCOPY --from=0 /a /b\n");
	/* plan_dump is in the binary only with kiln debug */
	if (IS_ENABLED(CONFIG_DEBUG_CMD)) {
		plan_dump(&sb, &f->p);
		assert_string_equal(sb.buf,
			"stage 0 \"build\" FROM debian:12 (platform linux/amd64) level 0\n"
			"     2 ARG V=1\n"
			"     3 RUN make $V  (args: V=1)\n"
			"stage 2 FROM stage 0 \"build\" (platform linux/amd64) level 1 needs 0 "
			"target\n"
			"     6 COPY --from=0 /a /b  (from stage 0 \"build\")\n"
			"skipped stage 1 \"x\" FROM alpine (platform linux/amd64)\n");
	}
	strbuf_release(&sb);
	fx_free(f);
	if (!IS_ENABLED(CONFIG_DEBUG_CMD))
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_arg_in_from),
		cmocka_unit_test(test_global_needs_redeclaration),
		cmocka_unit_test(test_stage_arg_default_and_build_arg),
		cmocka_unit_test(test_build_arg_from_env),
		cmocka_unit_test(test_env_and_arg_order),
		cmocka_unit_test(test_args_not_in_config),
		cmocka_unit_test(test_proxy_args),
		cmocka_unit_test(test_platform_args),
		cmocka_unit_test(test_platform_parse),
		cmocka_unit_test(test_platform_errors),
		cmocka_unit_test(test_what_expands),
		cmocka_unit_test(test_flag_bool),
		cmocka_unit_test(test_heredoc_expansion),
		cmocka_unit_test(test_expansion_errors),
		cmocka_unit_test(test_stage_refs),
		cmocka_unit_test(test_stage_errors),
		cmocka_unit_test(test_target_pruning),
		cmocka_unit_test(test_stage_inherits_scope),
		cmocka_unit_test(test_onbuild_insert),
		cmocka_unit_test(test_onbuild_from_stage),
		cmocka_unit_test(test_unused_build_args),
		cmocka_unit_test(test_many_instructions),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
