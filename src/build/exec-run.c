/* exec-run.c: RUN in the sandbox on the stage's live root: argv, the
 * environment (config env, then the build args in scope, then proxies),
 * USER, WORKDIR, --network and --mount (bind, cache, tmpfs, secret), and
 * what its binds show for the step's key. Nothing of a mount point or a
 * secret reaches the layer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build/exec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

/* what a RUN needs set up around it and taken down after */
struct run_env {
	struct sandbox_mount *mounts;
	size_t nmounts;
	struct strvec tmpfiles;		/* secrets from env=, host paths */
	struct snapshot **roots;	/* other stages' roots for bind from=, context copies */
	size_t nroots;
	int *locks;			/* cache mounts with sharing=locked */
	size_t nlocks;
	struct strvec strings;		/* paths the mounts point at */
};

static const char *keep(struct run_env *re, char *s)
{
	strvec_push_nodup(&re->strings, s);
	return s;
}

static struct sandbox_mount *add_mount(struct run_env *re)
{
	re->mounts = xrealloc(re->mounts, (re->nmounts + 1) * sizeof(*re->mounts));
	memset(&re->mounts[re->nmounts], 0, sizeof(*re->mounts));
	return &re->mounts[re->nmounts++];
}

int exec_secrets_check(const struct build_opts *o, struct kerr *err)
{
	for (size_t i = 0; i < o->secrets.n; i++) {
		struct strvec parts = STRVEC_INIT;
		const char *spec = o->secrets.v[i], *sid = NULL, *src = NULL;
		int r = 0;

		strvec_split(&parts, spec, ',');
		for (size_t k = 0; !r && k < parts.n; k++) {
			char *v = strchr(parts.v[k], '=');

			if (!v) {
				r = kerr_input(err, "--secret %s: '%s' is not a key=value pair", spec,
					       parts.v[k]);
				break;
			}
			*v++ = 0;
			if (!strcmp(parts.v[k], "id"))
				sid = v;
			else if (!strcmp(parts.v[k], "src") || !strcmp(parts.v[k], "source"))
				src = v;
			else if (strcmp(parts.v[k], "env") && strcmp(parts.v[k], "type"))
				r = kerr_input(err, "--secret %s: unknown key '%s' (id, src, env, "
					       "type)", spec, parts.v[k]);
		}
		if (!r && (!sid || !*sid))
			r = kerr_input(err, "--secret %s: id= is missing", spec);
		/* a file that is not there is the user's slip: said now, as
		 * buildx does, not when a RUN first asks for it */
		if (!r && src && access(src, R_OK) < 0)
			r = kerr_input(err, "--secret %s: cannot read '%s': %s", spec, src,
				       strerror(errno));
		strvec_clear(&parts);
		if (r)
			return -1;
	}
	return 0;
}

/* --secret id=x,src=path | id=x,env=VAR | id=x (file ./x? no: env x) */
static int secret_source(struct build *b, const char *id, struct run_env *re,
			 const char **path, struct kerr *err)
{
	for (size_t i = 0; i < b->o->secrets.n; i++) {
		struct strvec parts = STRVEC_INIT;
		const char *sid = NULL, *src = NULL, *env = NULL;
		int r = 0;

		strvec_split(&parts, b->o->secrets.v[i], ',');
		for (size_t k = 0; k < parts.n; k++) {
			char *v = strchr(parts.v[k], '=');

			if (!v)
				continue;
			*v++ = 0;
			if (!strcmp(parts.v[k], "id"))
				sid = v;
			else if (!strcmp(parts.v[k], "src") || !strcmp(parts.v[k], "source"))
				src = v;
			else if (!strcmp(parts.v[k], "env"))
				env = v;
		}
		if (!sid || strcmp(sid, id)) {
			strvec_clear(&parts);
			continue;
		}
		if (src) {
			*path = keep(re, xstrdup(src));
			if (access(src, R_OK) < 0)
				r = kerr_input(err, "secret '%s': cannot read '%s': %s", id, src,
					       strerror(errno));
		} else {
			const char *val = getenv(env ? env : id);
			const char *tmp = getenv("TMPDIR");
			char *name = xasprintf("%s/kiln-secret.XXXXXX", tmp && *tmp ? tmp : "/tmp");
			int fd;

			if (!val) {
				free(name);
				strvec_clear(&parts);
				return kerr_input(err, "secret '%s': environment variable %s is not set",
						  id, env ? env : id);
			}
			fd = mkstemp(name);
			if (fd < 0 || write_all(fd, val, strlen(val)) < 0)
				r = kerr_errno(err, errno, "secret '%s': cannot write '%s'", id, name);
			if (fd >= 0)
				close(fd);
			strvec_push(&re->tmpfiles, name);
			*path = keep(re, name);
		}
		strvec_clear(&parts);
		return r < 0 ? -1 : 1;
	}
	return 0;
}

/* flock of path.lock, waiting (wait) or not; the fd, -1 when another
 * holds it and !wait, -2 on an error or a Ctrl-C. The wait is naps of
 * 50 ms that look at the stop flag: a blocking flock would sleep through
 * a signal that came just before it, until the other step ends. */
static int lock_dir(const char *path, bool wait, struct kerr *err)
{
	const struct timespec nap = { 0, 50 * 1000 * 1000 };
	cleanup_free char *lock = xasprintf("%s.lock", path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		kerr_errno(err, errno, "cannot lock '%s'", lock);
		return -2;
	}
	for (;;) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			kerr_errno(err, errno, "cannot lock '%s'", lock);
			break;
		}
		if (errno == EWOULDBLOCK && !wait) {
			close(fd);
			return -1;
		}
		if (exec_interrupted()) {
			exec_interrupt_err(err);
			break;
		}
		nanosleep(&nap, NULL);
	}
	close(fd);
	return -2;
}

/*
 * A cache mount: a directory of the store per id, kept across builds.
 * sharing=shared lets every step use it at once; locked makes them take
 * turns; private gives a step that finds it in use an instance of its own
 * (id-1, id-2, ..., kept too), as BuildKit does.
 */
static int cache_mount(struct build *b, const struct df_mount *m, struct sandbox_mount *sm,
		       struct run_env *re, struct kerr *err)
{
	unsigned char h[SHA256_LEN];
	char digest[DIGEST_STR_LEN];
	const char *id = m->id && *m->id ? m->id : m->target;
	char *dir = NULL;
	int lock = -1;

	sha256_buf(id, strlen(id), h);
	digest_format(h, digest);
	for (unsigned n = 0; lock == -1; n++) {
		free(dir);
		dir = n ? xasprintf("%s/kiln/mounts/cache-%.16s-%u", b->st.root, digest + 7, n)
			: xasprintf("%s/kiln/mounts/cache-%.16s", b->st.root, digest + 7);
		if (m->sharing != DF_SHARING_LOCKED && m->sharing != DF_SHARING_PRIVATE)
			break;
		if (mkdir_p(dir, 0755, err) < 0) {
			free(dir);
			return -1;
		}
		lock = lock_dir(dir, m->sharing == DF_SHARING_LOCKED, err);
		if (lock == -2) {
			free(dir);
			return -1;
		}
	}
	keep(re, dir);
	if (lock >= 0) {
		re->locks = xrealloc(re->locks, (re->nlocks + 1) * sizeof(int));
		re->locks[re->nlocks++] = lock;
	}
	if (mkdir_p(dir, 0755, err) < 0)
		return -1;
	if (m->has_uid || m->has_gid)
		if (chown(dir, m->has_uid ? m->uid : 0, m->has_gid ? m->gid : 0) < 0 &&
		    errno != EINVAL)
			return kerr_errno(err, errno, "cache mount '%s'", id);
	if (m->has_mode)
		chmod(dir, m->mode);
	sm->kind = SANDBOX_BIND;
	sm->src = dir;
	sm->readonly = m->readonly;
	return 0;
}

/* sub resolved inside the root at rootdir (a symlink only within it): the
 * host path, checked not to leave the root; NULL on an error */
static char *resolve_in(int rootfd, const char *rootdir, const char *sub, struct kerr *err)
{
	cleanup_close int fd = path_open_in_root(rootfd, sub && *sub ? sub : "/", O_PATH, 0, err);
	size_t rl = strlen(rootdir);
	char link[64], real[4096];
	ssize_t n;

	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0) {
		kerr_errno(err, errno, "'%s'", sub);
		return NULL;
	}
	real[n] = 0;
	if (strncmp(real, rootdir, rl) || (real[rl] && real[rl] != '/')) {
		kerr_input(err, "'%s' leaves its root", sub);
		return NULL;
	}
	return xstrdup(real);
}

/*
 * What a bind of the context shows: source resolved inside the context, as
 * its host path (returned) and *rel, the part after the context's own
 * path. .dockerignore must not leave it out: BuildKit never sends such
 * files, so they cannot be bound there either.
 */
static char *context_source(struct build *b, const char *source, const char **rel,
			    bool *dir, struct kerr *err)
{
	const char *name = source && *source ? source : ".";
	char *real;
	struct stat st;

	if (!b->ctx.dir) {
		kerr_input(err, "'%s': this build has no context to bind", name);
		return NULL;
	}
	real = resolve_in(b->ctx.fd, b->ctx.dir, source, err);
	if (!real) {
		if (err->errnum == ENOENT) {
			kerr_clear(err);
			kerr_input(err, "'%s': not found in the build context", name);
		}
		return NULL;
	}
	*rel = real + strlen(b->ctx.dir);
	while (**rel == '/')
		(*rel)++;
	*dir = !stat(real, &st) && S_ISDIR(st.st_mode);
	if (!context_present(&b->ctx, *rel, *dir)) {
		kerr_input(err, "'%s': not found in the build context (excluded by %s)", name,
			   df_ignore_source(b->ctx.ignore) ? df_ignore_source(b->ctx.ignore) :
			   ".dockerignore");
		free(real);
		return NULL;
	}
	return real;
}

/* does .dockerignore leave out anything below the context's directory
 * dirfd (at rel)? 1 yes, 0 no, -1 on an error */
static int ignores_below(const struct build *b, int dirfd, const char *rel, struct kerr *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read '%s' of the build context", rel);
	}
	while (!r && (de = readdir(d))) {
		cleanup_free char *sub = NULL;
		struct stat st;
		bool isdir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		isdir = !fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
		if (context_ignored(&b->ctx, sub, isdir)) {
			r = 1;
		} else if (isdir) {
			cleanup_close int sfd = openat(dirfd, de->d_name, O_PATH | O_DIRECTORY |
						       O_NOFOLLOW | O_CLOEXEC);

			r = sfd < 0 ? kerr_errno(err, errno, "cannot open '%s' of the build context",
						 sub)
				    : ignores_below(b, sfd, sub, err);
		}
	}
	return r;
}

/* a filtered copy of a context directory, made once per build and
 * process: binds are read-only and RUN has no CAP_SYS_ADMIN to remount
 * them, so every step that binds it sees the same files */
struct exec_bind {
	char *rel;
	struct snapshot *copy;
	pid_t owner;
};

void exec_binds_release(struct build *b)
{
	for (size_t i = 0; i < b->nbinds; i++) {
		if (b->binds[i].owner == getpid())
			snapshot_free(b->binds[i].copy);
		free(b->binds[i].rel);
	}
	free(b->binds);
	b->binds = NULL;
	b->nbinds = 0;
}

/* A read-only bind of the context: the directory itself, or, when
 * .dockerignore leaves out something below it, a copy without that in an
 * empty root of its own (snapshots are swept if kiln dies), so the run sees
 * what the key hashed, as BuildKit's bind of the files it was sent. */
static int context_bind(struct build *b, const char *source, struct run_env *re,
			const char **out, struct kerr *err)
{
	cleanup_close int fd = -1;
	struct snapshot *copy;
	struct timespec times[2];
	const char *rel;
	struct stat st;
	bool dir;
	char *real = context_source(b, source, &rel, &dir, err);
	int r;

	if (!real)
		return -1;
	*out = keep(re, real);
	if (!dir || !b->ctx.ignore || !df_ignore_count(b->ctx.ignore))
		return 0;
	for (size_t i = 0; i < b->nbinds; i++)
		if (!strcmp(b->binds[i].rel, rel)) {
			*out = snapshot_rootfs(b->binds[i].copy);
			return 0;
		}
	fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return kerr_errno(err, errno, "cannot open '%s'", real);
	r = ignores_below(b, fd, rel, err);
	if (r <= 0)
		return r;
	if (snapshot_new(&copy, &b->st, SNAPSHOT_COPY, NULL, 0, err) < 0)
		return -1;
	if (exec_context_tree(b, rel, NULL, snapshot_rootfd(copy), err) < 0) {
		snapshot_free(copy);
		return -1;
	}
	/* the top shows the bound directory's mode and times, as a bind would */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	r = 0;
	if (chmod(snapshot_rootfs(copy), st.st_mode & 07777) < 0 ||
	    utimensat(AT_FDCWD, snapshot_rootfs(copy), times, 0) < 0)
		r = kerr_errno(err, errno, "cannot set up the bind of '%s'", real);
	if (r < 0) {
		snapshot_free(copy);
		return -1;
	}
	b->binds = xrealloc(b->binds, (b->nbinds + 1) * sizeof(*b->binds));
	b->binds[b->nbinds++] = (struct exec_bind){ xstrdup(rel), copy, getpid() };
	*out = snapshot_rootfs(copy);
	return 0;
}

int exec_run_key(struct build *b, const struct plan_instr *in, struct sha256 *key,
		 struct kerr *err)
{
	for (size_t i = 0; i < in->nmounts; i++) {
		const struct plan_src *from = &in->mount_from[i];
		cleanup_free char *real = NULL;
		const char *rel;
		bool dir;

		if (in->mounts[i].type != DF_MOUNT_BIND)
			continue;
		switch (from->kind) {
		case PLAN_SRC_CONTEXT:
			real = context_source(b, in->mounts[i].source, &rel, &dir, err);
			if (!real || exec_context_tree(b, rel, key, -1, err) < 0)
				return kerr_wrap(err, "--mount=type=bind");
			break;
		case PLAN_SRC_STAGE:
			/* a stage's files are what its key says */
			key_add_buf(key, b->stages[from->stage].key, SHA256_LEN);
			break;
		case PLAN_SRC_IMAGE:
			if (exec_image_digest(b, from->image, key, err) < 0)
				return kerr_wrap(err, "--mount=type=bind");
			break;
		}
	}
	return 0;
}

static int setup_mounts(struct build *b, struct stage_state *ss, const struct plan_instr *in,
			struct run_env *re, struct kerr *err)
{
	for (size_t i = 0; i < in->nmounts; i++) {
		const struct df_mount *m = &in->mounts[i];
		struct sandbox_mount *sm = add_mount(re);
		const char *target = m->target;
		struct snapshot *root;
		char *src;
		int r;

		switch (m->type) {
		case DF_MOUNT_BIND:
			sm->kind = SANDBOX_BIND;
			sm->readonly = m->readonly;
			if (in->mount_from[i].kind == PLAN_SRC_CONTEXT) {
				/* BuildKit throws a rw bind's writes away; a bind of
				 * the context itself would write into the user's files */
				if (!m->readonly)
					return kerr_input(err, "--mount=type=bind,rw of the build "
							  "context is not supported (writes would "
							  "reach the context); bind it read-only or "
							  "from a stage");
				if (context_bind(b, m->source, re, &sm->src, err) < 0)
					return -1;
				break;
			}
			if (exec_source_root(b, &in->mount_from[i], &root, err) < 0)
				return -1;
			re->roots = xrealloc(re->roots, (re->nroots + 1) * sizeof(*re->roots));
			re->roots[re->nroots++] = root;
			src = resolve_in(snapshot_rootfd(root), snapshot_rootfs(root), m->source, err);
			if (!src)
				return -1;
			sm->src = keep(re, src);
			break;
		case DF_MOUNT_CACHE:
			if (cache_mount(b, m, sm, re, err) < 0)
				return -1;
			break;
		case DF_MOUNT_TMPFS:
			sm->kind = SANDBOX_TMPFS;
			break;
		case DF_MOUNT_SECRET:
			r = secret_source(b, m->id ? m->id : "", re, &sm->src, err);
			if (r < 0)
				return -1;
			if (!r) {
				if (m->required)
					return kerr_input(err, "secret '%s' is required but was not given "
							  "(--secret id=%s,src=FILE)", m->id, m->id);
				re->nmounts--;
				continue;
			}
			sm->kind = SANDBOX_BIND;
			sm->readonly = true;
			if (!target)
				target = keep(re, xasprintf("/run/secrets/%s", m->id));
			break;
		default:
			return kerr_input(err, "--mount=type=%s is not supported by kiln",
					  df_mount_type_name(m->type));
		}
		if (!target)
			return kerr_input(err, "--mount needs a target");
		/* the sandbox makes a missing target, removes it after the run
		 * and puts its parents' times back: nothing of it reaches the
		 * layer */
		if (*target != '/')
			target = keep(re, path_join(ss->cfg.config.working_dir ?
						    ss->cfg.config.working_dir : "/", target));
		sm->dst = target;
	}
	return 0;
}

static void run_env_release(struct run_env *re)
{
	for (size_t i = 0; i < re->tmpfiles.n; i++)
		unlink(re->tmpfiles.v[i]);
	for (size_t i = 0; i < re->nroots; i++)
		snapshot_free(re->roots[i]);
	for (size_t i = 0; i < re->nlocks; i++)
		close(re->locks[i]);
	free(re->roots);
	free(re->locks);
	free(re->mounts);
	strvec_clear(&re->tmpfiles);
	strvec_clear(&re->strings);
	memset(re, 0, sizeof(*re));
}

static bool env_has(const struct strvec *env, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], key, kl) && env->v[i][kl] == '=')
			return true;
	return false;
}

/* "RUN |2 A=1 B= /bin/sh -c make # buildkit", BuildKit's history text */
static void created_by(const struct plan_instr *in, const struct strvec *argv,
		       struct strbuf *by)
{
	strbuf_addstr(by, "RUN ");
	if (in->nargs) {
		strbuf_addf(by, "|%zu ", in->nargs);
		for (size_t i = 0; i < in->nargs; i++)
			strbuf_addf(by, "%s=%s ", in->args[i].key,
				    in->args[i].value ? in->args[i].value : "");
	}
	for (size_t i = 0; i < argv->n; i++)
		strbuf_addf(by, "%s%s", i ? " " : "", argv->v[i]);
	strbuf_addstr(by, " # buildkit");
}

/* a heredoc RUN: "<<EOF" alone runs the body as the script; otherwise the
 * shell gets the heredoc itself, which it understands */
static void heredoc_script(const struct df_node *n, struct strbuf *script)
{
	const char *cmd = n->nargs ? n->args[0].s : "";

	while (*cmd == ' ')
		cmd++;
	if (n->nheredocs == 1 && !strncmp(cmd, "<<", 2) && !strchr(cmd, ' ')) {
		strbuf_addstr(script, n->heredocs[0].content.s);
		return;
	}
	strbuf_addstr(script, cmd);
	for (size_t i = 0; i < n->nheredocs; i++) {
		strbuf_addch(script, '\n');
		strbuf_addstr(script, n->heredocs[i].content.s);
		strbuf_addstr(script, n->heredocs[i].name.s);
	}
}

/* kiln/logs/<step key>.log: the whole output of a RUN, kept with the step
 * cache (prune drops both); no log is no reason to fail a build */
static void step_log(struct build *b)
{
	char digest[DIGEST_STR_LEN];
	char *path;

	if (mkdirat(b->st.kilnfd, "logs", 0755) < 0 && errno != EEXIST)
		return;
	digest_format(b->step_key, digest);
	path = xasprintf("%s/kiln/logs/%s.log", b->st.root, digest + 7);
	progress_log(&b->pr, path);
	free(path);
}

int exec_run(struct build *b, struct stage_state *ss, const struct plan_instr *in,
	     struct kerr *err)
{
	const struct img_runconfig *rc = &ss->cfg.config;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	cleanup_strbuf struct strbuf by = STRBUF_INIT;
	cleanup_strbuf struct strbuf script = STRBUF_INIT;
	struct run_env re;
	struct sandbox_user user;
	struct sandbox_status st;
	struct sandbox_spec spec;
	const char *net = plan_flag_get(in, "network");
	int rootfd, r = -1;
	bool empty;

	memset(&re, 0, sizeof(re));
	if (exec_snapshot(b, ss, err) < 0)
		return -1;
	rootfd = snapshot_rootfd(ss->snap);
	if (in->node->nheredocs && !in->node->json) {
		heredoc_script(in->node, &script);
		for (size_t i = 0; i < (rc->shell.n ? rc->shell.n : 2); i++)
			strvec_push(&argv, rc->shell.n ? rc->shell.v[i] : i ? "-c" : "/bin/sh");
		strvec_push(&argv, script.buf);
	} else {
		exec_argv(in->node, &rc->shell, &argv);
	}
	for (size_t i = 0; i < rc->env.n; i++)
		strvec_push(&env, rc->env.v[i]);
	/* build args: ENV of the same name wins, as docker does */
	for (size_t i = 0; i < in->nargs; i++)
		if (in->args[i].value && !env_has(&env, in->args[i].key))
			strvec_pushf(&env, "%s=%s", in->args[i].key, in->args[i].value);
	for (size_t i = 0; i < b->plan.nproxy; i++)
		if (!env_has(&env, b->plan.proxy[i].key))
			strvec_pushf(&env, "%s=%s", b->plan.proxy[i].key, b->plan.proxy[i].value);
	if (!env_has(&env, "PATH"))
		strvec_push(&env, DEFAULT_PATH_ENV);
	if (sandbox_resolve_user(rootfd, rc->user && *rc->user ? rc->user : "0", &user, err) < 0)
		goto out;
	if (!env_has(&env, "HOME"))
		strvec_pushf(&env, "HOME=%s", user.home);
	if (setup_mounts(b, ss, in, &re, err) < 0)
		goto out;
	memset(&spec, 0, sizeof(spec));
	spec.rootfs = snapshot_rootfs(ss->snap);
	spec.argv = (const char *const *)argv.v;
	spec.envp = (const char *const *)env.v;
	spec.cwd = rc->working_dir && *rc->working_dir ? rc->working_dir : "/";
	spec.user = &user;
	spec.network = b->o->network;
	if (net && !strcmp(net, "none"))
		spec.network = SANDBOX_NET_NONE;
	else if (net && !strcmp(net, "host"))
		spec.network = SANDBOX_NET_HOST;
	else if (net && strcmp(net, "default")) {
		kerr_input(err, "RUN --network=%s: kiln knows none, host and default", net);
		goto out;
	}
	spec.mounts = re.mounts;
	spec.nmounts = re.nmounts;
	spec.out_fd = -1;
	spec.output = progress_output;
	spec.output_arg = &b->pr;
	step_log(b);
	if (sandbox_run(&spec, &st, err) < 0)
		goto out;
	if (st.signal || st.exit_code) {
		char what[64];
		cleanup_free char *cmd = NULL;
		struct strbuf c = STRBUF_INIT;

		sandbox_status_str(&st, what, sizeof(what));
		for (size_t i = 0; i < argv.n; i++)
			strbuf_addf(&c, "%s%s", i ? " " : "", argv.v[i]);
		cmd = strbuf_detach(&c, NULL);
		kerr_set(err, "RUN: process \"%s\" did not complete successfully: %s", cmd, what);
		if (progress_saw(&b->pr, "qemu: uncaught target signal"))
			/* an emulator crash, not the command's fault */
			log_warn("qemu-user crashed under this step (a known problem of some qemu "
				 "versions, e.g. in ldconfig); build the step natively with "
				 "FROM --platform=$BUILDPLATFORM and copy its output into the "
				 "target stage");
		if (b->ids && !b->ids->full) {
			/* apt's _apt sandbox, su, useradd: anything that switches
			 * to another id fails without the subordinate range */
			struct passwd *pw = getpwuid(b->ids->outer_uid);

			log_warn("this build has only your own id (no /etc/subuid and /etc/subgid "
				 "range): steps that switch users, such as apt's _apt sandbox, fail; "
				 "add '%s:100000:65536' to both files and install newuidmap and "
				 "newgidmap (package uidmap)", pw ? pw->pw_name : "USER");
		}
		goto out;
	}
	run_env_release(&re);
	created_by(in, &argv, &by);
	r = exec_commit_layer(b, ss, by.buf, &empty, err);
out:
	run_env_release(&re);
	strvec_clear(&argv);
	strvec_clear(&env);
	return r;
}
