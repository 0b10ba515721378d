/* auth.h: who kiln is at a registry: credentials from kiln's own auth file,
 * containers' auth.json and docker's config.json; the WWW-Authenticate
 * challenges a registry answers 401 with; Bearer tokens per scope; and the
 * per-registry TLS files of certs.d. */
#ifndef KILN_REGISTRY_AUTH_H
#define KILN_REGISTRY_AUTH_H

#include <stdbool.h>

#include "registry/http.h"
#include "util/err.h"

/* --- Credentials -------------------------------------------------------- */

struct reg_creds {
	char *username;
	char *password;
	char *identity_token;	/* docker's "identitytoken": an OAuth2 refresh token */
	char *source;		/* the file they came from, for messages; NULL for --creds */
};

#define REG_CREDS_INIT { NULL, NULL, NULL, NULL }

/* "user:password" or "user" (password then empty), as --creds takes it */
int reg_creds_parse(const char *s, struct reg_creds *c, struct kerr *err);
/*
 * The credentials stored for a registry ("reg:5000", "docker.io"; docker.io
 * is also found under docker's "https://index.docker.io/v1/" key), looked
 * up in this order, the first file that names the registry winning:
 *   $REGISTRY_AUTH_FILE, else kiln's own file (reg_auth_file());
 *   ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.config/containers/auth.json;
 *   $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
 * 0 with c empty when none names it; a file that exists but is not valid
 * JSON, or an "auth" that is not base64 of "user:password", is an input
 * error naming the file. Entries with a credential helper ("credsStore",
 * "credHelpers") are skipped with one debug line: kiln runs no helpers.
 */
int reg_creds_lookup(const char *registry, struct reg_creds *c, struct kerr *err);
/* kiln's auth file: $REGISTRY_AUTH_FILE, else $XDG_CONFIG_HOME/kiln/auth.json,
 * else ~/.config/kiln/auth.json (containers' format:
 * {"auths": {"reg:5000": {"auth": base64("user:password")}}}); caller frees */
char *reg_auth_file(struct kerr *err);
/* adds or replaces the registry's entry in kiln's auth file, which is
 * written atomically with mode 0600 (its folder 0700), keeping every other
 * entry and key it had */
int reg_creds_store(const char *registry, const struct reg_creds *c, struct kerr *err);
/* removes it; 0 when it was there, 1 when it was not */
int reg_creds_remove(const char *registry, struct kerr *err);
void reg_creds_clear(struct reg_creds *c);

/* --- Challenges (RFC 7235 as registries send them) ------------------------ */

struct reg_challenge {
	char *scheme;	/* lowercased: "basic", "bearer" */
	char *realm;
	char *service;
	char *scope;
	char *error;	/* "insufficient_scope", ... */
};

#define REG_CHALLENGE_INIT { NULL, NULL, NULL, NULL, NULL }

/* The first challenge of a WWW-Authenticate value that kiln can answer
 * (Bearer before Basic when both are offered): auth-params as token or
 * quoted-string with \-escapes, in any order and case. Input error for a
 * value kiln cannot read or with no Basic or Bearer challenge in it. */
int reg_challenge_parse(const char *value, struct reg_challenge *c, struct kerr *err);
void reg_challenge_clear(struct reg_challenge *c);

/* --- Tokens -------------------------------------------------------------- */

/* Bearer tokens of one registry, cached per scope for their lifetime. */
struct reg_token {
	char *scope;
	char *token;
	long expires;	/* CLOCK_MONOTONIC seconds */
};

struct reg_tokens {
	struct reg_token *v;
	size_t n, alloc;
	char *registry;		/* "reg:5000" for messages; NULL: the challenge's service */
	bool plain_http;	/* the registry is reached over plain HTTP, so may its realm be */
};

#define REG_TOKENS_INIT { NULL, 0, 0, NULL, false }

/* an empty cache for the tokens of registry (copied), which is reached
 * over plain HTTP or not; REG_TOKENS_INIT is one that allows only https
 * realms and names the registry by the challenge's service */
void reg_tokens_init(struct reg_tokens *cache, const char *registry, bool plain_http);

/*
 * A token for scope ("repository:library/busybox:pull" or several scopes
 * separated by spaces) from the challenge's realm: GET
 * realm?service=S&scope=A&scope=B with Basic credentials when there are any
 * (the realm must be https unless the registry itself is reached over plain
 * HTTP: cache->plain_http); with an identity token, POST the OAuth2
 * refresh_token form instead.
 * Reads "token" or "access_token", "expires_in" (default 60 s), and caches
 * the token; a cached one that has not expired is returned without asking.
 * A 401/403 from the realm is an input error: "authentication failed for
 * reg:5000 (user alice): 401 Unauthorized" with the realm's error message
 * when it sent one (reg:5000 is cache->registry). scope NULL: the
 * challenge's. *token points into the cache until its next change.
 */
int reg_token_get(struct http_client *http, struct reg_tokens *cache,
		  const struct reg_challenge *ch, const char *scope,
		  const struct reg_creds *creds, const char **token, struct kerr *err);
/* forgets the cached token of scope (after the registry refused it) */
void reg_token_drop(struct reg_tokens *cache, const char *scope);
void reg_tokens_clear(struct reg_tokens *cache);

/* "Authorization: Basic base64(user:password)"; caller frees */
char *reg_basic_header(const struct reg_creds *c);

/* --- TLS files per registry ---------------------------------------------- */

/*
 * Fills t for a registry "host[:port]": verify on unless insecure; every
 * *.crt of the registry's folder as a CA (with ca.crt), and a client
 * certificate pair NAME.cert + NAME.key (docker's layout), looked for in
 * $XDG_CONFIG_HOME/kiln/certs.d/HOST[:PORT] (else ~/.config/kiln/...),
 * ~/.config/containers/certs.d, /etc/containers/certs.d and
 * /etc/docker/certs.d, the first folder that exists winning. A .cert
 * without its .key is an input error naming the file.
 */
int reg_tls_files(const char *registry, bool insecure, struct http_tls *t, struct kerr *err);

/*
 * Whether a registry is on the insecure list: "insecure-registries" of
 * kiln's config file ($XDG_CONFIG_HOME/kiln/config.json, else
 * ~/.config/kiln/config.json, docker's daemon.json key:
 * {"insecure-registries": ["reg:5000", "10.0.0.0/8"]}), entries as host,
 * host:port or CIDR block. Such a registry is tried over HTTPS without
 * verification, then over plain HTTP, as docker does. 1 yes, 0 no, -1 with
 * an input error naming the file when it is not valid JSON of that shape.
 */
int reg_insecure(const char *registry, struct kerr *err);

#endif
