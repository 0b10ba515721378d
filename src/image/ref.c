/* ref.c: reference parsing with the grammar of docker's distribution/
 * reference package, and the familiar (short) form kiln stores as tags. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"
#include "util/cleanup.h"
#include "util/sha256.h"
#include "util/xalloc.h"

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;

	if (!n || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || s[i] == '_') {
			size_t k = i + 1;

			if (s[i] == '_' && k < n && s[k] == '_')
				k++;
			if (k >= n || !lower_alnum(s[k]))
				return false;
			i = k;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
			if (i >= n || !lower_alnum(s[i]))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* host[:port], host made of dot-separated [A-Za-z0-9-] labels */
static bool valid_domain(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t hn = colon ? (size_t)(colon - s) : strlen(s);

	/* an IPv6 literal in brackets, as distribution's reference takes it:
	 * "[::1]:5000" */
	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (!end || end - s < 3 || strspn(s + 1, "0123456789abcdefABCDEF:") !=
		    (size_t)(end - s - 1))
			return false;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
		hn = 0;
	} else if (!hn) {
		return false;
	}
	for (size_t i = 0; i < hn; i++) {
		char c = s[i];
		bool edge = i == 0 || i == hn - 1 || s[i - 1] == '.' || s[i + 1] == '.';

		if (c == '.') {
			if (edge && (i == 0 || i == hn - 1))
				return false;
			continue;
		}
		if (!isalnum((unsigned char)c) && !(c == '-' && !edge))
			return false;
	}
	if (colon) {
		const char *p = colon + 1;

		if (!*p)
			return false;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	return true;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

static bool is_hex64(const char *s)
{
	size_t n = strlen(s);

	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

int img_ref_parse(const char *s, struct img_ref *r, struct kerr *err)
{
	cleanup_free char *name = NULL;
	const char *at, *slash, *colon, *rest;
	unsigned char h[SHA256_LEN];

	*r = (struct img_ref)IMG_REF_INIT;
	if (!*s)
		return kerr_input(err, "an image name must not be empty");
	at = strchr(s, '@');
	name = at ? xstrndup(s, (size_t)(at - s)) : xstrdup(s);
	if (at) {
		if (digest_parse(at + 1, h, err) < 0)
			return kerr_wrap(err, "'%s'", s);
		r->digest = xstrdup(at + 1);
	}
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		if (!valid_tag(colon + 1)) {
			img_ref_clear(r);
			return kerr_input(err, "'%s': invalid tag '%s'", s, colon + 1);
		}
		r->tag = xstrdup(colon + 1);
		name[colon - name] = '\0';
	}
	slash = strchr(name, '/');
	rest = name;
	if (slash) {
		size_t dn = (size_t)(slash - name);
		bool has_upper = false;

		for (size_t i = 0; i < dn; i++)
			has_upper |= isupper((unsigned char)name[i]) != 0;
		if (memchr(name, '.', dn) || memchr(name, ':', dn) ||
		    (dn == 9 && !strncmp(name, "localhost", 9)) || has_upper) {
			r->domain = xstrndup(name, dn);
			rest = slash + 1;
			if (!valid_domain(r->domain)) {
				img_ref_clear(r);
				return kerr_input(err, "'%s': invalid registry name", s);
			}
		}
	}
	if (!r->domain)
		r->domain = xstrdup(IMG_REF_DEFAULT_DOMAIN);
	if (!strcmp(r->domain, "index.docker.io")) {
		free(r->domain);
		r->domain = xstrdup(IMG_REF_DEFAULT_DOMAIN);
	}
	for (const char *p = rest; *p; p++) {
		if (isupper((unsigned char)*p)) {
			img_ref_clear(r);
			return kerr_input(err, "'%s': repository name must be lowercase", s);
		}
	}
	if (!r->domain[0] || is_hex64(rest)) {
		img_ref_clear(r);
		return kerr_input(err, "'%s': invalid repository name (a 64-digit hex string "
				  "is an image ID)", s);
	}
	for (const char *p = rest;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (!valid_component(p, n)) {
			img_ref_clear(r);
			return kerr_input(err, "'%s': invalid reference format", s);
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!strcmp(r->domain, IMG_REF_DEFAULT_DOMAIN) && !strchr(rest, '/'))
		r->path = xasprintf("library/%s", rest);
	else
		r->path = xstrdup(rest);
	if (strlen(r->domain) + 1 + strlen(r->path) > 255) {
		img_ref_clear(r);
		return kerr_input(err, "'%s': repository name longer than 255 characters", s);
	}
	return 0;
}

void img_ref_default_tag(struct img_ref *r)
{
	if (!r->tag && !r->digest)
		r->tag = xstrdup("latest");
}

char *img_ref_name(const struct img_ref *r)
{
	return xasprintf("%s/%s", r->domain, r->path);
}

char *img_ref_familiar_name(const struct img_ref *r)
{
	if (!strcmp(r->domain, IMG_REF_DEFAULT_DOMAIN)) {
		if (!strncmp(r->path, "library/", 8) && !strchr(r->path + 8, '/'))
			return xstrdup(r->path + 8);
		return xstrdup(r->path);
	}
	return img_ref_name(r);
}

static char *with_suffix(char *name, const struct img_ref *r)
{
	char *s = xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
			    r->digest ? "@" : "", r->digest ? r->digest : "");

	free(name);
	return s;
}

char *img_ref_familiar(const struct img_ref *r)
{
	return with_suffix(img_ref_familiar_name(r), r);
}

char *img_ref_string(const struct img_ref *r)
{
	return with_suffix(img_ref_name(r), r);
}

bool img_ref_is_id_prefix(const char *s)
{
	size_t n;

	if (!strncmp(s, "sha256:", 7))
		s += 7;
	n = strlen(s);
	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void img_ref_clear(struct img_ref *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	*r = (struct img_ref)IMG_REF_INIT;
}
