/* platform.c: looking up the platforms the arch/ folders registered, with
 * the spellings docker accepts (x86_64 == amd64, aarch64 == arm64, ...). */
#include <string.h>

#include "arch/arch.h"

extern const struct arch_platform *const __start_kiln_arch[];
extern const struct arch_platform *const __stop_kiln_arch[];

/* An empty section would leave the bounds undefined: this entry is always
 * there and skipped by the iterators. */
static const struct arch_platform *const arch_sentinel
	__attribute__((used, section("kiln_arch"), aligned(sizeof(void *)))) = NULL;

const struct arch_platform *const *arch_platforms_begin(void)
{
	return __start_kiln_arch;
}

const struct arch_platform *const *arch_platforms_end(void)
{
	return __stop_kiln_arch;
}

static int name_matches(const struct arch_platform *p, const char *arch)
{
	size_t n = strlen(arch);
	const char *a = p->aliases;

	if (!strcmp(p->arch, arch))
		return 1;
	while (a && *a) {
		const char *end = strchr(a, ' ');
		size_t len = end ? (size_t)(end - a) : strlen(a);

		if (len == n && !strncmp(a, arch, n))
			return 1;
		a += len + (end ? 1 : 0);
	}
	return 0;
}

const struct arch_platform *arch_find(const char *arch, const char *variant)
{
	const struct arch_platform *first = NULL;

	arch_for_each_platform(p) {
		if (!name_matches(p, arch))
			continue;
		if (!variant || !*variant) {
			if (!p->variant || p->is_default)
				return p;
			continue;
		}
		if (p->variant && !strcmp(p->variant, variant))
			return p;
		if (!first)
			first = p;
	}
	/* arm64/v8 is plain arm64 */
	if (first && !first->variant && variant && !strcmp(variant, "v8"))
		return first;
	return NULL;
}
