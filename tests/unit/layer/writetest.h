/* writetest.h: what the layer writer tests share: a sink that keeps bytes
 * in memory and a small tar lister to check what was written. */
#ifndef KILN_TESTS_LAYER_WRITETEST_H
#define KILN_TESTS_LAYER_WRITETEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer/layer.h"
#include "layer/sink.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct mem_sink {
	struct layer_sink base;
	struct strbuf *out;
	int finished;
};

static inline int mem_write(struct layer_sink *s, const void *buf, size_t len,
			    struct kerr *err)
{
	(void)err;
	strbuf_add(((struct mem_sink *)s)->out, buf, len);
	return 0;
}

static inline int mem_finish(struct layer_sink *s, struct kerr *err)
{
	(void)err;
	((struct mem_sink *)s)->finished++;
	return 0;
}

static inline void mem_free(struct layer_sink *s)
{
	free(s);
}

static const struct layer_sink_ops mem_ops = { mem_write, mem_finish, mem_free };

/* a sink appending to out (which stays the caller's) */
static inline struct layer_sink *mem_sink(struct strbuf *out)
{
	struct mem_sink *m = xcalloc(1, sizeof(*m));

	m->base.ops = &mem_ops;
	m->out = out;
	return &m->base;
}

/* one listed entry, its PAX path, linkpath and size applied */
struct listed {
	char type;
	char *name;
	char *link;
	uint64_t size;
	unsigned mode;
	const unsigned char *data;	/* into the archive */
	char *pax;			/* the raw records of its PAX header */
	size_t paxlen;
};

static inline uint64_t octal_field(const unsigned char *f, size_t w)
{
	uint64_t v = 0;

	if (f[0] & 0x80) {	/* base-256 */
		for (size_t i = 1; i < w; i++)
			v = v << 8 | f[i];
		return v;
	}
	for (size_t i = 0; i < w && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	return v;
}

/* the value of key in PAX records, or NULL; *len its length */
static inline const char *pax_get(const char *pax, size_t paxlen, const char *key,
				  size_t *len)
{
	size_t klen = strlen(key);

	for (size_t off = 0; pax && off < paxlen;) {
		size_t reclen = strtoul(pax + off, NULL, 10);
		const char *sp = memchr(pax + off, ' ', reclen);
		const char *kv;

		if (!reclen || !sp)
			return NULL;
		kv = sp + 1;
		if (!strncmp(kv, key, klen) && kv[klen] == '=') {
			*len = (size_t)(pax + off + reclen - 1 - (kv + klen + 1));
			return kv + klen + 1;
		}
		off += reclen;
	}
	return NULL;
}

/* lists a whole archive; returns the number of entries (at most max) */
static inline size_t tar_list(const unsigned char *buf, size_t len,
			      struct listed *out, size_t max)
{
	size_t off = 0, n = 0;
	char *pax = NULL;
	size_t paxlen = 0;

	while (off + 512 <= len && n < max) {
		const unsigned char *h = buf + off;
		struct listed *e = &out[n];
		char name[257] = "";
		const char *v;
		size_t vlen;

		if (h[0] == 0)
			break;
		memset(e, 0, sizeof(*e));
		e->type = (char)h[156];
		e->size = octal_field(h + 124, 12);
		e->mode = (unsigned)octal_field(h + 100, 8);
		off += 512;
		if (e->type == 'x') {
			free(pax);
			pax = xmemdup(buf + off, e->size);
			paxlen = e->size;
			off += (e->size + 511) / 512 * 512;
			continue;
		}
		if (h[345])
			snprintf(name, sizeof(name), "%.155s/%.100s", h + 345, h);
		else
			snprintf(name, sizeof(name), "%.100s", h);
		e->name = xstrdup(name);
		e->link = xstrndup((const char *)h + 157, 100);
		if (pax) {
			if ((v = pax_get(pax, paxlen, "path", &vlen))) {
				free(e->name);
				e->name = xstrndup(v, vlen);
			}
			if ((v = pax_get(pax, paxlen, "linkpath", &vlen))) {
				free(e->link);
				e->link = xstrndup(v, vlen);
			}
			if ((v = pax_get(pax, paxlen, "size", &vlen)))
				e->size = strtoull(v, NULL, 10);
			e->pax = pax;
			e->paxlen = paxlen;
			pax = NULL;
		}
		e->data = buf + off;
		if (e->type == '0')
			off += (e->size + 511) / 512 * 512;
		n++;
	}
	free(pax);
	return n;
}

static inline void listed_clear(struct listed *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].link);
		free(v[i].pax);
	}
}

/* options for an uncompressed layer, everything else default */
static inline struct layer_opts opts_plain(void)
{
	struct layer_opts o = LAYER_OPTS_INIT;

	o.level = 0;
	return o;
}

/* n copies of c; caller frees */
static inline char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static inline void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

#endif
