/* text.c: Unicode white space at the edges of text, as Go's strings.TrimSpace
 * and unicode.IsSpace see it, which is where BuildKit cuts lines and words. */
#include <string.h>

#include "dockerfile/internal.h"
#include "dockerfile/rune.h"

size_t df_space_at(const char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (!n)
		return 0;
	if ((unsigned char)s[0] < 0x80)
		return df_rune_is_space((unsigned char)s[0]) ? 1 : 0;
	len = df_rune_decode(s, n, &cp);
	return df_rune_is_space(cp) ? len : 0;
}

size_t df_space_prefix(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = df_space_at(s + i, n - i)) > 0)
		i += k;
	return i;
}

/*
 * Backwards, a rune starts at the last byte that is not a continuation byte
 * (as Go's utf8.DecodeLastRune finds it); it counts only when it decodes to
 * exactly the bytes up to the end.
 */
size_t df_space_suffix(const char *s, size_t n)
{
	size_t end = n;

	while (end > 0) {
		size_t start = end - 1, k;

		while (start > 0 && end - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
			start--;
		k = df_space_at(s + start, end - start);
		if (k == 0 || k != end - start)
			break;
		end = start;
	}
	return n - end;
}

bool df_has_substr(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}
