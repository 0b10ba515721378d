/* progress.c: what a build prints on stderr, in BuildKit's plain style:
 * "#N [stage i/n] INSTRUCTION", each output line prefixed "#N <seconds>",
 * then "#N CACHED" or "#N DONE 1.2s". tty adds a live status line at the
 * bottom ("[+] Building 3.2s (2/5) RUN make"), redrawn whenever something
 * happens; quiet prints nothing but keeps the last lines of each step to
 * show when it fails. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/exec.h"
#include "util/fs.h"
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
	if (mode == BUILD_PROGRESS_AUTO)
		mode = isatty(STDERR_FILENO) ? BUILD_PROGRESS_TTY : BUILD_PROGRESS_PLAIN;
	pr->mode = mode;
	pr->next = 1;
	pr->log_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &pr->build_start);
	strbuf_init(&pr->line, 0);
	strbuf_init(&pr->what, 0);
}

void progress_total(struct progress *pr, size_t steps)
{
	pr->total = steps;
}

/* tty: the status line goes before anything is printed and comes back after */
static void status_clear(struct progress *pr)
{
	if (pr->mode == BUILD_PROGRESS_TTY && pr->status_shown) {
		fputs("\r\033[K", stderr);
		pr->status_shown = false;
	}
}

static void status_draw(struct progress *pr)
{
	struct timespec now;
	double t;

	if (pr->mode != BUILD_PROGRESS_TTY)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (double)(now.tv_sec - pr->build_start.tv_sec) +
	    (double)(now.tv_nsec - pr->build_start.tv_nsec) / 1e9;
	fprintf(stderr, "\033[1m[+] Building %.1fs (%zu/%zu)\033[0m %.60s", t, pr->finished,
		pr->total, pr->step ? pr->what.buf : "");
	pr->status_shown = true;
	fflush(stderr);
}

static void tail_clear(struct progress *pr)
{
	for (size_t i = 0; i < pr->ntail; i++) {
		free(pr->tail[i]);
		pr->tail[i] = NULL;
	}
	pr->ntail = pr->tailpos = 0;
}

static void log_close(struct progress *pr)
{
	if (pr->log_fd >= 0)
		close(pr->log_fd);
	pr->log_fd = -1;
	free(pr->log_path);
	pr->log_path = NULL;
}

void progress_log(struct progress *pr, const char *path)
{
	log_close(pr);
	pr->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pr->log_fd >= 0)
		pr->log_path = xstrdup(path);
}

void progress_release(struct progress *pr)
{
	log_close(pr);
	status_clear(pr);
	tail_clear(pr);
	strbuf_release(&pr->line);
	strbuf_release(&pr->what);
}

static void say(struct progress *pr, const char *fmt, ...) KILN_PRINTF(2, 3);
static void say(struct progress *pr, const char *fmt, ...)
{
	va_list ap;

	if (pr->mode == BUILD_PROGRESS_QUIET)
		return;
	status_clear(pr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	status_draw(pr);
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
	strbuf_setlen(&pr->what, 0);
	strbuf_addstr(&pr->what, what);
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

	/* the log keeps the bytes as they came; a full disk only loses the log */
	if (pr->log_fd >= 0 && write_all(pr->log_fd, buf, len) < 0)
		log_close(pr);
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

bool progress_saw(const struct progress *pr, const char *needle)
{
	for (size_t i = 0; i < pr->ntail; i++)
		if (pr->tail[i] && strstr(pr->tail[i], needle))
			return true;
	return pr->line.len && memmem(pr->line.buf, pr->line.len, needle, strlen(needle));
}

/* the status line below names no step once this one is over */
void progress_cached(struct progress *pr)
{
	int n = pr->step;

	pr->finished++;
	pr->step = 0;
	say(pr, "#%d CACHED\n", n);
	say(pr, "\n");
}

void progress_done(struct progress *pr)
{
	int n = pr->step;
	double t = elapsed(pr);

	pr->finished++;
	flush_line(pr);
	log_close(pr);
	pr->step = 0;
	say(pr, "#%d DONE %.1fs\n", n, t);
	say(pr, "\n");
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
	if (pr->log_path)
		say(pr, "#%d the step's whole output: %s\n", pr->step, pr->log_path);
	log_close(pr);
	pr->step = 0;
}

void progress_finish(struct progress *pr)
{
	struct timespec now;

	if (pr->mode != BUILD_PROGRESS_TTY)
		return;
	status_clear(pr);
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "\033[1m[+] Building %.1fs (%zu/%zu) FINISHED\033[0m\n",
		(double)(now.tv_sec - pr->build_start.tv_sec) +
		(double)(now.tv_nsec - pr->build_start.tv_nsec) / 1e9,
		pr->finished, pr->total);
}

void progress_note(struct progress *pr, const char *fmt, ...)
{
	va_list ap;

	if (pr->mode == BUILD_PROGRESS_QUIET)
		return;
	status_clear(pr);
	fprintf(stderr, "#%d ", pr->next);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
