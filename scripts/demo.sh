#!/bin/sh
# demo.sh OBJTREE: kiln end to end with the kiln built in OBJTREE. Makes the
# busybox base image offline (scripts/mkbase.sh), imports it into a store
# of its own (OBJTREE/demo-store, so the user's images are left alone),
# builds examples/hello as hello:1 and runs it. A kiln without 'build'
# (or 'run') says so in one line and the demo stops there with status 0.
# Works as root and as an ordinary user who can write to OBJTREE.
set -eu

die() { echo "kiln: demo: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: demo.sh OBJTREE" >&2; exit 2; }
objtree=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such directory"
srctree=$(cd "$(dirname "$0")/.." && pwd)
kiln=$objtree/kiln
[ -x "$kiln" ] || die "$kiln: not built (make O=$1)"

# a command the binary lacks answers "not in this build" with status 2
has() {
	"$kiln" "$1" --help >/dev/null 2>&1
}

echo "\$ kiln version"
"$kiln" version
if ! has build; then
	echo "kiln: demo: 'kiln build' is not in this build (CONFIG_BUILD=n); nothing more to show"
	exit 0
fi

KILN_ROOT=$objtree/demo-store
export KILN_ROOT
base=$objtree/demo-busybox.tar
# the same bytes and, with SOURCE_DATE_EPOCH, the same image on every run
sh "$srctree/scripts/mkbase.sh" busybox "$base" || die "could not make the base image"
echo "\$ kiln import $base busybox"
SOURCE_DATE_EPOCH=0 "$kiln" import "$base" busybox
echo "\$ kiln build -t hello:1 examples/hello"
"$kiln" build -t hello:1 "$srctree/examples/hello"
echo "\$ kiln images"
"$kiln" images
if ! has run; then
	echo "kiln: demo: 'kiln run' is not in this build (CONFIG_RUN=n); hello:1 is built in $KILN_ROOT"
	exit 0
fi
echo "\$ kiln run --rm hello:1"
"$kiln" run --rm hello:1
