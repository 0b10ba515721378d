#!/usr/bin/env bats
# compare.bats: kiln build against a reference builder. Each folder
# compare/NN-name/ is a build context with a Dockerfile; buildah builds it
# once per run of this file (setup_file) and kiln builds it in the test; the
# root filesystems (treelist.py: path, type, mode, owner, size, content) and
# the run-time configs (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts,
# Labels, Volumes) must be the same.
#
# A context may hold prepare.sh, run in a copy of the context before either
# build and then removed: it makes what git cannot keep (empty directories,
# modes other than 0644 and 0755, archives built from text).
#
# What buildah (1.28) needs to build as an unprivileged user here:
# - --isolation chroot: the default (oci, with crun) fails with "cgroups in
#   hybrid mode not supported" on a host with cgroup v1 or hybrid
#   hierarchies, and "rootless" isolation is the same runtime. chroot
#   isolation runs RUN in the user namespace buildah sets up with
#   newuidmap/newgidmap from the subordinate id ranges, in the host's
#   network namespace, so no /dev/net/tun (slirp4netns) is needed.
# - its own storage: --root/--runroot under this file's temporary folder
#   with the vfs driver (no fuse-overlayfs or kernel overlay needed, nothing
#   shared with the user's own images), passed to every buildah command,
#   buildah unshare included.
# - an empty registries.conf (CONTAINERS_REGISTRIES_CONF) and --pull=never:
#   "FROM busybox" then means the local image and nothing is fetched.
# - the base image as a docker-archive: 'kiln import' of the mkbase.sh
#   tarball, then 'kiln save', read by 'buildah pull docker-archive:'.
#   buildah names it localhost/busybox:latest and resolves the short name
#   "busybox" to it; kiln stores the same image as busybox:latest.
# - reading the result: 'buildah from' and 'buildah mount' inside 'buildah
#   unshare', where the files show their owners in the image's terms.
# - its storage holds files of subordinate ids, which the test user can only
#   delete inside 'buildah unshare' (teardown_file).
#
# Known differences of buildah that are not kiln's to copy, removed before
# comparing: the empty /etc/hosts, /etc/hostname, /etc/resolv.conf and /run
# it leaves behind a RUN as mount points (BuildKit removes its stubs), and
# its io.buildah.version label.
#
# kiln's side is read with 'kiln export' run as root of a user namespace
# holding the subordinate ids (unshare --map-auto --map-root-user), so the
# tarball carries the owners the layers give. The same path reads buildah's
# images after 'kiln load', which checks the reading side today.

load helpers

CASES=$KILN_SRCTREE/tests/integration/compare
TREELIST=$KILN_SRCTREE/tests/integration/treelist.py

# buildah with this file's private storage
bah() {
	buildah --root "$REF/broot" --runroot "$REF/brunroot" --storage-driver vfs "$@"
}

# image_tree IMAGE: treelist of a buildah image's root filesystem, read
# inside buildah's user namespace, where owners are the image's own
image_tree() {
	local ctr rc=0
	ctr=$(bah from --pull-never "$1") || return 1
	# shellcheck disable=SC2016
	bah unshare sh -c 'set -e; t=$1; shift; m=$("$@" mount "$0"); python3 "$t" "$m"' \
		"$ctr" "$TREELIST" buildah --root "$REF/broot" --runroot "$REF/brunroot" \
		--storage-driver vfs || rc=1
	bah rm "$ctr" >/dev/null || rc=1
	return $rc
}

# in_userns CMD...: CMD as root of a user namespace that maps the user's
# subordinate ids, so files of any owner can be made and removed
in_userns() {
	unshare --map-auto --map-root-user "$@"
}

# kiln_tree IMAGE: treelist of a kiln image's root filesystem. kiln export
# runs in_userns: as an ordinary user it would write its own uid as every
# file's owner and drop setuid bits; as root of the namespace it writes
# what the layers say.
kiln_tree() {
	in_userns "$KILN" export "$1" -o "$BATS_TEST_TMPDIR/rootfs.tar" || return 1
	python3 "$TREELIST" --tar "$BATS_TEST_TMPDIR/rootfs.tar"
}

teardown() {
	# a store kiln used in the namespace may hold files of subordinate ids
	[ ! -d "$BATS_TEST_TMPDIR/store" ] || in_userns rm -rf "$BATS_TEST_TMPDIR/store"
}

# the mount-point stubs buildah's RUN leaves (see above), from a listing
stubs_out() {
	local empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	grep -Ev "^/etc/(hosts|hostname|resolv\\.conf) file 0755 0:0 0 $empty\$|^/run dir 0755 0:0 - -\$" || true
}

# prepare_context NAME SRC: a copy of SRC to build as NAME, prepare.sh run
prepare_context() {
	local name=$1 dir=$REF/ctx/$1
	cp -a "$2" "$dir"
	if [ -f "$dir/prepare.sh" ]; then
		(cd "$dir" && sh -eu ./prepare.sh) || return 1
		rm -f "$dir/prepare.sh"
	fi
}

# reference NAME SRC: buildah's build of the context SRC, read back into
# $REF/NAME.tree (treelist) and $REF/NAME.config (treelist --config);
# failures land in $REF/NAME.log and $REF/NAME.failed
reference() {
	local name=$1
	prepare_context "$name" "$2" || return 1
	bah build --pull=never --isolation chroot -t "cmp-$name" "$REF/ctx/$name" || return 1
	image_tree "cmp-$name" > "$REF/$name.raw" || return 1
	stubs_out < "$REF/$name.raw" > "$REF/$name.tree"
	bah inspect --type image "cmp-$name" > "$REF/$name.inspect" || return 1
	bah push -q "cmp-$name" "docker-archive:$REF/$name.docker.tar:cmp-$name:latest" || return 1
	python3 "$TREELIST" --config "$REF/$name.inspect" \
		--ignore-label io.buildah.version > "$REF/$name.config"
}

setup_file() {
	export REF=$BATS_FILE_TMPDIR/ref
	mkdir -p "$REF/ctx" "$REF/xdg-run"
	chmod 700 "$REF/xdg-run"
	export XDG_RUNTIME_DIR=$REF/xdg-run
	: > "$REF/registries.conf"
	export CONTAINERS_REGISTRIES_CONF=$REF/registries.conf
	command -v buildah >/dev/null || { echo "buildah is not installed" > "$REF/setup.failed"; return 0; }

	export KILN_ROOT=$REF/kiln-base
	sh "$KILN_SRCTREE/scripts/mkbase.sh" busybox "$REF/busybox-base.tar"
	kiln import "$REF/busybox-base.tar" busybox >/dev/null
	kiln save -o "$REF/busybox-docker.tar" busybox
	unset KILN_ROOT
	if ! bah pull docker-archive:"$REF/busybox-docker.tar" > "$REF/setup.log" 2>&1; then
		cp "$REF/setup.log" "$REF/setup.failed"
		return 0
	fi

	local d name start end
	for d in "$CASES"/[0-9][0-9]-*/ "$KILN_SRCTREE/examples/hello/"; do
		name=$(basename "$d")
		start=$(date +%s%N)
		reference "$name" "$d" > "$REF/$name.log" 2>&1 || cp "$REF/$name.log" "$REF/$name.failed"
		end=$(date +%s%N)
		echo "$name $(((end - start) / 1000000)) ms" >> "$REF/timings"
	done
}

teardown_file() {
	# vfs layers hold files of subordinate ids: only the namespace may remove them
	[ -d "${REF:-}/broot" ] && bah unshare rm -rf "$REF/broot" "$REF/brunroot"
	return 0
}

# the base image is in buildah's storage, or the reason it is not
need_setup() {
	if [ -f "$REF/setup.failed" ]; then
		cat "$REF/setup.failed"
		return 1
	fi
}

# the reference results of one case, or the reason there are none
need_reference() {
	need_setup
	if [ -f "$REF/$1.failed" ]; then
		echo "buildah could not build $1:"
		cat "$REF/$1.failed"
		return 1
	fi
	[ -s "$REF/$1.tree" ] && [ -s "$REF/$1.config" ]
}

# Until kiln builds images this proves the suite itself: every case builds
# with buildah, its listing is the base image's plus what the Dockerfile
# adds, and its config reads back.
check_reference() {
	local name=$1
	need_reference "$name"
	grep -q '^/bin/busybox file 0755 0:0 ' "$REF/$name.tree"
	[ "$(wc -l < "$REF/$name.config")" -eq 8 ]
	# the Dockerfile changed the tree or the config beyond buildah's default PATH
	python3 "$TREELIST" --tar "$REF/busybox-base.tar" > "$BATS_TEST_TMPDIR/base.tree"
	if cmp -s "$BATS_TEST_TMPDIR/base.tree" "$REF/$name.tree"; then
		grep -v -e ': null$' -e '^Env: \["PATH=[^"]*"\]$' "$REF/$name.config"
	fi
}

# compare_case NAME: kiln's build of compare/NAME against buildah's
compare_case() {
	local name=$1 out=$BATS_TEST_TMPDIR
	need_reference "$name"
	grep -q '^CONFIG_BUILD=y' "$KILN_CONFIG" || skip "kiln build is not in this build"
	export KILN_ROOT=$out/store
	import_busybox
	kiln build -t "cmp:$name" "$REF/ctx/$name"
	kiln_tree "cmp:$name" > "$out/kiln.tree"
	kiln inspect "cmp:$name" > "$out/inspect.json"
	python3 "$TREELIST" --config "$out/inspect.json" > "$out/kiln.config"
	diff -u "$REF/$name.tree" "$out/kiln.tree"
	diff -u "$REF/$name.config" "$out/kiln.config"
}

@test "every compare/ case has its tests here" {
	local d name
	for d in "$CASES"/*/; do
		name=$(basename "$d")
		[[ "$name" =~ ^[0-9][0-9]-[a-z0-9-]+$ ]] || { echo "bad case name: $name"; return 1; }
		[ -f "$d/Dockerfile" ] || { echo "$name has no Dockerfile"; return 1; }
		grep -q "^@test \"buildah reference: $name\"" "$BATS_TEST_FILENAME" || { echo "no reference test for $name"; return 1; }
		grep -q "^@test \"kiln matches buildah: $name\"" "$BATS_TEST_FILENAME" || { echo "no compare test for $name"; return 1; }
	done
}

@test "treelist lists a tarball and its unpacked tree alike" {
	need_setup
	# the base as buildah stores it (from kiln's docker-archive, read back
	# through buildah's user namespace) against the tarball kiln imported:
	# the same owners, modes, links and bytes
	image_tree busybox > "$BATS_TEST_TMPDIR/dir.tree"
	python3 "$TREELIST" --tar "$REF/busybox-base.tar" > "$BATS_TEST_TMPDIR/tar.tree"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/tar.tree")" -gt 200 ]
	diff -u "$BATS_TEST_TMPDIR/tar.tree" "$BATS_TEST_TMPDIR/dir.tree"
}

@test "treelist: hard links, special files, run-time mount points" {
	local d=$BATS_TEST_TMPDIR/t
	mkdir -p "$d/r/proc/1" "$d/r/dev" "$d/r/a b" "$d/r/sys"
	echo one > "$d/r/a b/f"
	ln "$d/r/a b/f" "$d/r/hard"
	ln -s "a b/f" "$d/r/link"
	mkfifo "$d/r/fifo"
	chmod 0640 "$d/r/fifo"
	chmod 0755 "$d/r/proc"
	echo hidden > "$d/r/proc/1/status"
	echo hidden > "$d/r/dev/null-ish"
	chmod 4750 "$d/r/a b/f"
	tar -C "$d/r" -cf "$d/r.tar" .
	python3 "$TREELIST" "$d/r" > "$d/dir.tree"
	python3 "$TREELIST" --tar "$d/r.tar" > "$d/tar.tree"
	diff -u "$d/dir.tree" "$d/tar.tree"
	local u g sum
	u=$(id -u) g=$(id -g) sum=$(sha256sum "$d/r/a b/f" | cut -d' ' -f1)
	grep -qx "/hard file 4750 $u:$g 4 $sum" "$d/tar.tree"
	grep -qx "/a b/f file 4750 $u:$g 4 $sum" "$d/tar.tree"
	grep -qx "/link symlink 0777 $u:$g 5 a b/f" "$d/tar.tree"
	grep -qx "/fifo fifo 0640 $u:$g - -" "$d/tar.tree"
	grep -qx "/proc dir 0755 $u:$g - -" "$d/tar.tree"
	run ! grep -q '^/proc/\|^/dev/' "$d/tar.tree"
	[ "$(wc -l < "$d/tar.tree")" -eq 8 ]
	run python3 "$TREELIST" "$d/missing"
	[ "$status" -eq 2 ]
	[ "$output" = "treelist: $d/missing: not a directory" ]
}

@test "treelist --config reads kiln inspect and a raw image config alike" {
	need_setup
	# kiln's docker-archive of the base: its config blob, and kiln inspect
	local d=$BATS_TEST_TMPDIR cfg
	export KILN_ROOT=$d/store
	kiln import --change 'CMD ["sh"]' --change 'ENV A=1' --change 'EXPOSE 80' \
		"$REF/busybox-base.tar" cfgtest >/dev/null
	kiln inspect cfgtest > "$d/inspect.json"
	kiln save -o "$d/a.tar" cfgtest
	cfg=$(tar -xOf "$d/a.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
	tar -xOf "$d/a.tar" "$cfg" > "$d/config.json"
	python3 "$TREELIST" --config "$d/inspect.json" > "$d/a.config"
	python3 "$TREELIST" --config "$d/config.json" > "$d/b.config"
	diff -u "$d/a.config" "$d/b.config"
	grep -qx 'Cmd: \["sh"\]' "$d/a.config"
	grep -qx 'Env: \["A=1"\]' "$d/a.config"
	grep -qx 'ExposedPorts: {"80/tcp":{}}' "$d/a.config"
	grep -qx 'Entrypoint: null' "$d/a.config"
	run python3 "$TREELIST" --config "$d/a.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == "treelist: $d/a.tar: not JSON: "* ]]
}

@test "kiln loads buildah's images of every case: same trees, same configs" {
	need_setup
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	local f name bad=
	for f in "$REF"/*.docker.tar; do
		name=$(basename "$f" .docker.tar)
		kiln load -i "$f" >/dev/null
		# the listing before buildah's mount-point stubs were taken out
		kiln_tree "cmp-$name" 2>/dev/null > "$BATS_TEST_TMPDIR/$name.tree"
		diff -u "$REF/$name.raw" "$BATS_TEST_TMPDIR/$name.tree" || bad="$bad $name"
		kiln inspect "cmp-$name" > "$BATS_TEST_TMPDIR/$name.json"
		python3 "$TREELIST" --config "$BATS_TEST_TMPDIR/$name.json" \
			--ignore-label io.buildah.version > "$BATS_TEST_TMPDIR/$name.config"
		diff -u "$REF/$name.config" "$BATS_TEST_TMPDIR/$name.config" || bad="$bad $name(config)"
	done
	[ -z "$bad" ] || { echo "differ:$bad"; return 1; }
	[ "$(find "$REF" -name "*.docker.tar" | wc -l)" -ge 13 ]
}

@test "buildah reference timings" {
	[ -s "$REF/timings" ] || { cat "$REF/setup.failed" 2>/dev/null; return 1; }
	sed 's/^/# /' "$REF/timings" >&3
}

@test "buildah reference: 01-copy-file" { check_reference 01-copy-file; }
@test "buildah reference: 02-copy-dir" { check_reference 02-copy-dir; }
@test "buildah reference: 03-copy-glob" { check_reference 03-copy-glob; }
@test "buildah reference: 04-copy-chown" { check_reference 04-copy-chown; }
@test "buildah reference: 05-copy-chmod" { check_reference 05-copy-chmod; }
@test "buildah reference: 06-workdir" { check_reference 06-workdir; }
@test "buildah reference: 07-env-arg" { check_reference 07-env-arg; }
@test "buildah reference: 08-config" { check_reference 08-config; }
@test "buildah reference: 09-entrypoint-cmd" { check_reference 09-entrypoint-cmd; }
@test "buildah reference: 10-run-whiteout" { check_reference 10-run-whiteout; }
@test "buildah reference: 11-multistage" { check_reference 11-multistage; }
@test "buildah reference: 12-dockerignore" { check_reference 12-dockerignore; }
@test "buildah reference: 13-symlinks" { check_reference 13-symlinks; }
@test "buildah reference: 14-add-targz" { check_reference 14-add-targz; }
@test "buildah reference: 15-dockerignore-reinclude" { check_reference 15-dockerignore-reinclude; }
@test "buildah reference: 16-copy-dest-symlink" { check_reference 16-copy-dest-symlink; }
@test "buildah reference: 17-user-workdir" { check_reference 17-user-workdir; }
@test "buildah reference: 19-cmd-expose-volume" { check_reference 19-cmd-expose-volume; }
@test "buildah reference: 20-copy-merge" { check_reference 20-copy-merge; }
@test "buildah reference: 21-expansion" { check_reference 21-expansion; }

@test "kiln matches buildah: 01-copy-file" { compare_case 01-copy-file; }
@test "kiln matches buildah: 02-copy-dir" { compare_case 02-copy-dir; }
@test "kiln matches buildah: 03-copy-glob" { compare_case 03-copy-glob; }
@test "kiln matches buildah: 04-copy-chown" { compare_case 04-copy-chown; }
@test "kiln matches buildah: 05-copy-chmod" { compare_case 05-copy-chmod; }
@test "kiln matches buildah: 06-workdir" { compare_case 06-workdir; }
@test "kiln matches buildah: 07-env-arg" { compare_case 07-env-arg; }
@test "kiln matches buildah: 08-config" { compare_case 08-config; }
@test "kiln matches buildah: 09-entrypoint-cmd" { compare_case 09-entrypoint-cmd; }
@test "kiln matches buildah: 10-run-whiteout" { compare_case 10-run-whiteout; }
@test "kiln matches buildah: 11-multistage" { compare_case 11-multistage; }
@test "kiln matches buildah: 12-dockerignore" { compare_case 12-dockerignore; }
@test "kiln matches buildah: 13-symlinks" { compare_case 13-symlinks; }
@test "kiln matches buildah: 14-add-targz" { compare_case 14-add-targz; }
@test "kiln matches buildah: 15-dockerignore-reinclude" { compare_case 15-dockerignore-reinclude; }
@test "kiln matches buildah: 16-copy-dest-symlink" { compare_case 16-copy-dest-symlink; }
@test "kiln matches buildah: 17-user-workdir" { compare_case 17-user-workdir; }
@test "kiln matches buildah: 19-cmd-expose-volume" { compare_case 19-cmd-expose-volume; }
@test "kiln matches buildah: 20-copy-merge" { compare_case 20-copy-merge; }
@test "kiln matches buildah: 21-expansion" { compare_case 21-expansion; }

@test "buildah reference: examples/hello" {
	check_reference hello
	grep -q '^/usr/local/bin/hello file 0755 0:0 ' "$REF/hello.tree"
	grep -q '^/usr/local/share/hello/self-test.txt file 0644 0:0 ' "$REF/hello.tree"
	grep -qx 'Cmd: \["/usr/local/bin/hello"\]' "$REF/hello.config"
	grep -qx 'User: "app"' "$REF/hello.config"
	# nothing of the build stages leaks into the image
	run ! grep -q '^/src\|^/out\|^/publish' "$REF/hello.tree"
}

@test "kiln matches buildah: examples/hello" { compare_case hello; }

# break_hello DIR: a copy of examples/hello whose table gets an empty greeting
break_hello() {
	cp -a "$KILN_SRCTREE/examples/hello" "$1"
	echo >> "$1/src/greetings.txt"
}

@test "examples/hello: a failing self-test fails buildah's build" {
	need_setup
	break_hello "$BATS_TEST_TMPDIR/broken"
	run bah build --pull=never --isolation chroot -t hello-broken "$BATS_TEST_TMPDIR/broken"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hello: self-test: "*"is malformed"* ]]
	run bah inspect --type image hello-broken
	[ "$status" -ne 0 ]
}

@test "examples/hello: a failing self-test fails kiln's build" {
	grep -q '^CONFIG_BUILD=y' "$KILN_CONFIG" || skip "kiln build is not in this build"
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	import_busybox
	break_hello "$BATS_TEST_TMPDIR/broken"
	run kiln build -t hello:broken "$BATS_TEST_TMPDIR/broken"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hello: self-test: "*"is malformed"* ]]
	run kiln inspect hello:broken
	[ "$status" -ne 0 ]
}
