/* exec.h: the engine's insides, shared by its files (exec*.c, cache.c,
 * context.c, progress.c, output.c). Nothing outside src/build includes it. */
#ifndef KILN_BUILD_EXEC_H
#define KILN_BUILD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "build/engine.h"
#include "build/plan.h"
#include "dockerfile/ignore.h"
#include "image/config.h"
#include "layer/layer.h"
#include "store/store.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- progress.c: BuildKit's plain progress, one "#N" per step ---- */

struct progress {
	enum build_progress mode;	/* PLAIN, TTY or QUIET once resolved */
	int next;			/* the next step number */
	struct timespec start;		/* of the current step */
	int step;			/* the current step, 0 between steps */
	struct strbuf line;		/* a partial output line */
	/* the last lines of the current step's output, for a failure */
	char *tail[10];
	size_t ntail, tailpos;
	/* tty: the status line */
	struct timespec build_start;
	size_t total, finished;
	struct strbuf what;		/* the current step's instruction */
	bool status_shown;
	int log_fd;			/* the running step's log, -1 when none */
	char *log_path;
};

void progress_init(struct progress *pr, enum build_progress mode);
void progress_release(struct progress *pr);
/* how many steps the build has (FROMs included), for tty's "(2/5)" */
void progress_total(struct progress *pr, size_t steps);
/* "#N [build 2/5] RUN make": starts step N */
void progress_begin(struct progress *pr, const char *fmt, ...) KILN_PRINTF(2, 3);
/* output of the running step: each line as "#N 0.123 text" */
void progress_output(void *pr, const char *buf, size_t len);
void progress_cached(struct progress *pr);
/* does one of the running step's last lines hold needle? */
bool progress_saw(const struct progress *pr, const char *needle);
void progress_done(struct progress *pr);
/* "#N ERROR: what", then (quiet mode) the step's last output lines */
void progress_error(struct progress *pr, const char *what);
/* the running step's output also goes to path (kiln/logs/<key>.log) */
void progress_log(struct progress *pr, const char *path);
/* a line outside the steps, e.g. "#9 writing image sha256:..." */
void progress_note(struct progress *pr, const char *fmt, ...) KILN_PRINTF(2, 3);
/* tty: the last status line, kept: "[+] Building 2.1s (8/8) FINISHED" */
void progress_finish(struct progress *pr);

/* ---- context.c: the build context ---- */

struct build_context {
	char *dir;		/* absolute; NULL when there is none (e.g. -f - and no files) */
	int fd;			/* open on dir */
	struct df_ignore *ignore;
	char *tmpdir;		/* a context read from stdin is unpacked here */
};

int context_open(struct build_context *c, const char *dir, const char *dockerfile,
		 struct kerr *err);
void context_close(struct build_context *c);
/* is path (clean, relative) left out by .dockerignore? */
bool context_ignored(const struct build_context *c, const char *path, bool is_dir);
/* the same with the walk's nuance: an excluded directory an exception
 * reaches into (DF_IGNORE_EXCLUDE) still holds the files it keeps */
enum df_ignore_verdict context_verdict(const struct build_context *c, const char *path,
				       bool is_dir);
/* is path part of the context as BuildKit sends it: kept, or an excluded
 * directory that an exception may reach into? */
bool context_present(const struct build_context *c, const char *path, bool is_dir);

/* ---- the state of a stage as it runs ---- */

struct build_layer {
	char *media_type;	/* as in the manifest (OCI or docker) */
	char *digest;
	char *diff_id;
	int64_t size;
};

struct stage_state {
	bool started, done;
	struct img_config cfg;
	struct build_layer *layers;
	size_t nlayers;
	unsigned char key[SHA256_LEN];	/* the cache key of the last step */
	struct snapshot *snap;		/* the live root, NULL when none is mounted */
	bool cmd_set;			/* this stage set CMD (ENTRYPOINT keeps it) */
	char name[24];
};

struct build {
	const struct build_opts *o;
	struct df_file df;
	bool have_df;
	struct plan plan;
	bool have_plan;
	struct store st;
	struct build_context ctx;
	const struct sandbox_ids *ids;
	struct stage_state *stages;
	struct progress pr;
	struct layer_opts lo;
	bool epoch;			/* SOURCE_DATE_EPOCH set: times are fixed */
	char dfname[256];		/* "Dockerfile" as errors name it */
	struct strvec secret_ids, secret_srcs;	/* --secret: id and file or env:NAME */
	unsigned char step_key[SHA256_LEN];	/* the key of the step running */
	struct strvec pulled;		/* "name platform" asked for in this build */
	struct exec_url **urls;		/* ADD's URLs, fetched once a build */
	size_t nurls;
	struct exec_bind *binds;	/* filtered context copies RUN binds */
	size_t nbinds;
};

/* SIGINT or SIGTERM arrived: stop at the next step or file */
bool exec_interrupted(void);
/* err says so as the sandbox does: "interrupted", errnum EINTR; -1 */
int exec_interrupt_err(struct kerr *err);

/* puts "Dockerfile:12: " before err's message; returns -1 */
int exec_wrap(const struct build *b, int line, struct kerr *err);

/* the time a new history entry gets: SOURCE_DATE_EPOCH or now */
void exec_now(const struct build *b, char out[IMG_TIME_LEN]);

/* exec-stage.c: the instructions progress shows as steps (they may
 * change files), how many a stage has with its FROM, and one instruction */
bool exec_is_step(enum df_kind k);
size_t exec_stage_steps(const struct plan_stage *s);
int exec_instr(struct build *b, int si, size_t ii, struct kerr *err);
/* the live root of a stage, mounted over its layers when needed */
int exec_snapshot(struct build *b, struct stage_state *ss, struct kerr *err);
/* a root of another stage or an image, read-only use, freed by the caller */
int exec_source_root(struct build *b, const struct plan_src *src, struct snapshot **out,
		     struct kerr *err);
/* exec-pull.c: makes sure the store has the image name (for platform pf,
 * NULL: the host's), asking its registry as --pull says; once per name in
 * a build. Without CONFIG_REGISTRY the store has it or nothing does. */
#ifdef CONFIG_BUILD_REGISTRY
int exec_pull(struct build *b, const char *name, const struct plan_platform *pf,
	      struct kerr *err);
#else
static inline int exec_pull(struct build *b, const char *name,
			    const struct plan_platform *pf, struct kerr *err)
{
	(void)b;
	(void)name;
	(void)pf;
	(void)err;
	return 0;
}
#endif
/* exec-url.c: an ADD source URL, fetched once per build and checked
 * against checksum ("sha256:...", or NULL); *out stays the build's */
struct exec_url;
int exec_url_get(struct build *b, const char *url, const char *checksum,
		 const struct exec_url **out, struct kerr *err);
int exec_url_fd(const struct exec_url *u);
/* the name the URL gives the file, or NULL */
const char *exec_url_name(const struct exec_url *u);
const char *exec_url_digest(const struct exec_url *u);
time_t exec_url_mtime(const struct exec_url *u);
void exec_url_free(struct exec_url *u);

/* removes the filtered context copies this process made for RUN binds
 * (a stage process forgets its parent's without touching them) */
void exec_binds_release(struct build *b);

/* adds an image's name and manifest digest to a key */
int exec_image_digest(struct build *b, const char *name, struct sha256 *key, struct kerr *err);
/* turns the live root's changes into a layer of ss (or an empty step) */
int exec_commit_layer(struct build *b, struct stage_state *ss, const char *created_by,
		      bool *empty, struct kerr *err);
void stage_state_clear(struct stage_state *ss);
/* config and layers only: the live root stays */
void stage_state_clear_image(struct stage_state *ss);
int stage_state_copy(struct stage_state *dst, const struct stage_state *src);

/* exec-copy.c: COPY and ADD into the live root */
int exec_copy(struct build *b, struct stage_state *ss, const struct plan_instr *in,
	      struct sha256 *key, bool hash_only, struct kerr *err);
/* the context's tree at rel (clean, relative, "" for all of it) less what
 * .dockerignore leaves out, read as COPY reads it: hashed into key as
 * COPY's key hashes it, or (key NULL) the directory's contents copied into
 * dstfd; RUN's binds of the context are made of it */
int exec_context_tree(struct build *b, const char *rel, struct sha256 *key, int dstfd,
		      struct kerr *err);

/* exec-run.c: RUN */
int exec_run(struct build *b, struct stage_state *ss, const struct plan_instr *in,
	     struct kerr *err);
/* adds what RUN's binds show to its key, as COPY's sources: the context's
 * files (less .dockerignore's), a stage's key, an image's manifest digest */
int exec_run_key(struct build *b, const struct plan_instr *in, struct sha256 *key,
		 struct kerr *err);
/* the argv of a RUN, CMD or ENTRYPOINT node: exec form as is, shell form
 * through shell (the stage's SHELL or /bin/sh -c) */
void exec_argv(const struct df_node *n, const struct strvec *shell, struct strvec *out);

/* ---- cache.c: one file per step key under the store's kiln/cache ---- */

/* a step key: the parent's key and what the step does, length-prefixed */
void key_begin(struct sha256 *h, const unsigned char parent[SHA256_LEN], const char *what);
void key_add(struct sha256 *h, const char *s);
void key_add_buf(struct sha256 *h, const void *p, size_t n);

/* 1 and the state (config and layers) on a hit whose blobs are all there */
int cache_get(struct build *b, const unsigned char key[SHA256_LEN], struct stage_state *ss,
	      struct kerr *err);
/* the same whatever --no-cache says: how a child's stage comes back */
int cache_read(struct build *b, const unsigned char key[SHA256_LEN], struct stage_state *ss,
	       struct kerr *err);
int cache_put(struct build *b, const unsigned char key[SHA256_LEN],
	      const struct stage_state *ss, struct kerr *err);

/* ---- output.c: the image and where it goes ---- */

/* writes config and manifest blobs for ss; id gets the config digest */
int output_commit(struct build *b, struct stage_state *ss, char id[DIGEST_STR_LEN],
		  struct oci_descriptor *manifest, struct kerr *err);
/* mkdir -p of rel (clean, relative) in snap's root: the directories it
 * makes get uid:gid (on disk, or in the layer when the id map cannot hold
 * them), those that exist keep theirs; an O_PATH fd of rel */
int exec_mkdirs_owned(struct build *b, struct snapshot *snap, const char *rel, uint32_t uid,
		      uint32_t gid, struct kerr *err);
/* every --secret is id=ID with src=FILE (readable) or env=VAR, before
 * anything is built */
int exec_secrets_check(const struct build_opts *o, struct kerr *err);
/* the -o outputs make sense (a type kiln writes, its options), before
 * anything is built */
int output_check(const struct build_opts *o, struct kerr *err);
/* -t names, --iidfile, -o outputs */
int output_deliver(struct build *b, struct stage_state *ss, const char *id,
		   const struct oci_descriptor *manifest, struct kerr *err);

#endif
