/* platform.c: platform strings and docker's (containerd's) rules for them:
 * normalisation, matching and the preference order used to pick a manifest
 * from an index. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/index.h"
#include "image/jsonio.h"
#include "image/platform.h"
#include "util/xalloc.h"

int oci_platform_parse(const cJSON *obj, struct oci_platform *p, struct kerr *err)
{
	if (!cJSON_IsObject(obj))
		return kerr_input(err, "'platform': expected an object");
	if (jio_string(obj, "architecture", true, &p->architecture, err) < 0 ||
	    jio_string(obj, "os", true, &p->os, err) < 0 ||
	    jio_string(obj, "os.version", false, &p->os_version, err) < 0 ||
	    jio_strvec(obj, "os.features", &p->os_features, NULL, err) < 0 ||
	    jio_string(obj, "variant", false, &p->variant, err) < 0 ||
	    jio_strvec(obj, "features", &p->features, NULL, err) < 0)
		return kerr_wrap(err, "platform");
	return 0;
}

cJSON *oci_platform_json(const struct oci_platform *p)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "architecture", p->architecture ? p->architecture : "");
	cJSON_AddStringToObject(o, "os", p->os ? p->os : "");
	jio_add_string(o, "os.version", p->os_version);
	jio_add_strvec(o, "os.features", &p->os_features);
	jio_add_string(o, "variant", p->variant);
	jio_add_strvec(o, "features", &p->features);
	return o;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void oci_platform_copy(struct oci_platform *dst, const struct oci_platform *src)
{
	oci_platform_clear(dst);
	dst->architecture = dup_or_null(src->architecture);
	dst->os = dup_or_null(src->os);
	dst->os_version = dup_or_null(src->os_version);
	dst->variant = dup_or_null(src->variant);
	jio_strvec_copy(&dst->os_features, &src->os_features);
	jio_strvec_copy(&dst->features, &src->features);
}

void oci_platform_clear(struct oci_platform *p)
{
	free(p->architecture);
	free(p->os);
	free(p->os_version);
	free(p->variant);
	strvec_clear(&p->os_features);
	strvec_clear(&p->features);
	*p = (struct oci_platform)OCI_PLATFORM_INIT;
}

static void set(char **field, const char *v)
{
	char *n = v && *v ? xstrdup(v) : NULL;

	free(*field);
	*field = n;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void img_platform_normalize(struct oci_platform *p)
{
	const char *a, *v;

	lower(p->os);
	lower(p->architecture);
	lower(p->variant);
	if (p->os && !strcmp(p->os, "macos"))
		set(&p->os, "darwin");
	a = p->architecture ? p->architecture : "";
	v = p->variant ? p->variant : "";
	if (!strcmp(a, "i386")) {
		set(&p->architecture, "386");
		set(&p->variant, NULL);
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
		set(&p->architecture, "amd64");
		if (!strcmp(v, "v1"))
			set(&p->variant, NULL);
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		set(&p->architecture, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8") || !strcmp(v, "v8.0"))
			set(&p->variant, NULL);
		else if (!strcmp(v, "9") || !strcmp(v, "v9.0"))
			set(&p->variant, "v9");
	} else if (!strcmp(a, "armhf")) {
		set(&p->architecture, "arm");
		set(&p->variant, "v7");
	} else if (!strcmp(a, "armel")) {
		set(&p->architecture, "arm");
		set(&p->variant, "v6");
	} else if (!strcmp(a, "arm")) {
		if (!*v || !strcmp(v, "7"))
			set(&p->variant, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8")) {
			char buf[4] = { 'v', v[0], '\0', '\0' };

			set(&p->variant, buf);
		}
	}
}

static const char *const known_os[] = {
	"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js",
	"linux", "macos", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", NULL,
};

static bool is_os(const char *s)
{
	for (const char *const *o = known_os; *o; o++)
		if (!strcasecmp(*o, s))
			return true;
	return false;
}

/* an os, arch or variant: lowercase letters, digits, '_', '-', '.' */
static bool valid_part(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return false;
	return true;
}

int img_platform_parse(const char *s, struct oci_platform *p, struct kerr *err)
{
	struct strvec parts = STRVEC_INIT;
	struct oci_platform host = OCI_PLATFORM_INIT;

	oci_platform_clear(p);
	strvec_split(&parts, s, '/');
	for (size_t i = 0; i < parts.n; i++) {
		if (!valid_part(parts.v[i]) || parts.n > 3) {
			strvec_clear(&parts);
			return kerr_input(err, "'%s': not a platform (expected os/arch[/variant])", s);
		}
	}
	if (parts.n == 1) {
		img_platform_host(&host);
		if (is_os(parts.v[0])) {
			set(&p->os, parts.v[0]);
			set(&p->architecture, host.architecture);
			set(&p->variant, host.variant);
		} else {
			set(&p->os, "linux");
			set(&p->architecture, parts.v[0]);
		}
		oci_platform_clear(&host);
	} else {
		set(&p->os, parts.v[0]);
		set(&p->architecture, parts.v[1]);
		if (parts.n == 3)
			set(&p->variant, parts.v[2]);
	}
	strvec_clear(&parts);
	img_platform_normalize(p);
	return 0;
}

char *img_platform_format(const struct oci_platform *p)
{
	const char *os = p->os ? p->os : "unknown";
	const char *arch = p->architecture ? p->architecture : "unknown";

	if (p->variant && *p->variant)
		return xasprintf("%s/%s/%s", os, arch, p->variant);
	return xasprintf("%s/%s", os, arch);
}

void img_platform_host(struct oci_platform *p)
{
	struct utsname u;

	oci_platform_clear(p);
	set(&p->os, "linux");
	if (uname(&u) < 0)
		snprintf(u.machine, sizeof(u.machine), "unknown");
	/* the kernel says armv7l / armv6l; the variant is in the name */
	if (!strncmp(u.machine, "armv", 4) && isdigit((unsigned char)u.machine[4])) {
		char v[3] = { 'v', u.machine[4], '\0' };

		set(&p->architecture, "arm");
		set(&p->variant, v);
	} else if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i586")) {
		set(&p->architecture, "386");
	} else {
		set(&p->architecture, u.machine);
	}
	img_platform_normalize(p);
}

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* both already normalised */
static bool same(const struct oci_platform *w, const struct oci_platform *h)
{
	return str_eq(w->os, h->os) && str_eq(w->architecture, h->architecture) &&
	       str_eq(w->variant, h->variant);
}

bool img_platform_match(const struct oci_platform *want, const struct oci_platform *have)
{
	struct oci_platform w = OCI_PLATFORM_INIT, h = OCI_PLATFORM_INIT;
	bool r;

	oci_platform_copy(&w, want);
	oci_platform_copy(&h, have);
	img_platform_normalize(&w);
	img_platform_normalize(&h);
	if (w.variant && *w.variant)
		r = same(&w, &h);
	else
		r = str_eq(w.os, h.os) && str_eq(w.architecture, h.architecture);
	oci_platform_clear(&w);
	oci_platform_clear(&h);
	return r;
}

/* the variant number of "vN", or -1 */
static int variant_num(const char *v)
{
	char *end;
	long n;

	if (!v || v[0] != 'v' || !isdigit((unsigned char)v[1]))
		return -1;
	n = strtol(v + 1, &end, 10);
	return *end || n > 99 ? -1 : (int)n;
}

static void push_vec(struct oci_platform *vec, size_t *n, size_t max, const char *os,
		     const char *arch, const char *variant)
{
	if (*n >= max)
		return;
	set(&vec[*n].os, os);
	set(&vec[*n].architecture, arch);
	set(&vec[*n].variant, variant);
	(*n)++;
}

/* containerd's platformVector: what a machine of platform p runs, best first */
static size_t platform_vector(const struct oci_platform *p, struct oci_platform *vec, size_t max)
{
	/* "v" and any int, so -Wformat-truncation has nothing to say */
	char v[16];
	size_t n = 0;
	int num;

	push_vec(vec, &n, max, p->os, p->architecture, p->variant);
	if (str_eq(p->architecture, "amd64")) {
		num = variant_num(p->variant);
		for (num--; num >= 1; num--) {
			snprintf(v, sizeof(v), "v%d", num);
			push_vec(vec, &n, max, p->os, "amd64", num == 1 ? NULL : v);
		}
		push_vec(vec, &n, max, p->os, "386", NULL);
	} else if (str_eq(p->architecture, "arm") || str_eq(p->architecture, "arm64")) {
		bool is64 = str_eq(p->architecture, "arm64");

		num = variant_num(p->variant);
		if (is64) {
			/* arm64 runs 32-bit arm from v8 down */
			num = 9;
		}
		for (num--; num >= 5; num--) {
			snprintf(v, sizeof(v), "v%d", num);
			push_vec(vec, &n, max, p->os, "arm", v);
		}
	}
	return n;
}

int img_index_select(const struct oci_index *idx, const struct oci_platform *want)
{
	struct oci_platform w = OCI_PLATFORM_INIT;
	struct oci_platform vec[16];
	size_t nvec;
	int best = -1;

	if (want)
		oci_platform_copy(&w, want);
	else
		img_platform_host(&w);
	img_platform_normalize(&w);
	for (size_t i = 0; i < 16; i++)
		vec[i] = (struct oci_platform)OCI_PLATFORM_INIT;
	nvec = platform_vector(&w, vec, 16);
	for (size_t k = 0; k < nvec && best < 0; k++) {
		for (size_t i = 0; i < idx->n; i++) {
			struct oci_platform h = OCI_PLATFORM_INIT;
			bool ok;

			if (!idx->manifests[i].platform)
				continue;
			oci_platform_copy(&h, idx->manifests[i].platform);
			img_platform_normalize(&h);
			ok = same(&vec[k], &h);
			oci_platform_clear(&h);
			if (ok) {
				best = (int)i;
				break;
			}
		}
	}
	for (size_t i = 0; i < 16; i++)
		oci_platform_clear(&vec[i]);
	oci_platform_clear(&w);
	return best;
}
