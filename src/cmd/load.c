/* load.c: 'kiln load [-i FILE|DIR]': images from a docker-archive, an
 * oci-archive (plain or gzip'ed) or an OCI layout directory into the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "store/archive.h"
#include "util/cleanup.h"

static const struct cmd_help load_help = {
	"load", "[-q] [-i FILE|DIR]",
	H("Read images from a docker-archive, an oci-archive or an OCI layout "
	  "directory (FILE or DIR, else stdin) into the store. Names come from "
	  "RepoTags or ref.name annotations; nothing is named before every blob "
	  "was read and checked."),
};

int cmd_load(int argc, char **argv, struct kerr *err)
{
	const char *input = NULL;
	int quiet = 0;
	const struct opt opts[] = {
		OPT_STRING_('i', "input", &input, "FILE", "read FILE or the OCI layout DIR"),
		OPT_BOOL_('q', "quiet", &quiet, "print nothing"),
		OPT_END_(),
	};
	cleanup_strvec struct strvec loaded = STRVEC_INIT;
	cleanup_close int fd = -1;
	int dirfd = -1, r;
	struct store st;
	struct stat sb;

	argc = opt_parse(argc, argv, opts, &load_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 0)
		return kerr_input(err, "unexpected argument '%s'", argv[0]);
	if (input && strcmp(input, "-")) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return kerr_errno(err, errno, "cannot open '%s'", input);
		if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
			dirfd = fd;
	} else if (isatty(STDIN_FILENO)) {
		return kerr_input(err, "refusing to read an archive from a terminal; use -i FILE");
	}
	if (storecmd_open(&st, err) < 0)
		return -1;
	r = store_archive_load(&st, dirfd >= 0 ? -1 : fd >= 0 ? fd : STDIN_FILENO, dirfd,
			       &loaded, err);
	store_close(&st);
	if (r < 0)
		return -1;
	for (size_t i = 0; !quiet && i < loaded.n; i++)
		printf("%s\n", loaded.v[i]);
	return 0;
}
