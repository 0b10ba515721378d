#!/usr/bin/env bats
# build-config.bats: configuring and building kiln as a user does: every
# board, allnoconfig, out-of-tree, incremental rebuilds, install, size.

load helpers

setup_file() {
	# one copy of the tree and one library cache for the whole file
	export TREE=$BATS_FILE_TMPDIR/tree
	export DEPS=$BATS_FILE_TMPDIR/deps
	copy_tree "$TREE"
}

# m DIR TARGET...: make in the copied tree with output in DIR
m() {
	local dir=$1
	shift
	make -s -C "$TREE" O="$dir" DEPS_DIR="$DEPS" DEPS_SRC="$DEPS_SRC" KILN_DEPS_OFFLINE=1 "$@"
}

# runs a kiln binary of any architecture kiln builds for
run_any() {
	local bin=$1
	shift
	case $(file -b "$bin") in
	*x86-64*) "$bin" "$@" ;;
	*aarch64*) qemu-aarch64-static "$bin" "$@" ;;
	*ARM*) qemu-arm-static "$bin" "$@" ;;
	*) echo "unknown binary: $(file -b "$bin")"; return 1 ;;
	esac
}

check_board() {
	local board=$1 arch=$2 filearch=$3 out=$BATS_FILE_TMPDIR/b-$1
	m "$out" "${board}_defconfig"
	m "$out" -j2
	file -b "$out/kiln" | grep -q "statically linked"
	file -b "$out/kiln" | grep -q "$filearch"
	run run_any "$out/kiln" version
	[ "$status" -eq 0 ]
	[[ "${lines[2]}" == "arch:      $arch (musl, static)" ]]
	want=$(config_features "$out/.config" | tr '\n' ' ')
	got=$(printf '%s\n' "${lines[3]#features:}" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')
	[ "$got" = "$want" ]
}

@test "every board folder has a defconfig and a README line" {
	for d in "$KILN_SRCTREE"/board/*/; do
		[ -f "$d/defconfig" ]
		[ -s "$d/README" ]
	done
	for b in raspberrypi4 raspberrypi-zero gateway-minimal factory-airgap x86_64; do
		[ -f "$KILN_SRCTREE/board/$b/defconfig" ]
	done
}

@test "board x86_64: static amd64 kiln" {
	check_board x86_64 amd64 x86-64
}

@test "board raspberrypi4: static arm64 kiln that runs under qemu" {
	command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64-linux-gnu-gcc"
	check_board raspberrypi4 arm64 aarch64
}

@test "board raspberrypi-zero: static armv6 kiln" {
	command -v arm-linux-gnueabi-gcc >/dev/null || skip "no arm-linux-gnueabi-gcc"
	check_board raspberrypi-zero armv6 ARM
	readelf -A "$BATS_FILE_TMPDIR/b-raspberrypi-zero/kiln" | grep -q 'Tag_CPU_arch: v6'
}

@test "board gateway-minimal: static armv7 kiln without help texts" {
	command -v arm-linux-gnueabihf-gcc >/dev/null || skip "no arm-linux-gnueabihf-gcc"
	check_board gateway-minimal armv7 ARM
	run run_any "$BATS_FILE_TMPDIR/b-gateway-minimal/kiln" version --help
	[[ "$output" != *"print only the version number"* ]]
}

@test "board factory-airgap: builds for this machine, with no network code" {
	check_board factory-airgap "$(uname -m | sed -e s/x86_64/amd64/ -e s/aarch64/arm64/)" "statically"
	run "$BATS_FILE_TMPDIR/b-factory-airgap/kiln" push app:1
	[ "$status" -eq 2 ]
	[ "$output" = "kiln: 'push' is not in this build (CONFIG_REGISTRY=n)" ]
	! nm "$BATS_FILE_TMPDIR/b-factory-airgap/kiln_unstripped" | grep -q -e mbedtls_ssl_ -e http_do
	# ADD of a URL: one line naming the option, not a link error or a crash
	local k=$BATS_FILE_TMPDIR/b-factory-airgap/kiln ctx=$BATS_TEST_TMPDIR/ctx
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	mkdir -p "$ctx"
	sh "$KILN_SRCTREE/scripts/mkbase.sh" busybox "$BATS_TEST_TMPDIR/busybox.tar"
	"$k" import "$BATS_TEST_TMPDIR/busybox.tar" busybox >/dev/null
	printf 'FROM busybox\nADD http://127.0.0.1:1/x.txt /x\n' > "$ctx/Dockerfile"
	run "$k" build "$ctx"
	[ "$status" -eq 2 ]
	[ "${lines[-1]}" = "kiln: build: Dockerfile:2: ADD http://127.0.0.1:1/x.txt: URLs are not in this build (CONFIG_BUILD_ADD_URL=n)" ] || { echo "$output"; false; }
}

@test "allnoconfig builds the smallest kiln, under 400 KB" {
	local out=$BATS_FILE_TMPDIR/allno
	m "$out" allnoconfig
	m "$out" -j2
	file -b "$out/kiln" | grep -q "statically linked"
	[ "$(stat -c %s "$out/kiln")" -le 409600 ]
	run "$out/kiln" version
	[ "$status" -eq 0 ]
	[[ "${lines[3]}" == "features:  KILN_ARCH_NATIVE" ]]
	run "$out/kiln" debug parse
	[ "$status" -eq 2 ]
	[ "$output" = "kiln: 'debug' is not in this build (CONFIG_DEBUG_CMD=n)" ]
}

@test "defconfig is the full kiln, under 1.5 MB" {
	local out=$BATS_FILE_TMPDIR/def
	m "$out" defconfig
	m "$out" -j2
	[ "$(stat -c %s "$out/kiln")" -le 1572864 ]
	run m "$out" size
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "kiln (stripped): "*" bytes"* ]]
	[[ "$output" == *"largest objects"* ]]
}

@test "allyesconfig builds" {
	local out=$BATS_FILE_TMPDIR/allyes
	m "$out" allyesconfig
	m "$out" -j2
	"$out/kiln" version >/dev/null
}

@test "make without .config starts from defconfig; a second make does nothing" {
	local out=$BATS_FILE_TMPDIR/auto
	run make -C "$TREE" O="$out" DEPS_DIR="$DEPS" DEPS_SRC="$DEPS_SRC" KILN_DEPS_OFFLINE=1
	[ "$status" -eq 0 ]
	[[ "$output" == *"no .config"*"using defconfig"* ]]
	[ -x "$out/kiln" ]
	run make -C "$TREE" O="$out" DEPS_DIR="$DEPS" DEPS_SRC="$DEPS_SRC" KILN_DEPS_OFFLINE=1
	[ "$status" -eq 0 ]
	[[ "$output" != *" CC "* && "$output" != *"DEPS"* && "$output" != *"LD"* ]]
}

@test "dependencies: a header rebuilds its users only; touching .config rebuilds nothing" {
	local out=$BATS_FILE_TMPDIR/incr
	m "$out" defconfig
	m "$out" -j2
	touch "$out/.config"
	run make -C "$TREE" O="$out" DEPS_DIR="$DEPS"
	[[ "$output" != *" CC "* ]]
	sleep 1
	touch "$TREE/src/util/strvec.h"
	run make -C "$TREE" O="$out" DEPS_DIR="$DEPS"
	[ "$status" -eq 0 ]
	[[ "$output" == *"CC      src/util/strvec.o"* ]]
	[[ "$output" == *"CC      src/util/opt.o"* ]]
	[[ "$output" != *"src/util/sha256.o"* ]]
	[[ "$output" == *"LD      kiln_unstripped"* ]]
}

@test "dependencies: changing one symbol rebuilds the code that reads it" {
	local out=$BATS_FILE_TMPDIR/sym
	m "$out" defconfig
	m "$out" -j2
	sed -i 's/^CONFIG_LOG_DEBUG=y/# CONFIG_LOG_DEBUG is not set/' "$out/.config"
	run make -C "$TREE" O="$out" DEPS_DIR="$DEPS"
	[ "$status" -eq 0 ]
	# log.h reads CONFIG_LOG_DEBUG; sha256.c includes nothing that does
	[[ "$output" == *"CC      src/main.o"* ]]
	[[ "$output" == *"CC      src/cmd/version.o"* ]]
	[[ "$output" != *"src/util/sha256.o"* ]]
	run "$out/kiln" version
	[[ "$output" != *"LOG_DEBUG"* ]]
}

@test "V=1 shows the compiler command lines" {
	local out=$BATS_FILE_TMPDIR/verbose
	m "$out" allnoconfig
	run make -C "$TREE" O="$out" DEPS_DIR="$DEPS" V=1
	[ "$status" -eq 0 ]
	[[ "$output" == *"gcc -specs "*"musl-gcc.specs"*" -c "*"src/main.c"* ]]
}

@test "install puts kiln under DESTDIR/PREFIX/bin" {
	local out=$BATS_FILE_TMPDIR/inst
	m "$out" allnoconfig
	m "$out" -j2
	m "$out" install DESTDIR="$BATS_FILE_TMPDIR/root" PREFIX=/usr
	[ -x "$BATS_FILE_TMPDIR/root/usr/bin/kiln" ]
	cmp "$out/kiln" "$BATS_FILE_TMPDIR/root/usr/bin/kiln"
}

@test "savedefconfig round-trips a board" {
	local out=$BATS_FILE_TMPDIR/save
	m "$out" gateway-minimal_defconfig
	cp "$out/.config" "$BATS_FILE_TMPDIR/before"
	m "$out" savedefconfig
	[ -f "$out/defconfig" ]
	# the minimal form lists only what differs from the defaults
	[ "$(grep -c . "$out/defconfig")" -lt "$(grep -c . "$out/.config")" ]
	mv "$out/defconfig" "$BATS_FILE_TMPDIR/mini"
	m "$out" allyesconfig
	m "$out" defconfig DEFCONFIG="$BATS_FILE_TMPDIR/mini"
	diff <(grep '^CONFIG_' "$BATS_FILE_TMPDIR/before" | sort) <(grep '^CONFIG_' "$out/.config" | sort)
}

@test "clean removes objects, distclean the config too" {
	local out=$BATS_FILE_TMPDIR/clean
	m "$out" allnoconfig
	m "$out" -j2
	[ -f "$out/src/main.o" ]
	m "$out" clean
	[ ! -e "$out/src/main.o" ] && [ ! -e "$out/kiln" ] && [ -f "$out/.config" ]
	m "$out" distclean
	[ ! -e "$out/.config" ] && [ ! -e "$out/include" ]
}

@test "clean in the source tree removes build output, never sources" {
	local tree=$BATS_FILE_TMPDIR/intree
	copy_tree "$tree"
	make -s -C "$tree" DEPS_DIR="$DEPS" DEPS_SRC="$DEPS_SRC" KILN_DEPS_OFFLINE=1 allnoconfig
	make -s -C "$tree" DEPS_DIR="$DEPS" DEPS_SRC="$DEPS_SRC" KILN_DEPS_OFFLINE=1 -j2
	[ -f "$tree/src/main.o" ] && [ -x "$tree/kiln" ]
	before=$(cd "$tree" && find src arch tests scripts board -type f ! -name '*.o' ! -name '*.cmd' | sort | md5sum)
	make -s -C "$tree" clean
	[ ! -e "$tree/src/main.o" ] && [ ! -e "$tree/kiln" ] && [ -f "$tree/src/main.c" ]
	[ -f "$tree/arch/Kconfig" ] && [ -f "$tree/arch/amd64/platform.c" ]
	after=$(cd "$tree" && find src arch tests scripts board -type f | sort | md5sum)
	[ "$before" = "$after" ]
	make -s -C "$tree" distclean
	[ ! -e "$tree/.config" ] && [ -f "$tree/Kconfig" ]
}

@test "an unknown ARCH is a clear error" {
	run make -C "$TREE" O="$BATS_FILE_TMPDIR/badarch" ARCH=vax
	[ "$status" -ne 0 ]
	[[ "$output" == *"ARCH 'vax' is not one of amd64 arm64 armv7 armv6"* ]]
}

@test "library sources that do not match deps.lock are refused" {
	local src=$BATS_FILE_TMPDIR/badsrc
	mkdir -p "$src"
	cp "$DEPS_SRC"/* "$src/"
	f=$(ls "$src"/cjson_*.orig.tar.gz)
	printf 'x' >> "$f"
	KILN_DEPS_OFFLINE=1 run "$TREE/scripts/deps.sh" fetch "$src"
	[ "$status" -eq 2 ]
	[[ "$output" == *"'$f': sha256 "*", expected 5308fd4b"* ]]
}

@test "the sanitizer configuration builds with the host compiler" {
	local out=$BATS_FILE_TMPDIR/asan
	m "$out" allnoconfig
	m "$out" SANITIZE=1 -j2
	file -b "$out/kiln" | grep -q "dynamically linked"
	ASAN_OPTIONS=detect_leaks=0 run "$out/kiln" version
	[ "$status" -eq 0 ]
	[[ "${lines[2]}" == *"(glibc, dynamic)" ]]
}
