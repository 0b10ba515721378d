/* net.c: TCP for the HTTP client: connecting with a timeout over every
 * address of a name, reads and writes that give up after a stall. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "registry/http-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_format_ms(char *buf, size_t size, int ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%d s", ms / 1000);
	else if (ms > 1000)
		snprintf(buf, size, "%d.%d s", ms / 1000, ms % 1000 / 100);
	else
		snprintf(buf, size, "%d ms", ms);
}

/* strerror as kiln's messages are written: lowercase */
int net_error(struct kerr *err, int errnum)
{
	char *m = xstrdup(strerror(errnum));

	if (m[0] >= 'A' && m[0] <= 'Z' && !(m[1] >= 'A' && m[1] <= 'Z'))
		m[0] = (char)(m[0] + 32);
	kerr_set(err, "%s", m);
	free(m);
	if (err)
		err->errnum = errnum;
	return -1;
}

static int timed_out(struct kerr *err, int ms)
{
	char t[32];

	net_format_ms(t, sizeof(t), ms);
	kerr_set(err, "timed out after %s", t);
	if (err)
		err->errnum = ETIMEDOUT;
	return -1;
}

/* waits for events on fd for up to ms; 0 ready, -1 timed out or failed */
static int wait_fd(int fd, short events, int ms, struct kerr *err)
{
	struct pollfd p = { .fd = fd, .events = events };
	long deadline = now_ms() + ms;

	for (;;) {
		long left = deadline - now_ms();
		int r;

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (!r)
			return timed_out(err, ms);
		if (errno != EINTR)
			return net_error(err, errno);
	}
}

/* one address: a non-blocking connect, then poll until it completes */
static int connect_one(const struct addrinfo *ai, int ms, struct kerr *err)
{
	cleanup_close int fd = -1;
	int one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return net_error(err, errno);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			return net_error(err, errno);
		if (wait_fd(fd, POLLOUT, ms, err) < 0)
			return -1;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return net_error(err, errno);
		if (soerr)
			return net_error(err, soerr);
	}
	/* the request head goes out in one write; Nagle would only delay it */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return steal_fd(&fd);
}

int net_connect(const char *host, const char *port, int timeout_ms, struct kerr *err)
{
	/* no AI_ADDRCONFIG: on a board with nothing but loopback it hides
	 * 127.0.0.1 too, and a local registry is what such a board talks to */
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	struct kerr first = KERR_INIT;
	long deadline = now_ms() + timeout_ms;
	int r, n = 0, fd = -1;

	r = getaddrinfo(host, port, &hints, &res);
	if (r == EAI_SYSTEM) {
		net_error(err, errno);
		return kerr_wrap(err, "cannot resolve '%s'", host);
	}
	if (r) {
		char *m = xstrdup(gai_strerror(r));

		if (m[0] >= 'A' && m[0] <= 'Z')
			m[0] = (char)(m[0] + 32);
		kerr_set(err, "cannot resolve '%s': %s", host, m);
		free(m);
		/* a name that does not exist will not exist on the next try either */
		if (err)
			err->errnum = r == EAI_AGAIN ? EAGAIN : 0;
		return -1;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	/* each address gets an equal share of what is left (at least 2 s), so a
	 * black-holed first address does not use up the whole timeout */
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next, n--) {
		struct kerr e = KERR_INIT;
		long left = deadline - now_ms(), share = left / n;

		if (left <= 0) {
			if (!first.msg)
				timed_out(&first, timeout_ms);
			break;
		}
		if (share < 2000)
			share = left < 2000 ? left : 2000;
		fd = connect_one(ai, (int)share, &e);
		if (fd < 0 && !first.msg)
			first = e;
		else
			kerr_clear(&e);
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		kerr_clear(&first);
		return fd;
	}
	if (err) {
		kerr_clear(err);
		*err = first;
	} else {
		kerr_clear(&first);
	}
	if (err && err->errnum == ETIMEDOUT)
		return timed_out(err, timeout_ms);
	return -1;
}

ssize_t net_recv(int fd, void *buf, size_t len, int stall_ms, struct kerr *err)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return net_error(err, errno);
		if (wait_fd(fd, POLLIN, stall_ms, err) < 0)
			return -1;
	}
}

ssize_t net_send(int fd, const void *buf, size_t len, int stall_ms, struct kerr *err)
{
	for (;;) {
		/* MSG_NOSIGNAL: a peer that went away is an error, not SIGPIPE */
		ssize_t n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return net_error(err, errno);
		if (wait_fd(fd, POLLOUT, stall_ms, err) < 0)
			return -1;
	}
}
