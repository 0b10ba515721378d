/* diff.c: the changes of a build step as layer entries: read off an
 * overlayfs upper directory, or found by comparing a tree with a record of
 * its inodes taken before the step.
 *
 * Both give the order of layer_write_tree: depth first, a directory before
 * its contents, siblings by byte order of their names. A whiteout takes the
 * place of the name it hides: overlayfs keeps it in the upper dir under
 * that very name (a 0/0 char device), and the compare walk meets the
 * removed name at the same point of its merge of old and new names. An
 * opaque marker comes right after its directory's entry, before the
 * contents. So the same change gives the same bytes either way. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#ifndef STATX_TYPE
#include <linux/stat.h>
#endif

#include "layer/diff.h"
#include "layer/walk.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_setup(struct walk *w, struct layer_writer *lw, const struct layer_diff_opts *o)
{
	walk_init(w, lw, !(o && o->no_xattrs));
	if (o) {
		w->owners = o->owners;
		w->nowners = o->nowners;
		w->owner_fn = o->owner_fn;
		w->owner_ctx = o->owner_ctx;
	}
}

/* ---- directories an upper holds for nothing ---- */

/*
 * overlayfs copies a directory up as soon as anything is made in it, and
 * it stays in the upper when that is gone again: the sandbox's mount
 * points leave /etc there after every step. Before anything is written,
 * a pass over the upper finds the directories that are the lower's as
 * they were (not opaque, mode, owner and mtime of the lower's directory)
 * and hold nothing but such directories; the compare walk leaves the same
 * ones out (dir_changed). Only the upper's paths are looked up in the
 * lowers, each the way overlayfs does: from the top-most lower down,
 * ending at a whiteout, a file or an opaque directory.
 */
struct idle_pass {
	struct walk *w;		/* its path and owners; not started yet */
	const int *lowers;	/* base first */
	struct strvec idle;	/* paths to leave out */
};

/* ERANGE: a value longer than "y" */
static bool no_xattr_here(int e)
{
	return e == ENODATA || e == ENOTSUP || e == EOPNOTSUPP || e == ERANGE;
}

/* user.overlay.opaque="y": nothing of the lowers below shows through */
static int dir_opaque(int fd, const char *path, bool *opaque, struct kerr *err)
{
	char v[2];
	ssize_t n = fgetxattr(fd, "user.overlay.opaque", v, sizeof(v));

	*opaque = n == 1 && v[0] == 'y';
	if (n < 0 && !no_xattr_here(errno))
		return kerr_errno(err, errno, "cannot read xattr 'user.overlay.opaque' of '%s'",
				  path);
	return 0;
}

/* the lowers among up (indices, top-most first) where w->path is a
 * directory merged into the upper's, into out; *top is the first one's */
static int lower_stack(struct idle_pass *p, const size_t *up, size_t nup, size_t *out,
		       size_t *n, struct stat *top, struct kerr *err)
{
	const char *path = p->w->path.buf;

	*n = 0;
	for (size_t k = 0; k < nup; k++) {
		cleanup_close int fd = -1;
		struct stat st;
		bool opaque;

		/* every directory above path is one in this lower (no
		 * symlink on the way): it was in the parent's stack */
		if (fstatat(p->lowers[up[k]], path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return kerr_errno(err, errno, "cannot stat '%s' in lower layer %zu", path,
					  up[k] + 1);
		}
		/* a whiteout or a file hides the lowers below it */
		if (!S_ISDIR(st.st_mode))
			return 0;
		if (!*n)
			*top = st;
		out[(*n)++] = up[k];
		if (k + 1 == nup)
			break;
		fd = openat(p->lowers[up[k]], path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return kerr_errno(err, errno, "cannot open '%s' in lower layer %zu", path,
					  up[k] + 1);
		if (dir_opaque(fd, path, &opaque, err) < 0)
			return -1;
		if (opaque)
			break;
	}
	return 0;
}

/* mode, owner (o->owners' word first) and mtime as the lower's */
static bool same_dir(const struct walk *w, const struct stat *st, const struct stat *low)
{
	const struct layer_owner *own = walk_owner(w, w->path.buf);
	unsigned uid = own ? own->uid : st->st_uid;
	unsigned gid = own ? own->gid : st->st_gid;

	return (st->st_mode & 07777) == (low->st_mode & 07777) && uid == low->st_uid &&
	       gid == low->st_gid && st->st_mtim.tv_sec == low->st_mtim.tv_sec &&
	       st->st_mtim.tv_nsec == low->st_mtim.tv_nsec;
}

static int idle_dir(struct idle_pass *p, int parentfd, const char *name, const size_t *up,
		    size_t nup, bool *idle, struct kerr *err);

/* the entries of fd (at w->path, whose lowers are stack): *all when each
 * is an idle directory; those go to quiet */
static int idle_children(struct idle_pass *p, int fd, const size_t *stack, size_t n,
			 bool *all, struct strvec *quiet, struct kerr *err)
{
	struct walk *w = p->w;
	struct strvec names = STRVEC_INIT;
	size_t base = w->path.len;
	int rc = walk_names(fd, base ? w->path.buf : ".", &names, err);

	*all = true;
	for (size_t i = 0; i < names.n && !rc; i++) {
		struct stat st;
		bool idle = false;

		walk_push(w, names.v[i]);
		if (fstatat(fd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = kerr_errno(err, errno, "cannot stat '%s'", w->path.buf);
		else if (S_ISDIR(st.st_mode))
			rc = idle_dir(p, fd, names.v[i], stack, n, &idle, err);
		if (idle)
			strvec_push(quiet, w->path.buf);
		else
			*all = false;
		strbuf_setlen(&w->path, base);
	}
	strvec_clear(&names);
	return rc;
}

/* directories left out below one that stays are listed one by one; a
 * left-out one takes its own along */
static void idle_keep(struct idle_pass *p, struct strvec *quiet)
{
	for (size_t i = 0; i < quiet->n; i++)
		strvec_push(&p->idle, quiet->v[i]);
	strvec_clear(quiet);
}

/* whether the upper directory parentfd/name (at w->path), whose parent
 * the lowers up hold, is left out with all it holds */
static int idle_dir(struct idle_pass *p, int parentfd, const char *name, const size_t *up,
		    size_t nup, bool *idle, struct kerr *err)
{
	const char *path = p->w->path.buf;
	cleanup_close int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				      O_CLOEXEC);
	cleanup_free size_t *stack = NULL;
	struct strvec quiet = STRVEC_INIT;
	struct stat st, low = { 0 };
	size_t n = 0;
	bool opaque, all;
	int rc;

	*idle = false;
	if (fd < 0 || fstat(fd, &st) < 0)
		return kerr_errno(err, errno, "cannot open '%s'", path);
	if (dir_opaque(fd, path, &opaque, err) < 0)
		return -1;
	/* opaque: made anew, the lowers' contents gone */
	if (!opaque && nup) {
		stack = xcalloc(nup, sizeof(*stack));
		if (lower_stack(p, up, nup, stack, &n, &low, err) < 0)
			return -1;
	}
	rc = idle_children(p, fd, stack, n, &all, &quiet, err);
	/* no lower has it: new, and kept */
	*idle = !rc && all && n && same_dir(p->w, &st, &low);
	if (*idle)
		strvec_clear(&quiet);
	else
		idle_keep(p, &quiet);
	return rc;
}

/* the upper's idle directories, sorted for walk_entry's look-up */
static int find_idle(struct idle_pass *p, int fd, size_t nlowers, struct kerr *err)
{
	struct strvec quiet = STRVEC_INIT;
	size_t *stack = xcalloc(nlowers, sizeof(*stack));
	bool all;
	int rc;

	/* the root merges every lower, the top-most first */
	for (size_t i = 0; i < nlowers; i++)
		stack[i] = nlowers - 1 - i;
	rc = idle_children(p, fd, stack, nlowers, &all, &quiet, err);
	/* the root is never an entry: what is idle right below it goes */
	idle_keep(p, &quiet);
	free(stack);
	if (!rc && p->idle.n)
		qsort(p->idle.v, p->idle.n, sizeof(*p->idle.v), cmp_str);
	return rc;
}

int layer_diff_upper(int upperfd, struct layer_writer *lw, const struct layer_diff_opts *o,
		     bool *empty, struct kerr *err)
{
	cleanup_close int fd = openat(upperfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct idle_pass p = { .idle = STRVEC_INIT };
	struct walk w;
	int rc = 0;

	*empty = true;
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open the upper directory");
	walk_setup(&w, lw, o);
	w.upper = true;
	/* without lowers every directory of the upper is a new one */
	if (o && o->nlowers) {
		p.w = &w;
		p.lowers = o->lowers;
		rc = find_idle(&p, fd, o->nlowers, err);
		w.idle = &p.idle;
	}
	if (!rc)
		rc = walk_dir(&w, fd, err);
	*empty = !w.wrote;
	strvec_clear(&p.idle);
	walk_release(&w);
	return rc;
}

/* ---- the record ---- */

#define NO_LINK UINT32_MAX

/* one path; 96 bytes whatever the file's size or name length */
struct rec {
	uint64_t ino, dev, size;
	int64_t mtime, ctime, btime;
	uint32_t mtime_ns, ctime_ns, btime_ns;
	uint32_t mode, uid, gid, nlink;
	uint32_t gen;		/* inode generation of directories */
	uint32_t name;		/* offset into the pool */
	uint32_t link;		/* symlink target in the pool, or NO_LINK */
	uint32_t end;		/* index after this entry's subtree */
	uint8_t has_btime, has_gen;
};

/*
 * Entries in walk order (a directory, then its subtree), so the children
 * of v[i] are v[i + 1], v[v[i + 1].end], ... up to v[i].end. v[0] is the
 * root. Names and symlink targets live NUL-terminated in the pool.
 */
struct layer_tree_record {
	struct rec *v;
	size_t n, alloc;
	struct strbuf pool;
};

static int pool_add(struct layer_tree_record *r, const char *s, size_t len, uint32_t *off,
		    struct kerr *err)
{
	if (r->pool.len + len + 1 > UINT32_MAX)
		return kerr_set(err, "the tree has too many names to record");
	*off = (uint32_t)r->pool.len;
	strbuf_add(&r->pool, s, len);
	strbuf_addch(&r->pool, '\0');
	return 0;
}

/* stat with the birth time where the filesystem keeps one: a new inode
 * that reuses a removed one's number is told apart by it */
static int stat_entry(int dirfd, const char *name, struct statx *sx)
{
	/* the raw call: not every libc kiln builds with wraps it */
	return (int)syscall(SYS_statx, dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			    STATX_BASIC_STATS | STATX_BTIME, sx);
}

static void fill_rec(struct rec *e, const struct statx *sx)
{
	memset(e, 0, sizeof(*e));
	e->ino = sx->stx_ino;
	e->dev = ((uint64_t)sx->stx_dev_major << 32) | sx->stx_dev_minor;
	e->size = sx->stx_size;
	e->mtime = sx->stx_mtime.tv_sec;
	e->mtime_ns = sx->stx_mtime.tv_nsec;
	e->ctime = sx->stx_ctime.tv_sec;
	e->ctime_ns = sx->stx_ctime.tv_nsec;
	if (sx->stx_mask & STATX_BTIME) {
		e->has_btime = 1;
		e->btime = sx->stx_btime.tv_sec;
		e->btime_ns = sx->stx_btime.tv_nsec;
	}
	e->mode = sx->stx_mode;
	e->uid = sx->stx_uid;
	e->gid = sx->stx_gid;
	e->nlink = sx->stx_nlink;
	e->link = NO_LINK;
}

/* ext4 and xfs hand a removed directory's inode number to the next mkdir;
 * the generation tells the two apart */
static void dir_generation(int fd, struct rec *e)
{
	int gen;

	if (ioctl(fd, FS_IOC_GETVERSION, &gen) == 0) {
		e->gen = (uint32_t)gen;
		e->has_gen = 1;
	}
}

static int read_target(int dirfd, const char *name, const char *path, struct strbuf *out,
		       struct kerr *err)
{
	strbuf_reset(out);
	for (size_t want = 256;; want *= 2) {
		ssize_t n;

		strbuf_grow(out, want);
		n = readlinkat(dirfd, name, out->buf, out->alloc - 1);
		if (n < 0)
			return kerr_errno(err, errno, "cannot read link '%s'", path);
		if ((size_t)n < out->alloc - 1) {
			strbuf_setlen(out, (size_t)n);
			return 0;
		}
	}
}

struct recorder {
	struct layer_tree_record *r;
	struct strbuf path, target;
};

static int record_dir(struct recorder *rc, int dirfd, struct kerr *err);

static int record_entry(struct recorder *rc, int dirfd, const char *name, struct kerr *err)
{
	struct layer_tree_record *r = rc->r;
	size_t i = r->n;
	struct statx sx;
	struct rec *e;
	uint32_t off = 0;

	if (stat_entry(dirfd, name, &sx) < 0)
		return kerr_errno(err, errno, "cannot stat '%s'", rc->path.buf);
	if (r->n >= UINT32_MAX - 1)
		return kerr_set(err, "the tree has too many entries to record");
	if (pool_add(r, name, strlen(name), &off, err) < 0)
		return -1;
	r->v = xgrow(r->v, sizeof(*r->v), r->n + 1, &r->alloc);
	e = &r->v[r->n++];
	fill_rec(e, &sx);
	e->name = off;
	if (S_ISLNK(sx.stx_mode)) {
		if (read_target(dirfd, name, rc->path.buf, &rc->target, err) < 0 ||
		    pool_add(r, rc->target.buf, rc->target.len, &off, err) < 0)
			return -1;
		r->v[i].link = off;
	} else if (S_ISDIR(sx.stx_mode)) {
		cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);

		if (fd < 0)
			return kerr_errno(err, errno, "cannot open '%s'", rc->path.buf);
		dir_generation(fd, e);
		if (record_dir(rc, fd, err) < 0)
			return -1;
	}
	r->v[i].end = (uint32_t)r->n;
	return 0;
}

static int record_dir(struct recorder *rc, int dirfd, struct kerr *err)
{
	struct strvec names = STRVEC_INIT;
	size_t base = rc->path.len;
	int ret = walk_names(dirfd, base ? rc->path.buf : ".", &names, err);

	for (size_t i = 0; i < names.n && !ret; i++) {
		if (base)
			strbuf_addch(&rc->path, '/');
		strbuf_addstr(&rc->path, names.v[i]);
		ret = record_entry(rc, dirfd, names.v[i], err);
		strbuf_setlen(&rc->path, base);
	}
	strvec_clear(&names);
	return ret;
}

int layer_tree_record(int rootfd, struct layer_tree_record **out, struct kerr *err)
{
	struct layer_tree_record *r = xcalloc(1, sizeof(*r));
	struct recorder rc = { r, STRBUF_INIT, STRBUF_INIT };
	cleanup_close int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statx sx;
	int ret;

	*out = NULL;
	strbuf_init(&r->pool, 0);
	if (fd < 0 || stat_entry(fd, ".", &sx) < 0) {
		kerr_errno(err, errno, "cannot open the tree to record");
		layer_tree_record_free(r);
		return -1;
	}
	r->v = xgrow(r->v, sizeof(*r->v), 1, &r->alloc);
	fill_rec(&r->v[0], &sx);
	r->n = 1;
	if (pool_add(r, "", 0, &r->v[0].name, err) < 0)
		ret = -1;
	else
		ret = record_dir(&rc, fd, err);
	r->v[0].end = (uint32_t)r->n;
	strbuf_release(&rc.path);
	strbuf_release(&rc.target);
	if (ret < 0) {
		layer_tree_record_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void layer_tree_record_free(struct layer_tree_record *r)
{
	if (!r)
		return;
	free(r->v);
	strbuf_release(&r->pool);
	free(r);
}

/* ---- the compare ---- */

/* a directory met on the way down that is unchanged itself: written only
 * when something below it is, with what it holds then */
struct pending {
	int parentfd;		/* borrowed from the level above */
	char *name;
	size_t pathlen;		/* w->path up to and with its name */
};

struct differ {
	struct walk w;
	const struct layer_tree_record *r;
	struct pending *stack;
	size_t depth, alloc;
	struct strbuf target;
};

/* writes the pending directories above the change at hand */
static int flush(struct differ *d, struct kerr *err)
{
	struct walk *w = &d->w;
	size_t len = w->path.len;
	cleanup_free char *full = NULL;
	int rc = 0;

	if (!d->depth)
		return 0;
	/* the pending paths are prefixes of the current one: cut it short
	 * for each and put the rest back */
	full = xstrdup(w->path.buf);

	for (size_t i = 0; i < d->depth && !rc; i++) {
		strbuf_setlen(&w->path, 0);
		strbuf_add(&w->path, full, d->stack[i].pathlen);
		rc = walk_entry(w, d->stack[i].parentfd, d->stack[i].name, WALK_ENTRY, err);
	}
	for (size_t i = 0; i < d->depth; i++)
		free(d->stack[i].name);
	d->depth = 0;
	strbuf_setlen(&w->path, 0);
	strbuf_add(&w->path, full, len);
	return rc;
}

static bool same_time(int64_t s1, uint32_t ns1, int64_t s2, uint32_t ns2)
{
	return s1 == s2 && ns1 == ns2;
}

/* the same inode as recorded (not a new one with a reused number) */
static bool same_inode(const struct rec *a, const struct rec *b)
{
	if (a->ino != b->ino || a->dev != b->dev || (a->mode & S_IFMT) != (b->mode & S_IFMT))
		return false;
	if (a->has_btime && b->has_btime &&
	    !same_time(a->btime, a->btime_ns, b->btime, b->btime_ns))
		return false;
	return !(a->has_gen && b->has_gen && a->gen != b->gen);
}

/*
 * Whether a file the step did not replace counts as changed: any metadata
 * but atime. A change of ctime alone with fewer links is another name of
 * the file going away; overlayfs leaves such a file in its lower, so the
 * compare does too.
 */
static bool file_changed(const struct rec *old, const struct rec *now)
{
	if (old->mode != now->mode || old->uid != now->uid || old->gid != now->gid ||
	    old->size != now->size || !same_time(old->mtime, old->mtime_ns, now->mtime, now->mtime_ns))
		return true;
	if (same_time(old->ctime, old->ctime_ns, now->ctime, now->ctime_ns))
		return false;
	return !(now->nlink < old->nlink);
}

/*
 * Whether a directory that is the recorded inode counts as changed by
 * itself: mode, owner (o->owners' word first) or mtime, what overlayfs
 * keeps of a lower directory it copies up. Not its ctime: a name made
 * and removed again, a chmod undone, an xattr set all move it, and on
 * overlay none of them leaves more than a copy of the lower's directory,
 * which layer_diff_upper leaves out.
 */
static bool dir_changed(const struct walk *w, const struct rec *old, const struct rec *now)
{
	const struct layer_owner *own = walk_owner(w, w->path.buf);
	uint32_t uid = own ? own->uid : now->uid;
	uint32_t gid = own ? own->gid : now->gid;

	return old->mode != now->mode || old->uid != uid || old->gid != gid ||
	       !same_time(old->mtime, old->mtime_ns, now->mtime, now->mtime_ns);
}

static int diff_dir(struct differ *d, int dirfd, size_t first, size_t end, struct kerr *err);

/* name is in the tree and was recorded as old */
static int diff_both(struct differ *d, int dirfd, const char *name, size_t oi,
		     struct kerr *err)
{
	const struct layer_tree_record *r = d->r;
	const struct rec *old = &r->v[oi];
	struct walk *w = &d->w;
	struct statx sx;
	struct rec now;

	if (stat_entry(dirfd, name, &sx) < 0)
		return kerr_errno(err, errno, "cannot stat '%s'", w->path.buf);
	fill_rec(&now, &sx);
	if (S_ISDIR(now.mode)) {
		cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		int rc;

		if (fd < 0)
			return kerr_errno(err, errno, "cannot open '%s'", w->path.buf);
		dir_generation(fd, &now);
		if (!same_inode(old, &now)) {
			/* overlayfs makes a directory created where a name
			 * was removed opaque: the lower's contents are gone */
			if (flush(d, err) < 0)
				return -1;
			return walk_entry(w, dirfd, name, WALK_TREE_OPAQUE, err);
		}
		if (dir_changed(w, old, &now)) {
			if (flush(d, err) < 0 || walk_entry(w, dirfd, name, WALK_ENTRY, err) < 0)
				return -1;
			return diff_dir(d, fd, oi + 1, old->end, err);
		}
		d->stack = xgrow(d->stack, sizeof(*d->stack), d->depth + 1, &d->alloc);
		d->stack[d->depth++] = (struct pending){ dirfd, xstrdup(name), w->path.len };
		rc = diff_dir(d, fd, oi + 1, old->end, err);
		/* still pending: nothing below changed */
		if (d->depth)
			free(d->stack[--d->depth].name);
		return rc;
	}
	if (same_inode(old, &now) && !file_changed(old, &now)) {
		if (!S_ISLNK(now.mode))
			return 0;
		/* a retarget of the same length in the same clock tick */
		if (read_target(dirfd, name, w->path.buf, &d->target, err) < 0)
			return -1;
		if (!strcmp(d->target.buf, r->pool.buf + old->link))
			return 0;
	}
	if (flush(d, err) < 0)
		return -1;
	return walk_entry(w, dirfd, name, WALK_TREE, err);
}

static int diff_dir(struct differ *d, int dirfd, size_t first, size_t end, struct kerr *err)
{
	const struct layer_tree_record *r = d->r;
	struct walk *w = &d->w;
	struct strvec names = STRVEC_INIT;
	size_t base = w->path.len;
	size_t i = 0, j = first;
	int rc = walk_names(dirfd, base ? w->path.buf : ".", &names, err);

	while (!rc && (i < names.n || j < end)) {
		const char *old = j < end ? r->pool.buf + r->v[j].name : NULL;
		int c = !old ? -1 : i >= names.n ? 1 : strcmp(names.v[i], old);

		walk_push(w, c <= 0 ? names.v[i] : old);
		if (c > 0) {
			rc = flush(d, err);
			if (!rc)
				rc = walk_whiteout(w, w->path.buf, err);
		} else if (c < 0) {
			rc = flush(d, err);
			if (!rc)
				rc = walk_entry(w, dirfd, names.v[i], WALK_TREE, err);
		} else {
			rc = diff_both(d, dirfd, names.v[i], j, err);
		}
		strbuf_setlen(&w->path, base);
		if (c >= 0)
			j = r->v[j].end;
		if (c <= 0)
			i++;
	}
	strvec_clear(&names);
	return rc;
}

int layer_diff_tree(int rootfd, const struct layer_tree_record *rec, struct layer_writer *lw,
		    const struct layer_diff_opts *o, bool *empty, struct kerr *err)
{
	cleanup_close int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct differ d = { .r = rec, .target = STRBUF_INIT };
	int rc;

	*empty = true;
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open the tree to compare");
	walk_setup(&d.w, lw, o);
	rc = diff_dir(&d, fd, 1, rec->v[0].end, err);
	*empty = !d.w.wrote;
	for (size_t i = 0; i < d.depth; i++)
		free(d.stack[i].name);
	free(d.stack);
	strbuf_release(&d.target);
	walk_release(&d.w);
	return rc;
}
