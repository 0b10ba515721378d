/* validate.c: the checks BuildKit runs when it turns the parse tree into
 * instructions, one function per instruction with the flags it takes. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "dockerfile/internal.h"
#include "dockerfile/mount.h"
#include "dockerfile/quote.h"
#include "util/cleanup.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const struct df_node *n)
{
	return df_kind_name(n->kind);
}

static int at_least_one(const struct df_node *n, struct kerr *err)
{
	if (n->nargs == 0)
		return kerr_input(err, "%s requires at least one argument", name_of(n));
	return 0;
}

static int exactly_one(const struct df_node *n, struct kerr *err)
{
	if (n->nargs != 1)
		return kerr_input(err, "%s requires exactly one argument", name_of(n));
	return 0;
}

static int no_check(const struct df_node *n, struct kerr *err)
{
	return 0;
}

static int check_sources(const struct df_node *n, struct kerr *err)
{
	if (n->nargs < 2)
		return kerr_input(err, "%s requires at least two arguments, but only one was "
				  "provided. Destination could not be determined.", name_of(n));
	return 0;
}

/* ENV and LABEL: key, value, separator triples */
static int check_pairs(const struct df_node *n, struct kerr *err)
{
	if (at_least_one(n, err) < 0)
		return -1;
	for (size_t k = 0; k + 2 < n->nargs; k += 3)
		if (n->args[k].len == 0)
			return kerr_input(err, "%s names can not be blank", name_of(n));
	return 0;
}

static int check_arg(const struct df_node *n, struct kerr *err)
{
	if (at_least_one(n, err) < 0)
		return -1;
	for (size_t k = 0; k < n->nargs; k++)
		if (n->args[k].s[0] == '=')
			return kerr_input(err, "ARG names can not be blank");
	return 0;
}

static bool valid_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
			return false;
	return true;
}

static int check_from(const struct df_node *n, struct kerr *err)
{
	if (n->nargs == 3 && !strcasecmp(n->args[1].s, "as")) {
		cleanup_strbuf struct strbuf lower = STRBUF_INIT;

		for (const char *p = n->args[2].s; *p; p++)
			strbuf_addch(&lower, *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		if (!valid_stage_name(lower.buf)) {
			cleanup_strbuf struct strbuf q = STRBUF_INIT;

			df_go_quote(&q, n->args[2].s, n->args[2].len);
			return kerr_input(err, "invalid name for build stage: %s, name can't "
					  "start with a number or contain symbols", q.buf);
		}
		return 0;
	}
	if (n->nargs != 1)
		return kerr_input(err, "FROM requires either one or three arguments");
	return 0;
}

static int check_run(const struct df_node *n, struct kerr *err)
{
	static const char *const networks[] = { "default", "none", "host" };
	static const char *const security[] = { "sandbox", "insecure" };
	const char *v;
	size_t pos = 0, k;

	while ((v = df_flag_next(n, "mount", &pos))) {
		struct df_mount m;

		if (df_parse_mount(v, NULL, NULL, &m, err) < 0)
			return kerr_wrap(err, "--mount");
		df_mount_release(&m);
	}
	if ((v = df_flag_get(n, "network"))) {
		for (k = 0; k < COUNT(networks) && strcmp(v, networks[k]); k++)
			;
		if (k == COUNT(networks))
			return kerr_input(err, "unsupported network mode \"%s\"", v);
	}
	if ((v = df_flag_get(n, "security"))) {
		for (k = 0; k < COUNT(security) && strcmp(v, security[k]); k++)
			;
		if (k == COUNT(security))
			return kerr_input(err, "unsupported security mode \"%s\"", v);
	}
	return 0;
}

static int check_shell(const struct df_node *n, struct kerr *err)
{
	if (at_least_one(n, err) < 0)
		return -1;
	if (!n->json)
		return kerr_input(err, "SHELL requires the arguments to be in JSON form");
	return 0;
}

static int check_volume(const struct df_node *n, struct kerr *err)
{
	if (at_least_one(n, err) < 0)
		return -1;
	for (size_t k = 0; k < n->nargs; k++)
		if (df_space_prefix(n->args[k].s, n->args[k].len) == n->args[k].len)
			return kerr_input(err, "VOLUME specified can not be an empty string");
	return 0;
}

/*
 * Go's time.ParseDuration ([-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0"), in
 * nanoseconds; -1 when it is not a duration.
 */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xC2\xB5s", 1000 }, { "\xCE\xBCs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 }, { "m", 60000000000ull },
		{ "h", 3600000000000ull },
	};
	const uint64_t limit = (uint64_t)1 << 63;
	uint64_t d = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		bool pre = false, post = false;
		size_t ul = 0, k;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return -1;
		for (; *s >= '0' && *s <= '9'; s++, pre = true) {
			if (v > (limit - 1) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > limit)
				return -1;
		}
		if (*s == '.') {
			bool overflow = false;

			for (s++; *s >= '0' && *s <= '9'; s++, post = true) {
				if (overflow || f > (UINT64_MAX / 10) - 10) {
					overflow = true;
					continue;
				}
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return -1;
		while (s[ul] && s[ul] != '.' && !(s[ul] >= '0' && s[ul] <= '9'))
			ul++;
		if (ul == 0)
			return -1;
		for (k = 0; k < COUNT(units); k++)
			if (strlen(units[k].u) == ul && !memcmp(units[k].u, s, ul))
				unit = units[k].ns;
		if (!unit)
			return -1;
		s += ul;
		if (v > limit / unit)
			return -1;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > limit)
				return -1;
		}
		d += v;
		if (d > limit)
			return -1;
	}
	if (neg) {
		*out = d == limit ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > limit - 1)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int check_health(const struct df_node *n, struct kerr *err)
{
	static const char *const durations[] = {
		"interval", "timeout", "start-period", "start-interval",
	};
	const char *v;

	if (at_least_one(n, err) < 0)
		return -1;
	if (!strcasecmp(n->args[0].s, "NONE")) {
		if (n->nargs != 1)
			return kerr_input(err, "HEALTHCHECK NONE takes no arguments");
		return 0;
	}
	if (strcasecmp(n->args[0].s, "CMD")) {
		cleanup_strbuf struct strbuf q = STRBUF_INIT;

		for (const char *p = n->args[0].s; *p; p++)
			strbuf_addch(&q, *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		return kerr_input(err, "unknown type \"%s\" in HEALTHCHECK (try CMD)", q.buf);
	}
	if (n->nargs < 2)
		return kerr_input(err, "Missing command after HEALTHCHECK CMD");
	for (size_t k = 0; k < COUNT(durations); k++) {
		int64_t d;

		v = df_flag_get(n, durations[k]);
		if (!v || !*v)
			continue;
		if (parse_duration(v, &d) < 0)
			return kerr_input(err, "invalid duration '%s' for --%s", v, durations[k]);
		if (d != 0 && d < 1000000)
			return kerr_input(err, "Interval \"%s\" cannot be less than 1ms",
					  durations[k]);
	}
	v = df_flag_get(n, "retries");
	if (v && *v) {
		const char *p = v + (*v == '-' || *v == '+');
		int64_t r = 0;

		if (!*p)
			goto bad_retries;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				goto bad_retries;
			r = r * 10 + (*p - '0');
			if (r > (int64_t)INT32_MAX + 1)
				goto bad_retries;
		}
		if (*v == '-' && r > 0)
			return kerr_input(err, "--retries cannot be negative (-%lld)", (long long)r);
		if (r > INT32_MAX)
			goto bad_retries;
	}
	return 0;
bad_retries:
	return kerr_input(err, "invalid value '%s' for --retries", v);
}

static int check_onbuild(const struct df_node *n, struct kerr *err)
{
	if (!n->sub)
		return kerr_input(err, "ONBUILD requires at least one argument");
	return 0;
}

#define FLAGS(a) a, COUNT(a)
#define NO_FLAGS NULL, 0

static const struct df_flag_spec from_flags[] = {
	{ "platform", DF_FLAG_STRING },
};
static const struct df_flag_spec run_flags[] = {
	{ "mount", DF_FLAG_LIST },
	{ "network", DF_FLAG_STRING },
	{ "security", DF_FLAG_STRING },
};
static const struct df_flag_spec copy_flags[] = {
	{ "from", DF_FLAG_STRING },
	{ "chown", DF_FLAG_STRING },
	{ "chmod", DF_FLAG_STRING },
	{ "link", DF_FLAG_BOOL },
	{ "parents", DF_FLAG_BOOL },
	{ "exclude", DF_FLAG_LIST },
};
static const struct df_flag_spec add_flags[] = {
	{ "chown", DF_FLAG_STRING },
	{ "chmod", DF_FLAG_STRING },
	{ "link", DF_FLAG_BOOL },
	{ "keep-git-dir", DF_FLAG_BOOL },
	{ "checksum", DF_FLAG_STRING },
	{ "exclude", DF_FLAG_LIST },
	{ "unpack", DF_FLAG_BOOL },
};
static const struct df_flag_spec health_flags[] = {
	{ "interval", DF_FLAG_STRING },
	{ "timeout", DF_FLAG_STRING },
	{ "start-period", DF_FLAG_STRING },
	{ "start-interval", DF_FLAG_STRING },
	{ "retries", DF_FLAG_STRING },
};

static const struct rule {
	const struct df_flag_spec *flags;
	size_t nflags;
	int (*check)(const struct df_node *n, struct kerr *err);
} rules[DF_KIND_COUNT] = {
	[DF_ADD] = { FLAGS(add_flags), check_sources },
	[DF_ARG] = { NO_FLAGS, check_arg },
	[DF_CMD] = { NO_FLAGS, no_check },
	[DF_COPY] = { FLAGS(copy_flags), check_sources },
	[DF_ENTRYPOINT] = { NO_FLAGS, no_check },
	[DF_ENV] = { NO_FLAGS, check_pairs },
	[DF_EXPOSE] = { NO_FLAGS, at_least_one },
	[DF_FROM] = { FLAGS(from_flags), check_from },
	[DF_HEALTHCHECK] = { FLAGS(health_flags), check_health },
	[DF_LABEL] = { NO_FLAGS, check_pairs },
	[DF_MAINTAINER] = { NO_FLAGS, exactly_one },
	[DF_ONBUILD] = { NO_FLAGS, check_onbuild },
	[DF_RUN] = { FLAGS(run_flags), check_run },
	[DF_SHELL] = { NO_FLAGS, check_shell },
	[DF_STOPSIGNAL] = { NO_FLAGS, exactly_one },
	[DF_USER] = { NO_FLAGS, exactly_one },
	[DF_VOLUME] = { NO_FLAGS, check_volume },
	[DF_WORKDIR] = { NO_FLAGS, exactly_one },
};

static int validate(const struct df_node *n, struct kerr *err)
{
	const struct rule *r = &rules[n->kind];

	if (df_flags_check(n, r->flags, r->nflags, err) < 0)
		return -1;
	if (r->check(n, err) < 0)
		return -1;
	/* BuildKit checks a trigger only when a child image runs it; an error
	 * found now saves publishing a base image that breaks its users */
	if (n->sub)
		return validate(n->sub, err);
	return 0;
}

int df_validate_node(const struct df_file *f, const struct df_node *n, struct kerr *err)
{
	if (validate(n, err) < 0)
		return kerr_wrap(err, "%s:%d", f->path, n->start_line);
	return 0;
}

int df_validate(const struct df_file *f, struct kerr *err)
{
	for (size_t k = 0; k < f->n; k++)
		if (df_validate_node(f, &f->nodes[k], err) < 0)
			return -1;
	return 0;
}
