#!/bin/bash
# registry.sh KILN: push and pull throughput of kiln next to skopeo, for the
# same image and the same loopback docker-registry in the same run, and the
# peak memory of each pull (GNU time). The image has BENCH_LAYERS layers
# (default 4) of about BENCH_MB MB in all (default 200): generated trees of
# random and text-like files, the first made an image by 'kiln import', the
# others added by COPY steps of 'kiln build' (one layer when the binary has
# no build). Each push goes to a fresh registry, so nothing is there
# already; each pull goes to an empty store or layout.
#
# usage: tests/bench/registry.sh OBJTREE/kiln
# BENCH_RUNS=N keeps the best of N rounds of each (default 3);
# BENCH_TOOLS="kiln skopeo" picks who is measured.
# Run it as an ordinary user: kiln and the registry run as you.
set -eu

kiln=${1:?usage: registry.sh KILN}
kiln=$(cd "$(dirname "$kiln")" && pwd)/$(basename "$kiln")
src=$(cd "$(dirname "$0")/../.." && pwd)
runs=${BENCH_RUNS:-3}
mb=${BENCH_MB:-200}
nlayers=${BENCH_LAYERS:-4}
tools=${BENCH_TOOLS:-kiln skopeo}

die() { echo "registry.sh: $*" >&2; exit 2; }
[ "$(id -u)" != 0 ] || die "run this as an ordinary user"
[ -x /usr/bin/time ] || die "GNU time is needed (apt-get install time)"
"$kiln" version | grep -q '^features:.* REGISTRY' || die "$kiln has no registry support (CONFIG_REGISTRY)"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-registry.XXXXXX")
export KILN=$kiln KILN_SRCTREE=$src
skip() { die "$*"; }
# shellcheck source=../integration/registry.bash
. "$src/tests/integration/registry.bash"
cleanup() {
	reg_stop_all
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
reg_env "$work"
reg_require

# --- the image ------------------------------------------------------------------

# layer i's tree: files of 64 KiB to 4 MiB, half random bytes, half words
# (which gzip shrinks about 3x), for mb/nlayers MB
python3 - "$work/trees" "$mb" "$nlayers" <<'PY'
import os, random, sys
out, mb, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
         for _ in range(5000)]
for i in range(n):
    d = os.path.join(out, "t%d" % i)
    os.makedirs(d)
    left, k = mb * 1000000 // n, 0
    while left > 0:
        size = min(left, rnd.randint(64 << 10, 4 << 20))
        with open(os.path.join(d, "f%04d" % k), "wb") as f:
            if k % 2:
                f.write(rnd.randbytes(size))
            else:
                buf = bytearray()
                while len(buf) < size:
                    buf += b" ".join(rnd.choice(words) for _ in range(64)) + b"\n"
                f.write(buf[:size])
        left -= size
        k += 1
PY
store=$work/store
tar -C "$work/trees/t0" -cf "$work/t0.tar" .
"$kiln" --root "$store" import "$work/t0.tar" bench-base:1 >/dev/null
if "$kiln" version | grep -q '^features:.* BUILD' && [ "$nlayers" -gt 1 ]; then
	{
		echo "FROM bench-base:1"
		for i in $(seq 1 $((nlayers - 1))); do echo "COPY t$i /t$i"; done
	} >"$work/trees/Dockerfile"
	"$kiln" --root "$store" build -q -t bench:1 "$work/trees" >/dev/null
else
	tar -C "$work/trees" -cf "$work/all.tar" --exclude=./Dockerfile .
	"$kiln" --root "$store" import "$work/all.tar" bench:1 >/dev/null
fi
rm -rf "$work/trees" "$work"/*.tar
read -r manifest _ _ _ < <(oci_digests "$store" bench:1)
bytes=$(python3 - "$store" "$manifest" <<'PY'
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "blobs", "sha256", sys.argv[2][7:])))
print(m["config"]["size"] + sum(l["size"] for l in m["layers"]))
PY
)
layers=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["layers"]))' \
	"$store/blobs/sha256/${manifest#sha256:}")
echo "image: $layers layers, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB of blobs"

# --- measuring --------------------------------------------------------------------

# measure CMD...: runs it under GNU time; sets WALL (s) and RSS (KiB)
measure() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
		{ cat "$work/out" "$work/err" >&2; exit 1; }
	t1=$(date +%s%N)
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	RSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
}

# best LABEL: runs "round_LABEL" BENCH_RUNS times, keeps the fastest
best() {
	local label=$1 i w='' r=''
	for i in $(seq "$runs"); do
		"round_$label"
		if [ -z "$w" ] || awk -v a="$WALL" -v b="$w" 'BEGIN { exit !(a < b) }'; then
			w=$WALL r=$RSS
		fi
	done
	eval "wall_$label=$w rss_$label=$r"
	printf '%-12s %8.1f MB/s  %6.2f s  peak RSS %6.1f MB\n' "$label" \
		"$(awk -v b="$bytes" -v w="$w" 'BEGIN { print b / 1e6 / w }')" "$w" \
		"$(awk -v r="$r" 'BEGIN { print r / 1024 }')"
}

# each push into a registry of its own, stopped after
round_push_kiln() {
	reg_start
	measure "$kiln" --root "$store" push --tls-verify=false bench:1 "$REG/bench:1"
	reg_stop_all
}
round_push_skopeo() {
	reg_start
	measure skopeo --insecure-policy copy -q --preserve-digests --dest-tls-verify=false \
		"oci:$store:bench:1" "docker://$REG/bench:1"
	reg_stop_all
}
round_pull_kiln() {
	rm -rf "$work/pulled"
	measure "$kiln" --root "$work/pulled" pull -q --tls-verify=false "$PULL_REG/bench:1"
	[ "$(oci_ref_digest "$work/pulled" "$PULL_REG/bench:1")" = "$manifest" ] ||
		die "kiln pulled another image than the one pushed"
}
round_pull_skopeo() {
	rm -rf "$work/layout"
	measure skopeo --insecure-policy copy -q --src-tls-verify=false \
		"docker://$PULL_REG/bench:1" "oci:$work/layout:bench"
}

for t in $tools; do best "push_$t"; done

# one registry holds the image for the pulls, put there by skopeo
reg_start
PULL_REG=$REG
REG_SRC=$store reg_push_src bench:1 "$PULL_REG/bench:1"
for t in $tools; do best "pull_$t"; done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# shellcheck disable=SC2154 # wall_* and rss_* are set by best (eval)
case $tools in
*kiln*skopeo* | *skopeo*kiln*)
	# throughput kiln/skopeo = wall skopeo/kiln; memory skopeo/kiln
	echo "push: kiln/skopeo throughput $(ratio "$wall_push_skopeo" "$wall_push_kiln")x"
	echo "pull: kiln/skopeo throughput $(ratio "$wall_pull_skopeo" "$wall_pull_kiln")x," \
		"peak RSS kiln $(awk -v r="$rss_pull_kiln" 'BEGIN { printf "%.1f", r / 1024 }') MB," \
		"skopeo/kiln $(ratio "$rss_pull_skopeo" "$rss_pull_kiln")x"
	;;
esac
