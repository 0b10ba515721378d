/* bounds.h: how much a layer may ask of kiln: caps on headers, paths and
 * entries, so a hostile archive costs bounded memory and time. */
#ifndef KILN_LAYER_BOUNDS_H
#define KILN_LAYER_BOUNDS_H

#include <stddef.h>
#include <stdint.h>

/* a PAX extended header (all its records, xattrs included) */
#define LAYER_MAX_PAX		(1024 * 1024)
/* a path or link target; PATH_MAX is what the kernel takes in one call */
#define LAYER_MAX_PATH		4096
/* entries in one layer: a million files is a large distribution already */
#define LAYER_MAX_ENTRIES	1048576
/* PAX or GNU long-name headers in front of one entry */
#define LAYER_MAX_META		16

struct tar_limits {
	size_t max_pax;
	size_t max_path;
	uint64_t max_entries;
};

#define TAR_LIMITS_INIT { LAYER_MAX_PAX, LAYER_MAX_PATH, LAYER_MAX_ENTRIES }

#endif
