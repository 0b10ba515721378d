/* xalloc.c: allocation wrappers that abort with a message instead of
 * returning NULL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

static void __attribute__((noreturn)) oom(size_t n)
{
	char msg[64];
	int len = snprintf(msg, sizeof(msg), "kiln: out of memory (%zu bytes)\n", n);

	if (len > 0 && write(2, msg, (size_t)len) < 0)
		abort();
	abort();
}

size_t xmul(size_t a, size_t b)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		oom(SIZE_MAX);
	return r;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(xmul(nmemb, size));
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void *xgrow(void *p, size_t size, size_t want, size_t *alloc)
{
	size_t n = *alloc;

	if (want <= n)
		return p;
	n = n < 8 ? 8 : n;
	while (n < want)
		n = xmul(n, 2);
	*alloc = n;
	return xrealloc(p, xmul(n, size));
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *r = xmalloc(len + 1);

	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

void *xmemdup(const void *p, size_t n)
{
	void *r = xmalloc(n);

	memcpy(r, p, n);
	return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		oom(0);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
