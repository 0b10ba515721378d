/* sandbox.h: kiln's user namespace and the containers RUN and 'kiln run'
 * start in it: id maps, namespaces, mounts, the process and its end. */
#ifndef KILN_SANDBOX_SANDBOX_H
#define KILN_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "arch/arch.h"
#include "util/err.h"
#include "util/strbuf.h"

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
 * (errnum EINTR, "interrupted"); so does a stop that came before
 * (sandbox_interrupt), without starting it. The exit status is not an
 * error: the caller looks at st.
 */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_status *st,
		struct kerr *err);

/* "exit code: 2" (BuildKit's words), "killed by signal 9 (SIGKILL)" */
void sandbox_status_str(const struct sandbox_status *st, char *buf, size_t len);

/* set by the SIGINT/SIGTERM handler sandbox_run installs; checked by
 * long-running callers between steps */
bool sandbox_interrupted(void);

/* what that handler does, for a caller's own handler outside sandbox_run
 * (async-signal-safe): from now on sandbox_run starts no container and
 * kills the one it runs */
void sandbox_interrupt(void);

/* ---- other CPUs' binaries (emulate.c, CONFIG_EMULATION) ---- */

enum sandbox_emu_how {
	SANDBOX_EMU_NATIVE,		/* the CPU runs them */
	SANDBOX_EMU_HOST_BINFMT,	/* the host's binfmt_misc entry (flags F and P) */
	SANDBOX_EMU_KILN_BINFMT,	/* qemu-user, registered by kiln in its user namespace */
	SANDBOX_EMU_PTRACE,		/* qemu-user, exec calls rewritten by kiln (ptrace.c) */
	SANDBOX_EMU_NONE,		/* cannot run them */
};

/* "native", "host binfmt", "kiln binfmt", "ptrace", "unavailable" */
static inline const char *sandbox_emu_how_str(enum sandbox_emu_how how)
{
	switch (how) {
	case SANDBOX_EMU_NATIVE:
		return "native";
	case SANDBOX_EMU_HOST_BINFMT:
		return "host binfmt";
	case SANDBOX_EMU_KILN_BINFMT:
		return "kiln binfmt";
	case SANDBOX_EMU_PTRACE:
		return "ptrace";
	default:
		return "unavailable";
	}
}

/* the width of the platform column of sandbox_emulation_report */
#define SANDBOX_PLATFORM_COLUMN 13

#ifdef CONFIG_EMULATION
/*
 * Makes binaries of the image platform arch[/variant] runnable in kiln's
 * containers; call after sandbox_enter, before the first container of that
 * platform, in kiln's own process (not a short-lived child: kiln's
 * binfmt_misc instance lives as long as the process that made it). Each
 * platform is settled once; later calls return the first answer.
 *
 * In order: natively (the CPU's own platform, or 386 on amd64 and arm on
 * arm64 with AArch32); through an enabled host binfmt_misc entry whose magic
 * matches and which has flags F (its interpreter was opened at registration,
 * so it is found from inside a container root) and P; else kiln mounts a
 * binfmt_misc instance of its own user namespace (kernel >= 6.7, a detached
 * mount: no path on the host sees it) and registers a static qemu-user
 * there with flags OPF. From then on the host's entries no longer apply in
 * kiln's namespace, so the ones in use are copied into it. Where that
 * fails (an older kernel), and CONFIG_EMULATION_PTRACE is in, kiln traces
 * the container's exec calls and runs foreign ELF files through qemu itself.
 *
 * qemu-<qemu>-static, then qemu-<qemu> are looked up in $PATH and then in
 * $KILN_QEMU_DIRS (colon separated, default /usr/bin:/usr/libexec/qemu-binfmt,
 * where <qemu>-binfmt-P is tried too). $KILN_EMULATION picks a route: "auto"
 * (default), "host" (the host's entries only), "binfmt" (kiln's own
 * registration even when the host has an entry) or "ptrace" (the traced
 * exec calls even when binfmt_misc would do).
 *
 * Errors: an unknown platform, missing qemu-user and an unknown
 * KILN_EMULATION are input errors; a kernel older than 6.7 or a refused
 * mount or registration are failures naming the cause.
 */
int sandbox_emulation(const char *arch, const char *variant, enum sandbox_emu_how *how,
		      struct kerr *err);

/*
 * For 'kiln debug platforms': one line per platform kiln has a table for,
 * "linux/arm64  kiln binfmt (qemu-aarch64-static, 7.2.22)", "native",
 * "host binfmt (/usr/bin/qemu-aarch64-static)" or "unavailable: <why>".
 * Predicts what sandbox_emulation would do, without a namespace and without
 * registering anything.
 */
void sandbox_emulation_report(struct strbuf *out);

/* a host binfmt_misc entry as its file under /proc/sys/fs/binfmt_misc reads */
struct sandbox_binfmt_entry {
	bool enabled;
	bool magic_type;		/* M (not E, an extension) */
	char interpreter[256];
	char flags[16];			/* "POF" */
	unsigned offset;
	uint8_t magic[128], mask[128];
	size_t len;
};

/* parses an entry file's text; -1 (input error) when it is not one */
int sandbox_binfmt_parse(const char *text, struct sandbox_binfmt_entry *e, struct kerr *err);
/* does e take p's executables, both ET_EXEC and ET_DYN? */
bool sandbox_binfmt_matches(const struct sandbox_binfmt_entry *e,
			    const struct arch_platform *p);
/* the line written to "register" for p run by interp; caller frees */
char *sandbox_binfmt_rule(const struct arch_platform *p, const char *interp,
			  const char *flags);
/* the static qemu-user for p, as sandbox_emulation finds it; caller frees;
 * an input error naming the names tried when there is none */
char *sandbox_find_qemu(const struct arch_platform *p, struct kerr *err);
/* is the running kernel's release at least major.minor? */
bool sandbox_kernel_at_least(const char *release, int major, int minor);
#else
/* Not in this build: what the CPU runs natively still runs. */
static inline int sandbox_emulation(const char *arch, const char *variant,
				    enum sandbox_emu_how *how, struct kerr *err)
{
	const struct arch_platform *p = arch_find(arch, variant);

	*how = SANDBOX_EMU_NATIVE;
	if (p && arch_native(p))
		return 0;
	*how = SANDBOX_EMU_NONE;
	return kerr_input(err, "linux/%s%s%s images need emulation, which is not in this "
			  "build (CONFIG_EMULATION=n)", arch, variant && *variant ? "/" : "",
			  variant && *variant ? variant : "");
}

static inline void sandbox_emulation_report(struct strbuf *out)
{
	arch_for_each_platform(p) {
		char name[32], full[40];

		snprintf(full, sizeof(full), "linux/%s", arch_platform_name(p, name));
		strbuf_addf(out, "%-*s  %s\n", SANDBOX_PLATFORM_COLUMN, full,
			    arch_native(p) ? "native" :
			    "unavailable: not in this build (CONFIG_EMULATION=n)");
	}
}
#endif

#endif
