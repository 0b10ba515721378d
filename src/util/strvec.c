/* strvec.c: string vectors. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/strvec.h"
#include "util/xalloc.h"

void strvec_push_nodup(struct strvec *sv, char *s)
{
	sv->v = xgrow(sv->v, sizeof(*sv->v), sv->n + 2, &sv->alloc);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_nodup(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strvec_push_nodup(sv, xvasprintf(fmt, ap));
	va_end(ap);
}

void strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->alloc = 0;
}

void strvec_split(struct strvec *sv, const char *s, char sep)
{
	for (;;) {
		const char *end = strchr(s, sep);

		if (!end) {
			strvec_push(sv, s);
			return;
		}
		strvec_push_nodup(sv, xstrndup(s, (size_t)(end - s)));
		s = end + 1;
	}
}
