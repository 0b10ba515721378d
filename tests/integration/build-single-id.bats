#!/usr/bin/env bats
# kiln build where the user namespace maps the caller's id alone (no
# newuidmap on PATH, as without /etc/subuid ranges): files of other owners
# cannot be chowned on disk, yet the image has the owners a full map gives.

load helpers
load build

setup() {
	build_setup
	mkdir -p "$BATS_TEST_TMPDIR/nobin"
}

teardown() {
	# the full map's builds leave files of subordinate ids in the store
	[ ! -d "$KILN_ROOT" ] || unshare --map-auto --map-root-user rm -rf "$KILN_ROOT" || true
}

# kiln with only the caller's id mapped
kiln_single() {
	PATH=$BATS_TEST_TMPDIR/nobin "$KILN" "$@"
}

# busybox plus files of other owners, imported as NAME: tar gives each
# appended tree its owner, so no root is needed
import_owned() {
	local r=$BATS_TEST_TMPDIR/owned-root tarball=$BATS_TEST_TMPDIR/owned.tar
	mkdir -p "$r/home/app" "$r/var/www" "$r/usr/bin"
	echo data > "$r/home/app/data"
	# a step that changes a linked file differs between the snapshotters
	# (overlay copies up one name), so these two stay as they are
	echo link > "$r/home/app/l1"
	ln "$r/home/app/l1" "$r/home/app/l2"
	echo page > "$r/var/www/index.html"
	echo chage > "$r/usr/bin/chage"
	cp "$BATS_FILE_TMPDIR/busybox-base.tar" "$tarball"
	tar --numeric-owner --owner=1000 --group=1000 --mode=u=rwX,g=rX,o= --mtime=@0 \
		-C "$r" -rf "$tarball" ./home/app
	tar --numeric-owner --owner=33 --group=33 --mtime=@0 -C "$r" -rf "$tarball" ./var/www
	tar --numeric-owner --owner=0 --group=42 --mode=2755 --mtime=@0 \
		-C "$r" -rf "$tarball" ./usr/bin/chage
	kiln import "$tarball" "$1" >/dev/null
}

# the context's Dockerfile built with one id (single:1) and with the full
# map (full:1): their root filesystems listed (single.list, full.list in
# the test's folder) must be the same
build_both_maps() {
	run kiln_single build --no-cache -t single:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run kiln build --no-cache -t full:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	rootfs_list single:1 > "$BATS_TEST_TMPDIR/single.list"
	rootfs_list full:1 > "$BATS_TEST_TMPDIR/full.list"
	diff "$BATS_TEST_TMPDIR/single.list" "$BATS_TEST_TMPDIR/full.list"
}

# the stages of the test: a RUN over files of other owners, COPY --from a
# stage and from the image, ADD of an archive with owners
owned_dockerfile() {
	local a=$BATS_TEST_TMPDIR/add-root
	mkdir -p "$a/opt/tool"
	echo tool > "$a/opt/tool/bin"
	tar --numeric-owner --owner=1234 --group=5678 --mode=4755 --mtime=@0 \
		-C "$a" -cf "$ctx/own.tar" ./opt
	dockerfile <<-'EOF'
	FROM owned AS stage
	RUN echo stage >> /home/app/data
	FROM owned
	RUN echo more >> /home/app/data && touch /var/www/index.html && echo x >> /usr/bin/chage && mkdir /home/app/new
	COPY --from=stage /home/app /from-stage
	COPY --from=owned /var/www /from-image
	COPY --from=owned /usr/bin/chage /chage
	ADD own.tar /added/
	EOF
}

@test "single id: RUN, COPY --from and ADD keep the owners a full map gives" {
	import_owned owned
	owned_dockerfile
	run kiln_single build --no-cache -t single:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"ids other than 0 are unavailable"* ]]
	rootfs_list single:1 > "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-.* 1000/1000 .* \./home/app/data$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^d.* 1000/1000 .* \./home/app/$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-.* 33/33 .* \./var/www/index.html$' "$BATS_TEST_TMPDIR/single.list"
	# a write drops the setgid bit, as the kernel does with the owner there
	grep -E '^-rwxr-xr-x 0/42 .* \./usr/bin/chage$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-rwxr-sr-x 0/42 .* \./chage$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-.* 1000/1000 .* \./from-stage/data$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-.* 1000/1000 .* \./from-stage/l2$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-.* 33/33 .* \./from-image/index.html$' "$BATS_TEST_TMPDIR/single.list"
	grep -E '^-rwsr-xr-x 1234/5678 .* \./added/opt/tool/bin$' "$BATS_TEST_TMPDIR/single.list"
	# what RUN made is root's
	grep -E '^d.* 0/0 .* \./home/app/new/$' "$BATS_TEST_TMPDIR/single.list"
	[ "$(rootfs_cat single:1 /from-stage/data)" = "$(printf 'data\nstage')" ]

	# the same build with the full map: the same files, owners and bytes
	run kiln build --no-cache -t full:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" != *"ids other than 0"* ]]
	rootfs_list full:1 > "$BATS_TEST_TMPDIR/full.list"
	diff "$BATS_TEST_TMPDIR/single.list" "$BATS_TEST_TMPDIR/full.list"
	[ "$(kiln images -q single:1)" = "$(kiln images -q full:1)" ]
}

@test "single id: both snapshotters give the layers of the full map" {
	import_owned owned
	owned_dockerfile
	a=$(KILN_SNAPSHOTTER=overlay kiln_single build --no-cache -q "$ctx" 2>/dev/null)
	b=$(KILN_SNAPSHOTTER=copy kiln_single build --no-cache -q "$ctx" 2>/dev/null)
	c=$(KILN_SNAPSHOTTER=copy kiln build --no-cache -q "$ctx")
	d=$(KILN_SNAPSHOTTER=overlay kiln build --no-cache -q "$ctx")
	[ -n "$a" ]
	[ "$a" = "$b" ]
	[ "$a" = "$c" ]
	[ "$a" = "$d" ]
}

@test "single id: each kind of map has its own layer cache, which fsck and prune know" {
	import_owned owned
	owned_dockerfile
	kiln_single build -q -t single:1 "$ctx" >/dev/null 2>&1
	kiln build -q --no-cache -t full:1 "$ctx" >/dev/null
	# the one-id map's cache: every file the caller's, the owners beside
	ls "$KILN_ROOT/kiln/layers-single" | grep -qE '^[0-9a-f]{64}\.owners$'
	[ -z "$(find "$KILN_ROOT/kiln/layers-single" ! -user "$(id -u)")" ]
	[ -n "$(ls -A "$KILN_ROOT/kiln/layers")" ]
	run kiln fsck
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# a table whose layer is gone is a leftover; a corrupt one goes with its layer
	owners=$(kiln inspect owned | python3 -c "
import json, sys
print(json.load(sys.stdin)[0]['RootFS']['Layers'][0][7:] + '.owners')")
	[ -f "$KILN_ROOT/kiln/layers-single/$owners" ]
	echo junk > "$KILN_ROOT/kiln/layers-single/$owners"
	touch "$KILN_ROOT/kiln/layers-single/$(printf 'a%.0s' $(seq 64)).owners"
	run kiln fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"'kiln/layers-single/$owners': not a kiln owners table"* ]]
	[[ "$output" == *"owners table of a layer that is not unpacked"* ]]
	run kiln fsck --repair
	[ "$status" -eq 1 ]
	[[ "$output" == *"repaired: removed 'kiln/layers-single/${owners%.owners}' (its owners table was corrupt)"* ]]
	[[ "${lines[-1]}" == *": 2 problems, 3 repaired" ]]
	[ ! -e "$KILN_ROOT/kiln/layers-single/${owners%.owners}" ]
	run kiln fsck
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# a build unpacks the layer again, with its table
	kiln_single build -q --no-cache "$ctx" >/dev/null 2>&1
	[ -e "$KILN_ROOT/kiln/layers-single/$owners" ]
	kiln rmi single:1 full:1 owned busybox >/dev/null
	run kiln prune
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(ls -A "$KILN_ROOT/kiln/layers")" ]
	[ -z "$(ls -A "$KILN_ROOT/kiln/layers-single")" ]
}

@test "single id: COPY --chown --chmod of a heredoc gives the same file with either map" {
	dockerfile <<-'EOF'
	FROM busybox
	COPY --chown=1000:1000 --chmod=4755 <<-EOT /tool
	#!/bin/sh
	EOT
	EOF
	run kiln_single build --no-cache -t single:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run kiln build --no-cache -t full:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# the owner goes first: a chown after the chmod would clear setuid
	rootfs_list single:1 | grep -E '^-rwsr-xr-x 1000/1000 .* \./tool$'
	rootfs_list full:1 | grep -E '^-rwsr-xr-x 1000/1000 .* \./tool$'
}

@test "single id: ADD --chown owns what an archive holds, with either map, as BuildKit does" {
	local a=$BATS_TEST_TMPDIR/add-root
	mkdir -p "$a/pkg/sub"
	echo tool > "$a/pkg/sub/bin"
	tar --numeric-owner --owner=1234 --group=5678 --mtime=@0 -C "$a" -cf "$ctx/pkg.tar" ./pkg
	dockerfile <<-'EOF'
	FROM busybox
	ADD --chown=1000:1000 pkg.tar /new/dir/
	ADD pkg.tar /plain/
	EOF
	build_both_maps
	# the archive's entries and the directories ADD made take --chown's owner
	for p in new/ new/dir/ new/dir/pkg/ new/dir/pkg/sub/ new/dir/pkg/sub/bin; do
		grep -E " 1000/1000 .* \./$p\$" "$BATS_TEST_TMPDIR/full.list" || { echo "$p"; cat "$BATS_TEST_TMPDIR/full.list" | grep -E 'new|plain'; false; }
	done
	# without --chown the archive's own
	grep -E " 1234/5678 .* \./plain/pkg/sub/bin\$" "$BATS_TEST_TMPDIR/full.list"
}

@test "single id: WORKDIR makes its directories the USER's, with either map" {
	dockerfile <<-'EOF'
	FROM busybox
	USER 1000:1000
	WORKDIR /srv/app/data
	USER root
	WORKDIR /srv/app/data/root-made
	EOF
	build_both_maps
	grep -E '^d.* 1000/1000 .* \./srv/$' "$BATS_TEST_TMPDIR/full.list"
	grep -E '^d.* 1000/1000 .* \./srv/app/data/$' "$BATS_TEST_TMPDIR/full.list"
	grep -E '^d.* 0/0 .* \./srv/app/data/root-made/$' "$BATS_TEST_TMPDIR/full.list"
}
