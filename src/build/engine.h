/* engine.h: 'kiln build': a planned Dockerfile run stage by stage, RUN in
 * the sandbox, COPY/ADD into snapshots, each step's layer and config cached
 * by a key, and the result named in the store or written out. */
#ifndef KILN_BUILD_ENGINE_H
#define KILN_BUILD_ENGINE_H

#include <stdbool.h>

#include "sandbox/sandbox.h"
#include "snapshot/snapshot.h"
#include "util/err.h"
#include "util/sha256.h"
#include "util/strvec.h"

enum build_progress {
	BUILD_PROGRESS_AUTO,	/* tty when stderr is a terminal, else plain */
	BUILD_PROGRESS_PLAIN,
	BUILD_PROGRESS_TTY,
	BUILD_PROGRESS_QUIET,
};

/* --pull: when FROM and COPY --from images come from their registry */
enum build_pull {
	BUILD_PULL_MISSING,	/* when the store has not got them (the default) */
	BUILD_PULL_ALWAYS,	/* every build asks for the newest */
	BUILD_PULL_NEVER,	/* the store's only */
};

struct build_opts {
	const char *context;		/* a directory, or "-": a tar on stdin */
	const char *dockerfile;		/* NULL: CONTEXT/Dockerfile; "-": stdin */
	struct strvec tags;		/* -t, each checked */
	struct strvec build_args;	/* "K=V" (plan_build_arg form) */
	struct strvec labels;		/* --label K=V */
	struct strvec secrets;		/* --secret id=x,src=path|env=VAR */
	struct strvec outputs;		/* -o type=...,dest=... */
	const char *target;
	const char *platform;
	const char *iidfile;
	int jobs;			/* stages run side by side; <= 1: one at a time */
	bool no_cache;
	bool quiet;			/* -q: only the image ID on stdout */
	bool docker_format;		/* --format docker */
	enum build_progress progress;
	enum sandbox_network network;
	enum snapshot_kind snapshotter;
	enum build_pull pull;
	int tls_verify;			/* --tls-verify: -1 by the insecure list */
	const char *creds;		/* --creds USER[:PASS] */
};

void build_opts_init(struct build_opts *o);
void build_opts_release(struct build_opts *o);

/* Runs the build; id receives the final image's config digest. */
int build_run(const struct build_opts *o, char id[DIGEST_STR_LEN], struct kerr *err);

#endif
