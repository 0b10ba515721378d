/* each.c: blobs moved side by side: a few threads, each with its own
 * connection to the registry, taking the next item until none is left or
 * one failed. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "util/xalloc.h"

struct each {
	struct reg_repo *repo;
	size_t n, next;
	reg_each_fn fn;
	void *arg;
	pthread_mutex_t lock;
	bool failed;
	struct kerr err;	/* the first failure */
};

static void *worker(void *p)
{
	struct each *e = p;
	struct reg_conn c;

	reg_conn_init(&c, e->repo);
	for (;;) {
		struct kerr err = KERR_INIT;
		size_t i;

		pthread_mutex_lock(&e->lock);
		if (e->failed || e->next == e->n) {
			pthread_mutex_unlock(&e->lock);
			break;
		}
		i = e->next++;
		pthread_mutex_unlock(&e->lock);
		if (e->fn(&c, i, e->arg, &err) < 0) {
			pthread_mutex_lock(&e->lock);
			if (!e->failed) {
				e->failed = true;
				e->err = err;
				err = (struct kerr)KERR_INIT;
			}
			pthread_mutex_unlock(&e->lock);
			kerr_clear(&err);
		}
	}
	reg_conn_release(&c);
	return NULL;
}

int reg_each(struct reg_repo *r, size_t n, int jobs, reg_each_fn fn, void *arg,
	     struct kerr *err)
{
	struct each e = { .repo = r, .n = n, .fn = fn, .arg = arg, .err = KERR_INIT };
	pthread_attr_t attr;
	pthread_t *t;
	int started = 0;

	if (!n)
		return 0;
	if (jobs <= 0)
		jobs = 3;
	if ((size_t)jobs > n)
		jobs = (int)n;
	pthread_mutex_init(&e.lock, NULL);
	t = xcalloc((size_t)jobs, sizeof(*t));
	/* musl's threads get 128 KiB of stack; a TLS handshake wants more */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	/* the first worker is this thread, so one job starts no thread */
	for (int i = 1; i < jobs; i++)
		if (pthread_create(&t[i], &attr, worker, &e) == 0)
			started = i;
		else
			break;
	pthread_attr_destroy(&attr);
	worker(&e);
	for (int i = 1; i <= started; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&e.lock);
	if (e.failed) {
		kerr_clear(err);
		*err = e.err;
		return -1;
	}
	return 0;
}
