/* tar-header.c: one entry's header blocks: the ustar block, and before it
 * a PAX extended header for what ustar cannot hold (see tar-write.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer/fcaps.h"
#include "layer/tar-write.h"
#include "util/xalloc.h"

#define NAME_LEN	100
#define PREFIX_LEN	155

/* byte offsets of the ustar fields */
enum {
	H_NAME = 0, H_MODE = 100, H_UID = 108, H_GID = 116, H_SIZE = 124,
	H_MTIME = 136, H_CHKSUM = 148, H_TYPE = 156, H_LINK = 157,
	H_MAGIC = 257, H_VERSION = 263, H_UNAME = 265, H_GNAME = 297,
	H_DEVMAJOR = 329, H_DEVMINOR = 337, H_PREFIX = 345,
};

/* width-1 octal digits and a NUL; false when v needs more digits */
static bool put_octal(unsigned char *f, size_t width, uint64_t v)
{
	size_t digits = width - 1;

	if (digits < 21 && v >> (3 * digits))
		return false;
	f[digits] = '\0';
	for (size_t i = digits; i-- > 0; v >>= 3)
		f[i] = (unsigned char)('0' + (v & 7));
	return true;
}

/* GNU base-256: big-endian two's complement, first byte 0x80 or 0xff */
static void put_base256(unsigned char *f, size_t width, int64_t v)
{
	uint64_t u = (uint64_t)v;

	memset(f, v < 0 ? 0xff : 0, width);
	for (size_t i = width; i-- > 1 && i + 8 >= width; u >>= 8)
		f[i] = (unsigned char)u;
	if (v >= 0)
		f[0] = 0x80;
}

/* octal when it fits; else base-256 and true: a PAX record is due */
static bool put_number(unsigned char *f, size_t width, int64_t v)
{
	if (v >= 0 && put_octal(f, width, (uint64_t)v))
		return false;
	put_base256(f, width, v);
	return true;
}

static size_t ndigits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* "<len> <key>=<value>\n", len counting the whole record and itself */
static void pax_add(struct strbuf *sb, const char *key, const void *val, size_t vlen)
{
	size_t base = strlen(key) + vlen + 3;
	size_t n = base + ndigits(base);

	if (ndigits(n) != ndigits(base))
		n = base + ndigits(n);
	strbuf_addf(sb, "%zu %s=", n, key);
	strbuf_add(sb, val, vlen);
	strbuf_addch(sb, '\n');
}

static void pax_add_num(struct strbuf *sb, const char *key, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", (long long)v);

	pax_add(sb, key, num, (size_t)n);
}

/* "sec.frac" without trailing zeros, as GNU tar and Go write it */
static void pax_add_time(struct strbuf *sb, int64_t sec, uint32_t nsec)
{
	char num[48];
	int n;

	if (!nsec) {
		pax_add_num(sb, "mtime", sec);
		return;
	}
	if (sec < 0)	/* -2 s + 0.25 s is -1.75 s */
		n = snprintf(num, sizeof(num), "-%lld.%09u",
			     (long long)-(sec + 1), 1000000000u - nsec);
	else
		n = snprintf(num, sizeof(num), "%lld.%09u", (long long)sec, nsec);
	while (num[n - 1] == '0')
		n--;
	pax_add(sb, "mtime", num, (size_t)n);
}

/* name into the name field, or split at a '/' into prefix and name (the
 * shortest prefix that leaves at most 100 bytes); false if it cannot */
static bool put_name(unsigned char *h, const char *name, size_t len)
{
	if (len <= NAME_LEN) {
		memcpy(h + H_NAME, name, len);
		return true;
	}
	if (len > PREFIX_LEN + 1 + NAME_LEN)
		return false;
	for (size_t i = len - NAME_LEN - 1; i + 1 < len && i <= PREFIX_LEN; i++) {
		if (name[i] == '/' && i > 0) {
			memcpy(h + H_PREFIX, name, i);
			memcpy(h + H_NAME, name + i + 1, len - i - 1);
			return true;
		}
	}
	return false;
}

static void put_checksum(unsigned char *h)
{
	unsigned int sum = 0;

	memset(h + H_CHKSUM, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	put_octal(h + H_CHKSUM, 7, sum);	/* six digits, NUL, space */
}

static void put_common(unsigned char *h, char type)
{
	h[H_TYPE] = (unsigned char)type;
	memcpy(h + H_MAGIC, "ustar\0" "00", 8);
	put_octal(h + H_DEVMAJOR, 8, 0);
	put_octal(h + H_DEVMINOR, 8, 0);
}

static void pad_block(struct strbuf *sb)
{
	size_t rem = sb->len % TAR_BLOCK;

	if (rem) {
		strbuf_grow(sb, TAR_BLOCK - rem);
		memset(sb->buf + sb->len, 0, TAR_BLOCK - rem);
		strbuf_setlen(sb, sb->len + TAR_BLOCK - rem);
	}
}

static int cmp_xattr(const void *a, const void *b)
{
	const struct tar_xattr *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* the SCHILY.xattr.* records, by name, capabilities made portable */
static int pax_add_xattrs(struct strbuf *pax, const struct tar_entry *e,
			  struct kerr *err)
{
	const struct tar_xattr **v;
	struct strbuf key = STRBUF_INIT;
	int rc = 0;

	if (!e->nxattrs)
		return 0;
	v = xmalloc(xmul(e->nxattrs, sizeof(*v)));
	for (size_t i = 0; i < e->nxattrs; i++)
		v[i] = &e->xattrs[i];
	qsort(v, e->nxattrs, sizeof(*v), cmp_xattr);
	for (size_t i = 0; i < e->nxattrs && !rc; i++) {
		const void *val = v[i]->value;
		size_t len = v[i]->len;
		unsigned char caps[FCAPS_MAX_LEN];

		if (!*v[i]->name || strchr(v[i]->name, '=')) {
			rc = kerr_input(err, "xattr name '%s' cannot be stored in a tar header",
					v[i]->name);
			break;
		}
		if (i && !strcmp(v[i]->name, v[i - 1]->name)) {
			rc = kerr_input(err, "xattr '%s' given twice", v[i]->name);
			break;
		}
		if (!strcmp(v[i]->name, FCAPS_XATTR)) {
			int n = fcaps_to_v2(val, len, caps, err);

			if (n < 0) {
				rc = -1;
				break;
			}
			val = caps;
			len = (size_t)n;
		}
		strbuf_reset(&key);
		strbuf_addf(&key, "SCHILY.xattr.%s", v[i]->name);
		pax_add(pax, key.buf, val, len);
	}
	strbuf_release(&key);
	free(v);
	return rc;
}

static int check_entry(const struct tar_entry *e, struct kerr *err)
{
	const char *p = e->path;

	if (!p || !*p)
		return kerr_input(err, "tar entry without a path");
	if (*p == '/')
		return kerr_input(err, "absolute path '%s' in a layer", p);
	for (const char *c = p;; c++) {
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
			return kerr_input(err, "'..' in layer path '%s'", p);
		c = strchr(c, '/');
		if (!c)
			break;
	}
	if (e->type == TAR_REG && e->size > INT64_MAX)
		return kerr_input(err, "size of '%s' out of range", p);
	switch (e->type) {
	case TAR_SYMLINK:
	case TAR_LINK:
		if (!e->linkname || !*e->linkname)
			return kerr_input(err, "link '%s' without a target", p);
		break;
	case TAR_REG:
	case TAR_CHR:
	case TAR_BLK:
	case TAR_DIR:
	case TAR_FIFO:
		break;
	default:
		return kerr_input(err, "unknown tar entry type '%c'", e->type);
	}
	return 0;
}

/* the header of the PAX extended header itself */
static void put_pax_header(struct strbuf *out, const char *path, size_t paxlen)
{
	static const char dir[] = "PaxHeaders.0/";
	unsigned char h[TAR_BLOCK] = { 0 };
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > NAME_LEN - (sizeof(dir) - 1))
		len = NAME_LEN - (sizeof(dir) - 1);
	memcpy(h + H_NAME, dir, sizeof(dir) - 1);
	memcpy(h + H_NAME + sizeof(dir) - 1, base, len);
	put_common(h, 'x');
	put_octal(h + H_MODE, 8, 0644);
	put_octal(h + H_UID, 8, 0);
	put_octal(h + H_GID, 8, 0);
	put_octal(h + H_SIZE, 12, paxlen);
	put_octal(h + H_MTIME, 12, 0);
	put_checksum(h);
	strbuf_add(out, h, TAR_BLOCK);
}

static void entry_mtime(const struct tar_writer *w, const struct tar_entry *e,
			int64_t *sec, uint32_t *nsec)
{
	*sec = e->mtime;
	*nsec = w->hires_mtime && e->mtime_nsec < 1000000000u ? e->mtime_nsec : 0;
	if (w->mtime_policy == LAYER_MTIME_SET ||
	    (w->mtime_policy == LAYER_MTIME_CLAMP &&
	     (*sec > w->timestamp || (*sec == w->timestamp && *nsec)))) {
		*sec = w->timestamp;
		*nsec = 0;
	}
}

int tar_encode_header(const struct tar_writer *w, const struct tar_entry *e,
		      struct strbuf *out, struct kerr *err)
{
	unsigned char h[TAR_BLOCK] = { 0 };
	struct strbuf name = STRBUF_INIT, pax = STRBUF_INIT;
	bool pax_uid, pax_gid, pax_size, pax_mtime, pax_path, pax_link = false;
	uint64_t size = e->type == TAR_REG ? e->size : 0;
	int64_t sec;
	uint32_t nsec;

	if (check_entry(e, err) < 0)
		return -1;
	strbuf_addstr(&name, e->path);
	if (e->type == TAR_DIR)
		strbuf_addch(&name, '/');
	entry_mtime(w, e, &sec, &nsec);

	put_common(h, e->type);
	pax_path = !put_name(h, name.buf, name.len);
	if (pax_path)
		memcpy(h + H_NAME, name.buf, NAME_LEN);
	put_octal(h + H_MODE, 8, e->mode & 07777);
	pax_uid = put_number(h + H_UID, 8, e->uid);
	pax_gid = put_number(h + H_GID, 8, e->gid);
	pax_size = put_number(h + H_SIZE, 12, (int64_t)size);
	pax_mtime = put_number(h + H_MTIME, 12, sec) || nsec;
	if (e->linkname && (e->type == TAR_SYMLINK || e->type == TAR_LINK)) {
		size_t len = strlen(e->linkname);

		pax_link = len > NAME_LEN;
		memcpy(h + H_LINK, e->linkname, pax_link ? NAME_LEN : len);
	}
	if (e->type == TAR_CHR || e->type == TAR_BLK) {
		put_number(h + H_DEVMAJOR, 8, e->devmajor);
		put_number(h + H_DEVMINOR, 8, e->devminor);
	}
	put_checksum(h);

	/* records in byte order of their keys: 'S' sorts before 'g' */
	if (pax_add_xattrs(&pax, e, err) < 0) {
		strbuf_release(&name);
		strbuf_release(&pax);
		return kerr_wrap(err, "'%s'", e->path);
	}
	if (pax_gid)
		pax_add_num(&pax, "gid", e->gid);
	if (pax_link)
		pax_add(&pax, "linkpath", e->linkname, strlen(e->linkname));
	if (pax_mtime)
		pax_add_time(&pax, sec, nsec);
	if (pax_path)
		pax_add(&pax, "path", name.buf, name.len);
	if (pax_size)
		pax_add_num(&pax, "size", (int64_t)size);
	if (pax_uid)
		pax_add_num(&pax, "uid", e->uid);

	if (pax.len) {
		put_pax_header(out, e->path, pax.len);
		strbuf_addbuf(out, &pax);
		pad_block(out);
	}
	strbuf_add(out, h, TAR_BLOCK);
	strbuf_release(&name);
	strbuf_release(&pax);
	return 0;
}
