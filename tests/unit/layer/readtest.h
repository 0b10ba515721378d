/* readtest.h: what the layer tests share: building tar archives in memory
 * header by header, gzip, reading all entries, and the hostile corpus. */
#ifndef KILN_TESTS_LAYER_READTEST_H
#define KILN_TESTS_LAYER_READTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zlib.h>

#include "layer/input.h"
#include "layer/tar-read.h"
#include "util/strbuf.h"
#include "util/testutil.h"

/* one ustar header; fields the test does not care about get sane values */
struct th {
	const char *path, *link;
	char type;
	unsigned int mode, uid, gid;
	long long mtime;
	const void *data;
	size_t len;
	unsigned int major, minor;
};

/* w-1 zero-padded octal digits and a NUL */
static inline void tb_octal(char *f, size_t w, unsigned long long v)
{
	f[w - 1] = 0;
	for (size_t i = w - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
}

static inline void tb_header(struct strbuf *sb, const struct th *h, size_t size)
{
	char b[512];
	unsigned int sum = 0;

	memset(b, 0, sizeof(b));
	strncpy(b, h->path, 100);
	tb_octal(b + 100, 8, h->mode ? h->mode : 0644);
	tb_octal(b + 108, 8, h->uid);
	tb_octal(b + 116, 8, h->gid);
	tb_octal(b + 124, 12, size);
	tb_octal(b + 136, 12, (unsigned long long)(h->mtime ? h->mtime : 1700000000));
	b[156] = h->type ? h->type : '0';
	if (h->link)
		strncpy(b + 157, h->link, 100);
	memcpy(b + 257, "ustar\0" "00", 8);
	tb_octal(b + 329, 8, h->major);
	tb_octal(b + 337, 8, h->minor);
	memset(b + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)b[i];
	tb_octal(b + 148, 7, sum);
	strbuf_add(sb, b, sizeof(b));
}

static inline void tb_pad(struct strbuf *sb)
{
	static const char zero[512];

	if (sb->len % 512)
		strbuf_add(sb, zero, 512 - sb->len % 512);
}

static inline void tb_add(struct strbuf *sb, const struct th *h)
{
	tb_header(sb, h, h->len);
	if (h->len)
		strbuf_add(sb, h->data, h->len);
	tb_pad(sb);
}

static inline void tb_file(struct strbuf *sb, const char *path, const char *content)
{
	struct th h = { .path = path, .data = content, .len = strlen(content) };

	tb_add(sb, &h);
}

static inline void tb_typed(struct strbuf *sb, char type, const char *path, const char *link,
			    unsigned int mode)
{
	struct th h = { .path = path, .link = link, .type = type, .mode = mode };

	tb_add(sb, &h);
}

/* one PAX record "LEN key=value\n" (value may hold any bytes) */
static inline void tb_record(struct strbuf *sb, const char *key, const void *val, size_t vlen)
{
	size_t body = 1 + strlen(key) + 1 + vlen + 1, n = body + 1;
	char num[32];

	while ((size_t)snprintf(num, sizeof(num), "%zu", n) + body != n)
		n++;
	strbuf_addf(sb, "%zu %s=", n, key);
	strbuf_add(sb, val, vlen);
	strbuf_addch(sb, '\n');
}

static inline void tb_meta(struct strbuf *sb, char type, const struct strbuf *data)
{
	struct th h = { .path = "PaxHeaders/meta", .type = type, .data = data->buf,
			.len = data->len };

	tb_add(sb, &h);
}

static inline void tb_end(struct strbuf *sb)
{
	static const char zero[1024];

	strbuf_add(sb, zero, sizeof(zero));
}

static inline unsigned char *gzip_mem(const void *data, size_t len, size_t *out_len)
{
	z_stream z;
	size_t cap = len + len / 2 + 1024;
	unsigned char *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* the repository, for tests/layer-corpus/gen.py */
static inline const char *srctree(void)
{
	const char *s = getenv("KILN_SRCTREE");

	return s ? s : ".";
}

static inline const char *python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* runs gen.py into dir with canary as the path no archive may touch */
static inline int corpus_generate(const char *dir, const char *canary)
{
	char *cmd;
	int r;

	if (asprintf(&cmd, "%s '%s/tests/layer-corpus/gen.py' '%s' '%s'", python(), srctree(),
		     dir, canary) < 0)
		abort();
	r = system(cmd);
	free(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static inline void *read_whole(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;

	if (fd < 0 || strbuf_read_fd(&sb, fd, (size_t)1 << 30, &err) < 0) {
		perror(name);
		abort();
	}
	close(fd);
	return strbuf_detach(&sb, len);
}

#endif
