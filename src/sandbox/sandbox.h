/* sandbox.h: kiln's user namespace and the containers RUN and 'kiln run'
 * start in it: id maps, namespaces, mounts, the process and its end. */
#ifndef KILN_SANDBOX_SANDBOX_H
#define KILN_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* ---- kiln's own user namespace (userns.c) ---- */

/* one line of /proc/PID/uid_map: ids inside..inside+count-1 are outside.. */
struct sandbox_idmap {
	uint32_t inside, outside, count;
};

struct sandbox_ids {
	/* 0 and 1..N map to the subordinate range (or kiln runs as real root
	 * with the identity map); false: only 0 is mapped, to the caller */
	bool full;
	uid_t outer_uid;	/* who ran kiln */
	gid_t outer_gid;
	struct sandbox_idmap uid_map[2], gid_map[2];
	size_t n_uid_map, n_gid_map;
	/* setgroups(2) works: false when the gid map is the caller's gid
	 * alone, which the kernel allows only with setgroups denied */
	bool setgroups;
};

/*
 * Moves the calling process (which must not have started threads) into a
 * new user namespace and mount namespace, as uid/gid 0 there. When the user
 * has /etc/subuid and /etc/subgid ranges, the setuid newuidmap/newgidmap
 * map 0 to the user and 1..N to the range; else 0 alone is mapped (and
 * log_warn says once that other ids are unavailable). Real root gets the
 * identity map of every id. Mounts made after this vanish with the process,
 * so a killed kiln leaves none behind. A second call returns the first
 * result. Failures name what the kernel or the helper refused.
 */
int sandbox_enter(struct sandbox_ids *ids, struct kerr *err);
/* the result of sandbox_enter, NULL before it */
const struct sandbox_ids *sandbox_current(void);
/* can id (inside) own a file? always true for 0; false outside the map */
bool sandbox_id_mapped(const struct sandbox_ids *ids, uint32_t id, bool gid);

/* ---- users and groups of an image (user.c) ---- */

struct sandbox_user {
	uint32_t uid, gid;
	uint32_t groups[32];	/* supplementary groups, the primary one first */
	size_t ngroups;
	char home[256];		/* from /etc/passwd, "/" when unknown */
};

/*
 * Resolves a USER value ("name", "uid", "name:group", "uid:gid") through
 * rootfd's /etc/passwd and /etc/group (opened inside the root: symlinks
 * cannot lead out). Numeric ids need no entry; an unknown name is an input
 * error naming it and the file. Supplementary groups are the groups that
 * list the user, as docker computes them, unless a group was given.
 */
int sandbox_resolve_user(int rootfd, const char *spec, struct sandbox_user *u,
			 struct kerr *err);

/* ---- one container (run.c) ---- */

enum sandbox_mount_kind {
	SANDBOX_BIND,		/* src (host path) at dst */
	SANDBOX_TMPFS,		/* an empty tmpfs at dst */
};

struct sandbox_mount {
	enum sandbox_mount_kind kind;
	const char *src;
	const char *dst;	/* absolute, inside the container; created if missing */
	bool readonly;
	unsigned mode;		/* tmpfs: mode of its root, 0: 01777 */
};

enum sandbox_network {
	SANDBOX_NET_HOST,	/* the host's network (builders' default) */
	SANDBOX_NET_NONE,	/* a network namespace with only lo */
};

struct sandbox_spec {
	const char *rootfs;		/* the root directory, prepared by the caller */
	const char *const *argv;	/* argv[0] is looked up in PATH of envp */
	const char *const *envp;
	const char *cwd;		/* absolute; created (0755, as root) if missing */
	const struct sandbox_user *user;	/* NULL: root */
	enum sandbox_network network;
	const char *hostname;		/* NULL: "kiln" */
	const struct sandbox_mount *mounts;	/* after the standard ones */
	size_t nmounts;
	/* stdout and stderr go to out_fd (-1: kiln's own); stdin is /dev/null
	 * unless stdin_inherit */
	int out_fd;
	bool stdin_inherit;
	/* each chunk of the process's output, when out_fd is -1 and this is
	 * set; called in kiln's process while the container runs */
	void (*output)(void *arg, const char *buf, size_t len);
	void *output_arg;
};

struct sandbox_status {
	int exit_code;		/* when signal is 0 */
	int signal;		/* the signal that killed the process, else 0 */
};

/*
 * Runs spec->argv in new PID, UTS, IPC and mount namespaces (and a network
 * one for SANDBOX_NET_NONE) of kiln's user namespace (sandbox_enter must
 * have run): pivot_root into rootfs, fresh /proc, /dev as a tmpfs with
 * null, zero, full, random, urandom, tty bound from the host plus devpts,
 * ptmx and /dev/shm, /sys read-only, /etc/hosts, /etc/resolv.conf and
 * /etc/hostname bound read-only from generated files (a mount point file
 * that did not exist is removed again afterwards). The process gets the
 * user's ids and groups, no_new_privs and docker's default capability
 * bounding set. Returns when every process of the container is gone: the
 * PID namespace dies with its first process. SIGINT and SIGTERM to kiln
 * while it runs kill the container and then make this return an error
 * (errnum EINTR, "interrupted"). The exit status is not an error: the caller
 * looks at st.
 */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_status *st,
		struct kerr *err);

/* "exit code 2", "killed by signal 9 (SIGKILL)" */
void sandbox_status_str(const struct sandbox_status *st, char *buf, size_t len);

/* set by the SIGINT/SIGTERM handler sandbox_run installs; checked by
 * long-running callers between steps */
bool sandbox_interrupted(void);

#endif
