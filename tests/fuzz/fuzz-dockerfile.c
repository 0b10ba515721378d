/* fuzz-dockerfile.c: libFuzzer harness for the Dockerfile language end to
 * end: parse, validate, plan (two ways), ONBUILD insertion, dumps. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "build/plan.h"
#include "dockerfile/dockerfile.h"
#include "util/kconfig.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void dumps(const struct plan *p)
{
	struct strbuf sb = STRBUF_INIT;
	struct strvec unused = STRVEC_INIT;

	if (IS_ENABLED(CONFIG_DEBUG_CMD)) {
		cJSON *doc = plan_dump_json(p);

		plan_dump(&sb, p);
		free(cJSON_PrintUnformatted(doc));
		cJSON_Delete(doc);
	}
	plan_unused_build_args(p, &unused);
	strvec_clear(&unused);
	strbuf_release(&sb);
}

/* the file's own ONBUILD lines as a base image's triggers, and a base
 * environment, for the first stages */
static void base_config(struct plan *p, const struct df_file *f)
{
	static const char *const env[] = { "PATH=/usr/bin", "A=base", "B" };
	struct strvec trig = STRVEC_INIT;
	struct kerr err = KERR_INIT;

	for (size_t k = 0; k < f->n && trig.n < 4; k++)
		if (f->nodes[k].sub)
			strvec_push(&trig, f->nodes[k].sub->original.s);
	for (size_t i = 0; i < p->nstages && i < 3; i++) {
		if (plan_set_base_env(p, (int)i, env, 3, &err) < 0)
			break;
		if (trig.n && plan_insert_onbuild(p, (int)i, (const char *const *)trig.v,
						  trig.n, &err) < 0)
			break;
		dumps(p);
	}
	kerr_clear(&err);
	strvec_clear(&trig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const args[] = {
		"A=1", "B=two words", "HTTP_PROXY=http://proxy", "TARGETARCH=arm64", "UNUSED=x",
	};
	struct kerr err = KERR_INIT;
	struct df_file f;
	struct plan p;
	char *target = NULL;
	char line[64];
	size_t n = 0;

	log_level = LOG_QUIET;
	/* the first line also goes through the platform parser */
	while (n < size && n < sizeof(line) - 1 && data[n] != '\n') {
		line[n] = data[n] ? (char)data[n] : ' ';
		n++;
	}
	line[n] = '\0';
	{
		struct plan_platform pl;
		char buf[PLAN_PLATFORM_STR];

		if (plan_platform_parse(line, NULL, &pl, &err) == 0)
			plan_platform_str(&pl, buf);
		kerr_clear(&err);
	}
	if (df_parse((const char *)data, size, "Dockerfile", &f, &err) < 0) {
		kerr_clear(&err);
		return 0;
	}
	if (df_validate(&f, &err) < 0)
		goto out;
	if (plan_build(&p, &f, NULL, &err) == 0) {
		dumps(&p);
		/* a named stage becomes the target of the second plan */
		for (size_t i = 0; i < p.nstages && !target; i++)
			if (p.stages[i].name && i + 1 < p.nstages)
				target = strdup(p.stages[i].name);
		base_config(&p, &f);
		plan_release(&p);
	}
	kerr_clear(&err);
	{
		const struct plan_opts o = { args, 5, target, "linux/arm/v7", "linux/amd64" };

		if (plan_build(&p, &f, &o, &err) == 0) {
			dumps(&p);
			plan_release(&p);
		}
	}
out:
	free(target);
	kerr_clear(&err);
	df_file_release(&f);
	return 0;
}
