/* progress.c: what a build prints on stderr, in BuildKit's plain style:
 * "#N [stage i/n] INSTRUCTION", each output line prefixed "#N <seconds>",
 * then "#N CACHED" or "#N DONE 1.2s". quiet prints nothing but keeps the
 * last lines of each step to show when it fails. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/exec.h"
#include "util/xalloc.h"

static double elapsed(const struct progress *pr)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - pr->start.tv_sec) +
	       (double)(now.tv_nsec - pr->start.tv_nsec) / 1e9;
}

void progress_init(struct progress *pr, enum build_progress mode)
{
	memset(pr, 0, sizeof(*pr));
	/* a live status line needs more than this file; a terminal gets the
	 * plain lines until it has one */
	if (mode == BUILD_PROGRESS_AUTO || mode == BUILD_PROGRESS_TTY)
		mode = BUILD_PROGRESS_PLAIN;
	pr->mode = mode;
	pr->next = 1;
	strbuf_init(&pr->line, 0);
}

static void tail_clear(struct progress *pr)
{
	for (size_t i = 0; i < pr->ntail; i++) {
		free(pr->tail[i]);
		pr->tail[i] = NULL;
	}
	pr->ntail = pr->tailpos = 0;
}

void progress_release(struct progress *pr)
{
	tail_clear(pr);
	strbuf_release(&pr->line);
}

static void say(struct progress *pr, const char *fmt, ...) KILN_PRINTF(2, 3);
static void say(struct progress *pr, const char *fmt, ...)
{
	va_list ap;

	if (pr->mode == BUILD_PROGRESS_QUIET)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void progress_begin(struct progress *pr, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	/* one line per step, however the instruction was written */
	for (char *p = what; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	pr->step = pr->next++;
	clock_gettime(CLOCK_MONOTONIC, &pr->start);
	tail_clear(pr);
	strbuf_setlen(&pr->line, 0);
	say(pr, "#%d %s\n", pr->step, what);
	free(what);
}

static void emit_line(struct progress *pr, const char *s, size_t n)
{
	size_t slot;

	say(pr, "#%d %.3f %.*s\n", pr->step, elapsed(pr), (int)n, s);
	slot = pr->tailpos;
	free(pr->tail[slot]);
	pr->tail[slot] = xstrndup(s, n);
	pr->tailpos = (slot + 1) % (sizeof(pr->tail) / sizeof(pr->tail[0]));
	if (pr->ntail < sizeof(pr->tail) / sizeof(pr->tail[0]))
		pr->ntail++;
}

void progress_output(void *arg, const char *buf, size_t len)
{
	struct progress *pr = arg;
	char *nl;

	strbuf_add(&pr->line, buf, len);
	while ((nl = memchr(pr->line.buf, '\n', pr->line.len))) {
		size_t n = (size_t)(nl - pr->line.buf);

		emit_line(pr, pr->line.buf, n);
		strbuf_remove(&pr->line, 0, n + 1);
	}
}

static void flush_line(struct progress *pr)
{
	if (pr->line.len) {
		emit_line(pr, pr->line.buf, pr->line.len);
		strbuf_setlen(&pr->line, 0);
	}
}

void progress_cached(struct progress *pr)
{
	say(pr, "#%d CACHED\n", pr->step);
	say(pr, "\n");
	pr->step = 0;
}

void progress_done(struct progress *pr)
{
	flush_line(pr);
	say(pr, "#%d DONE %.1fs\n", pr->step, elapsed(pr));
	say(pr, "\n");
	pr->step = 0;
}

void progress_error(struct progress *pr, const char *what)
{
	size_t n = sizeof(pr->tail) / sizeof(pr->tail[0]);

	flush_line(pr);
	if (pr->mode == BUILD_PROGRESS_QUIET && pr->ntail) {
		/* nothing was shown: the last lines tell what went wrong */
		size_t first = pr->ntail < n ? 0 : pr->tailpos;

		for (size_t i = 0; i < pr->ntail; i++)
			fprintf(stderr, "#%d %s\n", pr->step, pr->tail[(first + i) % n]);
	}
	say(pr, "#%d ERROR: %s\n", pr->step, what);
	pr->step = 0;
}

void progress_note(struct progress *pr, const char *fmt, ...)
{
	va_list ap;

	if (pr->mode == BUILD_PROGRESS_QUIET)
		return;
	fprintf(stderr, "#%d ", pr->next);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
