/* strbuf.h: a growable byte string with explicit length, always
 * NUL-terminated, used wherever paths, messages and JSON are built. */
#ifndef KILN_UTIL_STRBUF_H
#define KILN_UTIL_STRBUF_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

/* an empty strbuf points here until it first grows, so buf is never NULL */
extern char strbuf_empty[];
#define STRBUF_INIT { 0, 0, strbuf_empty }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* returns the buffer (caller frees) and leaves sb empty */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) KILN_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) KILN_PRINTF(2, 0);
void strbuf_insert(struct strbuf *sb, size_t pos, const void *data, size_t len);
void strbuf_remove(struct strbuf *sb, size_t pos, size_t len);
void strbuf_rtrim(struct strbuf *sb);
void strbuf_trim(struct strbuf *sb);
int strbuf_starts_with(const struct strbuf *sb, const char *prefix);

/* Appends everything readable from fd; more than limit bytes is an error. */
int strbuf_read_fd(struct strbuf *sb, int fd, size_t limit, struct kerr *err);

#define cleanup_strbuf __attribute__((cleanup(strbuf_release)))

#endif
