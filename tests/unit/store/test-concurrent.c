/* test-concurrent.c: several processes writing and tagging at once lose
 * nothing, and kill -9 of a blob writer, a tagger or a prune at any moment
 * leaves a store whose every entry loads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "store/storetest.h"

#define WRITERS 4
#define IMAGES 15

/* in a child: failures exit non-zero instead of jumping into cmocka */
static void child_must(int r, struct kerr *err)
{
	if (r < 0) {
		fprintf(stderr, "child: %s\n", err->msg);
		_exit(1);
	}
}

static void writer(const char *root, int k, int n)
{
	struct kerr err = KERR_INIT;
	struct store st;

	child_must(store_open_root(&st, root, &err), &err);
	child_must(store_hold(&st, &err), &err);
	for (int i = 0; n < 0 || i < n; i++) {
		struct oci_descriptor d = OCI_DESCRIPTOR_INIT;
		char text[64], name[64];

		snprintf(text, sizeof(text), "w%d-%d", k, i);
		snprintf(name, sizeof(name), "c%d:%d", k, n < 0 ? i % 5 : i);
		put_image(&st, text, &d, NULL);
		child_must(store_tag(&st, &d, name, &err), &err);
		oci_descriptor_clear(&d);
	}
	store_close(&st);
	_exit(0);
}

static void test_concurrent_tagging(void **state)
{
	struct kerr err = KERR_INIT;
	char *dir = tmpdir_make();
	struct store st;
	struct oci_index idx;
	pid_t pids[WRITERS];

	(void)state;
	for (int k = 0; k < WRITERS; k++) {
		pids[k] = fork();
		if (pids[k] == 0)
			writer(dir, k, IMAGES);
	}
	for (int k = 0; k < WRITERS; k++) {
		int status;

		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	must(store_open_root(&st, dir, &err), &err);
	must(store_index_read(&st, &idx, &err), &err);
	assert_int_equal(idx.n, WRITERS * IMAGES);
	for (int k = 0; k < WRITERS; k++)
		for (int i = 0; i < IMAGES; i++) {
			char name[64];

			snprintf(name, sizeof(name), "c%d:%d", k, i);
			if (store_resolve(&st, &idx, name, &err) < 0)
				fail_msg("%s", err.msg);
		}
	oci_index_clear(&idx);
	store_close(&st);
	check_readable(dir);
	tmpdir_remove(dir);
}

static void pruner(const char *root)
{
	struct kerr err = KERR_INIT;

	for (;;) {
		struct store st;
		struct store_prune_stats stats;

		child_must(store_open_root(&st, root, &err), &err);
		child_must(store_prune(&st, &stats, &err), &err);
		store_close(&st);
	}
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* writers/taggers (moving tags, so prune has <none> images to remove) and a
 * pruner, all killed with SIGKILL at staggered moments */
static void test_kill9(void **state)
{
	char *dir = tmpdir_make();

	(void)state;
	srand(42);
	for (int round = 0; round < 25; round++) {
		pid_t w1 = fork(), w2, pr;

		if (w1 == 0)
			writer(dir, 1, -1);
		w2 = fork();
		if (w2 == 0)
			writer(dir, 2, -1);
		pr = fork();
		if (pr == 0)
			pruner(dir);
		sleep_us(2000 + rand() % 20000);
		kill(w1, SIGKILL);
		sleep_us(rand() % 3000);
		kill(pr, SIGKILL);
		sleep_us(rand() % 3000);
		kill(w2, SIGKILL);
		waitpid(w1, NULL, 0);
		waitpid(w2, NULL, 0);
		waitpid(pr, NULL, 0);
		check_readable(dir);
	}
	/* and a final prune cleans up after all of them */
	{
		struct kerr err = KERR_INIT;
		struct store st;
		struct store_prune_stats stats;

		must(store_open_root(&st, dir, &err), &err);
		must(store_prune(&st, &stats, &err), &err);
		store_close(&st);
		check_readable(dir);
	}
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_tagging),
		cmocka_unit_test(test_kill9),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
