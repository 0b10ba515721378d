/* heredoc.h: RUN/COPY/ADD <<EOF bodies, read from the lines after the
 * instruction (CONFIG_DF_HEREDOC). */
#ifndef KILN_DOCKERFILE_HEREDOC_H
#define KILN_DOCKERFILE_HEREDOC_H

#include "dockerfile/internal.h"

#ifdef CONFIG_DF_HEREDOC
/*
 * Finds the <<WORD, <<-WORD, <<"WORD" and 3<<WORD words of line (the logical
 * line of node) and reads each body from the following lines of lx, up to a
 * line that is exactly WORD (after leading tabs for <<-). The bodies land in
 * node->heredocs. Errors have no location; the caller adds it.
 */
int df_heredocs_read(struct df_lexer *lx, const char *line, size_t len,
		     struct df_node *node, struct kerr *err);
#else
/* Heredocs are not in this build: a line that would start one is an error,
 * rather than its body being read as instructions. */
static inline int df_heredocs_read(struct df_lexer *lx, const char *line, size_t len,
				   struct df_node *node, struct kerr *err)
{
	for (size_t i = 0; i < len; i++) {
		size_t j = i;

		if (i > 0 && !df_is_hspace(line[i - 1]))
			continue;
		while (j < len && line[j] >= '0' && line[j] <= '9')
			j++;
		if (j + 2 < len && line[j] == '<' && line[j + 1] == '<' &&
		    line[j + 2] != '<' && !df_is_hspace(line[j + 2]))
			return kerr_input(err, "heredocs are not in this build (CONFIG_DF_HEREDOC=n)");
	}
	return 0;
}
#endif

#endif
