#!/usr/bin/env bats
# build-nested.bats: kiln as root of a user namespace an ordinary user made
# (unshare -r, as in a rootless container): fewer ids than a subordinate
# range, setgroups denied, and a store on overlayfs, which overlayfs will
# not take as an upper dir, so snapshots fall back to copies, said in one
# line, with the same image as the overlay snapshotter gives. overlayfs
# there holds neither whiteout devices nor user.overlay xattrs either, so
# the layer cache keeps whiteouts as the tar's ".wh." files.

load helpers
load build

setup() {
	require_feature BUILD
	command -v unshare >/dev/null || skip "no unshare"
	unshare -rm true 2>/dev/null || skip "unprivileged user namespaces are off"
	export SOURCE_DATE_EPOCH=1700000000
	ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	[ -f "$BATS_FILE_TMPDIR/busybox-base.tar" ] ||
		sh "$KILN_SRCTREE/scripts/mkbase.sh" busybox "$BATS_FILE_TMPDIR/busybox-base.tar"
}

# kiln ARGS... as root of a new user namespace, its store on an overlay
nested_kiln() {
	local o=$BATS_TEST_TMPDIR/ovl
	mkdir -p "$o/l" "$o/u" "$o/w" "$o/m"
	unshare -rm sh -c 'mount -t overlay overlay -o "userxattr,lowerdir=$1/l,upperdir=$1/u,workdir=$1/w" "$1/m" || exit 99
		export KILN_ROOT=$1/m/store
		"$KILN" import "$2" busybox >/dev/null || exit 98
		shift 2
		exec "$KILN" "$@"' sh "$o" "$BATS_FILE_TMPDIR/busybox-base.tar" "$@"
}

@test "nested: as root of an unprivileged namespace on overlayfs, kiln copies layers and builds the same image" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN mkdir -p /app/gone && echo built > /app/out && id -u > /app/uid && rm /bin/true && echo x > /app/gone/x
	RUN rm -r /app/gone && mkdir /app/gone && echo y > /app/gone/y
	COPY Dockerfile /app/
	RUN ! test -e /bin/true && ls /app/gone > /app/seen
	EOF
	run nested_kiln build --iidfile "$BATS_TEST_TMPDIR/nested.iid" "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(grep -c 'overlayfs is not available' <<<"$output")" -eq 1 ]
	[[ "$output" == *"copying layers instead"* ]]
	[[ "$output" == *"root of a user namespace that holds 1 ids"* ]]
	# (the store lives in the overlay's upper dir once the namespace is gone)
	compgen -G "$BATS_TEST_TMPDIR/ovl/u/store/kiln/layers*/*/.wh..wh..kiln" >/dev/null
	compgen -G "$BATS_TEST_TMPDIR/ovl/u/store/kiln/layers*/*/bin/.wh.true" >/dev/null
	# (an opaque directory's xattr it holds, escaped, on kernels since 6.7)
	# the same build with the full map and overlay snapshots
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	kiln import "$BATS_FILE_TMPDIR/busybox-base.tar" busybox >/dev/null
	run kiln build --snapshotter overlay --iidfile "$BATS_TEST_TMPDIR/plain.iid" -t plain:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat plain:1 /app/uid)" = 0 ]
	# a whiteout and an opaque directory, which that store keeps as files
	[ "$(rootfs_cat plain:1 /app/seen)" = y ]
	[ "$(cat "$BATS_TEST_TMPDIR/nested.iid")" = "$(cat "$BATS_TEST_TMPDIR/plain.iid")" ]
}

@test "nested: a full disk in COPY or in writing a RUN's layer is one line, and the store stays as it was" {
	local m=$BATS_TEST_TMPDIR/small
	mkdir -p "$m"
	head -c 12000000 /dev/urandom > "$ctx/big"
	printf 'FROM busybox\nCOPY big /big\n' > "$ctx/copy.Dockerfile"
	printf 'FROM busybox\nRUN head -c 5000000 /dev/urandom > /r\n' > "$ctx/run.Dockerfile"
	# an 8 MB tmpfs of the namespace's own holds the store
	run unshare -rm sh -c '
		mount -t tmpfs -o size=8m tmpfs "$1" || exit 99
		export KILN_ROOT=$1/store
		"$KILN" import "$2" busybox >/dev/null || exit 98
		cp "$KILN_ROOT/index.json" "$1/../index.before"
		for f in copy run; do
			"$KILN" build -f "$3/$f.Dockerfile" -t "full:$f" "$3" 2>"$1/../$f.err"
			echo "$f status $?"
			cmp -s "$KILN_ROOT/index.json" "$1/../index.before" && echo "$f index same"
			echo "$f left $(ls -A "$KILN_ROOT/kiln/snapshots" "$KILN_ROOT/kiln/ingest" | grep -v -e "^$" -e ":$" | wc -l)"
		done' sh "$m" "$BATS_FILE_TMPDIR/busybox-base.tar" "$ctx"
	[ "$output" = "copy status 1
copy index same
copy left 0
run status 1
run index same
run left 0" ] || { echo "$output"; cat "$BATS_TEST_TMPDIR"/*.err; false; }
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/copy.err")" = "kiln: build: $ctx/copy.Dockerfile:2: cannot write '/big': No space left on device" ]
	[[ "$(tail -n 1 "$BATS_TEST_TMPDIR/run.err")" == "kiln: build: $ctx/run.Dockerfile:2: writing the step's layer in '"*"/store/kiln/ingest': "*"No space left on device" ]]
}
