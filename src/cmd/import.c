/* import.c: 'kiln import ROOTFS.tar[.gz] NAME': a root filesystem tarball
 * (or '-' for stdin) becomes a one-layer image, as 'docker import' does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "image/ref.h"
#include "store/rootfs.h"
#include "util/cleanup.h"
#include "util/path.h"

static const struct cmd_help import_help = {
	"import", "[OPTIONS] ROOTFS.tar[.gz]|- NAME[:TAG]",
	H("Make an image of one layer from a root filesystem tarball (plain or "
	  "gzip'ed). SOURCE_DATE_EPOCH, when set, is the image's creation time."),
};

static int check_name(const char *name, struct kerr *err)
{
	struct img_ref ref = IMG_REF_INIT;
	int r = img_ref_parse(name, &ref, err);

	if (r >= 0 && ref.digest)
		r = kerr_input(err, "'%s': cannot name an image by digest", name);
	img_ref_clear(&ref);
	return r;
}

/* a source that cannot be opened is the user's input, not kiln's failure */
static int open_source(const char *path, struct kerr *err)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) :
		fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return kerr_input(err, "cannot open '%s': %s", path, strerror(errno));
	return fd;
}

int cmd_import(int argc, char **argv, struct kerr *err)
{
	const char *platform = NULL;
	cleanup_strvec struct strvec changes = STRVEC_INIT;
	const struct opt opts[] = {
		OPT_STRING_(0, "platform", &platform, "OS/ARCH[/VARIANT]",
			    "the platform the image says it is for (default: this host's)"),
		OPT_LIST_('c', "change", &changes, "INSTR",
			  "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
			  "STOPSIGNAL, USER, VOLUME, WORKDIR) to the config"),
		OPT_END_(),
	};
	struct oci_platform plat = OCI_PLATFORM_INIT;
	struct img_config cfg;
	struct store st;
	cleanup_close int fd = -1;
	char id[DIGEST_STR_LEN];
	int r;

	argc = opt_parse(argc, argv, opts, &import_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc != 2)
		return kerr_input(err, "expected ROOTFS and NAME; see 'kiln import --help'");
	if (check_name(argv[1], err) < 0)
		return -1;
	r = 0;
	if (platform)
		r = img_platform_parse(platform, &plat, err);
	else
		img_platform_host(&plat);
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; r >= 0 && i < changes.n; i++)
		r = store_rootfs_change(&cfg.config, changes.v[i], err);
	if (r >= 0)
		r = fd = open_source(argv[0], err);
	if (r >= 0)
		r = storecmd_open(&st, err);
	if (r >= 0) {
		struct store_import_opts o = {
			argv[1], strcmp(argv[0], "-") ? path_base(argv[0]) : "-", &plat, &cfg,
		};

		r = store_rootfs_import(&st, fd, &o, id, err);
		store_close(&st);
		if (r >= 0)
			printf("%s\n", id);
	}
	img_config_clear(&cfg);
	oci_platform_clear(&plat);
	return r < 0 ? -1 : 0;
}
