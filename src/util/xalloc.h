/* xalloc.h: allocation that cannot fail: on exhaustion kiln prints one line
 * and aborts, so callers never carry out-of-memory paths. */
#ifndef KILN_UTIL_XALLOC_H
#define KILN_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "util/err.h"

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* grows an array of nmemb elements of size to at least want, doubling */
void *xgrow(void *p, size_t size, size_t want, size_t *alloc);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) KILN_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) KILN_PRINTF(1, 0);

/* a * b, aborting on overflow */
size_t xmul(size_t a, size_t b);

#endif
