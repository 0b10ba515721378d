/* owners.c: the owners the extractor could not give: a log while a layer
 * is unpacked, a sorted table after, and its file beside the unpacked
 * layer (one NUL-ended record per path, so any path bytes are safe). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer/owners.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define OWNERS_MAGIC "kiln-owners 1\n"

enum { EV_OWNER, EV_GONE, EV_LINK };

static struct layer_owner_rec *push(struct layer_owners *t, const char *path, int kind)
{
	struct layer_owner_rec *r;

	t->v = xgrow(t->v, sizeof(*t->v), t->n + 1, &t->alloc);
	r = &t->v[t->n++];
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	r->kind = kind;
	r->seq = t->seq++;
	return r;
}

void layer_owners_refused(struct layer_owners *t, const char *path, uint32_t uid,
			  uint32_t gid)
{
	struct layer_owner_rec *r = push(t, path, EV_OWNER);

	r->uid = uid;
	r->gid = gid;
}

void layer_owners_replaced(struct layer_owners *t, const char *path)
{
	push(t, path, EV_GONE);
}

void layer_owners_link(struct layer_owners *t, const char *path, const char *target)
{
	push(t, path, EV_LINK)->target = xstrdup(target);
}

static int cmp_event(const void *a, const void *b)
{
	const struct layer_owner_rec *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the first event of path in the sorted log, or n */
static size_t first_of(const struct layer_owners *t, const char *path)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->v[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && !strcmp(t->v[lo].path, path) ? lo : t->n;
}

/* the first event after path's in the sorted log */
static size_t end_of(const struct layer_owners *t, const char *path)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->v[mid].path, path) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* the owner path had just before event seq: a link takes its target's
 * then, which an earlier event decides, so the chain ends */
static const struct layer_owner_rec *owner_at(const struct layer_owners *t, const char *path,
					      size_t seq)
{
	for (;;) {
		size_t first = first_of(t, path), lo = first;
		size_t hi = first < t->n ? end_of(t, path) : first;
		const struct layer_owner_rec *last;

		/* the group is in seq order: the last event before seq */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t->v[mid].seq < seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == first)
			return NULL;
		last = &t->v[lo - 1];
		if (last->kind != EV_LINK)
			return last->kind == EV_OWNER ? last : NULL;
		path = last->target;
		seq = last->seq;
	}
}

void layer_owners_finish(struct layer_owners *t)
{
	struct layer_owner_rec *out;
	size_t n = 0;

	if (!t->n)
		return;
	qsort(t->v, t->n, sizeof(*t->v), cmp_event);
	out = xcalloc(t->n, sizeof(*out));
	for (size_t i = 0; i < t->n; i++) {
		const struct layer_owner_rec *own;

		/* the last word of each path counts */
		if (i + 1 < t->n && !strcmp(t->v[i].path, t->v[i + 1].path))
			continue;
		own = owner_at(t, t->v[i].path, t->v[i].seq + 1);
		if (!own)
			continue;
		out[n] = *own;
		out[n].path = t->v[i].path;	/* moved below */
		out[n].target = NULL;
		out[n].kind = EV_OWNER;
		out[n].seq = n;
		n++;
	}
	/* the paths kept move to out; the log's others go */
	for (size_t i = 0, k = 0; i < t->n; i++) {
		if (k < n && out[k].path == t->v[i].path)
			k++;
		else
			free(t->v[i].path);
		free(t->v[i].target);
	}
	free(t->v);
	t->v = out;
	t->n = t->alloc = n;
	t->seq = n;
}

const struct layer_owner_rec *layer_owners_find(const struct layer_owners *t,
						const char *path)
{
	size_t i = first_of(t, path);

	return i < t->n ? &t->v[i] : NULL;
}

void layer_owners_clear(struct layer_owners *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].target);
	}
	free(t->v);
	*t = (struct layer_owners)LAYER_OWNERS_INIT;
}

int layer_owners_write(const struct layer_owners *t, int fd, const char *what,
		       struct kerr *err)
{
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, OWNERS_MAGIC);
	for (size_t i = 0; i <= t->n; i++) {
		if (sb.len >= 65536 || (i == t->n && sb.len)) {
			if (write_all(fd, sb.buf, sb.len) < 0)
				return kerr_errno(err, errno, "cannot write '%s'", what);
			strbuf_reset(&sb);
		}
		if (i == t->n)
			break;
		strbuf_addf(&sb, "%u %u %s", (unsigned)t->v[i].uid, (unsigned)t->v[i].gid,
			    t->v[i].path);
		strbuf_addch(&sb, '\0');
	}
	return 0;
}

/* an id and the space after it; NULL when there is none */
static const char *number(const char *p, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*p < '0' || *p > '9')
		return NULL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || v > UINT32_MAX || *end != ' ')
		return NULL;
	*out = (uint32_t)v;
	return end + 1;
}

static int parse_record(struct layer_owners *t, const char *rec, const char *what,
			struct kerr *err)
{
	struct layer_owner_rec r = { 0 };
	const char *p = rec;

	if (!(p = number(p, &r.uid)) || !(p = number(p, &r.gid)) || !*p || *p == '/')
		return kerr_set(err, "'%s': bad record %zu", what, t->n + 1);
	if (t->n && strcmp(t->v[t->n - 1].path, p) >= 0)
		return kerr_set(err, "'%s': record %zu is out of order", what, t->n + 1);
	r.path = xstrdup(p);
	r.seq = t->n;
	t->v = xgrow(t->v, sizeof(*t->v), t->n + 1, &t->alloc);
	t->v[t->n++] = r;
	t->seq = t->n;
	return 0;
}

int layer_owners_parse(struct layer_owners *t, const char *buf, size_t len, const char *what,
		       struct kerr *err)
{
	size_t pos = strlen(OWNERS_MAGIC);

	*t = (struct layer_owners)LAYER_OWNERS_INIT;
	if (len < pos || memcmp(buf, OWNERS_MAGIC, pos))
		return kerr_set(err, "'%s': not a kiln owners table", what);
	while (pos < len) {
		const char *nul = memchr(buf + pos, '\0', len - pos);

		if (!nul) {
			kerr_set(err, "'%s': record %zu is cut short", what, t->n + 1);
			goto fail;
		}
		if (parse_record(t, buf + pos, what, err) < 0)
			goto fail;
		pos = (size_t)(nul - buf) + 1;
	}
	return 0;
fail:
	layer_owners_clear(t);
	return -1;
}

int layer_owners_load(struct layer_owners *t, int dirfd, const char *name, struct kerr *err)
{
	cleanup_free char *file = xasprintf("%s.owners", name);
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;

	*t = (struct layer_owners)LAYER_OWNERS_INIT;
	if (read_file_at(dirfd, file, &sb, LAYER_OWNERS_LIMIT, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		kerr_clear(err);
		return 0;
	}
	return layer_owners_parse(t, sb.buf, sb.len, file, err);
}

int layer_owners_store(const struct layer_owners *t, int dirfd, const char *name,
		       struct kerr *err)
{
	cleanup_free char *file = xasprintf("%s.owners", name);
	struct atomic_file af = ATOMIC_FILE_INIT;

	if (!t->n) {
		if (unlinkat(dirfd, file, 0) < 0 && errno != ENOENT)
			return kerr_errno(err, errno, "cannot remove '%s'", file);
		return 0;
	}
	if (atomic_file_open(&af, dirfd, file, 0644, err) < 0)
		return -1;
	if (layer_owners_write(t, af.fd, file, err) < 0) {
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err);
}
