/* owners.c: which unpacked-layer cache a process's id map uses. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/internal.h"
#include "util/fs.h"

/* how many ids a /proc/self/[ug]id_map maps; "many" when unreadable
 * (no user namespace support: the initial one maps them all) */
static unsigned long long mapped_ids(const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	unsigned long long total = 0;
	char *line, *save = NULL;

	if (read_file_at(AT_FDCWD, file, &sb, 1 << 16, &err) < 0) {
		kerr_clear(&err);
		strbuf_release(&sb);
		return ~0ULL;
	}
	for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *end;

		/* "inside outside count" */
		for (int k = 0; k < 2; k++) {
			(void)strtoul(p, &end, 10);
			p = end;
		}
		total += strtoull(p, NULL, 10);
	}
	strbuf_release(&sb);
	return total;
}

enum store_layers snapshot_map_kind(void)
{
	if (mapped_ids("/proc/self/uid_map") == 1 || mapped_ids("/proc/self/gid_map") == 1)
		return STORE_LAYERS_SINGLE;
	return STORE_LAYERS_FULL;
}

