/* sha256.c: SHA-256 through mbedtls 2.28's *_ret functions, which cannot
 * fail for in-memory input; digest strings as the OCI image-spec writes
 * them. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/sha256.h"

void sha256_init(struct sha256 *h)
{
	mbedtls_sha256_init(&h->ctx);
	mbedtls_sha256_starts_ret(&h->ctx, 0);
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	mbedtls_sha256_update_ret(&h->ctx, data, len);
}

void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN])
{
	mbedtls_sha256_finish_ret(&h->ctx, out);
	mbedtls_sha256_free(&h->ctx);
}

void sha256_buf(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final(&h, out);
}

void digest_format(const unsigned char hash[SHA256_LEN], char out[DIGEST_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "sha256:", 7);
	for (int i = 0; i < SHA256_LEN; i++) {
		out[7 + 2 * i] = hex[hash[i] >> 4];
		out[8 + 2 * i] = hex[hash[i] & 15];
	}
	out[DIGEST_STR_LEN - 1] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int digest_parse(const char *s, unsigned char out[SHA256_LEN], struct kerr *err)
{
	if (strncmp(s, "sha256:", 7) != 0) {
		const char *colon = strchr(s, ':');

		if (colon)
			return kerr_input(err, "'%s': unsupported digest algorithm '%.*s'",
					  s, (int)(colon - s), s);
		return kerr_input(err, "'%s': not a digest (expected sha256:<64 hex digits>)", s);
	}
	if (strlen(s + 7) != 2 * SHA256_LEN)
		return kerr_input(err, "'%s': a sha256 digest has 64 hex digits", s);
	for (int i = 0; i < SHA256_LEN; i++) {
		int hi = hexval(s[7 + 2 * i]), lo = hexval(s[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return kerr_input(err, "'%s': digest must be lowercase hex", s);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int sha256_fd(int fd, unsigned char out[SHA256_LEN], struct kerr *err)
{
	unsigned char buf[65536];
	struct sha256 h;

	sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			mbedtls_sha256_free(&h.ctx);
			return kerr_errno(err, errno, "read failed");
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_final(&h, out);
	return 0;
}
