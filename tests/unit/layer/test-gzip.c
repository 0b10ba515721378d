/* test-gzip.c: the gzip stage: valid gzip that zlib and gzip(1) decode to
 * the input, the fixed header, and the same bytes on 1, 2, 3 or 4 threads
 * whatever the sizes of the writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "layer/gzip.h"
#include "layer/sink.h"
#include "util/kconfig.h"
#include "util/testutil.h"
#include "layer/writetest.h"

/* deterministic mixed input: text-like runs, repeats and noise */
static unsigned char *make_input(size_t n)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = 12345;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		switch ((i >> 14) % 4) {
		case 0:
			p[i] = (unsigned char)("the quick brown fox "[i % 20]);
			break;
		case 1:
			p[i] = (unsigned char)(x >> 24);
			break;
		case 2:
			p[i] = i >= 40000 ? p[i - 40000] : 'z';
			break;
		default:
			p[i] = (unsigned char)('a' + (x >> 28));
		}
	}
	return p;
}

/* gzip of data through the stage, written in pieces of step bytes */
static void gz_through(const unsigned char *data, size_t n, int level, int threads,
		       size_t step, struct strbuf *out)
{
	struct layer_sink *s;
	struct kerr err = KERR_INIT;

	strbuf_reset(out);
	s = layer_sink_gzip(mem_sink(out), level, threads);
	for (size_t off = 0; off < n; off += step) {
		size_t len = n - off < step ? n - off : step;

		if (layer_sink_write(s, data + off, len, &err) < 0)
			fail_msg("write: %s", err.msg);
	}
	if (layer_sink_finish(s, &err) < 0)
		fail_msg("finish: %s", err.msg);
	assert_int_equal(((struct mem_sink *)s->next)->finished, 1);
	layer_sink_free(s);
}

/* inflates a gzip member with zlib and checks it is data */
static void assert_gunzips_to(const struct strbuf *gz, const unsigned char *data, size_t n)
{
	z_stream zs;
	unsigned char *out = xmalloc(n + 1);
	int ret;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (unsigned char *)gz->buf;
	zs.avail_in = (uInt)gz->len;
	zs.next_out = out;
	zs.avail_out = (uInt)n + 1;
	ret = inflate(&zs, Z_FINISH);
	assert_int_equal(ret, Z_STREAM_END);
	assert_int_equal(zs.total_out, n);
	assert_int_equal(zs.avail_in, 0);	/* nothing after the member */
	if (n)
		assert_memory_equal(out, data, n);
	inflateEnd(&zs);
	free(out);
}

static const size_t sizes[] = {
	0, 1, 100, GZ_BLOCK - 1, GZ_BLOCK, GZ_BLOCK + 1, 2 * GZ_BLOCK,
	5 * GZ_BLOCK + 777, 3 << 20,
};

static void test_roundtrip(void **state)
{
	struct strbuf gz = STRBUF_INIT;
	unsigned char *data = make_input(3 << 20);

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		gz_through(data, sizes[i], 6, 1, 65536, &gz);
		assert_gunzips_to(&gz, data, sizes[i]);
	}
	for (int level = 1; level <= 9; level++) {
		gz_through(data, 1 << 20, level, 1, 65536, &gz);
		assert_gunzips_to(&gz, data, 1 << 20);
	}
	free(data);
	strbuf_release(&gz);
}

static void test_header_and_trailer(void **state)
{
	static const unsigned char header[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	struct strbuf gz = STRBUF_INIT;
	unsigned char *data = make_input(300000);
	const unsigned char *t;
	uint32_t crc = (uint32_t)crc32(0, data, 300000);

	(void)state;
	gz_through(data, 300000, 6, 1, 4096, &gz);
	assert_memory_equal(gz.buf, header, sizeof(header));
	t = (const unsigned char *)gz.buf + gz.len - 8;
	assert_int_equal(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, crc);
	assert_int_equal(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24, 300000);

	/* the same with threads: crc32_combine gives the same trailer */
	gz_through(data, 300000, 6, 4, 4096, &gz);
	assert_memory_equal(gz.buf, header, sizeof(header));
	t = (const unsigned char *)gz.buf + gz.len - 8;
	assert_int_equal(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, crc);
	free(data);
	strbuf_release(&gz);
}

/* one thread, several, and any way of slicing the writes: one output */
static void test_same_bytes_any_threads(void **state)
{
	static const int threads[] = { 2, 3, 4, 0 };
	static const size_t steps[] = { 1 << 20, 512, 100003 };
	struct strbuf one = STRBUF_INIT, many = STRBUF_INIT;
	unsigned char *data = make_input(3 << 20);

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		gz_through(data, sizes[i], 6, 1, 1 << 20, &one);
		for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
			for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
				gz_through(data, sizes[i], 6, threads[t], steps[s], &many);
				assert_int_equal(many.len, one.len);
				assert_memory_equal(many.buf, one.buf, one.len);
			}
		}
	}
	free(data);
	strbuf_release(&one);
	strbuf_release(&many);
}

/* larger than the ring of blocks, so slots are reused many times */
static void test_parallel_long_stream(void **state)
{
	const size_t n = 40 << 20;
	struct strbuf one = STRBUF_INIT, four = STRBUF_INIT;
	unsigned char *data = make_input(n);

	(void)state;
	gz_through(data, n, 1, 1, 1 << 16, &one);
	gz_through(data, n, 1, 4, 1 << 16, &four);
	assert_int_equal(one.len, four.len);
	assert_memory_equal(one.buf, four.buf, one.len);
	assert_gunzips_to(&four, data, n);
	free(data);
	strbuf_release(&one);
	strbuf_release(&four);
}

/* gzip(1) reads it and gets the same bytes back */
static void test_gzip_tool(void **state)
{
	char *dir = tmpdir_make();
	char path[512], cmd[1200];
	struct strbuf gz = STRBUF_INIT;
	unsigned char *data = make_input(2 << 20);
	int fd;

	(void)state;
	if (system("command -v gzip >/dev/null 2>&1") != 0) {
		tmpdir_remove(dir);
		skip();
	}
	snprintf(path, sizeof(path), "%s/in", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(write(fd, data, 2 << 20), 2 << 20);
	close(fd);
	for (int threads = 1; threads <= 4; threads *= 2) {
		gz_through(data, 2 << 20, 6, threads, 1 << 16, &gz);
		snprintf(path, sizeof(path), "%s/t%d.gz", dir, threads);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_int_equal(write(fd, gz.buf, gz.len), (ssize_t)gz.len);
		close(fd);
		snprintf(cmd, sizeof(cmd), "gzip -t %s && gzip -dc %s | cmp -s - %s/in",
			 path, path, dir);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "cmp -s %s/t1.gz %s/t2.gz && cmp -s %s/t1.gz %s/t4.gz",
		 dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	free(data);
	strbuf_release(&gz);
	tmpdir_remove(dir);
}

/* the threaded stage is there exactly when the option is */
static void test_parallel_in_build(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct layer_sink *m = mem_sink(&out);
	struct layer_sink *p = layer_gz_parallel_sink(m, 6, 2);

	(void)state;
	if (IS_ENABLED(CONFIG_LAYER_PARALLEL_GZIP)) {
		assert_non_null(p);
		layer_sink_free(p);
	} else {
		/* next stays the caller's */
		assert_null(p);
		layer_sink_free(m);
	}
	strbuf_release(&out);
}

/* an error further down the chain comes back and nothing hangs */
static int fail_write(struct layer_sink *s, const void *buf, size_t len,
		      struct kerr *err)
{
	(void)s;
	(void)buf;
	(void)len;
	return kerr_set(err, "disk full");
}

static const struct layer_sink_ops fail_ops = { fail_write, mem_finish, mem_free };

static void test_error_propagates(void **state)
{
	unsigned char *data = make_input(4 << 20);
	struct kerr err = KERR_INIT;

	(void)state;
	for (int threads = 1; threads <= 4; threads++) {
		struct mem_sink *m = xcalloc(1, sizeof(*m));
		struct layer_sink *s;
		int rc = 0;

		m->base.ops = &fail_ops;
		s = layer_sink_gzip(&m->base, 6, threads);
		for (size_t off = 0; off < (4u << 20) && !rc; off += 65536)
			rc = layer_sink_write(s, data + off, 65536, &err);
		if (!rc)
			rc = layer_sink_finish(s, &err);
		assert_true(rc < 0);
		assert_string_equal(err.msg, "disk full");
		kerr_clear(&err);
		layer_sink_free(s);
	}
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_header_and_trailer),
		cmocka_unit_test(test_same_bytes_any_threads),
		cmocka_unit_test(test_parallel_long_stream),
		cmocka_unit_test(test_gzip_tool),
		cmocka_unit_test(test_parallel_in_build),
		cmocka_unit_test(test_error_propagates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
