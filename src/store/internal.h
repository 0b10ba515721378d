/* internal.h: what the store's files share and nothing outside uses:
 * locks, digest to file name, recursive removal. */
#ifndef KILN_STORE_INTERNAL_H
#define KILN_STORE_INTERNAL_H

#include <stdint.h>

#include "store/store.h"

#define STORE_INDEX_LIMIT (64u << 20)
#define STORE_JSON_LIMIT (16u << 20)

/* flock on kiln/<name>; returns the fd holding it */
int store_lock(struct store *st, const char *name, int op, struct kerr *err);
/* kiln/gc.lock held exclusively, as prune holds it: waits (saying so) for
 * the processes writing blobs; returns the fd holding it */
int store_lock_gc(struct store *st, struct kerr *err);
/* the 64 hex digits of a valid digest, or NULL with an input error */
const char *store_digest_hex(const char *digest, struct kerr *err);
/* removes dirfd/name and everything under it; adds the bytes to *bytes */
int store_rm_rf(int dirfd, const char *name, uint64_t *bytes, struct kerr *err);
/* a new fd on the unpacked-layer cache of kind, never made here: -1 with
 * errno (ENOENT: no process of that kind of map ever unpacked a layer) */
int store_layers_peek(struct store *st, enum store_layers kind);
/* makes an error about the store's own files a failure (exit 1) */
int store_corrupt(struct kerr *err);

#endif
