/* unpack.c: 'kiln unpack IMAGE DIR': the image's root filesystem, its layers
 * applied in order with the hardened extractor, in a new or empty directory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "store/rootfs.h"
#include "util/cleanup.h"

static const struct cmd_help unpack_help = {
	"unpack", "IMAGE DIR",
	H("Unpack the root filesystem of IMAGE into DIR, which must be empty or "
	  "absent. Files keep their owners only when kiln runs as root."),
};

/* an existing DIR must be empty: layers merge onto what is there, and a
 * stale tree under a fresh image would be a quiet lie */
static int open_dir(const char *dir, bool *created, struct kerr *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	*created = mkdir(dir, 0755) == 0;
	if (!*created && errno != EEXIST)
		return kerr_input(err, "cannot create '%s': %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || *created)
		return fd < 0 ? kerr_input(err, "cannot open '%s': %s", dir, strerror(errno)) : fd;
	d = opendir(dir);
	if (!d) {
		close(fd);
		return kerr_errno(err, errno, "cannot read '%s'", dir);
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			close(fd);
			return kerr_input(err, "'%s' is not empty", dir);
		}
	}
	return fd;
}

int cmd_unpack(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	struct store st;
	struct store_image img;
	cleanup_close int rootfd = -1;
	bool created = false;
	int r;

	argc = opt_parse(argc, argv, opts, &unpack_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc != 2)
		return kerr_input(err, "expected IMAGE and DIR; see 'kiln unpack --help'");
	if (storecmd_open(&st, err) < 0)
		return -1;
	memset(&img, 0, sizeof(img));
	r = store_rootfs_load(&st, argv[0], &img, err);
	if (r >= 0)
		r = rootfd = open_dir(argv[1], &created, err);
	if (r >= 0)
		r = store_rootfs_unpack(&st, &img, rootfd, false, err);
	/* what we created goes again; a DIR the user made stays */
	if (r < 0 && created)
		store_rootfs_remove(AT_FDCWD, argv[1]);
	store_image_clear(&img);
	store_close(&st);
	return r < 0 ? -1 : 0;
}
