/* config.h: the image configuration (OCI image config, which Docker's is a
 * superset of): platform, run config, rootfs diff_ids and history. */
#ifndef KILN_IMAGE_CONFIG_H
#define KILN_IMAGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/map.h"
#include "util/json.h"
#include "util/strvec.h"

/* Docker's HEALTHCHECK; durations in nanoseconds, as Docker stores them */
struct img_healthcheck {
	struct strvec test;
	int64_t interval;
	int64_t timeout;
	int64_t start_period;
	int64_t start_interval;
	int64_t retries;
};

/* the "config" object; Healthcheck, OnBuild and Shell are Docker's */
struct img_runconfig {
	char *user;
	struct img_map exposed_ports;	/* set: "80/tcp" */
	struct strvec env;
	struct strvec entrypoint;
	struct strvec cmd;
	struct img_map volumes;		/* set */
	char *working_dir;
	struct img_map labels;
	char *stop_signal;
	bool args_escaped;
	struct img_healthcheck *healthcheck;
	struct strvec on_build;
	struct strvec shell;
};

struct img_history {
	char *created;		/* RFC 3339 */
	char *created_by;
	char *author;
	char *comment;
	bool empty_layer;
};

struct img_config {
	char *created;
	char *author;
	char *architecture;
	char *os;
	char *os_version;
	struct strvec os_features;
	char *variant;
	struct img_runconfig config;
	struct strvec diff_ids;		/* rootfs.diff_ids; rootfs.type is "layers" */
	struct img_history *history;
	size_t nhistory;
	size_t history_alloc;
};

int img_config_parse(const char *buf, size_t len, struct img_config *c, struct kerr *err);
/* compact, fixed key order, empty optional fields omitted; caller frees */
char *img_config_json(const struct img_config *c);
/* dst is filled from scratch: pass it cleared or never used */
void img_config_copy(struct img_config *dst, const struct img_config *src);
void img_config_clear(struct img_config *c);
/* the "config" object alone, for 'kiln inspect' */
cJSON *img_runconfig_to_json(const struct img_runconfig *rc);

/* history entries as docker and buildah write them */
void img_history_add(struct img_config *c, const char *created, const char *created_by,
		     const char *comment, bool empty_layer);
/* "/bin/sh -c #(nop) <what>" with empty_layer, for metadata instructions */
void img_history_add_nop(struct img_config *c, const char *created, const char *what);

/* RFC 3339 with nanoseconds, UTC, trailing zeros dropped (Go's RFC3339Nano) */
#define IMG_TIME_LEN 40
void img_time_format(int64_t sec, long nsec, char out[IMG_TIME_LEN]);
int img_time_parse(const char *s, int64_t *sec, long *nsec, struct kerr *err);

#endif
