/* plan-platform.c: platform specifiers as containerd reads them for docker
 * (--platform, FROM --platform, TARGETPLATFORM), with its normalisations. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "build/plan.h"
#include "generated/version.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const known_os[] = {
	"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios",
	"js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1",
	"windows", "zos",
};

static const char *const known_arch[] = {
	"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64",
	"mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc",
	"ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
	"wasm",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(s, list[k]))
			return true;
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void set(char *dst, const char *s)
{
	snprintf(dst, 32, "%s", s);
}

/* containerd's normalizeArch, plus the spellings uname and kiln's own
 * build use (armv7l, armv7), then its Normalize: bare arm is arm/v7 */
static void normalize_arch(char *arch, char *variant)
{
	static const struct { const char *name, *arch, *variant; } alias[] = {
		{ "i386", "386", "" }, { "x86", "386", "" },
		{ "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL },
		{ "aarch64", "arm64", NULL },
		{ "armhf", "arm", "v7" }, { "armel", "arm", "v6" },
		{ "armv7", "arm", "v7" }, { "armv7l", "arm", "v7" },
		{ "armv6", "arm", "v6" }, { "armv6l", "arm", "v6" },
		{ "armv5", "arm", "v5" }, { "armv5l", "arm", "v5" },
	};

	lower(arch);
	lower(variant);
	for (size_t k = 0; k < COUNT(alias); k++) {
		if (strcmp(arch, alias[k].name))
			continue;
		set(arch, alias[k].arch);
		if (alias[k].variant)
			set(variant, alias[k].variant);
		break;
	}
	if (!strcmp(arch, "amd64")) {
		if (!strcmp(variant, "v1"))
			variant[0] = '\0';
	} else if (!strcmp(arch, "arm64")) {
		if (!strcmp(variant, "8") || !strcmp(variant, "v8") || !strcmp(variant, "v8.0"))
			variant[0] = '\0';
		else if (!strcmp(variant, "9") || !strcmp(variant, "9.0") || !strcmp(variant, "v9.0"))
			set(variant, "v9");
	} else if (!strcmp(arch, "arm")) {
		if (!variant[0] || !strcmp(variant, "7")) {
			set(variant, "v7");
		} else if (!strcmp(variant, "5") || !strcmp(variant, "6") || !strcmp(variant, "8")) {
			variant[1] = variant[0];
			variant[0] = 'v';
			variant[2] = '\0';
		}
	}
}

static void normalize_os(char *os)
{
	lower(os);
	if (!strcmp(os, "macos"))
		set(os, "darwin");
}

void plan_platform_host(struct plan_platform *out)
{
	memset(out, 0, sizeof(*out));
	set(out->os, "linux");
	set(out->arch, KILN_ARCH);
	normalize_arch(out->arch, out->variant);
}

const char *plan_platform_str(const struct plan_platform *p, char buf[PLAN_PLATFORM_STR])
{
	snprintf(buf, PLAN_PLATFORM_STR, "%s/%s%s%s", p->os, p->arch,
		 p->variant[0] ? "/" : "", p->variant);
	return buf;
}

/* containerd's component pattern, ^[A-Za-z0-9_.-]+$ */
static bool valid_part(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t k = 0; k < n; k++) {
		char c = s[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int plan_platform_parse(const char *spec, const struct plan_platform *dflt,
			struct plan_platform *out, struct kerr *err)
{
	char parts[3][32] = { "", "", "" };
	struct plan_platform host;
	const char *s = spec;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (strchr(spec, '*'))
		return kerr_input(err, "\"%s\": wildcards not yet supported", spec);
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);

		if (n == 3)
			return kerr_input(err, "\"%s\": cannot parse platform specifier", spec);
		if (!valid_part(s, len))
			return kerr_input(err, "\"%.*s\" is an invalid component of \"%s\": platform "
					  "specifier component must match \"^[A-Za-z0-9_.-]+$\"",
					  (int)len, s, spec);
		if (len >= sizeof(parts[0]))
			return kerr_input(err, "\"%s\": platform specifier component too long",
					  spec);
		memcpy(parts[n], s, len);
		parts[n++][len] = '\0';
		if (!slash)
			break;
		s = slash + 1;
	}
	if (n == 1) {
		if (!dflt) {
			plan_platform_host(&host);
			dflt = &host;
		}
		set(out->os, parts[0]);
		normalize_os(out->os);
		if (in_list(out->os, known_os, COUNT(known_os))) {
			set(out->arch, dflt->arch);
			set(out->variant, dflt->variant);
			return 0;
		}
		set(out->arch, parts[0]);
		out->os[0] = '\0';
		normalize_arch(out->arch, out->variant);
		if (!in_list(out->arch, known_arch, COUNT(known_arch)))
			return kerr_input(err, "\"%s\": unknown operating system or architecture",
					  spec);
		set(out->os, "linux");
		return 0;
	}
	set(out->os, parts[0]);
	normalize_os(out->os);
	set(out->arch, parts[1]);
	set(out->variant, parts[2]);
	normalize_arch(out->arch, out->variant);
	return 0;
}
