/* strvec.h: a growable NULL-terminated array of owned strings, for argv
 * lists, repeated flags and path components. */
#ifndef KILN_UTIL_STRVEC_H
#define KILN_UTIL_STRVEC_H

#include <stddef.h>

#include "util/err.h"

struct strvec {
	char **v;	/* always NULL-terminated once anything was pushed */
	size_t n;
	size_t alloc;
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) KILN_PRINTF(2, 3);
/* takes ownership of s */
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_clear(struct strvec *sv);
/* splits s at each sep, keeping empty fields */
void strvec_split(struct strvec *sv, const char *s, char sep);

#define cleanup_strvec __attribute__((cleanup(strvec_clear)))

#endif
