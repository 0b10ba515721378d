/* rmi.c: 'kiln rmi NAME...': remove names; an image left without a name is
 * removed from the index, and 'kiln prune' frees its blobs. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"

static const struct cmd_help rmi_help = {
	"rmi", "[-f] IMAGE...",
	H("Remove image names. An ID removes the image with all its names "
	  "(-f when it has more than one)."),
};

int cmd_rmi(int argc, char **argv, struct kerr *err)
{
	int force = 0;
	const struct opt opts[] = {
		OPT_BOOL_('f', "force", &force, "remove an image by ID even when it has several names"),
		OPT_END_(),
	};
	struct store st;
	struct oci_index idx;
	int r = 0;

	argc = opt_parse(argc, argv, opts, &rmi_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc < 1)
		return kerr_input(err, "expected at least one IMAGE; see 'kiln rmi --help'");
	if (storecmd_open(&st, err) < 0)
		return -1;
	/* every name must resolve before any is removed: bad input changes
	 * nothing */
	if (store_index_read(&st, &idx, err) < 0) {
		store_close(&st);
		return -1;
	}
	for (int i = 0; i < argc && r >= 0; i++)
		r = store_resolve(&st, &idx, argv[i], err);
	oci_index_clear(&idx);
	for (int i = 0; i < argc && r >= 0; i++) {
		struct strvec rep = STRVEC_INIT;

		r = store_remove(&st, argv[i], force, &rep, err);
		for (size_t k = 0; k < rep.n; k++)
			printf("%s\n", rep.v[k]);
		strvec_clear(&rep);
	}
	store_close(&st);
	return r;
}
