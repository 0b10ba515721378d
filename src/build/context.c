/* context.c: the build context: a directory, or a tar (maybe gzip'ed) on
 * standard input unpacked into a temporary directory through the hardened
 * extractor, with the .dockerignore patterns BuildKit would pick. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/exec.h"
#include "layer/extract.h"
#include "store/rootfs.h"
#include "util/xalloc.h"

static int from_stdin(struct build_context *c, struct kerr *err)
{
	struct layer_extract_opts eo = LAYER_EXTRACT_OPTS_INIT;
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/kiln-context.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd;

	if (!mkdtemp(dir)) {
		int e = errno;

		free(dir);
		return kerr_errno(err, e, "cannot create a directory for the context");
	}
	c->tmpdir = dir;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", dir);
	if (layer_extract_fd(fd, STDIN_FILENO, &eo, NULL, err) < 0) {
		close(fd);
		return kerr_wrap(err, "the context on standard input");
	}
	close(fd);
	return 0;
}

int context_open(struct build_context *c, const char *dir, const char *dockerfile,
		 struct kerr *err)
{
	char real[PATH_MAX];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!strcmp(dir, "-")) {
		if (from_stdin(c, err) < 0)
			return -1;
		dir = c->tmpdir;
	}
	if (!realpath(dir, real))
		return kerr_input(err, "context '%s': %s", dir, strerror(errno));
	c->dir = xstrdup(real);
	c->fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->fd < 0)
		return kerr_input(err, "context '%s': %s", dir, strerror(errno));
	if (df_ignore_load(real, dockerfile, &c->ignore, err) < 0)
		return -1;
	return 0;
}

void context_close(struct build_context *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->ignore)
		df_ignore_free(c->ignore);
	c->ignore = NULL;
	if (c->tmpdir)
		store_rootfs_remove(AT_FDCWD, c->tmpdir);
	free(c->tmpdir);
	free(c->dir);
	c->tmpdir = c->dir = NULL;
}

enum df_ignore_verdict context_verdict(const struct build_context *c, const char *path,
				       bool is_dir)
{
	if (!c->ignore || !*path || !strcmp(path, "."))
		return DF_IGNORE_KEEP;
	return df_ignore_match(c->ignore, path, is_dir);
}

bool context_ignored(const struct build_context *c, const char *path, bool is_dir)
{
	return context_verdict(c, path, is_dir) != DF_IGNORE_KEEP;
}

bool context_present(const struct build_context *c, const char *path, bool is_dir)
{
	enum df_ignore_verdict v = context_verdict(c, path, is_dir);

	return v == DF_IGNORE_KEEP || (v == DF_IGNORE_EXCLUDE && is_dir);
}
