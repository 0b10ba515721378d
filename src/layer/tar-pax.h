/* tar-pax.h: the numbers of a tar header (octal or base-256) and the records
 * of a PAX extended header, parsed strictly for the tar reader. */
#ifndef KILN_LAYER_TAR_PAX_H
#define KILN_LAYER_TAR_PAX_H

#include <stddef.h>
#include <stdint.h>

#include "layer/tar.h"
#include "util/err.h"

/* which fields a PAX header set */
#define PAX_SIZE	0x01
#define PAX_UID		0x02
#define PAX_GID		0x04
#define PAX_MTIME	0x08

/* What one 'x' header says about the entry that follows it; path, linkname
 * and xattrs are kept in e, the numbers too when their bit is in have. */
struct tar_pax {
	unsigned int have;
	struct tar_entry e;
};

#define TAR_PAX_INIT { 0, TAR_ENTRY_INIT }

/* A numeric header field: octal (NUL/space padded) or base-256; 0 or -1. */
int tar_number(const char *field, size_t len, int64_t *out);

/* Parses PAX records ("LEN key=value\n") into pax; what names the entry in
 * errors. Unknown keys are ignored; sparse files are refused. */
int tar_pax_parse(const char *data, size_t len, struct tar_pax *pax,
		  const char *what, struct kerr *err);

void tar_pax_clear(struct tar_pax *pax);

#endif
