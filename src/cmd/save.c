/* save.c: 'kiln save [-o FILE] [--format docker-archive|oci-archive] IMAGE...':
 * images to one tar file or to stdout, for 'docker load' and friends. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "store/archive.h"
#include "util/fs.h"

static const struct cmd_help save_help = {
	"save", "[-o FILE] [--format docker-archive|oci-archive] IMAGE...",
	H("Write the images (names or IDs) to a tar archive: FILE, or stdout with "
	  "'-o -' or when stdout is not a terminal. docker-archive is what "
	  "'docker load' and 'podman load' read; oci-archive is an OCI image "
	  "layout in a tar, its images named by ref.name annotations. Of a "
	  "multi-platform image, a docker-archive holds the platform of this "
	  "host only (docker load keeps one platform an image); an oci-archive "
	  "holds its whole index, less the platforms the store does not have "
	  "(with a warning naming them)."),
};

int cmd_save(int argc, char **argv, struct kerr *err)
{
	const char *output = NULL, *format = "docker-archive";
	const struct opt opts[] = {
		OPT_STRING_('o', "output", &output, "FILE", "write to FILE ('-': stdout)"),
		OPT_STRING_(0, "format", &format, "FORMAT", "'docker-archive' or 'oci-archive'"),
		OPT_END_(),
	};
	enum store_archive_format fmt;
	struct atomic_file af = ATOMIC_FILE_INIT;
	struct store st;
	int fd = STDOUT_FILENO, r;

	argc = opt_parse(argc, argv, opts, &save_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (!argc)
		return kerr_input(err, "expected at least one IMAGE; see 'kiln save --help'");
	if (!strcmp(format, "docker-archive") || !strcmp(format, "docker"))
		fmt = STORE_ARCHIVE_DOCKER;
	else if (!strcmp(format, "oci-archive") || !strcmp(format, "oci"))
		fmt = STORE_ARCHIVE_OCI;
	else
		return kerr_input(err, "--format: '%s' is not 'docker-archive' or 'oci-archive'",
				  format);
	if ((!output || !strcmp(output, "-")) && isatty(STDOUT_FILENO))
		return kerr_input(err, "refusing to write an archive to a terminal; use -o FILE");
	if (storecmd_open(&st, err) < 0)
		return -1;
	/* a file appears complete or not at all */
	if (output && strcmp(output, "-")) {
		if (atomic_file_open(&af, AT_FDCWD, output, 0644, err) < 0) {
			store_close(&st);
			return -1;
		}
		fd = af.fd;
	}
	r = store_archive_save(&st, argv, (size_t)argc, fmt, fd, err);
	if (r >= 0 && fd != STDOUT_FILENO)
		r = atomic_file_commit(&af, err);
	atomic_file_abort(&af);
	store_close(&st);
	return r;
}
