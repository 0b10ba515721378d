/* owners.c: which unpacked-layer cache a process's id map uses, and the
 * owners its layers have in the image but not on disk: the tables kept
 * beside the unpacked layers, asked for the top-most layer that holds a
 * path, as overlayfs would show it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "snapshot/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

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

/* the tables of every lower, read when the first path is asked about */
static int load_tables(struct snapshot *s, struct kerr *err)
{
	if (s->tables || !s->lowers.n)
		return 0;
	s->tables = xcalloc(s->lowers.n, sizeof(*s->tables));
	for (size_t i = 0; i < s->lowers.n; i++) {
		if (layer_owners_load(&s->tables[i], s->layersfd, s->lowers.v[i], err) < 0) {
			kerr_wrap(err, "unpacked layer 'sha256:%s'", s->lowers.v[i]);
			snapshot_tables_free(s);
			return -1;
		}
		s->any_table |= s->tables[i].n > 0;
	}
	return 0;
}

void snapshot_tables_free(struct snapshot *s)
{
	for (size_t i = 0; s->tables && i < s->lowers.n; i++)
		layer_owners_clear(&s->tables[i]);
	free(s->tables);
	s->tables = NULL;
	s->any_table = false;
}

enum { LOWER_MISSING, LOWER_HOLDS, LOWER_HIDES };


/*
 * What the unpacked layer hex says of path: holds it, hides it from the
 * layers below (a whiteout, a non-directory on the way, an opaque
 * directory above it) or is silent. Walked a name at a time, never
 * following a symlink.
 */
static int lower_says(int layersfd, const char *hex, const char *path, int *said,
		      struct kerr *err)
{
	cleanup_free char *copy = xstrdup(path);
	cleanup_close int fd = openat(layersfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				      O_CLOEXEC);
	char *name = copy, *slash;
	bool stop = false;
	struct stat st;

	if (fd < 0)
		return kerr_errno(err, errno, "cannot open unpacked layer 'sha256:%s'", hex);
	for (; (slash = strchr(name, '/')); name = slash + 1) {
		int next;

		*slash = 0;
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			*said = stop || snapshot_is_whiteout(fd, name, NULL) ? LOWER_HIDES
									 : LOWER_MISSING;
			return 0;
		}
		if (next < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			*said = LOWER_HIDES;
			return 0;
		}
		if (next < 0)
			return kerr_errno(err, errno, "cannot open '%s' in unpacked layer 'sha256:%s'",
					  copy, hex);
		close(fd);
		fd = next;
		stop |= snapshot_is_opaque(fd);
	}
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return kerr_errno(err, errno, "cannot stat '%s' in unpacked layer 'sha256:%s'",
					  path, hex);
		*said = stop || snapshot_is_whiteout(fd, name, NULL) ? LOWER_HIDES
								 : LOWER_MISSING;
		return 0;
	}
	*said = snapshot_is_whiteout(fd, name, &st) ? LOWER_HIDES : LOWER_HOLDS;
	return 0;
}

/* a path no table names (nearly all) costs a look-up per lower and no
 * system call */
static bool listed(const struct snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->lowers.n; i++)
		if (layer_owners_find(&s->tables[i], path))
			return true;
	return false;
}

int snapshot_lower_owner(void *snap, const char *path, struct layer_owner *out,
			 struct kerr *err)
{
	struct snapshot *s = snap;
	const struct layer_owner_rec *rec = NULL;

	if (load_tables(s, err) < 0)
		return -1;
	if (!s->any_table || !listed(s, path))
		return 0;
	for (size_t i = s->lowers.n; i-- > 0;) {
		int said = LOWER_MISSING;

		if (lower_says(s->layersfd, s->lowers.v[i], path, &said, err) < 0)
			return -1;
		if (said == LOWER_HIDES)
			return 0;
		if (said == LOWER_HOLDS) {
			rec = layer_owners_find(&s->tables[i], path);
			break;
		}
	}
	if (!rec)
		return 0;
	out->path = rec->path;
	out->uid = rec->uid;
	out->gid = rec->gid;
	return 1;
}
