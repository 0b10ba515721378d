/* run.c: 'kiln run IMAGE [CMD...]': a command in a throwaway container of an
 * image, rootless, with the image's environment, user and working directory,
 * and its exit status passed through as docker run does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "sandbox/sandbox.h"
#include "snapshot/snapshot.h"
#include "store/rootfs.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

static const struct cmd_help run_help = {
	"run", "[OPTIONS] IMAGE [COMMAND [ARG...]]",
	H("Run a command in a new container of IMAGE: the image's Entrypoint and "
	  "COMMAND (or its Cmd), its Env, User and WorkingDir, in new user, mount, "
	  "PID, UTS and IPC namespaces without root. The container is always "
	  "removed when the command ends, so --rm is accepted for docker's sake "
	  "and changes nothing. The exit status is the command's, or 128+N when "
	  "signal N killed it. An image of another CPU runs through qemu-user "
	  "(see 'kiln debug platforms'); --platform picks that image of an index "
	  "and says the emulation is meant."),
};

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* sets K=V in env, replacing an earlier K */
static void env_set(struct strvec *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], kv, klen) && env->v[i][klen] == '=') {
			free(env->v[i]);
			env->v[i] = xstrdup(kv);
			return;
		}
	strvec_push(env, kv);
}

static bool env_has(const struct strvec *env, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], key, klen) && env->v[i][klen] == '=')
			return true;
	return false;
}

/* the image's Env, then -e K=V (and -e K from kiln's environment, skipped
 * when kiln has no K, as docker does) */
static int make_env(struct strvec *env, const struct img_runconfig *rc,
		    const struct strvec *opts, struct kerr *err)
{
	for (size_t i = 0; i < rc->env.n; i++)
		env_set(env, rc->env.v[i]);
	for (size_t i = 0; i < opts->n; i++) {
		const char *kv = opts->v[i];

		if (!*kv || *kv == '=')
			return kerr_input(err, "-e '%s': no variable name", kv);
		if (strchr(kv, '=')) {
			env_set(env, kv);
		} else if (getenv(kv)) {
			cleanup_free char *s = xasprintf("%s=%s", kv, getenv(kv));

			env_set(env, s);
		}
	}
	if (!env_has(env, "PATH"))
		env_set(env, DEFAULT_PATH);
	return 0;
}

/* -v HOST:CTR[:ro|rw] */
static int parse_volume(const char *spec, struct sandbox_mount *m, struct strvec *keep,
			struct kerr *err)
{
	cleanup_strvec struct strvec f = STRVEC_INIT;

	strvec_split(&f, spec, ':');
	if (f.n < 2 || f.n > 3 || !*f.v[0] || !*f.v[1])
		return kerr_input(err, "-v '%s': expected HOST:CONTAINER[:ro]", spec);
	if (f.v[0][0] != '/')
		return kerr_input(err, "-v '%s': the host path must be absolute (kiln has no "
				  "named volumes)", spec);
	if (f.v[1][0] != '/')
		return kerr_input(err, "-v '%s': the container path must be absolute", spec);
	if (f.n == 3 && strcmp(f.v[2], "ro") && strcmp(f.v[2], "rw"))
		return kerr_input(err, "-v '%s': unknown option '%s' (ro or rw)", spec, f.v[2]);
	memset(m, 0, sizeof(*m));
	m->kind = SANDBOX_BIND;
	strvec_push(keep, f.v[0]);
	m->src = keep->v[keep->n - 1];
	strvec_push_nodup(keep, path_clean(f.v[1]));
	m->dst = keep->v[keep->n - 1];
	m->readonly = f.n == 3 && !strcmp(f.v[2], "ro");
	return 0;
}

struct run_opts {
	int rm;
	struct strvec env, volumes;
	const char *user, *workdir, *network, *snapshotter, *platform;
};

/* everything kiln run needs once the image is loaded and its root ready */
static int run_in(struct snapshot *snap, const struct img_runconfig *rc,
		  const struct run_opts *o, char **cmd, int ncmd, const struct sandbox_mount *mounts,
		  size_t nmounts, struct sandbox_status *status, struct kerr *err)
{
	cleanup_strvec struct strvec env = STRVEC_INIT;
	cleanup_strvec struct strvec args = STRVEC_INIT;
	cleanup_free char *cwd = NULL;
	struct sandbox_spec spec;
	struct sandbox_user user;
	const char *u = o->user ? o->user : rc->user ? rc->user : "";

	/* root too: its home and groups come from the image's files */
	if (sandbox_resolve_user(snapshot_rootfd(snap), u, &user, err) < 0)
		return -1;
	if (make_env(&env, rc, &o->env, err) < 0)
		return -1;
	if (!env_has(&env, "HOME")) {
		cleanup_free char *home = xasprintf("HOME=%s", user.home);

		env_set(&env, home);
	}
	if (!env_has(&env, "HOSTNAME"))
		env_set(&env, "HOSTNAME=kiln");
	for (size_t i = 0; i < rc->entrypoint.n; i++)
		strvec_push(&args, rc->entrypoint.v[i]);
	if (ncmd > 0)
		for (int i = 0; i < ncmd; i++)
			strvec_push(&args, cmd[i]);
	else
		for (size_t i = 0; i < rc->cmd.n; i++)
			strvec_push(&args, rc->cmd.v[i]);
	if (!args.n)
		return kerr_input(err, "no command specified: the image has no Entrypoint or Cmd");
	if (o->workdir)
		cwd = path_clean(o->workdir);
	else if (rc->working_dir && *rc->working_dir)
		cwd = path_join("/", rc->working_dir);
	else
		cwd = xstrdup("/");

	memset(&spec, 0, sizeof(spec));
	spec.rootfs = snapshot_rootfs(snap);
	spec.argv = (const char *const *)args.v;
	spec.envp = (const char *const *)env.v;
	spec.cwd = cwd;
	spec.user = &user;
	spec.network = o->network && !strcmp(o->network, "none") ? SANDBOX_NET_NONE :
		       SANDBOX_NET_HOST;
	spec.mounts = mounts;
	spec.nmounts = nmounts;
	spec.out_fd = -1;
	spec.stdin_inherit = true;
	return sandbox_run(&spec, status, err);
}

/* the image name resolves to, want's entry when it is an index */
static int load_image(struct store *st, const char *name, const struct oci_platform *want,
		      struct store_image *img, struct kerr *err)
{
	struct oci_index idx;
	int i, r;

	if (!want)
		return store_rootfs_load(st, name, img, err);
	/* prune must not take the blobs between resolving and reading them */
	if (store_hold(st, err) < 0 || store_index_read(st, &idx, err) < 0)
		return -1;
	i = store_resolve(st, &idx, name, err);
	r = i < 0 ? -1 : store_image_load_platform(st, &idx.manifests[i], want, img, err);
	oci_index_clear(&idx);
	return r;
}

/*
 * The image's platform against --platform (want, NULL when not given) and
 * this machine's: a config that names another architecture than want is an
 * input error; a platform the CPU does not run is set up for emulation,
 * with docker's warning when nobody asked for it.
 */
static int check_platform(const char *name, const struct img_config *c,
			  const struct oci_platform *want, struct kerr *err)
{
	struct oci_platform have = OCI_PLATFORM_INIT, host = OCI_PLATFORM_INIT;
	cleanup_free char *have_s = NULL, *host_s = NULL;
	enum sandbox_emu_how how;
	int r = 0;

	if (c->architecture && *c->architecture) {
		have.os = xstrdup(c->os && *c->os ? c->os : "linux");
		have.architecture = xstrdup(c->architecture);
		have.variant = c->variant && *c->variant ? xstrdup(c->variant) : NULL;
		img_platform_normalize(&have);
	} else if (want) {
		oci_platform_copy(&have, want);
	}
	img_platform_host(&host);
	if (!have.architecture)
		oci_platform_copy(&have, &host);
	have_s = img_platform_format(&have);
	if (want && !img_platform_match(want, &have)) {
		cleanup_free char *want_s = img_platform_format(want);

		r = kerr_input(err, "image '%s' is for %s, not the requested %s", name, have_s,
			       want_s);
		goto out;
	}
	if (!img_platform_match(&have, &host)) {
		if (!want) {
			host_s = img_platform_format(&host);
			log_warn("The requested image's platform (%s) does not match the detected "
				 "host platform (%s) and no specific platform was requested",
				 have_s, host_s);
		}
		/* the error names the platform and what to install */
		r = sandbox_emulation(have.architecture, have.variant, &how, err);
		if (r >= 0)
			log_debug("%s: %s", have_s, sandbox_emu_how_str(how));
	}
out:
	oci_platform_clear(&have);
	oci_platform_clear(&host);
	return r;
}

/* a stop while the root is prepared: the container never starts, and the
 * snapshot made so far is removed on the way out */
static void on_stop(int sig)
{
	(void)sig;
	sandbox_interrupt();
}

int cmd_run(int argc, char **argv, struct kerr *err)
{
	struct run_opts o = { 0, STRVEC_INIT, STRVEC_INIT, NULL, NULL, NULL, NULL, NULL };
	const char *emulation = NULL;
	const struct opt opts[] = {
		OPT_BOOL_(0, "rm", &o.rm, "accepted for docker's sake: kiln never keeps a "
			  "container"),
		OPT_LIST_('e', "env", &o.env, "K[=V]", "set a variable (K alone: from kiln's "
			  "environment)"),
		OPT_STRING_('u', "user", &o.user, "USER[:GROUP]", "run as this user (default: "
			    "the image's User)"),
		OPT_STRING_('w', "workdir", &o.workdir, "DIR", "working directory, made when "
			    "missing (default: the image's WorkingDir, else /)"),
		OPT_LIST_('v', "volume", &o.volumes, "HOST:CTR[:ro]", "bind a host path into "
			  "the container (repeatable)"),
		OPT_STRING_(0, "network", &o.network, "host|none", "share the host's network "
			    "(default) or have only a loopback"),
		OPT_STRING_(0, "snapshotter", &o.snapshotter, "auto|overlay|copy",
			    "how the image's root is made (default: $KILN_SNAPSHOTTER, else "
			    "auto)"),
		OPT_STRING_(0, "platform", &o.platform, "OS/ARCH[/VARIANT]",
			    "the image of this platform, emulated when this CPU cannot run it "
			    "(default: the image's own)"),
		OPT_STRING_(0, "emulation", &emulation, "auto|host|binfmt|ptrace",
			    "how another CPU's programs run (default: $KILN_EMULATION, else auto)"),
		OPT_END_(),
	};
	cleanup_strvec struct strvec keep = STRVEC_INIT;
	cleanup_free struct sandbox_mount *mounts = NULL;
	enum snapshot_kind kind = SNAPSHOT_AUTO;
	struct sandbox_status status = { 0, 0 };
	struct oci_platform want = OCI_PLATFORM_INIT;
	struct sandbox_ids ids;
	struct store_image img;
	struct snapshot *snap = NULL;
	struct store st;
	struct sigaction stop, old_int, old_term;
	const char *snapper;
	int r;

	argc = opt_parse(argc, argv, opts, &run_help, OPT_STOP_AT_NONOPT, err);
	if (argc < 0) {
		r = opt_done(argc);
		goto out_opts;
	}
	r = -1;
	if (argc < 1) {
		kerr_input(err, "expected IMAGE; see 'kiln run --help'");
		goto out_opts;
	}
	if (o.network && strcmp(o.network, "host") && strcmp(o.network, "none")) {
		kerr_input(err, "--network '%s': expected host or none", o.network);
		goto out_opts;
	}
	if (o.workdir && o.workdir[0] != '/') {
		kerr_input(err, "-w '%s': the working directory must be an absolute path",
			   o.workdir);
		goto out_opts;
	}
	if (storecmd_emulation(emulation, err) < 0)
		goto out_opts;
	if (o.platform && img_platform_parse(o.platform, &want, err) < 0) {
		kerr_wrap(err, "--platform");
		goto out_opts;
	}
	snapper = o.snapshotter ? o.snapshotter : getenv("KILN_SNAPSHOTTER");
	if (snapper && *snapper && snapshot_kind_parse(snapper, &kind, err) < 0)
		goto out_opts;
	mounts = xcalloc(o.volumes.n + 1, sizeof(*mounts));
	for (size_t i = 0; i < o.volumes.n; i++)
		if (parse_volume(o.volumes.v[i], &mounts[i], &keep, err) < 0)
			goto out_opts;

	sigemptyset(&stop.sa_mask);
	stop.sa_handler = on_stop;
	stop.sa_flags = 0;
	sigaction(SIGINT, &stop, &old_int);
	sigaction(SIGTERM, &stop, &old_term);
	snapshot_set_stop(sandbox_interrupted);
	if (sandbox_enter(&ids, err) < 0)
		goto out_signals;
	if (storecmd_open(&st, err) < 0)
		goto out_signals;
	memset(&img, 0, sizeof(img));
	r = load_image(&st, argv[0], o.platform ? &want : NULL, &img, err);
	if (r >= 0)
		r = check_platform(argv[0], &img.config, o.platform ? &want : NULL, err);
	if (r >= 0 && img.manifest.nlayers != img.config.diff_ids.n)
		r = kerr_set(err, "image '%s' has %zu layers but %zu diff_ids", argv[0],
			     img.manifest.nlayers, img.config.diff_ids.n);
	/* the unpack stops itself at a stop (snapshot_set_stop) */
	for (size_t i = 0; r >= 0 && i < img.manifest.nlayers; i++)
		r = snapshot_layer_ensure(&st, img.manifest.layers[i].digest,
					  img.config.diff_ids.v[i], err);
	if (r >= 0)
		r = snapshot_new(&snap, &st, kind, (const char *const *)img.config.diff_ids.v,
				 img.config.diff_ids.n, err);
	if (r >= 0)
		r = run_in(snap, &img.config.config, &o, argv + 1, argc - 1, mounts,
			   o.volumes.n, &status, err);
	snapshot_free(snap);
	store_image_clear(&img);
	store_close(&st);
	if (r >= 0)
		r = status.signal ? 128 + status.signal : status.exit_code;
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out_opts:
	oci_platform_clear(&want);
	strvec_clear(&o.env);
	strvec_clear(&o.volumes);
	return r;
}
