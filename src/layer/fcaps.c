/* fcaps.c: security.capability values made portable for layers: a v3
 * (namespaced) capability read inside a user namespace is stored as v2. */
#include <string.h>

#include "layer/fcaps.h"

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int fcaps_to_v2(const void *in, size_t len, unsigned char out[FCAPS_MAX_LEN],
		struct kerr *err)
{
	const unsigned char *p = in;
	uint32_t magic;

	if (len < 4)
		goto bad;
	magic = get_le32(p);
	switch (magic & FCAPS_REV_MASK) {
	case FCAPS_REV1:
		if (len != FCAPS_V1_LEN)
			goto bad;
		memcpy(out, p, len);
		return (int)len;
	case FCAPS_REV2:
		if (len != FCAPS_V2_LEN)
			goto bad;
		memcpy(out, p, len);
		return (int)len;
	case FCAPS_REV3:
		if (len != FCAPS_V3_LEN)
			goto bad;
		/* keep the flags (effective), the permitted and inheritable
		 * words of both halves; the trailing rootid is what goes */
		put_le32(out, FCAPS_REV2 | (magic & ~FCAPS_REV_MASK));
		memcpy(out + 4, p + 4, FCAPS_V2_LEN - 4);
		return FCAPS_V2_LEN;
	}
bad:
	return kerr_input(err, "malformed %s value (%zu bytes)", FCAPS_XATTR, len);
}
