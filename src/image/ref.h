/* ref.h: image references as docker reads them: [domain/]path[:tag][@digest],
 * docker.io/library/ for short names, and image ID prefixes. */
#ifndef KILN_IMAGE_REF_H
#define KILN_IMAGE_REF_H

#include <stdbool.h>

#include "util/err.h"

struct img_ref {
	char *domain;	/* "docker.io", "localhost", "reg:5000" */
	char *path;	/* "library/app" */
	char *tag;	/* NULL when none was given */
	char *digest;	/* NULL when none was given */
};

#define IMG_REF_INIT { NULL, NULL, NULL, NULL }

int img_ref_parse(const char *s, struct img_ref *r, struct kerr *err);
/* adds "latest" when neither tag nor digest was given */
void img_ref_default_tag(struct img_ref *r);
/* these return new strings: */
/* "docker.io/library/app" */
char *img_ref_name(const struct img_ref *r);
/* "app", "user/app", "localhost/app", "reg:5000/x" */
char *img_ref_familiar_name(const struct img_ref *r);
/* familiar name with ":tag" and/or "@digest": what kiln stores as ref.name */
char *img_ref_familiar(const struct img_ref *r);
/* the full "docker.io/library/app:1" */
char *img_ref_string(const struct img_ref *r);
/* 1..64 lowercase hex digits, optionally after "sha256:": could name an
 * image by (a prefix of) its ID */
bool img_ref_is_id_prefix(const char *s);
void img_ref_clear(struct img_ref *r);

#define IMG_REF_DEFAULT_DOMAIN "docker.io"

#endif
