/* exec.c: the build driver: read and plan the Dockerfile, enter kiln's user
 * namespace, then run the stages the target needs in plan order, each from
 * its base (an image in the store, scratch or an earlier stage), and hand
 * the target's state to output.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/exec.h"
#include "image/media.h"
#include "image/platform.h"
#include "store/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

void build_opts_init(struct build_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->context = ".";
	o->network = SANDBOX_NET_HOST;
	o->snapshotter = SNAPSHOT_AUTO;
	o->tls_verify = -1;
}

void build_opts_release(struct build_opts *o)
{
	strvec_clear(&o->tags);
	strvec_clear(&o->build_args);
	strvec_clear(&o->labels);
	strvec_clear(&o->secrets);
	strvec_clear(&o->outputs);
}

int exec_wrap(const struct build *b, int line, struct kerr *err)
{
	return kerr_wrap(err, "%s:%d", b->dfname, line);
}

/* A stage run by a child process: its steps leave their states in the
 * step cache, so the child hands back only the key of its last step (or
 * its error) through a pipe. */
struct child {
	volatile pid_t pid;	/* 0 once reaped: on_stop reads it */
	int fd;
	int stage;
	int first;	/* its first progress number */
};

/* Ctrl-C between RUN steps (sandbox_run catches it during one): the build
 * stops at the next check and cleans up like any failure. The sandbox is
 * told too, so a RUN being prepared when it came never starts. A signal
 * sent to kiln's pid alone (kill, a supervisor) reaches no stage child, so
 * kiln's main process passes it on to those running. */
static volatile sig_atomic_t stop_requested, stop_signal;
static struct child *volatile kids_running;
static volatile sig_atomic_t nkids_running;

static void on_stop(int sig)
{
	struct child *kids = kids_running;
	int saved = errno;

	stop_requested = 1;
	stop_signal = sig;
	sandbox_interrupt();
	for (sig_atomic_t i = 0; kids && i < nkids_running; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, sig);
	errno = saved;
}

bool exec_interrupted(void)
{
	return stop_requested || sandbox_interrupted();
}

int exec_interrupt_err(struct kerr *err)
{
	kerr_set(err, "interrupted");
	err->errnum = EINTR;
	return -1;
}

void exec_now(const struct build *b, char out[IMG_TIME_LEN])
{
	struct timespec ts;

	if (b->epoch) {
		img_time_format(b->lo.timestamp, 0, out);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	img_time_format(ts.tv_sec, ts.tv_nsec, out);
}

void stage_state_clear(struct stage_state *ss)
{
	snapshot_free(ss->snap);
	ss->snap = NULL;
	stage_state_clear_image(ss);
}

void stage_state_clear_image(struct stage_state *ss)
{
	img_config_clear(&ss->cfg);
	for (size_t i = 0; i < ss->nlayers; i++) {
		free(ss->layers[i].media_type);
		free(ss->layers[i].digest);
		free(ss->layers[i].diff_id);
	}
	free(ss->layers);
	ss->layers = NULL;
	ss->nlayers = 0;
}

int stage_state_copy(struct stage_state *dst, const struct stage_state *src)
{
	img_config_copy(&dst->cfg, &src->cfg);
	dst->layers = xcalloc(src->nlayers ? src->nlayers : 1, sizeof(*dst->layers));
	for (size_t i = 0; i < src->nlayers; i++) {
		dst->layers[i].media_type = xstrdup(src->layers[i].media_type);
		dst->layers[i].digest = xstrdup(src->layers[i].digest);
		dst->layers[i].diff_id = xstrdup(src->layers[i].diff_id);
		dst->layers[i].size = src->layers[i].size;
	}
	dst->nlayers = src->nlayers;
	memcpy(dst->key, src->key, SHA256_LEN);
	return 0;
}

static int read_dockerfile(struct build *b, struct strbuf *out, struct kerr *err)
{
	const char *f = b->o->dockerfile;
	cleanup_free char *path = NULL;

	/* errors name the file as the user gave it; the default as docker does */
	snprintf(b->dfname, sizeof(b->dfname), "%s", f && strcmp(f, "-") ? f : "Dockerfile");
	if (f && !strcmp(f, "-"))
		return strbuf_read_fd(out, STDIN_FILENO, 16u << 20, err);
	if (!f)
		f = path = xasprintf("%s/Dockerfile", b->ctx.dir);
	if (read_file_at(AT_FDCWD, f, out, 16u << 20, err) < 0) {
		/* the user named a file that is not there: bad input */
		if (err->errnum == ENOENT || err->errnum == ENOTDIR || err->errnum == EISDIR)
			err->kind = KERR_INPUT;
		return kerr_wrap(err, "cannot read the Dockerfile");
	}
	return 0;
}

/* FROM an image of the store: its config, layers and the key of its
 * manifest; its environment and ONBUILD triggers go to the planner */
static int base_image(struct build *b, int si, struct stage_state *ss, struct kerr *err)
{
	const struct plan_stage *s = &b->plan.stages[si];
	struct oci_index idx;
	struct store_image img;
	struct sha256 h;
	int i, r = -1;

	oci_index_init(&idx);
	memset(&img, 0, sizeof(img));
	if (exec_pull(b, s->base, &s->platform, err) < 0) {
		kerr_wrap(err, "FROM %s", s->base);
		goto out;
	}
	if (store_index_read(&b->st, &idx, err) < 0)
		goto out;
	i = store_resolve(&b->st, &idx, s->base, err);
	if (i < 0) {
		if (!IS_ENABLED(CONFIG_BUILD_REGISTRY))
			kerr_input(err, "FROM %s: no such image in the store (kiln pull is not in "
				   "this build: bring it with kiln load or kiln import)", s->base);
		else if (b->o->pull == BUILD_PULL_NEVER)
			kerr_input(err, "FROM %s: no such image in the store, and --pull=never",
				   s->base);
		else
			kerr_input(err, "FROM %s: no such image in the store", s->base);
		goto out;
	}
	{
		struct oci_platform want = OCI_PLATFORM_INIT;
		struct oci_platform have = OCI_PLATFORM_INIT;
		bool fits;

		want.os = xstrdup(s->platform.os);
		want.architecture = xstrdup(s->platform.arch);
		want.variant = s->platform.variant[0] ? xstrdup(s->platform.variant) : NULL;
		r = store_image_load_platform(&b->st, &idx.manifests[i], &want, &img, err);
		if (r >= 0) {
			/* a single-platform image says what it is in its config */
			have.os = xstrdup(img.config.os ? img.config.os : "linux");
			have.architecture = xstrdup(img.config.architecture ?
						    img.config.architecture : "");
			have.variant = img.config.variant ? xstrdup(img.config.variant) : NULL;
			img_platform_normalize(&have);
			fits = !*have.architecture || img_platform_match(&want, &have);
			if (!fits) {
				char *w = img_platform_format(&want), *hv = img_platform_format(&have);

				if (b->o->platform || s->platform_given) {
					r = kerr_input(err, "FROM %s: the image is %s, the stage is for %s",
						       s->base, hv, w);
				} else {
					/* docker builds it anyway and says so */
					log_warn("FROM %s: the image is %s, this host is %s", s->base, hv, w);
					plan_platform_parse(hv, NULL, &b->plan.stages[si].platform, err);
				}
				free(w);
				free(hv);
			}
		}
		oci_platform_clear(&want);
		oci_platform_clear(&have);
		r = r < 0 ? -1 : 0;
	}
	if (r < 0)
		goto out;
	r = -1;
	img_config_copy(&ss->cfg, &img.config);
	if (img.manifest.nlayers != ss->cfg.diff_ids.n) {
		kerr_set(err, "image '%s' has %zu layers and %zu diff_ids", s->base,
			 img.manifest.nlayers, ss->cfg.diff_ids.n);
		goto out;
	}
	ss->layers = xcalloc(img.manifest.nlayers + 1, sizeof(*ss->layers));
	for (size_t k = 0; k < img.manifest.nlayers; k++) {
		const struct oci_descriptor *l = &img.manifest.layers[k];

		ss->layers[k].media_type = xstrdup(oci_media_to_oci(l->media_type));
		ss->layers[k].digest = xstrdup(l->digest);
		ss->layers[k].diff_id = xstrdup(ss->cfg.diff_ids.v[k]);
		ss->layers[k].size = l->size;
	}
	ss->nlayers = img.manifest.nlayers;
	key_begin(&h, (const unsigned char[SHA256_LEN]){ 0 }, "FROM image");
	key_add(&h, img.desc.digest);
	sha256_final(&h, ss->key);
	r = 0;
out:
	store_image_clear(&img);
	oci_index_clear(&idx);
	return r;
}

static void base_scratch(struct build *b, int si, struct stage_state *ss)
{
	const struct plan_stage *s = &b->plan.stages[si];
	char pl[PLAN_PLATFORM_STR];
	struct sha256 h;

	ss->cfg.os = xstrdup(s->platform.os);
	ss->cfg.architecture = xstrdup(s->platform.arch);
	ss->cfg.variant = s->platform.variant[0] ? xstrdup(s->platform.variant) : NULL;
	key_begin(&h, (const unsigned char[SHA256_LEN]){ 0 }, "FROM scratch");
	key_add(&h, plan_platform_str(&s->platform, pl));
	sha256_final(&h, ss->key);
}

/* A stage whose RUN steps are for another CPU gets qemu-user registered
 * now, in kiln's main process: the binfmt_misc instance lives as long as
 * the process that made it, so not in a stage's child. */
static int stage_emulation(struct build *b, int si, struct kerr *err)
{
	const struct plan_stage *s = &b->plan.stages[si];
	struct plan_platform host;
	enum sandbox_emu_how how;
	bool runs = false;

	for (size_t i = 0; i < s->ninstrs; i++)
		runs |= s->instrs[i].kind == DF_RUN;
	plan_platform_host(&host);
	if (!runs || (!strcmp(host.arch, s->platform.arch) &&
		      !strcmp(host.variant, s->platform.variant)))
		return 0;
	if (sandbox_emulation(s->platform.arch, s->platform.variant[0] ? s->platform.variant : NULL,
			      &how, err) < 0)
		return exec_wrap(b, s->line, err);
	return 0;
}

/* FROM: the base's state, and what the planner must know of it; in kiln's
 * own process, so the plan stays whole when the steps run in a child */
static int stage_base(struct build *b, int si, struct kerr *err)
{
	struct stage_state *ss = &b->stages[si];
	const struct plan_stage *s = &b->plan.stages[si];
	int r = 0;

	{
		char buf[24];

		snprintf(ss->name, sizeof(ss->name), "%s", plan_stage_name(s, buf));
	}
	progress_begin(&b->pr, "[%s 1/%zu] FROM %s", ss->name, exec_stage_steps(s),
		       s->base_kind == PLAN_BASE_SCRATCH ? "scratch" : s->base);
	switch (s->base_kind) {
	case PLAN_BASE_IMAGE:
		r = base_image(b, si, ss, err);
		break;
	case PLAN_BASE_STAGE:
		r = stage_state_copy(ss, &b->stages[s->base_stage]);
		break;
	case PLAN_BASE_SCRATCH:
		base_scratch(b, si, ss);
		break;
	}
	if (r >= 0 && s->base_kind != PLAN_BASE_STAGE) {
		/* BuildKit gives an image without PATH the default one, and
		 * ENV PATH=/x:$PATH sees it */
		bool has_path = false;

		for (size_t i = 0; i < ss->cfg.config.env.n; i++)
			has_path |= !strncmp(ss->cfg.config.env.v[i], "PATH=", 5);
		if (!has_path)
			strvec_push(&ss->cfg.config.env, DEFAULT_PATH_ENV);
		r = plan_set_base_env(&b->plan, si, (const char *const *)ss->cfg.config.env.v,
				      ss->cfg.config.env.n, err);
	}
	if (r >= 0 && s->base_kind == PLAN_BASE_IMAGE && ss->cfg.config.on_build.n) {
		r = plan_insert_onbuild(&b->plan, si, (const char *const *)ss->cfg.config.on_build.v,
					ss->cfg.config.on_build.n, err);
		/* triggers fire once: the new image does not carry them on */
		strvec_clear(&ss->cfg.config.on_build);
	}
	if (r < 0) {
		exec_wrap(b, s->line, err);
		progress_error(&b->pr, err->msg);
		return -1;
	}
	ss->started = true;
	progress_done(&b->pr);
	return stage_emulation(b, si, err);
}

/* the instructions of a stage whose base is ready */
static int stage_steps(struct build *b, int si, struct kerr *err)
{
	struct stage_state *ss = &b->stages[si];

	/* the planner may have added ONBUILD triggers: read the stage again */
	for (size_t i = 0; i < b->plan.stages[si].ninstrs; i++) {
		if (exec_interrupted())
			return exec_interrupt_err(err);
		if (exec_instr(b, si, i, err) < 0)
			return -1;
	}
	snapshot_free(ss->snap);
	ss->snap = NULL;
	ss->done = true;
	return 0;
}

static __attribute__((noreturn)) void child_main(struct build *b, int si, pid_t parent,
						  int fd)
{
	struct stage_state *ss = &b->stages[si];
	struct kerr err = KERR_INIT;
	unsigned char msg[1 + SHA256_LEN];
	int r;

	/* the other stages are the parent's to signal */
	kids_running = NULL;
	nkids_running = 0;
	/* a kiln killed outright takes its stages with it, and they clean
	 * up as after a Ctrl-C */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) {
		stop_requested = 1;
		sandbox_interrupt();
	}
	r = stage_steps(b, si, &err);
	/* the stage's root goes before the parent hears the end, so a stage
	 * that failed or was interrupted leaves no snapshot or mount, as in
	 * kiln's own process; the rest it holds is memory and fds, which
	 * _exit releases (the store's locks and the context are the parent's) */
	snapshot_free(ss->snap);
	ss->snap = NULL;
	exec_binds_release(b);
	if (r < 0) {
		const char *m = err.msg ? err.msg : "failed";
		char kind = err.kind == KERR_INPUT ? 'i' : 'f';

		write_all(fd, &kind, 1);
		write_all(fd, m, strlen(m));
		_exit(1);
	}
	msg[0] = 'k';
	memcpy(msg + 1, ss->key, SHA256_LEN);
	write_all(fd, msg, sizeof(msg));
	_exit(0);
}

static int child_start(struct build *b, int si, struct child *c, struct kerr *err)
{
	pid_t parent = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_errno(err, errno, "cannot start a stage");
	c->stage = si;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return kerr_errno(err, errno, "cannot start a stage");
	}
	if (pid == 0) {
		close(p[0]);
		child_main(b, si, parent, p[1]);
	}
	c->pid = pid;
	/* a signal that came while on_stop did not know the pid yet */
	if (stop_requested)
		kill(pid, stop_signal);
	close(p[1]);
	c->fd = p[0];
	return 0;
}

/* the stage's state from the child's last key; first error wins. A child
 * that ended without a word was killed outright: *lost says its snapshots
 * are left for the parent to sweep. */
static int child_finish(struct build *b, struct child *c, int r, bool *lost, struct kerr *err)
{
	cleanup_strbuf struct strbuf msg = STRBUF_INIT;
	struct kerr tmp = KERR_INIT;
	struct stage_state *ss = &b->stages[c->stage];
	siginfo_t info;
	pid_t pid = c->pid;
	int st = 0;
	bool key, failed;

	strbuf_read_fd(&msg, c->fd, 1 << 16, &tmp);
	kerr_clear(&tmp);
	close(c->fd);
	c->fd = -1;
	/* the zombie keeps its pid until on_stop no longer knows it, so a
	 * signal never reaches a process that took the pid over */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	c->pid = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	key = msg.len == 1 + SHA256_LEN && msg.buf[0] == 'k';
	failed = msg.len > 1 && (msg.buf[0] == 'i' || msg.buf[0] == 'f');
	if (!key && !failed)
		*lost = true;
	if (r < 0)
		return r;
	if (key) {
		int got = cache_read(b, (unsigned char *)msg.buf + 1, ss, err);

		if (got < 0)
			return -1;
		if (!got)
			return kerr_set(err, "stage %s: its state vanished from the step cache",
					ss->name);
		snapshot_free(ss->snap);
		ss->snap = NULL;
		ss->done = true;
		return 0;
	}
	if (failed) {
		if (msg.buf[0] == 'i')
			return kerr_input(err, "%s", msg.buf + 1);
		return kerr_set(err, "%s", msg.buf + 1);
	}
	if (WIFSIGNALED(st))
		return kerr_set(err, "stage %s: killed by signal %d", ss->name, WTERMSIG(st));
	return kerr_set(err, "stage %s failed", ss->name);
}

static void signal_children(struct child *kids, size_t n, int sig)
{
	for (size_t i = 0; i < n; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, sig);
}

/* The stages order[k..end) of one level, each in a child process, --jobs
 * at a time, collected as they end. The first error wins and stops the
 * others (SIGTERM: they clean up as after a Ctrl-C), as BuildKit cancels
 * the rest of a failed build. */
static int run_children(struct build *b, size_t k, size_t end, struct kerr *err)
{
	size_t n = end - k, next = 0, running = 0;
	struct child *kids = xcalloc(n, sizeof(*kids));
	struct pollfd *pfd = xcalloc(n, sizeof(*pfd));
	size_t *which = xcalloc(n, sizeof(*which));
	int r = 0, cancel = 0;
	bool lost = false;

	/* each child numbers its steps from its own place in the order */
	{
		int num = b->pr.next;

		for (size_t i = 0; i < n; i++) {
			kids[i].fd = -1;
			kids[i].first = num;
			num += (int)exec_stage_steps(&b->plan.stages[b->plan.order[k + i]]) - 1;
		}
		b->pr.next = num;
	}
	kids_running = kids;
	nkids_running = (sig_atomic_t)n;
	while (next < n || running) {
		int sig = stop_requested ? stop_signal : cancel;
		size_t np = 0;
		int ready;

		if (r >= 0 && next < n && stop_requested)
			r = exec_interrupt_err(err);
		if (r >= 0 && next < n && running < (size_t)b->o->jobs) {
			struct child *c = &kids[next];
			int saved = b->pr.next;

			b->pr.next = c->first;
			r = child_start(b, b->plan.order[k + next], c, err);
			b->pr.next = saved;
			next++;
			if (r >= 0)
				running++;
			continue;
		}
		if (r < 0 && !sig) {
			cancel = sig = SIGTERM;
			signal_children(kids, next, sig);
		}
		if (!running)
			break;
		for (size_t i = 0; i < next; i++)
			if (kids[i].fd >= 0) {
				pfd[np] = (struct pollfd){ .fd = kids[i].fd, .events = POLLIN };
				which[np++] = i;
			}
		/* a child between its last check and its RUN's sandbox may
		 * have missed the signal: it goes again each second */
		ready = poll(pfd, np, sig ? 1000 : -1);
		if (ready == 0)
			signal_children(kids, next, sig);
		if (ready == 0 || (ready < 0 && errno == EINTR))
			continue;
		/* (any other poll error: each child is read to its end) */
		for (size_t j = 0; j < np; j++) {
			if (ready > 0 && !pfd[j].revents)
				continue;
			r = child_finish(b, &kids[which[j]], r, &lost, err);
			running--;
		}
	}
	kids_running = NULL;
	nkids_running = 0;
	/* a child killed outright (SIGKILL, the OOM killer) left its root
	 * mounted in kiln's namespace, which only this process can undo */
	if (lost)
		snapshot_sweep(&b->st);
	free(which);
	free(pfd);
	free(kids);
	return r;
}

/* Runs the stages level by level; the stages of one level need none of
 * each other, so with --jobs > 1 they run in child processes side by side
 * (their FROMs first, here, since they may change the plan). Progress
 * numbers are given out in plan order whatever finishes first. */
static int run_levels(struct build *b, struct kerr *err)
{
	size_t k = 0;

	while (k < b->plan.norder) {
		int level = b->plan.stages[b->plan.order[k]].level;
		size_t end = k;

		while (end < b->plan.norder && b->plan.stages[b->plan.order[end]].level == level)
			end++;
		if (b->o->jobs <= 1 || end - k == 1) {
			for (; k < end; k++)
				if (stage_base(b, b->plan.order[k], err) < 0 ||
				    stage_steps(b, b->plan.order[k], err) < 0)
					return -1;
			continue;
		}
		for (size_t i = k; i < end; i++)
			if (stage_base(b, b->plan.order[i], err) < 0)
				return -1;
		if (run_children(b, k, end, err) < 0)
			return -1;
		k = end;
	}
	return 0;
}

/* one platform's plan and stages, run; the target's image committed */
static int build_platform(struct build *b, const struct strvec *args, const char *platform,
			  char id[DIGEST_STR_LEN], struct oci_descriptor *man, struct kerr *err)
{
	struct plan_opts po = {
		.build_args = (const char *const *)args->v,
		.nbuild_args = args->n,
		.target = b->o->target,
		.platform = platform,
	};
	size_t total = 0;
	int r = -1;

	if (plan_build(&b->plan, &b->df, &po, err) < 0)
		return -1;
	b->have_plan = true;
	plan_warn_unused(&b->plan);
	b->stages = xcalloc(b->plan.nstages, sizeof(*b->stages));
	for (size_t k = 0; k < b->plan.norder; k++)
		total += exec_stage_steps(&b->plan.stages[b->plan.order[k]]);
	progress_total(&b->pr, total);
	if (run_levels(b, err) >= 0 &&
	    output_commit(b, &b->stages[b->plan.target], id, man, err) >= 0)
		r = 0;
	return r;
}

static void platform_release(struct build *b)
{
	if (b->stages)
		for (size_t i = 0; i < b->plan.nstages; i++)
			stage_state_clear(&b->stages[i]);
	free(b->stages);
	b->stages = NULL;
	if (b->have_plan)
		plan_release(&b->plan);
	b->have_plan = false;
}

int build_run(const struct build_opts *o, char id[DIGEST_STR_LEN], struct kerr *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	struct strvec args = STRVEC_INIT, platforms = STRVEC_INIT;
	struct oci_descriptor man = OCI_DESCRIPTOR_INIT;
	struct oci_index idx;
	struct sandbox_ids ids;
	struct build b;
	int r = -1;

	memset(&b, 0, sizeof(b));
	oci_index_init(&idx);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	b.o = o;
	b.st = (struct store)STORE_INIT;
	b.ctx.fd = -1;
	progress_init(&b.pr, o->quiet ? BUILD_PROGRESS_QUIET : o->progress);
	b.lo = (struct layer_opts)LAYER_OPTS_INIT;
	if (layer_opts_from_env(&b.lo, err) < 0)
		goto out;
	b.epoch = b.lo.mtime_policy == LAYER_MTIME_CLAMP;
	for (size_t i = 0; i < o->build_args.n; i++)
		if (plan_build_arg(o->build_args.v[i], &args, err) < 0)
			goto out;
	/* --platform a,b: one image per platform under one index */
	if (o->platform)
		strvec_split(&platforms, o->platform, ',');
	for (size_t i = 0; i < platforms.n; i++)
		if (!*platforms.v[i]) {
			kerr_input(err, "--platform %s: an empty platform in the list", o->platform);
			goto out;
		}
	if (platforms.n > 1)
		for (size_t i = 0; i < o->outputs.n; i++)
			if (!strstr(o->outputs.v[i], "type=oci") &&
			    !strstr(o->outputs.v[i], "type=docker")) {
				kerr_input(err, "-o %s: with several platforms kiln writes "
					   "type=oci or type=docker", o->outputs.v[i]);
				goto out;
			}
	if (output_check(o, err) < 0 || exec_secrets_check(o, err) < 0)
		goto out;
	if (context_open(&b.ctx, o->context, o->dockerfile, err) < 0 ||
	    read_dockerfile(&b, &text, err) < 0)
		goto out;
	if (df_parse(text.buf, text.len, b.dfname, &b.df, err) < 0)
		goto out;
	b.have_df = true;
	if (df_validate(&b.df, err) < 0)
		goto out;
	/* before anything else starts a thread or mounts */
	/* a stop reaches into the unpack of a big base layer too */
	snapshot_set_stop(exec_interrupted);
	if (sandbox_enter(&ids, err) < 0 || store_open(&b.st, err) < 0 ||
	    store_hold(&b.st, err) < 0)
		goto out;
	b.ids = sandbox_current();
	if (platforms.n <= 1) {
		if (build_platform(&b, &args, platforms.n ? platforms.v[0] : NULL, id, &man,
				   err) < 0 ||
		    output_deliver(&b, &b.stages[b.plan.target], id, &man, err) < 0)
			goto out;
		progress_finish(&b.pr);
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < platforms.n; i++) {
		struct oci_descriptor d = OCI_DESCRIPTOR_INIT;
		const struct plan_stage *t;
		char cid[DIGEST_STR_LEN];

		if (build_platform(&b, &args, platforms.v[i], cid, &d, err) < 0) {
			oci_descriptor_clear(&d);
			goto out;
		}
		t = &b.plan.stages[b.plan.target];
		d.platform = xcalloc(1, sizeof(*d.platform));
		*d.platform = (struct oci_platform)OCI_PLATFORM_INIT;
		d.platform->os = xstrdup(t->platform.os);
		d.platform->architecture = xstrdup(t->platform.arch);
		d.platform->variant = t->platform.variant[0] ? xstrdup(t->platform.variant) : NULL;
		oci_index_add(&idx, &d);
		oci_descriptor_clear(&d);
		platform_release(&b);
	}
	{
		cleanup_free char *json = NULL;
		struct oci_descriptor d = OCI_DESCRIPTOR_INIT;

		if (o->docker_format && oci_index_to_docker(&idx, err) < 0)
			goto out;
		if (!o->docker_format) {
			free(idx.media_type);
			idx.media_type = xstrdup(MT_OCI_INDEX);
		}
		json = oci_index_json(&idx);
		if (store_blob_put(&b.st, json, strlen(json), NULL, id, err) < 0)
			goto out;
		oci_descriptor_set(&d, idx.media_type, id, (int64_t)strlen(json));
		r = output_deliver(&b, NULL, id, &d, err);
		oci_descriptor_clear(&d);
		if (r >= 0)
			progress_finish(&b.pr);
	}
out:
	oci_descriptor_clear(&man);
	oci_index_clear(&idx);
	platform_release(&b);
	if (b.have_df)
		df_file_release(&b.df);
	exec_binds_release(&b);
	store_close(&b.st);
	context_close(&b.ctx);
	progress_release(&b.pr);
	strvec_clear(&b.pulled);
	if (IS_ENABLED(CONFIG_BUILD_ADD_URL))
		for (size_t i = 0; i < b.nurls; i++)
			exec_url_free(b.urls[i]);
	free(b.urls);
	strvec_clear(&args);
	strvec_clear(&platforms);
	return r;
}
