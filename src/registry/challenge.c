/* challenge.c: the WWW-Authenticate value of a registry's 401 (RFC 7235):
 * which challenge kiln answers, and the realm, service and scope of it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/auth.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static bool is_tchar(char ch)
{
	unsigned char c = (unsigned char)ch;

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static size_t token68_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || (p[n] && strchr("-._~+/", p[n])))
		n++;
	if (!n)
		return 0;
	while (p[n] == '=')
		n++;
	return n;
}

static size_t token_len(const char *p)
{
	size_t n = 0;

	while (is_tchar(p[n]))
		n++;
	return n;
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* whether p starts an auth-param (token BWS "=" BWS value) rather than a
 * new challenge or a token68 ("abc==" has no value after its '=') */
static bool at_param(const char *p)
{
	size_t n = token_len(p);

	if (!n)
		return false;
	p = skip_ows(p + n);
	if (*p != '=')
		return false;
	p = skip_ows(p + 1);
	return *p == '"' || is_tchar(*p);
}

/* a quoted-string at *pp (on its opening quote), unescaped into out;
 * NULL when it is one, else what is wrong with it */
static const char *quoted(const char **pp, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)*pp + 1;

	for (;; p++) {
		if (*p == '\0')
			return "unterminated quoted string";
		if (*p == '"')
			break;
		if (*p == '\\') {
			p++;
			if (*p == '\0')
				return "unterminated quoted string";
			if (*p != '\t' && (*p < 0x20 || *p == 0x7f))
				return "bad escape in quoted string";
		} else if (*p != '\t' && (*p < 0x20 || *p == 0x7f)) {
			return "control character in quoted string";
		}
		strbuf_addch(out, *p);
	}
	*pp = (const char *)p + 1;
	return NULL;
}

void reg_challenge_clear(struct reg_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	*c = (struct reg_challenge)REG_CHALLENGE_INIT;
}

static void set_param(struct reg_challenge *c, const char *name, size_t len, struct strbuf *v)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "realm", offsetof(struct reg_challenge, realm) },
		{ "service", offsetof(struct reg_challenge, service) },
		{ "scope", offsetof(struct reg_challenge, scope) },
		{ "error", offsetof(struct reg_challenge, error) },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i].name) == len && !strncasecmp(name, known[i].name, len)) {
			char **slot = (char **)((char *)c + known[i].off);

			free(*slot);
			*slot = strbuf_detach(v, NULL);
			return;
		}
	}
}

static int bad(const char *value, const char *p, const char *what, struct kerr *err)
{
	return kerr_input(err, "cannot read WWW-Authenticate '%.200s': %s at byte %zu",
			  value, what, (size_t)(p - value));
}

/* one challenge from *pp into c: its scheme and auth-params (a token68 is
 * skipped: neither Basic nor Bearer has one in a challenge) */
static int parse_one(const char *value, const char **pp, struct reg_challenge *c,
		     struct kerr *err)
{
	const char *p = *pp, *why;
	size_t n = token_len(p);

	if (!n)
		return bad(value, p, "expected an auth scheme", err);
	c->scheme = xstrndup(p, n);
	for (char *q = c->scheme; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q += 'a' - 'A';
	p = skip_ows(p + n);
	if (*p && *p != ',' && !at_param(p)) {
		n = token68_len(p);
		if (!n)
			return bad(value, p, "expected auth-params or a token68", err);
		p = skip_ows(p + n);
	}
	while (at_param(p)) {
		struct strbuf v = STRBUF_INIT;
		const char *name = p, *next;

		n = token_len(p);
		p = skip_ows(skip_ows(p + n) + 1);
		if (*p == '"') {
			why = quoted(&p, &v);
			if (why) {
				strbuf_release(&v);
				return bad(value, p, why, err);
			}
		} else {
			size_t vn = token_len(p);

			strbuf_add(&v, p, vn);
			p += vn;
		}
		set_param(c, name, n, &v);
		strbuf_release(&v);
		p = skip_ows(p);
		/* after a comma: another param of this challenge, or the next
		 * challenge; without one: a sloppy server's next param */
		if (*p == ',') {
			next = p;
			while (*next == ',' || *next == ' ' || *next == '\t')
				next++;
			if (at_param(next))
				p = next;
		}
	}
	if (*p && *p != ',')
		return bad(value, p, "unexpected character", err);
	*pp = p;
	return 0;
}

int reg_challenge_parse(const char *value, struct reg_challenge *c, struct kerr *err)
{
	struct reg_challenge bearer = REG_CHALLENGE_INIT, basic = REG_CHALLENGE_INIT;
	const char *p = value;
	bool realmless = false;

	for (;;) {
		struct reg_challenge cur = REG_CHALLENGE_INIT;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (parse_one(value, &p, &cur, err) < 0) {
			reg_challenge_clear(&cur);
			reg_challenge_clear(&bearer);
			reg_challenge_clear(&basic);
			return -1;
		}
		/* a Bearer challenge without a realm names no token server */
		if (!strcmp(cur.scheme, "bearer") && (!cur.realm || !*cur.realm))
			realmless = true;
		else if (!strcmp(cur.scheme, "bearer") && !bearer.scheme)
			bearer = cur, cur = (struct reg_challenge)REG_CHALLENGE_INIT;
		else if (!strcmp(cur.scheme, "basic") && !basic.scheme)
			basic = cur, cur = (struct reg_challenge)REG_CHALLENGE_INIT;
		reg_challenge_clear(&cur);
	}
	reg_challenge_clear(c);
	if (bearer.scheme) {
		*c = bearer;
		reg_challenge_clear(&basic);
		return 0;
	}
	if (basic.scheme) {
		*c = basic;
		return 0;
	}
	return kerr_input(err, "WWW-Authenticate '%.200s' %s", value,
			  realmless ? "has a Bearer challenge without a realm"
				    : "offers no Basic or Bearer challenge");
}
