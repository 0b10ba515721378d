/* err.c: building error messages as they travel up the call chain.
 * Messages are lowercase with the subject in single quotes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/xalloc.h"

int kerr_vset(struct kerr *e, enum kerr_kind kind, int errnum,
	      const char *fmt, va_list ap)
{
	char *msg;

	if (!e)
		return -1;
	msg = xvasprintf(fmt, ap);
	if (errnum) {
		char *full = xasprintf("%s: %s", msg, strerror(errnum));
		free(msg);
		msg = full;
	}
	free(e->msg);
	e->msg = msg;
	e->kind = kind;
	e->errnum = errnum;
	return -1;
}

int kerr_set(struct kerr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kerr_vset(e, KERR_FAIL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int kerr_input(struct kerr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kerr_vset(e, KERR_INPUT, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int kerr_errno(struct kerr *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kerr_vset(e, KERR_FAIL, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int kerr_wrap(struct kerr *e, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (!e)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	msg = xasprintf("%s: %s", ctx, e->msg ? e->msg : "unknown error");
	free(ctx);
	free(e->msg);
	e->msg = msg;
	return -1;
}

void kerr_clear(struct kerr *e)
{
	free(e->msg);
	e->msg = NULL;
	e->errnum = 0;
	e->kind = KERR_FAIL;
}

int kerr_exit_code(const struct kerr *e)
{
	return e->kind == KERR_INPUT ? 2 : 1;
}
