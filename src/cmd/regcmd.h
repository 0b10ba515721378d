/* regcmd.h: the options every command that talks to a registry takes
 * (pull, push, login, build), spelled as docker, podman and skopeo do. */
#ifndef KILN_CMD_REGCMD_H
#define KILN_CMD_REGCMD_H

#include <string.h>

#include "registry/registry.h"
#include "util/opt.h"
#include "util/xalloc.h"

/* o is a struct reg_opts *; tls_verify starts at -1 (the insecure list) */
#define REGCMD_OPTS(o) \
	OPT_STRING_(0, "creds", &(o)->creds, "USER[:PASS]", \
		    "credentials for the registry, instead of those stored"), \
	OPT_BOOL_(0, "tls-verify", &(o)->tls_verify, \
		  "verify the registry's certificate (--tls-verify=false: do not, and " \
		  "allow plain HTTP)")

/* "https://reg:5000/v2/" as docker login takes it -> "reg:5000"; caller frees */
static inline char *regcmd_registry(const char *s)
{
	const char *p = strstr(s, "://");

	p = p ? p + 3 : s;
	return xstrndup(p, strcspn(p, "/"));
}

#endif
