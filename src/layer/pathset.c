/* pathset.c: the set of paths one layer created, which merge-mode whiteouts
 * must spare: SipHash-2-4 values with a per-process key, open addressing. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "layer/extract-int.h"
#include "util/xalloc.h"

struct pathset {
	uint64_t *slot;		/* 0 is empty; hashes are never 0 */
	size_t n, cap;		/* cap is a power of two */
	uint64_t k0, k1;
};

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t siphash(uint64_t k0, uint64_t k1, const unsigned char *p, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | p[i + (size_t)j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct pathset *pathset_new(void)
{
	struct pathset *s = xcalloc(1, sizeof(*s));
	uint64_t key[2] = { 0, 0 };

	/* a fixed key would do for correctness; a random one keeps crafted
	 * names from colliding on purpose */
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != sizeof(key))
		key[0] = (uint64_t)(uintptr_t)s ^ 0x9e3779b97f4a7c15ULL;
	s->k0 = key[0];
	s->k1 = key[1];
	s->cap = 1024;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	return s;
}

static uint64_t hash(const struct pathset *s, const char *p, size_t len)
{
	uint64_t h = siphash(s->k0, s->k1, (const unsigned char *)p, len);

	return h ? h : 1;
}

/* returns 1 when h was new */
static int insert(struct pathset *s, uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);

	while (s->slot[i]) {
		if (s->slot[i] == h)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = h;
	s->n++;
	return 1;
}

static void grow(struct pathset *s)
{
	uint64_t *old = s->slot;
	size_t oldcap = s->cap;

	s->cap *= 2;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	s->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			insert(s, old[i]);
	free(old);
}

void pathset_add(struct pathset *s, const char *path)
{
	size_t len = strlen(path);

	/* the path, then its parents, stopping at one already known: its
	 * parents were added with it */
	while (len) {
		if (2 * (s->n + 1) > s->cap)
			grow(s);
		if (!insert(s, hash(s, path, len)))
			return;
		while (len && path[len - 1] != '/')
			len--;
		if (len)
			len--;
	}
}

int pathset_has(const struct pathset *s, const char *path)
{
	uint64_t h = hash(s, path, strlen(path));
	size_t i = (size_t)h & (s->cap - 1);

	while (s->slot[i]) {
		if (s->slot[i] == h)
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	return 0;
}

void pathset_free(struct pathset *s)
{
	if (!s)
		return;
	free(s->slot);
	free(s);
}
