/* mount.c: the --mount option string of RUN: CSV fields, the keys BuildKit
 * accepts and its checks of which key goes with which mount type. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile/internal.h"
#include "dockerfile/mount.h"
#include "util/cleanup.h"
#include "util/strvec.h"
#include "util/xalloc.h"

static const char *const type_names[] = { "bind", "cache", "tmpfs", "secret", "ssh" };
static const char *const sharing_names[] = { "", "shared", "private", "locked" };
static const char *const all_keys[] = {
	"type", "from", "source", "target", "readonly", "id", "sharing", "required",
	"size", "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw",
	"readwrite", "env",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char tolower_ascii(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

const char *df_mount_type_name(enum df_mount_type t)
{
	return (unsigned)t < COUNT(type_names) ? type_names[t] : "?";
}

const char *df_mount_sharing_name(enum df_mount_sharing s)
{
	return (unsigned)s < COUNT(sharing_names) ? sharing_names[s] : "?";
}

void df_mount_release(struct df_mount *m)
{
	free(m->from);
	free(m->source);
	free(m->target);
	free(m->id);
	free(m->env);
	memset(m, 0, sizeof(*m));
}

/* One CSV record, as Go's encoding/csv reads it: "..." fields with "" for a
 * quote, no quote inside an unquoted field. */
static int csv_fields(const char *s, struct strvec *out, struct kerr *err)
{
	struct strbuf f = STRBUF_INIT;
	int r = 0;

	for (;;) {
		strbuf_reset(&f);
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s) {
					r = kerr_input(err, "failed to parse csv mounts: extraneous "
						       "or missing \" in quoted-field");
					goto out;
				}
				if (*s == '"') {
					if (s[1] != '"')
						break;
					s++;
				}
				strbuf_addch(&f, *s);
			}
			s++;
			if (*s && *s != ',') {
				r = kerr_input(err, "failed to parse csv mounts: extraneous "
					       "or missing \" in quoted-field");
				goto out;
			}
		} else {
			for (; *s && *s != ','; s++) {
				if (*s == '"') {
					r = kerr_input(err, "failed to parse csv mounts: bare \" "
						       "in non-quoted-field");
					goto out;
				}
				strbuf_addch(&f, *s);
			}
		}
		strvec_push(out, f.buf);
		if (!*s)
			break;
		s++;	/* the ',' */
	}
out:
	strbuf_release(&f);
	return r;
}

/* Go's strconv.ParseBool */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t k = 0; k < COUNT(yes); k++) {
		if (!strcmp(s, yes[k])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[k])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* strconv.ParseUint(s, base, 32): digits only, no sign, no prefix */
static int parse_u32(const char *s, int base, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		int d = *s - '0';

		if (*s < '0' || *s > '9' || d >= base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* go-units' RAMInBytes: a number, an optional space, then b, k, kb, kib,
 * m, ... (powers of 1024, any case) */
static int parse_ram(const char *s, int64_t *out)
{
	static const char units[] = "kmgtp";
	size_t len = strlen(s), sep = len, numlen;
	const char *sfx, *u;
	char *end, *num;
	double size;

	while (sep > 0 && !strchr("0123456789. ", s[sep - 1]))
		sep--;
	if (sep == 0)
		return -1;
	sep--;
	numlen = s[sep] == ' ' ? sep : sep + 1;
	sfx = s + sep + 1;
	if (numlen == 0 || s[0] == ' ')
		return -1;
	num = xstrndup(s, numlen);
	errno = 0;
	size = strtod(num, &end);
	if (*end || errno || isnan(size) || size < 0) {
		free(num);
		return -1;
	}
	free(num);
	if (*sfx) {
		size_t sl = strlen(sfx);

		if (sl > 3)
			return -1;
		if (tolower_ascii(sfx[0]) == 'b') {
			if (sl > 1)
				return -1;
		} else {
			u = strchr(units, tolower_ascii(sfx[0]));
			if (!u)
				return -1;
			for (const char *p = units; p <= u; p++)
				size *= 1024.0;
			if (sl == 2 && tolower_ascii(sfx[1]) != 'b')
				return -1;
			if (sl == 3 && (tolower_ascii(sfx[1]) != 'i' || tolower_ascii(sfx[2]) != 'b'))
				return -1;
		}
	}
	if (size >= 9223372036854775807.0)
		return -1;
	*out = (int64_t)size;
	return 0;
}

static int with_hint(struct kerr *err, const char *word, const char *const *options,
		     size_t n)
{
	const char *hint = df_suggest(word, options, n, true);
	char *msg;

	if (!hint)
		return -1;
	msg = err->msg;
	err->msg = NULL;
	kerr_input(err, "%s (did you mean %s?)", msg, hint);
	free(msg);
	return -1;
}

static void set_str(char **dst, char *value)
{
	free(*dst);
	*dst = value;
}

/* one key=value field, value already expanded */
static int apply(struct df_mount *m, const char *key, const char *field, char *value,
		 bool *ro_auto, struct kerr *err)
{
	size_t k;

	if (!strcmp(key, "type")) {
		for (k = 0; k < COUNT(type_names); k++)
			if (!strcasecmp(value, type_names[k]))
				break;
		if (k == COUNT(type_names)) {
			kerr_input(err, "unsupported mount type \"%s\"", value);
			with_hint(err, value, type_names, COUNT(type_names));
			goto fail;
		}
		m->type = (enum df_mount_type)k;
	} else if (!strcmp(key, "from")) {
		set_str(&m->from, steal_ptr(value));
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		set_str(&m->source, steal_ptr(value));
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") ||
		   !strcmp(key, "destination")) {
		set_str(&m->target, steal_ptr(value));
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro") ||
		   !strcmp(key, "readwrite") || !strcmp(key, "rw")) {
		bool b;

		if (parse_bool(value, &b) < 0) {
			kerr_input(err, "invalid value for %s: %s", key, value);
			goto fail;
		}
		m->readonly = !strcmp(key, "readonly") || !strcmp(key, "ro") ? b : !b;
		*ro_auto = false;
	} else if (!strcmp(key, "required")) {
		if (m->type != DF_MOUNT_SECRET && m->type != DF_MOUNT_SSH) {
			kerr_input(err, "unexpected key '%s' for mount type '%s'", key,
				   type_names[m->type]);
			goto fail;
		}
		if (parse_bool(value, &m->required) < 0) {
			kerr_input(err, "invalid value for %s: %s", key, value);
			goto fail;
		}
	} else if (!strcmp(key, "size")) {
		if (m->type != DF_MOUNT_TMPFS) {
			kerr_input(err, "unexpected key '%s' for mount type '%s'", key,
				   type_names[m->type]);
			goto fail;
		}
		if (parse_ram(value, &m->size) < 0) {
			kerr_input(err, "invalid value for %s: %s", key, value);
			goto fail;
		}
	} else if (!strcmp(key, "id")) {
		set_str(&m->id, steal_ptr(value));
	} else if (!strcmp(key, "sharing")) {
		for (k = 1; k < COUNT(sharing_names); k++)
			if (!strcasecmp(value, sharing_names[k]))
				break;
		if (k == COUNT(sharing_names)) {
			kerr_input(err, "unsupported sharing value \"%s\"", value);
			with_hint(err, value, sharing_names + 1, COUNT(sharing_names) - 1);
			goto fail;
		}
		m->sharing = (enum df_mount_sharing)k;
	} else if (!strcmp(key, "mode") || !strcmp(key, "uid") || !strcmp(key, "gid")) {
		bool is_mode = key[0] == 'm';
		uint32_t v;

		if (parse_u32(value, is_mode ? 8 : 10, &v) < 0) {
			kerr_input(err, "invalid value %s for %s", value, key);
			goto fail;
		}
		if (is_mode)
			m->mode = v, m->has_mode = true;
		else if (key[0] == 'u')
			m->uid = v, m->has_uid = true;
		else
			m->gid = v, m->has_gid = true;
	} else if (!strcmp(key, "env")) {
		set_str(&m->env, steal_ptr(value));
	} else {
		kerr_input(err, "unexpected key '%s' in '%s'", key, field);
		with_hint(err, key, all_keys, COUNT(all_keys));
		goto fail;
	}
	free(value);
	return 0;
fail:
	free(value);
	return -1;
}

/* a key given without "=value" */
static int apply_bare(struct df_mount *m, const char *key, const char *field,
		      bool *ro_auto, struct kerr *err)
{
	if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		m->readonly = true;
		*ro_auto = false;
	} else if (!strcmp(key, "readwrite") || !strcmp(key, "rw")) {
		m->readonly = false;
		*ro_auto = false;
	} else if (!strcmp(key, "required")) {
		if (m->type != DF_MOUNT_SECRET && m->type != DF_MOUNT_SSH)
			return kerr_input(err, "unexpected key '%s' for mount type '%s'", key,
					  type_names[m->type]);
		m->required = true;
	} else {
		return kerr_input(err, "invalid field '%s' must be a key=value pair", field);
	}
	return 0;
}

/* what BuildKit checks once all fields are in */
static int check(struct df_mount *m, bool ro_auto, struct kerr *err)
{
	const char *t = type_names[m->type];
	bool file_info = m->type == DF_MOUNT_SECRET || m->type == DF_MOUNT_SSH ||
			 m->type == DF_MOUNT_CACHE;

	if (!file_info) {
		if (m->has_mode)
			return kerr_input(err, "mode not allowed for \"%s\" type mounts", t);
		if (m->has_uid)
			return kerr_input(err, "uid not allowed for \"%s\" type mounts", t);
		if (m->has_gid)
			return kerr_input(err, "gid not allowed for \"%s\" type mounts", t);
	}
	if (ro_auto)
		m->readonly = m->type != DF_MOUNT_CACHE && m->type != DF_MOUNT_TMPFS;
	if (m->type == DF_MOUNT_SECRET) {
		if (m->from && *m->from)
			return kerr_input(err, "secret mount should not have a from");
		if (m->sharing != DF_SHARING_UNSET)
			return kerr_input(err, "secret mount should not define sharing");
		if (!(m->source && *m->source) && !(m->target && *m->target) &&
		    !(m->id && *m->id))
			return kerr_input(err, "invalid secret mount. one of source, target required");
		if (m->source && *m->source && m->id && *m->id)
			return kerr_input(err, "both source and id can't be set");
	}
	if (m->sharing != DF_SHARING_UNSET && m->type != DF_MOUNT_CACHE)
		return kerr_input(err, "invalid cache sharing set for %s mount", t);
	return 0;
}

int df_parse_mount(const char *spec, df_mount_expand_fn expand, void *ctx,
		   struct df_mount *m, struct kerr *err)
{
	cleanup_strvec struct strvec fields = STRVEC_INIT;
	bool ro_auto = true;

	memset(m, 0, sizeof(*m));
	if (csv_fields(spec, &fields, err) < 0)
		return -1;
	for (size_t k = 0; k < fields.n; k++) {
		const char *field = fields.v[k];
		const char *eq = strchr(field, '=');
		cleanup_free char *key = xstrndup(field, eq ? (size_t)(eq - field) : strlen(field));
		char *value;

		for (char *p = key; *p; p++)
			*p = tolower_ascii(*p);
		if (!eq) {
			if (apply_bare(m, key, field, &ro_auto, err) < 0)
				goto fail;
			continue;
		}
		/* stages are known before any variable is: "from" takes none */
		if (!strcmp(key, "from")) {
			const char *dollar = strchr(eq + 1, '$');

			if (dollar && dollar[1]) {
				kerr_input(err, "'%s' doesn't support variable expansion, "
					   "define alias stage instead", key);
				goto fail;
			}
		}
		if (expand && strcmp(key, "from")) {
			if (expand(ctx, eq + 1, &value, err) < 0)
				goto fail;
		} else {
			value = xstrdup(eq + 1);
		}
		if (apply(m, key, field, value, &ro_auto, err) < 0)
			goto fail;
	}
	if (check(m, ro_auto, err) < 0)
		goto fail;
	return 0;
fail:
	df_mount_release(m);
	return -1;
}
