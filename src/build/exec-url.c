/* exec-url.c: ADD of an http(s) URL: the body fetched once per build into
 * an unlinked file, checked against --checksum, its name and Last-Modified
 * kept for the copy; the step's key takes the body's digest, so a changed
 * file is a cache miss and an unchanged one a hit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build/exec.h"
#include "registry/http.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct exec_url {
	char *url;
	char *checksum;		/* as given, or NULL */
	int fd;
	char *name;
	time_t mtime;
	char digest[DIGEST_STR_LEN];
};

/* the file name a URL gives: Content-Disposition's filename, else the last
 * segment of its path; NULL when neither says */
static char *url_name(const struct http_response *resp)
{
	const char *cd = http_head_get(&resp->head, "content-disposition");
	const char *t = resp->url.target, *end, *p;

	if (cd && (p = strstr(cd, "filename=")) != NULL) {
		p += 9;
		if (*p == '"')
			p++;
		end = p + strcspn(p, "\";");
		if (end > p && !memchr(p, '/', (size_t)(end - p)) &&
		    !(end - p <= 2 && p[0] == '.' && (end - p == 1 || p[1] == '.')))
			return xstrndup(p, (size_t)(end - p));
	}
	end = t + strcspn(t, "?#");
	for (p = end; p > t && p[-1] != '/'; p--)
		;
	if (p == end || (end - p == 1 && *p == '.') || (end - p == 2 && !strncmp(p, "..", 2)))
		return NULL;
	return xstrndup(p, (size_t)(end - p));
}

/* Last-Modified (IMF-fixdate), else 0 */
static time_t last_modified(const struct http_response *resp)
{
	const char *v = http_head_get(&resp->head, "last-modified");
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (!v || !(end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) || *end)
		return 0;
	return timegm(&tm);
}

static int fetch(struct build *b, struct exec_url *u, struct kerr *err)
{
	struct http_client http;
	struct http_request req = { .method = "GET", .url = u->url, .body = HTTP_BODY_NONE,
				    .follow_redirects = true };
	struct http_response resp = HTTP_RESPONSE_INIT;
	cleanup_free char *buf = xmalloc(64 << 10);
	struct sha256 h;
	unsigned char sum[SHA256_LEN];
	ssize_t n;
	int r;

	u->fd = openat(b->st.ingestfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (u->fd < 0)
		return kerr_errno(err, errno, "cannot create a file in '%s/kiln/ingest'", b->st.root);
	http_client_init(&http);
	r = http_do(&http, &req, &resp, err);
	if (r >= 0 && resp.head.status != 200) {
		r = kerr_set(err, "%d %s", resp.head.status,
			     resp.head.reason ? resp.head.reason : "");
		http_response_end(&resp);
	}
	if (r < 0) {
		http_client_release(&http);
		return -1;
	}
	u->name = url_name(&resp);
	u->mtime = last_modified(&resp);
	sha256_init(&h);
	while ((n = http_read(&resp, buf, 64 << 10, err)) > 0) {
		sha256_update(&h, buf, (size_t)n);
		if (write_all(u->fd, buf, (size_t)n) < 0) {
			r = kerr_errno(err, errno, "cannot write in '%s/kiln/ingest'", b->st.root);
			break;
		}
	}
	if (n < 0)
		r = -1;
	sha256_final(&h, sum);
	digest_format(sum, u->digest);
	http_response_end(&resp);
	http_client_release(&http);
	if (r < 0)
		return -1;
	if (u->checksum && strcmp(u->checksum, u->digest))
		return kerr_set(err, "--checksum=%s, but the file's digest is %s", u->checksum,
				u->digest);
	return 0;
}

int exec_url_get(struct build *b, const char *url, const char *checksum,
		 const struct exec_url **out, struct kerr *err)
{
	struct exec_url *u;

	if (checksum && (strncmp(checksum, "sha256:", 7) || strlen(checksum) != 7 + 64 ||
			 strspn(checksum + 7, "0123456789abcdef") != 64))
		return kerr_input(err, "--checksum=%s: expected sha256: and 64 lowercase hex "
				  "digits", checksum);
	for (size_t i = 0; i < b->nurls; i++) {
		u = b->urls[i];
		if (!strcmp(u->url, url) && !strcmp(u->checksum ? u->checksum : "",
						    checksum ? checksum : "")) {
			*out = u;
			return 0;
		}
	}
	u = xcalloc(1, sizeof(*u));
	u->url = xstrdup(url);
	u->checksum = checksum ? xstrdup(checksum) : NULL;
	u->fd = -1;
	if (fetch(b, u, err) < 0) {
		exec_url_free(u);
		return kerr_wrap(err, "%s", url);
	}
	b->urls = xrealloc(b->urls, (b->nurls + 1) * sizeof(*b->urls));
	b->urls[b->nurls++] = u;
	*out = u;
	return 0;
}

int exec_url_fd(const struct exec_url *u)
{
	return u->fd;
}

const char *exec_url_name(const struct exec_url *u)
{
	return u->name;
}

const char *exec_url_digest(const struct exec_url *u)
{
	return u->digest;
}

time_t exec_url_mtime(const struct exec_url *u)
{
	return u->mtime;
}

void exec_url_free(struct exec_url *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	free(u->url);
	free(u->checksum);
	free(u->name);
	free(u);
}
