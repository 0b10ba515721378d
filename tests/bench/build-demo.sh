#!/bin/sh
# build-demo.sh KILN: wall time and peak memory of building examples/hello
# with kiln and with buildah in the same run, cold (empty cache) and warm
# (the same build again), as the user running it (not root: both builders
# are measured rootless). buildah runs as it must on a host without a
# usable cgroup v2 or /dev/net/tun: --isolation chroot, vfs storage in a
# private root (BUILDAH_DRIVER=overlay picks overlay), --layers so that
# its warm run can use a cache too.
#
# usage: tests/bench/build-demo.sh OBJTREE/kiln
# prints one line per run and the ratios buildah/kiln.
set -eu

kiln=${1:?usage: build-demo.sh KILN}
src=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" != 0 ] || { echo "run this as an ordinary user" >&2; exit 2; }
command -v buildah >/dev/null || { echo "buildah is not installed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-demo.XXXXXX")
bah() {
	buildah --root "$work/broot" --runroot "$work/brunroot" --storage-driver "${BUILDAH_DRIVER:-vfs}" "$@"
}
cleanup() {
	[ -d "$work/broot" ] && bah unshare rm -rf "$work/broot" "$work/brunroot" 2>/dev/null
	[ -d "$work/store" ] && KILN_ROOT=$work/store "$kiln" prune >/dev/null 2>&1
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mkdir -p "$work/xdg"
chmod 700 "$work/xdg"
export XDG_RUNTIME_DIR=$work/xdg
: > "$work/registries.conf"
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf

sh "$src/scripts/mkbase.sh" busybox "$work/base.tar"
export KILN_ROOT=$work/store
"$kiln" import "$work/base.tar" busybox >/dev/null
"$kiln" save -o "$work/base-docker.tar" busybox
bah pull -q docker-archive:"$work/base-docker.tar" >/dev/null

# measure LABEL CMD...: "LABEL wall_s maxrss_kb"
measure() {
	label=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	read -r wall rss < "$work/time"
	echo "$label $wall $rss"
	eval "t_$label=$wall m_$label=$rss"
}

measure kiln_cold "$kiln" build -q -t hello:1 "$src/examples/hello"
measure kiln_warm "$kiln" build -q -t hello:1 "$src/examples/hello"
measure buildah_cold buildah --root "$work/broot" --runroot "$work/brunroot" \
	--storage-driver "${BUILDAH_DRIVER:-vfs}" build -q --layers --pull=never --isolation chroot \
	--network host -t hello:1 "$src/examples/hello"
measure buildah_warm buildah --root "$work/broot" --runroot "$work/brunroot" \
	--storage-driver "${BUILDAH_DRIVER:-vfs}" build -q --layers --pull=never --isolation chroot \
	--network host -t hello:1 "$src/examples/hello"

# the time's resolution is 10 ms: a faster run counts as 10 ms
ratio() { echo "scale=1; d = $2; if (d < 0.01) d = 0.01; $1 / d" | bc; }
echo "cold: buildah/kiln wall $(ratio "$t_buildah_cold" "$t_kiln_cold")x," \
	"peak memory $(ratio "$m_buildah_cold" "$m_kiln_cold")x"
echo "warm: buildah/kiln wall $(ratio "$t_buildah_warm" "$t_kiln_warm")x," \
	"peak memory $(ratio "$m_buildah_warm" "$m_kiln_warm")x"
