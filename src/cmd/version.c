/* version.c: 'kiln version': the version, the git revision, the machine the
 * binary is built for, the Kconfig features and the image platforms. */
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "cmd/cmd.h"
#include "generated/version.h"

#ifdef __GLIBC__
#define KILN_LIBC "glibc"
#else
#define KILN_LIBC "musl"
#endif

/* the CONFIG_ symbols that are y, one string per line, written by make */
static const char *const features[] = {
#include "generated/features.h"
	NULL
};

static const struct cmd_help version_help = {
	"version", "[--short]", H("Show the version, revision, architecture, the Kconfig "
				 "features and the image platforms of this kiln."),
};

int cmd_version(int argc, char **argv, struct kerr *err)
{
	int is_short = 0;
	const struct opt opts[] = {
		OPT_BOOL_(0, "short", &is_short, "print only the version number"),
		OPT_END_(),
	};

	argc = opt_parse(argc, argv, opts, &version_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 0)
		return kerr_input(err, "unexpected argument '%s'", argv[0]);
	if (is_short) {
		printf("%s\n", KILN_VERSION);
		return 0;
	}
	printf("kiln version %s\n", KILN_VERSION);
	printf("revision:  %s\n", KILN_REVISION);
	printf("arch:      %s (%s, %s)\n", KILN_ARCH, KILN_LIBC,
	       IS_ENABLED(KILN_STATIC) ? "static" : "dynamic");
	printf("features: ");
	for (const char *const *f = features; *f; f++)
		printf(" %s", *f);
	printf("\nplatforms:");
	arch_for_each_platform(p)
		printf(" linux/%s%s%s", p->arch, p->variant ? "/" : "",
		       p->variant ? p->variant : "");
	printf("\n");
	return 0;
}
