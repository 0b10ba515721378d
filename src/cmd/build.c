/* build.c: 'kiln build [OPTIONS] CONTEXT': options as docker build and
 * buildah build spell them, handed to the engine (src/build/engine.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build/engine.h"
#include "cmd/storecmd.h"
#include "cmd/cmd.h"
#include "image/ref.h"
#include "registry/registry.h"

static const struct cmd_help build_help = {
	"build", "[OPTIONS] CONTEXT",
	H("Build an image from the Dockerfile in CONTEXT (a directory, or '-' for a "
	  "tar on standard input) as an ordinary user: RUN steps run in kiln's user "
	  "namespace, each step is cached in the store."),
};

static int check_tag(const char *name, struct kerr *err)
{
	struct img_ref ref = IMG_REF_INIT;
	int r = img_ref_parse(name, &ref, err);

	if (r >= 0 && ref.digest)
		r = kerr_input(err, "-t %s: cannot name an image by digest", name);
	img_ref_clear(&ref);
	return r < 0 ? kerr_wrap(err, "-t") : 0;
}

/* --pull (always), --pull=always|missing|never|true|false, as docker and
 * buildah take it */
static int pull_cb(const struct opt *o, const char *arg, struct kerr *err)
{
	enum build_pull *p = o->value;

	if (!IS_ENABLED(CONFIG_BUILD_REGISTRY))
		return kerr_input(err, "registries are not in this build (CONFIG_REGISTRY=n)");
	if (!arg || !strcmp(arg, "always") || !strcmp(arg, "true"))
		*p = BUILD_PULL_ALWAYS;
	else if (!strcmp(arg, "missing") || !strcmp(arg, "false"))
		*p = BUILD_PULL_MISSING;
	else if (!strcmp(arg, "never"))
		*p = BUILD_PULL_NEVER;
	else
		return kerr_input(err, "'%s': expected always, missing or never", arg);
	return 0;
}

/* --push: every -t name to its registry, after the build named it */
static int push_tags(const struct build_opts *o, struct kerr *err)
{
	struct reg_push_opts po = { REG_OPTS_INIT, o->docker_format };
	char digest[DIGEST_STR_LEN];
	struct store st;
	int64_t size;
	int r;

	po.reg.tls_verify = o->tls_verify;
	po.reg.creds = o->creds;
	po.reg.out = o->quiet ? NULL : stderr;
	if (storecmd_open(&st, err) < 0)
		return kerr_wrap(err, "--push");
	r = 0;
	for (size_t i = 0; r >= 0 && i < o->tags.n; i++)
		r = reg_push(&st, o->tags.v[i], NULL, &po, digest, &size, err);
	store_close(&st);
	return r < 0 ? kerr_wrap(err, "--push") : 0;
}

int cmd_build(int argc, char **argv, struct kerr *err)
{
	struct build_opts o;
	const char *progress = NULL, *network = NULL, *format = NULL, *snapshotter = NULL;
	const char *emulation = NULL;
	int no_cache = 0, quiet = 0, jobs = -1, push = 0;
	char id[DIGEST_STR_LEN];
	int r = -1;

	build_opts_init(&o);
	{
		const struct opt opts[] = {
			OPT_LIST_('t', "tag", &o.tags, "NAME[:TAG]", "name the image (repeatable)"),
			OPT_STRING_('f', "file", &o.dockerfile, "FILE",
				    "the Dockerfile (default CONTEXT/Dockerfile; '-': standard input)"),
			OPT_STRING_(0, "target", &o.target, "STAGE", "build up to this stage"),
			OPT_LIST_(0, "build-arg", &o.build_args, "K[=V]",
				  "set a build arg (K alone takes it from the environment)"),
			OPT_LIST_(0, "label", &o.labels, "K=V", "add a label to the image"),
			OPT_LIST_(0, "secret", &o.secrets, "id=ID,src=PATH|env=VAR",
				  "a secret RUN --mount=type=secret can read; never stored"),
			OPT_LIST_('o', "output", &o.outputs, "type=T,dest=D",
				  "also write the result: oci or docker (archive; oci into a "
				  "directory or with tar=false: an OCI layout), tar or local "
				  "(root filesystem as a tarball or a directory)"),
			OPT_STRING_(0, "platform", &o.platform, "OS/ARCH[/VARIANT][,...]",
				    "the target platform (default: this host's); several, comma "
				    "separated, make one image index"),
			OPT_STRING_(0, "emulation", &emulation, "auto|host|binfmt|ptrace",
				    "how RUN steps of another CPU run (default: $KILN_EMULATION, "
				    "else auto)"),
			OPT_STRING_(0, "iidfile", &o.iidfile, "FILE", "write the image ID to FILE"),
			OPT_INT_('j', "jobs", &jobs, "N",
				 "stages that need none of each other run N at a time (default: "
				 "one per CPU)"),
			OPT_BOOL_(0, "no-cache", &no_cache, "run every step, reuse nothing"),
			OPT_BOOL_('q', "quiet", &quiet, "print only the image ID"),
			OPT_STRING_(0, "progress", &progress, "plain|tty|quiet|auto",
				    "how steps are shown on stderr (default auto)"),
			OPT_STRING_(0, "network", &network, "host|none",
				    "the network of RUN steps (default host)"),
			OPT_STRING_(0, "format", &format, "oci|docker",
				    "media types of the image (default oci)"),
			OPT_CALLBACK_(0, "pull", &o.pull, NULL,
				      "--pull=missing (default): FROM images the store lacks come "
				      "from their registry; always: every time; never: never",
				      pull_cb),
			OPT_BOOL_(0, "push", &push, "push every -t name to its registry"),
			OPT_STRING_(0, "creds", &o.creds, "USER[:PASS]",
				    "credentials for the registries, instead of those stored"),
			OPT_BOOL_(0, "tls-verify", &o.tls_verify,
				  "verify registries' certificates (--tls-verify=false: do not, "
				  "and allow plain HTTP)"),
			OPT_STRING_(0, "snapshotter", &snapshotter, "auto|overlay|copy",
				    "how step roots are made (default auto: overlay when it mounts; "
				    "or $KILN_SNAPSHOTTER)"),
			OPT_END_(),
		};

		argc = opt_parse(argc, argv, opts, &build_help, 0, err);
		if (argc < 0) {
			build_opts_release(&o);
			return opt_done(argc);
		}
	}
	if (argc != 1) {
		kerr_input(err, "expected one CONTEXT; see 'kiln build --help'");
		goto out;
	}
	o.context = argv[0];
	if (storecmd_emulation(emulation, err) < 0)
		goto out;
	o.no_cache = no_cache;
	if (jobs == -1) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		jobs = n > 0 ? (int)n : 1;
	} else if (jobs < 1) {
		kerr_input(err, "--jobs %d: expected 1 or more", jobs);
		goto out;
	}
	o.jobs = jobs;
	o.quiet = quiet;
	for (size_t i = 0; i < o.tags.n; i++)
		if (check_tag(o.tags.v[i], err) < 0)
			goto out;
	if (!progress || !strcmp(progress, "auto"))
		o.progress = BUILD_PROGRESS_AUTO;
	else if (!strcmp(progress, "plain"))
		o.progress = BUILD_PROGRESS_PLAIN;
	else if (!strcmp(progress, "tty"))
		o.progress = BUILD_PROGRESS_TTY;
	else if (!strcmp(progress, "quiet"))
		o.progress = BUILD_PROGRESS_QUIET;
	else {
		kerr_input(err, "--progress %s: expected plain, tty, quiet or auto", progress);
		goto out;
	}
	if (!network || !strcmp(network, "host") || !strcmp(network, "default"))
		o.network = SANDBOX_NET_HOST;
	else if (!strcmp(network, "none"))
		o.network = SANDBOX_NET_NONE;
	else {
		kerr_input(err, "--network %s: expected host or none", network);
		goto out;
	}
	if (format && strcmp(format, "oci") && strcmp(format, "docker")) {
		kerr_input(err, "--format %s: expected oci or docker", format);
		goto out;
	}
	o.docker_format = format && !strcmp(format, "docker");
	if (snapshotter ? snapshot_kind_parse(snapshotter, &o.snapshotter, err) < 0
			: snapshot_kind_default(&o.snapshotter, err) < 0)
		goto out;
	if (!strcmp(o.context, "-") && o.dockerfile && !strcmp(o.dockerfile, "-")) {
		kerr_input(err, "the context and the Dockerfile cannot both come from standard input");
		goto out;
	}
	if (push && !IS_ENABLED(CONFIG_BUILD_REGISTRY)) {
		kerr_input(err, "--push: registries are not in this build (CONFIG_REGISTRY=n)");
		goto out;
	}
	if (push && !o.tags.n) {
		kerr_input(err, "--push needs a name to push to (-t REGISTRY/NAME:TAG)");
		goto out;
	}
	r = build_run(&o, id, err);
	if (r >= 0 && push && IS_ENABLED(CONFIG_BUILD_REGISTRY))
		r = push_tags(&o, err);
	if (r >= 0 && quiet)
		printf("%s\n", id);
out:
	build_opts_release(&o);
	return r < 0 ? -1 : 0;
}
