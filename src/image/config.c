/* config.c: the image config read strictly (every field's type checked and
 * named on error) and written in the OCI Go struct's key order, with
 * Docker's Healthcheck, OnBuild and Shell after the OCI fields. */
#include <stdlib.h>
#include <string.h>

#include "image/config.h"
#include "image/jsonio.h"
#include "util/sha256.h"
#include "util/xalloc.h"

static int parse_time(const cJSON *obj, const char *key, char **out, struct kerr *err)
{
	int64_t sec;
	long ns;

	if (jio_string(obj, key, false, out, err) < 0)
		return -1;
	if (*out && img_time_parse(*out, &sec, &ns, err) < 0)
		return kerr_wrap(err, "'%s'", key);
	return 0;
}

static int parse_health(const cJSON *o, struct img_healthcheck *hc, struct kerr *err)
{
	if (jio_strvec(o, "Test", &hc->test, NULL, err) < 0 ||
	    json_get_int64(o, "Interval", false, &hc->interval, err) < 0 ||
	    json_get_int64(o, "Timeout", false, &hc->timeout, err) < 0 ||
	    json_get_int64(o, "StartPeriod", false, &hc->start_period, err) < 0 ||
	    json_get_int64(o, "StartInterval", false, &hc->start_interval, err) < 0 ||
	    json_get_int64(o, "Retries", false, &hc->retries, err) < 0)
		return kerr_wrap(err, "'Healthcheck'");
	return 0;
}

static int parse_runconfig(const cJSON *o, struct img_runconfig *rc, struct kerr *err)
{
	const cJSON *hc = NULL;

	if (jio_string(o, "User", false, &rc->user, err) < 0 ||
	    jio_map(o, "ExposedPorts", true, &rc->exposed_ports, err) < 0 ||
	    jio_strvec(o, "Env", &rc->env, NULL, err) < 0 ||
	    jio_strvec(o, "Entrypoint", &rc->entrypoint, NULL, err) < 0 ||
	    jio_strvec(o, "Cmd", &rc->cmd, NULL, err) < 0 ||
	    jio_map(o, "Volumes", true, &rc->volumes, err) < 0 ||
	    jio_string(o, "WorkingDir", false, &rc->working_dir, err) < 0 ||
	    jio_map(o, "Labels", false, &rc->labels, err) < 0 ||
	    jio_string(o, "StopSignal", false, &rc->stop_signal, err) < 0 ||
	    json_get_bool(o, "ArgsEscaped", false, &rc->args_escaped, err) < 0 ||
	    jio_strvec(o, "OnBuild", &rc->on_build, NULL, err) < 0 ||
	    jio_strvec(o, "Shell", &rc->shell, NULL, err) < 0)
		return -1;
	hc = cJSON_GetObjectItemCaseSensitive(o, "Healthcheck");
	if (hc && !cJSON_IsNull(hc)) {
		if (json_get_object(o, "Healthcheck", false, &hc, err) < 0)
			return -1;
		rc->healthcheck = xcalloc(1, sizeof(*rc->healthcheck));
		return parse_health(hc, rc->healthcheck, err);
	}
	return 0;
}

static int parse_rootfs(const cJSON *root, struct img_config *c, struct kerr *err)
{
	const cJSON *rfs;
	const char *type;
	unsigned char h[SHA256_LEN];
	bool present;

	if (json_get_object(root, "rootfs", true, &rfs, err) < 0 ||
	    json_get_string(rfs, "type", true, &type, err) < 0)
		return -1;
	if (strcmp(type, "layers"))
		return kerr_input(err, "'rootfs': 'type': '%s' is not 'layers'", type);
	if (jio_strvec(rfs, "diff_ids", &c->diff_ids, &present, err) < 0)
		return kerr_wrap(err, "'rootfs'");
	if (!present)
		return kerr_input(err, "'rootfs': 'diff_ids': missing");
	for (size_t i = 0; i < c->diff_ids.n; i++)
		if (digest_parse(c->diff_ids.v[i], h, err) < 0)
			return kerr_wrap(err, "'rootfs': 'diff_ids[%zu]'", i);
	return 0;
}

static int parse_history(const cJSON *root, struct img_config *c, struct kerr *err)
{
	const cJSON *arr = NULL, *v;
	int i = 0;

	if (json_get_array(root, "history", false, &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	cJSON_ArrayForEach(v, arr) {
		struct img_history *h;

		c->history = xgrow(c->history, sizeof(*h), c->nhistory + 1, &c->history_alloc);
		h = &c->history[c->nhistory++];
		memset(h, 0, sizeof(*h));
		if (!cJSON_IsObject(v))
			return kerr_input(err, "'history[%d]': expected an object", i);
		if (parse_time(v, "created", &h->created, err) < 0 ||
		    jio_string(v, "created_by", false, &h->created_by, err) < 0 ||
		    jio_string(v, "author", false, &h->author, err) < 0 ||
		    jio_string(v, "comment", false, &h->comment, err) < 0 ||
		    json_get_bool(v, "empty_layer", false, &h->empty_layer, err) < 0)
			return kerr_wrap(err, "'history[%d]'", i);
		i++;
	}
	return 0;
}

int img_config_parse(const char *buf, size_t len, struct img_config *c, struct kerr *err)
{
	cleanup_json cJSON *root = json_parse(buf, len, "image config", err);
	const cJSON *rc = NULL;

	memset(c, 0, sizeof(*c));
	if (!root)
		return -1;
	if (!cJSON_IsObject(root))
		return kerr_input(err, "image config: expected an object");
	if (parse_time(root, "created", &c->created, err) < 0 ||
	    jio_string(root, "author", false, &c->author, err) < 0 ||
	    jio_string(root, "architecture", true, &c->architecture, err) < 0 ||
	    jio_string(root, "os", true, &c->os, err) < 0 ||
	    jio_string(root, "os.version", false, &c->os_version, err) < 0 ||
	    jio_strvec(root, "os.features", &c->os_features, NULL, err) < 0 ||
	    jio_string(root, "variant", false, &c->variant, err) < 0)
		return kerr_wrap(err, "image config");
	rc = cJSON_GetObjectItemCaseSensitive(root, "config");
	if (rc && !cJSON_IsNull(rc)) {
		if (json_get_object(root, "config", false, &rc, err) < 0 ||
		    parse_runconfig(rc, &c->config, err) < 0)
			return kerr_wrap(err, "image config: 'config'");
	}
	if (parse_rootfs(root, c, err) < 0 || parse_history(root, c, err) < 0)
		return kerr_wrap(err, "image config");
	return 0;
}

static void add_health(cJSON *o, const struct img_healthcheck *hc)
{
	cJSON *h = cJSON_AddObjectToObject(o, "Healthcheck");

	jio_add_strvec(h, "Test", &hc->test);
	if (hc->interval)
		jio_add_int(h, "Interval", hc->interval);
	if (hc->timeout)
		jio_add_int(h, "Timeout", hc->timeout);
	if (hc->start_period)
		jio_add_int(h, "StartPeriod", hc->start_period);
	if (hc->start_interval)
		jio_add_int(h, "StartInterval", hc->start_interval);
	if (hc->retries)
		jio_add_int(h, "Retries", hc->retries);
}

cJSON *img_runconfig_to_json(const struct img_runconfig *rc)
{
	cJSON *o = cJSON_CreateObject();

	jio_add_string(o, "User", rc->user);
	jio_add_map(o, "ExposedPorts", &rc->exposed_ports, true);
	jio_add_strvec(o, "Env", &rc->env);
	jio_add_strvec(o, "Entrypoint", &rc->entrypoint);
	jio_add_strvec(o, "Cmd", &rc->cmd);
	jio_add_map(o, "Volumes", &rc->volumes, true);
	jio_add_string(o, "WorkingDir", rc->working_dir);
	jio_add_map(o, "Labels", &rc->labels, false);
	jio_add_string(o, "StopSignal", rc->stop_signal);
	if (rc->args_escaped)
		cJSON_AddTrueToObject(o, "ArgsEscaped");
	if (rc->healthcheck)
		add_health(o, rc->healthcheck);
	jio_add_strvec(o, "OnBuild", &rc->on_build);
	jio_add_strvec(o, "Shell", &rc->shell);
	return o;
}

char *img_config_json(const struct img_config *c)
{
	cleanup_json cJSON *o = cJSON_CreateObject();
	cJSON *rfs, *arr;

	jio_add_string(o, "created", c->created);
	jio_add_string(o, "author", c->author);
	cJSON_AddStringToObject(o, "architecture", c->architecture ? c->architecture : "");
	cJSON_AddStringToObject(o, "os", c->os ? c->os : "");
	jio_add_string(o, "os.version", c->os_version);
	jio_add_strvec(o, "os.features", &c->os_features);
	jio_add_string(o, "variant", c->variant);
	cJSON_AddItemToObject(o, "config", img_runconfig_to_json(&c->config));
	rfs = cJSON_AddObjectToObject(o, "rootfs");
	cJSON_AddStringToObject(rfs, "type", "layers");
	arr = cJSON_AddArrayToObject(rfs, "diff_ids");
	for (size_t i = 0; i < c->diff_ids.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(c->diff_ids.v[i]));
	if (c->nhistory) {
		arr = cJSON_AddArrayToObject(o, "history");
		for (size_t i = 0; i < c->nhistory; i++) {
			const struct img_history *h = &c->history[i];
			cJSON *e = cJSON_CreateObject();

			jio_add_string(e, "created", h->created);
			jio_add_string(e, "created_by", h->created_by);
			jio_add_string(e, "author", h->author);
			jio_add_string(e, "comment", h->comment);
			if (h->empty_layer)
				cJSON_AddTrueToObject(e, "empty_layer");
			cJSON_AddItemToArray(arr, e);
		}
	}
	return json_print(o);
}

void img_config_copy(struct img_config *dst, const struct img_config *src)
{
	/* through JSON: one code path that is already strict and tested */
	struct kerr err = KERR_INIT;
	char *j = img_config_json(src);

	if (img_config_parse(j, strlen(j), dst, &err) < 0) {
		/* src came from parse or from code: its JSON always reads back */
		kerr_clear(&err);
		abort();
	}
	free(j);
}

static void runconfig_clear(struct img_runconfig *rc)
{
	free(rc->user);
	img_map_clear(&rc->exposed_ports);
	strvec_clear(&rc->env);
	strvec_clear(&rc->entrypoint);
	strvec_clear(&rc->cmd);
	img_map_clear(&rc->volumes);
	free(rc->working_dir);
	img_map_clear(&rc->labels);
	free(rc->stop_signal);
	if (rc->healthcheck) {
		strvec_clear(&rc->healthcheck->test);
		free(rc->healthcheck);
	}
	strvec_clear(&rc->on_build);
	strvec_clear(&rc->shell);
	memset(rc, 0, sizeof(*rc));
}

void img_config_clear(struct img_config *c)
{
	free(c->created);
	free(c->author);
	free(c->architecture);
	free(c->os);
	free(c->os_version);
	strvec_clear(&c->os_features);
	free(c->variant);
	runconfig_clear(&c->config);
	strvec_clear(&c->diff_ids);
	for (size_t i = 0; i < c->nhistory; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].author);
		free(c->history[i].comment);
	}
	free(c->history);
	memset(c, 0, sizeof(*c));
}
