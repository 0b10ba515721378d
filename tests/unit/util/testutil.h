/* testutil.h: what the util unit tests share: a scratch directory under /tmp
 * that is removed with everything in it, and reading an fd into a string. */
#ifndef KILN_TESTS_UTIL_TESTUTIL_H
#define KILN_TESTS_UTIL_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a new empty directory; caller releases it with tmpdir_remove */
static inline char *tmpdir_make(void)
{
	char *t = strdup("/tmp/kiln-unit-XXXXXX");

	if (!t || !mkdtemp(t)) {
		perror("mkdtemp");
		abort();
	}
	return t;
}

static inline int rm_one(const char *path, const struct stat *st, int type,
			 struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		chmod(path, 0700);
	if (remove(path) < 0 && errno != ENOENT)
		fprintf(stderr, "cannot remove '%s': %s\n", path, strerror(errno));
	return 0;
}

static inline void tmpdir_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* the whole content of fd from its current offset, NUL-terminated; caller
 * frees */
static inline char *slurp_fd(int fd)
{
	size_t len = 0, alloc = 256;
	char *buf = malloc(alloc);

	for (;;) {
		ssize_t n;

		if (len + 1 >= alloc)
			buf = realloc(buf, alloc *= 2);
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* writes a file (mode 0644) at dirfd/name with content s; aborts on failure
 * since a test that cannot build its fixture proves nothing */
static inline void put_file(int dirfd, const char *name, const char *s)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(s);

	if (fd < 0 || write(fd, s, len) != (ssize_t)len) {
		perror(name);
		abort();
	}
	close(fd);
}

#endif
