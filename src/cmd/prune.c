/* prune.c: 'kiln prune': removes images without a name and every blob and
 * unpacked layer no named image needs, and says how much that freed. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "util/fs.h"

static const struct cmd_help prune_help = {
	"prune", "",
	H("Remove images without a name, then the blobs, unpacked layers and "
	  "temporary files that no named image uses, and the build step cache "
	  "with its logs (the layers of steps are such blobs; RUN cache mounts "
	  "stay). Waits for other kiln processes writing to the store."),
};

int cmd_prune(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	struct store_prune_stats stats;
	struct store st;
	char size[32];
	int r;

	argc = opt_parse(argc, argv, opts, &prune_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 0)
		return kerr_input(err, "unexpected argument '%s'", argv[0]);
	storecmd_enter_ids();
	if (storecmd_open(&st, err) < 0)
		return -1;
	r = store_prune(&st, &stats, err);
	store_close(&st);
	if (r < 0)
		return -1;
	format_size(size, sizeof(size), stats.bytes);
	printf("Total reclaimed space: %s\n", size);
	return 0;
}
