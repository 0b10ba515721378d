/* tar-read.c: tar headers to struct tar_entry: checksums, PAX and GNU
 * extension headers, and every number and path checked before use. */
#include <stdlib.h>
#include <string.h>

#include "layer/tar-pax.h"
#include "layer/tar-read.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/xalloc.h"

struct tar_reader {
	tar_source_fn fn;
	void *ctx;
	struct tar_limits lim;
	uint64_t left;		/* content of the current entry not yet read */
	uint64_t pad;		/* then padding to the next block */
	int done;
	unsigned long long count;
	char *cur;		/* the current entry's path, for errors */
	char block[TAR_BLOCK];
};

struct tar_reader *tar_reader_new(tar_source_fn fn, void *ctx,
				  const struct tar_limits *limits)
{
	struct tar_reader *r = xcalloc(1, sizeof(*r));
	struct tar_limits def = TAR_LIMITS_INIT;

	r->fn = fn;
	r->ctx = ctx;
	r->lim = limits ? *limits : def;
	return r;
}

void tar_reader_free(struct tar_reader *r)
{
	if (!r)
		return;
	free(r->cur);
	free(r);
}

unsigned long long tar_reader_count(const struct tar_reader *r)
{
	return r->count;
}

static const char *cur_name(const struct tar_reader *r)
{
	return r->cur ? r->cur : "(archive)";
}

/* reads up to len bytes, short only at the end of the stream */
static ssize_t read_full(struct tar_reader *r, void *buf, size_t len, struct kerr *err)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = r->fn(r->ctx, (char *)buf + got, len - got, err);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int skip(struct tar_reader *r, uint64_t n, struct kerr *err)
{
	char buf[8192];

	while (n) {
		size_t want = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		ssize_t got = read_full(r, buf, want, err);

		if (got < 0)
			return -1;
		if ((size_t)got < want)
			return kerr_input(err, "'%s': archive is truncated", cur_name(r));
		n -= want;
	}
	return 0;
}

ssize_t tar_reader_read(struct tar_reader *r, void *buf, size_t len, struct kerr *err)
{
	ssize_t n;

	if (!r->left || !len)
		return 0;
	if (len > r->left)
		len = (size_t)r->left;
	n = r->fn(r->ctx, buf, len, err);
	if (n < 0)
		return -1;
	if (n == 0)
		return kerr_input(err, "'%s': archive is truncated (%llu bytes of content missing)",
				  cur_name(r), (unsigned long long)r->left);
	r->left -= (uint64_t)n;
	return n;
}

static int checksum_ok(const unsigned char *b)
{
	int64_t want;
	long sum_u = 0, sum_s = 0;

	if (tar_number((const char *)b + 148, 8, &want) < 0)
		return 0;
	for (int i = 0; i < TAR_BLOCK; i++) {
		int c = i >= 148 && i < 156 ? ' ' : b[i];

		sum_u += c;
		sum_s += i >= 148 && i < 156 ? ' ' : (signed char)b[i];
	}
	/* old writers summed signed chars */
	return want == sum_u || want == sum_s;
}

int tar_header_valid(const void *block)
{
	return checksum_ok(block);
}

/* A field's text up to its first NUL */
static char *field(const char *f, size_t len)
{
	return xstrndup(f, strnlen(f, len));
}

/* Reads the content of an extension header into a new NUL-terminated buf. */
static char *read_meta(struct tar_reader *r, uint64_t size, size_t max, const char *what,
		       struct kerr *err)
{
	char *buf;
	ssize_t got;

	if (size > max) {
		kerr_input(err, "%s header of %llu bytes is larger than %zu", what,
			   (unsigned long long)size, max);
		return NULL;
	}
	buf = xmalloc((size_t)size + 1);
	got = read_full(r, buf, (size_t)size, err);
	if (got >= 0 && (size_t)got < size)
		kerr_input(err, "archive is truncated in a %s header", what);
	if (got < 0 || (size_t)got < size || skip(r, (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK, err) < 0) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	return buf;
}

/* Strips leading '/' (as docker does), cleans, and refuses to leave the root. */
static char *clean_entry_path(struct tar_reader *r, const char *p, const char *what,
			      struct kerr *err)
{
	char *c;

	if (strlen(p) > r->lim.max_path) {
		kerr_input(err, "%s of %zu bytes is longer than %zu", what, strlen(p),
			   r->lim.max_path);
		return NULL;
	}
	while (*p == '/')
		p++;
	c = path_clean(p);
	if (path_escapes(c)) {
		kerr_input(err, "%s '%s' leaves the root", what, p);
		free(c);
		return NULL;
	}
	return c;
}

static int header_num(struct tar_reader *r, const char *b, size_t off, size_t len,
		      int64_t max, const char *what, int64_t *out, struct kerr *err)
{
	if (tar_number(b + off, len, out) < 0 || *out < 0 || *out > max)
		return kerr_input(err, "'%s': bad %s field", cur_name(r), what);
	return 0;
}

/* Turns the ustar header in r->block plus extensions into e. */
static int make_entry(struct tar_reader *r, struct tar_entry *e, struct tar_pax *pax,
		      char **longname, char **longlink, struct kerr *err)
{
	const char *b = r->block;
	/* GNU's "ustar  " header keeps times where POSIX has the prefix */
	int ustar = !memcmp(b + 257, "ustar\0", 6);
	char type = b[156];
	int64_t v;
	char *raw;

	if (*longname) {
		raw = steal_ptr(*longname);
	} else if (pax->e.path) {
		raw = steal_ptr(pax->e.path);
	} else if (ustar && b[345]) {
		char *pre = field(b + 345, 155), *name = field(b, 100);

		raw = xasprintf("%s/%s", pre, name);
		free(pre);
		free(name);
	} else {
		raw = field(b, 100);
	}
	free(r->cur);
	r->cur = raw;
	if (!*raw)
		return kerr_input(err, "entry with an empty name");

	switch (type) {
	case '\0': case '7': case TAR_REG:
		/* pre-POSIX archives mark directories by a trailing '/' */
		type = raw[strlen(raw) - 1] == '/' ? TAR_DIR : TAR_REG;
		break;
	case TAR_LINK: case TAR_SYMLINK: case TAR_CHR: case TAR_BLK:
	case TAR_DIR: case TAR_FIFO:
		break;
	case 'S':
		return kerr_input(err, "'%s': sparse files are not supported", raw);
	default:
		return kerr_input(err, "'%s': unsupported entry type '%c'", raw,
				  type > ' ' && type < 127 ? type : '?');
	}
	e->type = type;
	e->path = clean_entry_path(r, raw, "path", err);
	if (!e->path)
		return kerr_wrap(err, "'%s'", raw);

	if (type == TAR_LINK || type == TAR_SYMLINK) {
		char *ln = *longlink ? steal_ptr(*longlink) :
			   pax->e.linkname ? steal_ptr(pax->e.linkname) : field(b + 157, 100);

		if (!*ln || strlen(ln) > r->lim.max_path) {
			kerr_input(err, "'%s': link target is empty or too long", raw);
			free(ln);
			return -1;
		}
		if (type == TAR_LINK) {
			e->linkname = clean_entry_path(r, ln, "hardlink target", err);
			free(ln);
			if (!e->linkname)
				return kerr_wrap(err, "'%s'", raw);
		} else {
			e->linkname = ln;
		}
	}

	if (header_num(r, b, 100, 8, 07777777, "mode", &v, err) < 0)
		return -1;
	e->mode = (mode_t)v & 07777;
	if (pax->have & PAX_UID)
		e->uid = pax->e.uid;
	else if (header_num(r, b, 108, 8, UINT32_MAX - 1, "uid", &v, err) < 0)
		return -1;
	else
		e->uid = (uid_t)v;
	if (pax->have & PAX_GID)
		e->gid = pax->e.gid;
	else if (header_num(r, b, 116, 8, UINT32_MAX - 1, "gid", &v, err) < 0)
		return -1;
	else
		e->gid = (gid_t)v;
	if (pax->have & PAX_MTIME) {
		e->mtime = pax->e.mtime;
		e->mtime_nsec = pax->e.mtime_nsec;
	} else if (tar_number(b + 136, 12, &e->mtime) < 0) {
		return kerr_input(err, "'%s': bad mtime field", raw);
	}
	if (pax->have & PAX_SIZE)
		e->size = pax->e.size;
	else if (header_num(r, b, 124, 12, INT64_MAX - TAR_BLOCK, "size", &v, err) < 0)
		return -1;
	else
		e->size = (uint64_t)v;
	if (type == TAR_CHR || type == TAR_BLK) {
		if (header_num(r, b, 329, 8, 0xfff, "devmajor", &v, err) < 0)
			return -1;
		e->devmajor = (unsigned int)v;
		if (header_num(r, b, 337, 8, 0xfffff, "devminor", &v, err) < 0)
			return -1;
		e->devminor = (unsigned int)v;
	}
	/* only regular files carry content; Go and GNU tar ignore the size of
	 * the others, so the next header follows at once */
	if (type != TAR_REG)
		e->size = 0;
	e->xattrs = steal_ptr(pax->e.xattrs);
	e->nxattrs = pax->e.nxattrs;
	pax->e.nxattrs = 0;
	return 0;
}

static int is_zero_block(const char *b)
{
	for (int i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

int tar_reader_next(struct tar_reader *r, struct tar_entry *e, struct kerr *err)
{
	struct tar_pax pax = TAR_PAX_INIT;
	char *longname = NULL, *longlink = NULL;
	int metas = 0, ret = -1;

	tar_entry_clear(e);
	if (r->done)
		return 0;
	if (skip(r, r->left + r->pad, err) < 0)
		return -1;
	r->left = r->pad = 0;

	for (;;) {
		ssize_t got = read_full(r, r->block, TAR_BLOCK, err);
		int64_t size;
		char type;

		if (got < 0)
			goto out;
		if (got == 0 || is_zero_block(r->block)) {
			/* a missing end-of-archive marker is tolerated, as by GNU tar */
			if (metas) {
				kerr_input(err, "archive ends after an extension header");
				goto out;
			}
			r->done = 1;
			ret = 0;
			goto out;
		}
		if (got < TAR_BLOCK) {
			kerr_input(err, "archive is truncated in a header after '%s'", cur_name(r));
			goto out;
		}
		if (!checksum_ok((unsigned char *)r->block)) {
			kerr_input(err, "header checksum mismatch after '%s'", cur_name(r));
			goto out;
		}
		type = r->block[156];
		if (type != 'x' && type != 'g' && type != 'L' && type != 'K')
			break;
		if (++metas > LAYER_MAX_META) {
			kerr_input(err, "too many extension headers after '%s'", cur_name(r));
			goto out;
		}
		if (tar_number(r->block + 124, 12, &size) < 0 || size < 0 ||
		    size > INT64_MAX - TAR_BLOCK) {
			kerr_input(err, "bad size of an extension header after '%s'", cur_name(r));
			goto out;
		}
		if (type == 'g') {
			/* global defaults would apply to entries far from their
			 * header; kiln's writer never emits them: ignored */
			if (skip(r, ((uint64_t)size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK, err) < 0)
				goto out;
		} else if (type == 'x') {
			char *data = read_meta(r, (uint64_t)size, r->lim.max_pax, "PAX", err);

			if (!data)
				goto out;
			if (tar_pax_parse(data, (size_t)size, &pax, "PAX header", err) < 0) {
				free(data);
				goto out;
			}
			free(data);
		} else {
			char **slot = type == 'L' ? &longname : &longlink;
			char *data = read_meta(r, (uint64_t)size, r->lim.max_path + 1,
					       "GNU long name", err);

			if (!data)
				goto out;
			free(*slot);
			/* the name is NUL-terminated inside its data */
			*slot = xstrdup(data);
			free(data);
		}
	}

	if (make_entry(r, e, &pax, &longname, &longlink, err) < 0)
		goto out;
	if (++r->count > r->lim.max_entries) {
		kerr_input(err, "archive has more than %llu entries",
			   (unsigned long long)r->lim.max_entries);
		goto out;
	}
	r->left = e->size;
	r->pad = (TAR_BLOCK - e->size % TAR_BLOCK) % TAR_BLOCK;
	ret = 1;
out:
	if (ret < 0) {
		tar_entry_clear(e);
		r->done = 1;
	}
	tar_pax_clear(&pax);
	free(longname);
	free(longlink);
	return ret;
}
