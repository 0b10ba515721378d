/* creds.c: credentials per registry, read from kiln's auth file, containers'
 * auth.json and docker's config.json, and written by kiln login to kiln's. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "registry/auth.h"
#include "registry/authdirs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define AUTH_FILE_LIMIT (4u << 20)

char *reg_config_dir(void)
{
	const char *s = getenv("XDG_CONFIG_HOME");

	if (s && *s == '/')
		return xstrdup(s);
	s = getenv("HOME");
	if (s && *s == '/')
		return xasprintf("%s/.config", s);
	return NULL;
}

static char *b64_encode(const void *data, size_t len)
{
	size_t cap = (len + 2) / 3 * 4 + 1, olen = 0;
	char *out = xmalloc(cap);

	if (mbedtls_base64_encode((unsigned char *)out, cap, &olen, data, len) != 0)
		abort();	/* cap is always enough */
	out[olen] = '\0';
	return out;
}

/* NULL when s is not base64 */
static char *b64_decode(const char *s)
{
	size_t len = strlen(s), cap = len / 4 * 3 + 3, olen = 0;
	char *out = xmalloc(cap + 1);

	if (mbedtls_base64_decode((unsigned char *)out, cap, &olen,
				  (const unsigned char *)s, len) != 0) {
		free(out);
		return NULL;
	}
	out[olen] = '\0';
	return out;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void reg_creds_clear(struct reg_creds *c)
{
	free(c->username);
	free_secret(c->password);
	free_secret(c->identity_token);
	free(c->source);
	c->username = c->password = c->identity_token = c->source = NULL;
}

int reg_creds_parse(const char *s, struct reg_creds *c, struct kerr *err)
{
	const char *colon = strchr(s, ':');

	if (s[0] == '\0' || colon == s)
		return kerr_input(err, "credentials '%s': the user name is empty",
				  colon ? ":..." : s);
	reg_creds_clear(c);
	if (colon) {
		c->username = xstrndup(s, (size_t)(colon - s));
		c->password = xstrdup(colon + 1);
	} else {
		c->username = xstrdup(s);
		c->password = xstrdup("");
	}
	return 0;
}

char *reg_basic_header(const struct reg_creds *c)
{
	cleanup_free char *plain = NULL, *enc = NULL;
	char *line;

	if (!c || !c->username)
		return NULL;
	plain = xasprintf("%s:%s", c->username, c->password ? c->password : "");
	enc = b64_encode(plain, strlen(plain));
	explicit_bzero(plain, strlen(plain));
	line = xasprintf("Authorization: Basic %s", enc);
	explicit_bzero(enc, strlen(enc));
	return line;
}

/* The registry a key of an auth file stands for: docker writes
 * "https://index.docker.io/v1/" and older tools "http://reg:5000/v2/",
 * auth.json may name a namespace ("quay.io/user"); all hosts of Docker
 * Hub are "docker.io". Caller frees. */
static char *key_registry(const char *key)
{
	const char *p = key;
	char *host;

	if (!strncasecmp(p, "https://", 8))
		p += 8;
	else if (!strncasecmp(p, "http://", 7))
		p += 7;
	host = xstrndup(p, strcspn(p, "/"));
	for (char *q = host; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q += 'a' - 'A';
	if (!strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io")) {
		free(host);
		host = xstrdup("docker.io");
	}
	return host;
}

/* 0: key is registry as written; 1: it names the same registry in
 * another form; -1: another registry */
static int key_rank(const char *key, const char *registry, const char *norm)
{
	cleanup_free char *k = NULL;

	if (!strcmp(key, registry))
		return 0;
	k = key_registry(key);
	return strcmp(k, norm) ? -1 : 1;
}

/* The best-ranked member of obj naming registry, NULL when none does. */
static const cJSON *find_key(const cJSON *obj, const char *registry, const char *norm)
{
	const cJSON *it, *best = NULL;
	int best_rank = 2;

	cJSON_ArrayForEach(it, obj) {
		int r = key_rank(it->string, registry, norm);

		if (r >= 0 && r < best_rank) {
			best = it;
			best_rank = r;
		}
	}
	return best;
}

/* *root NULL when the file does not exist */
static int load_file(const char *path, cJSON **root, struct kerr *err)
{
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	cleanup_free char *what = xasprintf("'%s'", path);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	*root = NULL;
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return kerr_errno(err, errno, "cannot open '%s'", path);
	}
	if (strbuf_read_fd(&sb, fd, AUTH_FILE_LIMIT, err) < 0)
		return kerr_wrap(err, "%s", what);
	*root = json_parse(sb.buf, sb.len, what, err);
	explicit_bzero(sb.buf, sb.len);
	if (!*root)
		return -1;
	if (!cJSON_IsObject(*root)) {
		cJSON_Delete(*root);
		*root = NULL;
		return kerr_input(err, "%s: not a JSON object", what);
	}
	return 0;
}

/* 1 and c filled when path names registry with credentials in it, 0 when
 * it does not (or only through a credential helper) */
static int creds_from_file(const char *path, const char *registry, const char *norm,
			   struct reg_creds *c, struct kerr *err)
{
	cleanup_json cJSON *root = NULL;
	const cJSON *auths = NULL, *helpers = NULL, *entry, *helper;
	const char *store = NULL, *auth = NULL, *token = NULL, *user = NULL, *pass = NULL;

	if (load_file(path, &root, err) < 0)
		return -1;
	if (!root)
		return 0;
	if (json_get_object(root, "auths", false, &auths, err) < 0 ||
	    json_get_object(root, "credHelpers", false, &helpers, err) < 0 ||
	    json_get_string(root, "credsStore", false, &store, err) < 0)
		return kerr_wrap(err, "'%s'", path);
	helper = helpers ? find_key(helpers, registry, norm) : NULL;
	if (helper) {
		log_debug("'%s': the credentials of '%s' are kept by credential helper '%s', "
			  "which kiln does not run; skipped", path, registry,
			  cJSON_IsString(helper) ? helper->valuestring : "?");
		return 0;
	}
	entry = auths ? find_key(auths, registry, norm) : NULL;
	if (!entry)
		return 0;
	if (json_get_string(entry, "auth", false, &auth, err) < 0 ||
	    json_get_string(entry, "identitytoken", false, &token, err) < 0 ||
	    json_get_string(entry, "username", false, &user, err) < 0 ||
	    json_get_string(entry, "password", false, &pass, err) < 0)
		return kerr_wrap(err, "'%s': entry '%s'", path, entry->string);
	if (auth && *auth) {
		char *plain = b64_decode(auth), *colon = plain ? strchr(plain, ':') : NULL;

		if (!colon) {
			free_secret(plain);
			return kerr_input(err, "'%s': entry '%s': 'auth' is not base64 of "
					  "user:password", path, entry->string);
		}
		c->username = xstrndup(plain, (size_t)(colon - plain));
		c->password = xstrdup(colon + 1);
		free_secret(plain);
	} else if (user && *user) {
		c->username = xstrdup(user);
		c->password = xstrdup(pass ? pass : "");
	}
	if (token && *token)
		c->identity_token = xstrdup(token);
	if (!c->username && !c->identity_token) {
		reg_creds_clear(c);
		log_debug("'%s': entry '%s' holds no credentials%s%s%s; skipped", path,
			  entry->string, store ? " (credsStore '" : "", store ? store : "",
			  store ? "' keeps them, which kiln does not run)" : "");
		return 0;
	}
	c->source = xstrdup(path);
	return 1;
}

int reg_creds_lookup(const char *registry, struct reg_creds *c, struct kerr *err)
{
	cleanup_strvec struct strvec files = STRVEC_INIT;
	cleanup_free char *norm = key_registry(registry);
	cleanup_free char *conf = reg_config_dir();
	const char *s;

	reg_creds_clear(c);
	s = getenv("REGISTRY_AUTH_FILE");
	if (s && *s)
		strvec_push(&files, s);
	else if (conf)
		strvec_pushf(&files, "%s/kiln/auth.json", conf);
	s = getenv("XDG_RUNTIME_DIR");
	if (s && *s == '/')
		strvec_pushf(&files, "%s/containers/auth.json", s);
	if (conf)
		strvec_pushf(&files, "%s/containers/auth.json", conf);
	s = getenv("DOCKER_CONFIG");
	if (s && *s) {
		strvec_pushf(&files, "%s/config.json", s);
	} else {
		s = getenv("HOME");
		if (s && *s == '/')
			strvec_pushf(&files, "%s/.docker/config.json", s);
	}
	for (size_t i = 0; i < files.n; i++) {
		int r = creds_from_file(files.v[i], registry, norm, c, err);

		if (r < 0)
			reg_creds_clear(c);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	return 0;
}

char *reg_auth_file(struct kerr *err)
{
	const char *s = getenv("REGISTRY_AUTH_FILE");
	cleanup_free char *conf = NULL;

	if (s && *s)
		return xstrdup(s);
	conf = reg_config_dir();
	if (!conf) {
		kerr_input(err, "cannot find kiln's auth file: neither XDG_CONFIG_HOME nor HOME "
			   "is set; set REGISTRY_AUTH_FILE");
		return NULL;
	}
	return xasprintf("%s/kiln/auth.json", conf);
}

static int save_file(const char *path, const cJSON *root, struct kerr *err)
{
	const char *slash = strrchr(path, '/');
	char *json, *text;
	size_t len;
	int r;

	if (slash && slash != path) {
		cleanup_free char *dir = xstrndup(path, (size_t)(slash - path));

		if (mkdir_p(dir, 0700, err) < 0)
			return -1;
	}
	json = cJSON_Print(root);
	if (!json)
		abort();	/* only on allocation failure, which xmalloc aborts on */
	text = xasprintf("%s\n", json);
	len = strlen(text);
	r = atomic_write_at(AT_FDCWD, path, text, len, 0600, err);
	free_secret(json);
	free_secret(text);
	return r;
}

/* Two logins at once must not lose one's entry: each read-change-write
 * of the auth file holds a flock on its directory (made when missing),
 * which leaves no lock file beside it. Returns the fd to close. */
static int lock_auth_dir(const char *path, struct kerr *err)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	int fd;

	if (!*dir) {
		free(dir);
		dir = xstrdup("/");
	}
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s'", dir);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			kerr_errno(err, errno, "cannot lock '%s'", dir);
			close(fd);
			return -1;
		}
	return fd;
}

/* kiln's auth file and its "auths" object, both created when missing */
static int load_auths(const char *path, cJSON **root, cJSON **auths, struct kerr *err)
{
	if (load_file(path, root, err) < 0)
		return -1;
	if (!*root)
		*root = cJSON_CreateObject();
	*auths = cJSON_GetObjectItemCaseSensitive(*root, "auths");
	if (!*auths)
		*auths = cJSON_AddObjectToObject(*root, "auths");
	else if (!cJSON_IsObject(*auths))
		return kerr_input(err, "'%s': 'auths': expected an object", path);
	return 0;
}

int reg_creds_store(const char *registry, const struct reg_creds *c, struct kerr *err)
{
	cleanup_free char *path = reg_auth_file(err);
	cleanup_json cJSON *root = NULL;
	cleanup_close int lock = -1;
	cJSON *auths, *entry;

	if (!path)
		return -1;
	if (!c->username && !c->identity_token)
		return kerr_input(err, "no credentials to store for '%s'", registry);
	if ((lock = lock_auth_dir(path, err)) < 0 || load_auths(path, &root, &auths, err) < 0)
		return -1;
	entry = cJSON_CreateObject();
	if (c->username) {
		char *plain = xasprintf("%s:%s", c->username, c->password ? c->password : "");
		char *enc = b64_encode(plain, strlen(plain));

		cJSON_AddStringToObject(entry, "auth", enc);
		free_secret(plain);
		free_secret(enc);
	}
	if (c->identity_token)
		cJSON_AddStringToObject(entry, "identitytoken", c->identity_token);
	/* replacing in place keeps the order of the file's entries */
	if (cJSON_GetObjectItemCaseSensitive(auths, registry))
		cJSON_ReplaceItemInObjectCaseSensitive(auths, registry, entry);
	else
		cJSON_AddItemToObject(auths, registry, entry);
	return save_file(path, root, err);
}

int reg_creds_remove(const char *registry, struct kerr *err)
{
	cleanup_free char *path = reg_auth_file(err);
	cleanup_free char *norm = key_registry(registry);
	cleanup_json cJSON *root = NULL;
	cleanup_close int lock = -1;
	cJSON *auths, *it, *next;
	int removed = 0;

	if (!path || (lock = lock_auth_dir(path, err)) < 0 ||
	    load_auths(path, &root, &auths, err) < 0)
		return -1;
	/* every key lookup would find, so that none is left to log in with */
	for (it = auths->child; it; it = next) {
		next = it->next;
		if (key_rank(it->string, registry, norm) >= 0) {
			cJSON_Delete(cJSON_DetachItemViaPointer(auths, it));
			removed++;
		}
	}
	if (!removed)
		return 1;
	return save_file(path, root, err) < 0 ? -1 : 0;
}
