/* creds.c: who the container's process is (groups, ids, docker's default
 * capabilities, no_new_privs), its loopback, and the exec with PATH lookup. */
#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* what docker leaves a container (moby's oci/caps/defaults.go) */
static const cap_value_t default_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
	CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};
#define NDEFAULT_CAPS (int)(sizeof(default_caps) / sizeof(default_caps[0]))

static bool is_default(cap_value_t c)
{
	for (int i = 0; i < NDEFAULT_CAPS; i++)
		if (default_caps[i] == c)
			return true;
	return false;
}

int sbx_set_creds(const struct sandbox_user *u, const struct sandbox_ids *ids,
		  struct kerr *err)
{
	static const struct sandbox_user root = { .ngroups = 0, .home = "/" };
	cap_value_t max = cap_max_bits();
	gid_t groups[sizeof(u->groups) / sizeof(u->groups[0])];
	size_t ngroups = 0;
	cap_t caps;
	int r;

	if (!u)
		u = &root;
	/* the bounding set first: dropping it needs CAP_SETPCAP, which a
	 * non-root uid loses below */
	for (cap_value_t c = 0; c < max; c++)
		if (!is_default(c) && cap_drop_bound(c) < 0 && errno != EINVAL)
			return kerr_errno(err, errno, "cannot drop capability %d", (int)c);
	/* a gid the map lacks would fail setgroups as a whole */
	for (size_t i = 0; i < u->ngroups; i++)
		if (sandbox_id_mapped(ids, u->groups[i], true))
			groups[ngroups++] = u->groups[i];
	if (ids->setgroups && setgroups(ngroups, groups) < 0)
		return kerr_errno(err, errno, "cannot set the groups of uid %u", u->uid);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return kerr_errno(err, errno, "cannot switch to gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return kerr_errno(err, errno, "cannot switch to uid %u", u->uid);
	/* root keeps docker's set; another uid has none in effect, as docker
	 * does it (the switch above already emptied permitted and effective,
	 * inheritable goes here) */
	caps = cap_init();
	if (!caps)
		return kerr_errno(err, errno, "cannot allocate a capability set");
	if (u->uid == 0) {
		cap_value_t have[NDEFAULT_CAPS];
		int n = 0;

		for (int i = 0; i < NDEFAULT_CAPS; i++)
			if (default_caps[i] < max)
				have[n++] = default_caps[i];
		cap_set_flag(caps, CAP_EFFECTIVE, n, have, CAP_SET);
		cap_set_flag(caps, CAP_PERMITTED, n, have, CAP_SET);
		cap_set_flag(caps, CAP_INHERITABLE, n, have, CAP_SET);
	}
	r = cap_set_proc(caps);
	cap_free(caps);
	if (r < 0)
		return kerr_errno(err, errno, "cannot set capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return kerr_errno(err, errno, "cannot set no_new_privs");
	return 0;
}

int sbx_loopback_up(struct kerr *err)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open a socket for 'lo'");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return kerr_errno(err, errno, "cannot read the flags of 'lo'");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return kerr_errno(err, errno, "cannot bring 'lo' up");
	return 0;
}

static const char *env_path(const char *const *envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			return envp[i] + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static __attribute__((noreturn)) void exec_failed(const char *name, const char *why, int code)
{
	dprintf(2, "kiln: exec '%s': %s\n", name, why);
	_exit(code);
}

void sbx_exec(const char *const *argv, const char *const *envp)
{
	static const char *const no_env[] = { NULL };
	char *const *av = (char *const *)argv;
	char *const *ev = (char *const *)(envp ? envp : no_env);
	const char *path, *p;
	int denied = 0;

	if (strchr(argv[0], '/')) {
		execve(argv[0], av, ev);
		exec_failed(argv[0], strerror(errno), errno == ENOENT ? 127 : 126);
	}
	if (!*argv[0])
		exec_failed(argv[0], "executable file not found in $PATH", 127);
	/* execvpe's search, but with the container's PATH, not kiln's */
	path = env_path(envp);
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p), nlen = strlen(argv[0]);
		char *full = malloc(dlen + nlen + 3);

		if (!full)
			exec_failed(argv[0], strerror(ENOMEM), 126);
		if (dlen)
			memcpy(full, p, dlen);
		else
			full[dlen++] = '.';
		full[dlen] = '/';
		memcpy(full + dlen + 1, argv[0], nlen + 1);
		execve(full, av, ev);
		free(full);
		switch (errno) {
		case EACCES:
			denied = EACCES;
			break;
		case ENOENT:
		case ENOTDIR:
		case ELOOP:
		case ENAMETOOLONG:
			break;
		default:
			exec_failed(argv[0], strerror(errno), 126);
		}
		if (!*end)
			break;
		p = end;
	}
	if (denied)
		exec_failed(argv[0], strerror(denied), 126);
	exec_failed(argv[0], "executable file not found in $PATH", 127);
}
