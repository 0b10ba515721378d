/* suggest.c: "did you mean ...?" for a mistyped instruction, mount key or
 * value: the closest known word by edit distance, as BuildKit suggests. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/internal.h"
#include "util/xalloc.h"

/* Levenshtein distance of bytes, with an optional ASCII case fold */
static size_t distance(const char *a, const char *b, bool fold)
{
	size_t la = strlen(a), lb = strlen(b), *row, best;

	row = xmalloc((lb + 1) * sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			char ca = a[i - 1], cb = b[j - 1];
			size_t up = row[j], cost;

			if (fold) {
				ca = (char)tolower((unsigned char)ca);
				cb = (char)tolower((unsigned char)cb);
			}
			cost = diag + (ca != cb);
			if (up + 1 < cost)
				cost = up + 1;
			if (row[j - 1] + 1 < cost)
				cost = row[j - 1] + 1;
			diag = up;
			row[j] = cost;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

const char *df_suggest(const char *val, const char *const *options, size_t n,
		       bool case_sensitive)
{
	const char *match = NULL;
	size_t score = 3;

	if (!*val)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		size_t d = distance(val, options[k], !case_sensitive);

		if (d == 0)
			return NULL;	/* it is known: the error is about something else */
		if (d < score) {
			score = d;
			match = options[k];
		}
	}
	return match;
}
