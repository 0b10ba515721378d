/* err.h: errors as values. A fallible function returns < 0 and fills the
 * struct kerr passed last; callers add context as it travels up. */
#ifndef KILN_UTIL_ERR_H
#define KILN_UTIL_ERR_H

#include <stdarg.h>

#define KILN_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* What main exits with: 1 the work failed, 2 bad usage or input. */
enum kerr_kind {
	KERR_FAIL = 1,
	KERR_INPUT = 2,
};

struct kerr {
	int errnum;		/* errno of the innermost failure, or 0 */
	enum kerr_kind kind;
	char *msg;		/* "outer: inner: what" */
};

#define KERR_INIT { 0, KERR_FAIL, NULL }

/* Each sets the message (replacing an earlier one) and returns -1. */
int kerr_set(struct kerr *e, const char *fmt, ...) KILN_PRINTF(2, 3);
int kerr_input(struct kerr *e, const char *fmt, ...) KILN_PRINTF(2, 3);
/* appends ": strerror(errnum)" and remembers errnum */
int kerr_errno(struct kerr *e, int errnum, const char *fmt, ...) KILN_PRINTF(3, 4);
int kerr_vset(struct kerr *e, enum kerr_kind kind, int errnum,
	      const char *fmt, va_list ap) KILN_PRINTF(4, 0);

/* Prefixes "context: " to the message; returns -1. */
int kerr_wrap(struct kerr *e, const char *fmt, ...) KILN_PRINTF(2, 3);

void kerr_clear(struct kerr *e);
int kerr_exit_code(const struct kerr *e);

#endif
