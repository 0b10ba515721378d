/* exec-copy.c: COPY and ADD. Sources come from the context (less what
 * .dockerignore leaves out) or another stage's or image's root, and are
 * resolved inside that root: a symlink named as a source is followed, but
 * only within its root; symlinks below it are copied as links. The
 * destination is resolved inside the stage's root; a symlink as its last
 * name is followed there when it leads to a directory, and replaced
 * otherwise, as buildah does; below it, a link where a copied entry goes
 * is replaced, never written through. Owners are --chown's, else 0:0
 * from the context and the source's from a stage or image (its layers'
 * owner tables say those the disk cannot show); an owner this namespace
 * cannot hold goes into the layer only (snapshot_set_owner). Modes are the
 * source's or --chmod's, mtimes kept. ADD unpacks local tar and
 * tar.gz archives, and fetches http(s) URLs (exec-url.c). The same walk, in key mode, hashes what would be copied
 * (names, types, modes, sizes, link targets, contents; not owners or
 * mtimes) for the step's cache key. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/exec.h"
#include "layer/extract.h"
#include "layer/tar-read.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

/* --chmod: an octal mode or symbolic clauses ("u+x,go-w") */
struct chmod_spec {
	bool set, octal;
	mode_t mode;
	char *sym;
};

struct copy {
	struct build *b;
	struct stage_state *ss;
	const struct plan_instr *in;
	const char *what;		/* "COPY" or "ADD" */
	bool add;
	int srcfd;			/* the root sources resolve in */
	const char *srcname;		/* "build context", "stage build" */
	bool context;
	int dstfd;			/* the stage's root */
	struct sha256 *key;		/* key mode: hash, copy nothing */
	bool chown;
	uint32_t uid, gid;
	bool record_owner;		/* the disk cannot hold uid/gid */
	struct chmod_spec chmod;
	bool parents;
	bool unpack;			/* ADD: local archives (default) */
	bool unpack_url;		/* ADD --unpack=true: a URL's too */
	struct strvec excludes;
	struct snapshot *from;		/* a stage's root, freed at the end */
	const char *top_rel;		/* the source at hand, as matched */
	char *top_real;			/* and where its symlinks led, in from */
};

static int parse_chmod(const char *s, struct chmod_spec *c, struct kerr *err)
{
	char *end;
	unsigned long v;

	c->set = true;
	v = strtoul(s, &end, 8);
	if (*s && !*end) {
		if (v > 07777)
			return kerr_input(err, "invalid --chmod '%s'", s);
		c->octal = true;
		c->mode = (mode_t)v;
		return 0;
	}
	/* check the symbolic form once, apply it per file */
	for (const char *p = s; *p;) {
		while (strchr("ugoa", *p) && *p)
			p++;
		if (!*p || !strchr("+-=", *p))
			return kerr_input(err, "invalid --chmod '%s'", s);
		p++;
		while (*p && strchr("rwxXst", *p))
			p++;
		if (*p == ',')
			p++;
		else if (*p)
			return kerr_input(err, "invalid --chmod '%s'", s);
	}
	c->sym = xstrdup(s);
	return 0;
}

static mode_t apply_chmod(const struct chmod_spec *c, mode_t mode, bool dir)
{
	mode_t m = mode & 07777;
	const char *p;

	if (!c->set)
		return m;
	if (c->octal)
		return c->mode;
	for (p = c->sym; *p;) {
		mode_t who = 0, bits = 0;
		bool all = false;
		char op;

		/* setuid goes with u, setgid with g, sticky only with a (or
		 * none): "o+t" does nothing, as in BuildKit */
		for (; *p && strchr("ugoa", *p); p++)
			who |= *p == 'u' ? 04700 : *p == 'g' ? 02070 : *p == 'o' ? 00007 : 07777;
		if (!who)
			who = 07777, all = true;
		op = *p++;
		for (; *p && strchr("rwxXst", *p); p++) {
			switch (*p) {
			case 'r': bits |= 0444; break;
			case 'w': bits |= 0222; break;
			case 'x': bits |= 0111; break;
			case 'X': if (dir || (mode & 0111)) bits |= 0111; break;
			case 's': bits |= 06000; break;
			case 't': bits |= 01000; break;
			}
		}
		bits &= who;
		/* without a who, the umask (BuildKit's 022) holds bits back */
		if (all)
			bits &= ~(mode_t)022;
		if (op == '+')
			m |= bits;
		else if (op == '-')
			m &= ~bits;
		else
			m = (m & ~who) | bits;
		if (*p == ',')
			p++;
	}
	return m;
}

/*
 * Is rel (in the source root) left out? DF_IGNORE_EXCLUDE is a directory
 * .dockerignore leaves out while an exception may reach into it ("dir",
 * "!dir/keep"): a walk still descends, and the directory exists only if
 * something below it is kept, as in the context BuildKit is sent.
 */
static enum df_ignore_verdict verdict(const struct copy *c, const char *rel, bool is_dir)
{
	enum df_ignore_verdict v = DF_IGNORE_KEEP;

	for (size_t i = 0; i < c->excludes.n; i++)
		if (!fnmatch(c->excludes.v[i], rel, 0) ||
		    !fnmatch(c->excludes.v[i], path_base(rel), 0))
			return DF_IGNORE_SKIP_DIR;
	if (c->context)
		v = context_verdict(&c->b->ctx, rel, is_dir);
	if (v == DF_IGNORE_EXCLUDE && !is_dir)
		v = DF_IGNORE_SKIP_DIR;
	return v;
}

/* is rel, found in the directory dirfd as name, left out altogether? */
static bool excluded_at(const struct copy *c, int dirfd, const char *name, const char *rel)
{
	struct stat st;
	bool dir = !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);

	return verdict(c, rel, dir) == DF_IGNORE_SKIP_DIR;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in a directory, sorted, without . and .. */
static int list_dir(int dirfd, struct strvec *out, struct kerr *err)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return kerr_errno(err, errno, "cannot read a directory");
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strvec_push(out, de->d_name);
	closedir(d);
	qsort(out->v, out->n, sizeof(char *), cmp_str);
	return 0;
}

/* Expands a source pattern ("src/" "*.c") against the root, one component at
 * a time as Go's filepath.Match does ('*' never matches '/'). */
static int expand(struct copy *c, const char *prefix, const char *rest, struct strvec *out,
		  struct kerr *err)
{
	const char *slash = strchr(rest, '/');
	cleanup_free char *comp = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	struct strvec names = STRVEC_INIT;
	int dfd, r = 0;

	if (!has_glob(comp)) {
		char *p = *prefix ? xasprintf("%s/%s", prefix, comp) : xstrdup(comp);

		if (slash && slash[1])
			r = expand(c, p, slash + 1, out, err);
		else
			strvec_push(out, p);
		free(p);
		return r;
	}
	dfd = path_open_in_root(c->srcfd, *prefix ? prefix : ".", O_RDONLY | O_DIRECTORY, 0, err);
	if (dfd < 0) {
		kerr_clear(err);
		return 0;	/* no such directory: no match */
	}
	r = list_dir(dfd, &names, err);
	for (size_t i = 0; r >= 0 && i < names.n; i++) {
		char *p;

		if (fnmatch(comp, names.v[i], 0))
			continue;
		p = *prefix ? xasprintf("%s/%s", prefix, names.v[i]) : xstrdup(names.v[i]);
		if (!excluded_at(c, dfd, names.v[i], p)) {
			if (slash && slash[1])
				r = expand(c, p, slash + 1, out, err);
			else
				strvec_push(out, p);
		}
		free(p);
	}
	close(dfd);
	strvec_clear(&names);
	return r;
}

/* ---- key mode ---- */

static int hash_entry(struct copy *c, int dirfd, const char *name, const char *rel, bool top,
		      struct kerr *err);

static int hash_dir(struct copy *c, int fd, const char *rel, struct kerr *err)
{
	struct strvec names = STRVEC_INIT;
	int r = list_dir(fd, &names, err);

	for (size_t i = 0; r >= 0 && i < names.n; i++) {
		char *sub = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
		struct stat st;
		bool dir = !fstatat(fd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) &&
			   S_ISDIR(st.st_mode);

		/* an excluded directory an exception reaches into is hashed
		 * with what it keeps (its own metadata too: at worst a miss) */
		if (verdict(c, sub, dir) != DF_IGNORE_SKIP_DIR)
			r = hash_entry(c, fd, names.v[i], sub, false, err);
		free(sub);
	}
	strvec_clear(&names);
	return r;
}

static int hash_entry(struct copy *c, int dirfd, const char *name, const char *rel, bool top,
		      struct kerr *err)
{
	struct stat st;
	char buf[64];
	int fd;

	fd = top ? path_open_in_root(dirfd, name, O_PATH, 0, err)
		 : openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return top ? -1 : kerr_errno(err, errno, "'%s'", rel);
	}
	key_add(c->key, rel);
	snprintf(buf, sizeof(buf), "%o %lld", (unsigned)st.st_mode, (long long)st.st_size);
	key_add(c->key, buf);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

		key_add_buf(c->key, target, n > 0 ? (size_t)n : 0);
	} else if (S_ISREG(st.st_mode)) {
		unsigned char h[SHA256_LEN];
		char link[64];
		int rfd;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		rfd = open(link, O_RDONLY | O_CLOEXEC);
		if (rfd < 0 || sha256_fd(rfd, h, err) < 0) {
			int e = errno;

			if (rfd >= 0)
				close(rfd);
			close(fd);
			return kerr_errno(err, e, "cannot read '%s'", rel);
		}
		close(rfd);
		key_add_buf(c->key, h, sizeof(h));
	} else if (S_ISDIR(st.st_mode)) {
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = dfd < 0 ? kerr_errno(err, errno, "'%s'", rel) : hash_dir(c, dfd, rel, err);

		if (dfd >= 0)
			close(dfd);
		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

/* ---- copy mode ---- */

/* an entry's owner */
struct owner {
	uint32_t uid, gid;
	bool recorded;		/* from the source root's tables, not its disk */
};

/* srel's path in the source root as its disk has it: the top source was
 * resolved through symlinks, which the owner tables know nothing of */
static char *real_src(const struct copy *c, const char *srel)
{
	size_t n = strlen(c->top_rel);
	const char *rest = srel + n;

	if (!c->top_real || strncmp(srel, c->top_rel, n) || (n && *rest && *rest != '/'))
		return xstrdup(srel);
	while (*rest == '/')
		rest++;
	if (!*c->top_real || !*rest)
		return xstrdup(*c->top_real ? c->top_real : rest);
	return xasprintf("%s/%s", c->top_real, rest);
}

/* --chown's owner; else 0:0 from the context, the source's own from a
 * stage or an image (as BuildKit copies them): where the source's disk
 * shows 0:0 for an owner it could not hold, its layers' owner tables have
 * the image's */
static int source_owner(struct copy *c, const char *srel, const struct stat *st,
			struct owner *o, struct kerr *err)
{
	cleanup_free char *real = NULL;
	struct layer_owner lo;
	int r;

	memset(o, 0, sizeof(*o));
	if (c->chown) {
		o->uid = c->uid;
		o->gid = c->gid;
		return 0;
	}
	if (c->context)
		return 0;
	o->uid = st->st_uid;
	o->gid = st->st_gid;
	if (!c->from || o->uid || o->gid)
		return 0;
	real = real_src(c, srel);
	r = snapshot_owner(c->from, real, st, &lo, err);
	if (r <= 0)
		return r < 0 ? kerr_wrap(err, "%s", c->what) : 0;
	o->uid = lo.uid;
	o->gid = lo.gid;
	o->recorded = true;
	return 0;
}

/* Gives dirfd/name o's owner, on disk when this namespace maps it, else in
 * the layer. Call before the chmod: chown clears setuid and setgid bits. */
static int set_owner(struct copy *c, int dirfd, const char *name, const char *dstrel,
		     const struct owner *o, struct kerr *err)
{
	uint32_t uid = o->uid, gid = o->gid;
	bool held = sandbox_id_mapped(c->b->ids, uid, false) &&
		    sandbox_id_mapped(c->b->ids, gid, true);

	/* a source's disk owner this namespace cannot hold is the overflow
	 * id, a file of another map's cache: nothing says its owner */
	if (!c->chown && !o->recorded && !held) {
		uid = gid = 0;
		held = true;
	}
	if (!held)
		return snapshot_set_owner(c->ss->snap, dstrel, uid, gid, err);
	if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_errno(err, errno, "cannot chown '/%s'", dstrel);
	return 0;
}

int exec_mkdirs_owned(struct build *b, struct snapshot *snap, const char *rel, uint32_t uid,
		      uint32_t gid, struct kerr *err)
{
	int rootfd = snapshot_rootfd(snap);
	/* with only 0 mapped, the layer records the owner the disk cannot hold */
	bool record = !sandbox_id_mapped(b->ids, uid, false) || !sandbox_id_mapped(b->ids, gid, true);
	cleanup_free char *p = xstrdup(rel);
	int fd;

	for (char *s = p; uid || gid; s++) {
		bool last = !(s = strchr(s, '/'));
		int probe;

		if (!last)
			*s = 0;
		probe = path_open_in_root(rootfd, p, O_PATH, 0, err);
		if (probe >= 0) {
			close(probe);
		} else {
			kerr_clear(err);
			fd = path_mkdirs_in_root(rootfd, p, 0755, err);
			if (fd < 0)
				return -1;
			if (record) {
				if (snapshot_set_owner(snap, p, uid, gid, err) < 0) {
					close(fd);
					return -1;
				}
			} else if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
				close(fd);
				return kerr_errno(err, errno, "cannot chown '/%s'", p);
			}
			close(fd);
		}
		if (last)
			break;
		*s = '/';
	}
	return path_mkdirs_in_root(rootfd, rel, 0755, err);
}

/* mkdir -p of rel in the stage root; directories it creates get --chown's
 * owner, as BuildKit gives them (existing ones keep theirs) */
static int mkdirs_owned(struct copy *c, const char *rel, struct kerr *err)
{
	if (c->chown)
		return exec_mkdirs_owned(c->b, c->ss->snap, rel, c->uid, c->gid, err);
	return path_mkdirs_in_root(c->dstfd, rel, 0755, err);
}

static int copy_data(int in, int out, const char *rel, struct kerr *err)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			return kerr_errno(err, errno, "cannot write '/%s'", rel);
	if (n < 0)
		return kerr_errno(err, errno, "cannot read '%s'", rel);
	return 0;
}

/* removes what is at dirfd/name unless it is a directory and want_dir */
static int clear_slot(int dirfd, const char *name, bool want_dir, const char *rel,
		      struct kerr *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : kerr_errno(err, errno, "'/%s'", rel);
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		return kerr_input(err, "cannot copy a file over the directory '/%s'", rel);
	}
	if (unlinkat(dirfd, name, 0) < 0)
		return kerr_errno(err, errno, "cannot replace '/%s'", rel);
	return 0;
}

static int copy_entry(struct copy *c, int sfd, const struct stat *st, const char *srel,
		      int ddir, const char *dname, const char *drel, bool top, bool lazy,
		      struct kerr *err);

/* copies the entries of the directory sfd; 1 when none was kept */
static int copy_dir(struct copy *c, int sfd, const char *srel, int ddir, const char *drel,
		    struct kerr *err)
{
	struct strvec names = STRVEC_INIT;
	int r = list_dir(sfd, &names, err);
	bool none = true;

	for (size_t i = 0; r >= 0 && i < names.n; i++) {
		char *s = *srel ? xasprintf("%s/%s", srel, names.v[i]) : xstrdup(names.v[i]);
		char *d = *drel ? xasprintf("%s/%s", drel, names.v[i]) : xstrdup(names.v[i]);
		enum df_ignore_verdict v = DF_IGNORE_KEEP;
		struct stat st;
		int fd;

		if (fstatat(sfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = kerr_errno(err, errno, "'%s'", s);
		else
			v = verdict(c, s, S_ISDIR(st.st_mode));
		if (r >= 0 && v != DF_IGNORE_SKIP_DIR) {
			fd = openat(sfd, names.v[i],
				    (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) ? O_RDONLY : O_PATH) |
				    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				r = kerr_errno(err, errno, "cannot open '%s'", s);
			else
				r = copy_entry(c, fd, &st, s, ddir, names.v[i], d, false,
					       v == DF_IGNORE_EXCLUDE, err);
			if (r == 0)
				none = false;
			if (fd >= 0)
				close(fd);
		}
		free(s);
		free(d);
	}
	strvec_clear(&names);
	return r < 0 ? r : none;
}

/* Copies one entry; 0 done. lazy: a directory .dockerignore leaves out
 * but an exception may reach into, made only if something below it is
 * kept (else 1, and nothing is left behind). */
static int copy_entry(struct copy *c, int sfd, const struct stat *st, const char *srel,
		      int ddir, const char *dname, const char *drel, bool top, bool lazy,
		      struct kerr *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	mode_t mode = apply_chmod(&c->chmod, st->st_mode, S_ISDIR(st->st_mode));
	struct owner own;
	int r;

	if (exec_interrupted())
		return exec_interrupt_err(err);
	if (source_owner(c, srel, st, &own, err) < 0)
		return -1;
	if (S_ISDIR(st->st_mode)) {
		cleanup_close int dfd = -1;

		r = clear_slot(ddir, dname, true, drel, err);
		if (r < 0)
			return -1;
		if (!r && mkdirat(ddir, dname, 0700) < 0)
			return kerr_errno(err, errno, "cannot create '/%s'", drel);
		dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			return kerr_errno(err, errno, "cannot open '/%s'", drel);
		switch (copy_dir(c, sfd, srel, dfd, drel, err)) {
		case -1:
			return -1;
		case 1:
			if (!lazy)
				break;
			if (!r && unlinkat(ddir, dname, AT_REMOVEDIR) < 0)
				return kerr_errno(err, errno, "cannot remove '/%s'", drel);
			return 1;
		}
		/* a directory that was there keeps its metadata when its
		 * contents are copied in (the top of "COPY dir/ /existing") */
		if (r == 1 && top)
			return 0;
		/* owner first: chown clears setuid and setgid bits */
		if (set_owner(c, ddir, dname, drel, &own, err) < 0)
			return -1;
		if (fchmod(dfd, mode) < 0 || futimens(dfd, times) < 0)
			return kerr_errno(err, errno, "'/%s'", drel);
		return 0;
	}
	if (clear_slot(ddir, dname, false, drel, err) < 0)
		return -1;
	if (S_ISREG(st->st_mode)) {
		cleanup_close int out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL |
					       O_NOFOLLOW | O_CLOEXEC, 0600);

		if (out < 0)
			return kerr_errno(err, errno, "cannot create '/%s'", drel);
		if (copy_data(sfd, out, srel, err) < 0 ||
		    set_owner(c, ddir, dname, drel, &own, err) < 0)
			return -1;
		if (fchmod(out, mode) < 0 || futimens(out, times) < 0)
			return kerr_errno(err, errno, "'/%s'", drel);
		return 0;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(sfd, "", target, sizeof(target) - 1);

		if (n < 0)
			return kerr_errno(err, errno, "cannot read the link '%s'", srel);
		target[n] = 0;
		if (symlinkat(target, ddir, dname) < 0)
			return kerr_errno(err, errno, "cannot create '/%s'", drel);
		if (set_owner(c, ddir, dname, drel, &own, err) < 0)
			return -1;
		utimensat(ddir, dname, times, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (S_ISFIFO(st->st_mode) && mkfifoat(ddir, dname, mode) == 0)
		return set_owner(c, ddir, dname, drel, &own, err);
	log_warn("%s: '%s' is a device or socket: not copied", c->what, srel);
	return 0;
}

/* Does ADD unpack this file? As docker's, when it is a tar, plain or
 * compressed, told by what is inside and not by the name: its (inflated)
 * first block must be a tar header, so a .gz of anything else is copied as
 * it is. Docker also unpacks bzip2 and xz tars; kiln reads neither, and
 * copies such files as they are. fd is left at offset 0. */
static bool is_archive(int fd)
{
	struct layer_input *in = NULL;
	struct kerr err = KERR_INIT;
	unsigned char h[TAR_BLOCK];
	size_t got = 0;
	ssize_t n = 0;

	if (lseek(fd, 0, SEEK_SET) == 0 && layer_input_open_fd(&in, fd, NULL, &err) == 0)
		while (got < sizeof(h) &&
		       (n = layer_input_read(in, h + got, sizeof(h) - got, &err)) > 0)
			got += (size_t)n;
	kerr_clear(&err);
	layer_input_free(in);
	return lseek(fd, 0, SEEK_SET) == 0 && got == sizeof(h) && tar_header_valid(h);
}

static char *join_rel(const char *a, const char *b)
{
	cleanup_free char *j = path_join(*a ? a : "/", b);
	char *clean = path_clean(j);
	char *p = clean;

	while (*p == '/')
		p++;
	memmove(clean, p, strlen(p) + 1);
	return clean;
}

/* unpacks the archive fd into the directory dst (as given) */
static int unpack_archive(struct copy *c, int fd, const char *srel, const char *dst,
			  struct kerr *err)
{
	struct layer_extract_opts eo = LAYER_EXTRACT_OPTS_INIT;
	struct layer_owners owners = LAYER_OWNERS_INIT;
	cleanup_free char *rel = join_rel(dst, ".");
	const char *drel = *rel ? rel : ".";
	cleanup_close int dfd = -1;
	int r = 0;

	dfd = mkdirs_owned(c, drel, err);
	if (dfd < 0)
		return -1;
	close(dfd);
	dfd = path_open_in_root(c->dstfd, drel, O_RDONLY | O_DIRECTORY, 0, err);
	if (dfd < 0)
		return -1;
	/* owners the map cannot hold go into the layer, as COPY --chown's */
	eo.chown = c->b->ids != NULL;
	eo.chown_lenient = 1;
	eo.owners = &owners;
	/* the snapshot is in a 0700 folder: setuid bits are safe there */
	eo.setid_private = 1;
	/* --chown owns what the archive holds too (BuildKit since 0.23) */
	eo.force_owner = c->chown;
	eo.force_uid = c->uid;
	eo.force_gid = c->gid;
	if (layer_extract_fd(dfd, fd, &eo, NULL, err) < 0) {
		layer_owners_clear(&owners);
		return kerr_wrap(err, "ADD %s", srel);
	}
	for (size_t i = 0; r == 0 && i < owners.n; i++) {
		const struct layer_owner_rec *o = &owners.v[i];
		cleanup_free char *p = strcmp(drel, ".") ? xasprintf("%s/%s", drel, o->path)
							 : xstrdup(o->path);

		r = snapshot_set_owner(c->ss->snap, p, o->uid, o->gid, err);
	}
	layer_owners_clear(&owners);
	return r;
}


/* where the source opened as fd is in the source root, its symlinks
 * followed; NULL when that cannot be told (then the path as matched) */
static char *source_real(const struct copy *c, int fd)
{
	const char *root = snapshot_rootfs(c->from);
	size_t n = strlen(root);
	char link[64], buf[PATH_MAX];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, buf, sizeof(buf) - 1);
	if (len < 0 || (size_t)len >= sizeof(buf) - 1)
		return NULL;
	buf[len] = 0;
	if (strncmp(buf, root, n) || (buf[n] && buf[n] != '/'))
		return NULL;
	return xstrdup(buf[n] ? buf + n + 1 : "");
}

/* one matched source: rel in the source root, dst the destination as
 * given (relative to the stage root), dst_dir: copy into dst */
static int copy_one(struct copy *c, const char *rel, const char *dst, bool dst_dir,
		    struct kerr *err)
{
	cleanup_close int fd = -1, pfd = -1;
	cleanup_free char *drel = NULL, *parent = NULL;
	struct stat st;
	const char *name;

	fd = path_open_in_root(c->srcfd, *rel ? rel : ".", O_PATH, 0, err);
	if (fd < 0 || fstat(fd, &st) < 0)
		return kerr_input(err, "%s: \"%s\": not found in the %s", c->what, rel,
				  c->srcname);
	if (c->key) {
		close(fd);
		fd = -1;
		return hash_entry(c, c->srcfd, *rel ? rel : ".", rel, true, err);
	}
	{
		/* the real fd for reading */
		char link[64];
		int rfd;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		rfd = open(link, (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) ? O_RDONLY : O_PATH) |
			   O_CLOEXEC | O_NONBLOCK);
		if (rfd < 0)
			return kerr_errno(err, errno, "cannot open '%s'", rel);
		close(fd);
		fd = rfd;
	}
	c->top_rel = rel;
	free(c->top_real);
	c->top_real = c->from ? source_real(c, fd) : NULL;
	if (S_ISDIR(st.st_mode)) {
		drel = c->parents && *rel ? join_rel(dst, rel) : join_rel(dst, ".");
	} else if (c->add && c->unpack && S_ISREG(st.st_mode) && is_archive(fd)) {
		return unpack_archive(c, fd, rel, dst, err);
	} else if (dst_dir) {
		drel = join_rel(dst, c->parents ? rel : path_base(rel));
	} else {
		drel = join_rel(dst, ".");
	}
	if (!*drel) {
		/* a directory's contents into / : the root keeps its own metadata */
		if (!S_ISDIR(st.st_mode))
			return kerr_input(err, "%s: cannot copy '%s' onto the root itself", c->what,
					  rel);
		return copy_dir(c, fd, rel, c->dstfd, "", err) < 0 ? -1 : 0;
	}
	parent = xstrdup(drel);
	{
		char *slash = strrchr(parent, '/');

		if (slash) {
			*slash = 0;
			name = drel + (slash - parent) + 1;
		} else {
			strcpy(parent, ".");
			name = drel;
		}
	}
	pfd = mkdirs_owned(c, parent, err);
	if (pfd < 0)
		return kerr_wrap(err, "%s", c->what);
	{
		/* an O_PATH fd cannot be read; the *at calls take it as it is */
		return copy_entry(c, fd, &st, rel, pfd, name, drel, true, false, err);
	}
}

/* A new regular file at dst, or dst/name when dst_dir: its bytes from
 * content, else from fd_in (read with pread, so a file shared by stage
 * processes keeps no offset); mode through --chmod, mtime, --chown. */
static int new_file(struct copy *c, const char *name, const char *content, int fd_in,
		    mode_t base, time_t mtime, const char *dst, bool dst_dir, struct kerr *err)
{
	cleanup_free char *drel = join_rel(dst, dst_dir ? name : ".");
	cleanup_close int fd = -1;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { mtime, 0 } };
	mode_t mode = apply_chmod(&c->chmod, base, false);

	fd = path_open_in_root(c->dstfd, drel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600,
			       err);
	if (fd < 0) {
		/* the parent may not exist yet */
		char *slash = strrchr(drel, '/');

		kerr_clear(err);
		if (slash) {
			int pfd;

			*slash = 0;
			pfd = path_mkdirs_in_root(c->dstfd, drel, 0755, err);
			*slash = '/';
			if (pfd < 0)
				return -1;
			close(pfd);
		}
		fd = path_open_in_root(c->dstfd, drel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
				       0600, err);
		if (fd < 0)
			return -1;
	}
	if (content) {
		if (write_all(fd, content, strlen(content)) < 0)
			return kerr_errno(err, errno, "cannot write '/%s'", drel);
	} else {
		char buf[65536];
		off_t off = 0;
		ssize_t n;

		while ((n = pread(fd_in, buf, sizeof(buf), off)) > 0) {
			if (write_all(fd, buf, (size_t)n) < 0)
				return kerr_errno(err, errno, "cannot write '/%s'", drel);
			off += n;
		}
		if (n < 0)
			return kerr_errno(err, errno, "cannot read the file for '/%s'", drel);
	}
	if (c->chown && (c->uid || c->gid)) {
		/* owner first: chown clears setuid and setgid bits */
		if (c->record_owner) {
			if (snapshot_set_owner(c->ss->snap, drel, c->uid, c->gid, err) < 0)
				return -1;
		} else if (fchown(fd, c->uid, c->gid) < 0) {
			return kerr_errno(err, errno, "cannot chown '/%s'", drel);
		}
	}
	if (fchmod(fd, mode) < 0)
		return kerr_errno(err, errno, "cannot write '/%s'", drel);
	futimens(fd, times);
	return 0;
}

static int heredoc_file(struct copy *c, const struct df_heredoc *h, const char *content,
			const char *dst, bool dst_dir, struct kerr *err)
{
	if (c->key) {
		key_add(c->key, h->name.s);
		key_add(c->key, content);
		return 0;
	}
	/* heredoc files get the build's time as mtime: SOURCE_DATE_EPOCH or 0 */
	return new_file(c, h->name.s, content, -1, 0644, c->b->epoch ? c->b->lo.timestamp : 0,
			dst, dst_dir, err);
}

/* ADD of a URL: mode 0600 and the server's Last-Modified, as docker */
static int url_file(struct copy *c, const struct exec_url *u, const char *url,
		    const char *dst, bool dst_dir, struct kerr *err)
{
	const char *name;

	/* only URLs the build fetched get here; without the feature, none */
	if (!IS_ENABLED(CONFIG_BUILD_ADD_URL))
		return kerr_set(err, "ADD %s: URLs are not in this build", url);
	name = exec_url_name(u);
	if (dst_dir && !name)
		return kerr_input(err, "ADD %s: the URL names no file; give the destination as a "
				  "file", url);
	if (c->key) {
		key_add(c->key, "url");
		key_add(c->key, name ? name : "");
		key_add(c->key, exec_url_digest(u));
		return 0;
	}
	if (c->unpack_url) {
		char link[64];
		cleanup_close int fd = -1;

		/* a description of its own: stage processes share the URL's */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", exec_url_fd(u));
		fd = open(link, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return kerr_errno(err, errno, "ADD %s: cannot reopen the download", url);
		if (is_archive(fd))
			return unpack_archive(c, fd, url, dst, err);
	}
	return new_file(c, name, NULL, exec_url_fd(u), 0600, exec_url_mtime(u), dst, dst_dir,
			err);
}

static int resolve_chown(struct copy *c, const char *spec, struct kerr *err)
{
	struct sandbox_user u;

	if (sandbox_resolve_user(c->dstfd, spec, &u, err) < 0)
		return -1;
	c->chown = true;
	c->uid = u.uid;
	c->gid = u.gid;
	/* with only 0 mapped, the layer records the owner the disk cannot hold */
	c->record_owner = !sandbox_id_mapped(c->b->ids, u.uid, false) ||
			  !sandbox_id_mapped(c->b->ids, u.gid, true);
	return 0;
}

int exec_copy(struct build *b, struct stage_state *ss, const struct plan_instr *in,
	      struct sha256 *key, bool hash_only, struct kerr *err)
{
	struct copy c;
	const char *v;
	const char *dst;
	cleanup_free char *dstabs = NULL;
	struct strvec matched = STRVEC_INIT;
	size_t nsrc, hd = 0, nurls = 0;
	const struct exec_url **urls = NULL;
	bool dst_dir, empty;
	int r = -1;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.ss = ss;
	c.in = in;
	c.add = in->kind == DF_ADD;
	c.what = c.add ? "ADD" : "COPY";
	c.key = hash_only ? key : NULL;
	/* the planner keeps heredoc sources apart from the words */
	if (in->nwords < 1 || in->nwords + in->node->nheredocs < 2)
		return kerr_input(err, "%s needs a source and a destination", c.what);
	nsrc = in->nwords - 1;
	if ((v = plan_flag_get(in, "chmod")) && *v && parse_chmod(v, &c.chmod, err) < 0)
		return -1;
	c.parents = plan_flag_bool(in, "parents");
	/* BuildKit's --unpack: local archives unpack unless it is false, a
	 * URL's body only when it is true */
	c.unpack = c.add && (!plan_flag_get(in, "unpack") || plan_flag_bool(in, "unpack"));
	c.unpack_url = c.add && plan_flag_bool(in, "unpack");
	for (size_t i = 0; i < in->nflags; i++)
		if (!strcmp(in->flags[i].name, "exclude"))
			strvec_push(&c.excludes, in->flags[i].value);
	if (hash_only && in->from.kind != PLAN_SRC_CONTEXT) {
		/* a stage's files are what its key says; an image's what its
		 * manifest digest says: no need to read them */
		if (in->from.kind == PLAN_SRC_STAGE) {
			key_add_buf(key, b->stages[in->from.stage].key, SHA256_LEN);
		} else if (exec_image_digest(b, in->from.image, key, err) < 0) {
			return -1;
		}
		return 0;
	}
	if (in->from.kind == PLAN_SRC_CONTEXT) {
		c.srcfd = b->ctx.fd;
		c.srcname = "build context";
		c.context = true;
	} else {
		if (exec_source_root(b, &in->from, &c.from, err) < 0)
			goto out;
		c.srcfd = snapshot_rootfd(c.from);
		c.srcname = in->from.kind == PLAN_SRC_STAGE ? "source stage" : "source image";
	}
	dst = in->words[nsrc];
	if (*dst != '/')
		dst = dstabs = path_join(ss->cfg.config.working_dir && *ss->cfg.config.working_dir ?
					 ss->cfg.config.working_dir : "/", dst);
	if (!hash_only) {
		if (exec_snapshot(b, ss, err) < 0)
			goto out;
		c.dstfd = snapshot_rootfd(ss->snap);
		if ((v = plan_flag_get(in, "chown")) && *v && resolve_chown(&c, v, err) < 0)
			goto out;
	}
	/* sources: heredocs in order, then patterns expanded */
	for (hd = 0; hd < in->node->nheredocs; hd++)
		strvec_pushf(&matched, "\001%zu", hd);
	for (size_t i = 0; i < nsrc; i++) {
		const char *s = in->words[i];
		cleanup_free char *clean = NULL, *abs = NULL;
		char *p;

		if (c.add && !strncmp(s, "git@", 4)) {
			kerr_input(err, "ADD %s: git sources are not supported", s);
			goto out;
		}
		if (c.add && (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8))) {
			const struct exec_url *u;

			if (!IS_ENABLED(CONFIG_BUILD_ADD_URL)) {
				kerr_input(err, "ADD %s: URLs are not in this build "
					   "(CONFIG_BUILD_ADD_URL=n)", s);
				goto out;
			}
			if (exec_url_get(b, s, plan_flag_get(in, "checksum"), &u, err) < 0) {
				kerr_wrap(err, "ADD");
				goto out;
			}
			urls = xrealloc(urls, (nurls + 1) * sizeof(*urls));
			urls[nurls] = u;
			strvec_pushf(&matched, "\002%zu %s", nurls++, s);
			continue;
		}
		abs = xasprintf("/%s", s);
		clean = path_clean(abs);
		p = clean;
		while (*p == '/')
			p++;
		if (has_glob(p)) {
			size_t before = matched.n;

			if (expand(&c, "", p, &matched, err) < 0)
				goto out;
			if (matched.n == before) {
				kerr_input(err, "%s: no source files match \"%s\"", c.what, s);
				goto out;
			}
		} else {
			if (c.context && *p && excluded_at(&c, c.srcfd, p, p)) {
				kerr_input(err, "%s: \"%s\": not found in the build context "
					   "(or excluded by %s)", c.what, s,
					   df_ignore_source(b->ctx.ignore) ?
					   df_ignore_source(b->ctx.ignore) : ".dockerignore");
				goto out;
			}
			strvec_push(&matched, p);
		}
	}
	{
		size_t dl = strlen(in->words[nsrc]);

		dst_dir = matched.n > 1 || (dl && in->words[nsrc][dl - 1] == '/') ||
			  (dl >= 2 && !strcmp(in->words[nsrc] + dl - 2, "/."));
		if (matched.n > 1 && !dst_dir) {
			kerr_input(err, "%s: with more than one source the destination must be "
				   "a directory and end with a /", c.what);
			goto out;
		}
		if (!dst_dir && !hash_only) {
			/* an existing directory takes the file inside it */
			int fd = path_open_in_root(c.dstfd, dst, O_RDONLY | O_DIRECTORY, 0, err);

			if (fd >= 0) {
				dst_dir = true;
				close(fd);
			} else {
				kerr_clear(err);
			}
		}
	}
	if (!hash_only) {
		/* a destination that is a link to a directory is that
		 * directory (inside the root), as every builder has it; a link
		 * to anything else is replaced, as buildah and docker's own
		 * builder do (BuildKit writes through it, moby/buildkit#1260) */
		char *real = path_resolve_in_root(c.dstfd, dst, err);
		int fd = real ? path_open_in_root(c.dstfd, *real ? real : ".",
						  O_PATH | O_DIRECTORY, 0, err) : -1;

		if (!real) {
			kerr_wrap(err, "%s: destination", c.what);
			goto out;
		}
		kerr_clear(err);
		if (fd >= 0) {
			close(fd);
			free(dstabs);
			dst = dstabs = xasprintf("/%s", real);
		}
		free(real);
	}
	if (plan_flag_get(in, "checksum") && !nurls) {
		kerr_input(err, "ADD --checksum: only for a URL source");
		goto out;
	}
	if (c.key)
		key_add(c.key, dst_dir ? "dir" : "file");
	for (size_t i = 0; i < matched.n; i++) {
		const char *m = matched.v[i];

		if (m[0] == '\002') {
			char *url;
			size_t k = strtoul(m + 1, &url, 10);

			if (url_file(&c, urls[k], url + 1, dst, dst_dir, err) < 0)
				goto out;
			continue;
		}
		if (m[0] == '\001') {
			size_t k = strtoul(m + 1, NULL, 10);

			if (heredoc_file(&c, &in->node->heredocs[k],
					 in->heredocs && in->heredocs[k] ? in->heredocs[k] :
					 in->node->heredocs[k].content.s, dst, dst_dir, err) < 0)
				goto out;
			continue;
		}
		if (copy_one(&c, m, dst, dst_dir, err) < 0)
			goto out;
	}
	if (hash_only) {
		r = 0;
		goto out;
	}
	{
		cleanup_strbuf struct strbuf by = STRBUF_INIT;
		const char *chown = plan_flag_get(in, "chown");

		strbuf_addf(&by, "%s ", c.what);
		if (chown && *chown)
			strbuf_addf(&by, "--chown=%s ", chown);
		for (size_t i = 0; i <= nsrc; i++)
			strbuf_addf(&by, "%s%s", i ? " " : "", in->words[i]);
		strbuf_addstr(&by, " # buildkit");
		r = exec_commit_layer(b, ss, by.buf, &empty, err);
	}
out:
	snapshot_free(c.from);
	free(c.top_real);
	strvec_clear(&matched);
	strvec_clear(&c.excludes);
	free(c.chmod.sym);
	free(urls);
	return r;
}

int exec_context_tree(struct build *b, const char *rel, struct sha256 *key, int dstfd,
		      struct kerr *err)
{
	cleanup_close int fd = -1;
	struct copy c;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.what = "RUN --mount";
	c.srcname = "build context";
	c.srcfd = b->ctx.fd;
	c.context = true;
	c.key = key;
	if (key)
		return hash_entry(&c, c.srcfd, *rel ? rel : ".", rel, true, err);
	fd = path_open_in_root(c.srcfd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY, 0, err);
	if (fd < 0)
		return -1;
	c.dstfd = dstfd;
	return copy_dir(&c, fd, rel, dstfd, "", err) < 0 ? -1 : 0;
}
