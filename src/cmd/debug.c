/* debug.c: 'kiln debug': kiln's view of a Dockerfile for bug reports and
 * tools; 'parse' prints the parse tree (BuildKit's dump format, or JSON). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/dump.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"

/* far beyond any real Dockerfile, small enough to refuse a wrong file fast */
#define DOCKERFILE_MAX (64u << 20)

static const struct cmd_help debug_help = {
	"debug", "SUBCOMMAND [OPTIONS]",
	H("Show how kiln reads a Dockerfile.\n\n"
	  "Subcommands:\n"
	  "  parse    the parse tree, in BuildKit's dump format or as JSON"),
};

static const struct cmd_help parse_help = {
	"debug parse", "[-f FILE] [--json] [--validate] [FILE]",
	H("Print the parse tree of a Dockerfile (default ./Dockerfile, '-' reads\n"
	  "standard input): one line per instruction as BuildKit's parser dumps it,\n"
	  "before any variable is expanded."),
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
	return kerr_input(err, "'%s' is not a debug subcommand; see 'kiln debug --help'",
			  argv[0]);
}
