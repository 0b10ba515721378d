/* cleanup.h: scope-bound release of memory, fds and child processes with
 * __attribute__((cleanup)), so early returns do not leak; steal_ptr and
 * steal_fd hand ownership on. */
#ifndef KILN_UTIL_CLEANUP_H
#define KILN_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* A child still running when its owner leaves scope is killed and reaped. */
static inline void cleanup_pidp(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

#define cleanup_free	__attribute__((cleanup(cleanup_freep)))
#define cleanup_close	__attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose	__attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir	__attribute__((cleanup(cleanup_closedirp)))
#define cleanup_pid	__attribute__((cleanup(cleanup_pidp)))

#define steal_ptr(p) ({ __typeof__(p) steal_tmp_ = (p); (p) = NULL; steal_tmp_; })

static inline int steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

#endif
