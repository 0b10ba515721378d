/* rune.h: the few UTF-8 facts the Dockerfile language needs, because BuildKit
 * reads words rune by rune (Go's text/scanner) and classifies them by Unicode. */
#ifndef KILN_DOCKERFILE_RUNE_H
#define KILN_DOCKERFILE_RUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DF_RUNE_ERROR 0xFFFDu

/*
 * Decodes the rune at s (n bytes available) into *cp and returns its length,
 * 0 at n == 0. A malformed sequence (overlong, surrogate, truncated, above
 * U+10FFFF) is one byte long and decodes as U+FFFD, as in Go, so callers
 * that copy bytes keep the input unchanged.
 */
static inline size_t df_rune_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, min;
	size_t len;

	if (n == 0) {
		*cp = 0;
		return 0;
	}
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		*cp = DF_RUNE_ERROR;
		return 1;
	}
	if (n < len)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = DF_RUNE_ERROR;
	return 1;
}

/* the length of the rune at s, at least 1 while n > 0 */
static inline size_t df_rune_len(const char *s, size_t n)
{
	uint32_t cp;

	return df_rune_decode(s, n, &cp);
}

/*
 * Where the rune that ends at s + end (end > 0) starts, for walking text
 * backwards; a malformed tail counts as one byte, as df_rune_decode has it.
 */
static inline size_t df_rune_start(const char *s, size_t end)
{
	size_t st = end - 1;

	while (st > 0 && end - st < 4 && ((unsigned char)s[st] & 0xC0) == 0x80)
		st--;
	if (df_rune_len(s + st, end - st) != end - st)
		st = end - 1;
	return st;
}

/* Go's unicode.IsSpace: the White_Space property */
static inline bool df_rune_is_space(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xA0: case 0x1680:
	case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	}
	return c >= 0x2000 && c <= 0x200A;
}

/*
 * Go's unicode.IsLetter || unicode.IsDigit, exact for ASCII. Beyond ASCII a
 * full table would cost more than names in Dockerfiles are worth: the
 * punctuation, symbol, space and private-use blocks count as "not a letter",
 * everything else (scripts, CJK, Hangul, ...) as a letter.
 */
static inline bool df_rune_is_alnum(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9');
	if (c < 0xC0)	/* Latin-1 punctuation and signs; three are letters */
		return c == 0xAA || c == 0xB5 || c == 0xBA;
	if (c == 0xD7 || c == 0xF7 || c == DF_RUNE_ERROR || df_rune_is_space(c))
		return false;
	if (c >= 0x2000 && c <= 0x2BFF)	/* punctuation, arrows, math, shapes */
		return c == 0x2071 || c == 0x207F || (c >= 0x2090 && c <= 0x209C) ||
		       (c >= 0x2102 && c <= 0x214F && c != 0x2118);
	if ((c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020))
		return false;	/* CJK punctuation */
	if ((c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFE10 && c <= 0xFE6F))
		return false;	/* private use, vertical and small forms */
	if ((c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
	    (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65))
		return false;	/* full-width ASCII punctuation */
	if (c >= 0x1F000 && c <= 0x1FAFF)	/* emoji and pictographs */
		return false;
	return c < 0xF0000;
}

#endif
