/* plan.h: a parsed Dockerfile turned into the stages a build runs, as
 * BuildKit's dockerfile2llb does: build args, word expansion, stage graph. */
#ifndef KILN_BUILD_PLAN_H
#define KILN_BUILD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile/dockerfile.h"
#include "dockerfile/mount.h"
#include "util/err.h"
#include "util/strvec.h"

/* ---- platforms (plan-platform.c) ---- */

/* os/arch/variant, normalised as containerd does ("aarch64" is arm64,
 * "arm" is arm/v7, "arm64/v8" is arm64); variant "" when there is none */
struct plan_platform {
	char os[32];
	char arch[32];
	char variant[32];
};

#define PLAN_PLATFORM_STR 100

/*
 * Parses "os[/arch[/variant]]" or a lone architecture. A lone OS takes the
 * architecture of dflt (NULL: the machine's own). Errors are input errors
 * naming the specifier.
 */
int plan_platform_parse(const char *spec, const struct plan_platform *dflt,
			struct plan_platform *out, struct kerr *err);
/* the platform kiln itself runs on, e.g. linux/amd64 */
void plan_platform_host(struct plan_platform *out);
/* "linux/arm/v7" into buf, which it returns */
const char *plan_platform_str(const struct plan_platform *p, char buf[PLAN_PLATFORM_STR]);

/* ---- what goes in ---- */

struct plan_opts {
	const char *const *build_args;	/* "KEY=value", a later one of a key wins */
	size_t nbuild_args;
	const char *target;		/* --target; NULL: the last stage */
	const char *platform;		/* the target platform; NULL: the build platform */
	const char *build_platform;	/* NULL: the machine's own */
};

/*
 * One --build-arg as docker reads it, appended to out as "KEY=value":
 * "KEY=value" as given, "KEY" takes KEY from the environment and adds
 * nothing when it is not set there. An empty KEY is an input error.
 */
int plan_build_arg(const char *spec, struct strvec *out, struct kerr *err);

/* ---- what comes out ---- */

/* a name and its value: a build arg, an ENV or LABEL pair */
struct plan_kv {
	const char *key;
	const char *value;	/* NULL: an ARG declared without a value */
};

enum plan_src_kind {
	PLAN_SRC_CONTEXT,	/* the build context (no --from) */
	PLAN_SRC_STAGE,		/* a stage of this Dockerfile */
	PLAN_SRC_IMAGE,		/* an image reference, "scratch" included */
};

/* where COPY --from and RUN --mount from= take their files */
struct plan_src {
	enum plan_src_kind kind;
	int stage;		/* PLAN_SRC_STAGE */
	const char *image;	/* PLAN_SRC_IMAGE, as written */
};

struct plan_flag {
	const char *name;	/* "chown" */
	const char *value;	/* expanded where BuildKit expands it; "" for a bare --link */
};

/*
 * One instruction after expansion. Where BuildKit expands (ADD, COPY, ENV,
 * EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG defaults, --chown,
 * --chmod, --checksum, --mount values, COPY/ADD heredocs without quoted
 * delimiters) the values are expanded; RUN, CMD, ENTRYPOINT, SHELL,
 * HEALTHCHECK, MAINTAINER and ONBUILD keep their text for the shell or the
 * image config.
 */
struct plan_instr {
	enum df_kind kind;
	const struct df_node *node;	/* as parsed: json, original text, heredocs */
	int line;		/* in the Dockerfile; a trigger has its stage's FROM line */
	bool onbuild;		/* an ONBUILD trigger of the base, run right after FROM */
	/*
	 * COPY, ADD: the sources, then the destination (heredoc sources are in
	 * heredocs); EXPOSE: the ports, split into words; VOLUME, WORKDIR,
	 * USER, STOPSIGNAL: the values; the others: the arguments as written.
	 * Empty for ENV, LABEL and ARG (see pairs).
	 */
	const char **words;
	size_t nwords;
	struct plan_kv *pairs;	/* ENV, LABEL: expanded; ARG: the name and its value */
	size_t npairs;
	struct plan_flag *flags;
	size_t nflags;
	const char **heredocs;	/* COPY, ADD: node->heredocs[k]'s content, expanded */
	struct plan_src from;	/* COPY --from */
	struct df_mount *mounts;	/* RUN --mount, values expanded */
	struct plan_src *mount_from;	/* per mount: what from= names */
	size_t nmounts;
	/*
	 * The build args this instruction used, for its cache key. RUN: every
	 * ARG of the stage so far with its current value (what BuildKit puts
	 * in history as "|N K=V"), value NULL for one declared without a value
	 * (history shows "K=", the process does not see it); the others: the
	 * ARG values their expansion looked up.
	 */
	struct plan_kv *args;
	size_t nargs;
};

enum plan_base_kind {
	PLAN_BASE_IMAGE,
	PLAN_BASE_STAGE,	/* FROM an earlier stage's name */
	PLAN_BASE_SCRATCH,
};

struct plan_stage {
	int index;
	const char *name;	/* lower case; NULL when the FROM has no AS */
	int line;		/* of its FROM */
	enum plan_base_kind base_kind;
	const char *base;	/* FROM's image after expansion (the name of a stage) */
	int base_stage;		/* PLAN_BASE_STAGE: the parent's index, else -1 */
	struct plan_platform platform;
	bool platform_given;	/* FROM --platform named it */
	struct plan_kv *from_args;	/* the global args FROM used (image, --platform) */
	size_t nfrom_args;
	struct plan_instr *instrs;	/* expanded; none for a skipped stage */
	size_t ninstrs;
	int *deps;		/* stages it needs, each once: its parent first, then sources */
	size_t ndeps;
	int level;		/* 0: needs no stage, else 1 + the highest level of deps; -1: skipped */
	bool needed;		/* the target needs it */
};

struct plan_priv;

struct plan {
	const struct df_file *df;	/* must outlive the plan */
	struct plan_stage *stages;	/* every stage, in file order */
	size_t nstages;
	int target;
	/* the needed stages in an order that runs each after its deps: by
	 * level, then index; stages of one level may run concurrently */
	int *order;
	size_t norder;
	int nlevels;
	int *skipped;		/* stages the target does not need, in file order */
	size_t nskipped;
	struct plan_platform platform;		/* the target platform */
	struct plan_platform build_platform;
	struct plan_kv *global_args;	/* the global scope: automatic args, then global ARGs */
	size_t nglobal_args;
	struct plan_kv *proxy;	/* proxy build args: every RUN gets them, history does not */
	size_t nproxy;
	struct plan_priv *priv;
};

/*
 * Plans df (parsed and validated) for one target platform. Errors are input
 * errors "path:LINE: what": a failed expansion, a bad --platform, a
 * duplicate stage name, a reference to a stage that is not defined before
 * its use, a cycle, an unknown --target. Stages the target does not need
 * are not expanded, as BuildKit does not dispatch them.
 */
int plan_build(struct plan *p, const struct df_file *df, const struct plan_opts *o,
	       struct kerr *err);
void plan_release(struct plan *p);

/*
 * The base image's ONBUILD triggers (instruction lines) run right after the
 * FROM of stage, as docker runs them; the engine calls this once it has
 * the image config. The stage and those built on it are expanded again and
 * the graph is redone (a trigger's COPY --from may need another stage).
 * A stage built FROM another stage gets that stage's ONBUILD lines itself.
 */
int plan_insert_onbuild(struct plan *p, int stage, const char *const *triggers, size_t n,
			struct kerr *err);
/*
 * The base image's environment ("K=V" entries of its config), which ENV,
 * WORKDIR and the others of stage see under their ARGs and ENVs; the stage
 * and those built on it are expanded again.
 */
int plan_set_base_env(struct plan *p, int stage, const char *const *env, size_t n,
		      struct kerr *err);

/* the stage named name (case does not matter), NULL when there is none */
const struct plan_stage *plan_find_stage(const struct plan *p, const char *name);
/* "build", or "stage-1" for an unnamed one, as BuildKit names them */
const char *plan_stage_name(const struct plan_stage *s, char buf[24]);
/* the last value of --name on in, NULL when not given */
const char *plan_flag_get(const struct plan_instr *in, const char *name);
/* a boolean flag as BuildKit reads it: --name and --name=true are true,
 * --name=false and no --name false */
bool plan_flag_bool(const struct plan_instr *in, const char *name);

/* build args given but consumed by no ARG of a needed stage, no FROM line
 * and nothing else (proxy args, BUILDKIT_*): sorted, appended to out */
void plan_unused_build_args(const struct plan *p, struct strvec *out);
/* BuildKit's one-line warning about them, through log_warn, if any */
void plan_warn_unused(const struct plan *p);

/* ---- for kiln debug (plan-dump.c, CONFIG_DEBUG_CMD) ---- */

struct strbuf;
struct cJSON;

/* stage N "name" FROM base (platform p), then one line per instruction */
void plan_dump(struct strbuf *sb, const struct plan *p);
struct cJSON *plan_dump_json(const struct plan *p);

#endif
