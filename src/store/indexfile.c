/* indexfile.c: index.json, read by anyone without a lock (it is only ever
 * replaced by rename) and changed read-modify-write under kiln/index.lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "image/media.h"
#include "util/fs.h"
#include "util/xalloc.h"

int store_index_read(struct store *st, struct oci_index *idx, struct kerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	memset(idx, 0, sizeof(*idx));
	r = read_file_at(st->dirfd, "index.json", &sb, STORE_INDEX_LIMIT, err);
	if (r >= 0)
		r = oci_index_parse(sb.buf, sb.len, idx, OCI_ANY_MEDIA, err);
	strbuf_release(&sb);
	if (r < 0) {
		oci_index_clear(idx);
		kerr_wrap(err, "'%s/index.json'", st->root);
		return store_corrupt(err);
	}
	return 0;
}

int store_index_update(struct store *st, store_index_fn fn, void *arg, struct kerr *err)
{
	struct oci_index idx;
	cleanup_close int lk = -1;
	char *json;
	int r;

	/* a corrupt index fails before anything is locked or changed */
	if (store_index_read(st, &idx, err) < 0)
		return -1;
	oci_index_clear(&idx);
	lk = store_lock(st, "index.lock", LOCK_EX, err);
	if (lk < 0)
		return -1;
	if (store_index_read(st, &idx, err) < 0)
		return -1;
	r = fn(st, &idx, arg, err);
	if (r > 0) {
		if (!idx.media_type)
			idx.media_type = xstrdup(MT_OCI_INDEX);
		json = oci_index_json(&idx);
		r = atomic_write_at(st->dirfd, "index.json", json, strlen(json), 0644, err);
		free(json);
	}
	oci_index_clear(&idx);
	return r < 0 ? -1 : 0;
}
