/* proxy.c: which proxy a request goes through, from HTTP_PROXY, HTTPS_PROXY
 * and NO_PROXY, read the way Go's net/http reads them (as buildah and docker). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* the lowercase name first, as curl and Go; an empty value counts as unset */
static const char *env_any(const char *lower, const char *upper)
{
	const char *v = getenv(lower);

	if (v && *v)
		return v;
	v = upper ? getenv(upper) : NULL;
	return v && *v ? v : NULL;
}

/* family and bytes of an IP literal, 0 when s is not one */
static int parse_ip(const char *s, unsigned char a[16])
{
	if (inet_pton(AF_INET, s, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a) == 1)
		return AF_INET6;
	return 0;
}

static bool is_loopback(const char *host)
{
	unsigned char a[16];
	static const unsigned char v6_loop[16] = { [15] = 1 };
	static const unsigned char v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	switch (parse_ip(host, a)) {
	case AF_INET:
		return a[0] == 127;
	case AF_INET6:
		return !memcmp(a, v6_loop, 16) || (!memcmp(a, v4_mapped, 12) && a[12] == 127);
	default:
		return !strcmp(host, "localhost");
	}
}

static bool in_cidr(const char *entry, const char *host)
{
	cleanup_free char *net = xstrdup(entry);
	char *slash = strchr(net, '/'), *end;
	unsigned char n[16], h[16];
	int fam, bits;
	long prefix;

	*slash = '\0';
	fam = parse_ip(net, n);
	prefix = strtol(slash + 1, &end, 10);
	if (!fam || fam != parse_ip(host, h) || end == slash + 1 || *end || prefix < 0 ||
	    prefix > (fam == AF_INET ? 32 : 128))
		return false;
	bits = (int)prefix;
	if (memcmp(n, h, (size_t)bits / 8))
		return false;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		return (n[bits / 8] & mask) == (h[bits / 8] & mask);
	}
	return true;
}

/* one NO_PROXY entry (lowercase, trimmed) against the target */
static bool entry_matches(char *e, const struct http_url *t)
{
	char *host = e, *port = NULL, *close;
	unsigned char a[16], b[16];
	size_t hl, tl;
	int fam;

	if (!strcmp(e, "*"))
		return true;
	if (strchr(e, '/'))
		return in_cidr(e, t->host);
	if (e[0] == '[' && (close = strchr(e, ']'))) {
		host = e + 1;
		*close = '\0';
		if (close[1] == ':')
			port = close + 2;
	} else if ((port = strchr(e, ':')) && !strchr(port + 1, ':')) {
		*port++ = '\0';
	} else {
		port = NULL;	/* a bare IPv6 address */
	}
	if (port && strtoul(port, NULL, 10) != strtoul(t->port, NULL, 10))
		return false;
	if ((fam = parse_ip(host, a)))
		return fam == parse_ip(t->host, b) && !memcmp(a, b, fam == AF_INET ? 4 : 16);
	/* "*.example.com" is ".example.com": subdomains only, as Go has it */
	if (host[0] == '*' && host[1] == '.')
		host++;
	hl = strlen(host);
	if (hl && host[hl - 1] == '.')
		host[--hl] = '\0';
	tl = strlen(t->host);
	if (!hl)
		return false;
	if (host[0] == '.')
		return tl > hl && !strcmp(t->host + tl - hl, host);
	return !strcmp(t->host, host) ||
	       (tl > hl && t->host[tl - hl - 1] == '.' && !strcmp(t->host + tl - hl, host));
}

static bool no_proxy_matches(const char *list, const struct http_url *t)
{
	while (*list) {
		size_t n = strcspn(list, ",");
		cleanup_free char *e = NULL;
		char *s, *end;

		e = xstrndup(list, n);
		list += n + (list[n] == ',');
		s = e + strspn(e, " \t");
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		for (char *q = s; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
		if (*s && entry_matches(s, t))
			return true;
	}
	return false;
}

char *http_proxy_for(const struct http_url *target)
{
	const char *proxy, *no;

	if (!strcmp(target->scheme, "https")) {
		proxy = env_any("https_proxy", "HTTPS_PROXY");
	} else {
		/* under CGI a request's "Proxy:" header arrives as HTTP_PROXY
		 * (httpoxy): only the lowercase name is trusted there */
		proxy = env_any("http_proxy", getenv("REQUEST_METHOD") ? NULL : "HTTP_PROXY");
	}
	/* loopback never goes through a proxy, as in Go */
	if (!proxy || is_loopback(target->host))
		return NULL;
	no = env_any("no_proxy", "NO_PROXY");
	if (no && no_proxy_matches(no, target))
		return NULL;
	return xstrdup(proxy);
}
