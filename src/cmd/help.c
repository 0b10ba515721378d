/* help.c: 'kiln help [COMMAND]' and the main help page. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static const struct cmd_help help_help = {
	"help", "[COMMAND]", H("Show the help of kiln, or of one command."),
};

void cmd_print_main_help(void)
{
	const struct cmd *c;
	int missing = 0;

	printf("usage: kiln [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n");
	printf("kiln builds OCI container images from Dockerfiles, without root and\n"
	       "without a daemon.\n\nCommands:\n");
	for (c = cmd_table(); c->name; c++)
		if (c->fn)
			printf("  %-9s %s\n", c->name, c->summary);
	for (c = cmd_table(); c->name; c++)
		if (!c->fn)
			missing++;
	if (missing) {
		printf("\nNot in this build:");
		for (c = cmd_table(); c->name; c++)
			if (!c->fn)
				printf(" %s", c->name);
		printf("\n");
	}
	opt_print_help(NULL, NULL);
	printf("\nExit status: 0 success, 1 the work failed, 2 bad usage or input.\n"
	       "Run 'kiln COMMAND --help' for a command's options.\n");
}

int cmd_help(int argc, char **argv, struct kerr *err)
{
	const struct cmd *c;
	char *sub[] = { NULL, "--help", NULL };

	argc = opt_parse(argc, argv, NULL, &help_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc == 0) {
		cmd_print_main_help();
		return 0;
	}
	if (argc > 1)
		return kerr_input(err, "one command at a time");
	c = cmd_find(argv[0]);
	if (!c)
		return kerr_input(err, "'%s' is not a kiln command", argv[0]);
	if (!c->fn)
		return kerr_input(err, "'%s' is not in this build (%s=n)", c->name, c->symbol);
	sub[0] = (char *)c->name;
	return c->fn(2, sub, err);
}
