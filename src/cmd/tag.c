/* tag.c: 'kiln tag SOURCE TARGET': another name for an image; a TARGET
 * that named another image moves, leaving that image as <none>. */
#include "cmd/cmd.h"
#include "cmd/storecmd.h"

static const struct cmd_help tag_help = {
	"tag", "SOURCE TARGET",
	H("Give the image SOURCE (a name or an ID) the name TARGET."),
};

int cmd_tag(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	struct store st;
	struct oci_index idx;
	int i, r;

	argc = opt_parse(argc, argv, opts, &tag_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc != 2)
		return kerr_input(err, "expected SOURCE and TARGET; see 'kiln tag --help'");
	if (storecmd_open(&st, err) < 0)
		return -1;
	/* prune waits while we hold, so SOURCE's blobs stay while we name them */
	r = store_hold(&st, err);
	if (r >= 0)
		r = store_index_read(&st, &idx, err);
	if (r < 0) {
		store_close(&st);
		return -1;
	}
	i = store_resolve(&st, &idx, argv[0], err);
	r = i < 0 ? -1 : store_tag(&st, &idx.manifests[i], argv[1], err);
	oci_index_clear(&idx);
	store_close(&st);
	return r;
}
