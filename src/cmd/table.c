/* table.c: the command table, built from commands.h and the config: a
 * command whose symbol is off is a NULL entry and its code is not linked. */
#include <string.h>

#include "cmd/cmd.h"

/* here, not in main.c, so that unit tests (linked without main.o) can use
 * commands that read the global options */
struct kiln_globals kiln_globals;

#define ENTRY(name, fn, sym, summary) { #name, IS_ENABLED(sym) ? fn : NULL, #sym, summary },
static const struct cmd commands[] = {
	KILN_COMMANDS(ENTRY)
	{ NULL, NULL, NULL, NULL },
};
#undef ENTRY

const struct cmd *cmd_table(void)
{
	return commands;
}

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

