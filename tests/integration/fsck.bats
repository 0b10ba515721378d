#!/usr/bin/env bats
# fsck.bats: kiln fsck finds what is wrong with a store (bad blobs, missing
# blobs, a broken index.json, leftovers of killed processes) and --repair
# makes the store usable again without touching what is still good.

load helpers

setup() {
	require_feature STORE
	STORE=$BATS_TEST_TMPDIR/store
	export KILN_ROOT=$STORE
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W" "$STORE/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$STORE/oci-layout"
	ENTRIES=
}

put_blob() {
	local d
	d=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$STORE/blobs/sha256/$d"
	echo "sha256:$d"
}

host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l) echo arm ;;
	*) uname -m ;;
	esac
}

# make_image NAME TEXT: a one-layer image (hello.txt = TEXT) named NAME
make_image() {
	local name=$1 text=$2 r=$W/rootfs-$2 diffid
	mkdir -p "$r"
	echo "$text" >"$r/hello.txt"
	tar -C "$r" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$W/l.tar" .
	diffid=sha256:$(sha256sum "$W/l.tar" | cut -d' ' -f1)
	gzip -n -c "$W/l.tar" >"$W/l.tgz"
	LAYER=$(put_blob "$W/l.tgz")
	printf '{"created":"2024-01-02T03:04:05Z","architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$(host_arch)" "$diffid" >"$W/c.json"
	CONFIG=$(put_blob "$W/c.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
		"$CONFIG" "$(stat -c %s "$W/c.json")" "$LAYER" "$(stat -c %s "$W/l.tgz")" >"$W/m.json"
	MANIFEST=$(put_blob "$W/m.json")
	ENTRIES="${ENTRIES:+$ENTRIES,}$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}' \
		"$MANIFEST" "$(stat -c %s "$W/m.json")" "$name")"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$ENTRIES" >"$STORE/index.json"
	IMAGE_ID=${CONFIG#sha256:}
}

snapshot() {
	(cd "$STORE" && find . -type f ! -name '*.lock' -print | sort | xargs sha256sum)
}

@test "fsck of a clean store prints only the summary and exits 0" {
	make_image app:1 one
	make_image app:2 two
	kiln tag app:1 other:1
	run kiln fsck
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^"fsck: 2 images, 6 blobs ("[0-9.]+" "[kMG]?"B): no problems"$ ]]
	run kiln fsck --repair
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "a flipped byte in a layer: fsck names blob and image, --repair unnames only that image" {
	make_image app:1 one
	bad=$LAYER
	make_image app:2 two
	local f=$STORE/blobs/sha256/${bad#sha256:}
	printf '\x00' | dd of="$f" bs=1 seek=30 conv=notrunc 2>/dev/null
	before=$(snapshot)
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "blob '$bad': corrupt, its content hashes to 'sha256:"*"' (layer of image 'app:1')" ]]
	[[ "${lines[1]}" == "fsck: 2 images, 6 blobs ("*"): 1 problem; 'kiln fsck --repair' fixes what it can" ]]
	# checking changes nothing
	[ "$(snapshot)" = "$before" ]
	run kiln fsck --repair
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"repaired: removed 'app:1' from index.json: its blobs are missing or corrupt"* ]]
	[[ "$output" == *"repaired: removed 'blobs/sha256/${bad#sha256:}' (corrupt)"* ]]
	[[ "${lines[-1]}" == *": 1 problem, 2 repaired" ]]
	[ ! -e "$f" ]
	run kiln fsck
	[ "$status" -eq 0 ]
	run kiln images --format json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"Repository":"app","Tag":"2"'* ]]
	# the good image still unpacks from its blobs
	if grep -q '^CONFIG_STORE_ROOTFS=y' "$KILN_CONFIG"; then
		kiln unpack app:2 "$W/out"
		[ "$(cat "$W/out/hello.txt")" = two ]
	fi
}

@test "a missing config blob: fsck reports it, --repair removes every name of the image" {
	make_image app:1 one
	make_image app:2 two
	kiln tag app:2 app:latest
	rm "$STORE/blobs/sha256/$IMAGE_ID"
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "blob 'sha256:$IMAGE_ID': missing (config of image 'app:2')" ]
	[ "${#lines[@]}" -eq 2 ]
	run kiln fsck --repair
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"repaired: removed 'app:2' from index.json"* ]]
	[[ "$output" == *"repaired: removed 'app:latest' from index.json"* ]]
	run kiln fsck
	[ "$status" -eq 0 ]
	run kiln images --format json
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"Tag":"1"'* ]]
}

@test "a descriptor whose size is wrong and a config with too few diff_ids are problems" {
	make_image app:1 one
	# the index entry gives the manifest a size that is not its own
	sed -i 's/"size":\([0-9]*\),"annotations"/"size":1\1,"annotations"/' "$STORE/index.json"
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "blob '$MANIFEST': "*" bytes, its descriptor says "*" (manifest of image 'app:1')" ]]
	ENTRIES=
	make_image app:2 two
	printf '{"architecture":"%s","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' "$(host_arch)" >"$W/c0.json"
	local c0
	c0=$(put_blob "$W/c0.json")
	sed -e "s/$CONFIG/$c0/" -e "s/\"size\":[0-9]*},\"layers\"/\"size\":$(stat -c %s "$W/c0.json")},\"layers\"/" \
		"$W/m.json" >"$W/m0.json"
	local m0
	m0=$(put_blob "$W/m0.json")
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"zero:1"}}]}' \
		"$m0" "$(stat -c %s "$W/m0.json")" >"$STORE/index.json"
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "blob '$c0': 0 diff_ids for the manifest's 1 layers (config of image 'zero:1')" ]
}

@test "a truncated index.json is one clear line, and --repair leaves it for a restore" {
	make_image app:1 one
	truncate -s 60 "$STORE/index.json"
	before=$(snapshot)
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "'index.json': "*"(not repaired: no image can be checked or named; restore it from a backup)" ]]
	[[ "${lines[1]}" == "fsck: 0 images, 3 blobs ("*"): 1 problem;"* ]]
	run kiln fsck --repair
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"1 problem, 0 repaired" ]]
	[ "$(snapshot)" = "$before" ]
}

@test "a stray ingest file and a half-unpacked layer are reported, kept while a writer holds the store, removed by --repair" {
	make_image app:1 one
	mkdir -p "$STORE/kiln/ingest" "$STORE/kiln/layers/.tmp-abc-0001/etc" "$STORE/kiln/layers/junk"
	echo partial >"$STORE/kiln/ingest/blob-00000000000000aa"
	echo partial >"$STORE/.tmp-0badf00d-index.json"
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'kiln/ingest/blob-00000000000000aa': temporary file of an interrupted kiln process"* ]]
	[[ "$output" == *"'kiln/layers/.tmp-abc-0001': half-unpacked layer of an interrupted kiln process"* ]]
	[[ "$output" == *"'kiln/layers/junk': not an unpacked layer (not named by a diff_id)"* ]]
	[[ "$output" == *"'.tmp-0badf00d-index.json': temporary file of an interrupted kiln process"* ]]
	[[ "${lines[-1]}" == *": 4 problems; "* ]]
	# a live writer holds gc.lock shared: its files are not problems
	command -v flock >/dev/null || skip "flock is not installed"
	flock -s "$STORE/kiln/gc.lock" sleep 30 &
	local holder=$!
	sleep 0.3
	run kiln fsck
	echo "$output"
	[[ "$output" == *"note: 'kiln/ingest/blob-00000000000000aa' belongs to a kiln process still running"* ]]
	[[ "$output" != *"temporary file"*"blob-00000000000000aa"* ]]
	kill "$holder"
	wait "$holder" || true
	run kiln fsck --repair
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *": 4 problems, 4 repaired" ]]
	[ -z "$(ls -A "$STORE/kiln/ingest")" ]
	[ -z "$(ls -A "$STORE/kiln/layers")" ]
	[ ! -e "$STORE/.tmp-0badf00d-index.json" ]
	run kiln fsck
	[ "$status" -eq 0 ]
}

@test "kill -9 during a big load, then fsck --repair: images works and fsck is clean" {
	require_feature STORE_ARCHIVE
	make_image app:1 one
	local L=$W/layout
	mkdir -p "$L/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
	head -c 100000000 /dev/urandom >"$W/big.bin"
	tar -C "$W" -cf "$W/big-layer.tar" big.bin
	local diffid lay cfg man
	diffid=$(sha256sum "$W/big-layer.tar" | cut -d' ' -f1)
	cp "$W/big-layer.tar" "$L/blobs/sha256/$diffid"
	printf '{"architecture":"%s","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$(host_arch)" "$diffid" >"$W/bc.json"
	cfg=$(sha256sum "$W/bc.json" | cut -d' ' -f1)
	cp "$W/bc.json" "$L/blobs/sha256/$cfg"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$cfg" "$(stat -c %s "$W/bc.json")" "$diffid" "$(stat -c %s "$W/big-layer.tar")" >"$W/bm.json"
	man=$(sha256sum "$W/bm.json" | cut -d' ' -f1)
	cp "$W/bm.json" "$L/blobs/sha256/$man"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"big:1"}}]}' \
		"$man" "$(stat -c %s "$W/bm.json")" >"$L/index.json"
	(cd "$L" && tar -cf "$W/big.tar" .)
	# the binary itself, not the kiln() function: a subshell would outlive the kill
	"$KILN" load -i "$W/big.tar" >/dev/null &
	local pid=$!
	for _ in $(seq 200); do
		[ -n "$(find "$STORE/kiln/ingest" -type f -size +1M 2>/dev/null)" ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ -n "$(ls "$STORE/kiln/ingest")" ]
	run kiln fsck
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'kiln/ingest/blob-"*"': temporary file of an interrupted kiln process"* ]]
	run kiln fsck --repair
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"repaired: removed 'kiln/ingest/blob-"* ]]
	[ -z "$(ls "$STORE/kiln/ingest")" ]
	run kiln images -q
	[ "$status" -eq 0 ]
	[ "$output" = "${IMAGE_ID:0:12}" ]
	run kiln fsck
	echo "$output"
	[ "$status" -eq 0 ]
	run kiln load -i "$W/big.tar"
	[ "$status" -eq 0 ]
	run kiln fsck
	[ "$status" -eq 0 ]
	[[ "$output" == "fsck: 2 images, 6 blobs ("* ]]
}
