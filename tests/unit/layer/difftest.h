/* difftest.h: what the diff and snapshot tests share: a user and mount
 * namespace of their own for overlay mounts, and layers listed as text. */
#ifndef KILN_TESTS_LAYER_DIFFTEST_H
#define KILN_TESTS_LAYER_DIFFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layer/writetest.h"
#include "util/strbuf.h"

static inline int write_proc(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Moves this process into new user and mount namespaces as root (only our
 * own ids mapped), with mounts private so nothing leaks to the host. Fills
 * why and returns -1 when the kernel or its settings refuse.
 */
static inline int enter_userns(char *why, size_t len)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		snprintf(why, len, "unshare: %s", strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_proc("/proc/self/uid_map", map) < 0) {
		snprintf(why, len, "uid_map: %s", strerror(errno));
		return -1;
	}
	if (write_proc("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) {
		snprintf(why, len, "setgroups: %s", strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_proc("/proc/self/gid_map", map) < 0) {
		snprintf(why, len, "gid_map: %s", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(why, len, "private mounts: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* runs fn in a child (which may unshare at will); its exit status */
static inline int run_in_child(int (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static inline int shell(const char *fmt, ...) KILN_PRINTF(1, 2);
static inline int shell(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	rc = system(cmd);
	free(cmd);
	return rc;
}

/* a finished uncompressed layer, one line an entry: "name type mode
 * uid:gid[ ->link]", plus its diff_id */
struct listing {
	struct strbuf text;
	unsigned char diff_id[SHA256_LEN];
	size_t entries;
};

static inline void listing_of(const struct strbuf *tar, struct listing *out)
{
	struct listed l[256];
	size_t n = tar_list((const unsigned char *)tar->buf, tar->len, l, 256);

	strbuf_init(&out->text, 0);
	out->entries = n;
	for (size_t i = 0; i < n; i++) {
		/* the ustar header sits right before the data */
		const unsigned char *h = l[i].data - 512;
		unsigned uid = (unsigned)octal_field(h + 108, 8);
		unsigned gid = (unsigned)octal_field(h + 116, 8);

		/* files of whoever runs the test count as root's, as in a
		 * user namespace that maps them so */
		if (uid == (unsigned)geteuid())
			uid = 0;
		if (gid == (unsigned)getegid())
			gid = 0;
		strbuf_addf(&out->text, "%s %c %o %u:%u", l[i].name, l[i].type, l[i].mode, uid, gid);
		if (l[i].type == '1' || l[i].type == '2')
			strbuf_addf(&out->text, " ->%s", l[i].link);
		if (l[i].type == '0' && l[i].size)
			strbuf_addf(&out->text, " =%.*s", (int)l[i].size, (const char *)l[i].data);
		strbuf_addch(&out->text, '\n');
	}
	listed_clear(l, n);
}

/* layer options under which separate runs of one change give one layer */
static inline struct layer_opts opts_fixed(void)
{
	struct layer_opts o = LAYER_OPTS_INIT;

	o.level = 0;
	o.mtime_policy = LAYER_MTIME_SET;
	o.timestamp = 1000000000;
	return o;
}

static inline void read_back(FILE *f, struct strbuf *out)
{
	struct kerr err = KERR_INIT;

	lseek(fileno(f), 0, SEEK_SET);
	strbuf_init(out, 0);
	if (strbuf_read_fd(out, fileno(f), 64 << 20, &err) < 0) {
		fprintf(stderr, "read back: %s\n", err.msg);
		abort();
	}
}

#endif
