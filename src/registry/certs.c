/* certs.c: how kiln checks a registry's TLS: CA files and a client pair
 * from certs.d folders, and the insecure-registries list of config.json. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "registry/auth.h"
#include "registry/authdirs.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CONFIG_FILE_LIMIT (1u << 20)

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static void free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* docker's layout: every *.crt a CA; NAME.cert with NAME.key a client pair */
static int read_certs_dir(const char *dir, struct dirent **names, int n, struct http_tls *t,
			  struct kerr *err)
{
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (has_suffix(name, ".crt")) {
			strvec_pushf(&t->ca_files, "%s/%s", dir, name);
		} else if (has_suffix(name, ".cert")) {
			cleanup_free char *key = xasprintf("%s/%.*s.key", dir, (int)(len - 5), name);

			if (access(key, F_OK) < 0)
				return kerr_input(err, "client certificate '%s/%s' has no key '%s'",
						  dir, name, key);
			if (t->cert_file) {
				log_debug("'%s/%s': a second client certificate; '%s' is used",
					  dir, name, t->cert_file);
				continue;
			}
			t->cert_file = xasprintf("%s/%s", dir, name);
			t->key_file = steal_ptr(key);
		} else if (has_suffix(name, ".key")) {
			cleanup_free char *cert = xasprintf("%s/%.*s.cert", dir, (int)(len - 4), name);

			if (access(cert, F_OK) < 0)
				return kerr_input(err, "key '%s/%s' has no client certificate '%s'",
						  dir, name, cert);
		}
	}
	return 0;
}

int reg_tls_files(const char *registry, bool insecure, struct http_tls *t, struct kerr *err)
{
	cleanup_strvec struct strvec roots = STRVEC_INIT;
	cleanup_free char *conf = reg_config_dir();
	const char *home = getenv("HOME");

	t->verify = !insecure;
	if (!*registry || strchr(registry, '/') || registry[0] == '.')
		return kerr_input(err, "'%s' is not a registry name", registry);
	if (conf)
		strvec_pushf(&roots, "%s/kiln/certs.d", conf);
	if (home && *home == '/')
		strvec_pushf(&roots, "%s/.config/containers/certs.d", home);
	strvec_push(&roots, "/etc/containers/certs.d");
	strvec_push(&roots, "/etc/docker/certs.d");
	for (size_t i = 0; i < roots.n; i++) {
		cleanup_free char *dir = xasprintf("%s/%s", roots.v[i], registry);
		struct dirent **names = NULL;
		int n = scandir(dir, &names, NULL, alphasort), r;

		if (n < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return kerr_errno(err, errno, "cannot read '%s'", dir);
		}
		r = read_certs_dir(dir, names, n, t, err);
		free_names(names, n);
		return r;
	}
	return 0;
}

/* --- insecure-registries ------------------------------------------------- */

/* host and port of "host", "host:port", "[v6]", "[v6]:port" or a bare
 * IPv6 address; port NULL when there is none. Both point into s, which
 * is cut. */
static void split_hostport(char *s, char **host, char **port)
{
	char *colon;

	*port = NULL;
	if (*s == '[') {
		char *end = strchr(s, ']');

		*host = s + 1;
		if (end) {
			*end = '\0';
			if (end[1] == ':')
				*port = end + 2;
		}
		return;
	}
	*host = s;
	colon = strchr(s, ':');
	if (colon && !strchr(colon + 1, ':')) {
		*colon = '\0';
		*port = colon + 1;
	}
}

struct ipaddr {
	int family;
	unsigned char b[16];
};

static bool parse_ip(const char *s, struct ipaddr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static bool in_block(const struct ipaddr *a, const struct ipaddr *net, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (a->family != net->family)
		return false;
	if (memcmp(a->b, net->b, whole))
		return false;
	return !rest || !((a->b[whole] ^ net->b[whole]) & (0xff00u >> rest));
}

/* the addresses of the registry's host: itself when it is an address,
 * else what it resolves to (docker matches CIDR entries that way) */
struct host_addrs {
	struct ipaddr *v;
	size_t n;
	bool done;
};

static void resolve(const char *host, struct host_addrs *h)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	size_t alloc = 0;

	h->done = true;
	h->v = xgrow(h->v, sizeof(*h->v), 1, &alloc);
	if (parse_ip(host, &h->v[0])) {
		h->n = 1;
		return;
	}
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		log_debug("cannot resolve '%s' to match insecure-registries blocks", host);
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct ipaddr *a;

		h->v = xgrow(h->v, sizeof(*h->v), h->n + 1, &alloc);
		a = &h->v[h->n];
		if (ai->ai_family == AF_INET) {
			a->family = AF_INET;
			memcpy(a->b, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			h->n++;
		} else if (ai->ai_family == AF_INET6) {
			a->family = AF_INET6;
			memcpy(a->b, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			h->n++;
		}
	}
	freeaddrinfo(res);
}

/* 1 match, 0 none, -1 when the entry is not a host, host:port or block */
static int entry_matches(const char *entry, const char *host, const char *port,
			 struct host_addrs *addrs)
{
	cleanup_free char *e = NULL;
	const char *p = entry, *slash;
	char *ehost, *eport;

	if (!strncasecmp(p, "https://", 8))
		p += 8;
	else if (!strncasecmp(p, "http://", 7))
		p += 7;
	slash = strchr(p, '/');
	if (slash && slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1)) {
		struct ipaddr net;
		char *end;
		unsigned long bits = strtoul(slash + 1, &end, 10);

		e = xstrndup(p, (size_t)(slash - p));
		if (!parse_ip(e, &net) || bits > (net.family == AF_INET ? 32u : 128u))
			return -1;
		if (!addrs->done)
			resolve(host, addrs);
		for (size_t i = 0; i < addrs->n; i++)
			if (in_block(&addrs->v[i], &net, (unsigned)bits))
				return 1;
		return 0;
	}
	/* a trailing "/" or path, as in "http://reg:5000/" */
	e = xstrndup(p, slash ? (size_t)(slash - p) : strlen(p));
	split_hostport(e, &ehost, &eport);
	if (!*ehost)
		return -1;
	if (strcasecmp(ehost, host))
		return 0;
	/* "host" covers every port of it, "host:port" that one */
	return !eport || (port && !strcmp(eport, port));
}

int reg_insecure(const char *registry, struct kerr *err)
{
	cleanup_free char *conf = reg_config_dir(), *path = NULL, *what = NULL, *reg = NULL;
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	cleanup_json cJSON *root = NULL;
	cleanup_close int fd = -1;
	struct host_addrs addrs = { NULL, 0, false };
	const cJSON *list = NULL, *it;
	char *host, *port;
	int r = 0, i = 0;

	if (!conf)
		return 0;
	path = xasprintf("%s/kiln/config.json", conf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return kerr_errno(err, errno, "cannot open '%s'", path);
	}
	what = xasprintf("'%s'", path);
	if (strbuf_read_fd(&sb, fd, CONFIG_FILE_LIMIT, err) < 0)
		return kerr_wrap(err, "%s", what);
	root = json_parse(sb.buf, sb.len, what, err);
	if (!root)
		return -1;
	if (json_get_array(root, "insecure-registries", false, &list, err) < 0)
		return kerr_wrap(err, "%s", what);
	if (!list)
		return 0;
	reg = xstrdup(registry);
	split_hostport(reg, &host, &port);
	cJSON_ArrayForEach(it, list) {
		int m = cJSON_IsString(it) ? entry_matches(it->valuestring, host, port, &addrs) : -1;

		if (m < 0 && cJSON_IsString(it)) {
			r = kerr_input(err, "%s: 'insecure-registries': '%s' is not a host, "
				       "host:port or CIDR block", what, it->valuestring);
			break;
		}
		if (m < 0) {
			r = kerr_input(err, "%s: 'insecure-registries': entry %d is not a string",
				       what, i);
			break;
		}
		if (m > 0) {
			r = 1;
			break;
		}
		i++;
	}
	free(addrs.v);
	return r;
}
