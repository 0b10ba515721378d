/* rootfs-change.c: 'import --change': one Dockerfile instruction, parsed by
 * the Dockerfile parser, applied to an image's run config as docker does. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/dockerfile.h"
#include "dockerfile/shell.h"
#include "store/rootfs.h"
#include "util/path.h"
#include "util/xalloc.h"

/* words expand against the config's own ENV, as in a Dockerfile */
static int expand(const struct img_runconfig *rc, const struct df_str *s, char **out,
		  struct kerr *err)
{
	struct df_env env = DF_ENV_STRVEC(&rc->env);

	return df_expand_word(s->s, '\\', &env, out, err);
}

static void set_env(struct strvec *env, const char *key, const char *value)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < env->n; i++) {
		if (!strncmp(env->v[i], key, klen) && env->v[i][klen] == '=') {
			free(env->v[i]);
			env->v[i] = xasprintf("%s=%s", key, value);
			return;
		}
	}
	strvec_pushf(env, "%s=%s", key, value);
}

/* exec form as given; shell form runs under /bin/sh -c */
static int command(struct strvec *dst, const struct df_node *n, struct kerr *err)
{
	if (!n->json && !n->nargs)
		return kerr_input(err, "%s needs a command", df_kind_name(n->kind));
	strvec_clear(dst);
	if (!n->json)
		strvec_push(dst, "/bin/sh");
	if (!n->json)
		strvec_push(dst, "-c");
	for (size_t i = 0; i < n->nargs; i++)
		strvec_push(dst, n->args[i].s);
	return 0;
}

/* "80", "80/udp" -> "80/tcp", "80/udp"; docker's ranges are left out */
static int expose(struct img_runconfig *rc, const char *port, struct kerr *err)
{
	const char *slash = strchr(port, '/');
	size_t len = slash ? (size_t)(slash - port) : strlen(port);
	char *key;

	if (!len || len > 5 || strspn(port, "0123456789") != len ||
	    (slash && strcmp(slash, "/tcp") && strcmp(slash, "/udp") && strcmp(slash, "/sctp")))
		return kerr_input(err, "EXPOSE: invalid port '%s'", port);
	key = xasprintf("%.*s%s", (int)len, port, slash ? slash : "/tcp");
	img_map_set(&rc->exposed_ports, key, NULL);
	free(key);
	return 0;
}

static int pairs(struct img_runconfig *rc, const struct df_node *n, bool label,
		 struct kerr *err)
{
	for (size_t i = 0; i + 1 < n->nargs; i += 3) {
		char *key = NULL, *value = NULL;
		int r = expand(rc, &n->args[i], &key, err);

		if (r >= 0)
			r = expand(rc, &n->args[i + 1], &value, err);
		if (r >= 0 && label)
			img_map_set(&rc->labels, key, value);
		else if (r >= 0)
			set_env(&rc->env, key, value);
		free(key);
		free(value);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int apply(struct img_runconfig *rc, const struct df_node *n, struct kerr *err)
{
	char *w = NULL;
	int r = 0;

	switch (n->kind) {
	case DF_CMD:
		return command(&rc->cmd, n, err);
	case DF_ENTRYPOINT:
		return command(&rc->entrypoint, n, err);
	case DF_ENV:
	case DF_LABEL:
		return pairs(rc, n, n->kind == DF_LABEL, err);
	case DF_EXPOSE:
	case DF_VOLUME:
		for (size_t i = 0; i < n->nargs && r >= 0; i++) {
			r = expand(rc, &n->args[i], &w, err);
			if (r >= 0 && n->kind == DF_EXPOSE)
				r = expose(rc, w, err);
			else if (r >= 0)
				img_map_set(&rc->volumes, w, NULL);
			free(w);
			w = NULL;
		}
		return r;
	case DF_USER:
	case DF_WORKDIR:
	case DF_STOPSIGNAL:
		if (!n->nargs)
			return kerr_input(err, "%s needs an argument", df_kind_name(n->kind));
		if (expand(rc, &n->args[0], &w, err) < 0)
			return -1;
		if (n->kind == DF_USER) {
			free(rc->user);
			rc->user = w;
		} else if (n->kind == DF_STOPSIGNAL) {
			free(rc->stop_signal);
			rc->stop_signal = w;
		} else {
			/* a relative WORKDIR continues from the last one */
			char *p = w[0] == '/' ? path_clean(w) :
				path_join(rc->working_dir ? rc->working_dir : "/", w);

			free(w);
			free(rc->working_dir);
			rc->working_dir = p;
		}
		return 0;
	default:
		return kerr_input(err, "%s is not allowed in --change", df_kind_name(n->kind));
	}
}

int store_rootfs_change(struct img_runconfig *rc, const char *change, struct kerr *err)
{
	char *buf = xasprintf("%s\n", change);
	struct df_file f;
	int r = df_parse(buf, strlen(buf), "--change", &f, err);

	if (r >= 0 && f.n != 1)
		r = kerr_input(err, "--change: expected one instruction, got %zu", f.n);
	if (r >= 0)
		r = df_validate_node(&f, &f.nodes[0], err);
	if (r >= 0)
		r = apply(rc, &f.nodes[0], err);
	if (r >= 0 || f.arena)
		df_file_release(&f);
	free(buf);
	return r < 0 ? kerr_wrap(err, "--change '%s'", change) : 0;
}
