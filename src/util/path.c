/* path.c: lexical path cleaning, and opening paths inside a root directory
 * with openat2(RESOLVE_IN_ROOT) or, where the kernel lacks it, a component
 * walk that resolves every symlink itself and clamps '..' at the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/syscalls.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Linux's own limit on symlinks followed while resolving one path */
#define MAX_SYMLINK_HOPS 40

int path_force_walk;
static int have_openat2 = 1;

char *path_clean(const char *p)
{
	size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
	int rooted = n && p[0] == '/';
	char *out = xmalloc(n + 2);

	if (rooted) {
		out[w++] = '/';
		r = 1;
		dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* drop the last name */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (r < n && p[r] != '/')
				out[w++] = p[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *path_join(const char *a, const char *b)
{
	char *tmp = xasprintf("%s/%s", a, b);
	char *r = path_clean(tmp);

	free(tmp);
	return r;
}

const char *path_base(const char *p)
{
	const char *s = strrchr(p, '/');

	if (!*p)
		return ".";
	if (!s)
		return p;
	if (!s[1])
		return s == p ? p : s; /* "/" stays "/" */
	return s + 1;
}

bool path_escapes(const char *p)
{
	cleanup_free char *c = path_clean(p);

	return c[0] != '/' && c[0] == '.' && c[1] == '.' && (c[2] == '\0' || c[2] == '/');
}

/* The directories walked so far: fds[0] is the root, the last is current. */
struct walk {
	int *fds;
	size_t n, alloc;
};

static void walk_push(struct walk *w, int fd)
{
	w->fds = xgrow(w->fds, sizeof(int), w->n + 1, &w->alloc);
	w->fds[w->n++] = fd;
}

static void walk_pop(struct walk *w)
{
	if (w->n > 1)
		close(w->fds[--w->n]);
}

static void walk_to_root(struct walk *w)
{
	while (w->n > 1)
		walk_pop(w);
}

static void walk_release(struct walk *w)
{
	while (w->n)
		close(w->fds[--w->n]);
	free(w->fds);
}

/* Replaces the consumed part of rest (up to end) by the target of the symlink
 * open at linkfd, so resolution continues through the target. */
static int splice_symlink(struct walk *w, int linkfd, struct strbuf *rest,
			  size_t *pos, size_t end, int *hops)
{
	char target[4096];
	ssize_t len;

	if (++*hops > MAX_SYMLINK_HOPS) {
		errno = ELOOP;
		return -1;
	}
	len = readlinkat(linkfd, "", target, sizeof(target));
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof(target)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (len > 0 && target[0] == '/')
		walk_to_root(w);
	/* what follows the link is empty or starts with '/': adding one here
	 * would turn a final "link" into "target/", a directory */
	strbuf_remove(rest, 0, end);
	strbuf_insert(rest, 0, target, (size_t)len);
	*pos = 0;
	return 0;
}

static int walk_open(int rootfd, const char *path, int flags, mode_t mode, int mkdirs)
{
	struct walk w = { NULL, 0, 0 };
	struct strbuf rest = STRBUF_INIT;
	size_t pos = 0;
	int hops = 0, fd = -1, saved;

	if (!*path) {
		errno = ENOENT;
		return -1;
	}
	fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	walk_push(&w, fd);
	fd = -1;
	strbuf_addstr(&rest, path);

	for (;;) {
		size_t start, end, after;
		int last, cur = w.fds[w.n - 1];
		struct stat st;
		char *comp;

		while (rest.buf[pos] == '/')
			pos++;
		if (!rest.buf[pos]) {
			fd = openat(cur, ".", (mkdirs ? O_PATH | O_DIRECTORY : flags & ~O_NOFOLLOW) | O_CLOEXEC, mode);
			break;
		}
		start = pos;
		end = start;
		while (rest.buf[end] && rest.buf[end] != '/')
			end++;
		after = end;
		while (rest.buf[after] == '/')
			after++;
		/* a trailing slash makes the name a directory to walk into */
		last = !mkdirs && !rest.buf[after] && after == end;
		comp = xstrndup(rest.buf + start, end - start);
		pos = end;

		if (!strcmp(comp, ".")) {
			free(comp);
			continue;
		}
		if (!strcmp(comp, "..")) {
			walk_pop(&w);
			free(comp);
			continue;
		}
		if (last) {
			fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd >= 0 && (flags & O_PATH) && !(flags & O_NOFOLLOW) &&
			    !fstat(fd, &st) && S_ISLNK(st.st_mode)) {
				int r = splice_symlink(&w, fd, &rest, &pos, end, &hops);

				close(fd);
				fd = -1;
				free(comp);
				if (r < 0)
					break;
				continue;
			}
			/* a symlink fails with ELOOP, or with ENOTDIR under
			 * O_DIRECTORY; follow it unless told not to (the walk
			 * below gives ENOTDIR itself for a non-directory) */
			if (fd >= 0 || (flags & O_NOFOLLOW) ||
			    (errno != ELOOP && (errno != ENOTDIR || !(flags & O_DIRECTORY)))) {
				free(comp);
				break;
			}
		}
		fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && mkdirs) {
			if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST) {
				free(comp);
				break;
			}
			fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		free(comp);
		if (fd < 0)
			break;
		if (fstat(fd, &st) < 0)
			break;
		if (S_ISLNK(st.st_mode)) {
			int r = splice_symlink(&w, fd, &rest, &pos, end, &hops);

			close(fd);
			fd = -1;
			if (r < 0)
				break;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			fd = -1;
			errno = ENOTDIR;
			break;
		}
		walk_push(&w, fd);
		fd = -1;
	}
	saved = errno;
	walk_release(&w);
	strbuf_release(&rest);
	errno = saved;
	return fd;
}

int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
		      struct kerr *err)
{
	int fd;

	if (!path_force_walk && have_openat2) {
		struct kiln_open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			/* openat2 rejects a mode it does not use, and O_TMPFILE
			 * uses one without O_CREAT */
			.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		int tries = 0;

		do {
			fd = sys_openat2(rootfd, path, &how);
		} while (fd < 0 && errno == EAGAIN && ++tries < 16);
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != EPERM)
			return kerr_errno(err, errno, "cannot open '%s'", path);
		have_openat2 = 0;
	}
	fd = walk_open(rootfd, path, flags, mode, 0);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", path);
	return fd;
}

/* pushes the names of path onto the front of the queue q (a strbuf of
 * names each ended by '/'), so they come before what q already holds */
static void queue_front(struct strbuf *q, const char *path)
{
	struct strbuf t = STRBUF_INIT;

	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n && !(n == 1 && p[0] == '.')) {
			strbuf_add(&t, p, n);
			strbuf_addch(&t, '/');
		}
		p += n;
		while (*p == '/')
			p++;
	}
	strbuf_insert(q, 0, t.buf, t.len);
	strbuf_release(&t);
}

/* drops the last name of out ("a/b" -> "a"), none at the root */
static void pop_name(struct strbuf *out)
{
	char *slash = strrchr(out->buf, '/');

	strbuf_setlen(out, slash ? (size_t)(slash - out->buf) : 0);
}

char *path_resolve_in_root(int rootfd, const char *path, struct kerr *err)
{
	struct strbuf q = STRBUF_INIT, out = STRBUF_INIT;
	int hops = 0;

	queue_front(&q, path);
	while (q.len) {
		size_t n = strcspn(q.buf, "/");
		cleanup_free char *name = xstrndup(q.buf, n);
		char target[4096];
		struct stat st;
		ssize_t len;

		strbuf_remove(&q, 0, n + 1);
		if (!strcmp(name, "..")) {
			pop_name(&out);
			continue;
		}
		if (out.len)
			strbuf_addch(&out, '/');
		strbuf_addstr(&out, name);
		/* out holds no symlink, every name on it was looked at: the
		 * kernel follows none here. What is not there stays a name. */
		if (fstatat(rootfd, out.buf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
			continue;
		if (++hops > MAX_SYMLINK_HOPS) {
			kerr_errno(err, ELOOP, "'%s'", path);
			goto fail;
		}
		len = readlinkat(rootfd, out.buf, target, sizeof(target) - 1);
		if (len < 0) {
			kerr_errno(err, errno, "cannot read the link '%s'", out.buf);
			goto fail;
		}
		target[len] = 0;
		pop_name(&out);
		if (target[0] == '/')
			strbuf_setlen(&out, 0);
		queue_front(&q, target);
	}
	strbuf_release(&q);
	return strbuf_detach(&out, NULL);
fail:
	strbuf_release(&q);
	strbuf_release(&out);
	return NULL;
}

int path_mkdirs_in_root(int rootfd, const char *path, mode_t mode, struct kerr *err)
{
	int fd = walk_open(rootfd, *path ? path : ".", O_PATH | O_DIRECTORY, mode, 1);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot create directory '%s'", path);
	return fd;
}
