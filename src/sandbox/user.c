/* user.c: a USER value resolved as docker does it, through the image's own
 * /etc/passwd and /etc/group, read inside the root so links cannot lead out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#define DB_LIMIT (4u << 20)
/* docker's limit: ids are int32 */
#define ID_MAX 2147483647ul

/* numeric "123" -> 1; a name -> 0; out of range -> -1 */
static int parse_id(const char *s, uint32_t *id)
{
	unsigned long v;
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v > ID_MAX)
		return -1;
	*id = (uint32_t)v;
	return 1;
}

/* reads /etc/NAME of the root; a missing file is an empty database */
static int read_db(int rootfd, const char *file, struct strbuf *sb, struct kerr *err)
{
	cleanup_close int fd = path_open_in_root(rootfd, file, O_RDONLY, 0, err);

	if (fd < 0) {
		if (err->errnum != ENOENT && err->errnum != ENOTDIR)
			return -1;
		kerr_clear(err);
		return 0;
	}
	return strbuf_read_fd(sb, fd, DB_LIMIT, err);
}

/* the fields of one line of passwd or group (at least n of them); blank
 * lines, comments and short lines are skipped, as libc does */
static bool split_line(char *line, struct strvec *f, size_t n)
{
	strvec_clear(f);
	if (!*line || *line == '#')
		return false;
	strvec_split(f, line, ':');
	return f->n >= n;
}

static bool field_id(const char *s, uint32_t *id)
{
	return parse_id(s, id) == 1;
}

/* finds the passwd entry: by name when user is a name, by uid when numeric */
static bool find_passwd(char *db, const char *user, bool numeric, uint32_t uid,
			struct sandbox_user *u, char *name, size_t namelen)
{
	cleanup_strvec struct strvec f = STRVEC_INIT;
	char *line, *save = NULL;

	for (line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint32_t id, gid;

		if (!split_line(line, &f, 4) || !field_id(f.v[2], &id) ||
		    !field_id(f.v[3], &gid))
			continue;
		if (numeric ? id != uid : strcmp(f.v[0], user) != 0)
			continue;
		u->uid = id;
		u->gid = gid;
		if (f.n > 5 && *f.v[5] && strlen(f.v[5]) < sizeof(u->home))
			strcpy(u->home, f.v[5]);
		snprintf(name, namelen, "%s", f.v[0]);
		return true;
	}
	return false;
}

static bool find_group(char *db, const char *group, bool numeric, uint32_t gid, uint32_t *out)
{
	cleanup_strvec struct strvec f = STRVEC_INIT;
	char *line, *save = NULL;

	for (line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint32_t id;

		if (!split_line(line, &f, 3) || !field_id(f.v[2], &id))
			continue;
		if (numeric ? id != gid : strcmp(f.v[0], group) != 0)
			continue;
		*out = id;
		return true;
	}
	return false;
}

static void add_group(struct sandbox_user *u, uint32_t gid, bool *warned)
{
	for (size_t i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return;
	if (u->ngroups < sizeof(u->groups) / sizeof(u->groups[0])) {
		u->groups[u->ngroups++] = gid;
	} else if (!*warned) {
		*warned = true;
		log_warn("user is in more than %zu groups; the others are left out",
			 sizeof(u->groups) / sizeof(u->groups[0]));
	}
}

/* the groups whose member list names the user */
static void member_groups(char *db, const char *name, struct sandbox_user *u)
{
	cleanup_strvec struct strvec f = STRVEC_INIT;
	cleanup_strvec struct strvec members = STRVEC_INIT;
	char *line, *save = NULL;
	bool warned = false;

	for (line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint32_t id;

		if (!split_line(line, &f, 4) || !field_id(f.v[2], &id) || !*f.v[3])
			continue;
		strvec_clear(&members);
		strvec_split(&members, f.v[3], ',');
		for (size_t i = 0; i < members.n; i++)
			if (!strcmp(members.v[i], name)) {
				add_group(u, id, &warned);
				break;
			}
	}
}

int sandbox_resolve_user(int rootfd, const char *spec, struct sandbox_user *u,
			 struct kerr *err)
{
	cleanup_strbuf struct strbuf passwd = STRBUF_INIT;
	cleanup_strbuf struct strbuf group = STRBUF_INIT;
	cleanup_free char *copy = xstrdup(spec ? spec : "");
	const char *user = copy;
	char *grp = strchr(copy, ':');
	char name[256] = "";
	uint32_t uid = 0, gid = 0;
	int unum, gnum = 0;
	bool found;

	memset(u, 0, sizeof(*u));
	strcpy(u->home, "/");
	if (grp)
		*grp++ = '\0';
	if (!*user)
		user = "0";	/* "" and ":grp" mean root */
	unum = parse_id(user, &uid);
	if (unum < 0)
		return kerr_input(err, "user '%s': uids and gids must be in range 0-%lu",
				  spec, ID_MAX);
	if (grp && !*grp)
		grp = NULL;
	if (grp) {
		gnum = parse_id(grp, &gid);
		if (gnum < 0)
			return kerr_input(err, "user '%s': uids and gids must be in range 0-%lu",
					  spec, ID_MAX);
	}

	if (read_db(rootfd, "/etc/passwd", &passwd, err) < 0)
		return kerr_wrap(err, "user '%s'", spec);
	found = find_passwd(passwd.buf, user, unum == 1, uid, u, name, sizeof(name));
	if (!found) {
		if (unum != 1)
			return kerr_input(err, "unable to find user %s: no matching entries "
					  "in passwd file", user);
		u->uid = uid;
		u->gid = 0;
	}

	if (read_db(rootfd, "/etc/group", &group, err) < 0)
		return kerr_wrap(err, "user '%s'", spec);
	if (grp) {
		/* a group given: it alone, no supplementary ones (docker) */
		found = find_group(group.buf, grp, gnum == 1, gid, &u->gid);
		if (!found) {
			if (gnum != 1)
				return kerr_input(err, "unable to find group %s: no matching "
						  "entries in group file", grp);
			u->gid = gid;
		}
		u->groups[0] = u->gid;
		u->ngroups = 1;
		return 0;
	}
	u->groups[0] = u->gid;
	u->ngroups = 1;
	if (*name)
		member_groups(group.buf, name, u);
	return 0;
}
