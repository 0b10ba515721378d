#!/bin/sh
# fixdep: turn gcc's .d file for an object into a .cmd file that make
# includes. The object no longer depends on autoconf.h (rewritten on every
# config change) but on include/config/<symbol>.h for each CONFIG_ symbol its
# sources mention; kconfig touches those only when the symbol's value changes.
#   fixdep.sh OBJ.d OBJTREE AUTOHEADER
set -eu
d=$1 objtree=$2 autoheader=$3
cmd=${d%.d}.cmd

# one prerequisite per line, target first
files=$(sed -e 's/\\$//' -e 's/^[^:]*://' "$d" | tr ' ' '\n' | grep -v '^$' | grep -vxF "$autoheader" || true)
target=$(sed -n '1s/:.*//p' "$d")

{
	printf '%s:' "$target"
	for f in $files; do printf ' \\\n  %s' "$f"; done
	# shellcheck disable=SC2086
	syms=$(grep -ohE 'CONFIG_[A-Za-z0-9_]+' $files 2>/dev/null | sort -u || true)
	for s in $syms; do
		p=$(printf '%s' "${s#CONFIG_}" | tr 'A-Z_' 'a-z/')
		printf ' \\\n  $(wildcard %s/include/config/%s.h)' "$objtree" "$p"
	done
	printf '\n'
	for f in $files; do printf '%s:\n' "$f"; done
} > "$cmd.tmp"
mv "$cmd.tmp" "$cmd"
rm -f "$d"
