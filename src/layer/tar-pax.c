/* tar-pax.c: strict parsing of header numbers and PAX records: every number
 * is range-checked here so the reader and extractor see only sane values. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "layer/tar-pax.h"
#include "util/xalloc.h"

static int octal(const char *f, size_t len, int64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < len && (f[i] == ' ' || f[i] == '\0'))
		i++;
	/* an all-blank field is 0, as GNU tar and Go read it */
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (uint64_t)INT64_MAX >> 3)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = (int64_t)v;
	return 0;
}

/* GNU base-256: the top bit of the first byte set, the rest two's
 * complement big-endian; 0xff first means negative */
static int base256(const unsigned char *f, size_t len, int64_t *out)
{
	int neg = f[0] == 0xff;
	uint64_t v = neg ? ~(uint64_t)0 : 0;

	if (f[0] != 0x80 && f[0] != 0xff)
		return -1;
	for (size_t i = 1; i < len; i++) {
		/* the bits shifted out must all equal the sign */
		if ((v >> 56) != (neg ? 0xff : 0))
			return -1;
		v = v << 8 | f[i];
	}
	if (((int64_t)v < 0) != neg)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int tar_number(const char *field, size_t len, int64_t *out)
{
	if (len && ((unsigned char)field[0] & 0x80))
		return base256((const unsigned char *)field, len, out);
	return octal(field, len, out);
}

/* a decimal PAX value in [0, max] */
static int pax_unsigned(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "[-]SECONDS[.FRACTION]", as POSIX writes times */
static int pax_time(const char *s, size_t len, int64_t *sec, uint32_t *nsec)
{
	const char *dot = memchr(s, '.', len);
	size_t ilen = dot ? (size_t)(dot - s) : len;
	int neg = ilen && s[0] == '-';
	uint64_t whole;
	uint32_t frac = 0, scale = 100000000;

	if (pax_unsigned(s + neg, ilen - (size_t)neg, (uint64_t)INT64_MAX - 1, &whole) < 0)
		return -1;
	if (dot) {
		size_t i = ilen + 1;

		if (i == len)
			return -1;
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			/* digits past nanoseconds are truncated */
			frac += (uint32_t)(s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (neg && frac) {
		*sec = -(int64_t)whole - 1;
		*nsec = 1000000000u - frac;
	} else {
		*sec = neg ? -(int64_t)whole : (int64_t)whole;
		*nsec = frac;
	}
	return 0;
}

static int key_is(const char *key, size_t klen, const char *want)
{
	return strlen(want) == klen && !memcmp(key, want, klen);
}

static int record(const char *key, size_t klen, const char *val, size_t vlen,
		  struct tar_pax *pax, const char *what, struct kerr *err)
{
	static const char xprefix[] = "SCHILY.xattr.";
	uint64_t n;

	if (key_is(key, klen, "path") || key_is(key, klen, "linkpath")) {
		char **slot = key[0] == 'p' ? &pax->e.path : &pax->e.linkname;

		if (memchr(val, '\0', vlen))
			return kerr_input(err, "%s: PAX %.*s has a NUL byte", what,
					  (int)klen, key);
		free(*slot);
		/* an empty value takes the header's field back */
		*slot = vlen ? xstrndup(val, vlen) : NULL;
	} else if (key_is(key, klen, "size")) {
		if (pax_unsigned(val, vlen, (uint64_t)INT64_MAX - TAR_BLOCK, &n) < 0)
			return kerr_input(err, "%s: bad PAX size '%.*s'", what, (int)vlen, val);
		pax->e.size = n;
		pax->have |= PAX_SIZE;
	} else if (key_is(key, klen, "uid") || key_is(key, klen, "gid")) {
		/* (uid_t)-1 means "unchanged" to chown: never a real owner */
		if (pax_unsigned(val, vlen, UINT32_MAX - 1, &n) < 0)
			return kerr_input(err, "%s: bad PAX %.*s '%.*s'", what, (int)klen,
					  key, (int)vlen, val);
		if (key[0] == 'u') {
			pax->e.uid = (uid_t)n;
			pax->have |= PAX_UID;
		} else {
			pax->e.gid = (gid_t)n;
			pax->have |= PAX_GID;
		}
	} else if (key_is(key, klen, "mtime")) {
		if (pax_time(val, vlen, &pax->e.mtime, &pax->e.mtime_nsec) < 0)
			return kerr_input(err, "%s: bad PAX mtime '%.*s'", what, (int)vlen, val);
		pax->have |= PAX_MTIME;
	} else if (klen > sizeof(xprefix) - 1 && !memcmp(key, xprefix, sizeof(xprefix) - 1)) {
		char *name = xstrndup(key + sizeof(xprefix) - 1, klen - (sizeof(xprefix) - 1));

		if (strlen(name) != klen - (sizeof(xprefix) - 1)) {
			free(name);
			return kerr_input(err, "%s: xattr name has a NUL byte", what);
		}
		tar_entry_add_xattr(&pax->e, name, val, vlen);
		free(name);
	} else if (klen >= 11 && !memcmp(key, "GNU.sparse.", 11)) {
		return kerr_input(err, "%s: sparse files are not supported", what);
	}
	/* atime, ctime, uname, gname, comment, charset, vendor keys: unused */
	return 0;
}

int tar_pax_parse(const char *data, size_t len, struct tar_pax *pax,
		  const char *what, struct kerr *err)
{
	size_t pos = 0;

	while (pos < len) {
		size_t rlen = 0, i = pos;
		const char *key, *eq, *end;

		/* GNU tar pads the header's data with NULs */
		if (data[pos] == '\0')
			break;
		while (i < len && data[i] >= '0' && data[i] <= '9' && i - pos < 10)
			rlen = rlen * 10 + (size_t)(data[i++] - '0');
		if (i == pos || i >= len || data[i] != ' ' || rlen > len - pos ||
		    rlen < i - pos + 3 || data[pos + rlen - 1] != '\n')
			return kerr_input(err, "%s: malformed PAX record at offset %zu", what, pos);
		key = data + i + 1;
		end = data + pos + rlen - 1;
		eq = memchr(key, '=', (size_t)(end - key));
		if (!eq || eq == key)
			return kerr_input(err, "%s: malformed PAX record at offset %zu", what, pos);
		if (record(key, (size_t)(eq - key), eq + 1, (size_t)(end - eq - 1), pax,
			   what, err) < 0)
			return -1;
		pos += rlen;
	}
	return 0;
}

void tar_pax_clear(struct tar_pax *pax)
{
	tar_entry_clear(&pax->e);
	pax->have = 0;
}
