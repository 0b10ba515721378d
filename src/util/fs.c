/* fs.c: file helpers shared by the store, the layer code and the commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/xalloc.h"

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int read_file_at(int dirfd, const char *path, struct strbuf *out, size_t limit,
		 struct kerr *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", path);
	if (strbuf_read_fd(out, fd, limit, err) < 0)
		return kerr_wrap(err, "'%s'", path);
	return 0;
}

int mkdir_p(const char *path, mode_t mode, struct kerr *err)
{
	cleanup_free char *p = xstrdup(path);
	size_t len = strlen(p);

	for (size_t i = 1; i <= len; i++) {
		struct stat st;

		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) < 0) {
			if (errno != EEXIST)
				return kerr_errno(err, errno, "cannot create directory '%s'", p);
			/* on the way a file fails the next mkdir, but the last
			 * name must be checked: a file there is no success */
			if (i == len && (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)))
				return kerr_errno(err, ENOTDIR, "cannot create directory '%s'", p);
		}
		if (i < len)
			p[i] = '/';
	}
	return 0;
}

int atomic_file_open(struct atomic_file *af, int dirfd, const char *name,
		     mode_t mode, struct kerr *err)
{
	/* the temp file goes next to name, in name's own directory, so the
	 * rename stays in one directory and one filesystem */
	const char *slash = strrchr(name, '/');
	int dirlen = slash ? (int)(slash - name + 1) : 0;

	for (int tries = 0; tries < 100; tries++) {
		unsigned int r;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned int)getpid() * 2654435761u + (unsigned int)tries;
		af->tmpname = xasprintf("%.*s.tmp-%08x-%s", dirlen, name, r, path_base(name));
		af->fd = openat(dirfd, af->tmpname,
				O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (af->fd >= 0) {
			af->dirfd = dirfd;
			af->name = xstrdup(name);
			return 0;
		}
		free(af->tmpname);
		af->tmpname = NULL;
		if (errno != EEXIST)
			return kerr_errno(err, errno, "cannot create a temporary file for '%s'", name);
	}
	return kerr_set(err, "cannot create a temporary file for '%s'", name);
}

int atomic_file_commit(struct atomic_file *af, struct kerr *err)
{
	const char *slash = strrchr(af->name, '/');
	cleanup_free char *dir = slash ? xstrndup(af->name, (size_t)(slash - af->name + 1)) : NULL;
	int dfd;

	if (fsync(af->fd) < 0) {
		kerr_errno(err, errno, "cannot write '%s'", af->name);
		goto out_abort;
	}
	if (close(af->fd) < 0) {
		af->fd = -1;
		kerr_errno(err, errno, "cannot write '%s'", af->name);
		goto out_abort;
	}
	af->fd = -1;
	if (renameat(af->dirfd, af->tmpname, af->dirfd, af->name) < 0) {
		kerr_errno(err, errno, "cannot rename to '%s'", af->name);
		goto out_abort;
	}
	free(af->tmpname);
	af->tmpname = NULL;
	/* the rename itself must reach the disk before callers rely on it */
	dfd = openat(af->dirfd, dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		int r = fsync(dfd), saved = errno;

		close(dfd);
		if (r < 0) {
			kerr_errno(err, saved, "cannot sync directory of '%s'", af->name);
			goto out_abort;
		}
	}
	atomic_file_abort(af);
	return 0;

out_abort:
	atomic_file_abort(af);
	return -1;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmpname)
		unlinkat(af->dirfd, af->tmpname, 0);
	free(af->tmpname);
	free(af->name);
	af->tmpname = NULL;
	af->name = NULL;
}

int atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
		    mode_t mode, struct kerr *err)
{
	struct atomic_file af = ATOMIC_FILE_INIT;

	if (atomic_file_open(&af, dirfd, name, mode, err) < 0)
		return -1;
	if (write_all(af.fd, data, len) < 0) {
		kerr_errno(err, errno, "cannot write '%s'", name);
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err);
}

void format_size(char *buf, size_t bufsz, unsigned long long bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)bytes;
	int u = 0;

	/* from 999.5 on, "%.3g" rounds to 1000 and prints "1e+03"; EB makes
	 * room for every 64-bit count */
	while (v >= 999.5 && u < 6) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, bufsz, "%llu B", bytes);
	else
		snprintf(buf, bufsz, "%.3g %s", v, units[u]);
}
