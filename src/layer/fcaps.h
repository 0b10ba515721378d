/* fcaps.h: file capabilities (the security.capability xattr) in the form
 * layers carry: v2, without the v3 namespace root a user namespace adds. */
#ifndef KILN_LAYER_FCAPS_H
#define KILN_LAYER_FCAPS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define FCAPS_XATTR "security.capability"

/* struct vfs_ns_cap_data of <linux/capability.h>, little-endian words */
#define FCAPS_REV_MASK	0xff000000u
#define FCAPS_REV1	0x01000000u	/* 32-bit sets: 12 bytes */
#define FCAPS_REV2	0x02000000u	/* 64-bit sets: 20 bytes */
#define FCAPS_REV3	0x03000000u	/* v2 + root uid of the namespace: 24 bytes */
#define FCAPS_EFFECTIVE	0x00000001u
#define FCAPS_V1_LEN	12
#define FCAPS_V2_LEN	20
#define FCAPS_V3_LEN	24
#define FCAPS_MAX_LEN	FCAPS_V3_LEN

/*
 * Writes the portable form of a security.capability value to out: v3
 * becomes v2 (the same sets and effective flag, the root uid dropped, so
 * the capabilities apply to whatever root runs the image); v1 and v2 are
 * copied. Anything else is an input error. Returns the length written.
 */
int fcaps_to_v2(const void *in, size_t len, unsigned char out[FCAPS_MAX_LEN],
		struct kerr *err);

#endif
