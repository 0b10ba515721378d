/* repo.c: one repository of a registry: which scheme reaches it, which
 * credentials it gets, and requests that answer a 401 by authenticating. */
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

const char *reg_api_host(const char *registry)
{
	return strcmp(registry, IMG_REF_DEFAULT_DOMAIN) ? registry : "registry-1.docker.io";
}

static const struct http_tls *repo_tls(void *arg, const char *authority)
{
	(void)authority;
	return &((struct reg_repo *)arg)->tls;
}

void reg_conn_init(struct reg_conn *c, struct reg_repo *r)
{
	c->repo = r;
	http_client_init(&c->http);
	c->http.tls_for = repo_tls;
	c->http.tls_arg = r;
}

void reg_conn_release(struct reg_conn *c)
{
	http_client_release(&c->http);
}

/* GET /v2/ at base: 0 and the response's status, or -1 when the server
 * cannot be reached there */
static int ping(struct reg_conn *c, const char *base, int *status, struct kerr *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "GET", .body = HTTP_BODY_NONE };
	cleanup_free char *url = xasprintf("%s/v2/", base);
	struct reg_repo *r = c->repo;
	const char *www;

	req.url = url;
	req.follow_redirects = true;
	if (http_do(&c->http, &req, &resp, err) < 0)
		return -1;
	*status = resp.head.status;
	www = http_head_get(&resp.head, "www-authenticate");
	if (*status == 401 && www) {
		struct reg_challenge ch = REG_CHALLENGE_INIT;

		if (reg_challenge_parse(www, &ch, err) < 0) {
			http_response_end(&resp);
			return kerr_wrap(err, "%s/v2/", base);
		}
		reg_challenge_clear(&r->challenge);
		r->challenge = ch;
	}
	http_response_end(&resp);
	return 0;
}

/* the registry's /v2/ over HTTPS, or over plain HTTP when it is insecure
 * and HTTPS is not there: sets r->base and r->plain */
static int reach(struct reg_repo *r, bool insecure, struct kerr *err)
{
	const char *host = reg_api_host(r->registry);
	struct reg_conn c;
	char *https = xasprintf("https://%s", host);
	int status = 0, rc;

	reg_conn_init(&c, r);
	/* a dead address is retried by the HTTP client; one failure of the
	 * whole exchange is enough to fall back */
	rc = IS_ENABLED(CONFIG_REG_TLS) ? ping(&c, https, &status, err) : -1;
	if (rc < 0 && !IS_ENABLED(CONFIG_REG_TLS))
		kerr_input(err, "https is not in this build (CONFIG_REG_TLS=n)");
	if (rc < 0 && insecure) {
		char *http = xasprintf("http://%s", host);

		log_debug("%s: HTTPS failed (%s); trying plain HTTP", r->registry, err->msg);
		kerr_clear(err);
		rc = ping(&c, http, &status, err);
		if (rc >= 0) {
			free(https);
			https = http;
			r->plain = true;
		} else {
			free(http);
		}
	}
	reg_conn_release(&c);
	if (rc < 0) {
		free(https);
		if (!insecure && IS_ENABLED(CONFIG_REG_TLS))
			kerr_wrap(err, "cannot reach registry '%s' (a plain-HTTP registry needs "
				  "--tls-verify=false or the insecure-registries list)", r->registry);
		else
			kerr_wrap(err, "cannot reach registry '%s'", r->registry);
		return -1;
	}
	r->base = https;
	if (status != 200 && status != 401) {
		return kerr_set(err, "registry '%s': %s/v2/ answered %d: not a registry", r->registry,
				r->base, status);
	}
	return 0;
}

/* given: credentials to use instead of --creds and the stored ones */
static int repo_init(struct reg_repo *r, const char *registry, const char *path, bool push,
		     const struct reg_opts *o, const struct reg_creds *given, struct kerr *err)
{
	int insecure;

	memset(r, 0, sizeof(*r));
	r->tls = (struct http_tls)HTTP_TLS_INIT;
	r->tokens = (struct reg_tokens)REG_TOKENS_INIT;
	pthread_mutex_init(&r->lock, NULL);
	r->registry = xstrdup(registry);
	r->path = path ? xstrdup(path) : NULL;
	if (path)
		r->scope = xasprintf("repository:%s:%s", path, push ? "pull,push" : "pull");
	insecure = o->tls_verify == 0 ? 1 : o->tls_verify == 1 ? 0 : reg_insecure(registry, err);
	if (insecure < 0)
		return -1;
	if (reg_tls_files(registry, insecure, &r->tls, err) < 0)
		return -1;
	if (given) {
		r->creds.username = given->username ? xstrdup(given->username) : NULL;
		r->creds.password = given->password ? xstrdup(given->password) : NULL;
		r->creds.identity_token = given->identity_token ?
					  xstrdup(given->identity_token) : NULL;
	} else if (o->creds) {
		if (reg_creds_parse(o->creds, &r->creds, err) < 0)
			return kerr_wrap(err, "--creds");
	} else if (reg_creds_lookup(registry, &r->creds, err) < 0) {
		return -1;
	}
	if (reach(r, insecure, err) < 0)
		return -1;
	reg_tokens_init(&r->tokens, registry, r->plain);
	return 0;
}

int reg_repo_open(struct reg_repo *r, const struct img_ref *ref, bool push,
		  const struct reg_opts *o, struct kerr *err)
{
	return repo_init(r, ref->domain, ref->path, push, o, NULL, err);
}

int reg_login_check(const char *registry, const struct reg_creds *creds,
		    const struct reg_opts *o, struct kerr *err)
{
	struct reg_repo r;
	struct reg_conn c;
	struct http_response resp = HTTP_RESPONSE_INIT;
	int rc;

	rc = repo_init(&r, registry, NULL, false, o, creds, err);
	reg_conn_init(&c, &r);
	/* a registry that lets anyone in takes any credentials, as docker
	 * says "Login Succeeded" there too */
	if (rc >= 0 && r.challenge.scheme) {
		/* any 401 now means the credentials were refused */
		rc = reg_do(&c, "GET", "/v2/", NULL, (struct http_body)HTTP_BODY_NONE, true,
			    &resp, err);
		if (rc >= 0 && resp.head.status != 200)
			rc = reg_status_error(&resp, "GET /v2/", err);
		else if (rc >= 0)
			http_response_end(&resp);
	}
	reg_conn_release(&c);
	reg_repo_close(&r);
	return rc < 0 ? kerr_wrap(err, "login to '%s' failed", registry) : 0;
}

void reg_repo_close(struct reg_repo *r)
{
	free(r->registry);
	free(r->path);
	free(r->base);
	free(r->scope);
	http_tls_clear(&r->tls);
	reg_creds_clear(&r->creds);
	reg_challenge_clear(&r->challenge);
	reg_tokens_clear(&r->tokens);
	free(r->auth);
	pthread_mutex_destroy(&r->lock);
	memset(r, 0, sizeof(*r));
}

/* the scopes a token is asked for: the repository's, and the one the
 * registry named when it differs (a mount from another repository) */
static char *token_scope(const struct reg_repo *r, const struct reg_challenge *ch)
{
	if (!r->scope)
		return xstrdup(ch->scope ? ch->scope : "");
	if (ch->scope && strcmp(ch->scope, r->scope) && !strstr(r->scope, ch->scope))
		return xasprintf("%s %s", r->scope, ch->scope);
	return xstrdup(r->scope);
}

/* After a 401 (or before the first request, when /v2/ told how) to a
 * request sent with auth generation gen: a new Authorization line, unless
 * another thread made one meanwhile. Takes ch; called with r->lock held. */
static int authenticate(struct reg_conn *c, struct reg_challenge *ch, unsigned gen,
			struct kerr *err)
{
	struct reg_repo *r = c->repo;
	cleanup_free char *scope = NULL;
	const char *token;
	int rc = 0;

	if (gen != r->auth_gen) {
		reg_challenge_clear(ch);
		return 0;
	}
	if (!strcmp(ch->scheme, "basic")) {
		if (!r->creds.username) {
			rc = kerr_input(err, "registry '%s' wants a user name and password "
					"(kiln login %s, or --creds)", r->registry, r->registry);
		} else if (r->auth && !strncmp(r->auth, "Authorization: Basic ", 21)) {
			/* the same credentials again would get the same answer */
			rc = kerr_input(err, "authentication failed for %s (user %s)", r->registry,
					r->creds.username);
		} else {
			free(r->auth);
			r->auth = reg_basic_header(&r->creds);
		}
	} else {
		scope = token_scope(r, ch);
		if (r->auth)
			reg_token_drop(&r->tokens, scope);
		rc = reg_token_get(&c->http, &r->tokens, ch, scope,
				   r->creds.username || r->creds.identity_token ? &r->creds : NULL,
				   &token, err);
		if (rc >= 0) {
			free(r->auth);
			r->auth = xasprintf("Authorization: Bearer %s", token);
		}
	}
	if (ch != &r->challenge) {
		reg_challenge_clear(&r->challenge);
		r->challenge = *ch;
		*ch = (struct reg_challenge)REG_CHALLENGE_INIT;
	}
	if (rc >= 0)
		r->auth_gen++;
	return rc;
}

static char *request_url(const struct reg_repo *r, const char *path)
{
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		return xstrdup(path);
	if (path[0] == '/')
		return xasprintf("%s%s", r->base, path);
	return xasprintf("%s/v2/%s/%s", r->base, r->path, path);
}

int reg_do(struct reg_conn *c, const char *method, const char *path,
	   const struct strvec *headers, struct http_body body, bool follow,
	   struct http_response *resp, struct kerr *err)
{
	struct reg_repo *r = c->repo;
	cleanup_free char *url = request_url(r, path);
	int rc = 0;

	/* /v2/ said how to authenticate: do it before the first request
	 * instead of after its 401 */
	pthread_mutex_lock(&r->lock);
	if (!r->auth && r->challenge.scheme)
		rc = authenticate(c, &r->challenge, r->auth_gen, err);
	pthread_mutex_unlock(&r->lock);
	if (rc < 0)
		return kerr_wrap(err, "%s %s", method, url);
	for (int tries = 0;; tries++) {
		struct strvec hv = STRVEC_INIT;
		struct http_request req = { .method = method, .url = url, .body = body,
					    .follow_redirects = follow, .headers = &hv };
		struct reg_challenge ch = REG_CHALLENGE_INIT;
		const char *www;
		unsigned gen;

		for (size_t i = 0; headers && i < headers->n; i++)
			strvec_push(&hv, headers->v[i]);
		pthread_mutex_lock(&r->lock);
		gen = r->auth_gen;
		if (r->auth)
			strvec_push(&hv, r->auth);
		pthread_mutex_unlock(&r->lock);
		*resp = (struct http_response)HTTP_RESPONSE_INIT;
		rc = http_do(&c->http, &req, resp, err);
		strvec_clear(&hv);
		if (rc < 0)
			return -1;
		if (resp->head.status != 401 || tries == 2)
			return 0;
		www = http_head_get(&resp->head, "www-authenticate");
		rc = www ? reg_challenge_parse(www, &ch, err) :
			   kerr_set(err, "answered 401 without a challenge");
		http_response_end(resp);
		if (rc >= 0) {
			pthread_mutex_lock(&r->lock);
			rc = authenticate(c, &ch, gen, err);
			pthread_mutex_unlock(&r->lock);
		}
		reg_challenge_clear(&ch);
		if (rc < 0)
			return kerr_wrap(err, "%s %s", method, url);
	}
}

/* "CODE: message" of distribution's {"errors": [...]} body, or NULL */
static char *error_detail(const struct strbuf *body)
{
	struct kerr e = KERR_INIT;
	cleanup_json cJSON *v = json_parse(body->buf, body->len, "error", &e);
	const cJSON *errs, *first;
	const char *code = NULL, *msg = NULL;

	kerr_clear(&e);
	if (!v || json_get_array(v, "errors", true, &errs, &e) < 0 ||
	    !(first = cJSON_GetArrayItem(errs, 0)) || !cJSON_IsObject(first)) {
		kerr_clear(&e);
		return NULL;
	}
	json_get_string(first, "code", false, &code, &e);
	json_get_string(first, "message", false, &msg, &e);
	kerr_clear(&e);
	if (!code && !msg)
		return NULL;
	return xasprintf("%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
}

int reg_status_error(struct http_response *resp, const char *what, struct kerr *err)
{
	struct strbuf body = STRBUF_INIT;
	struct kerr e = KERR_INIT;
	cleanup_free char *detail = NULL;
	cleanup_free char *reason = xstrdup(resp->head.reason ? resp->head.reason : "");
	int status = resp->head.status;
	size_t n;

	/* a bounded look at the body: the error, not a page of HTML */
	if (http_read_all(resp, &body, 16 << 10, &e) < 0)
		strbuf_reset(&body);
	kerr_clear(&e);
	http_response_end(resp);
	detail = error_detail(&body);
	if (!detail) {
		n = strcspn(body.buf, "\r\n");
		if (n > 200)
			n = 200;
		if (n && body.buf[0] != '<' && body.buf[0] != '{')
			detail = xstrndup(body.buf, n);
	}
	strbuf_release(&body);
	/* refused credentials are the user's to fix */
	if (status == 401 || status == 403)
		return kerr_input(err, "%s: %d %s%s%s", what, status, reason, detail ? ": " : "",
				  detail ? detail : "");
	return kerr_set(err, "%s: %d %s%s%s", what, status, reason, detail ? ": " : "",
			detail ? detail : "");
}
