/* storecmd.c: helpers of the store commands (images, inspect, tag, rmi,
 * prune): the store they work on and how they show names and ages. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "sandbox/sandbox.h"
#include "util/kconfig.h"
#include "util/log.h"
#include "util/xalloc.h"

int storecmd_open(struct store *st, struct kerr *err)
{
	return store_open(st, err);
}

void storecmd_split_name(const char *name, char **repo, char **tag)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');
	const char *at = strchr(name, '@');

	if (at) {
		*repo = xstrndup(name, (size_t)(at - name));
		*tag = xstrdup("<none>");
		return;
	}
	if (colon && (!slash || colon > slash)) {
		*repo = xstrndup(name, (size_t)(colon - name));
		*tag = xstrdup(colon + 1);
		return;
	}
	*repo = xstrdup("<none>");
	*tag = xstrdup(name);
}

/* docker's units.HumanDuration */
static void human(long long s, char *buf, size_t len)
{
	long long h = s / 3600;

	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", s);
	else if (s / 60 == 1)
		snprintf(buf, len, "About a minute");
	else if (s / 60 < 60)
		snprintf(buf, len, "%lld minutes", s / 60);
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", h / 24 / 30);
	else
		snprintf(buf, len, "%lld years", h / 24 / 365);
}

void storecmd_since(const char *created, char *buf, size_t len)
{
	struct kerr err = KERR_INIT;
	int64_t sec;
	long ns;
	size_t n;

	if (!created || img_time_parse(created, &sec, &ns, &err) < 0) {
		kerr_clear(&err);
		snprintf(buf, len, "N/A");
		return;
	}
	human((long long)(time(NULL) - sec), buf, len);
	n = strlen(buf);
	snprintf(buf + n, len - n, " ago");
}

void storecmd_enter_ids(void)
{
	struct sandbox_ids ids;
	struct kerr err = KERR_INIT;

	if (!IS_ENABLED(CONFIG_SANDBOX))
		return;
	if (sandbox_enter(&ids, &err) < 0)
		log_warn("%s: files of other ids may stay behind", err.msg);
	kerr_clear(&err);
}

int storecmd_emulation(const char *mode, struct kerr *err)
{
	static const char *const modes[] = { "auto", "host", "binfmt", "ptrace" };

	if (!mode)
		return 0;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i]))
			return setenv("KILN_EMULATION", mode, 1) < 0 ?
				kerr_errno(err, errno, "--emulation") : 0;
	return kerr_input(err, "--emulation '%s': expected auto, host, binfmt or ptrace", mode);
}
