/* push.c: 'kiln push IMAGE [DESTINATION]': an image of the store (or a
 * multi-platform index) to a registry, ending with docker's digest line. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/regcmd.h"
#include "cmd/storecmd.h"
#include "util/fs.h"

static const struct cmd_help push_help = {
	"push", "[OPTIONS] IMAGE [DESTINATION]",
	H("Send the store's image IMAGE (a name or an ID) to a registry: to IMAGE's own "
	  "name, or to DESTINATION (REGISTRY/NAME[:TAG]). Blobs the registry has are "
	  "skipped, blobs of another repository of the same registry mounted. The last "
	  "line is docker's 'TAG: digest: sha256:... size: N'."),
};

int cmd_push(int argc, char **argv, struct kerr *err)
{
	struct reg_push_opts o = { REG_OPTS_INIT, false };
	const char *format = NULL, *digestfile = NULL;
	int quiet = 0;
	const struct opt opts[] = {
		REGCMD_OPTS(&o.reg),
		OPT_STRING_(0, "format", &format, "oci|docker",
			    "media types of the manifests pushed (default: as stored)"),
		OPT_STRING_(0, "digestfile", &digestfile, "FILE",
			    "write the digest of what was pushed to FILE"),
		OPT_INT_('j', "jobs", &o.reg.jobs, "N", "blobs sent at once (default 3)"),
		OPT_BOOL_('q', "quiet", &quiet, "print only the digest line"),
		OPT_END_(),
	};
	char digest[DIGEST_STR_LEN];
	int64_t size;
	struct store st;
	int r;

	argc = opt_parse(argc, argv, opts, &push_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc < 1 || argc > 2)
		return kerr_input(err, "expected IMAGE [DESTINATION]; see 'kiln push --help'");
	if (format && strcmp(format, "oci") && strcmp(format, "docker") &&
	    strcmp(format, "v2s2") && strcmp(format, "oci-archive"))
		return kerr_input(err, "--format: '%s' is not 'oci' or 'docker'", format);
	o.docker_format = format && (!strcmp(format, "docker") || !strcmp(format, "v2s2"));
	o.reg.out = stdout;
	o.reg.quiet = quiet;
	r = storecmd_open(&st, err);
	if (r < 0)
		return -1;
	r = reg_push(&st, argv[0], argc == 2 ? argv[1] : NULL, &o, digest, &size, err);
	store_close(&st);
	if (r >= 0 && digestfile)
		r = atomic_write_at(AT_FDCWD, digestfile, digest, strlen(digest), 0644, err);
	return r;
}
