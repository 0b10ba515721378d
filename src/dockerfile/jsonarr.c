/* jsonarr.c: the exec form ["a", "b"], read as Go's encoding/json reads it,
 * because what counts as JSON decides between exec and shell form. */
#include <stdlib.h>
#include <string.h>

#include "dockerfile/internal.h"
#include "dockerfile/rune.h"
#include "util/xalloc.h"

/* encoding/json's limit; deeper input is a syntax error there */
#define MAX_DEPTH 10000

struct scan {
	const char *s;
	size_t n, i;
};

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->n) {
		char c = sc->s[sc->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->i++;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* the code unit of "\uXXXX" at s (n bytes), -1 when it is not one */
static long getu4(const char *s, size_t n)
{
	long v = 0;

	if (n < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	for (int k = 2; k < 6; k++) {
		int h = hexval(s[k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static void put_utf8(struct strbuf *b, uint32_t c)
{
	char u[4];
	size_t len;

	if (c < 0x80) {
		u[0] = (char)c;
		len = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3F));
		len = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		len = 3;
	} else {
		u[0] = (char)(0xF0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		len = 4;
	}
	strbuf_add(b, u, len);
}

/*
 * A string at sc->i (on its '"'). With out, its value is decoded as Go does:
 * escapes applied, lone surrogates and bytes that are not UTF-8 as U+FFFD.
 */
static bool scan_string(struct scan *sc, struct strbuf *out)
{
	const char *s = sc->s;
	size_t i = sc->i + 1;

	while (i < sc->n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"') {
			sc->i = i + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			char e;

			if (i + 1 >= sc->n)
				return false;
			e = s[i + 1];
			if (e == 'u') {
				long u = getu4(s + i, sc->n - i);
				uint32_t cp;

				if (u < 0)
					return false;
				i += 6;
				cp = (uint32_t)u;
				if (cp >= 0xD800 && cp < 0xE000) {
					long lo = getu4(s + i, sc->n - i);

					if (cp < 0xDC00 && lo >= 0xDC00 && lo < 0xE000) {
						cp = 0x10000 + ((cp - 0xD800) << 10) +
						     ((uint32_t)lo - 0xDC00);
						i += 6;
					} else {
						cp = DF_RUNE_ERROR;
					}
				}
				if (out)
					put_utf8(out, cp);
				continue;
			}
			if (out) {
				switch (e) {
				case '"': case '\\': case '/':
					strbuf_addch(out, e);
					break;
				case 'b': strbuf_addch(out, '\b'); break;
				case 'f': strbuf_addch(out, '\f'); break;
				case 'n': strbuf_addch(out, '\n'); break;
				case 'r': strbuf_addch(out, '\r'); break;
				case 't': strbuf_addch(out, '\t'); break;
				default:
					return false;
				}
			} else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
				return false;
			}
			i += 2;
			continue;
		}
		if (c < 0x80) {
			if (out)
				strbuf_addch(out, (char)c);
			i++;
			continue;
		}
		{
			uint32_t cp;
			size_t len = df_rune_decode(s + i, sc->n - i, &cp);

			if (out) {
				if (cp == DF_RUNE_ERROR && len == 1)
					put_utf8(out, DF_RUNE_ERROR);
				else
					strbuf_add(out, s + i, len);
			}
			i += len;
		}
	}
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* an object member's key and its ':' (not the value) */
static bool scan_key(struct scan *sc)
{
	if (sc->i >= sc->n || sc->s[sc->i] != '"' || !scan_string(sc, NULL))
		return false;
	skip_ws(sc);
	if (sc->i >= sc->n || sc->s[sc->i] != ':')
		return false;
	sc->i++;
	return true;
}

static bool scan_number(struct scan *sc)
{
	const char *s = sc->s;
	size_t i = sc->i, n = sc->n;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (i < n && is_digit(s[i]))
			i++;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	sc->i = i;
	return true;
}

static bool scan_literal(struct scan *sc)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t k = 0; k < 3; k++) {
		size_t len = strlen(lits[k]);

		if (sc->n - sc->i >= len && !memcmp(sc->s + sc->i, lits[k], len)) {
			sc->i += len;
			return true;
		}
	}
	return false;
}

enum df_json_result df_json_strings(const char *s, size_t n, struct df_arena *a,
				    struct df_strlist *out)
{
	struct scan sc = { s, n, 0 };
	struct strbuf str = STRBUF_INIT;
	char *stack = NULL;	/* '[' or '{' per open container */
	size_t depth = 0, alloc = 0;
	bool not_strings = false, ok = false;

	/* unicode.IsSpace first, as BuildKit trims before looking for '[' */
	sc.i = df_space_prefix(s, n);
	if (sc.i >= n || s[sc.i] != '[')
		return DF_JSON_NOT_ARRAY;

	for (;;) {
		/* a value */
		skip_ws(&sc);
		if (sc.i >= n)
			goto out;
		if (depth == 1 && s[sc.i] != '"')
			not_strings = true;
		switch (s[sc.i]) {
		case '[':
		case '{':
			if (depth >= MAX_DEPTH)
				goto out;
			stack = xgrow(stack, 1, depth + 1, &alloc);
			stack[depth++] = s[sc.i++];
			skip_ws(&sc);
			if (sc.i < n && s[sc.i] == (stack[depth - 1] == '[' ? ']' : '}')) {
				sc.i++;
				depth--;
				break;
			}
			if (stack[depth - 1] == '{' && !scan_key(&sc))
				goto out;
			continue;
		case '"':
			strbuf_reset(&str);
			if (!scan_string(&sc, depth == 1 ? &str : NULL))
				goto out;
			if (depth == 1)
				df_strlist_push(out, a, str.buf, str.len);
			break;
		case 't': case 'f': case 'n':
			if (!scan_literal(&sc))
				goto out;
			break;
		default:
			if (!scan_number(&sc))
				goto out;
		}
		/* after a value: close containers, or a ',' for the next value */
		for (;;) {
			skip_ws(&sc);
			if (depth == 0) {
				ok = sc.i == n;
				goto out;
			}
			if (sc.i >= n)
				goto out;
			if (s[sc.i] == (stack[depth - 1] == '[' ? ']' : '}')) {
				sc.i++;
				depth--;
				continue;
			}
			if (s[sc.i] != ',')
				goto out;
			sc.i++;
			if (stack[depth - 1] == '{') {
				skip_ws(&sc);
				if (!scan_key(&sc))
					goto out;
			}
			break;
		}
	}
out:
	free(stack);
	strbuf_release(&str);
	if (!ok)
		return DF_JSON_NOT_ARRAY;
	return not_strings ? DF_JSON_NOT_STRINGS : DF_JSON_STRINGS;
}
