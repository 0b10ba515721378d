/* log.c: one line per message, "kiln: warning: ...", written with a single
 * write so lines from concurrent processes do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strbuf.h"

int log_level = LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

int log_parse_level(const char *s)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (!strcmp(s, level_names[i]) || (s[0] == '0' + i && !s[1]))
			return i;
	if (!strcmp(s, "warning"))
		return LOG_WARN;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: ", "trace: " };
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (level < LOG_ERROR || level > LOG_TRACE)
		return;
	strbuf_addstr(&sb, "kiln: ");
	strbuf_addstr(&sb, prefix[level]);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '\n');
	fflush(stdout);
	if (write(2, sb.buf, sb.len) < 0) {
		/* nowhere left to report it */
	}
	strbuf_release(&sb);
}
