/* httptest.h: what the HTTP client tests share: a scripted server in a
 * forked child on 127.0.0.1, which reports what it saw through a pipe. */
#ifndef KILN_TESTS_REGISTRY_HTTPTEST_H
#define KILN_TESTS_REGISTRY_HTTPTEST_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/strbuf.h"

struct srv {
	pid_t pid;
	int port;
	int report;	/* the parent's end of the child's report pipe */
};

/* the child's side: the listening socket and where to write reports */
struct srv_child {
	int lfd;
	int report;
	void *arg;
};

typedef void (*srv_fn)(struct srv_child *sc);

/* a listening socket on 127.0.0.1 with a port the kernel picked */
static inline int srv_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

/* The child runs fn and exits with 0; it exits non-zero (through
 * srv_check) when what it saw was not what the test expects. */
static inline void srv_start(struct srv *s, srv_fn fn, void *arg)
{
	int p[2];
	int lfd = srv_listen(&s->port);

	if (pipe(p) < 0)
		abort();
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		abort();
	if (!s->pid) {
		struct srv_child sc = { lfd, p[1], arg };

		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		alarm(20);
		fn(&sc);
		_exit(0);
	}
	close(p[1]);
	close(lfd);
	s->report = p[0];
}

/* waits for the child: its exit status, and its reports in out (may be NULL) */
static inline int srv_wait(struct srv *s, struct strbuf *out)
{
	int status = 0;
	char buf[4096];
	ssize_t n;

	while ((n = read(s->report, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && out)
			strbuf_add(out, buf, (size_t)n);
	close(s->report);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline void srv_check(bool ok, int code)
{
	if (!ok)
		_exit(code);
}

static inline void srv_report(struct srv_child *sc, const char *s)
{
	size_t n = strlen(s);

	srv_check(write(sc->report, s, n) == (ssize_t)n, 90);
}

/* the next connection; -1 when none comes within ms */
static inline int srv_accept(struct srv_child *sc, int ms)
{
	struct pollfd p = { .fd = sc->lfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept(sc->lfd, NULL, NULL);
}

static inline void srv_send(int fd, const char *s)
{
	size_t n = strlen(s);

	srv_check(send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n, 91);
}

/* One request: the head and, by its Content-Length, the body; NULL at
 * the end of the stream. Caller frees. */
static inline char *srv_read_request(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	char *end, *cl;
	size_t want;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n <= 0) {
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addch(&sb, c);
		if (sb.len >= 4 && !memcmp(sb.buf + sb.len - 4, "\r\n\r\n", 4))
			break;
	}
	end = sb.buf + sb.len;
	cl = strcasestr(sb.buf, "\r\ncontent-length: ");
	want = cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0;
	while (want) {
		char buf[8192];
		ssize_t n = read(fd, buf, want < sizeof(buf) ? want : sizeof(buf));

		if (n <= 0)
			break;
		strbuf_add(&sb, buf, (size_t)n);
		want -= (size_t)n;
	}
	return strbuf_detach(&sb, NULL);
}

#endif
