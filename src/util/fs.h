/* fs.h: file helpers: complete reads and writes, reading a whole small file,
 * mkdir -p, and atomic replacement (temp file, fsync, rename, fsync dir). */
#ifndef KILN_UTIL_FS_H
#define KILN_UTIL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/strbuf.h"

/* loop over short writes and EINTR; -1 with errno on failure */
int write_all(int fd, const void *buf, size_t len);
/* reads up to len bytes, stopping early only at EOF; returns bytes read */
ssize_t read_all(int fd, void *buf, size_t len);

/* Reads dirfd/path (no more than limit bytes) into out. */
int read_file_at(int dirfd, const char *path, struct strbuf *out, size_t limit,
		 struct kerr *err);

/* mkdir -p on a host path */
int mkdir_p(const char *path, mode_t mode, struct kerr *err);

/*
 * A file that appears under its name complete or not at all: written to a
 * temp name in the same directory, then fsync, rename and fsync of the
 * directory on commit. A killed process leaves only a ".tmp-" file behind.
 */
struct atomic_file {
	int dirfd;
	int fd;
	char *name;
	char *tmpname;
};

#define ATOMIC_FILE_INIT { -1, -1, NULL, NULL }

int atomic_file_open(struct atomic_file *af, int dirfd, const char *name,
		     mode_t mode, struct kerr *err);
int atomic_file_commit(struct atomic_file *af, struct kerr *err);
/* removes the temp file; safe after commit and on an unopened one */
void atomic_file_abort(struct atomic_file *af);

int atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
		    mode_t mode, struct kerr *err);

/* "0.1 KB"-style sizes are for people; this is bytes -> "1.5 MB" (SI) */
void format_size(char *buf, size_t bufsz, unsigned long long bytes);

#endif
