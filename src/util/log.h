/* log.h: leveled messages to stderr. -v/--debug and KILN_LOG pick the
 * level; debug and trace calls vanish from builds without CONFIG_LOG_DEBUG. */
#ifndef KILN_UTIL_LOG_H
#define KILN_UTIL_LOG_H

#include "util/err.h"
#include "util/kconfig.h"

enum log_level {
	LOG_QUIET = -1,	/* errors only come through main */
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

extern int log_level;

/* "error", "warn", "info", "debug", "trace" (or 0..4); -1 if unknown */
int log_parse_level(const char *s);
void log_msg(enum log_level level, const char *fmt, ...) KILN_PRINTF(2, 3);

#define log_warn(...) do { if (log_level >= LOG_WARN) log_msg(LOG_WARN, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_level >= LOG_INFO) log_msg(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { \
	if (IS_ENABLED(CONFIG_LOG_DEBUG) && log_level >= LOG_DEBUG) \
		log_msg(LOG_DEBUG, __VA_ARGS__); \
} while (0)
#define log_trace(...) do { \
	if (IS_ENABLED(CONFIG_LOG_DEBUG) && log_level >= LOG_TRACE) \
		log_msg(LOG_TRACE, __VA_ARGS__); \
} while (0)

#endif
