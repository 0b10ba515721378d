/* test-json.c: strict JSON reading: one value and nothing after it, and
 * getters that name the key when it is missing or of the wrong type. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static const char doc[] =
	"{\"s\": \"str\", \"n\": 42, \"neg\": -7, \"f\": 1.5, \"t\": true, \"b\": false,"
	" \"o\": {\"k\": \"v\"}, \"a\": [1, 2, 3], \"z\": null, \"e\": \"\","
	" \"max\": 9007199254740991, \"min\": -9007199254740991,"
	" \"p53\": 9007199254740992, \"p53p1\": 9007199254740993,"
	" \"m53\": -9007199254740992, \"m53m1\": -9007199254740993,"
	" \"huge\": 1e300, \"exp\": 1e3, \"negz\": -0}";

static int setup(void **state)
{
	struct kerr err = KERR_INIT;
	cJSON *v = json_parse(doc, strlen(doc), "'doc'", &err);

	if (!v)
		fail_msg("%s", err.msg);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	cJSON_Delete(*state);
	return 0;
}

static void assert_parse_fails(const char *buf, size_t len, const char *want)
{
	struct kerr err = KERR_INIT;
	cJSON *v = json_parse(buf, len, "'m.json'", &err);

	if (v) {
		cJSON_Delete(v);
		fail_msg("'%.*s' parsed", (int)len, buf);
	}
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_int_equal(kerr_exit_code(&err), 2);
	kerr_clear(&err);
}

static void test_parse_ok(void **state)
{
	static const char *const ok[] = {
		"{}", "[]", "1", "\"s\"", "true", "null", " \t\r\n{\"a\":1} \t\r\n",
		"{\"a\":[{\"b\":null}]}\n",
	};
	struct kerr err = KERR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cJSON *v = json_parse(ok[i], strlen(ok[i]), "'x'", &err);

		if (!v)
			fail_msg("'%s': %s", ok[i], err.msg);
		cJSON_Delete(v);
	}
	/* len bounds the input: what lies beyond it is not read */
	{
		cJSON *v = json_parse("{}garbage", 2, "'x'", &err);

		assert_non_null(v);
		cJSON_Delete(v);
	}
	assert_null(err.msg);
}

static void test_parse_trailing(void **state)
{
	(void)state;
	assert_parse_fails("{\"a\":1} x", 9, "'m.json': invalid JSON: trailing data at byte 8");
	assert_parse_fails("{}{}", 4, "'m.json': invalid JSON: trailing data at byte 2");
	assert_parse_fails("1 2", 3, "'m.json': invalid JSON: trailing data at byte 2");
	assert_parse_fails("[] \n,", 5, "'m.json': invalid JSON: trailing data at byte 4");
	/* a NUL inside len is data too */
	assert_parse_fails("{}\0", 3, "'m.json': invalid JSON: trailing data at byte 2");
}

static void test_parse_truncated(void **state)
{
	(void)state;
	assert_parse_fails("", 0, "'m.json': invalid JSON: unexpected end of input");
	assert_parse_fails("   ", 3, "'m.json': invalid JSON: unexpected end of input");
	assert_parse_fails("{\"a\":", 5, "'m.json': invalid JSON: unexpected end of input");
	assert_parse_fails("{\"a\":[1,2", 9, "'m.json': invalid JSON: unexpected end of input");
	assert_parse_fails("[1", 2, "'m.json': invalid JSON: unexpected end of input");
	assert_parse_fails("{\"a\":1,", 7, "'m.json': invalid JSON: unexpected end of input");
	/* cut short by len although the bytes go on */
	assert_parse_fails("{\"a\":1}", 6, "'m.json': invalid JSON: unexpected end of input");
}

static void test_parse_invalid(void **state)
{
	(void)state;
	assert_parse_fails("{\"a\" 1}", 7, "'m.json': invalid JSON at byte 5");
	assert_parse_fails("x", 1, "'m.json': invalid JSON at byte 0");
	assert_parse_fails("[1,,2]", 6, "'m.json': invalid JSON at byte 3");
	/* an error at the last byte is not the end of the input */
	assert_parse_fails("[1}", 3, "'m.json': invalid JSON at byte 2");
}

/* where cJSON places the error inside a string or a literal is its own
 * business; that it is an input error is ours */
static void test_parse_invalid_anywhere(void **state)
{
	static const char *const bad[] = {
		"{'a':1}", "\"abc", "tru", "nul", "-", "{\"a\":1,}", "[1,]", "\"\\u12\"",
		"01x", "{\"a\":\"\\q\"}",
	};
	struct kerr err = KERR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *v = json_parse(bad[i], strlen(bad[i]), "'m.json'", &err);

		if (v) {
			cJSON_Delete(v);
			fail_msg("'%s' parsed", bad[i]);
		}
		assert_int_equal(strncmp(err.msg, "'m.json': invalid JSON", 22), 0);
		assert_int_equal(err.kind, KERR_INPUT);
		kerr_clear(&err);
	}
}

static void test_string(void **state)
{
	const cJSON *v = *state;
	struct kerr err = KERR_INIT;
	const char *s = "untouched";

	assert_int_equal(json_get_string(v, "s", true, &s, &err), 0);
	assert_string_equal(s, "str");
	assert_int_equal(json_get_string(v, "e", true, &s, &err), 0);
	assert_string_equal(s, "");
	s = "untouched";
	assert_int_equal(json_get_string(v, "nope", false, &s, &err), 0);
	assert_string_equal(s, "untouched");
	/* keys are case-sensitive */
	assert_int_equal(json_get_string(v, "S", false, &s, &err), 0);
	assert_string_equal(s, "untouched");
	assert_null(err.msg);

	assert_int_equal(json_get_string(v, "nope", true, &s, &err), -1);
	assert_string_equal(err.msg, "'nope': missing");
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	assert_int_equal(json_get_string(v, "n", false, &s, &err), -1);
	assert_string_equal(err.msg, "'n': expected a string, found a number");
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	assert_int_equal(json_get_string(v, "z", true, &s, &err), -1);
	assert_string_equal(err.msg, "'z': expected a string, found null");
	kerr_clear(&err);
	assert_string_equal(s, "untouched");
}

static void test_int64(void **state)
{
	const cJSON *v = *state;
	struct kerr err = KERR_INIT;
	int64_t n = 99;

	assert_int_equal(json_get_int64(v, "n", true, &n, &err), 0);
	assert_int_equal(n, 42);
	assert_int_equal(json_get_int64(v, "neg", true, &n, &err), 0);
	assert_int_equal(n, -7);
	assert_int_equal(json_get_int64(v, "exp", true, &n, &err), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(json_get_int64(v, "negz", true, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(json_get_int64(v, "max", true, &n, &err), 0);
	assert_true(n == INT64_C(9007199254740991));
	assert_int_equal(json_get_int64(v, "min", true, &n, &err), 0);
	assert_true(n == -INT64_C(9007199254740991));
	n = 99;
	assert_int_equal(json_get_int64(v, "nope", false, &n, &err), 0);
	assert_int_equal(n, 99);
	assert_null(err.msg);

	assert_int_equal(json_get_int64(v, "nope", true, &n, &err), -1);
	assert_string_equal(err.msg, "'nope': missing");
	kerr_clear(&err);
	assert_int_equal(json_get_int64(v, "s", true, &n, &err), -1);
	assert_string_equal(err.msg, "'s': expected an integer, found a string");
	kerr_clear(&err);
	assert_int_equal(json_get_int64(v, "t", true, &n, &err), -1);
	assert_string_equal(err.msg, "'t': expected an integer, found a boolean");
	kerr_clear(&err);
	assert_int_equal(json_get_int64(v, "f", true, &n, &err), -1);
	assert_string_equal(err.msg, "'f': 1.5 is not an integer kiln can hold");
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	assert_int_equal(n, 99);
}

static void test_int64_beyond_2_53(void **state)
{
	static const char *const keys[] = { "p53", "p53p1", "m53", "m53m1", "huge" };
	const cJSON *v = *state;
	struct kerr err = KERR_INIT;
	int64_t n = 99;

	/* 2^53 + 1 reads as the double 2^53: neither can be trusted */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (json_get_int64(v, keys[i], true, &n, &err) == 0)
			fail_msg("'%s' read as %lld", keys[i], (long long)n);
		assert_non_null(strstr(err.msg, "is not an integer kiln can hold"));
		assert_int_equal(strncmp(err.msg + 1, keys[i], strlen(keys[i])), 0);
		assert_int_equal(err.kind, KERR_INPUT);
		kerr_clear(&err);
	}
	assert_int_equal(n, 99);
}

static void test_bool(void **state)
{
	const cJSON *v = *state;
	struct kerr err = KERR_INIT;
	bool b = false;

	assert_int_equal(json_get_bool(v, "t", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(json_get_bool(v, "b", true, &b, &err), 0);
	assert_false(b);
	b = true;
	assert_int_equal(json_get_bool(v, "nope", false, &b, &err), 0);
	assert_true(b);
	assert_null(err.msg);
	assert_int_equal(json_get_bool(v, "nope", true, &b, &err), -1);
	assert_string_equal(err.msg, "'nope': missing");
	kerr_clear(&err);
	assert_int_equal(json_get_bool(v, "n", true, &b, &err), -1);
	assert_string_equal(err.msg, "'n': expected a boolean, found a number");
	kerr_clear(&err);
	assert_int_equal(json_get_bool(v, "s", false, &b, &err), -1);
	assert_string_equal(err.msg, "'s': expected a boolean, found a string");
	kerr_clear(&err);
}

static void test_object(void **state)
{
	const cJSON *v = *state, *o = NULL, *untouched = (const cJSON *)state;
	struct kerr err = KERR_INIT;
	const char *s = NULL;

	assert_int_equal(json_get_object(v, "o", true, &o, &err), 0);
	assert_int_equal(json_get_string(o, "k", true, &s, &err), 0);
	assert_string_equal(s, "v");
	o = untouched;
	assert_int_equal(json_get_object(v, "nope", false, &o, &err), 0);
	assert_ptr_equal(o, untouched);
	assert_null(err.msg);
	assert_int_equal(json_get_object(v, "nope", true, &o, &err), -1);
	assert_string_equal(err.msg, "'nope': missing");
	kerr_clear(&err);
	assert_int_equal(json_get_object(v, "a", true, &o, &err), -1);
	assert_string_equal(err.msg, "'a': expected an object, found an array");
	kerr_clear(&err);
	assert_int_equal(json_get_object(v, "z", false, &o, &err), -1);
	assert_string_equal(err.msg, "'z': expected an object, found null");
	kerr_clear(&err);
}

static void test_array(void **state)
{
	const cJSON *v = *state, *a = NULL, *untouched = (const cJSON *)state;
	struct kerr err = KERR_INIT;

	assert_int_equal(json_get_array(v, "a", true, &a, &err), 0);
	assert_int_equal(cJSON_GetArraySize(a), 3);
	a = untouched;
	assert_int_equal(json_get_array(v, "nope", false, &a, &err), 0);
	assert_ptr_equal(a, untouched);
	assert_null(err.msg);
	assert_int_equal(json_get_array(v, "nope", true, &a, &err), -1);
	assert_string_equal(err.msg, "'nope': missing");
	kerr_clear(&err);
	assert_int_equal(json_get_array(v, "o", true, &a, &err), -1);
	assert_string_equal(err.msg, "'o': expected an array, found an object");
	kerr_clear(&err);
}

static void test_parent_not_object(void **state)
{
	const cJSON *v = *state, *a = NULL;
	struct kerr err = KERR_INIT;
	const char *s = NULL;

	assert_int_equal(json_get_array(v, "a", true, &a, &err), 0);
	/* asking an array for a key is an error naming the key, optional or not */
	assert_int_equal(json_get_string(a, "k", false, &s, &err), -1);
	assert_string_equal(err.msg, "'k': parent is an array, not an object");
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	assert_int_equal(json_get_string(NULL, "k", false, &s, &err), -1);
	assert_string_equal(err.msg, "'k': parent is missing, not an object");
	kerr_clear(&err);
	assert_int_equal(json_get_bool(cJSON_GetArrayItem(a, 0), "k", true, NULL, &err), -1);
	assert_string_equal(err.msg, "'k': parent is a number, not an object");
	kerr_clear(&err);
}

static void test_print(void **state)
{
	static const char in[] = " { \"a\" : [ 1 , 2 ] ,\n \"b\" : \"x\\ny\" , \"c\": {} } ";
	struct kerr err = KERR_INIT;
	cJSON *v = json_parse(in, strlen(in), "'in'", &err);
	char *s;

	(void)state;
	assert_non_null(v);
	s = json_print(v);
	assert_string_equal(s, "{\"a\":[1,2],\"b\":\"x\\ny\",\"c\":{}}");
	free(s);
	cJSON_Delete(v);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_trailing),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_invalid_anywhere),
		T(test_string),
		T(test_int64),
		T(test_int64_beyond_2_53),
		T(test_bool),
		T(test_object),
		T(test_array),
		T(test_parent_not_object),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
