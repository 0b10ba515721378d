/* quote.h: strings printed as Go's %q prints them (strconv.Quote), the
 * format of BuildKit's parse-tree dump and of its messages. */
#ifndef KILN_DOCKERFILE_QUOTE_H
#define KILN_DOCKERFILE_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* Appends s (n bytes, any content) in double quotes: '"' and '\' escaped,
 * \a \b \f \n \r \t \v, other controls and bytes that are not UTF-8 as \xNN,
 * other unprintable runes as \uNNNN or \UNNNNNNNN, printable ones as is. */
void df_go_quote(struct strbuf *sb, const char *s, size_t n);
/* Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, ' ' */
bool df_go_isprint(uint32_t c);

#endif
