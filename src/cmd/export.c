/* export.c: 'kiln export IMAGE [-o FILE]': the image's flattened root
 * filesystem as one uncompressed tar, unpacked to a scratch directory first. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "store/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const struct cmd_help export_help = {
	"export", "IMAGE [-o FILE]",
	H("Write the root filesystem of IMAGE, all layers applied, as a tar to "
	  "FILE or stdout. FILE appears complete or not at all. Entries keep "
	  "the owners and modes the image gives them, also when kiln does not "
	  "run as root."),
};

/* the tree of img as a tar into fd, by way of a scratch directory in
 * parent (the output's directory, so the space used is the output's) */
static int write_rootfs(struct store *st, const struct store_image *img, const char *parent,
			int fd, struct kerr *err)
{
	cleanup_free char *tmp = xasprintf("%s/.kiln-export-XXXXXX", parent);
	int rootfd, r;

	if (!mkdtemp(tmp))
		return kerr_errno(err, errno, "cannot create a directory in '%s'", parent);
	rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = rootfd < 0 ? kerr_errno(err, errno, "cannot open '%s'", tmp) : 0;
	if (r >= 0)
		r = store_rootfs_unpack(st, img, rootfd, true, err);
	if (r >= 0)
		r = store_rootfs_export(st, img, rootfd, fd, err);
	if (rootfd >= 0)
		close(rootfd);
	store_rootfs_remove(AT_FDCWD, tmp);
	return r;
}

static int export_file(struct store *st, const struct store_image *img, const char *out,
		       struct kerr *err)
{
	struct atomic_file af = ATOMIC_FILE_INIT;
	const char *slash = strrchr(out, '/');
	cleanup_free char *dir = slash ? xstrndup(out, (size_t)(slash - out)) : xstrdup(".");
	cleanup_close int dirfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dirfd < 0)
		return kerr_input(err, "cannot open '%s': %s", dir, strerror(errno));
	if (atomic_file_open(&af, dirfd, slash ? slash + 1 : out, 0644, err) < 0)
		return -1;
	r = write_rootfs(st, img, *dir ? dir : "/", af.fd, err);
	if (r >= 0)
		r = atomic_file_commit(&af, err);
	atomic_file_abort(&af);
	return r;
}

int cmd_export(int argc, char **argv, struct kerr *err)
{
	const char *output = NULL;
	const struct opt opts[] = {
		OPT_STRING_('o', "output", &output, "FILE", "write to FILE instead of stdout"),
		OPT_END_(),
	};
	struct store st;
	struct store_image img;
	int r;

	argc = opt_parse(argc, argv, opts, &export_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc != 1)
		return kerr_input(err, "expected one IMAGE; see 'kiln export --help'");
	if ((!output || !strcmp(output, "-")) && isatty(STDOUT_FILENO))
		return kerr_input(err, "refusing to write a tar to a terminal; use -o FILE");
	if (storecmd_open(&st, err) < 0)
		return -1;
	memset(&img, 0, sizeof(img));
	r = store_rootfs_load(&st, argv[0], &img, err);
	if (r >= 0 && output && strcmp(output, "-")) {
		r = export_file(&st, &img, output, err);
	} else if (r >= 0) {
		/* stdout has no directory: the scratch tree goes in the store */
		cleanup_free char *ingest = xasprintf("%s/kiln/ingest", st.root);

		r = write_rootfs(&st, &img, ingest, STDOUT_FILENO, err);
	}
	store_image_clear(&img);
	store_close(&st);
	return r < 0 ? -1 : 0;
}
