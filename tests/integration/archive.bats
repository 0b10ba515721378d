#!/usr/bin/env bats
# archive.bats: moving images in and out of the store as files: kiln save
# and kiln load with docker-archive, oci-archive and OCI layout directories,
# checked against skopeo and podman, which read and write the same formats.

load helpers

setup() {
	require_feature STORE_ARCHIVE
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	W=$BATS_TEST_TMPDIR/work
	L=$W/layout
	mkdir -p "$W" "$L/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
}

host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

put_blob() {
	local d
	d=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$L/blobs/sha256/$d"
	echo "sha256:$d"
}

# make_layout NAME FILE...: an OCI layout in $L with one gzip layer of the
# given files (copied into the layer's root), named NAME
make_layout() {
	local name=$1 r=$W/rootfs diffid layer config manifest
	shift
	mkdir -p "$r"
	cp "$@" "$r/"
	tar -C "$r" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$W/l.tar" .
	diffid=sha256:$(sha256sum "$W/l.tar" | cut -d' ' -f1)
	gzip -1 -n -c "$W/l.tar" >"$W/l.tgz"
	layer=$(put_blob "$W/l.tgz")
	printf '{"created":"2024-01-02T03:04:05Z","architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$(host_arch)" "$diffid" >"$W/c.json"
	config=$(put_blob "$W/c.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
		"$config" "$(stat -c %s "$W/c.json")" "$layer" "$(stat -c %s "$W/l.tgz")" >"$W/m.json"
	manifest=$(put_blob "$W/m.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
		"$manifest" "$(stat -c %s "$W/m.json")" "$name" >"$L/index.json"
	IMAGE_ID=${config#sha256:}
}

small_image() {
	echo hello >"$W/hello.txt"
	make_layout app:1 "$W/hello.txt"
	run kiln load -i "$L"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: app:1" ]
}

image_ids() {
	kiln images -q | sort
}

# what the store holds, to show that a failed load changed nothing
snapshot() {
	(cd "$KILN_ROOT" && find . -path ./kiln -prune -o -type f -print | sort | xargs sha256sum)
}

@test "kiln load reads an OCI layout directory" {
	small_image
	run kiln images -q
	[ "$output" = "${IMAGE_ID:0:12}" ]
	run kiln images
	[[ "${lines[1]}" == "app "*" 1 "*" ${IMAGE_ID:0:12} "* ]]
}

@test "save and load round trip as docker-archive keeps the image ID and tags" {
	small_image
	kiln tag app:1 other/app:2
	kiln save -o "$W/a.tar" app:1 other/app:2
	tar -tf "$W/a.tar" >"$W/list"
	grep -qx manifest.json "$W/list"
	grep -qx "blobs/sha256/$IMAGE_ID" "$W/list"
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run kiln load -i "$W/a.tar"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Loaded image: app:1" ]
	[ "${lines[1]}" = "Loaded image: other/app:2" ]
	[ "$(image_ids)" = "${IMAGE_ID:0:12}" ]
	run kiln images
	[[ "$output" == *"other/app "*" 2 "*" ${IMAGE_ID:0:12} "* ]]
}

@test "save and load round trip as oci-archive, through a pipe" {
	small_image
	kiln save --format oci-archive app:1 | KILN_ROOT=$BATS_TEST_TMPDIR/store2 kiln load >"$W/out"
	[ "$(cat "$W/out")" = "Loaded image: app:1" ]
	[ "$(KILN_ROOT=$BATS_TEST_TMPDIR/store2 kiln images -q)" = "${IMAGE_ID:0:12}" ]
}

@test "kiln save writes the same bytes twice" {
	small_image
	kiln save -o "$W/a.tar" app:1
	kiln save -o "$W/b.tar" app:1
	cmp "$W/a.tar" "$W/b.tar"
	kiln save --format oci-archive -o "$W/c.tar" app:1
	kiln save --format oci-archive -o "$W/d.tar" app:1
	cmp "$W/c.tar" "$W/d.tar"
	[ "$(tar -tvf "$W/c.tar" | awk '{print $4}' | sort -u)" = "1970-01-01" ]
}

@test "skopeo inspects kiln's docker-archive and oci-archive" {
	need_tool skopeo
	small_image
	kiln save -o "$W/d.tar" app:1
	kiln save --format oci-archive -o "$W/o.tar" app:1
	run skopeo inspect "docker-archive:$W/d.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Digest\""* ]]
	run skopeo inspect --config "docker-archive:$W/d.tar"
	[ "$status" -eq 0 ]
	run skopeo inspect "oci-archive:$W/o.tar:app:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(sha256sum "$W/m.json" | cut -d' ' -f1)"* ]]
}

@test "kiln loads what skopeo copy writes as docker-archive" {
	need_tool skopeo
	echo hello >"$W/hello.txt"
	make_layout app:1 "$W/hello.txt"
	skopeo copy "oci:$L:app:1" "docker-archive:$W/s.tar:sk/app:3" >/dev/null
	run kiln load -i "$W/s.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: sk/app:3" ]
	[ "$(image_ids)" = "${IMAGE_ID:0:12}" ]
}

@test "podman loads kiln's docker-archive" {
	need_tool podman
	small_image
	kiln save -o "$W/d.tar" app:1
	local p=$BATS_TEST_TMPDIR/podman
	run podman --root "$p/root" --runroot "$p/run" --storage-driver vfs load -i "$W/d.tar"
	echo "$output"
	if [[ "$output" == *"cannot"*"namespace"* || "$output" == *"newuidmap"* || "$output" == *"unshare"* ]]; then
		skip "podman cannot run here: ${lines[-1]}"
	fi
	[ "$status" -eq 0 ]
	run podman --root "$p/root" --runroot "$p/run" --storage-driver vfs images --no-trunc --format '{{.ID}}'
	[[ "$output" == *"$IMAGE_ID"* ]]
}

@test "a corrupted blob is refused and the store stays as it was" {
	small_image
	kiln save --format oci-archive -o "$W/o.tar" app:1
	mkdir "$W/x" && tar -C "$W/x" -xf "$W/o.tar"
	# the layer: change one byte of the compressed data
	local lay=$(ls -S "$W/x/blobs/sha256" | head -1)
	printf 'X' | dd of="$W/x/blobs/sha256/$lay" bs=1 seek=20 conv=notrunc 2>/dev/null
	(cd "$W/x" && tar --sort=name -cf "$W/bad.tar" .)
	before=$(snapshot)
	run kiln load -i "$W/bad.tar"
	echo "$output"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == "kiln: load: "*"wrong digest"* ]]
	[ "$(snapshot)" = "$before" ]
	[ -z "$(ls "$KILN_ROOT/kiln/ingest")" ]
	# the same through a layout directory, and in a docker-archive
	run kiln load -i "$W/x"
	[ "$status" -eq 2 ]
	[ "$(snapshot)" = "$before" ]
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	kiln load -i "$L" >/dev/null
	kiln save -o "$W/d.tar" app:1
	mkdir "$W/y" && tar -C "$W/y" -xf "$W/d.tar"
	printf 'X' | dd of="$W/y/blobs/sha256/$lay" bs=1 seek=20 conv=notrunc 2>/dev/null
	(cd "$W/y" && tar --sort=name -cf "$W/bad2.tar" .)
	kiln rmi app:1 >/dev/null
	kiln prune >/dev/null
	before=$(snapshot)
	run kiln load -i "$W/bad2.tar"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$(snapshot)" = "$before" ]
	run kiln images -q
	[ -z "$output" ]
}

@test "bad input exits 2 with one line: not an archive, corrupt JSON, missing blob" {
	small_image
	before=$(snapshot)
	head -c 3000 /dev/urandom >"$W/junk"
	run kiln load -i "$W/junk"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == "kiln: load: "* ]]
	kiln save -o "$W/d.tar" app:1
	mkdir "$W/x" && tar -C "$W/x" -xf "$W/d.tar"
	echo '[{"Config":' >"$W/x/manifest.json"
	(cd "$W/x" && tar -cf "$W/bad.tar" .)
	run kiln load -i "$W/bad.tar"
	echo "$output"
	[ "$status" -eq 2 ]
	assert_one_error_line
	tar -C "$W/x" -xf "$W/d.tar"
	rm "$W/x/blobs/sha256/$IMAGE_ID"
	(cd "$W/x" && tar -cf "$W/bad.tar" .)
	run kiln load -i "$W/bad.tar"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing from the archive"* ]]
	[ "$(snapshot)" = "$before" ]
}

# two_platforms: an OCI layout in $L whose one image, multi:1, is an index
# of a manifest for this host and one for another platform; sets HOST_CFG,
# OTHER_MAN, OTHER_PLATFORM and INDEX
two_platforms() {
	local arch other man1 man2 cfg1 cfg2 lay1 lay2
	arch=$(host_arch)
	if [ "$arch" = amd64 ]; then other=arm64; else other=amd64; fi
	OTHER_PLATFORM=linux/$other
	for a in "$arch" "$other"; do
		mkdir -p "$W/r-$a"
		echo "$a" >"$W/r-$a/arch.txt"
		tar -C "$W/r-$a" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$W/l-$a.tar" .
		gzip -n -c "$W/l-$a.tar" >"$W/l-$a.tgz"
		local lay diffid cfg
		lay=$(put_blob "$W/l-$a.tgz")
		diffid=sha256:$(sha256sum "$W/l-$a.tar" | cut -d' ' -f1)
		printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
			"$a" "$diffid" >"$W/c-$a.json"
		cfg=$(put_blob "$W/c-$a.json")
		printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
			"$cfg" "$(stat -c %s "$W/c-$a.json")" "$lay" "$(stat -c %s "$W/l-$a.tgz")" >"$W/m-$a.json"
		eval "man_$a=\$(put_blob \"\$W/m-\$a.json\")"
		[ "$a" = "$arch" ] && HOST_CFG=$cfg
	done
	man1=$(eval echo "\$man_$arch")
	man2=$(eval echo "\$man_$other")
	OTHER_MAN=$man2
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"}}]}' \
		"$man1" "$(stat -c %s "$W/m-$arch.json")" "$arch" "$man2" "$(stat -c %s "$W/m-$other.json")" "$other" >"$W/i.json"
	INDEX=$(put_blob "$W/i.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"multi:1"}}]}' \
		"$INDEX" "$(stat -c %s "$W/i.json")" >"$L/index.json"
}

# the digests of blobs/sha256 in an archive, sorted
archive_blobs() {
	tar -tf "$1" | sed -n 's#^\(\./\)\?blobs/sha256/\([0-9a-f]\{64\}\)$#sha256:\2#p' | sort
}

@test "save of a multi-platform image: docker-archive keeps this host's platform, oci-archive the whole index" {
	two_platforms
	run kiln load -i "$L"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: multi:1" ]
	run kiln save --format oci-archive -o "$W/o.tar" multi:1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# every blob of the layout, the index kept as it was
	diff <(archive_blobs "$W/o.tar") <(ls "$L/blobs/sha256" | sed 's/^/sha256:/' | sort)
	tar -xOf "$W/o.tar" index.json | grep -q "\"digest\":\"$INDEX\""
	KILN_ROOT=$BATS_TEST_TMPDIR/o kiln load -i "$W/o.tar" | grep -q "Loaded image: multi:1"
	run kiln save -o "$W/d.tar" multi:1
	[ "$status" -eq 0 ]
	[ "$(tar -xOf "$W/d.tar" manifest.json)" = '[{"Config":"blobs/sha256/'"${HOST_CFG#sha256:}"'","RepoTags":["multi:1"],"Layers":["blobs/sha256/'"$(sha256sum "$W/l-$(host_arch).tgz" | cut -d' ' -f1)"'"]}]' ]
	[ "$(archive_blobs "$W/d.tar" | wc -l)" -eq 2 ]
	run kiln save --help
	[[ "$output" == *"docker-archive holds the platform of this"* ]]
}

@test "oci-archive of an index the store has only partly: the platforms it has, one warning" {
	two_platforms
	kiln load -i "$L" >/dev/null
	rm "$KILN_ROOT/blobs/sha256/${OTHER_MAN#sha256:}"
	if grep -q '^CONFIG_STORE=y' "$KILN_CONFIG"; then
		# an absent platform is no damage: fsck and prune accept it
		run kiln fsck
		echo "$output"
		[ "$status" -eq 0 ]
		run kiln prune
		[ "$status" -eq 0 ]
	fi
	run kiln save --format oci-archive -o "$W/o.tar" multi:1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"'multi:1': the store lacks $OTHER_PLATFORM of its index; the archive holds the other platforms"* ]]
	# a new index of the one platform, every blob it reaches in the archive
	! tar -xOf "$W/o.tar" index.json | grep -q "$INDEX"
	mkdir "$W/x"
	tar -C "$W/x" -xf "$W/o.tar"
	local idx
	idx=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$W/x/index.json")
	[ "$(grep -o '"digest"' "$W/x/blobs/sha256/$idx" | wc -l)" -eq 1 ]
	export KILN_ROOT=$BATS_TEST_TMPDIR/o
	run kiln load -i "$W/o.tar"
	[ "$status" -eq 0 ]
	run kiln images -q multi:1
	[ "$output" = "${HOST_CFG:7:12}" ]
}

@test "kill -9 during a big load, then images and prune leave a consistent store" {
	small_image
	local small=$IMAGE_ID
	head -c 100000000 /dev/urandom >"$W/big.bin"
	make_layout big:1 "$W/big.bin"
	(cd "$L" && tar -cf "$W/big.tar" .)
	before=$(snapshot)
	# the binary itself, not the kiln() function: a subshell would outlive the kill
	"$KILN" load -i "$W/big.tar" >/dev/null &
	local pid=$!
	# wait until it has written part of the layer into the ingest folder
	for _ in $(seq 200); do
		[ -n "$(find "$KILN_ROOT/kiln/ingest" -type f -size +1M 2>/dev/null)" ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ -n "$(ls "$KILN_ROOT/kiln/ingest")" ]
	diff <(echo "$before") <(snapshot)
	run kiln images -q
	[ "$output" = "${small:0:12}" ]
	run kiln prune
	[ "$status" -eq 0 ]
	[ -z "$(ls "$KILN_ROOT/kiln/ingest")" ]
	diff <(echo "$before") <(snapshot)
	run kiln load -i "$W/big.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: big:1" ]
}
