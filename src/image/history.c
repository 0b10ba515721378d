/* history.c: history entries and the RFC 3339 timestamps they and the
 * config carry; parsing accepts any offset, formatting is always UTC. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/config.h"
#include "util/xalloc.h"

static char *dup_opt(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

void img_history_add(struct img_config *c, const char *created, const char *created_by,
		     const char *comment, bool empty_layer)
{
	struct img_history *h;

	c->history = xgrow(c->history, sizeof(*h), c->nhistory + 1, &c->history_alloc);
	h = &c->history[c->nhistory++];
	memset(h, 0, sizeof(*h));
	h->created = dup_opt(created);
	h->created_by = dup_opt(created_by);
	h->comment = dup_opt(comment);
	h->empty_layer = empty_layer;
}

void img_history_add_nop(struct img_config *c, const char *created, const char *what)
{
	char *by = xasprintf("/bin/sh -c #(nop) %s", what);

	img_history_add(c, created, by, NULL, true);
	free(by);
}

void img_time_format(int64_t sec, long nsec, char out[IMG_TIME_LEN])
{
	time_t t = (time_t)sec;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	n = strftime(out, IMG_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nsec > 0 && nsec < 1000000000L) {
		char frac[11];
		int len = 9;

		snprintf(frac, sizeof(frac), "%09ld", nsec);
		while (len > 0 && frac[len - 1] == '0')
			len--;
		n += (size_t)snprintf(out + n, IMG_TIME_LEN - n, ".%.*s", len, frac);
	}
	snprintf(out + n, IMG_TIME_LEN - n, "Z");
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c && !(c == 'T' && **p == 't'))
		return -1;
	(*p)++;
	return 0;
}

int img_time_parse(const char *s, int64_t *sec, long *nsec, struct kerr *err)
{
	const char *p = s;
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	long ns = 0;
	struct tm tm;

	if (digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) || expect(&p, '-') ||
	    digits(&p, 2, &d) || expect(&p, 'T') || digits(&p, 2, &h) || expect(&p, ':') ||
	    digits(&p, 2, &mi) || expect(&p, ':') || digits(&p, 2, &se))
		goto bad;
	if (*p == '.') {
		int n = 0;

		for (p++; isdigit((unsigned char)*p); p++, n++)
			if (n < 9)
				ns = ns * 10 + (*p - '0');
		if (!n)
			goto bad;
		for (; n < 9; n++)
			ns *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om))
			goto bad;
	} else {
		goto bad;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
	    oh > 23 || om > 59)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*sec = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	*nsec = ns;
	return 0;
bad:
	return kerr_input(err, "'%s': not an RFC 3339 time", s);
}
