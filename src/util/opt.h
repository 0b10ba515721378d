/* opt.h: declarative command-line options (git's parse-options in spirit):
 * each command lists its options in a table; opt_parse handles short and
 * long forms, "--x=v" and "--x v", bundled short flags, "--", and --help. */
#ifndef KILN_UTIL_OPT_H
#define KILN_UTIL_OPT_H

#include "util/err.h"
#include "util/kconfig.h"

enum opt_type {
	OPT_END = 0,
	OPT_BOOL,	/* int: 1, or "--x=false" for 0 */
	OPT_COUNT,	/* int: +1 per use (-vv) */
	OPT_STRING,	/* const char *: the last one given wins */
	OPT_INT,	/* int, decimal */
	OPT_LIST,	/* struct strvec: every one given, in order */
	OPT_CALLBACK,	/* cb(opt, arg, err); without argh a flag, which may be
			 * given "--x=value" (arg NULL when it was not) */
};

struct opt;
typedef int (*opt_cb)(const struct opt *o, const char *arg, struct kerr *err);

struct opt {
	enum opt_type type;
	int short_name;		/* 0 for none */
	const char *long_name;	/* NULL for none */
	void *value;
	const char *argh;	/* the value's name in help ("DIR"); NULL: no value */
	const char *help;	/* NULL when built without CONFIG_VERBOSE_HELP */
	opt_cb cb;
};

/* help strings vanish from the binary without CONFIG_VERBOSE_HELP */
#define H(s) (IS_ENABLED(CONFIG_VERBOSE_HELP) ? (s) : NULL)

#define OPT_BOOL_(s, l, v, h)		{ OPT_BOOL, (s), (l), (v), NULL, H(h), NULL }
#define OPT_COUNT_(s, l, v, h)		{ OPT_COUNT, (s), (l), (v), NULL, H(h), NULL }
#define OPT_STRING_(s, l, v, a, h)	{ OPT_STRING, (s), (l), (v), (a), H(h), NULL }
#define OPT_INT_(s, l, v, a, h)		{ OPT_INT, (s), (l), (v), (a), H(h), NULL }
#define OPT_LIST_(s, l, v, a, h)	{ OPT_LIST, (s), (l), (v), (a), H(h), NULL }
#define OPT_CALLBACK_(s, l, v, a, h, f)	{ OPT_CALLBACK, (s), (l), (v), (a), H(h), (f) }
#define OPT_END_()			{ OPT_END, 0, NULL, NULL, NULL, NULL, NULL }

/* opt_parse flags */
#define OPT_STOP_AT_NONOPT	1	/* "kiln run IMAGE cmd -x": options end at IMAGE */

/* What a command says about itself in --help. */
struct cmd_help {
	const char *name;	/* "build" */
	const char *usage;	/* "[OPTIONS] CONTEXT" */
	const char *summary;	/* one line */
};

#define OPT_HELP_SHOWN (-2)

/*
 * Parses argv[1..argc) against opts and the global options (opt_global).
 * Returns the number of operands, moved to argv[0..n), or -1 with err set
 * (an input error), or OPT_HELP_SHOWN after printing help to stdout.
 */
int opt_parse(int argc, char **argv, const struct opt *opts,
	      const struct cmd_help *help, unsigned flags, struct kerr *err);

/* what a command returns after a negative opt_parse result */
static inline int opt_done(int r)
{
	return r == OPT_HELP_SHOWN ? 0 : -1;
}

void opt_print_help(const struct opt *opts, const struct cmd_help *help);

/* options every command accepts, and what to run after any of them was
 * parsed (both set by main) */
extern const struct opt *opt_global;
extern int (*opt_global_hook)(struct kerr *err);

#endif
