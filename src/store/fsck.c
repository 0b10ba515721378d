/* fsck.c: 'kiln fsck': hashes every blob (streamed), walks every image
 * index.json names down to its layers, and looks for what killed processes
 * leave behind; repair drops only what nothing can still use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/media.h"
#include "layer/owners.h"
#include "store/fsck.h"
#include "store/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const char layout[] = "{\"imageLayoutVersion\":\"" OCI_LAYOUT_VERSION "\"}";

struct blobinfo {
	char hex[2 * SHA256_LEN + 1];
	int64_t size;
	bool corrupt;
	bool reported;
	char got[DIGEST_STR_LEN];	/* what a corrupt one hashes to */
};

struct fsck {
	struct store *st;
	bool repair;
	store_fsck_fn out;
	void *ctx;
	struct store_fsck_stats *stats;
	struct blobinfo *blobs;
	size_t nblobs, ablobs;
	struct strvec broken;	/* manifest digests of unusable images */
	const char *image;	/* the image being walked, for messages */
	int problems_here;	/* found while walking it */
	bool bad_layout;	/* oci-layout missing or not what it must be */
	bool index_ok;		/* the images were walked */
};

static void line(struct fsck *f, const char *fmt, ...) KILN_PRINTF(2, 3);
static void line(struct fsck *f, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	f->out(f->ctx, sb.buf);
	strbuf_release(&sb);
}

#define problem(f, ...) do { (f)->stats->problems++; line((f), __VA_ARGS__); } while (0)
#define fixed(f, ...) do { (f)->stats->fixed++; line((f), "repaired: " __VA_ARGS__); } while (0)

static bool is_hex64(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 2 * SHA256_LEN;
}

static int by_hex(const void *a, const void *b)
{
	return strcmp(((const struct blobinfo *)a)->hex, ((const struct blobinfo *)b)->hex);
}

static struct blobinfo *find_blob(struct fsck *f, const char *hex)
{
	struct blobinfo key;

	if (strlen(hex) != sizeof(key.hex) - 1)
		return NULL;
	memcpy(key.hex, hex, sizeof(key.hex));
	return bsearch(&key, f->blobs, f->nblobs, sizeof(*f->blobs), by_hex);
}

/* removes dirfd/name, saying so; a failure is one more problem line */
static void drop(struct fsck *f, int dirfd, const char *name, const char *shown,
		 const char *why)
{
	struct kerr err = KERR_INIT;
	uint64_t bytes = 0;

	if (store_rm_rf(dirfd, name, &bytes, &err) < 0) {
		problem(f, "'%s': cannot remove it: %s", shown, err.msg);
		kerr_clear(&err);
		return;
	}
	fixed(f, "removed '%s' (%s)", shown, why);
}

/* Every file of blobs/sha256, hashed as it streams; a name that is no
 * digest can be no blob anything refers to. */
static int scan_blobs(struct fsck *f, struct kerr *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = dup(f->st->blobsfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read '%s/blobs/sha256'", f->st->root);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		cleanup_close int bfd = -1;
		unsigned char h[SHA256_LEN];
		struct blobinfo *b;
		struct stat sb;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!is_hex64(de->d_name) || fstatat(f->st->blobsfd, de->d_name, &sb,
						     AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode)) {
			cleanup_free char *p = xasprintf("blobs/sha256/%s", de->d_name);

			problem(f, "'%s': not a blob (blobs are regular files named by "
				"their sha256)", p);
			if (f->repair)
				drop(f, f->st->blobsfd, de->d_name, p, "not a blob");
			continue;
		}
		bfd = openat(f->st->blobsfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (bfd < 0)
			return kerr_errno(err, errno, "cannot open blob 'sha256:%s'", de->d_name);
		if (sha256_fd(bfd, h, err) < 0)
			return kerr_wrap(err, "blob 'sha256:%s'", de->d_name);
		f->blobs = xgrow(f->blobs, sizeof(*f->blobs), f->nblobs + 1, &f->ablobs);
		b = &f->blobs[f->nblobs++];
		memset(b, 0, sizeof(*b));
		memcpy(b->hex, de->d_name, sizeof(b->hex));
		b->size = sb.st_size;
		digest_format(h, b->got);
		b->corrupt = strcmp(b->got + 7, b->hex) != 0;
		f->stats->blobs++;
		f->stats->bytes += (uint64_t)sb.st_size;
	}
	qsort(f->blobs, f->nblobs, sizeof(*f->blobs), by_hex);
	return 0;
}

/* "layer sha256:... of image 'app:1'" */
#define WHERE "(%s of image '%s')"

/* the blob d names, present, whole and of d's size; else a problem */
static struct blobinfo *check_blob(struct fsck *f, const struct oci_descriptor *d,
				   const char *what, bool quiet_missing)
{
	struct kerr err = KERR_INIT;
	const char *hex = store_digest_hex(d->digest, &err);
	struct blobinfo *b;

	if (!hex) {
		problem(f, "image '%s': %s has a bad digest: %s", f->image, what, err.msg);
		kerr_clear(&err);
		f->problems_here++;
		return NULL;
	}
	b = find_blob(f, hex);
	if (!b) {
		if (quiet_missing)
			return NULL;
		problem(f, "blob '%s': missing " WHERE, d->digest, what, f->image);
		f->problems_here++;
		return NULL;
	}
	if (b->corrupt) {
		if (!b->reported)
			problem(f, "blob '%s': corrupt, its content hashes to '%s' " WHERE,
				d->digest, b->got, what, f->image);
		b->reported = true;
		f->problems_here++;
		return NULL;
	}
	if (b->size != d->size) {
		problem(f, "blob '%s': %lld bytes, its descriptor says %lld " WHERE, d->digest,
			(long long)b->size, (long long)d->size, what, f->image);
		f->problems_here++;
		return NULL;
	}
	return b;
}

static void check_desc(struct fsck *f, const struct oci_descriptor *d, const char *what,
		       int depth, bool quiet_missing);

static void check_config(struct fsck *f, const struct oci_manifest *m)
{
	struct strbuf sb = STRBUF_INIT;
	struct img_config c;
	struct kerr err = KERR_INIT;

	memset(&c, 0, sizeof(c));
	if (!check_blob(f, &m->config, "config", false))
		return;
	/* only image configs carry diff_ids; an artifact's config is its own */
	if (oci_media_kind(m->config.media_type) != OCI_MEDIA_CONFIG)
		return;
	if (store_blob_read(f->st, m->config.digest, STORE_JSON_LIMIT, &sb, &err) < 0 ||
	    img_config_parse(sb.buf, sb.len, &c, &err) < 0) {
		problem(f, "blob '%s': not an image config: %s " WHERE, m->config.digest,
			err.msg, "config", f->image);
		f->problems_here++;
	} else if (c.diff_ids.n != m->nlayers) {
		problem(f, "blob '%s': %zu diff_ids for the manifest's %zu layers " WHERE,
			m->config.digest, c.diff_ids.n, m->nlayers, "config", f->image);
		f->problems_here++;
	}
	kerr_clear(&err);
	img_config_clear(&c);
	strbuf_release(&sb);
}

static void check_manifest(struct fsck *f, const struct oci_descriptor *d)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_manifest m;
	struct kerr err = KERR_INIT;

	oci_manifest_init(&m);
	if (store_blob_read(f->st, d->digest, STORE_JSON_LIMIT, &sb, &err) < 0 ||
	    (oci_manifest_clear(&m), oci_manifest_parse(sb.buf, sb.len, &m, &err)) < 0) {
		problem(f, "blob '%s': not a manifest: %s " WHERE, d->digest, err.msg,
			"manifest", f->image);
		f->problems_here++;
	} else {
		check_config(f, &m);
		for (size_t i = 0; i < m.nlayers; i++)
			check_blob(f, &m.layers[i], "layer", false);
	}
	kerr_clear(&err);
	oci_manifest_clear(&m);
	strbuf_release(&sb);
}

/* An index need not have every platform in the store (a pull brings one,
 * kiln save says which it skips); the one kiln picks must be whole. */
static void check_index(struct fsck *f, const struct oci_descriptor *d, int depth)
{
	struct strbuf sb = STRBUF_INIT;
	struct oci_index idx;
	struct kerr err = KERR_INIT;

	memset(&idx, 0, sizeof(idx));
	if (store_blob_read(f->st, d->digest, STORE_JSON_LIMIT, &sb, &err) < 0 ||
	    oci_index_parse(sb.buf, sb.len, &idx, OCI_ANY_MEDIA, &err) < 0) {
		problem(f, "blob '%s': not an index: %s " WHERE, d->digest, err.msg, "index",
			f->image);
		f->problems_here++;
	} else {
		int host = store_index_pick(f->st, &idx, NULL);

		if (host < 0 && idx.n) {
			problem(f, "blob '%s': none of the index's manifests is in the store " WHERE,
				d->digest, "index", f->image);
			f->problems_here++;
		}
		for (size_t i = 0; i < idx.n; i++)
			check_desc(f, &idx.manifests[i],
				   oci_media_kind(idx.manifests[i].media_type) ==
				   OCI_MEDIA_INDEX ? "index" : "manifest",
				   depth + 1, (int)i != host);
	}
	kerr_clear(&err);
	oci_index_clear(&idx);
	strbuf_release(&sb);
}

static void check_desc(struct fsck *f, const struct oci_descriptor *d, const char *what,
		       int depth, bool quiet_missing)
{
	if (depth > 8) {
		problem(f, "blob '%s': indexes nested too deep " WHERE, d->digest, what,
			f->image);
		f->problems_here++;
		return;
	}
	if (!check_blob(f, d, what, quiet_missing))
		return;
	switch (oci_media_kind(d->media_type)) {
	case OCI_MEDIA_INDEX:
		check_index(f, d, depth);
		break;
	case OCI_MEDIA_MANIFEST:
		check_manifest(f, d);
		break;
	default:
		/* an artifact index.json names: its blob is all there is */
		break;
	}
}

static void check_images(struct fsck *f, const struct oci_index *idx)
{
	for (size_t i = 0; i < idx->n; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		const char *name = oci_descriptor_ref_name(d);
		cleanup_free char *none = xasprintf("<none>@%s", d->digest);
		bool seen = false;

		/* one image under several names is walked once */
		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(idx->manifests[k].digest, d->digest);
		if (seen)
			continue;
		f->stats->images++;
		f->image = name ? name : none;
		f->problems_here = 0;
		check_desc(f, d, oci_media_kind(d->media_type) == OCI_MEDIA_INDEX ? "index" :
			   "manifest", 0, false);
		if (f->problems_here)
			strvec_push(&f->broken, d->digest);
		f->image = NULL;
	}
}

static bool is_broken(const struct fsck *f, const char *digest)
{
	for (size_t i = 0; i < f->broken.n; i++)
		if (!strcmp(f->broken.v[i], digest))
			return true;
	return false;
}

static int unname_fn(struct store *st, struct oci_index *idx, void *arg, struct kerr *err)
{
	struct fsck *f = arg;
	int changed = 0;

	(void)st;
	(void)err;
	for (size_t i = 0; i < idx->n; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		const char *name = oci_descriptor_ref_name(d);

		if (!is_broken(f, d->digest))
			continue;
		if (name)
			fixed(f, "removed '%s' from index.json: its blobs are missing or corrupt",
			      name);
		else
			fixed(f, "removed the image '%s' without a name from index.json: its "
			      "blobs are missing or corrupt", d->digest);
		oci_index_remove(idx, i--);
		changed = 1;
	}
	return changed;
}

/* after the images that used them are gone, corrupt blobs serve nobody;
 * left in place they would also stand in for the good bytes of a later
 * load, which skips a blob that is already there */
static void drop_corrupt(struct fsck *f)
{
	for (size_t i = 0; i < f->nblobs; i++) {
		struct blobinfo *b = &f->blobs[i];
		cleanup_free char *p = NULL;

		if (!b->corrupt)
			continue;
		if (!b->reported) {
			problem(f, "blob 'sha256:%s': corrupt, its content hashes to '%s' (%s)",
				b->hex, b->got, f->index_ok ? "no image uses it" :
				"index.json cannot say which image uses it");
			b->reported = true;
		}
		if (!f->repair)
			continue;
		p = xasprintf("blobs/sha256/%s", b->hex);
		drop(f, f->st->blobsfd, b->hex, p, "corrupt");
	}
}

/* "<hex>.owners" of an unpacked layer that is there: true once checked
 * (a table that does not parse is a problem; repair drops it with its
 * layer, which the next build unpacks again) */
static bool owners_checked(struct fsck *f, int dirfd, const char *name, const char *shown)
{
	cleanup_free char *hex = NULL;
	cleanup_strbuf struct strbuf sb = STRBUF_INIT;
	struct layer_owners t = LAYER_OWNERS_INIT;
	struct kerr err = KERR_INIT;
	struct stat st;

	if (strlen(name) != 2 * SHA256_LEN + 7 || strcmp(name + 2 * SHA256_LEN, ".owners"))
		return false;
	hex = xstrndup(name, 2 * SHA256_LEN);
	if (!is_hex64(hex) || fstatat(dirfd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return false;
	if (read_file_at(dirfd, name, &sb, LAYER_OWNERS_LIMIT, &err) == 0 &&
	    layer_owners_parse(&t, sb.buf, sb.len, shown, &err) == 0) {
		layer_owners_clear(&t);
		return true;
	}
	problem(f, "%s", err.msg);
	kerr_clear(&err);
	if (f->repair) {
		cleanup_free char *layer = xstrndup(shown, strlen(shown) - 7);

		drop(f, dirfd, name, shown, "corrupt owners table");
		drop(f, dirfd, hex, layer, "its owners table was corrupt");
	}
	return true;
}

/* Temp files of killed processes: blob writers hold gc.lock shared while
 * their files are in kiln/ingest, and unpacked layers are renamed in from
 * ".tmp-" siblings by the same writers, so with gc.lock exclusive nothing
 * there is in use. busy: another kiln holds it, these are its files. An
 * owners table goes in before its layer: without one it is such a file. */
static int scan_dir(struct fsck *f, int dirfd, const char *shown, bool layers, bool busy,
		    struct kerr *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read '%s/%s'", f->st->root, shown);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		cleanup_free char *p = NULL;
		struct stat sb;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", shown, de->d_name);
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			/* gone since it was listed: a repair above took it */
			if (errno == ENOENT)
				continue;
			sb.st_mode = 0;
		}
		if (layers && is_hex64(de->d_name) && S_ISDIR(sb.st_mode))
			continue;
		if (layers && owners_checked(f, dirfd, de->d_name, p))
			continue;
		if (busy) {
			line(f, "note: '%s' belongs to a kiln process still running", p);
			continue;
		}
		/* a pull cut off left these bytes; the next pull goes on */
		if (!layers && !strncmp(de->d_name, "partial-", 8) &&
		    is_hex64(de->d_name + 8) && S_ISREG(sb.st_mode)) {
			line(f, "note: '%s': part of a download the next pull goes on with", p);
			continue;
		}
		if (!layers)
			problem(f, "'%s': temporary file of an interrupted kiln process", p);
		else if (!strncmp(de->d_name, ".tmp-", 5))
			problem(f, "'%s': half-unpacked layer of an interrupted kiln process", p);
		else if (strstr(de->d_name, ".owners"))
			problem(f, "'%s': owners table of a layer that is not unpacked", p);
		else
			problem(f, "'%s': not an unpacked layer (not named by a diff_id)", p);
		if (f->repair)
			drop(f, dirfd, de->d_name, p, layers ? "not a layer" : "stale");
	}
	return 0;
}

/* index.json and oci-layout temp files, made under index.lock */
static int scan_root(struct fsck *f, struct kerr *err)
{
	cleanup_dir DIR *d = NULL;
	cleanup_close int lk = -1;
	struct dirent *de;
	int fd;

	lk = store_lock(f->st, "index.lock", LOCK_EX | (f->repair ? 0 : LOCK_NB), err);
	if (lk < 0 && err->errnum == EWOULDBLOCK) {
		/* a writer is replacing index.json right now */
		kerr_clear(err);
		return 0;
	}
	if (lk < 0)
		return -1;
	fd = dup(f->st->dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read '%s'", f->st->root);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".tmp-", 5))
			continue;
		problem(f, "'%s': temporary file of an interrupted kiln process", de->d_name);
		if (f->repair)
			drop(f, f->st->dirfd, de->d_name, de->d_name, "stale");
	}
	return 0;
}

/* oci-layout and index.json as they are, before the store is opened (which
 * would write the missing ones); the parsed index, or a problem and -1 */
static int check_layout(struct fsck *f, int rootfd, struct oci_index *idx)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	cJSON *j = NULL;
	const char *v = NULL;
	int r = 0;

	if (read_file_at(rootfd, MT_OCI_LAYOUT_FILE, &sb, 4096, &err) < 0 ||
	    !(j = json_parse(sb.buf, sb.len, "'oci-layout'", &err)) ||
	    json_get_string(j, "imageLayoutVersion", true, &v, &err) < 0) {
		problem(f, "'oci-layout': %s", err.msg);
		f->bad_layout = true;
		kerr_clear(&err);
	}
	cJSON_Delete(j);
	memset(idx, 0, sizeof(*idx));
	strbuf_reset(&sb);
	if (read_file_at(rootfd, "index.json", &sb, STORE_INDEX_LIMIT, &err) < 0) {
		/* opening the store writes an empty one: nothing is lost that
		 * was not lost already, and the blobs stay for a restore */
		problem(f, "'index.json': %s%s", err.msg,
			err.errnum == ENOENT ? " (an empty one is written)" : "");
		if (err.errnum == ENOENT && f->repair)
			f->stats->fixed++;
		r = -1;
	} else if (oci_index_parse(sb.buf, sb.len, idx, OCI_ANY_MEDIA, &err) < 0) {
		problem(f, "'index.json': %s (not repaired: no image can be checked or named; "
			"restore it from a backup)", err.msg);
		oci_index_clear(idx);
		memset(idx, 0, sizeof(*idx));
		r = -1;
	}
	kerr_clear(&err);
	strbuf_release(&sb);
	return r;
}

static int run(struct fsck *f, int rootfd, const char *root, struct kerr *err)
{
	struct oci_index idx;
	int have_index = check_layout(f, rootfd, &idx) == 0;
	cleanup_close int gc = -1;
	bool busy = false;
	int r;

	if (store_open_root(f->st, root, err) < 0) {
		oci_index_clear(&idx);
		return -1;
	}
	/* repair: as prune, so no writer is half way; check: keep prune out */
	r = f->repair ? (gc = store_lock_gc(f->st, err)) : store_hold(f->st, err);
	if (r >= 0 && f->repair && f->bad_layout) {
		/* its content is fixed by the spec, so rewriting it loses nothing */
		cleanup_close int lk = store_lock(f->st, "index.lock", LOCK_EX, err);

		r = lk < 0 ? -1 : atomic_write_at(f->st->dirfd, MT_OCI_LAYOUT_FILE, layout,
						  strlen(layout), 0644, err);
		if (r >= 0)
			fixed(f, "wrote 'oci-layout'");
	}
	if (r >= 0)
		r = scan_blobs(f, err);
	if (r >= 0 && have_index) {
		/* the index as it is now, under the lock, not before we waited */
		oci_index_clear(&idx);
		r = store_index_read(f->st, &idx, err);
		if (r < 0) {
			problem(f, "'index.json': %s", err->msg);
			kerr_clear(err);
			have_index = false;
			r = 0;
		}
	}
	if (r >= 0 && have_index) {
		check_images(f, &idx);
		f->index_ok = true;
	}
	oci_index_clear(&idx);
	if (r >= 0 && f->repair && f->broken.n)
		r = store_index_update(f->st, unname_fn, f, err);
	if (r >= 0)
		drop_corrupt(f);
	if (r >= 0 && !f->repair) {
		/* ours goes first: flock conflicts with our own shared one too */
		close(f->st->gcfd);
		f->st->gcfd = -1;
		gc = store_lock(f->st, "gc.lock", LOCK_EX | LOCK_NB, err);
		if (gc < 0 && err->errnum == EWOULDBLOCK) {
			kerr_clear(err);
			busy = true;
		} else if (gc < 0) {
			r = -1;
		}
	}
	if (r >= 0)
		r = scan_dir(f, f->st->ingestfd, "kiln/ingest", false, busy, err);
	for (int k = 0; r >= 0 && k < STORE_LAYERS_KINDS; k++) {
		cleanup_close int fd = store_layers_peek(f->st, (enum store_layers)k);
		const char *name = store_layers_name((enum store_layers)k);

		if (fd >= 0)
			r = scan_dir(f, fd, name, true, busy, err);
		else if (errno != ENOENT)
			r = kerr_errno(err, errno, "cannot open '%s/%s'", root, name);
	}
	if (r >= 0)
		r = scan_root(f, err);
	if (r >= 0 && f->repair && fsync(f->st->blobsfd) < 0)
		r = kerr_errno(err, errno, "cannot sync '%s/blobs/sha256'", root);
	return r;
}

int store_fsck(const char *root, bool repair, store_fsck_fn out, void *ctx,
	       struct store_fsck_stats *stats, struct kerr *err)
{
	struct store st = STORE_INIT;
	struct fsck f = { .st = &st, .repair = repair, .out = out, .ctx = ctx,
			  .stats = stats, .broken = STRVEC_INIT };
	cleanup_close int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	memset(stats, 0, sizeof(*stats));
	if (rootfd < 0)
		return kerr_input(err, "no image store at '%s': %s", root, strerror(errno));
	r = run(&f, rootfd, root, err);
	store_close(&st);
	free(f.blobs);
	strvec_clear(&f.broken);
	return r;
}
