/* userns.c: kiln's own user and mount namespace: the id maps (newuidmap and
 * newgidmap for a subordinate range, the caller's id alone, or identity for
 * real root) and a mount tree that propagates nothing back to the host. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

static struct sandbox_ids current;
static bool entered;

const struct sandbox_ids *sandbox_current(void)
{
	return entered ? &current : NULL;
}

bool sandbox_id_mapped(const struct sandbox_ids *ids, uint32_t id, bool gid)
{
	const struct sandbox_idmap *m = gid ? ids->gid_map : ids->uid_map;
	size_t n = gid ? ids->n_gid_map : ids->n_uid_map;

	if (id == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].inside && id - m[i].inside < m[i].count)
			return true;
	return false;
}

/* A subordinate range of /etc/subuid or /etc/subgid for the user: lines
 * "owner:start:count", owner a name or a numeric id, as shadow-utils reads
 * them; the first match wins. 0: none (no file, no line). */
static int find_subid(const char *file, const char *name, unsigned long id,
		      uint32_t *start, uint32_t *count)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char *line, *save = NULL;
	int found = 0;

	if (read_file_at(AT_FDCWD, file, &sb, 1 << 20, &err) < 0) {
		if (err.errnum != ENOENT)
			log_warn("%s", err.msg);
		kerr_clear(&err);
		strbuf_release(&sb);
		return 0;
	}
	for (line = strtok_r(sb.buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long s, n, owner;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c1 = *c2 = '\0';
		if (!name || strcmp(line, name)) {
			errno = 0;
			owner = strtoul(line, &end, 10);
			if (!*line || *end || errno || owner != id)
				continue;
		}
		errno = 0;
		s = strtoul(c1 + 1, &end, 10);
		if (c1[1] == '\0' || *end || errno)
			continue;
		n = strtoul(c2 + 1, &end, 10);
		if (c2[1] == '\0' || *end || errno || n == 0 || s > UINT32_MAX ||
		    n > UINT32_MAX - s)
			continue;
		*start = (uint32_t)s;
		*count = (uint32_t)n;
		found = 1;
	}
	strbuf_release(&sb);
	return found;
}

/* the first executable NAME in $PATH (or the usual places), caller frees */
static char *find_helper(const char *name)
{
	const char *path = getenv("PATH");
	struct strvec dirs = STRVEC_INIT;
	char *found = NULL;

	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	strvec_split(&dirs, path, ':');
	for (size_t i = 0; i < dirs.n && !found; i++) {
		char *p = xasprintf("%s/%s", *dirs.v[i] ? dirs.v[i] : ".", name);

		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	strvec_clear(&dirs);
	return found;
}

/* what the map helper child tells the parent */
struct map_result {
	int uid_ok, gid_ok;
	char msg[512];
};

/* In the helper child: runs argv with stderr into a pipe; 0 on success,
 * else -1 with msg naming the tool and what it said. */
static int run_map_tool(char *const argv[], char *msg, size_t len)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t blen = strlen(base);
	int pfd[2], status;
	char out[400];
	ssize_t n = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(msg, len, "%s: cannot create a pipe: %s", base, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(msg, len, "%s: cannot fork: %s", base, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(pfd[1], 2);
		execv(argv[0], argv);
		dprintf(2, "%s", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	n = read_all(pfd[0], out, sizeof(out) - 1);
	close(pfd[0]);
	out[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* the tool's first line says why; it names itself already */
	out[strcspn(out, "\n")] = '\0';
	if (!strncmp(out, base, blen) && !strncmp(out + blen, ": ", 2))
		snprintf(msg, len, "%s", out);
	else if (*out)
		snprintf(msg, len, "%s: %s", base, out);
	else if (WIFEXITED(status))
		snprintf(msg, len, "%s: exit status %d", base, WEXITSTATUS(status));
	else
		snprintf(msg, len, "%s: killed by signal %d", base, WTERMSIG(status));
	return -1;
}

static int write_proc(pid_t pid, const char *file, const char *data, char *msg, size_t len)
{
	char path[64];
	int fd, saved;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write_all(fd, data, strlen(data)) == 0)
		return close(fd);
	saved = errno;
	if (fd >= 0)
		close(fd);
	snprintf(msg, len, "cannot write '%s': %s", path, strerror(saved));
	errno = saved;
	return -1;
}

static void map_text(const struct sandbox_idmap *m, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%u %u %u\n",
					m[i].inside, m[i].outside, m[i].count);
}

/*
 * The helper child, still in the initial user namespace: waits until the
 * parent has unshared, then maps it. An unprivileged process cannot map
 * more than itself, and a process inside the new namespace has no
 * capability over the parent one, so the maps must come from out here.
 */
static void map_child(pid_t parent, int go_fd, int res_fd, const struct sandbox_ids *ids,
		      const char *newuidmap, const char *newgidmap, bool root)
{
	struct map_result res;
	char go, buf[128];

	memset(&res, 0, sizeof(res));
	if (read(go_fd, &go, 1) != 1)
		_exit(1);	/* the parent gave up */
	if (root) {
		map_text(ids->uid_map, ids->n_uid_map, buf, sizeof(buf));
		res.uid_ok = write_proc(parent, "uid_map", buf, res.msg, sizeof(res.msg)) == 0;
		map_text(ids->gid_map, ids->n_gid_map, buf, sizeof(buf));
		if (res.uid_ok)
			res.gid_ok = write_proc(parent, "gid_map", buf, res.msg,
						sizeof(res.msg)) == 0;
	} else {
		char spid[16], a[3][16], b[3][16];
		char *uargv[9], *gargv[9];
		const struct sandbox_idmap *u = ids->uid_map, *g = ids->gid_map;

		snprintf(spid, sizeof(spid), "%d", (int)parent);
		snprintf(a[0], 16, "%u", u[0].outside);
		snprintf(a[1], 16, "%u", u[1].outside);
		snprintf(a[2], 16, "%u", u[1].count);
		snprintf(b[0], 16, "%u", g[0].outside);
		snprintf(b[1], 16, "%u", g[1].outside);
		snprintf(b[2], 16, "%u", g[1].count);
		uargv[0] = (char *)newuidmap;
		gargv[0] = (char *)newgidmap;
		uargv[1] = gargv[1] = spid;
		uargv[2] = gargv[2] = "0";
		uargv[3] = a[0];
		gargv[3] = b[0];
		uargv[4] = gargv[4] = "1";
		uargv[5] = gargv[5] = "1";
		uargv[6] = a[1];
		gargv[6] = b[1];
		uargv[7] = a[2];
		gargv[7] = b[2];
		uargv[8] = gargv[8] = NULL;
		res.uid_ok = run_map_tool(uargv, res.msg, sizeof(res.msg)) == 0;
		if (res.uid_ok)
			res.gid_ok = run_map_tool(gargv, res.msg, sizeof(res.msg)) == 0;
	}
	_exit(write_all(res_fd, &res, sizeof(res)) == 0 ? 0 : 1);
}

/* the ids this process has: each line of our map becomes an identity line
 * of the new one (real root: "0 0 4294967295") */
static size_t own_ranges(const char *file, struct sandbox_idmap *m)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	char *line, *save = NULL;
	size_t n = 0;

	if (read_file_at(AT_FDCWD, file, &sb, 1 << 16, &err) < 0) {
		kerr_clear(&err);
		strbuf_release(&sb);
		m[0] = (struct sandbox_idmap){ 0, 0, UINT32_MAX };
		return 1;
	}
	for (line = strtok_r(sb.buf, "\n", &save); line && n < 2;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long v[3];
		char *p = line;
		int k;

		/* "inside outside count", spaces between; strtoul, not sscanf,
		 * which would pull 4 kb of scanf into the binary */
		for (k = 0; k < 3; k++) {
			char *end;

			errno = 0;
			v[k] = strtoul(p, &end, 10);
			if (end == p || errno || v[k] > UINT32_MAX)
				break;
			p = end;
		}
		if (k == 3)
			m[n++] = (struct sandbox_idmap){ (uint32_t)v[0], (uint32_t)v[0],
							 (uint32_t)v[2] };
	}
	strbuf_release(&sb);
	return n;
}

/* the caller's id alone, written by the process itself: the one map an
 * unprivileged process may write, and only with setgroups denied */
static int map_self(struct sandbox_ids *ids, struct kerr *err)
{
	char buf[64], msg[256];

	ids->full = false;
	ids->setgroups = false;
	ids->uid_map[0] = (struct sandbox_idmap){ 0, ids->outer_uid, 1 };
	ids->gid_map[0] = (struct sandbox_idmap){ 0, ids->outer_gid, 1 };
	ids->n_uid_map = ids->n_gid_map = 1;
	if (write_proc(getpid(), "setgroups", "deny", msg, sizeof(msg)) < 0 && errno != ENOENT)
		return kerr_errno(err, errno, "%s", msg);
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)ids->outer_uid);
	if (write_proc(getpid(), "uid_map", buf, msg, sizeof(msg)) < 0)
		return kerr_set(err, "%s", msg);
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)ids->outer_gid);
	if (write_proc(getpid(), "gid_map", buf, msg, sizeof(msg)) < 0)
		return kerr_set(err, "%s", msg);
	return 0;
}

/* do the ranges hold ids 0..65535, a user's subordinate range? */
static bool covers_range(const struct sandbox_idmap *m, size_t n)
{
	uint64_t next = 0;

	/* own_ranges keeps the file's order, which is the ids' order */
	for (size_t i = 0; i < n && next < 65536; i++)
		if (m[i].inside <= next && (uint64_t)m[i].inside + m[i].count > next)
			next = (uint64_t)m[i].inside + m[i].count;
	return next >= 65536;
}

/* /proc/self/setgroups says "deny": a namespace an unprivileged user made */
static bool setgroups_denied(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	bool deny = false;

	if (read_file_at(AT_FDCWD, "/proc/self/setgroups", &sb, 64, &err) == 0)
		deny = !strncmp(sb.buf, "deny", 4);
	kerr_clear(&err);
	strbuf_release(&sb);
	return deny;
}

static void warn_partial(const struct sandbox_idmap *m, size_t n)
{
	uint64_t ids = 0;

	for (size_t i = 0; i < n; i++)
		ids += m[i].count;
	log_warn("kiln runs as root of a user namespace that holds %llu ids: other ids are "
		 "unavailable in the sandbox", (unsigned long long)ids);
}

/* said once per process: every later step would repeat it */
static void warn_single(const char *user, const char *why, bool no_ranges)
{
	static bool said;

	if (said)
		return;
	said = true;
	if (no_ranges)
		log_warn("%s: ids other than 0 are unavailable in the sandbox; add "
			 "'%s:100000:65536' to /etc/subuid and /etc/subgid for the full range",
			 why, user);
	else
		log_warn("%s: ids other than 0 are unavailable in the sandbox", why);
}

int sandbox_enter(struct sandbox_ids *ids, struct kerr *err)
{
	struct sandbox_ids want;
	struct map_result res;
	cleanup_free char *newuidmap = NULL, *newgidmap = NULL;
	const char *name = NULL;
	char namebuf[64];
	int go[2] = { -1, -1 }, rp[2] = { -1, -1 };
	bool root = geteuid() == 0, helper, no_ranges = false;
	const char *why = NULL;
	uint32_t us = 0, uc = 0, gs = 0, gc = 0;
	pid_t child = -1, parent = getpid();
	int r = -1, status;

	if (entered) {
		*ids = current;
		return 0;
	}
	memset(&want, 0, sizeof(want));
	memset(&res, 0, sizeof(res));
	want.outer_uid = geteuid();
	want.outer_gid = getegid();
	want.setgroups = true;
	if (root) {
		want.n_uid_map = own_ranges("/proc/self/uid_map", want.uid_map);
		want.n_gid_map = own_ranges("/proc/self/gid_map", want.gid_map);
		/* root of a user namespace (unshare -r) may hold fewer ids
		 * than a user's subordinate range, and setgroups may be
		 * denied there already, which its children inherit */
		want.full = covers_range(want.uid_map, want.n_uid_map) &&
			    covers_range(want.gid_map, want.n_gid_map);
		want.setgroups = !setgroups_denied();
		if (!want.full)
			warn_partial(want.uid_map, want.n_uid_map);
		helper = true;
	} else {
		struct passwd *pw = getpwuid(want.outer_uid);

		if (pw && strlen(pw->pw_name) < sizeof(namebuf)) {
			strcpy(namebuf, pw->pw_name);
			name = namebuf;
		}
		helper = find_subid("/etc/subuid", name, want.outer_uid, &us, &uc) &&
			 find_subid("/etc/subgid", name, want.outer_uid, &gs, &gc);
		if (!helper) {
			why = "no ranges in /etc/subuid and /etc/subgid";
			no_ranges = true;
		}
		if (helper) {
			newuidmap = find_helper("newuidmap");
			newgidmap = find_helper("newgidmap");
			if (!newuidmap || !newgidmap) {
				why = "newuidmap or newgidmap not found";
				helper = false;
			}
		}
		want.full = true;
		want.uid_map[0] = (struct sandbox_idmap){ 0, want.outer_uid, 1 };
		want.uid_map[1] = (struct sandbox_idmap){ 1, us, uc };
		want.gid_map[0] = (struct sandbox_idmap){ 0, want.outer_gid, 1 };
		want.gid_map[1] = (struct sandbox_idmap){ 1, gs, gc };
		want.n_uid_map = want.n_gid_map = 2;
	}

	if (helper) {
		if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rp, O_CLOEXEC) < 0) {
			kerr_errno(err, errno, "cannot create a pipe");
			goto out;
		}
		child = fork();
		if (child < 0) {
			kerr_errno(err, errno, "cannot fork the id map helper");
			goto out;
		}
		if (child == 0) {
			close(go[1]);
			close(rp[0]);
			map_child(parent, go[0], rp[1], &want, newuidmap, newgidmap, root);
		}
		close(go[0]);
		close(rp[1]);
		go[0] = rp[1] = -1;
	}

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		kerr_errno(err, errno, "cannot create a user namespace");
		goto out;
	}

	if (helper) {
		ssize_t n;

		if (write_all(go[1], "g", 1) < 0) {
			kerr_errno(err, errno, "cannot reach the id map helper");
			goto out;
		}
		n = read_all(rp[0], &res, sizeof(res));
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		child = -1;
		if (n != (ssize_t)sizeof(res)) {
			kerr_set(err, "the id map helper died");
			goto out;
		}
		res.msg[sizeof(res.msg) - 1] = '\0';
		if (res.uid_ok && !res.gid_ok) {
			/* the uid map stands and cannot be written again; the
			 * gid map can still be the caller's gid alone */
			char buf[64], msg[256];

			if (root) {
				kerr_set(err, "%s", res.msg);
				goto out;
			}
			log_warn("%s; only gid 0 is available in the sandbox", res.msg);
			want.gid_map[0] = (struct sandbox_idmap){ 0, want.outer_gid, 1 };
			want.n_gid_map = 1;
			want.full = false;
			want.setgroups = false;
			snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)want.outer_gid);
			if (write_proc(getpid(), "setgroups", "deny", msg, sizeof(msg)) < 0 ||
			    write_proc(getpid(), "gid_map", buf, msg, sizeof(msg)) < 0) {
				kerr_set(err, "%s", msg);
				goto out;
			}
		} else if (!res.uid_ok) {
			if (root) {
				kerr_set(err, "%s", res.msg);
				goto out;
			}
			why = res.msg;
			helper = false;
		}
	}
	if (!helper) {
		warn_single(name ? name : "USER", why, no_ranges);
		if (map_self(&want, err) < 0)
			goto out;
	}

	if (setresgid(0, 0, 0) < 0) {
		kerr_errno(err, errno, "cannot become gid 0 in the user namespace");
		goto out;
	}
	if (setresuid(0, 0, 0) < 0) {
		kerr_errno(err, errno, "cannot become uid 0 in the user namespace");
		goto out;
	}
	/* mounts made from here on must not reach the host's tree */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		kerr_errno(err, errno, "cannot make '/' a slave mount");
		goto out;
	}
	current = want;
	entered = true;
	*ids = want;
	r = 0;
out:
	if (child > 0) {
		kill(child, SIGKILL);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (rp[i] >= 0)
			close(rp[i]);
	}
	return r;
}
