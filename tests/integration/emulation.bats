#!/usr/bin/env bats
# emulation.bats: images of other CPUs run rootless through qemu-user, either
# the host's binfmt_misc entry or one kiln registers in its own user
# namespace, which the host never sees. Needs qemu-user-static and Debian's
# busybox-static for arm64 and armhf (a dpkg foreign architecture).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	require_feature RUN
	require_feature EMULATION
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
}

# a busybox base of Debian architecture $1 imported as platform $2, named $3;
# the tarball is made once per test file
import_foreign() {
	local arch=$1 platform=$2 name=$3 qemu=$4
	local tarball=${BATS_FILE_TMPDIR:-$BATS_TMPDIR}/busybox-$arch.tar
	command -v "qemu-$qemu-static" >/dev/null ||
		[ -x "/usr/bin/qemu-$qemu-static" ] || skip "qemu-$qemu-static is not installed"
	if [ ! -f "$tarball" ]; then
		sh "$KILN_SRCTREE/scripts/mkbase.sh" busybox "$tarball" "$arch" 2>"$BATS_TEST_TMPDIR/mkbase.err" ||
			skip "no busybox-static:$arch: $(tail -n 1 "$BATS_TEST_TMPDIR/mkbase.err")"
	fi
	kiln import --platform "$platform" "$tarball" "$name" >/dev/null
}

import_arm64() { import_foreign arm64 linux/arm64 bb64 aarch64; }
import_armhf() { import_foreign armhf linux/arm/v7 bbhf arm; }

# what the host's binfmt_misc holds (nothing when it is not mounted)
host_binfmt() {
	ls -A /proc/sys/fs/binfmt_misc 2>/dev/null
	cat /proc/sys/fs/binfmt_misc/status 2>/dev/null || true
}

# a script in a directory bound at /w: an interpreter line on a foreign root
make_script() {
	printf '#!/bin/sh\necho "script: $(uname -m) $0"\n' > "$W/s.sh"
	chmod 755 "$W/s.sh"
}

@test "an arm64 image runs through qemu-user: uname -m says aarch64" {
	import_arm64
	run --separate-stderr kiln run --platform linux/arm64 bb64 uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[ -z "$stderr" ]
}

@test "without --platform a foreign image runs too, with docker's one warning" {
	import_arm64
	run --separate-stderr kiln run bb64 uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "kiln: warning: The requested image's platform (linux/arm64) does not match"* ]]
}

@test "busybox applets exec'ing applets and #! scripts work on arm64" {
	import_arm64
	make_script
	# env execs uname through /proc/self/exe with argv[0] "uname": flag P
	run kiln run --platform linux/arm64 bb64 env uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	run kiln run --platform linux/arm64 bb64 sh -c 'echo "$0"; ls / | grep -c bin; xargs -n1 echo <<EOF
a b
EOF'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sh ]
	[ "${lines[1]}" -ge 1 ]
	[ "${lines[2]}" = a ] && [ "${lines[3]}" = b ]
	run kiln run --platform linux/arm64 -v "$W:/w:ro" bb64 /w/s.sh
	[ "$status" -eq 0 ]
	[ "$output" = "script: aarch64 /w/s.sh" ]
}

@test "an arm/v7 (armhf) image says armv7l, applets and scripts work" {
	import_armhf
	make_script
	run --separate-stderr kiln run --platform linux/arm/v7 bbhf uname -m
	[ "$status" -eq 0 ]
	[ "$output" = armv7l ]
	[ -z "$stderr" ]
	run kiln run --platform linux/arm bbhf env uname -m
	[ "$status" -eq 0 ]
	[ "$output" = armv7l ]
	run kiln run --platform linux/arm/v7 -v "$W:/w:ro" bbhf /w/s.sh
	[ "$status" -eq 0 ]
	[ "$output" = "script: armv7l /w/s.sh" ]
}

@test "kiln's own registration can be forced and leaves the host's binfmt_misc as it was" {
	import_arm64
	import_armhf
	local before
	before=$(host_binfmt)
	run --separate-stderr env KILN_EMULATION=binfmt "$KILN" --debug run --platform linux/arm64 bb64 env uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[[ "$stderr" == *"linux/arm64: kiln binfmt"* ]]
	run env KILN_EMULATION=binfmt "$KILN" run --platform linux/arm/v7 bbhf uname -m
	[ "$status" -eq 0 ]
	[ "$output" = armv7l ]
	[ "$(host_binfmt)" = "$before" ]
	! ls /proc/sys/fs/binfmt_misc 2>/dev/null | grep -q '^kiln-'
}

# runs "$@" in a user namespace of its own with a binfmt_misc instance at
# /proc/sys/fs/binfmt_misc holding qemu-aarch64 with FLAGS: to kiln inside,
# that is the host's entry
with_host_entry() {
	local flags=$1
	shift
	local magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
	local mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
	local qemu
	qemu=$(command -v qemu-aarch64-static || echo /usr/bin/qemu-aarch64-static)
	unshare --map-root-user --map-auto --mount sh -c '
		mount -t binfmt_misc none /proc/sys/fs/binfmt_misc || exit 90
		printf "%s" "$1" > /proc/sys/fs/binfmt_misc/register || exit 91
		shift
		exec "$@"' sh ":qemu-aarch64:M::$magic:$mask:$qemu:$flags" "$@"
}

@test "a host binfmt_misc entry with flags F and P is used, one without F is not" {
	import_arm64
	unshare --map-root-user --map-auto --mount true 2>/dev/null ||
		skip "unshare cannot map a subordinate range here (util-linux >= 2.38)"
	run with_host_entry OPF "$KILN" debug platforms
	[ "$status" -ne 90 ] || skip "binfmt_misc cannot be mounted in a user namespace (kernel < 6.7)"
	[ "$status" -eq 0 ]
	[[ "$output" =~ linux/arm64\ +host\ binfmt\ \(.*qemu-aarch64-static\) ]]
	run with_host_entry OPF "$KILN" run --platform linux/arm64 bb64 env uname -m
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]}-1]}" = aarch64 ]
	# without F the interpreter is not in the container's root: kiln registers its own
	run with_host_entry OP "$KILN" debug platforms
	[ "$status" -eq 0 ]
	[[ "$output" =~ linux/arm64\ +kiln\ binfmt ]]
	run with_host_entry OP "$KILN" run --platform linux/arm64 bb64 env uname -m
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]}-1]}" = aarch64 ]
	# KILN_EMULATION=host insists on the host's entry
	run with_host_entry OP env KILN_EMULATION=host "$KILN" run --platform linux/arm64 bb64 true
	[ "$status" -eq 2 ]
	[[ "$output" == *"lacks flag F"* ]]
}

@test "missing qemu-user is a one-line error naming what to install" {
	import_arm64
	# PATH with the id map helpers only, and no qemu in the lookup dirs
	mkdir -p "$W/bin"
	ln -s "$(command -v newuidmap)" "$W/bin/newuidmap"
	ln -s "$(command -v newgidmap)" "$W/bin/newgidmap"
	run env PATH="$W/bin" KILN_QEMU_DIRS=/nonexistent KILN_EMULATION=binfmt \
		"$KILN" run --platform linux/arm64 bb64 true
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: run: linux/arm64 needs qemu-user (qemu-aarch64-static or qemu-aarch64 not found in PATH); install qemu-user-static" ]
}

@test "--platform the image is not for is a one-line error naming both" {
	import_busybox
	run kiln run --platform linux/s390x busybox true
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"image 'busybox' is for linux/"*", not the requested linux/s390x" ]]
	run kiln run --platform linux/what/ever/more busybox true
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "kiln debug platforms: one line per platform, the host native, arm64 listed" {
	run kiln debug platforms
	[ "$status" -eq 0 ]
	[[ "$output" =~ (^|$'\n')linux/arm64\ + ]]
	local machine
	machine=$(uname -m)
	case $machine in
	x86_64) [[ "$output" =~ linux/amd64\ +native ]] ;;
	aarch64) [[ "$output" =~ linux/arm64\ +native ]] ;;
	esac
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^linux/[a-z0-9]+(/v[0-9])?\ +(native|host\ binfmt\ \(.*\)|kiln\ binfmt\ \(.*\)|ptrace\ \(.*\)|unavailable:\ .+)$ ]] ||
			{ echo "bad line: $l"; return 1; }
	done
	run env PATH=/nonexistent KILN_QEMU_DIRS=/nonexistent KILN_EMULATION=binfmt "$KILN" debug platforms
	[ "$status" -eq 0 ]
	if [ "$machine" != aarch64 ]; then
		[[ "$output" == *"linux/arm64"*"unavailable: needs qemu-user (qemu-aarch64-static or qemu-aarch64 not found in PATH)"* ]]
	fi
}

@test "build --platform linux/arm64: RUN runs aarch64 and the result is an aarch64 image" {
	require_feature BUILD
	import_arm64
	mkdir -p "$W/ctx"
	cat > "$W/ctx/Dockerfile" <<-'EOF'
	FROM bb64
	RUN uname -m > /arch && sh -c 'echo nested $(uname -m)' > /nested
	EOF
	run kiln build --platform linux/arm64 --progress plain -t cross:1 "$W/ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	kiln export cross:1 -o "$W/r.tar"
	[ "$(tar -xOf "$W/r.tar" arch)" = aarch64 ]
	[ "$(tar -xOf "$W/r.tar" nested)" = "nested aarch64" ]
	# e_machine of /bin/busybox: 183 (EM_AARCH64)
	[ "$(tar -xOf "$W/r.tar" bin/busybox | od -An -tu2 -j18 -N2 | tr -d ' ')" = 183 ]
	kiln inspect cross:1 | grep -q '"Architecture": "arm64"'
}

@test "build: the cross-compilation pattern, FROM --platform=\$BUILDPLATFORM" {
	require_feature BUILD
	import_arm64
	import_busybox busybox
	mkdir -p "$W/ctx"
	cat > "$W/ctx/Dockerfile" <<-'EOF'
	FROM --platform=$BUILDPLATFORM busybox AS build
	ARG TARGETARCH
	RUN echo "built on $(uname -m) for $TARGETARCH" > /out
	FROM bb64
	COPY --from=build /out /out
	RUN cat /out > /seen && uname -m >> /seen
	EOF
	run kiln build --platform linux/arm64 -t xc:1 "$W/ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	kiln export xc:1 -o "$W/r.tar"
	[ "$(tar -xOf "$W/r.tar" seen | tr '\n' ' ')" = "built on $(uname -m) for arm64 aarch64 " ]
}

@test "build: two platforms give one index with a manifest each" {
	require_feature BUILD
	mkdir -p "$W/ctx"
	echo hi > "$W/ctx/f"
	cat > "$W/ctx/Dockerfile" <<-'EOF'
	FROM scratch
	ARG TARGETARCH
	COPY f /f-$TARGETARCH
	EOF
	run kiln build --platform linux/amd64,linux/arm64 -t multi:1 \
		-o type=oci,dest="$W/multi.tar" "$W/ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	skopeo inspect --raw "oci-archive:$W/multi.tar" | python3 -c "
import json, sys
i = json.load(sys.stdin)
assert i['mediaType'] == 'application/vnd.oci.image.index.v1+json', i
archs = sorted(m['platform']['architecture'] for m in i['manifests'])
assert archs == ['amd64', 'arm64'], archs"
	[ "$(skopeo inspect --override-arch arm64 "oci-archive:$W/multi.tar" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Architecture"])')" = arm64 ]
	kiln images multi | grep -q multi
	kiln export multi:1 -o "$W/host.tar"
	[ "$(tar -tf "$W/host.tar" | grep -c '^f-')" -eq 1 ]
	# umoci reads manifests, not indexes: name each platform's manifest in
	# the layout and let umoci unpack it, its own way
	mkdir -p "$W/layout"
	tar -xf "$W/multi.tar" -C "$W/layout"
	python3 - "$W/layout" <<-'PY'
	import json, os, sys
	lay = sys.argv[1]
	top = json.load(open(os.path.join(lay, "index.json")))
	d = top["manifests"][0]["digest"].split(":")[1]
	idx = json.load(open(os.path.join(lay, "blobs", "sha256", d)))
	for m in idx["manifests"]:
	    m = dict(m)
	    m["annotations"] = {"org.opencontainers.image.ref.name": m["platform"]["architecture"]}
	    top["manifests"].append(m)
	json.dump(top, open(os.path.join(lay, "index.json"), "w"))
	PY
	for a in amd64 arm64; do
		umoci unpack --rootless --image "$W/layout:$a" "$W/bundle-$a" >/dev/null
		[ -f "$W/bundle-$a/rootfs/f-$a" ]
		[ "$(ls "$W/bundle-$a/rootfs")" = "f-$a" ] || { ls -la "$W/bundle-$a/rootfs"; false; }
		umoci stat --image "$W/layout:$a" --json | grep -q '"history"'
	done
}

# ---- the ptrace route: exec calls traced, no binfmt_misc at all ----

@test "ptrace route: arm64 uname, applets exec'ing applets, a #! script; binfmt_misc untouched" {
	require_feature EMULATION_PTRACE
	import_arm64
	make_script
	local before
	before=$(host_binfmt)
	run --separate-stderr env KILN_EMULATION=ptrace "$KILN" --debug run --platform linux/arm64 bb64 uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[[ "$stderr" == *"linux/arm64: ptrace"* ]]
	[[ "$stderr" != *"kiln binfmt"* ]]
	export KILN_EMULATION=ptrace
	# env execs uname through /proc/self/exe with argv[0] "uname"
	run kiln run --platform linux/arm64 bb64 env uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	run kiln run --platform linux/arm64 bb64 sh -c 'echo "$0"; ls / | grep -c bin; xargs -n1 echo <<X
a b
X'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sh ]
	[ "${lines[1]}" -ge 1 ]
	[ "${lines[2]}" = a ] && [ "${lines[3]}" = b ]
	run kiln run --platform linux/arm64 -v "$W:/w:ro" bb64 /w/s.sh
	[ "$status" -eq 0 ]
	[ "$output" = "script: aarch64 /w/s.sh" ]
	# relative to the working directory, and through execveat on a directory fd
	run kiln run --platform linux/arm64 -w /bin bb64 ./busybox uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[ "$(host_binfmt)" = "$before" ]
	! ls /proc/sys/fs/binfmt_misc 2>/dev/null | grep -q '^kiln-'
}

@test "ptrace route: exit codes, signals, job control and a missing command behave as natively" {
	require_feature EMULATION_PTRACE
	import_arm64
	export KILN_EMULATION=ptrace
	run kiln run --platform linux/arm64 bb64 sh -c 'exit 7'
	[ "$status" -eq 7 ]
	# a stopped and continued child, then killed: 128 + SIGTERM
	run --separate-stderr kiln run --platform linux/arm64 bb64 sh -c 'sleep 5 & kill -STOP $!; kill -CONT $!; kill $!; wait $!; echo $?'
	[ "$status" -eq 0 ]
	[ "$output" = 143 ]
	run -127 kiln run --platform linux/arm64 bb64 nonexistent-command
	# an argv longer than the stack below the stack pointer holds
	run kiln run --platform linux/arm64 bb64 sh -c 'set -- $(seq 1 30000); /bin/echo "$@" | wc -c; /bin/echo "$@" | wc -c'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 168894 ] && [ "${lines[1]}" -eq 168894 ]
	# 200 execs in a loop, each one traced
	run kiln run --platform linux/arm64 bb64 sh -c 'i=0; while [ $i -lt 200 ]; do i=$(expr $i + 1); done; echo $i'
	[ "$status" -eq 0 ]
	[ "$output" = 200 ]
}

@test "ptrace route: build --platform linux/arm64 runs RUN through it" {
	require_feature BUILD
	require_feature EMULATION_PTRACE
	import_arm64
	mkdir -p "$W/ctx"
	cat > "$W/ctx/Dockerfile" <<-'EOF2'
	FROM bb64
	RUN uname -m > /arch && sh -c 'echo nested $(uname -m)' > /nested
	EOF2
	run env KILN_EMULATION=ptrace "$KILN" build --platform linux/arm64 --progress plain -t crossp:1 "$W/ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	kiln export crossp:1 -o "$W/r.tar"
	[ "$(tar -xOf "$W/r.tar" arch)" = aarch64 ]
	[ "$(tar -xOf "$W/r.tar" nested)" = "nested aarch64" ]
}

@test "ptrace route: kiln debug platforms says so, an unknown KILN_EMULATION names ptrace" {
	require_feature EMULATION_PTRACE
	run env KILN_EMULATION=ptrace "$KILN" debug platforms
	[ "$status" -eq 0 ]
	if [ "$(uname -m)" != aarch64 ] && command -v qemu-aarch64-static >/dev/null; then
		[[ "$output" =~ linux/arm64\ +ptrace\ \(qemu-aarch64-static ]]
	fi
	import_arm64
	run env KILN_EMULATION=bogus "$KILN" run --platform linux/arm64 bb64 true
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"KILN_EMULATION 'bogus': expected auto, host, binfmt or ptrace" ]]
}

@test "ptrace route: taken by itself where the kernel says it is older than 6.7" {
	require_feature EMULATION_PTRACE
	import_arm64
	import_armhf
	local m
	m=$(uname -m)
	# the UNAME26 personality: uname(2) reports 2.6.x
	setarch "$m" --uname-2.6 true 2>/dev/null || skip "setarch has no --uname-2.6"
	run --separate-stderr setarch "$m" --uname-2.6 "$KILN" --debug run --platform linux/arm64 bb64 env uname -m
	[ "$status" -eq 0 ]
	[ "$output" = aarch64 ]
	[[ "$stderr" == *"needs kernel 6.7 or later"*"tracing exec calls instead"* ]]
	[[ "$stderr" == *"linux/arm64: ptrace"* ]]
	run setarch "$m" --uname-2.6 "$KILN" run --platform linux/arm/v7 bbhf sh -c 'uname -m; env uname -m'
	[ "$status" -eq 0 ]
	[ "$output" = "armv7l"$'\n'"armv7l" ]
	run setarch "$m" --uname-2.6 "$KILN" debug platforms
	[ "$status" -eq 0 ]
	[[ "$output" =~ linux/arm64\ +ptrace\ \(qemu-aarch64-static ]]
}

@test "--emulation picks the route for build and run; a bad one is a one-line error" {
	require_feature BUILD
	require_feature EMULATION_PTRACE
	import_arm64
	run kiln run --emulation ptrace --platform linux/arm64 bb64 uname -m
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = aarch64 ]
	mkdir -p "$W/ctx"
	printf 'FROM bb64\nRUN uname -m > /m\n' > "$W/ctx/Dockerfile"
	run kiln build --emulation ptrace --platform linux/arm64 -t emu:1 "$W/ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run kiln build --emulation bogus "$W/ctx"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"--emulation 'bogus': expected auto, host, binfmt or ptrace" ]]
}

@test "linux/riscv64: a static program built for it runs, in kiln run and in RUN" {
	require_feature BUILD
	command -v riscv64-linux-gnu-gcc >/dev/null || skip "gcc-riscv64-linux-gnu is not installed"
	command -v qemu-riscv64-static >/dev/null || [ -x /usr/bin/qemu-riscv64-static ] ||
		skip "qemu-riscv64-static is not installed"
	# Debian 12 has no riscv64 packages: the base is one static program
	mkdir -p "$W/rv/bin"
	riscv64-linux-gnu-gcc -static -Os -o "$W/rv/bin/machine" "$KILN_SRCTREE/tests/integration/probe/machine.c"
	tar --owner=0 --group=0 --numeric-owner -C "$W/rv" -cf "$W/rv.tar" .
	kiln import --platform linux/riscv64 "$W/rv.tar" rv >/dev/null
	run kiln run --platform linux/riscv64 rv /bin/machine
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = riscv64 ]
	mkdir -p "$W/ctx"
	printf 'FROM rv\nRUN ["/bin/machine", "/machine"]\n' > "$W/ctx/Dockerfile"
	run kiln build --platform linux/riscv64 -t rv:2 "$W/ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	kiln export rv:2 -o "$W/r.tar"
	[ "$(tar -xOf "$W/r.tar" machine)" = riscv64 ]
	kiln inspect rv:2 | grep -q '"Architecture": "riscv64"'
}
