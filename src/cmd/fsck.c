/* fsck.c: 'kiln fsck [--repair]': checks the store and prints one line per
 * problem, then a summary; exits 1 when it found a problem. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "store/fsck.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const struct cmd_help fsck_help = {
	"fsck", "[--repair]",
	H("Check the store: oci-layout and index.json, every blob against its "
	  "digest and its descriptor's size, each image's config against its "
	  "layers, unpacked layers and temporary files left by killed kiln "
	  "processes. Prints one line per problem, then a summary, and exits "
	  "1 when it found one. --repair removes stale temporary files, "
	  "corrupt blobs and what is not a blob, and the names of images whose "
	  "blobs are missing or corrupt (saying which), so the store is usable "
	  "again; it waits for other kiln processes writing to the store."),
};

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

int cmd_fsck(int argc, char **argv, struct kerr *err)
{
	int repair = 0;
	const struct opt opts[] = {
		OPT_BOOL_(0, "repair", &repair, "remove what is safe to remove (see above)"),
		OPT_END_(),
	};
	struct store_fsck_stats s;
	cleanup_free char *root = NULL;
	char size[32];

	argc = opt_parse(argc, argv, opts, &fsck_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 0)
		return kerr_input(err, "unexpected argument '%s'", argv[0]);
	root = store_default_root(err);
	if (repair)
		storecmd_enter_ids();
	if (!root || store_fsck(root, repair, print_line, NULL, &s, err) < 0)
		return -1;
	format_size(size, sizeof(size), s.bytes);
	printf("fsck: %u image%s, %u blob%s (%s): ", s.images, s.images == 1 ? "" : "s",
	       s.blobs, s.blobs == 1 ? "" : "s", size);
	if (!s.problems)
		printf("no problems\n");
	else if (!repair)
		printf("%u problem%s; 'kiln fsck --repair' fixes what it can\n", s.problems,
		       s.problems == 1 ? "" : "s");
	else
		printf("%u problem%s, %u repaired\n", s.problems, s.problems == 1 ? "" : "s",
		       s.fixed);
	return s.problems ? 1 : 0;
}
