/* cmd.h: what a command is, and the state the global options set. */
#ifndef KILN_CMD_CMD_H
#define KILN_CMD_CMD_H

#include "cmd/commands.h"
#include "util/err.h"
#include "util/opt.h"

typedef int (*cmd_fn)(int argc, char **argv, struct kerr *err);

/* int cmd_build(int argc, char **argv, struct kerr *err); ... */
#define KILN_DECLARE_CMD(name, fn, sym, summary) int fn(int argc, char **argv, struct kerr *err);
KILN_COMMANDS(KILN_DECLARE_CMD)
#undef KILN_DECLARE_CMD

struct cmd {
	const char *name;
	cmd_fn fn;		/* NULL when the command is not in this build */
	const char *symbol;	/* the Kconfig symbol that builds it */
	const char *summary;
};

/* set by the global options (see main.c) */
struct kiln_globals {
	const char *root;	/* --root / KILN_ROOT: the store */
	int verbose;		/* -v count */
	int debug;		/* --debug */
	const char *log_level;	/* --log-level */
};

extern struct kiln_globals kiln_globals;

const struct cmd *cmd_find(const char *name);
const struct cmd *cmd_table(void);	/* ends with a NULL name */
void cmd_print_main_help(void);

#endif
