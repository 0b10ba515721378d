/* sha256.h: streaming SHA-256 (mbedtls) and OCI digest strings
 * ("sha256:" + 64 lowercase hex digits). */
#ifndef KILN_UTIL_SHA256_H
#define KILN_UTIL_SHA256_H

#include <stddef.h>

#include <mbedtls/sha256.h>

#include "util/err.h"

#define SHA256_LEN 32
/* "sha256:" + 64 hex + NUL */
#define DIGEST_STR_LEN (7 + 2 * SHA256_LEN + 1)

struct sha256 {
	mbedtls_sha256_context ctx;
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* writes the hash and releases the context */
void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN]);

void sha256_buf(const void *data, size_t len, unsigned char out[SHA256_LEN]);
void digest_format(const unsigned char hash[SHA256_LEN], char out[DIGEST_STR_LEN]);
/* Parses "sha256:<64 lowercase hex>"; anything else is an input error. */
int digest_parse(const char *s, unsigned char out[SHA256_LEN], struct kerr *err);
/* Hashes everything readable from fd. */
int sha256_fd(int fd, unsigned char out[SHA256_LEN], struct kerr *err);

#endif
