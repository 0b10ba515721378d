/* fsck.h: checking the store ('kiln fsck'): every blob against its name,
 * every image index.json names against its blobs, and leftovers of killed
 * kiln processes; with repair, what is safe to drop goes. */
#ifndef KILN_STORE_FSCK_H
#define KILN_STORE_FSCK_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct store_fsck_stats {
	unsigned images;	/* index.json entries checked */
	unsigned blobs;		/* files in blobs/sha256 */
	uint64_t bytes;		/* their size, all hashed */
	unsigned problems;
	unsigned fixed;		/* problems repair made good */
};

/* one line of output: a problem, what repair did, or a note */
typedef void (*store_fsck_fn)(void *ctx, const char *line);

/*
 * Checks the store at root (which must exist), calling out once per line.
 * Without repair, blobs are read under a shared gc.lock (prune waits, blob
 * writers do not) and temp files count only when no kiln process holds
 * the store. With repair, gc.lock is held exclusively as prune holds it:
 * stale temp files, corrupt blobs and stray names go, and images whose
 * blobs are missing or corrupt lose their names in index.json. Returns < 0
 * only when the check itself could not run.
 */
int store_fsck(const char *root, bool repair, store_fsck_fn out, void *ctx,
	       struct store_fsck_stats *stats, struct kerr *err);

#endif
