/* dump.h: the parse tree printed for people and tools: BuildKit's dump
 * format, and a JSON document (kiln debug parse). */
#ifndef KILN_DOCKERFILE_DUMP_H
#define KILN_DOCKERFILE_DUMP_H

#include <cjson/cJSON.h>

#include "dockerfile/dockerfile.h"
#include "util/strbuf.h"

/* one "(keyword ["--flag"] "arg" ...)" line per instruction, as BuildKit's
 * Node.Dump, ONBUILD nesting its trigger: (onbuild (run "x")) */
void df_dump(struct strbuf *sb, const struct df_file *f);
/* {"file", "escape", "directives", "instructions": [{name, flags, args,
 * json, heredocs, start_line, end_line, trigger}]} */
cJSON *df_dump_json(const struct df_file *f);

#endif
