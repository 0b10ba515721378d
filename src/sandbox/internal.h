/* internal.h: what the parts of one container share: the files kiln
 * generates for it, the mount points it made in the root, the steps the
 * container's first process takes before exec. */
#ifndef KILN_SANDBOX_INTERNAL_H
#define KILN_SANDBOX_INTERNAL_H

#include <time.h>

#include "sandbox/sandbox.h"
#include "util/strbuf.h"
#include "util/strvec.h"

/* /etc/hosts, /etc/resolv.conf, /etc/hostname as the container sees them */
struct sbx_files {
	struct strbuf hosts, resolv, hostname;
};

void sbx_files_make(struct sbx_files *f, const struct sandbox_spec *spec, const char *hostname);
void sbx_files_release(struct sbx_files *f);

/* a directory whose times creating and removing a mount point changed */
struct sbx_dirtime {
	char *path;
	struct timespec times[2];	/* atime, mtime before kiln's points */
	struct timespec made;		/* mtime once they were made in it */
};

/*
 * Mount points kiln created in the root (absolute paths inside it, in
 * the order made), removed again after the run so they never end up in a
 * layer, and the directories whose times are put back.
 */
struct sbx_points {
	struct strvec made;
	struct sbx_dirtime *dirs;
	size_t ndirs, alloc;
};

#define SBX_POINTS_INIT { STRVEC_INIT, NULL, 0, 0 }

/* makes the standard mount points and spec's mount targets that are missing */
int sbx_points_make(int rootfd, const struct sandbox_spec *spec, struct sbx_points *p,
		    struct kerr *err);
/* removes what sbx_points_make made (best effort, warns) and frees p */
void sbx_points_remove(int rootfd, struct sbx_points *p);

/* In the container's first process: the mounts and pivot_root. */
int sbx_mount_root(const struct sandbox_spec *spec, const struct sandbox_ids *ids,
		   const struct sbx_files *files, struct kerr *err);

/* In the container's first process: groups, ids, capabilities,
 * no_new_privs. */
int sbx_set_creds(const struct sandbox_user *u, const struct sandbox_ids *ids,
		  struct kerr *err);

/* brings lo up in a new network namespace */
int sbx_loopback_up(struct kerr *err);

/* execs argv[0] looked up in envp's PATH; on failure writes why to
 * stderr and exits 127 (not found) or 126 */
__attribute__((noreturn))
void sbx_exec(const char *const *argv, const char *const *envp);

/*
 * The ptrace route of emulation (ptrace.c, CONFIG_EMULATION_PTRACE). In
 * kiln: sbx_ptrace_add keeps qemu open for platform p's binaries. In the
 * monitor: sbx_trace_prepare (before forking the first process; 1 when
 * there is something to emulate, else 0), sbx_trace_attach (after) and
 * sbx_trace_wait, which serves the exec calls until every traced process is
 * gone and gives the first one's wait status. In the first process:
 * sbx_trace_child, last before exec, installs the seccomp filter.
 */
#ifdef CONFIG_EMULATION_PTRACE
const char *sbx_ptrace_unavailable(void);	/* NULL, or why not on this host */
int sbx_ptrace_add(const struct arch_platform *p, const char *qemu, struct kerr *err);
int sbx_trace_prepare(struct kerr *err);
int sbx_trace_attach(pid_t pid, struct kerr *err);
int sbx_trace_child(struct kerr *err);
int sbx_trace_wait(pid_t first, int *status);
#else
static inline int sbx_trace_prepare(struct kerr *err)
{
	(void)err;
	return 0;
}

static inline int sbx_trace_attach(pid_t pid, struct kerr *err)
{
	(void)pid;
	(void)err;
	return 0;
}

static inline int sbx_trace_child(struct kerr *err)
{
	(void)err;
	return 0;
}

static inline int sbx_trace_wait(pid_t first, int *status)
{
	(void)first;
	(void)status;
	return -1;
}
#endif

#endif
