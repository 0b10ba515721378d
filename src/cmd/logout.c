/* logout.c: 'kiln logout REGISTRY': forgets the credentials kiln's auth
 * file holds for a registry. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/regcmd.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const struct cmd_help logout_help = {
	"logout", "[REGISTRY]",
	H("Remove the credentials stored for REGISTRY (docker.io when none is given) "
	  "from kiln's auth file. Those in docker's or containers' files stay."),
};

int cmd_logout(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	cleanup_free char *registry = NULL;
	int r;

	argc = opt_parse(argc, argv, opts, &logout_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 1)
		return kerr_input(err, "expected one REGISTRY; see 'kiln logout --help'");
	registry = regcmd_registry(argc ? argv[0] : IMG_REF_DEFAULT_DOMAIN);
	r = reg_creds_remove(registry, err);
	if (r < 0)
		return -1;
	if (r == 1)
		return kerr_input(err, "not logged in to '%s'", registry);
	printf("Removed login credentials for %s\n", registry);
	return 0;
}
