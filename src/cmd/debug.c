/* debug.c: 'kiln debug': kiln's view of a Dockerfile for bug reports and
 * tools; 'parse' prints the parse tree (BuildKit's dump format, or JSON),
 * 'plan' the stages a build would run, expanded and pruned; 'platforms' how
 * this machine runs each image platform. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build/plan.h"
#include "cmd/cmd.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/dump.h"
#include "sandbox/sandbox.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* far beyond any real Dockerfile, small enough to refuse a wrong file fast */
#define DOCKERFILE_MAX (64u << 20)

static const struct cmd_help debug_help = {
	"debug", "SUBCOMMAND [OPTIONS]",
	H("Show how kiln reads a Dockerfile, and how it runs other platforms.\n\n"
	  "Subcommands:\n"
	  "  parse      the parse tree, in BuildKit's dump format or as JSON\n"
	  "  plan       the stages a build runs, after build args and expansion\n"
	  "  platforms  how this machine runs each image platform"),
};

static const struct cmd_help platforms_help = {
	"debug platforms", "",
	H("For each image platform kiln knows, how RUN steps and 'kiln run' would\n"
	  "run its binaries here: natively, through the host's binfmt_misc entry\n"
	  "(host binfmt), through qemu-user registered in kiln's own user namespace\n"
	  "(kiln binfmt), or not at all and why. Nothing is registered to find out.\n"
	  "KILN_EMULATION=host|binfmt and KILN_QEMU_DIRS change the answer as they\n"
	  "change kiln run's."),
};

static const struct cmd_help parse_help = {
	"debug parse", "[-f FILE] [--json] [--validate] [FILE]",
	H("Print the parse tree of a Dockerfile (default ./Dockerfile, '-' reads\n"
	  "standard input): one line per instruction as BuildKit's parser dumps it,\n"
	  "before any variable is expanded."),
};

static const struct cmd_help plan_help = {
	"debug plan", "[-f FILE] [--target T] [--build-arg K=V]... [--platform P] [--json] [FILE]",
	H("Print the stages a build of the Dockerfile would run: the target and\n"
	  "what it needs (the others are listed as skipped), each instruction with\n"
	  "its variables expanded and the build args it used. Nothing is pulled, so\n"
	  "a base image's environment and ONBUILD triggers are not in it."),
};

static int read_dockerfile(const char *file, struct strbuf *sb, struct kerr *err)
{
	if (!strcmp(file, "-")) {
		if (strbuf_read_fd(sb, STDIN_FILENO, DOCKERFILE_MAX, err) < 0)
			return kerr_wrap(err, "standard input");
		return 0;
	}
	return read_file_at(AT_FDCWD, file, sb, DOCKERFILE_MAX, err);
}

static int debug_parse(int argc, char **argv, struct kerr *err)
{
	const char *file = NULL;
	int as_json = 0, validate = 0;
	const struct opt opts[] = {
		OPT_STRING_('f', "file", &file, "FILE",
			    "the Dockerfile (default ./Dockerfile; '-': standard input)"),
		OPT_BOOL_(0, "json", &as_json, "print a JSON document instead"),
		OPT_BOOL_(0, "validate", &validate,
			  "also run the checks of a build (flags, arguments, --mount)"),
		OPT_END_(),
	};
	cleanup_strbuf struct strbuf src = STRBUF_INIT;
	cleanup_strbuf struct strbuf out = STRBUF_INIT;
	struct df_file df;
	const char *name;

	argc = opt_parse(argc, argv, opts, &parse_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 1 || (argc == 1 && file))
		return kerr_input(err, "one Dockerfile at a time; see 'kiln debug parse --help'");
	if (argc == 1)
		file = argv[0];
	if (!file)
		file = "Dockerfile";
	if (read_dockerfile(file, &src, err) < 0)
		return -1;
	/* messages name the file as the user gave it, stdin as BuildKit does */
	name = strcmp(file, "-") ? file : "Dockerfile";
	if (df_parse(src.buf, src.len, name, &df, err) < 0)
		return -1;
	if (validate && df_validate(&df, err) < 0) {
		df_file_release(&df);
		return -1;
	}
	if (as_json) {
		cleanup_json cJSON *doc = df_dump_json(&df);
		cleanup_free char *text = json_print(doc);

		strbuf_addstr(&out, text);
		strbuf_addch(&out, '\n');
	} else {
		df_dump(&out, &df);
	}
	df_file_release(&df);
	fwrite(out.buf, 1, out.len, stdout);
	return 0;
}

/* the names every plan left unused: one warning for all platforms */
static void warn_unused(struct plan *plans, size_t n)
{
	struct strvec all = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t kept = 0;

	plan_unused_build_args(&plans[0], &all);
	for (size_t k = 0; k < all.n; k++) {
		bool everywhere = true;

		for (size_t i = 1; i < n && everywhere; i++) {
			struct strvec u = STRVEC_INIT;

			plan_unused_build_args(&plans[i], &u);
			everywhere = false;
			for (size_t j = 0; j < u.n; j++)
				everywhere |= !strcmp(u.v[j], all.v[k]);
			strvec_clear(&u);
		}
		if (everywhere)
			strbuf_addf(&sb, "%s%s", kept++ ? " " : "", all.v[k]);
	}
	if (kept)
		log_warn("One or more build-args [%s] were not consumed", sb.buf);
	strbuf_release(&sb);
	strvec_clear(&all);
}

static int debug_plan(int argc, char **argv, struct kerr *err)
{
	const char *file = NULL, *target = NULL, *platform = NULL, *build_platform = NULL;
	int as_json = 0, r = -1;
	cleanup_strvec struct strvec given = STRVEC_INIT;
	cleanup_strvec struct strvec args = STRVEC_INIT;
	cleanup_strvec struct strvec platforms = STRVEC_INIT;
	const struct opt opts[] = {
		OPT_STRING_('f', "file", &file, "FILE",
			    "the Dockerfile (default ./Dockerfile; '-': standard input)"),
		OPT_STRING_(0, "target", &target, "STAGE", "the stage to build (default: the last)"),
		OPT_LIST_(0, "build-arg", &given, "K=V",
			  "a build arg; a bare K takes K from the environment"),
		OPT_STRING_(0, "platform", &platform, "P[,P...]",
			    "target platforms (default: the build platform)"),
		OPT_STRING_(0, "build-platform", &build_platform, "P",
			    "the platform the build runs on (default: this machine's)"),
		OPT_BOOL_(0, "json", &as_json, "print a JSON document instead"),
		OPT_END_(),
	};
	cleanup_strbuf struct strbuf src = STRBUF_INIT;
	cleanup_strbuf struct strbuf out = STRBUF_INIT;
	struct plan *plans = NULL;
	size_t nplans = 0;
	struct df_file df;
	const char *name;
	cJSON *doc = NULL;

	argc = opt_parse(argc, argv, opts, &plan_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 1 || (argc == 1 && file))
		return kerr_input(err, "one Dockerfile at a time; see 'kiln debug plan --help'");
	if (argc == 1)
		file = argv[0];
	if (!file)
		file = "Dockerfile";
	for (size_t k = 0; k < given.n; k++)
		if (plan_build_arg(given.v[k], &args, err) < 0)
			return kerr_wrap(err, "--build-arg");
	if (platform)
		strvec_split(&platforms, platform, ',');
	else
		strvec_push(&platforms, "");
	if (read_dockerfile(file, &src, err) < 0)
		return -1;
	name = strcmp(file, "-") ? file : "Dockerfile";
	if (df_parse(src.buf, src.len, name, &df, err) < 0)
		return -1;
	if (df_validate(&df, err) < 0)
		goto out;
	plans = xcalloc(platforms.n, sizeof(*plans));
	for (; nplans < platforms.n; nplans++) {
		struct plan_opts o = {
			(const char *const *)args.v, args.n, target,
			*platforms.v[nplans] ? platforms.v[nplans] : NULL, build_platform,
		};

		if (plan_build(&plans[nplans], &df, &o, err) < 0)
			goto out;
	}
	if (as_json) {
		cleanup_free char *text = NULL;

		if (nplans == 1) {
			doc = plan_dump_json(&plans[0]);
		} else {
			doc = cJSON_CreateArray();
			for (size_t i = 0; i < nplans; i++)
				cJSON_AddItemToArray(doc, plan_dump_json(&plans[i]));
		}
		text = json_print(doc);
		strbuf_addstr(&out, text);
		strbuf_addch(&out, '\n');
	} else {
		for (size_t i = 0; i < nplans; i++) {
			char pl[PLAN_PLATFORM_STR];

			if (nplans > 1)
				strbuf_addf(&out, "%s# platform %s\n", i ? "\n" : "",
					    plan_platform_str(&plans[i].platform, pl));
			plan_dump(&out, &plans[i]);
		}
	}
	fwrite(out.buf, 1, out.len, stdout);
	fflush(stdout);
	warn_unused(plans, nplans);
	r = 0;
out:
	cJSON_Delete(doc);
	for (size_t i = 0; i < nplans; i++)
		plan_release(&plans[i]);
	free(plans);
	df_file_release(&df);
	return r;
}

static int debug_platforms(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	cleanup_strbuf struct strbuf out = STRBUF_INIT;

	argc = opt_parse(argc, argv, opts, &platforms_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 0)
		return kerr_input(err, "'debug platforms' takes no arguments");
	sandbox_emulation_report(&out);
	fwrite(out.buf, 1, out.len, stdout);
	return 0;
}

int cmd_debug(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };

	argc = opt_parse(argc, argv, opts, &debug_help, OPT_STOP_AT_NONOPT, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc == 0)
		return kerr_input(err, "no subcommand given; see 'kiln debug --help'");
	if (!strcmp(argv[0], "parse"))
		return debug_parse(argc, argv, err);
	if (!strcmp(argv[0], "plan"))
		return debug_plan(argc, argv, err);
	if (!strcmp(argv[0], "platforms"))
		return debug_platforms(argc, argv, err);
	return kerr_input(err, "'%s' is not a debug subcommand; see 'kiln debug --help'",
			  argv[0]);
}
