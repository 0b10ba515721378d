/* exec-pull.c: the images a build names (FROM, COPY --from, RUN --mount
 * from=) that the store lacks, or all of them with --pull=always, fetched
 * from their registries before the build reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/exec.h"
#include "registry/registry.h"
#include "util/xalloc.h"

/* Does the store have name, for the platform wanted? 1 yes, 0 no (not
 * named, or not for that platform: a pull brings it), -1 it is there
 * but damaged, which a pull would only hide (err says what is wrong). */
static int have(struct build *b, const char *name, const struct oci_platform *want,
		struct kerr *err)
{
	struct oci_index idx;
	struct store_image img;
	struct kerr e = KERR_INIT;
	int i, r = 0;

	oci_index_init(&idx);
	memset(&img, 0, sizeof(img));
	if (store_index_read(&b->st, &idx, err) < 0) {
		r = -1;
	} else {
		i = store_resolve(&b->st, &idx, name, &e);
		if (i >= 0 && store_image_load_platform(&b->st, &idx.manifests[i], want, &img,
							&e) >= 0)
			r = 1;
		else if (i >= 0 && e.kind != KERR_INPUT)
			r = kerr_set(err, "'%s' is damaged in the store ('kiln fsck --repair' "
				     "removes it): %s", name, e.msg);
	}
	store_image_clear(&img);
	oci_index_clear(&idx);
	kerr_clear(&e);
	return r;
}

int exec_pull(struct build *b, const char *name, const struct plan_platform *pf,
	      struct kerr *err)
{
	struct oci_platform want = OCI_PLATFORM_INIT;
	struct reg_opts ro = REG_OPTS_INIT;
	struct reg_pull_result res;
	char *key;
	int r = 0;

	if (!strcmp(name, "scratch") || b->o->pull == BUILD_PULL_NEVER)
		return 0;
	if (pf) {
		want.os = xstrdup(pf->os);
		want.architecture = xstrdup(pf->arch);
		want.variant = pf->variant[0] ? xstrdup(pf->variant) : NULL;
	}
	key = xasprintf("%s %s/%s/%s", name, want.os ? want.os : "", want.architecture ?
			want.architecture : "", want.variant ? want.variant : "");
	for (size_t i = 0; i < b->pulled.n; i++)
		if (!strcmp(b->pulled.v[i], key))
			goto out;
	if (b->o->pull == BUILD_PULL_MISSING &&
	    (r = have(b, name, pf ? &want : NULL, err)) != 0) {
		r = r < 0 ? -1 : 0;
		goto out;
	}
	ro.tls_verify = b->o->tls_verify;
	ro.creds = b->o->creds;
	progress_note(&b->pr, "pulling %s", name);
	r = reg_pull(&b->st, name, pf ? &want : NULL, &ro, &res, err);
	if (r >= 0)
		progress_note(&b->pr, "pulled %s %s", res.name, res.digest);
	reg_pull_result_clear(&res);
out:
	if (r >= 0)
		strvec_push(&b->pulled, key);
	free(key);
	oci_platform_clear(&want);
	return r;
}
