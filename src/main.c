/* main.c: the multi-call entry point. Parses the global options, finds the
 * command in the table built from the config, runs it, and is the one place
 * that prints an error: "kiln: <command>: <context>: <what>". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/log.h"

static const struct opt global_opts[] = {
	OPT_STRING_(0, "root", &kiln_globals.root, "DIR", "the image store (default $KILN_ROOT, "
		    "else $XDG_DATA_HOME/kiln or ~/.local/share/kiln)"),
	OPT_COUNT_('v', "verbose", &kiln_globals.verbose, "debug messages (-vv: trace)"),
	OPT_BOOL_(0, "debug", &kiln_globals.debug, "debug messages (as KILN_LOG=debug)"),
	OPT_STRING_(0, "log-level", &kiln_globals.log_level, "LEVEL",
		    "error, warn, info, debug or trace (default: $KILN_LOG, else info)"),
	OPT_END_(),
};

static int set_log_level(struct kerr *err)
{
	const char *env = getenv("KILN_LOG");
	int level = LOG_INFO;

	if (env && *env) {
		level = log_parse_level(env);
		if (level < 0)
			return kerr_input(err, "KILN_LOG: unknown level '%s'", env);
	}
	if (kiln_globals.verbose)
		level = kiln_globals.verbose > 1 ? LOG_TRACE : LOG_DEBUG;
	if (kiln_globals.debug)
		level = LOG_DEBUG;
	if (kiln_globals.log_level) {
		level = log_parse_level(kiln_globals.log_level);
		if (level < 0)
			return kerr_input(err, "--log-level: unknown level '%s'",
					  kiln_globals.log_level);
	}
	log_level = level;
	return 0;
}

/* Global options before the command; they are also accepted after it. */
static int parse_globals(int *argc, char ***argv, struct kerr *err)
{
	static const struct cmd_help top = { NULL, NULL, NULL };
	int i;

	for (i = 1; i < *argc; i++) {
		const char *a = (*argv)[i];

		if (a[0] != '-' || !strcmp(a, "-"))
			break;
		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cmd_print_main_help();
			return 1;
		}
		if (!strcmp(a, "--version")) {
			(*argv)[i] = "version";
			break;
		}
		/* one option (with its value) at a time through the shared parser */
		{
			char *one[4] = { "kiln", (*argv)[i], NULL, NULL };
			int n = 2, r;

			if (!strchr(a, '=') && i + 1 < *argc &&
			    (!strcmp(a, "--root") || !strcmp(a, "--log-level"))) {
				one[2] = (*argv)[++i];
				n = 3;
			}
			r = opt_parse(n, one, NULL, &top, 0, err);
			if (r < 0)
				return r == OPT_HELP_SHOWN ? 1 : -1;
		}
	}
	*argc -= i;
	*argv += i;
	return 0;
}

int main(int argc, char **argv)
{
	struct kerr err = KERR_INIT;
	const struct cmd *c;
	int r;

	opt_global = global_opts;
	opt_global_hook = set_log_level;
	r = parse_globals(&argc, &argv, &err);
	if (r > 0)
		return 0;
	if (r < 0)
		goto out_err;
	if (argc < 1) {
		kerr_input(&err, "no command given; see 'kiln --help'");
		goto out_err;
	}
	c = cmd_find(argv[0]);
	if (!c) {
		kerr_input(&err, "'%s' is not a kiln command; see 'kiln --help'", argv[0]);
		goto out_err;
	}
	if (!c->fn) {
		kerr_input(&err, "'%s' is not in this build (%s=n)", c->name, c->symbol);
		goto out_err;
	}
	/* global options after the command set it again (opt_global_hook) */
	if (set_log_level(&err) < 0)
		goto out_err;
	r = c->fn(argc, argv, &err);
	if (r < 0) {
		kerr_wrap(&err, "%s", c->name);
		goto out_err;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		kerr_errno(&err, errno, "cannot write to standard output");
		goto out_err;
	}
	return r;

out_err:
	fflush(stdout);
	fprintf(stderr, "kiln: %s\n", err.msg ? err.msg : "unknown error");
	r = kerr_exit_code(&err);
	kerr_clear(&err);
	return r;
}
