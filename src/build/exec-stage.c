/* exec-stage.c: one instruction of a stage: its cache key, a hit or the
 * work (metadata into the config, RUN/COPY/ADD/WORKDIR through the live
 * root and a new layer), and the history entry BuildKit would write. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/exec.h"
#include "image/media.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/xalloc.h"

#define HISTORY_COMMENT "buildkit.dockerfile.v0"

int exec_snapshot(struct build *b, struct stage_state *ss, struct kerr *err)
{
	const char **ids;
	int r;

	if (ss->snap)
		return 0;
	ids = xcalloc(ss->nlayers + 1, sizeof(*ids));
	for (size_t i = 0; i < ss->nlayers; i++) {
		if (snapshot_layer_ensure(&b->st, ss->layers[i].digest, ss->layers[i].diff_id,
					  err) < 0) {
			free(ids);
			return -1;
		}
		ids[i] = ss->layers[i].diff_id;
	}
	r = snapshot_new(&ss->snap, &b->st, b->o->snapshotter, ids, ss->nlayers, err);
	free(ids);
	return r;
}

int exec_source_root(struct build *b, const struct plan_src *src, struct snapshot **out,
		     struct kerr *err)
{
	struct stage_state tmp;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	if (src->kind == PLAN_SRC_STAGE) {
		struct stage_state *from = &b->stages[src->stage];

		if (!from->done)
			return kerr_set(err, "stage %d has not run", src->stage);
		stage_state_copy(&tmp, from);
	} else {
		/* an image named by COPY --from or a mount: from the store,
		 * which a registry fills first when there is one */
		struct oci_index idx;
		struct store_image img;
		int i;

		if (!strcmp(src->image, "scratch"))
			return snapshot_new(out, &b->st, b->o->snapshotter, NULL, 0, err);
		if (exec_pull(b, src->image, NULL, err) < 0)
			return kerr_wrap(err, "'%s'", src->image);
		oci_index_init(&idx);
		memset(&img, 0, sizeof(img));
		r = store_index_read(&b->st, &idx, err);
		i = r < 0 ? -1 : store_resolve(&b->st, &idx, src->image, err);
		if (i >= 0 && store_image_load(&b->st, &idx.manifests[i], &img, err) >= 0) {
			tmp.layers = xcalloc(img.manifest.nlayers + 1, sizeof(*tmp.layers));
			for (size_t k = 0; k < img.manifest.nlayers && k < img.config.diff_ids.n;
			     k++) {
				tmp.layers[k].media_type = xstrdup(img.manifest.layers[k].media_type);
				tmp.layers[k].digest = xstrdup(img.manifest.layers[k].digest);
				tmp.layers[k].diff_id = xstrdup(img.config.diff_ids.v[k]);
				tmp.nlayers++;
			}
			r = 0;
		} else {
			r = -1;
		}
		store_image_clear(&img);
		oci_index_clear(&idx);
		if (r < 0)
			return kerr_wrap(err, "'%s'", src->image);
	}
	r = exec_snapshot(b, &tmp, err);
	*out = tmp.snap;
	tmp.snap = NULL;
	stage_state_clear(&tmp);
	return r;
}

int exec_image_digest(struct build *b, const char *name, struct sha256 *key, struct kerr *err)
{
	struct oci_index idx;
	int i;

	key_add(key, name);
	if (!strcmp(name, "scratch"))
		return 0;
	if (exec_pull(b, name, NULL, err) < 0)
		return kerr_wrap(err, "'%s'", name);
	oci_index_init(&idx);
	i = store_index_read(&b->st, &idx, err) < 0 ? -1 : store_resolve(&b->st, &idx, name, err);
	if (i >= 0)
		key_add(key, idx.manifests[i].digest);
	oci_index_clear(&idx);
	return i < 0 ? kerr_wrap(err, "'%s'", name) : 0;
}

/* an unlinked file in the store's ingest folder: a crash leaves nothing */
static int scratch_fd(struct build *b, struct kerr *err)
{
	int fd = openat(b->st.ingestfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot create a file in '%s/kiln/ingest'",
				  b->st.root);
	return fd;
}

int exec_commit_layer(struct build *b, struct stage_state *ss, const char *created_by,
		      bool *empty, struct kerr *err)
{
	cleanup_close int fd = scratch_fd(b, err);
	char created[IMG_TIME_LEN], digest[DIGEST_STR_LEN], diff_id[DIGEST_STR_LEN];
	struct layer_result res;
	struct build_layer *l;

	if (fd < 0)
		return -1;
	if (snapshot_diff(ss->snap, fd, &b->lo, &res, empty, err) < 0) {
		/* a full disk: say which one */
		if (err->errnum == ENOSPC || err->errnum == EDQUOT)
			kerr_wrap(err, "writing the step's layer in '%s/kiln/ingest'", b->st.root);
		return -1;
	}
	exec_now(b, created);
	/* the image is as new as its last step, as BuildKit dates it */
	free(ss->cfg.created);
	ss->cfg.created = xstrdup(created);
	if (*empty) {
		img_history_add(&ss->cfg, created, created_by, HISTORY_COMMENT, true);
		return 0;
	}
	digest_format(res.digest, digest);
	digest_format(res.diff_id, diff_id);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return kerr_errno(err, errno, "cannot read back a layer in '%s/kiln/ingest'",
				  b->st.root);
	if (store_blob_put_fd(&b->st, fd, digest, NULL, err) < 0)
		return -1;
	ss->layers = xrealloc(ss->layers, (ss->nlayers + 1) * sizeof(*ss->layers));
	l = &ss->layers[ss->nlayers++];
	l->media_type = xstrdup(b->lo.level ? MT_OCI_LAYER_GZIP : MT_OCI_LAYER);
	l->digest = xstrdup(digest);
	l->diff_id = xstrdup(diff_id);
	l->size = (int64_t)res.size;
	strvec_push(&ss->cfg.diff_ids, diff_id);
	img_history_add(&ss->cfg, created, created_by, HISTORY_COMMENT, false);
	/* the next step runs over this layer: its root is made anew */
	snapshot_free(ss->snap);
	ss->snap = NULL;
	return 0;
}

/* ---- metadata ---- */

static void env_set(struct strvec *env, const char *key, const char *value)
{
	size_t kl = strlen(key);
	char *kv = xasprintf("%s=%s", key, value);

	for (size_t i = 0; i < env->n; i++) {
		if (!strncmp(env->v[i], key, kl) && env->v[i][kl] == '=') {
			free(env->v[i]);
			env->v[i] = kv;
			return;
		}
	}
	strvec_push_nodup(env, kv);
}

/* "80" -> "80/tcp", "53/UDP" -> "53/udp"; ranges one port each, as docker */
static int expose(struct img_map *ports, const char *spec, struct kerr *err)
{
	const char *slash = strchr(spec, '/');
	char proto[16] = "tcp";
	unsigned long lo, hi;
	char *end;

	if (slash) {
		size_t n = strlen(slash + 1);

		if (!n || n >= sizeof(proto))
			return kerr_input(err, "invalid port '%s'", spec);
		for (size_t i = 0; i <= n; i++)
			proto[i] = (char)tolower((unsigned char)slash[1 + i]);
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return kerr_input(err, "invalid protocol in port '%s'", spec);
	}
	errno = 0;
	lo = strtoul(spec, &end, 10);
	hi = lo;
	if (*end == '-')
		hi = strtoul(end + 1, &end, 10);
	if (errno || end == spec || (*end && *end != '/') || !lo || hi > 65535 || hi < lo ||
	    hi - lo > 65535)
		return kerr_input(err, "invalid port '%s'", spec);
	for (unsigned long p = lo; p <= hi; p++) {
		char key[32];

		snprintf(key, sizeof(key), "%lu/%s", p, proto);
		img_map_set(ports, key, NULL);
	}
	return 0;
}

/* CMD, ENTRYPOINT, SHELL and HEALTHCHECK arguments as written: exec form is
 * JSON elements, shell form the rest of the line */
void exec_argv(const struct df_node *n, const struct strvec *shell, struct strvec *out)
{
	static const char *const dflt[] = { "/bin/sh", "-c" };

	if (n->json) {
		for (size_t i = 0; i < n->nargs; i++)
			strvec_push(out, n->args[i].s);
		return;
	}
	if (shell && shell->n)
		for (size_t i = 0; i < shell->n; i++)
			strvec_push(out, shell->v[i]);
	else
		for (size_t i = 0; i < 2; i++)
			strvec_push(out, dflt[i]);
	strvec_push(out, n->nargs ? n->args[0].s : "");
}

/* BuildKit's created_by for CMD/ENTRYPOINT/SHELL: the JSON of the argv */
static char *argv_json(const struct strvec *v)
{
	cleanup_json cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
	return json_print(a);
}

/* Go's time.ParseDuration for HEALTHCHECK's flags, in nanoseconds */
static int duration(const char *s, int64_t *ns, struct kerr *err)
{
	static const struct { const char *u; int64_t mul; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000LL },
		{ "m", 60000000000LL }, { "h", 3600000000000LL },
	};
	const char *p = s;
	double total = 0;

	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		size_t best = 0, bl = 0;

		if (end == p || *p == '-' || *p == '+')
			return kerr_input(err, "invalid duration '%s'", s);
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].u);

			if (!strncmp(end, units[i].u, l) && l > bl) {
				best = i;
				bl = l;
			}
		}
		if (!bl)
			return kerr_input(err, "invalid duration '%s': no unit", s);
		total += v * (double)units[best].mul;
		p = end + bl;
	}
	*ns = (int64_t)total;
	return 0;
}

static int healthcheck(struct build *b, struct stage_state *ss, const struct plan_instr *in,
		       struct kerr *err)
{
	struct img_runconfig *rc = &ss->cfg.config;
	struct img_healthcheck *hc = xcalloc(1, sizeof(*hc));
	const struct df_node *n = in->node;
	static const char *const names[] = { "interval", "timeout", "start-period",
					     "start-interval" };
	int64_t *fields[] = { &hc->interval, &hc->timeout, &hc->start_period,
			      &hc->start_interval };
	const char *v;

	(void)b;
	if (n->nargs && !n->json && !strcasecmp(n->args[0].s, "NONE")) {
		strvec_push(&hc->test, "NONE");
	} else {
		struct strvec argv = STRVEC_INIT;

		/* args[0] is "CMD", then the command as for CMD */
		if (n->json) {
			for (size_t i = 1; i < n->nargs; i++)
				strvec_push(&argv, n->args[i].s);
			strvec_push(&hc->test, "CMD");
		} else {
			strvec_push(&hc->test, "CMD-SHELL");
			if (n->nargs > 1)
				strvec_push(&argv, n->args[1].s);
		}
		for (size_t i = 0; i < argv.n; i++)
			strvec_push(&hc->test, argv.v[i]);
		strvec_clear(&argv);
		for (size_t i = 0; i < 4; i++)
			if ((v = plan_flag_get(in, names[i])) && duration(v, fields[i], err) < 0)
				goto bad;
		if ((v = plan_flag_get(in, "retries"))) {
			char *end;

			hc->retries = strtoll(v, &end, 10);
			if (*end || end == v || hc->retries < 0) {
				kerr_input(err, "invalid --retries '%s'", v);
				goto bad;
			}
		}
	}
	if (rc->healthcheck) {
		strvec_clear(&rc->healthcheck->test);
		free(rc->healthcheck);
	}
	rc->healthcheck = hc;
	return 0;
bad:
	strvec_clear(&hc->test);
	free(hc);
	return -1;
}

/* the text after the keyword, as BuildKit's history shows it */
static const char *after_keyword(const struct df_node *n)
{
	const char *s = n->original.s;

	while (*s && !isspace((unsigned char)*s))
		s++;
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* WORKDIR, USER and the others that change the config only; created_by
 * gets BuildKit's history text */
static int metadata(struct build *b, struct stage_state *ss, const struct plan_instr *in,
		    struct strbuf *by, struct kerr *err)
{
	struct img_runconfig *rc = &ss->cfg.config;
	struct strvec argv = STRVEC_INIT;
	char *j;

	switch (in->kind) {
	case DF_ENV:
		strbuf_addstr(by, "ENV");
		for (size_t i = 0; i < in->npairs; i++) {
			env_set(&rc->env, in->pairs[i].key, in->pairs[i].value);
			strbuf_addf(by, " %s=%s", in->pairs[i].key, in->pairs[i].value);
		}
		break;
	case DF_LABEL:
		strbuf_addstr(by, "LABEL");
		for (size_t i = 0; i < in->npairs; i++) {
			img_map_set(&rc->labels, in->pairs[i].key, in->pairs[i].value);
			strbuf_addf(by, " %s=%s", in->pairs[i].key, in->pairs[i].value);
		}
		break;
	case DF_EXPOSE:
		strbuf_addstr(by, "EXPOSE map[");
		for (size_t i = 0; i < in->nwords; i++) {
			if (expose(&rc->exposed_ports, in->words[i], err) < 0)
				return -1;
			strbuf_addf(by, "%s%s:{}", i ? " " : "", in->words[i]);
		}
		strbuf_addch(by, ']');
		break;
	case DF_VOLUME:
		strbuf_addstr(by, "VOLUME [");
		for (size_t i = 0; i < in->nwords; i++) {
			if (!*in->words[i])
				return kerr_input(err, "VOLUME specified can not be an empty string");
			img_map_set(&rc->volumes, in->words[i], NULL);
			strbuf_addf(by, "%s%s", i ? " " : "", in->words[i]);
		}
		strbuf_addch(by, ']');
		break;
	case DF_USER:
		free(rc->user);
		rc->user = xstrdup(in->nwords ? in->words[0] : "");
		strbuf_addf(by, "USER %s", rc->user);
		break;
	case DF_STOPSIGNAL:
		free(rc->stop_signal);
		rc->stop_signal = xstrdup(in->nwords ? in->words[0] : "");
		strbuf_addf(by, "STOPSIGNAL %s", rc->stop_signal);
		break;
	case DF_CMD:
	case DF_ENTRYPOINT:
		exec_argv(in->node, &rc->shell, &argv);
		j = argv_json(&argv);
		if (in->kind == DF_CMD) {
			strvec_clear(&rc->cmd);
			rc->cmd = argv;
			ss->cmd_set = true;
			strbuf_addf(by, "CMD %s", j);
		} else {
			strvec_clear(&rc->entrypoint);
			rc->entrypoint = argv;
			/* BuildKit: an ENTRYPOINT drops the CMD the base image had,
			 * not one this stage set */
			if (!ss->cmd_set)
				strvec_clear(&rc->cmd);
			strbuf_addf(by, "ENTRYPOINT %s", j);
		}
		free(j);
		break;
	case DF_SHELL:
		exec_argv(in->node, NULL, &argv);
		strvec_clear(&rc->shell);
		rc->shell = argv;
		j = argv_json(&argv);
		strbuf_addf(by, "SHELL %s", j);
		free(j);
		break;
	case DF_HEALTHCHECK:
		if (healthcheck(b, ss, in, err) < 0)
			return -1;
		strbuf_addf(by, "HEALTHCHECK %s", after_keyword(in->node));
		break;
	case DF_ONBUILD:
		strvec_push(&rc->on_build, after_keyword(in->node));
		strbuf_addf(by, "ONBUILD %s", after_keyword(in->node));
		break;
	case DF_MAINTAINER:
		free(ss->cfg.author);
		ss->cfg.author = xstrdup(after_keyword(in->node));
		strbuf_addf(by, "MAINTAINER %s", ss->cfg.author);
		break;
	default:
		break;
	}
	return 0;
}

/* WORKDIR: the config, and the directory made in the root as BuildKit does */
static int workdir(struct build *b, struct stage_state *ss, const struct plan_instr *in,
		   struct strbuf *by, struct kerr *err)
{
	struct img_runconfig *rc = &ss->cfg.config;
	const char *w = in->nwords ? in->words[0] : "";
	cleanup_free char *joined = NULL;
	uint32_t uid = 0, gid = 0;
	char *clean;
	bool empty;
	int fd;

	if (!*w)
		return kerr_input(err, "WORKDIR cannot be empty");
	if (*w != '/')
		w = joined = path_join(rc->working_dir && *rc->working_dir ? rc->working_dir : "/", w);
	clean = path_clean(w);
	free(rc->working_dir);
	rc->working_dir = clean;
	strbuf_addf(by, "WORKDIR %s", clean);
	if (exec_snapshot(b, ss, err) < 0)
		return -1;
	/* what WORKDIR makes is the USER's, as BuildKit and buildah make it */
	if (rc->user && *rc->user) {
		struct sandbox_user u;

		if (sandbox_resolve_user(snapshot_rootfd(ss->snap), rc->user, &u, err) < 0)
			return kerr_wrap(err, "WORKDIR %s", clean);
		uid = u.uid;
		gid = u.gid;
	}
	fd = exec_mkdirs_owned(b, ss->snap, *clean == '/' ? clean + 1 : clean, uid, gid, err);
	if (fd < 0)
		return kerr_wrap(err, "WORKDIR %s", clean);
	close(fd);
	return exec_commit_layer(b, ss, by->buf, &empty, err);
}

bool exec_is_step(enum df_kind k)
{
	return k == DF_RUN || k == DF_COPY || k == DF_ADD || k == DF_WORKDIR;
}

size_t exec_stage_steps(const struct plan_stage *s)
{
	size_t n = 1;

	for (size_t i = 0; i < s->ninstrs; i++)
		n += exec_is_step(s->instrs[i].kind);
	return n;
}

int exec_instr(struct build *b, int si, size_t ii, struct kerr *err)
{
	const struct plan_stage *s = &b->plan.stages[si];
	const struct plan_instr *in = &s->instrs[ii];
	struct stage_state *ss = &b->stages[si];
	cleanup_strbuf struct strbuf by = STRBUF_INIT;
	unsigned char key[SHA256_LEN];
	bool step = exec_is_step(in->kind);
	struct sha256 h;
	int r;

	if (in->kind == DF_ARG)
		return 0;	/* build args never reach the config */
	if (step) {
		size_t pos = 2;

		for (size_t i = 0; i < ii; i++)
			pos += exec_is_step(s->instrs[i].kind);
		progress_begin(&b->pr, "[%s %zu/%zu] %s", ss->name, pos, exec_stage_steps(s),
			       in->node->original.s);
	}
	/* the key: the parent, the instruction as expanded, the args it read */
	key_begin(&h, ss->key, df_kind_name(in->kind));
	key_add(&h, in->node->original.s);
	for (size_t i = 0; i < in->nwords; i++)
		key_add(&h, in->words[i]);
	for (size_t i = 0; i < in->npairs; i++) {
		key_add(&h, in->pairs[i].key);
		key_add(&h, in->pairs[i].value);
	}
	for (size_t i = 0; i < in->nflags; i++) {
		key_add(&h, in->flags[i].name);
		key_add(&h, in->flags[i].value);
	}
	for (size_t i = 0; i < in->nargs; i++) {
		key_add(&h, in->args[i].key);
		key_add(&h, in->args[i].value);
	}
	if (in->kind == DF_RUN) {
		const char *net = plan_flag_get(in, "network");

		for (size_t i = 0; i < b->plan.nproxy; i++) {
			key_add(&h, b->plan.proxy[i].key);
			key_add(&h, b->plan.proxy[i].value);
		}
		/* a RUN without --network (or =default) runs on the build's
		 * --network, which BuildKit's exec op keeps too: a step that
		 * ran offline is not the one that ran with the network. The
		 * host's, the default, adds nothing, so existing keys stay. */
		if ((!net || !strcmp(net, "default")) && b->o->network == SANDBOX_NET_NONE)
			key_add(&h, "network=none");
	}
	if ((in->kind == DF_COPY || in->kind == DF_ADD) &&
	    exec_copy(b, ss, in, &h, true, err) < 0)
		goto fail;
	if (in->kind == DF_RUN && exec_run_key(b, in, &h, err) < 0)
		goto fail;
	sha256_final(&h, key);
	r = cache_get(b, key, ss, err);
	if (r < 0)
		goto fail;
	if (r > 0) {
		/* the live root no longer matches the state */
		snapshot_free(ss->snap);
		ss->snap = NULL;
		if (step)
			progress_cached(&b->pr);
		return 0;
	}
	memcpy(b->step_key, key, SHA256_LEN);
	switch (in->kind) {
	case DF_RUN:
		r = exec_run(b, ss, in, err);
		break;
	case DF_COPY:
	case DF_ADD:
		r = exec_copy(b, ss, in, NULL, false, err);
		break;
	case DF_WORKDIR:
		r = workdir(b, ss, in, &by, err);
		break;
	default:
		r = metadata(b, ss, in, &by, err);
		if (r >= 0) {
			char created[IMG_TIME_LEN];

			exec_now(b, created);
			img_history_add(&ss->cfg, created, by.buf, HISTORY_COMMENT, true);
			free(ss->cfg.created);
			ss->cfg.created = xstrdup(created);
		}
		break;
	}
	if (r < 0)
		goto fail;
	memcpy(ss->key, key, SHA256_LEN);
	if (cache_put(b, key, ss, err) < 0)
		goto fail;
	if (step)
		progress_done(&b->pr);
	return 0;
fail:
	exec_wrap(b, in->line, err);
	if (step)
		progress_error(&b->pr, err->msg);
	return -1;
}
