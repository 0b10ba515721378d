/* flags.c: an instruction's --flags: which ones it takes, whether they need
 * a value and may repeat (BuildKit's BFlags rules), and reading them back. */
#include <string.h>
#include <strings.h>

#include "dockerfile/internal.h"

/* the name part of "--name=value" (or "--name") */
static size_t flag_name_len(const struct df_str *f)
{
	const char *eq = memchr(f->s, '=', f->len);

	return (eq ? (size_t)(eq - f->s) : f->len) - 2;
}

const char *df_flag_next(const struct df_node *n, const char *name, size_t *pos)
{
	size_t len = strlen(name);

	while (*pos < n->nflags) {
		const struct df_str *f = &n->flags[(*pos)++];

		if (f->len < 2 || f->s[0] != '-' || f->s[1] != '-')
			continue;
		if (flag_name_len(f) != len || memcmp(f->s + 2, name, len))
			continue;
		return f->len > len + 2 ? f->s + len + 3 : "";
	}
	return NULL;
}

const char *df_flag_get(const struct df_node *n, const char *name)
{
	const char *v, *last = NULL;
	size_t pos = 0;

	while ((v = df_flag_next(n, name, &pos)))
		last = v;
	return last;
}

int df_flags_check(const struct df_node *n, const struct df_flag_spec *specs,
		   size_t nspecs, struct kerr *err)
{
	const char *instr = df_kind_name(n->kind);
	unsigned long used = 0;

	for (size_t k = 0; k < n->nflags; k++) {
		const struct df_str *f = &n->flags[k];
		const char *eq, *value;
		size_t len, s;

		if (f->len < 2 || f->s[0] != '-' || f->s[1] != '-')
			return kerr_input(err, "flag '%s' for %s does not start with --",
					  f->s, instr);
		len = flag_name_len(f);
		eq = memchr(f->s, '=', f->len);
		value = eq ? eq + 1 : NULL;
		for (s = 0; s < nspecs; s++)
			if (strlen(specs[s].name) == len && !memcmp(specs[s].name, f->s + 2, len))
				break;
		if (s == nspecs)
			return kerr_input(err, "unknown flag '--%.*s' for %s", (int)len,
					  f->s + 2, instr);
		if ((used & (1ul << s)) && specs[s].type != DF_FLAG_LIST)
			return kerr_input(err, "duplicate flag '--%s' for %s", specs[s].name,
					  instr);
		used |= 1ul << s;
		switch (specs[s].type) {
		case DF_FLAG_BOOL:
			if (!value)
				break;
			if (!*value)
				return kerr_input(err, "missing a value on flag '--%s' for %s",
						  specs[s].name, instr);
			if (strcasecmp(value, "true") && strcasecmp(value, "false"))
				return kerr_input(err, "expecting boolean value for flag '--%s', "
						  "not: %s", specs[s].name, value);
			break;
		case DF_FLAG_STRING:
		case DF_FLAG_LIST:
			if (!value)
				return kerr_input(err, "missing a value on flag '--%s' for %s",
						  specs[s].name, instr);
			break;
		}
	}
	return 0;
}
