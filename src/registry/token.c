/* token.c: Bearer tokens from a registry's token server (docker's GET and
 * the OAuth2 refresh-token POST), cached per scope for their lifetime. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/auth.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

#define TOKEN_BODY_LIMIT (1u << 20)
/* the token spec's default lifetime, when the server names none */
#define TOKEN_DEFAULT_TTL 60
/* a cached token this close to its end is not handed out: a blob request
 * started with it could outlive it */
#define TOKEN_MARGIN 5

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

static void wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void reg_tokens_init(struct reg_tokens *cache, const char *registry, bool plain_http)
{
	*cache = (struct reg_tokens)REG_TOKENS_INIT;
	cache->registry = registry ? xstrdup(registry) : NULL;
	cache->plain_http = plain_http;
}

static struct reg_token *find(struct reg_tokens *cache, const char *scope)
{
	for (size_t i = 0; i < cache->n; i++)
		if (!strcmp(cache->v[i].scope, scope))
			return &cache->v[i];
	return NULL;
}

void reg_token_drop(struct reg_tokens *cache, const char *scope)
{
	struct reg_token *t = find(cache, scope ? scope : "");

	if (!t)
		return;
	free(t->scope);
	wipe(t->token);
	*t = cache->v[--cache->n];
}

void reg_tokens_clear(struct reg_tokens *cache)
{
	for (size_t i = 0; i < cache->n; i++) {
		free(cache->v[i].scope);
		wipe(cache->v[i].token);
	}
	free(cache->v);
	free(cache->registry);
	*cache = (struct reg_tokens)REG_TOKENS_INIT;
}

/* a query or form value, percent-encoded except for unreserved bytes */
static void add_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			strbuf_addch(sb, c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* "&name=value" for each space-separated word of value */
static void add_words(struct strbuf *sb, const char *name, const char *value)
{
	while (*value) {
		size_t n = strcspn(value, " ");

		if (n) {
			char *w = xstrndup(value, n);

			strbuf_addf(sb, "&%s=", name);
			add_escaped(sb, w);
			free(w);
		}
		value += n;
		value += strspn(value, " ");
	}
}

/* What the server said went wrong: distribution's errors[0].message,
 * OAuth2's error_description or error, Docker Hub's details; else a
 * short line of plain text. NULL when there is nothing readable. */
static char *server_message(const struct strbuf *body)
{
	static const char *const keys[] = { "error_description", "details", "message", "error" };
	struct kerr e = KERR_INIT;
	cleanup_json cJSON *v = NULL;
	const cJSON *errs, *m;
	size_t n;

	if (!body->len)
		return NULL;
	v = json_parse(body->buf, body->len, "body", &e);
	kerr_clear(&e);
	if (cJSON_IsObject(v)) {
		errs = cJSON_GetObjectItemCaseSensitive(v, "errors");
		if (cJSON_IsArray(errs) && cJSON_IsObject(cJSON_GetArrayItem(errs, 0))) {
			m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errs, 0), "message");
			if (cJSON_IsString(m) && *m->valuestring)
				return xstrdup(m->valuestring);
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			m = cJSON_GetObjectItemCaseSensitive(v, keys[i]);
			if (cJSON_IsString(m) && *m->valuestring)
				return xstrdup(m->valuestring);
		}
		return NULL;
	}
	if (v)
		return NULL;
	n = body->len;
	while (n && strchr(" \t\r\n", body->buf[n - 1]))
		n--;
	if (!n || n > 200)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)body->buf[i] < 0x20 || (unsigned char)body->buf[i] >= 0x7f)
			return NULL;
	return xstrndup(body->buf, n);
}

/* "user alice", "identity token", "anonymous": who was refused */
static char *who(const struct reg_creds *c)
{
	if (c && c->identity_token)
		return c->username && strcmp(c->username, "<token>") ?
		       xasprintf("user %s, identity token", c->username) :
		       xstrdup("identity token");
	if (c && c->username)
		return xasprintf("user %s", c->username);
	return xstrdup("anonymous");
}

/* the token of a 200 answer and its lifetime */
static int read_answer(const struct strbuf *body, const char *realm, char **token,
		       long *ttl, struct kerr *err)
{
	cleanup_free char *what = xasprintf("token server '%s'", realm);
	cleanup_json cJSON *v = json_parse(body->buf, body->len, what, err);
	const char *t = NULL;
	int64_t expires = 0;

	if (!v)
		return -1;
	if (json_get_string(v, "token", false, &t, err) < 0 ||
	    ((!t || !*t) && json_get_string(v, "access_token", false, &t, err) < 0) ||
	    json_get_int64(v, "expires_in", false, &expires, err) < 0)
		return kerr_wrap(err, "%s", what);
	if (!t || !*t)
		return kerr_set(err, "%s answered without a token", what);
	*token = xstrdup(t);
	/* ten years at most: "now + ttl" must fit a 32-bit long */
	*ttl = expires > 0 && expires < 10L * 365 * 86400 ? (long)expires : TOKEN_DEFAULT_TTL;
	return 0;
}

/* asks the realm for a token; *token and *ttl on success */
static int fetch(struct http_client *http, const struct reg_challenge *ch, const char *scope,
		 const struct reg_creds *creds, const char *name, char **token, long *ttl,
		 struct kerr *err)
{
	cleanup_strbuf struct strbuf url = STRBUF_INIT;
	cleanup_strbuf struct strbuf form = STRBUF_INIT;
	cleanup_strbuf struct strbuf body = STRBUF_INIT;
	cleanup_strvec struct strvec headers = STRVEC_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "GET", .headers = &headers,
				    .body = HTTP_BODY_NONE, .follow_redirects = true };
	cleanup_free char *msg = NULL, *whom = NULL, *line = NULL;
	int status, r;

	strbuf_addstr(&url, ch->realm);
	if (creds && creds->identity_token) {
		/* OAuth2: a refresh token buys an access token */
		req.method = "POST";
		strbuf_addstr(&form, "grant_type=refresh_token&refresh_token=");
		add_escaped(&form, creds->identity_token);
		strbuf_addstr(&form, "&client_id=kiln");
		if (ch->service) {
			strbuf_addstr(&form, "&service=");
			add_escaped(&form, ch->service);
		}
		if (*scope) {
			strbuf_addstr(&form, "&scope=");
			add_escaped(&form, scope);
		}
		req.body = (struct http_body){ form.buf, -1, 0, (int64_t)form.len };
		strvec_push(&headers, "Content-Type: application/x-www-form-urlencoded");
	} else {
		/* docker's GET: one scope parameter per scope */
		struct strbuf q = STRBUF_INIT;

		if (ch->service) {
			strbuf_addstr(&q, "&service=");
			add_escaped(&q, ch->service);
		}
		add_words(&q, "scope", scope);
		if (creds && creds->username) {
			strbuf_addstr(&q, "&account=");
			add_escaped(&q, creds->username);
			strvec_push_nodup(&headers, reg_basic_header(creds));
		}
		if (q.len) {
			q.buf[0] = strchr(ch->realm, '?') ? '&' : '?';
			strbuf_addbuf(&url, &q);
		}
		strbuf_release(&q);
	}
	req.url = url.buf;
	r = http_do(http, &req, &resp, err);
	if (form.len)
		explicit_bzero(form.buf, form.len);
	for (size_t i = 0; i < headers.n; i++)
		explicit_bzero(headers.v[i], strlen(headers.v[i]));
	if (r < 0)
		return kerr_wrap(err, "cannot get a token for %s", name);
	status = resp.head.status;
	r = http_read_all(&resp, &body, TOKEN_BODY_LIMIT, err);
	if (r >= 0 && status == 200) {
		r = read_answer(&body, ch->realm, token, ttl, err);
	} else if (r >= 0) {
		const char *reason = resp.head.reason && *resp.head.reason ? resp.head.reason : NULL;

		msg = server_message(&body);
		whom = who(creds);
		line = xasprintf("%d%s%s%s%s", status, reason ? " " : "", reason ? reason : "",
				 msg ? ": " : "", msg ? msg : "");
		if (status == 401 || status == 403)
			r = kerr_input(err, "authentication failed for %s (%s): %s", name, whom, line);
		else if (status >= 400 && status < 500)
			r = kerr_input(err, "token server '%s' answered %s", ch->realm, line);
		else
			r = kerr_set(err, "token server '%s' answered %s", ch->realm, line);
	}
	explicit_bzero(body.buf, body.len);
	http_response_end(&resp);
	return r < 0 ? -1 : 0;
}

int reg_token_get(struct http_client *http, struct reg_tokens *cache,
		  const struct reg_challenge *ch, const char *scope,
		  const struct reg_creds *creds, const char **token, struct kerr *err)
{
	struct http_url u = HTTP_URL_INIT;
	cleanup_free char *host = NULL;
	struct reg_token *t;
	const char *name;
	char *got = NULL;
	long ttl = 0, now = now_s();
	bool plain;

	if (!scope)
		scope = ch->scope ? ch->scope : "";
	t = find(cache, scope);
	if (t && t->expires - TOKEN_MARGIN > now) {
		*token = t->token;
		return 0;
	}
	if (t)
		reg_token_drop(cache, scope);
	name = cache->registry ? cache->registry : ch->service ? ch->service : NULL;
	if (!ch->realm || !*ch->realm)
		return kerr_input(err, "registry '%s' asks for a token without naming a realm",
				  name ? name : "?");
	if (http_url_parse(ch->realm, &u, err) < 0)
		return kerr_wrap(err, "the token realm of registry '%s'", name ? name : "?");
	plain = strcmp(u.scheme, "https") != 0;
	if (!name)
		name = host = xstrdup(u.host);
	http_url_clear(&u);
	/* credentials go in clear over plain HTTP only where the registry
	 * itself is reached that way */
	if (plain && !cache->plain_http) {
		kerr_input(err, "registry '%s' sends kiln for a token to '%s', which is not HTTPS",
			   name, ch->realm);
		return -1;
	}
	if (fetch(http, ch, scope, creds, name, &got, &ttl, err) < 0)
		return -1;
	cache->v = xgrow(cache->v, sizeof(*cache->v), cache->n + 1, &cache->alloc);
	t = &cache->v[cache->n++];
	t->scope = xstrdup(scope);
	t->token = got;
	t->expires = now + ttl;
	*token = t->token;
	return 0;
}
