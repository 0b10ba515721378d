#!/bin/sh
# emulation.sh KILN: what kiln's emulation adds to a foreign RUN step. The
# same arm64 busybox shell loop runs (1) under qemu-aarch64-static directly,
# (2) as a RUN step of 'kiln build --platform linux/arm64' through the
# binfmt_misc route and (3) through the ptrace route; the step's time is the
# "DONE" figure of BuildKit's plain progress. A second workload execs a
# foreign binary many times, which direct qemu cannot do (no binfmt entry
# for it), so it compares the two kiln routes only.
#
# usage: tests/bench/emulation.sh OBJTREE/kiln [ROUNDS]
# prints each time (best of ROUNDS, default 3) and the ratios. Run it as the user
# builds run as.
set -eu

kiln=${1:?usage: emulation.sh KILN [ROUNDS]}
rounds=${2:-3}
src=$(cd "$(dirname "$0")/../.." && pwd)
qemu=$(command -v qemu-aarch64-static || true)
[ -n "$qemu" ] || { echo "qemu-aarch64-static is not installed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-emu.XXXXXX")
cleanup() {
	KILN_ROOT=$work/store "$kiln" prune >/dev/null 2>&1 || true
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
export KILN_ROOT=$work/store

sh "$src/scripts/mkbase.sh" busybox "$work/bb64.tar" arm64 2>/dev/null
"$kiln" import --platform linux/arm64 "$work/bb64.tar" bb64 >/dev/null
mkdir -p "$work/root"
"$kiln" unpack bb64 "$work/root" >/dev/null

# about five seconds of shell work under qemu, no exec: the emulator's cost
# alone, which every route pays the same
loop='i=0; s=0; while [ $i -lt 400000 ]; do i=$((i + 1)); s=$(((s + i * 7) % 1000003)); done; echo $s'
# exec-heavy: every /bin/true is a new foreign process
execs='i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done'

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
lt() { awk "BEGIN { exit !($1 < $2) }"; }

# the best of ROUNDS wall times of "$@"
best() {
	b=
	for _ in $(seq "$rounds"); do
		t0=$(now)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2 || true; exit 1; }
		t=$(calc "$(now) - $t0")
		if [ -z "$b" ] || lt "$t" "$b"; then b=$t; fi
	done
	printf '%.3f\n' "$b"
}

# the best RUN-step time of ROUNDS builds: the "#N DONE 4.8s" of the RUN
step() {
	route=$1 cmd=$2
	mkdir -p "$work/ctx-$route"
	printf 'FROM bb64\nRUN %s\n' "$cmd" > "$work/ctx-$route/Dockerfile"
	b=
	for _ in $(seq "$rounds"); do
		KILN_EMULATION=$route "$kiln" build --no-cache --progress=plain --platform linux/arm64 \
			"$work/ctx-$route" > "$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
		n=$(sed -n 's/^#\([0-9]*\) \[[^]]*\] RUN .*/\1/p' "$work/out" | tail -n 1)
		t=$(sed -n "s/^#$n DONE \\([0-9.]*\\)s\$/\\1/p" "$work/out" | tail -n 1)
		[ -n "$t" ] || { echo "no DONE time for the RUN step:" >&2; cat "$work/out" >&2; exit 1; }
		if [ -z "$b" ] || lt "$t" "$b"; then b=$t; fi
	done
	printf '%.3f\n' "$b"
}

direct=$(best "$qemu" "$work/root/bin/busybox" sh -c "$loop")
binfmt=$(step binfmt "$loop")
ptrace=$(step ptrace "$loop")
# the whole of 'kiln run' (namespaces, mounts, teardown included), which
# times to the millisecond where the step's DONE has tenths
rb=$(KILN_EMULATION=binfmt best "$kiln" run --rm --platform linux/arm64 bb64 sh -c "$loop")
rp=$(KILN_EMULATION=ptrace best "$kiln" run --rm --platform linux/arm64 bb64 sh -c "$loop")
echo "loop: qemu directly ${direct}s; RUN step via binfmt ${binfmt}s, via ptrace ${ptrace}s;" \
	"kiln run via binfmt ${rb}s, via ptrace ${rp}s"
echo "loop ratios to qemu directly: RUN binfmt $(calc "$binfmt / $direct")," \
	"RUN ptrace $(calc "$ptrace / $direct"), run binfmt $(calc "$rb / $direct")," \
	"run ptrace $(calc "$rp / $direct")"
eb=$(step binfmt "$execs")
ep=$(step ptrace "$execs")
echo "300 foreign execs: RUN via binfmt ${eb}s, via ptrace ${ep}s, ptrace/binfmt $(calc "$ep / $eb")"
