#!/bin/sh
# size.sh OBJTREE "SIZE-TOOL" OBJ...: the stripped size of kiln, the largest
# objects and the largest symbols that survived --gc-sections, to watch on
# every change (BusyBox's bloatcheck in spirit).
set -eu
objtree=$1 size=$2
shift 2
bin=$objtree/kiln
nm=$(echo "$size" | sed 's/size$/nm/')

bytes=$(stat -c %s "$bin")
printf 'kiln (stripped): %d bytes (%d KiB)\n' "$bytes" $(((bytes + 1023) / 1024))
printf '\nlargest objects (text+data+bss before --gc-sections):\n'
# shellcheck disable=SC2086
$size "$@" | awk 'NR > 1 { printf "%8d  %s\n", $4, $6 }' | sort -rn | head -n 12 |
	sed "s|$objtree/||"
printf '\nlargest symbols in the binary:\n'
$nm --size-sort -S -r -t d "$objtree/kiln_unstripped" 2>/dev/null |
	awk '{ printf "%8d  %s %s\n", $2, $3, $4 }' | head -n 12
