/* tar.c: the life cycle of a struct tar_entry, which the tar writer and the
 * tar reader both fill and release. */
#include <stdlib.h>
#include <string.h>

#include "layer/tar.h"
#include "util/xalloc.h"

void tar_entry_clear(struct tar_entry *e)
{
	struct tar_entry init = TAR_ENTRY_INIT;

	free(e->path);
	free(e->linkname);
	for (size_t i = 0; i < e->nxattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	*e = init;
}

void tar_entry_add_xattr(struct tar_entry *e, const char *name, const void *value,
			 size_t len)
{
	struct tar_xattr *x;

	e->xattrs = xrealloc(e->xattrs, xmul(e->nxattrs + 1, sizeof(*e->xattrs)));
	x = &e->xattrs[e->nxattrs++];
	x->name = xstrdup(name);
	/* one spare byte so an empty value still has a buffer of its own */
	x->value = xmalloc(len + 1);
	if (len)
		memcpy(x->value, value, len);
	x->value[len] = 0;
	x->len = len;
}
