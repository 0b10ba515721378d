/* authtest.h: what the authentication tests share: a scratch home with
 * HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR and DOCKER_CONFIG pointing into it,
 * and writing files at paths relative to it. */
#ifndef KILN_TESTS_REGISTRY_AUTHTEST_H
#define KILN_TESTS_REGISTRY_AUTHTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/auth.h"
#include "util/fs.h"
#include "util/xalloc.h"
#include "util/testutil.h"

static inline void must(int r, struct kerr *err)
{
	if (r < 0)
		fail_msg("%s", err->msg ? err->msg : "failed");
}

/* a fresh root with home/, xdg/, run/ and docker/ for the variables;
 * REGISTRY_AUTH_FILE unset */
static inline char *auth_env(void)
{
	char *root = tmpdir_make();
	char *p;

	umask(022);
	p = xasprintf("%s/home", root);
	setenv("HOME", p, 1);
	free(p);
	p = xasprintf("%s/xdg", root);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	p = xasprintf("%s/run", root);
	setenv("XDG_RUNTIME_DIR", p, 1);
	free(p);
	p = xasprintf("%s/docker", root);
	setenv("DOCKER_CONFIG", p, 1);
	free(p);
	unsetenv("REGISTRY_AUTH_FILE");
	return root;
}

/* root/rel (its folders created) holding s; NULL s removes it */
static inline void put_at(const char *root, const char *rel, const char *s)
{
	struct kerr err = KERR_INIT;
	char *path = xasprintf("%s/%s", root, rel);
	char *slash = strrchr(path, '/');

	if (!s) {
		unlink(path);
		free(path);
		return;
	}
	*slash = '\0';
	must(mkdir_p(path, 0755, &err), &err);
	*slash = '/';
	must(atomic_write_at(AT_FDCWD, path, s, strlen(s), 0644, &err), &err);
	free(path);
}

/* the content of root/rel; caller frees */
static inline char *get_at(const char *root, const char *rel)
{
	char *path = xasprintf("%s/%s", root, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;

	if (fd < 0)
		fail_msg("cannot open '%s'", path);
	s = slurp_fd(fd);
	close(fd);
	free(path);
	return s;
}

#endif
