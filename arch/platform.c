/* platform.c: looking up the platforms the arch/ folders registered, with
 * the spellings docker accepts (x86_64 == amd64, aarch64 == arm64, ...). */
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

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

const struct arch_platform *arch_find_machine(const char *machine)
{
	/* "armv6l" is an alias of arm/v6 only, while a bare "arm" means v7 */
	arch_for_each_platform(p)
		if (strcmp(p->arch, machine) && name_matches(p, machine))
			return p;
	return arch_find(machine, NULL);
}

const struct arch_platform *arch_host(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return NULL;
	return arch_find_machine(u.machine);
}

int arch_host_compat32(void)
{
	int old = personality(0xffffffff);

	/* arm64 kernels refuse PER_LINUX32 on CPUs without AArch32 at EL0 */
	if (old < 0 || personality(PER_LINUX32) < 0)
		return 0;
	personality((unsigned long)old);
	return 1;
}

const char *arch_platform_name(const struct arch_platform *p, char buf[32])
{
	snprintf(buf, 32, "%s%s%s", p->arch, p->variant ? "/" : "",
		 p->variant ? p->variant : "");
	return buf;
}

int arch_runs_on(const struct arch_platform *p, const struct arch_platform *host,
		 int compat32)
{
	const char *a = p->native_on;
	char name[32];
	size_t n;

	if (!host)
		return 0;
	if (p == host)
		return 1;
	if (p->native_needs_compat && !compat32)
		return 0;
	arch_platform_name(host, name);
	n = strlen(name);
	while (a && *a) {
		const char *end = strchr(a, ' ');
		size_t len = end ? (size_t)(end - a) : strlen(a);

		if (len == n && !strncmp(a, name, n))
			return 1;
		a += len + (end ? 1 : 0);
	}
	return 0;
}

int arch_native(const struct arch_platform *p)
{
	const struct arch_platform *host = arch_host();

	if (!host)
		return 0;
	if (p == host)
		return 1;
	return arch_runs_on(p, host, p->native_needs_compat ? arch_host_compat32() : 1);
}
