/* test-log.c: level names, and one "kiln: <level>: message" line per call
 * written to stderr. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "testutil.h"

/* what fn wrote to fd 2 */
static char *capture_stderr(void (*fn)(void))
{
	int saved = dup(2), fd = memfd_create("kiln-log", MFD_CLOEXEC);

	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	fn();
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	{
		char *s = slurp_fd(fd);

		close(fd);
		return s;
	}
}

static void test_parse_level(void **state)
{
	(void)state;
	assert_int_equal(log_parse_level("error"), LOG_ERROR);
	assert_int_equal(log_parse_level("warn"), LOG_WARN);
	assert_int_equal(log_parse_level("warning"), LOG_WARN);
	assert_int_equal(log_parse_level("info"), LOG_INFO);
	assert_int_equal(log_parse_level("debug"), LOG_DEBUG);
	assert_int_equal(log_parse_level("trace"), LOG_TRACE);
	assert_int_equal(log_parse_level("0"), LOG_ERROR);
	assert_int_equal(log_parse_level("4"), LOG_TRACE);
	assert_int_equal(log_parse_level("5"), -1);
	assert_int_equal(log_parse_level("-1"), -1);
	assert_int_equal(log_parse_level("01"), -1);
	assert_int_equal(log_parse_level(""), -1);
	assert_int_equal(log_parse_level("DEBUG"), -1);
	assert_int_equal(log_parse_level("debugx"), -1);
}

static void say_all(void)
{
	log_msg(LOG_ERROR, "e %d", 1);
	log_msg(LOG_WARN, "w '%s'", "x");
	log_msg(LOG_INFO, "i");
	log_msg(LOG_DEBUG, "d");
	log_msg(LOG_TRACE, "t");
	/* out of range: nothing */
	log_msg(LOG_QUIET, "q");
	log_msg((enum log_level)7, "seven");
}

static void test_msg_format(void **state)
{
	char *s = capture_stderr(say_all);

	(void)state;
	assert_string_equal(s, "kiln: error: e 1\n"
			       "kiln: warning: w 'x'\n"
			       "kiln: i\n"
			       "kiln: debug: d\n"
			       "kiln: trace: t\n");
	free(s);
}

static void say_filtered(void)
{
	log_warn("warn");
	log_info("info");
	log_debug("debug");
	log_trace("trace");
}

static void test_level_filter(void **state)
{
	int saved = log_level;
	char *s;

	(void)state;
	log_level = LOG_WARN;
	s = capture_stderr(say_filtered);
	assert_string_equal(s, "kiln: warning: warn\n");
	free(s);

	log_level = LOG_QUIET;
	s = capture_stderr(say_filtered);
	assert_string_equal(s, "");
	free(s);

	log_level = LOG_TRACE;
	s = capture_stderr(say_filtered);
	if (IS_ENABLED(CONFIG_LOG_DEBUG))
		assert_string_equal(s, "kiln: warning: warn\nkiln: info\n"
				       "kiln: debug: debug\nkiln: trace: trace\n");
	else
		assert_string_equal(s, "kiln: warning: warn\nkiln: info\n");
	free(s);
	log_level = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_level),
		cmocka_unit_test(test_msg_format),
		cmocka_unit_test(test_level_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
