/* storecmd.h: what the store commands share: opening the store that --root
 * (or the environment) names, and an image's display names. */
#ifndef KILN_CMD_STORECMD_H
#define KILN_CMD_STORECMD_H

#include "store/store.h"

int storecmd_open(struct store *st, struct kerr *err);
/* Before deleting unpacked layers or snapshots: their files belong to ids
 * of kiln's user namespace (the subordinate range), which only that
 * namespace may remove. Enters it when the sandbox is built in; when it
 * cannot, says so once and carries on (what is the caller's still goes). */
void storecmd_enter_ids(void);
/* --emulation auto|host|binfmt|ptrace of build and run: the same choice as
 * $KILN_EMULATION, which the flag overrides; NULL leaves it alone */
int storecmd_emulation(const char *mode, struct kerr *err);
/* splits a stored ref.name into repository and tag for display: "app:1" ->
 * "app" "1"; a bare tag written by other tools -> "<none>" "tag" */
void storecmd_split_name(const char *name, char **repo, char **tag);
/* "3 hours ago", as docker prints CREATED */
void storecmd_since(const char *created, char *buf, size_t len);

#endif
