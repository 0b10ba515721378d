#!/usr/bin/env bats
# rootfs.bats: root filesystems in and out of the store: kiln import of a
# GNU tar tarball, then unpack and export, checked against the source tree.

load helpers

setup() {
	require_feature STORE_ROOTFS
	STORE=$BATS_TEST_TMPDIR/store
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
	unset SOURCE_DATE_EPOCH
}

# a tree with files, directories, symlinks and a hardlink, and its tarball
make_rootfs() {
	SRC=$W/src
	mkdir -p "$SRC/etc" "$SRC/usr/bin" "$SRC/var/empty" "$SRC/private"
	echo hello >"$SRC/etc/hello.txt"
	printf '#!/bin/sh\necho hi\n' >"$SRC/usr/bin/hi"
	chmod 755 "$SRC/usr/bin/hi"
	ln "$SRC/usr/bin/hi" "$SRC/usr/bin/hi-again"
	ln -s ../etc/hello.txt "$SRC/usr/hello"
	ln -s /etc/hello.txt "$SRC/abs-link"
	ln -s missing "$SRC/dangling"
	echo secret >"$SRC/private/key"
	chmod 600 "$SRC/private/key"
	chmod 750 "$SRC/private"
	tar -C "$SRC" -cf "$W/rootfs.tar" .
	gzip -c "$W/rootfs.tar" >"$W/rootfs.tar.gz"
}

kiln_s() {
	kiln --root "$STORE" "$@"
}

# one field of IMAGE's Config as compact JSON: cfg_of IMAGE KEY
cfg_of() {
	kiln_s inspect "$1" | python3 -c "import json, sys; print(json.dumps(json.load(sys.stdin)[0]['Config'].get('$2')))"
}

tree_listing() {
	(cd "$1" && find . -printf '%p %m %l\n' | sort)
}

# the entries of a tar as names without "./" and trailing "/", the root dropped
tar_names() {
	tar -tf "$1" | sed -e 's#^\./##' -e 's#/$##' | grep -v '^\.\?$' | sort
}

# what the store holds, to show that a failed command changed nothing
snapshot() {
	[ -d "$STORE" ] || return 0
	(cd "$STORE" && find . -path ./kiln -prune -o -type f -print | sort | xargs -r sha256sum)
}

@test "import a tarball: images lists it, inspect shows platform and changes" {
	make_rootfs
	run kiln_s import --platform linux/arm64 --change 'CMD ["/usr/bin/hi", "x"]' \
		--change 'ENV GREETING="hello world" PATH=/usr/bin' --change 'WORKDIR /srv' \
		--change 'USER 1000:1000' --change 'LABEL org.example.a=b' --change 'EXPOSE 8080' \
		--change 'ENTRYPOINT ["/bin/sh", "-c"]' "$W/rootfs.tar.gz" app:1
	[ "$status" -eq 0 ]
	[[ "$output" == sha256:* ]]
	run kiln_s images
	[ "$status" -eq 0 ]
	[[ "$output" == *"app "*" 1 "* ]]
	run kiln_s inspect app:1
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '"Architecture": "arm64"'
	echo "$output" | grep -q '"Os": "linux"'
	[ "$(cfg_of app:1 Cmd)" = '["/usr/bin/hi", "x"]' ]
	[ "$(cfg_of app:1 Entrypoint)" = '["/bin/sh", "-c"]' ]
	[ "$(cfg_of app:1 Env)" = '["GREETING=hello world", "PATH=/usr/bin"]' ]
	[ "$(cfg_of app:1 WorkingDir)" = '"/srv"' ]
	[ "$(cfg_of app:1 User)" = '"1000:1000"' ]
	[ "$(cfg_of app:1 Labels)" = '{"org.example.a": "b"}' ]
	[ "$(cfg_of app:1 ExposedPorts)" = '{"8080/tcp": {}}' ]
	echo "$output" | grep -q '"Comment": "imported from rootfs.tar.gz"'
}

@test "import from stdin, with the host's platform" {
	make_rootfs
	run kiln_s import - app:stdin <"$W/rootfs.tar"
	[ "$status" -eq 0 ]
	run kiln_s inspect app:stdin
	echo "$output" | grep -q '"Os": "linux"'
	echo "$output" | grep -q '"Comment": "imported from -"'
}

@test "skopeo and umoci read an imported image" {
	need_tool skopeo
	need_tool umoci
	make_rootfs
	kiln_s import --change 'CMD ["/usr/bin/hi"]' "$W/rootfs.tar" app:1
	run skopeo inspect "oci:$STORE:app:1"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '"Layers"'
	run skopeo inspect --config "oci:$STORE:app:1"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '/usr/bin/hi'
	run umoci unpack --rootless --image "$STORE:app:1" "$W/bundle"
	[ "$status" -eq 0 ]
	diff -r --no-dereference "$SRC" "$W/bundle/rootfs"
}

@test "unpack gives the source tree back" {
	make_rootfs
	kiln_s import "$W/rootfs.tar.gz" app:1
	run kiln_s unpack app:1 "$W/out"
	[ "$status" -eq 0 ]
	diff -r --no-dereference "$SRC" "$W/out"
	diff <(tree_listing "$SRC") <(tree_listing "$W/out")
	# the hardlink stays one file
	[ "$(stat -c %i "$W/out/usr/bin/hi")" = "$(stat -c %i "$W/out/usr/bin/hi-again")" ]
}

@test "unpack into an empty directory works, into a full one is refused" {
	make_rootfs
	kiln_s import "$W/rootfs.tar" app:1
	mkdir "$W/empty" "$W/full"
	touch "$W/full/x"
	run kiln_s unpack app:1 "$W/empty"
	[ "$status" -eq 0 ]
	[ -f "$W/empty/etc/hello.txt" ]
	run kiln_s unpack app:1 "$W/full"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == "kiln: unpack: "*"not empty"* ]]
	[ "$(ls "$W/full")" = x ]
}

@test "export lists the same entries as the input" {
	make_rootfs
	kiln_s import "$W/rootfs.tar.gz" app:1
	run kiln_s export app:1 -o "$W/out.tar"
	[ "$status" -eq 0 ]
	diff <(tar_names "$W/rootfs.tar") <(tar_names "$W/out.tar")
	kiln_s export app:1 >"$W/stdout.tar"
	cmp "$W/out.tar" "$W/stdout.tar"
	# no scratch directory is left behind
	[ -z "$(find "$W" "$STORE/kiln" -name '.kiln-export-*')" ]
	mkdir "$W/x"
	tar -C "$W/x" -xf "$W/out.tar"
	diff -r --no-dereference "$SRC" "$W/x"
}

@test "the same tarball with SOURCE_DATE_EPOCH gives the same image ID" {
	make_rootfs
	export SOURCE_DATE_EPOCH=1700000000
	run kiln_s import "$W/rootfs.tar" app:1
	[ "$status" -eq 0 ]
	id1=$output
	run kiln --root "$BATS_TEST_TMPDIR/store2" import "$W/rootfs.tar" app:2
	[ "$status" -eq 0 ]
	[ "$output" = "$id1" ]
	run kiln_s inspect app:1
	echo "$output" | grep -q '"Created": "2023-11-14T22:13:20Z"'
}

@test "import errors: missing file, bad name, corrupt gzip, not a tar, bad change" {
	make_rootfs
	kiln_s import "$W/rootfs.tar" keep:1
	before=$(snapshot)
	run kiln_s import "$W/missing.tar" app:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == "kiln: import: "*"missing.tar"* ]]
	run kiln_s import "$W/rootfs.tar" 'Bad Name'
	[ "$status" -eq 2 ]
	assert_one_error_line
	head -c 200 "$W/rootfs.tar.gz" >"$W/trunc.tar.gz"
	run kiln_s import "$W/trunc.tar.gz" app:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	cp "$W/rootfs.tar.gz" "$W/bad.tar.gz"
	printf 'garbagegarbage' | dd of="$W/bad.tar.gz" bs=1 seek=30 conv=notrunc 2>/dev/null
	run kiln_s import "$W/bad.tar.gz" app:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	head -c 1000 /dev/urandom >"$W/noise.tar"
	run kiln_s import "$W/noise.tar" app:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln_s import --change 'RUN true' "$W/rootfs.tar" app:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"RUN is not allowed"* ]]
	run kiln_s import --change 'CMD' "$W/rootfs.tar" app:1
	[ "$status" -eq 2 ]
	run kiln_s import --platform 'linux/' "$W/rootfs.tar" app:1
	[ "$status" -ne 0 ]
	[ "$(snapshot)" = "$before" ]
	run kiln_s images
	[[ "$output" != *"app "* ]]
	[ -z "$(ls "$STORE/kiln/ingest")" ]
}

# a one-layer image whose layer is the tar $1, put in the store by hand
put_image() {
	local tar=$1 name=$2 diffid layer lsize config csize manifest msize d
	put() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$STORE/blobs/sha256/$d"; echo "sha256:$d"; }
	diffid=sha256:$(sha256sum "$tar" | cut -d' ' -f1)
	gzip -n -c "$tar" >"$W/l.tgz"
	layer=$(put "$W/l.tgz")
	lsize=$(stat -c %s "$W/l.tgz")
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$diffid" >"$W/c.json"
	config=$(put "$W/c.json")
	csize=$(stat -c %s "$W/c.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$W/m.json"
	manifest=$(put "$W/m.json")
	msize=$(stat -c %s "$W/m.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
		"$manifest" "$msize" "$name" >"$STORE/index.json"
}

@test "a tarball with ../ entries: import refuses it, unpack and export write nothing outside" {
	mkdir -p "$W/evil/sub" "$W/deep/a/b"
	echo pwned >"$W/evil/escape"
	# GNU tar keeps the ../ only with --absolute-names
	tar -C "$W/evil" -P --transform 's,^escape$,../../escape,' -cf "$W/evil.tar" escape sub
	tar -tf "$W/evil.tar" | grep -q '^\.\./\.\./escape$'
	run kiln_s import "$W/evil.tar" evil:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln_s images
	[[ "$output" != *evil* ]]

	put_image "$W/evil.tar" evil:1
	run kiln_s unpack evil:1 "$W/deep/a/b/out"
	[ "$status" -ne 0 ]
	assert_one_error_line
	[ ! -e "$W/deep/escape" ] && [ ! -e "$W/deep/a/escape" ] && [ ! -e "$W/escape" ]
	[ ! -e "$W/deep/a/b/out" ]
	run kiln_s export evil:1 -o "$W/deep/a/b/evil-out.tar"
	[ "$status" -ne 0 ]
	assert_one_error_line
	[ ! -e "$W/deep/a/b/evil-out.tar" ]
	[ ! -e "$W/deep/a/escape" ] && [ ! -e "$W/deep/escape" ]
	[ -z "$(find "$W" -name '.kiln-export-*' -o -name '.tmp-*')" ]
}

# an image of the layer tarballs TAR... (in order), named NAME
put_layers() {
	local name=$1 diffids= layers= t d
	shift
	mkdir -p "$STORE/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$STORE/oci-layout"
	for t in "$@"; do
		d=$(sha256sum "$t" | cut -d' ' -f1)
		cp "$t" "$STORE/blobs/sha256/$d"
		diffids="${diffids:+$diffids,}\"sha256:$d\""
		layers="${layers:+$layers,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$(stat -c %s "$t")}"
	done
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffids" >"$W/c.json"
	d=$(sha256sum "$W/c.json" | cut -d' ' -f1)
	cp "$W/c.json" "$STORE/blobs/sha256/$d"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
		"$d" "$(stat -c %s "$W/c.json")" "$layers" >"$W/m.json"
	d=$(sha256sum "$W/m.json" | cut -d' ' -f1)
	cp "$W/m.json" "$STORE/blobs/sha256/$d"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
		"$d" "$(stat -c %s "$W/m.json")" "$name" >"$STORE/index.json"
}

# two layers with owners other than the caller, setuid/setgid bits, and a
# second layer that changes an owner and deletes a file
owned_layers() {
	python3 - "$W" <<'PY'
import io, sys, tarfile
def add(t, name, kind, mode, uid, gid, data=b"", link=""):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.uid, i.gid, i.mtime = kind, mode, uid, gid, 1700000000
    i.linkname = link
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if i.size else None)
with tarfile.open(sys.argv[1] + "/l1.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "bin", tarfile.DIRTYPE, 0o755, 0, 0)
    add(t, "bin/su", tarfile.REGTYPE, 0o4755, 0, 0, b"su\n")
    add(t, "bin/sh2", tarfile.SYMTYPE, 0o777, 0, 0, link="su")
    add(t, "home", tarfile.DIRTYPE, 0o755, 0, 0)
    add(t, "home/u", tarfile.DIRTYPE, 0o750, 1000, 1000)
    add(t, "home/u/f", tarfile.REGTYPE, 0o600, 1000, 1000, b"mine\n")
    add(t, "var/mail", tarfile.DIRTYPE, 0o2775, 0, 8)
with tarfile.open(sys.argv[1] + "/l2.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "bin/.wh.sh2", tarfile.REGTYPE, 0o600, 0, 0)
    add(t, "home/u/f", tarfile.REGTYPE, 0o640, 2000, 2001, b"theirs\n")
PY
}

# "path uid gid mode" of each entry of a tar, sorted
tar_owners() {
	python3 -c '
import sys, tarfile
for m in sorted(tarfile.open(sys.argv[1]).getmembers(), key=lambda m: m.name):
    print(m.name.strip("./") or ".", m.uid, m.gid, oct(m.mode))' "$1"
}

@test "unpack as a user who is not root: every file belongs to the caller" {
	[ "$(id -u)" -ne 0 ] || skip "runs as root: unpack keeps the image's owners"
	owned_layers
	put_layers own:1 "$W/l1.tar" "$W/l2.tar"
	run kiln_s unpack own:1 "$W/out"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$W/out/home/u/f")" = theirs ]
	[ ! -e "$W/out/bin/sh2" ]
	[ -z "$(find "$W/out" ! -user "$(id -u)" -print)" ]
	[ -z "$(find "$W/out" ! -group "$(id -g)" -print)" ]
	# setuid only where the file ends up owned as the image says
	[ -z "$(find "$W/out" -perm -4000 -print)" ]
}

@test "export by a user who is not root records the image's owners and modes, not the caller's" {
	owned_layers
	put_layers own:1 "$W/l1.tar" "$W/l2.tar"
	run kiln_s export own:1 -o "$W/out.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	# the scratch tree is private: no word about setuid bits kept there
	[ -z "$output" ]
	run tar_owners "$W/out.tar"
	echo "$output"
	[ "$output" = "bin 0 0 0o755
bin/su 0 0 0o4755
home 0 0 0o755
home/u 1000 1000 0o750
home/u/f 2000 2001 0o640
var 0 0 0o755
var/mail 0 8 0o2775" ]
	# stdout gives the same bytes, a second later too: directories the
	# layers change without naming them (a whiteout in bin/, var made
	# for var/mail) keep their times, not the time of the export
	sleep 1.1
	kiln_s export own:1 >"$W/stdout.tar"
	cmp "$W/out.tar" "$W/stdout.tar"
}

@test "unpack and export of an unknown image fail with exit 2" {
	mkdir -p "$STORE"
	run kiln_s unpack nope:1 "$W/out"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ ! -e "$W/out" ]
	run kiln_s export nope:1 -o "$W/out.tar"
	[ "$status" -eq 2 ]
	[ ! -e "$W/out.tar" ]
}
