/* opt.c: the option parser every command shares. Options may come before,
 * between or after operands (as docker's), unless OPT_STOP_AT_NONOPT. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/opt.h"
#include "util/strvec.h"

const struct opt *opt_global;
int (*opt_global_hook)(struct kerr *err);

static int takes_value(const struct opt *o)
{
	switch (o->type) {
	case OPT_STRING:
	case OPT_INT:
	case OPT_LIST:
		return 1;
	case OPT_CALLBACK:
		return o->argh != NULL;
	default:
		return 0;
	}
}

static const struct opt *find_long(const struct opt *const *tabs, const char *name, size_t len)
{
	for (; *tabs; tabs++)
		for (const struct opt *o = *tabs; o->type != OPT_END; o++)
			if (o->long_name && strlen(o->long_name) == len &&
			    !strncmp(o->long_name, name, len))
				return o;
	return NULL;
}

static const struct opt *find_short(const struct opt *const *tabs, int c)
{
	for (; *tabs; tabs++)
		for (const struct opt *o = *tabs; o->type != OPT_END; o++)
			if (o->short_name == c)
				return o;
	return NULL;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* shown stands for the option as typed ("--tag", "-t") */
static int apply(const struct opt *o, const char *shown, const char *val, struct kerr *err)
{
	char *end;
	long n;

	switch (o->type) {
	case OPT_BOOL:
		if (!val) {
			*(int *)o->value = 1;
		} else if (parse_bool(val, (int *)o->value) < 0) {
			return kerr_input(err, "option '%s': '%s' is not true or false", shown, val);
		}
		return 0;
	case OPT_COUNT:
		(*(int *)o->value)++;
		return 0;
	case OPT_STRING:
		*(const char **)o->value = val;
		return 0;
	case OPT_INT:
		errno = 0;
		n = strtol(val, &end, 10);
		if (!*val || *end || errno || n < INT_MIN || n > INT_MAX)
			return kerr_input(err, "option '%s': '%s' is not a number", shown, val);
		*(int *)o->value = (int)n;
		return 0;
	case OPT_LIST:
		strvec_push(o->value, val);
		return 0;
	case OPT_CALLBACK:
		if (o->cb(o, val, err) < 0)
			return kerr_wrap(err, "option '%s'", shown);
		return 0;
	case OPT_END:
		break;
	}
	return kerr_set(err, "option '%s': bad option table", shown);
}

int opt_parse(int argc, char **argv, const struct opt *opts,
	      const struct cmd_help *help, unsigned flags, struct kerr *err)
{
	static const struct opt none[] = { OPT_END_() };
	const struct opt *tabs[3] = { opts ? opts : none, opt_global ? opt_global : none, NULL };
	int nout = 0, i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];
		char shown[64];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			argv[nout++] = a;
			if (flags & OPT_STOP_AT_NONOPT) {
				i++;
				break;
			}
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt *o = find_long(tabs, name, len);
			const char *val = NULL;

			snprintf(shown, sizeof(shown), "--%.*s", (int)(len < 48 ? len : 48), name);
			if (!o && len == 4 && !strncmp(name, "help", 4)) {
				opt_print_help(opts, help);
				return OPT_HELP_SHOWN;
			}
			if (!o) {
				kerr_input(err, "unknown option '%s'", shown);
				goto out_usage;
			}
			if (takes_value(o)) {
				if (eq) {
					val = eq + 1;
				} else if (i + 1 < argc) {
					val = argv[++i];
				} else {
					kerr_input(err, "option '%s' needs a value", shown);
					goto out_usage;
				}
			} else if (eq) {
				/* flags that may carry a value: --x=false, --pull=never */
				if (o->type != OPT_BOOL && o->type != OPT_CALLBACK) {
					kerr_input(err, "option '%s' takes no value", shown);
					goto out_usage;
				}
				val = eq + 1;
			}
			if (apply(o, shown, val, err) < 0)
				goto out_usage;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			const struct opt *o = find_short(tabs, (unsigned char)*p);

			snprintf(shown, sizeof(shown), "-%c", *p);
			if (!o && *p == 'h') {
				opt_print_help(opts, help);
				return OPT_HELP_SHOWN;
			}
			if (!o) {
				kerr_input(err, "unknown option '%s'", shown);
				goto out_usage;
			}
			if (takes_value(o)) {
				const char *val;

				if (p[1]) {
					val = p + 1;
				} else if (i + 1 < argc) {
					val = argv[++i];
				} else {
					kerr_input(err, "option '%s' needs a value", shown);
					goto out_usage;
				}
				if (apply(o, shown, val, err) < 0)
					goto out_usage;
				break;
			}
			if (apply(o, shown, NULL, err) < 0)
				goto out_usage;
		}
	}
	while (i < argc)
		argv[nout++] = argv[i++];
	argv[nout] = NULL;
	if (opt_global_hook && opt_global_hook(err) < 0)
		return -1;
	return nout;

out_usage:
	if (help && help->name) {
		char *msg = err->msg;

		err->msg = NULL;
		kerr_input(err, "%s; see 'kiln %s --help'", msg, help->name);
		free(msg);
	}
	return -1;
}

static void print_opts(const struct opt *opts)
{
	for (const struct opt *o = opts; o && o->type != OPT_END; o++) {
		char left[64];
		int n = 0;

		if (o->short_name && o->long_name)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
		else if (o->short_name)
			n = snprintf(left, sizeof(left), "-%c", o->short_name);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->long_name);
		if (o->argh && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->argh);
		if (o->help)
			printf("  %-24s %s\n", left, o->help);
		else
			printf("  %s\n", left);
	}
}

void opt_print_help(const struct opt *opts, const struct cmd_help *help)
{
	if (help) {
		printf("usage: kiln %s%s%s\n", help->name, help->usage ? " " : "",
		       help->usage ? help->usage : "");
		if (help->summary)
			printf("\n%s\n", help->summary);
	}
	if (opts && opts->type != OPT_END) {
		printf("\nOptions:\n");
		print_opts(opts);
	}
	if (opt_global && opt_global->type != OPT_END) {
		printf("\nGlobal options:\n");
		print_opts(opt_global);
	}
}
