#!/usr/bin/env bats
# kiln build: what a cached step hands the next one (CMD kept by ENTRYPOINT),
# what ADD unpacks and what it copies as it is, and boolean flags' values.

load helpers
load build

setup() {
	build_setup
}

# the step cache records as "inode name" lines: a step that ran again
# writes its record anew, under a new inode
cache_records() {
	ls -i "$KILN_ROOT/kiln/cache" | awk '{ print $1, $2 }' | sort
}

@test "build: ENTRYPOINT keeps a CMD of the stage that came from the step cache" {
	dockerfile <<-'EOF'
	FROM busybox
	CMD ["a"]
	ENTRYPOINT ["b"]
	EOF
	kiln build -q -t ep:1 "$ctx" >/dev/null
	[ "$(cfg ep:1 Cmd)" = '["a"]' ]
	cache_records > "$BATS_TEST_TMPDIR/before"
	sed -i 's/\["b"\]/["c"]/' "$ctx/Dockerfile"
	run kiln build --progress plain -t ep:2 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# the CMD step was a hit: every record of the first build is as it
	# was, and only the new ENTRYPOINT's was added
	cache_records > "$BATS_TEST_TMPDIR/after"
	[ -z "$(comm -23 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after")" ]
	[ "$(comm -13 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" | wc -l)" -eq 1 ]
	[ "$(cfg ep:2 Entrypoint)" = '["c"]' ]
	[ "$(cfg ep:2 Cmd)" = '["a"]' ]
	# and the image is the one a build without the cache makes
	kiln build -q --no-cache -t ep:3 "$ctx" >/dev/null
	[ "$(config_blob ep:2)" = "$(config_blob ep:3)" ]
}

@test "build: a step cache record without cmdSet (an older kiln's) is a miss, not a lost CMD" {
	dockerfile <<-'EOF'
	FROM busybox
	CMD ["a"]
	ENTRYPOINT ["b"]
	EOF
	kiln build -q "$ctx" >/dev/null
	# records as a kiln that did not keep the field wrote them
	for f in "$KILN_ROOT"/kiln/cache/*; do
		python3 - "$f" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		assert d.pop("cmdSet", None) is not None, "no cmdSet in " + sys.argv[1]
		json.dump(d, open(sys.argv[1], "w"))
		EOF
	done
	sed -i 's/\["b"\]/["c"]/' "$ctx/Dockerfile"
	run kiln build --progress plain -t ep:2 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" != *"corrupt"* ]]
	[ "$(cfg ep:2 Cmd)" = '["a"]' ]
	[ "$(cfg ep:2 Entrypoint)" = '["c"]' ]
}

@test "build: ADD copies a gzip file that holds no tar as it is, byte for byte" {
	echo hello > "$BATS_TEST_TMPDIR/note.txt"
	gzip -c "$BATS_TEST_TMPDIR/note.txt" > "$ctx/note.txt.gz"
	# more than a tar block once inflated, and named as an archive
	seq 1 2000 | gzip -c > "$ctx/fake.tar.gz"
	dockerfile <<-'EOF'
	FROM busybox
	ADD note.txt.gz fake.tar.gz /opt/
	EOF
	run kiln build -t gz:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	for f in note.txt.gz fake.tar.gz; do
		want=$(sha256sum < "$ctx/$f")
		got=$(rootfs_cat gz:1 "/opt/$f" | sha256sum)
		[ "$got" = "$want" ] || { echo "$f: $got, not $want"; false; }
	done
	# nothing was unpacked beside them
	run rootfs_list gz:1
	[ "$(grep -c ' ./opt/' <<<"$output")" -eq 3 ]
}

@test "build: ADD --unpack=false copies a local archive as it is" {
	mkdir -p "$BATS_TEST_TMPDIR/t/pkg"
	echo inside > "$BATS_TEST_TMPDIR/t/pkg/file"
	tar -C "$BATS_TEST_TMPDIR/t" --owner=0 --group=0 -czf "$ctx/pkg.tar.gz" pkg
	dockerfile <<-'EOF'
	FROM busybox
	ADD --unpack=false pkg.tar.gz /kept/
	ADD --unpack=true pkg.tar.gz /opened/
	ADD pkg.tar.gz /default/
	EOF
	run kiln build -t unp:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat unp:1 /kept/pkg.tar.gz | sha256sum)" = "$(sha256sum < "$ctx/pkg.tar.gz")" ]
	[ "$(rootfs_cat unp:1 /opened/pkg/file)" = inside ]
	[ "$(rootfs_cat unp:1 /default/pkg/file)" = inside ]
	run rootfs_list unp:1
	[ "$(grep -c ' ./kept/' <<<"$output")" -eq 2 ]
}

@test "build: ADD unpacks a tar.gz and a plain tar, whatever their names" {
	mkdir -p "$BATS_TEST_TMPDIR/arch/gz" "$BATS_TEST_TMPDIR/arch/plain" "$BATS_TEST_TMPDIR/arch/odd"
	echo in-gz > "$BATS_TEST_TMPDIR/arch/gz/file"
	echo in-plain > "$BATS_TEST_TMPDIR/arch/plain/file"
	echo in-odd > "$BATS_TEST_TMPDIR/arch/odd/file"
	# owned by 0: files of another owner land on an id this user cannot delete
	t() { tar -C "$BATS_TEST_TMPDIR/arch" --owner=0 --group=0 --numeric-owner "$@"; }
	t -czf "$ctx/gz.tar.gz" gz
	t -cf "$ctx/plain.tar" plain
	t -czf "$ctx/odd.data" odd
	dockerfile <<-'EOF'
	FROM busybox
	ADD gz.tar.gz /opt/
	ADD plain.tar /opt/
	ADD odd.data /opt/
	EOF
	run kiln build -t untar:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat untar:1 /opt/gz/file)" = in-gz ]
	[ "$(rootfs_cat untar:1 /opt/plain/file)" = in-plain ]
	[ "$(rootfs_cat untar:1 /opt/odd/file)" = in-odd ]
	run rootfs_list untar:1
	[[ "$output" != *".tar"* ]]
	[[ "$output" != *"odd.data"* ]]
}

@test "build: COPY --parents=false copies flat, --parents=true keeps the directories" {
	mkdir -p "$ctx/a/b" "$ctx/c"
	echo 1 > "$ctx/a/b/f.txt"
	echo 2 > "$ctx/c/g.txt"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --parents=false a/b/f.txt c/*.txt /flat/
	COPY --parents=true a/b/f.txt c/*.txt /kept/
	COPY --parents=FALSE a/b/f.txt /upper/
	EOF
	run kiln build -t parents:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list parents:1
	[[ "$output" == *" ./flat/f.txt"* ]]
	[[ "$output" == *" ./flat/g.txt"* ]]
	[[ "$output" != *" ./flat/a/"* ]]
	[[ "$output" != *" ./flat/c/"* ]]
	[[ "$output" == *" ./kept/a/b/f.txt"* ]]
	[[ "$output" == *" ./kept/c/g.txt"* ]]
	[[ "$output" != *" ./kept/f.txt"* ]]
	[[ "$output" == *" ./upper/f.txt"* ]]
	[[ "$output" != *" ./upper/a/"* ]]
}
