/* bench-layer.c: writes a directory as a layer with kiln's writer, for
 * tests/bench/layer-write.sh; prints digests and the wall time to stderr. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "layer/layer.h"
#include "util/sha256.h"

static void usage(void)
{
	fprintf(stderr, "usage: bench-layer [-l LEVEL] [-j THREADS] [-o FILE] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct layer_opts o = LAYER_OPTS_INIT;
	struct layer_result res;
	struct kerr err = KERR_INIT;
	struct timespec t0, t1;
	char digest[DIGEST_STR_LEN], diff_id[DIGEST_STR_LEN];
	const char *out = NULL;
	int c, rootfd, outfd = 1;

	while ((c = getopt(argc, argv, "l:j:o:")) != -1) {
		switch (c) {
		case 'l': o.level = atoi(optarg); break;
		case 'j': o.threads = atoi(optarg); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	if (layer_opts_from_env(&o, &err) < 0)
		goto fail;
	rootfd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		perror(argv[optind]);
		return 1;
	}
	if (out && (outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		perror(out);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (layer_write_tree(rootfd, outfd, &o, &res, &err) < 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	digest_format(res.digest, digest);
	digest_format(res.diff_id, diff_id);
	fprintf(stderr, "digest %s size %llu\ndiff_id %s size %llu\ntime %.3f s\n",
		digest, (unsigned long long)res.size, diff_id,
		(unsigned long long)res.tar_size,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
fail:
	fprintf(stderr, "bench-layer: %s\n", err.msg);
	return 1;
}
