/* pull.c: 'kiln pull [--platform P] IMAGE': an image from a registry into
 * the store, docker's lines on stdout. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/regcmd.h"
#include "cmd/storecmd.h"

static const struct cmd_help pull_help = {
	"pull", "[OPTIONS] NAME[:TAG|@DIGEST]",
	H("Fetch an image from a registry (docker.io when NAME names none) into the store. "
	  "Of a multi-platform image, the one for --platform (default: this host's) is "
	  "fetched and the index kept. Blobs the store has are not fetched again; each "
	  "one is checked against its digest while it is written."),
};

int cmd_pull(int argc, char **argv, struct kerr *err)
{
	struct reg_opts o = REG_OPTS_INIT;
	const char *platform = NULL;
	int quiet = 0;
	const struct opt opts[] = {
		OPT_STRING_(0, "platform", &platform, "OS/ARCH[/VARIANT]",
			    "the platform to fetch of a multi-platform image"),
		REGCMD_OPTS(&o),
		OPT_INT_('j', "jobs", &o.jobs, "N", "blobs fetched at once (default 3)"),
		OPT_BOOL_('q', "quiet", &quiet, "print only the image's reference"),
		OPT_END_(),
	};
	struct oci_platform want = OCI_PLATFORM_INIT;
	struct reg_pull_result res;
	struct store st;
	int r;

	argc = opt_parse(argc, argv, opts, &pull_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc != 1)
		return kerr_input(err, "expected one image; see 'kiln pull --help'");
	if (platform && img_platform_parse(platform, &want, err) < 0)
		return kerr_wrap(err, "--platform");
	o.out = stdout;
	o.quiet = quiet;
	r = storecmd_open(&st, err);
	if (r >= 0) {
		r = reg_pull(&st, argv[0], platform ? &want : NULL, &o, &res, err);
		reg_pull_result_clear(&res);
		store_close(&st);
	}
	oci_platform_clear(&want);
	return r;
}
