/* test-token.c: the Bearer token flow against a scripted token server on
 * 127.0.0.1: "token" and "access_token", the cache and its expiry, Basic
 * credentials, the refresh-token POST, and refusals as one-line errors. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "registry/authtest.h"
#include "util/cleanup.h"

struct server {
	pid_t pid;
	int port;
	char *dir;
	char *log;	/* what the server was asked, one block per request */
	char *realm;	/* http://127.0.0.1:PORT/token */
};

/* reads one request from fd: head up to the blank line, then its body */
static void read_request(int fd, struct strbuf *head, struct strbuf *body)
{
	char c;
	const char *cl;
	long len = 0;

	while (!strstr(head->buf, "\r\n\r\n") && read(fd, &c, 1) == 1)
		strbuf_addch(head, c);
	for (cl = head->buf; (cl = strchr(cl, '\n')); cl++)
		if (!strncasecmp(cl + 1, "content-length:", 15))
			len = strtol(cl + 16, NULL, 10);
	while (len-- > 0 && read(fd, &c, 1) == 1)
		strbuf_addch(body, c);
}

/* the value of header name in a raw head, "-" when absent; caller frees */
static char *header(const char *head, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = head; (p = strchr(p, '\n')); p++)
		if (!strncasecmp(p + 1, name, n) && p[1 + n] == ':')
			return xstrndup(p + 2 + n + strspn(p + 2 + n, " "),
					strcspn(p + 2 + n + strspn(p + 2 + n, " "), "\r\n"));
	return xstrdup("-");
}

/* serves each response of the NULL-terminated list to one connection, in
 * order, logging "REQUEST-LINE\nauth: ..\ntype: ..\nbody: ..\n" for each */
static void serve(int lfd, const char *log, const char *const *responses)
{
	for (; *responses; responses++) {
		struct strbuf head = STRBUF_INIT, body = STRBUF_INIT;
		int fd = accept(lfd, NULL, NULL);
		char *auth, *type, *entry;
		FILE *f;

		if (fd < 0)
			_exit(1);
		read_request(fd, &head, &body);
		auth = header(head.buf, "authorization");
		type = header(head.buf, "content-type");
		entry = xasprintf("%.*s\nauth: %s\ntype: %s\nbody: %s\n",
				  (int)strcspn(head.buf, "\r\n"), head.buf, auth, type, body.buf);
		f = fopen(log, "a");
		fputs(entry, f);
		fclose(f);
		if (write(fd, *responses, strlen(*responses)) < 0)
			_exit(1);
		close(fd);
		free(auth);
		free(type);
		free(entry);
		strbuf_release(&head);
		strbuf_release(&body);
	}
	_exit(0);
}

static void server_start(struct server *s, const char *const *responses)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	s->dir = tmpdir_make();
	s->log = xasprintf("%s/log", s->dir);
	s->realm = xasprintf("http://127.0.0.1:%d/token", s->port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0)
		serve(lfd, s->log, responses);
	close(lfd);
}

/* everything the server was asked; "" when nothing */
static char *server_log(const struct server *s)
{
	int fd = open(s->log, O_RDONLY | O_CLOEXEC);
	char *r;

	if (fd < 0)
		return xstrdup("");
	r = slurp_fd(fd);
	close(fd);
	return r;
}

static void server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	tmpdir_remove(s->dir);
	free(s->log);
	free(s->realm);
}

static char *ok(const char *json)
{
	return xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(json), json);
}

static char *status(const char *line, const char *body)
{
	return xasprintf("HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 line, strlen(body), body);
}

struct fixture {
	struct http_client http;
	struct reg_tokens cache;
	struct reg_challenge ch;
	struct server srv;
	char *resp[4];
};

static void start(struct fixture *f, char *r0, char *r1, char *r2)
{
	memset(f, 0, sizeof(*f));
	f->resp[0] = r0;
	f->resp[1] = r1;
	f->resp[2] = r2;
	server_start(&f->srv, (const char *const *)f->resp);
	http_client_init(&f->http);
	f->http.retries = 0;
	f->http.connect_timeout_ms = 5000;
	f->http.stall_timeout_ms = 5000;
	reg_tokens_init(&f->cache, "reg:5000", true);
	f->ch.scheme = xstrdup("bearer");
	f->ch.realm = xstrdup(f->srv.realm);
	f->ch.service = xstrdup("reg.test");
}

static void stop(struct fixture *f)
{
	http_client_release(&f->http);
	reg_tokens_clear(&f->cache);
	reg_challenge_clear(&f->ch);
	server_stop(&f->srv);
	for (int i = 0; i < 4; i++)
		free(f->resp[i]);
}

static void expect_log(const struct fixture *f, const char *want)
{
	char *got = server_log(&f->srv);

	assert_string_equal(got, want);
	free(got);
}

static void test_token_and_cache(void **state)
{
	struct fixture f;
	struct kerr err = KERR_INIT;
	const char *tok = NULL;

	(void)state;
	start(&f, ok("{\"token\":\"t1\",\"access_token\":\"other\",\"expires_in\":300}"),
	      ok("{\"access_token\":\"a1\"}"), NULL);
	must(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a/b:pull repository:c:pull",
			   NULL, &tok, &err), &err);
	assert_string_equal(tok, "t1");
	expect_log(&f, "GET /token?service=reg.test&scope=repository%3Aa%2Fb%3Apull"
		       "&scope=repository%3Ac%3Apull HTTP/1.1\nauth: -\ntype: -\nbody: \n");
	/* again: from the cache, the server is not asked */
	must(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a/b:pull repository:c:pull",
			   NULL, &tok, &err), &err);
	assert_string_equal(tok, "t1");
	assert_int_equal(f.cache.n, 1);
	/* another scope is another token; "access_token" without "token",
	 * and no expires_in: the default 60 s keeps it cached */
	f.ch.scope = xstrdup("repository:x:pull");
	must(reg_token_get(&f.http, &f.cache, &f.ch, NULL, NULL, &tok, &err), &err);
	assert_string_equal(tok, "a1");
	must(reg_token_get(&f.http, &f.cache, &f.ch, "repository:x:pull", NULL, &tok, &err), &err);
	assert_string_equal(tok, "a1");
	must(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a/b:pull repository:c:pull",
			   NULL, &tok, &err), &err);
	assert_string_equal(tok, "t1");
	expect_log(&f, "GET /token?service=reg.test&scope=repository%3Aa%2Fb%3Apull"
		       "&scope=repository%3Ac%3Apull HTTP/1.1\nauth: -\ntype: -\nbody: \n"
		       "GET /token?service=reg.test&scope=repository%3Ax%3Apull HTTP/1.1\n"
		       "auth: -\ntype: -\nbody: \n");
	stop(&f);
}

static void test_expiry_and_drop(void **state)
{
	struct fixture f;
	struct kerr err = KERR_INIT;
	const char *tok = NULL;
	char *log;

	(void)state;
	start(&f, ok("{\"token\":\"e1\",\"expires_in\":2}"),
	      ok("{\"token\":\"e2\",\"expires_in\":600}"), ok("{\"token\":\"e3\"}"));
	/* a token about to end is used once, not cached for the next call */
	must(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), &err);
	assert_string_equal(tok, "e1");
	must(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), &err);
	assert_string_equal(tok, "e2");
	assert_int_equal(f.cache.n, 1);
	must(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), &err);
	assert_string_equal(tok, "e2");
	/* dropped after the registry refused it: asked again */
	reg_token_drop(&f.cache, "s");
	reg_token_drop(&f.cache, "not-there");
	assert_int_equal(f.cache.n, 0);
	must(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), &err);
	assert_string_equal(tok, "e3");
	log = server_log(&f.srv);
	assert_int_equal(strlen(log), 3 * strlen("GET /token?service=reg.test&scope=s HTTP/1.1\n"
						 "auth: -\ntype: -\nbody: \n"));
	free(log);
	stop(&f);
}

static void test_basic_creds_refused(void **state)
{
	struct fixture f;
	struct kerr err = KERR_INIT;
	struct reg_creds c = REG_CREDS_INIT;
	const char *tok = NULL;

	(void)state;
	start(&f, status("401 Unauthorized", "{\"details\":\"incorrect username or password\"}"),
	      status("403 Forbidden", "{\"errors\":[{\"code\":\"DENIED\",\"message\":"
				      "\"requested access to the resource is denied\"}]}"),
	      status("401 Unauthorized", "no\n"));
	c.username = xstrdup("alice");
	c.password = xstrdup("wrong");
	assert_int_equal(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a:pull", &c, &tok,
				       &err), -1);
	assert_string_equal(err.msg, "authentication failed for reg:5000 (user alice): "
			    "401 Unauthorized: incorrect username or password");
	assert_int_equal(kerr_exit_code(&err), 2);
	expect_log(&f, "GET /token?service=reg.test&scope=repository%3Aa%3Apull&account=alice "
		       "HTTP/1.1\nauth: Basic YWxpY2U6d3Jvbmc=\ntype: -\nbody: \n");
	assert_int_equal(f.cache.n, 0);
	/* distribution's error body */
	assert_int_equal(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a:pull", &c, &tok,
				       &err), -1);
	assert_string_equal(err.msg, "authentication failed for reg:5000 (user alice): "
			    "403 Forbidden: requested access to the resource is denied");
	/* anonymous, plain text, and a cache without a registry name */
	free(f.cache.registry);
	f.cache.registry = NULL;
	assert_int_equal(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a:pull", NULL, &tok,
				       &err), -1);
	assert_string_equal(err.msg, "authentication failed for reg.test (anonymous): "
			    "401 Unauthorized: no");
	kerr_clear(&err);
	reg_creds_clear(&c);
	stop(&f);
}

static void test_refresh_token(void **state)
{
	struct fixture f;
	struct kerr err = KERR_INIT;
	struct reg_creds c = REG_CREDS_INIT;
	const char *tok = NULL;

	(void)state;
	start(&f, ok("{\"access_token\":\"o1\",\"expires_in\":120,\"refresh_token\":\"rt2\"}"),
	      NULL, NULL);
	c.username = xstrdup("<token>");
	c.password = xstrdup("");
	c.identity_token = xstrdup("rt/1+");
	must(reg_token_get(&f.http, &f.cache, &f.ch, "repository:a:pull,push", &c, &tok, &err),
	     &err);
	assert_string_equal(tok, "o1");
	expect_log(&f, "POST /token HTTP/1.1\nauth: -\n"
		       "type: application/x-www-form-urlencoded\n"
		       "body: grant_type=refresh_token&refresh_token=rt%2F1%2B&client_id=kiln"
		       "&service=reg.test&scope=repository%3Aa%3Apull%2Cpush\n");
	reg_creds_clear(&c);
	stop(&f);
}

static void test_bad_answers(void **state)
{
	struct fixture f;
	struct kerr err = KERR_INIT;
	const char *tok = NULL;

	(void)state;
	start(&f, ok("{\"expires_in\":10}"), ok("not json"),
	      status("500 Internal Server Error", ""));
	assert_int_equal(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "without a token"));
	assert_int_equal(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "invalid JSON"));
	assert_non_null(strstr(err.msg, f.srv.realm));
	assert_int_equal(reg_token_get(&f.http, &f.cache, &f.ch, "s", NULL, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "500 Internal Server Error"));
	assert_int_equal(kerr_exit_code(&err), 1);
	kerr_clear(&err);
	stop(&f);
}

/* the realm's query is kept; a redirect is followed */
static void test_realm_query_and_redirect(void **state)
{
	struct fixture f;
	struct kerr err = KERR_INIT;
	const char *tok = NULL;

	(void)state;
	start(&f, status("302 Found\r\nLocation: /elsewhere", ""), ok("{\"token\":\"r1\"}"),
	      NULL);
	free(f.ch.realm);
	f.ch.realm = xasprintf("%s?a=1", f.srv.realm);
	free(f.ch.service);
	f.ch.service = NULL;
	must(reg_token_get(&f.http, &f.cache, &f.ch, "", NULL, &tok, &err), &err);
	assert_string_equal(tok, "r1");
	expect_log(&f, "GET /token?a=1 HTTP/1.1\nauth: -\ntype: -\nbody: \n"
		       "GET /elsewhere HTTP/1.1\nauth: -\ntype: -\nbody: \n");
	stop(&f);
}

static void test_plain_realm_refused(void **state)
{
	struct reg_tokens cache = REG_TOKENS_INIT;
	struct reg_challenge ch = REG_CHALLENGE_INIT;
	struct http_client http;
	struct kerr err = KERR_INIT;
	const char *tok = NULL;

	(void)state;
	http_client_init(&http);
	ch.scheme = xstrdup("bearer");
	ch.realm = xstrdup("http://127.0.0.1:9/token");
	ch.service = xstrdup("reg.test");
	/* an https registry must not send credentials to an http realm */
	assert_int_equal(reg_token_get(&http, &cache, &ch, "s", NULL, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "'http://127.0.0.1:9/token', which is not HTTPS"));
	assert_non_null(strstr(err.msg, "'reg.test'"));
	assert_int_equal(kerr_exit_code(&err), 2);
	free(ch.realm);
	ch.realm = NULL;
	assert_int_equal(reg_token_get(&http, &cache, &ch, "s", NULL, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "without naming a realm"));
	ch.realm = xstrdup("not a url");
	assert_int_equal(reg_token_get(&http, &cache, &ch, "s", NULL, &tok, &err), -1);
	kerr_clear(&err);
	reg_challenge_clear(&ch);
	reg_tokens_clear(&cache);
	http_client_release(&http);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_and_cache),
		cmocka_unit_test(test_expiry_and_drop),
		cmocka_unit_test(test_basic_creds_refused),
		cmocka_unit_test(test_refresh_token),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_realm_query_and_redirect),
		cmocka_unit_test(test_plain_realm_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
