/* test-sha256.c: SHA-256 against the FIPS 180-2 vectors, streaming in odd
 * pieces, hashing fds, and "sha256:<hex>" digest strings both ways. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/sha256.h"

static const char empty_digest[] =
	"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char abc_digest[] =
	"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char two_block_digest[] =
	"sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char million_a_digest[] =
	"sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void assert_digest(const unsigned char hash[SHA256_LEN], const char *want)
{
	char got[DIGEST_STR_LEN];

	digest_format(hash, got);
	assert_string_equal(got, want);
}

static void test_vectors(void **state)
{
	static const char two_block[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	unsigned char h[SHA256_LEN];

	(void)state;
	sha256_buf("", 0, h);
	assert_digest(h, empty_digest);
	sha256_buf("abc", 3, h);
	assert_digest(h, abc_digest);
	sha256_buf(two_block, strlen(two_block), h);
	assert_digest(h, two_block_digest);
}

static void test_million_a_streamed(void **state)
{
	const size_t n = 1000000;
	char *a = malloc(n);
	unsigned char h[SHA256_LEN];
	struct sha256 ctx;

	(void)state;
	memset(a, 'a', n);
	sha256_buf(a, n, h);
	assert_digest(h, million_a_digest);

	/* pieces that straddle the 64-byte blocks every way */
	sha256_init(&ctx);
	for (size_t off = 0, step = 1; off < n; off += step, step = step % 131 + 1)
		sha256_update(&ctx, a + off, off + step > n ? n - off : step);
	sha256_final(&ctx, h);
	assert_digest(h, million_a_digest);
	free(a);
}

static void test_stream_equals_oneshot(void **state)
{
	static const size_t steps[] = { 1, 63, 64, 65, 127, 4096 };
	unsigned char data[10000], one[SHA256_LEN], streamed[SHA256_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + 7);
	sha256_buf(data, sizeof(data), one);
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct sha256 ctx;

		sha256_init(&ctx);
		sha256_update(&ctx, "", 0);
		for (size_t off = 0; off < sizeof(data); off += steps[s])
			sha256_update(&ctx, data + off,
				      off + steps[s] > sizeof(data) ? sizeof(data) - off : steps[s]);
		sha256_final(&ctx, streamed);
		assert_memory_equal(streamed, one, SHA256_LEN);
	}
}

static int data_fd(const void *data, size_t len)
{
	int fd = memfd_create("kiln-sha", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_fd(void **state)
{
	struct kerr err = KERR_INIT;
	const size_t n = 200000;
	unsigned char *data = malloc(n), want[SHA256_LEN], got[SHA256_LEN];
	int fd;

	(void)state;
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i ^ (i >> 8));
	sha256_buf(data, n, want);
	fd = data_fd(data, n);
	assert_int_equal(sha256_fd(fd, got, &err), 0);
	assert_memory_equal(got, want, SHA256_LEN);
	close(fd);

	fd = data_fd("", 0);
	assert_int_equal(sha256_fd(fd, got, &err), 0);
	assert_digest(got, empty_digest);
	close(fd);

	fd = data_fd("abc", 3);
	assert_int_equal(sha256_fd(fd, got, &err), 0);
	assert_digest(got, abc_digest);
	close(fd);
	assert_null(err.msg);
	free(data);
}

static void test_fd_error(void **state)
{
	struct kerr err = KERR_INIT;
	unsigned char h[SHA256_LEN];
	char want[128];
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)state;
	assert_int_equal(sha256_fd(fd, h, &err), -1);
	snprintf(want, sizeof(want), "read failed: %s", strerror(EBADF));
	assert_string_equal(err.msg, want);
	assert_int_equal(err.errnum, EBADF);
	close(fd);
	kerr_clear(&err);
}

static void test_format_parse_round_trip(void **state)
{
	struct kerr err = KERR_INIT;
	unsigned char h[SHA256_LEN], back[SHA256_LEN];
	char s[DIGEST_STR_LEN];

	(void)state;
	for (int k = 0; k < 256; k++) {
		for (int i = 0; i < SHA256_LEN; i++)
			h[i] = (unsigned char)(k + i * 37);
		digest_format(h, s);
		assert_int_equal(strlen(s), DIGEST_STR_LEN - 1);
		assert_int_equal(strncmp(s, "sha256:", 7), 0);
		for (const char *p = s + 7; *p; p++)
			assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
		assert_int_equal(digest_parse(s, back, &err), 0);
		assert_memory_equal(back, h, SHA256_LEN);
	}
	assert_int_equal(digest_parse(abc_digest, back, &err), 0);
	sha256_buf("abc", 3, h);
	assert_memory_equal(back, h, SHA256_LEN);
	assert_null(err.msg);
}

static void assert_parse_fails(const char *s, const char *want_msg)
{
	struct kerr err = KERR_INIT;
	unsigned char h[SHA256_LEN];

	if (digest_parse(s, h, &err) == 0)
		fail_msg("digest_parse('%s') succeeded", s);
	assert_string_equal(err.msg, want_msg);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
}

static void test_parse_errors(void **state)
{
	char s[256], msg[512];

	(void)state;
	/* uppercase hex */
	snprintf(s, sizeof(s), "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
	snprintf(msg, sizeof(msg), "'%s': digest must be lowercase hex", s);
	assert_parse_fails(s, msg);
	/* one uppercase digit at the end */
	snprintf(s, sizeof(s), "%.*sD", (int)strlen(abc_digest) - 1, abc_digest);
	snprintf(msg, sizeof(msg), "'%s': digest must be lowercase hex", s);
	assert_parse_fails(s, msg);
	/* not hex */
	snprintf(s, sizeof(s), "%.*sg", (int)strlen(abc_digest) - 1, abc_digest);
	snprintf(msg, sizeof(msg), "'%s': digest must be lowercase hex", s);
	assert_parse_fails(s, msg);
	/* short, long, empty */
	snprintf(s, sizeof(s), "%.*s", (int)strlen(abc_digest) - 1, abc_digest);
	snprintf(msg, sizeof(msg), "'%s': a sha256 digest has 64 hex digits", s);
	assert_parse_fails(s, msg);
	snprintf(s, sizeof(s), "%s0", abc_digest);
	snprintf(msg, sizeof(msg), "'%s': a sha256 digest has 64 hex digits", s);
	assert_parse_fails(s, msg);
	assert_parse_fails("sha256:", "'sha256:': a sha256 digest has 64 hex digits");
	/* other algorithms, and no algorithm */
	snprintf(s, sizeof(s), "sha512:%s", abc_digest + 7);
	snprintf(msg, sizeof(msg), "'%s': unsupported digest algorithm 'sha512'", s);
	assert_parse_fails(s, msg);
	snprintf(s, sizeof(s), "SHA256:%s", abc_digest + 7);
	snprintf(msg, sizeof(msg), "'%s': unsupported digest algorithm 'SHA256'", s);
	assert_parse_fails(s, msg);
	assert_parse_fails(abc_digest + 7, "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'"
			   ": not a digest (expected sha256:<64 hex digits>)");
	assert_parse_fails("", "'': not a digest (expected sha256:<64 hex digits>)");
	assert_parse_fails(" sha256:x", "' sha256:x': unsupported digest algorithm ' sha256'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a_streamed),
		cmocka_unit_test(test_stream_equals_oneshot),
		cmocka_unit_test(test_fd),
		cmocka_unit_test(test_fd_error),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
