#!/usr/bin/env bats
# store.bats: the local image store as a user meets it: images, inspect,
# tag, rmi and prune on an OCI layout built by hand, checked with skopeo and
# umoci, which read the same layout.

load helpers

setup() {
	[[ "$BATS_TEST_DESCRIPTION" == *"not in this build"* ]] || require_feature STORE
	STORE=$BATS_TEST_TMPDIR/store
	export KILN_ROOT=$STORE
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W" "$STORE/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$STORE/oci-layout"
	ENTRIES=
}

# put a file in the store's blobs; prints its digest
put_blob() {
	local d
	d=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$STORE/blobs/sha256/$d"
	echo "sha256:$d"
}

# make_image NAME TEXT [PAD]: an image whose one layer holds hello.txt = TEXT,
# named NAME in index.json (NAME "" for none); PAD bytes of label make its
# config slow to read
make_image() {
	local name=$1 text=$2 r=$W/rootfs-$2 diffid layer lsize config csize manifest msize
	local labels="\"t\":\"$text\""
	[ -n "${3:-}" ] && labels="$labels,\"pad\":\"$(head -c "$3" /dev/zero | tr '\0' x)\""
	mkdir -p "$r"
	echo "$text" >"$r/hello.txt"
	tar -C "$r" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$W/l.tar" .
	diffid=sha256:$(sha256sum "$W/l.tar" | cut -d' ' -f1)
	gzip -n -c "$W/l.tar" >"$W/l.tgz"
	layer=$(put_blob "$W/l.tgz")
	lsize=$(stat -c %s "$W/l.tgz")
	printf '{"created":"2024-01-02T03:04:05Z","architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"Labels":{%s}},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"2024-01-02T03:04:05Z","created_by":"/bin/sh -c #(nop) ADD hello.txt /"}]}' \
		"$(host_arch)" "$labels" "$diffid" >"$W/c.json"
	config=$(put_blob "$W/c.json")
	csize=$(stat -c %s "$W/c.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
		"$config" "$csize" "$layer" "$lsize" >"$W/m.json"
	manifest=$(put_blob "$W/m.json")
	msize=$(stat -c %s "$W/m.json")
	local ann=
	[ -n "$name" ] && ann=$(printf ',"annotations":{"org.opencontainers.image.ref.name":"%s"}' "$name")
	ENTRIES="${ENTRIES:+$ENTRIES,}$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s%s}' "$manifest" "$msize" "$ann")"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$ENTRIES" >"$STORE/index.json"
	IMAGE_ID=${config#sha256:}
	MANIFEST=$manifest
	LAYER=$layer
}

host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l) echo arm ;;
	*) uname -m ;;
	esac
}

# what the store holds, to show that a failed command changed nothing
snapshot() {
	(cd "$STORE" && find . -path ./kiln -prune -o -type f -print | sort | xargs sha256sum)
}

@test "kiln images lists a hand-made OCI layout" {
	make_image app:1 one
	run kiln images
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "REPOSITORY"*"TAG"*"IMAGE ID"*"CREATED"*"SIZE" ]]
	[[ "${lines[1]}" == "app "*" 1 "*" ${IMAGE_ID:0:12} "*" ago "* ]]
	run kiln images -q
	[ "$output" = "${IMAGE_ID:0:12}" ]
}

@test "kiln images --format json prints one object per image" {
	make_image app:1 one
	run kiln images --format json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"Repository":"app","Tag":"1","ID":"sha256:'$IMAGE_ID'"'* ]]
}

@test "kiln images on an empty store creates a valid layout" {
	rm -rf "$STORE"
	run kiln images
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ -f "$STORE/oci-layout" ] && [ -f "$STORE/index.json" ] && [ -d "$STORE/blobs/sha256" ]
}

@test "kiln images REPOSITORY[:TAG] filters as docker does" {
	make_image app:1 one
	local one=$IMAGE_ID
	make_image app:2 two
	make_image other:1 three
	make_image "" four
	kiln tag app:1 localhost/app:1
	run kiln images app
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" == "app "*" "[12]" "* ]] && [[ "${lines[2]}" == "app "*" "[12]" "* ]]
	run kiln images --format json app:1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"Repository":"app","Tag":"1","ID":"sha256:'$one'"'* ]]
	# docker's normalisation: app is docker.io/library/app, not localhost/app
	run kiln images -q docker.io/library/app:2
	[ "${#lines[@]}" -eq 1 ]
	run kiln images --format json localhost/app
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"Repository":"localhost/app","Tag":"1",'* ]]
	# no match is an empty table, not an error
	run kiln images app:9
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	run kiln images App
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln images app other
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "images and inspect do not fail while rmi and prune remove images under them" {
	require_feature STORE_ARCHIVE
	local names=
	for i in 1 2 3 4 5 6 7 8; do
		make_image app:$i n$i
		names="$names app:$i"
	done
	kiln save --format oci-archive -o "$W/all.tar" $names
	# images reads this one first, slowly: the race's window
	ENTRIES=
	make_image keep:1 keep 12000000
	# rmi and prune in a loop, taking the blobs of images just listed
	(
		for _ in $(seq 12); do
			kiln load -q -i "$W/all.tar" && kiln rmi $names >/dev/null && kiln prune >/dev/null || exit 1
		done
	) 2>"$W/bg.err" &
	local bg=$! n=0
	while kill -0 "$bg" 2>/dev/null; do
		kiln images >/dev/null 2>>"$W/images.err" || echo "images exited $?" >>"$W/images.err"
		kiln inspect app:3 >/dev/null 2>>"$W/inspect.err" || true
		n=$((n + 1))
	done
	wait "$bg"
	echo "$n rounds" >&3
	cat "$W/bg.err" "$W/images.err"
	[ ! -s "$W/images.err" ]
	# inspect either shows the image or says there is no such image
	[ -z "$(grep -v "^kiln: inspect: no such image: 'app:3'" "$W/inspect.err")" ]
	run kiln images -q
	[ "${#lines[@]}" -eq 1 ]
}

@test "--root wins over KILN_ROOT" {
	make_image app:1 one
	run kiln --root "$BATS_TEST_TMPDIR/other" images -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "kiln inspect shows docker's fields and the manifest" {
	make_image app:1 one
	run kiln inspect app:1
	[ "$status" -eq 0 ]
	[[ "$output" == *'"Id": "sha256:'$IMAGE_ID'"'* ]]
	[[ "$output" == *'"RepoTags": ['$'\n''            "app:1"'$'\n''        ],'* ]]
	[[ "$output" == *'"Cmd": ['$'\n''                "/bin/sh"'$'\n''            ],'* ]]
	[[ "$output" == *'"Os": "linux"'* ]]
	[[ "$output" == *'"Manifest": {'* ]]
	# the same image by long name, by ID prefix and by name@digest
	run kiln inspect docker.io/library/app:1
	[ "$status" -eq 0 ]
	run kiln inspect "${IMAGE_ID:0:12}"
	[ "$status" -eq 0 ]
	run kiln inspect "app@$MANIFEST"
	[ "$status" -eq 0 ]
}

@test "kiln inspect is laid out as docker prints it: an array, 4 spaces, docker's field order" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	make_image app:1 one
	kiln tag app:1 app:2
	run kiln inspect app:1 app:2
	[ "$status" -eq 0 ]
	# Go's json.MarshalIndent(v, "", "    ") is Python's indent=4 layout
	diff <(echo "$output") <(echo "$output" | python3 -c '
import json, sys
print(json.dumps(json.load(sys.stdin), indent=4, ensure_ascii=False))')
	echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 2, d
keys = list(d[0])
want = ["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion",
        "Author", "Config", "Architecture", "Os", "Size", "RootFS", "Digest", "Manifest"]
assert keys == want, keys
assert d[0]["RepoTags"] == ["app:1", "app:2"], d[0]["RepoTags"]
assert d[0]["RepoDigests"] == ["app@" + d[0]["Digest"]] * 2, d[0]["RepoDigests"]
assert d[0]["RootFS"]["Type"] == "layers" and len(d[0]["RootFS"]["Layers"]) == 1
assert d[0]["Config"]["Labels"] == {"t": "one"}
assert d[0]["Created"] == "2024-01-02T03:04:05Z"
assert isinstance(d[0]["Size"], int)
'
}

@test "kiln inspect escapes <, > and & as docker does, and prints empty objects as {}" {
	make_image app:1 '<a&b>'
	run kiln inspect app:1
	[ "$status" -eq 0 ]
	[[ "$output" == *'"t": "\u003ca\u0026b\u003e"'* ]]
	printf '{"architecture":"%s","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' "$(host_arch)" >"$W/c0.json"
	local c0 m0
	c0=$(put_blob "$W/c0.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[]}' \
		"$c0" "$(stat -c %s "$W/c0.json")" >"$W/m0.json"
	m0=$(put_blob "$W/m0.json")
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"empty:1"}}]}' \
		"$m0" "$(stat -c %s "$W/m0.json")" >"$STORE/index.json"
	run kiln inspect empty:1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"Config": {},'* ]]
	[[ "$output" == *'"Layers": []'* ]]
}

@test "kiln inspect of a missing image or a bad name exits 2 with one line" {
	make_image app:1 one
	run kiln inspect app:2
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: inspect: no such image: 'app:2'" ]
	run kiln inspect 'App:1'
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"must be lowercase"* ]]
}

@test "kiln tag adds a name in docker's short form; skopeo and umoci find it" {
	make_image app:1 one
	run kiln tag app:1 localhost/other
	[ "$status" -eq 0 ]
	run kiln tag app:1 docker.io/library/third:2
	[ "$status" -eq 0 ]
	grep -q '"org.opencontainers.image.ref.name":"localhost/other:latest"' "$STORE/index.json"
	grep -q '"org.opencontainers.image.ref.name":"third:2"' "$STORE/index.json"
	run kiln images
	[ "${#lines[@]}" -eq 4 ]
	need_tool skopeo
	run skopeo inspect "oci:$STORE:third:2"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"t": "one"'* ]]
	need_tool umoci
	run umoci ls --layout "$STORE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"third:2"* ]]
}

@test "a tag that moves leaves the old image as <none>" {
	make_image app:1 one
	old=$IMAGE_ID
	make_image app:2 two
	run kiln tag app:2 app:1
	[ "$status" -eq 0 ]
	run kiln images
	[[ "$output" == *"<none>"*"<none>"*"${old:0:12}"* ]]
	run kiln inspect app:1
	[[ "$output" == *'"t": "two"'* ]]
}

@test "kiln tag with bad names exits 2 and changes nothing" {
	make_image app:1 one
	kiln images >/dev/null
	before=$(snapshot)
	run kiln tag app:1 'Bad:Name'
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln tag nothere:1 app:3
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln tag app:1 "app@sha256:$IMAGE_ID"
	[ "$status" -eq 2 ]
	run kiln tag app:1
	[ "$status" -eq 2 ]
	[ "$(snapshot)" = "$before" ]
}

@test "kiln rmi untags, then deletes; prune frees the blobs" {
	make_image app:1 one
	kiln tag app:1 app:x
	run kiln rmi app:1
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: app:1" ]
	run kiln rmi app:x
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Untagged: app:x" ]
	[ "${lines[1]}" = "Deleted: $MANIFEST" ]
	[ -f "$STORE/blobs/sha256/${LAYER#sha256:}" ]
	run kiln prune
	[ "$status" -eq 0 ]
	[[ "$output" == "Total reclaimed space: "*B ]]
	[ "$(ls "$STORE/blobs/sha256" | wc -l)" -eq 0 ]
}

@test "kiln rmi by ID with several names needs -f" {
	make_image app:1 one
	kiln tag app:1 app:2
	run kiln rmi "${IMAGE_ID:0:12}"
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln rmi -f "${IMAGE_ID:0:12}"
	[ "$status" -eq 0 ]
	run kiln images -q
	[ -z "$output" ]
}

@test "kiln rmi of a missing name exits 2 and changes nothing" {
	make_image app:1 one
	kiln images >/dev/null
	before=$(snapshot)
	run kiln rmi app:1 nothere
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: rmi: no such image: 'nothere'" ]
	[ "$(snapshot)" = "$before" ]
	run kiln rmi app:1
	[ "$status" -eq 0 ]
}

@test "kiln prune keeps what named images use and removes the rest" {
	make_image app:1 one
	keep_layer=$LAYER
	make_image "" two
	drop_layer=$LAYER
	echo junk >"$STORE/blobs/sha256/$(printf junk | sha256sum | cut -d' ' -f1)"
	mkdir -p "$STORE/kiln/ingest" "$STORE/kiln/layers/deadbeef"
	echo partial >"$STORE/kiln/ingest/blob-0000"
	echo partial >"$STORE/.tmp-12345678-index.json"
	run kiln prune
	[ "$status" -eq 0 ]
	[[ "$output" == "Total reclaimed space: "* ]]
	[ -f "$STORE/blobs/sha256/${keep_layer#sha256:}" ]
	[ ! -e "$STORE/blobs/sha256/${drop_layer#sha256:}" ]
	[ ! -e "$STORE/kiln/ingest/blob-0000" ]
	[ ! -e "$STORE/kiln/layers/deadbeef" ]
	[ ! -e "$STORE/.tmp-12345678-index.json" ]
	run kiln images -q
	[ "${#lines[@]}" -eq 1 ]
	run kiln prune
	[ "$output" = "Total reclaimed space: 0 B" ]
}

@test "prune deletes nothing when a named image's config is missing" {
	make_image app:1 one
	rm "$STORE/blobs/sha256/$IMAGE_ID"
	make_image "" two
	kiln images -q >/dev/null 2>&1 || true
	before=$(snapshot)
	run kiln prune
	[ "$status" -eq 1 ]
	assert_one_error_line
	[[ "$output" == "kiln: prune: image 'app:1': "*"is missing"* ]]
	[ "$(snapshot)" = "$before" ]
}

@test "a corrupt index.json is a failure (exit 1) and nothing changes" {
	make_image app:1 one
	printf '{"schemaVersion":2,"manifests":[{"digest":"sha256:00"}]}' >"$STORE/index.json"
	before=$(snapshot)
	for c in "images" "inspect app:1" "tag app:1 app:2" "rmi app:1" "prune"; do
		run kiln $c
		[ "$status" -eq 1 ]
		assert_one_error_line
		[[ "$output" == *"index.json"* ]]
	done
	[ "$(snapshot)" = "$before" ]
}

@test "skopeo copies an image out of the kiln store, and into it" {
	need_tool skopeo
	make_image app:1 one
	run skopeo copy "oci:$STORE:app:1" "oci:$W/copy:app:1"
	[ "$status" -eq 0 ]
	run skopeo copy "oci:$W/copy:app:1" "oci:$STORE:copied:1"
	[ "$status" -eq 0 ]
	run kiln inspect copied:1
	[ "$status" -eq 0 ]
	[[ "$output" == *'"t": "one"'* ]]
}

@test "umoci unpacks an image from the kiln store, and its tags resolve in kiln" {
	need_tool umoci
	make_image app:1 one
	kiln tag app:1 app:2
	run umoci unpack --rootless --image "$STORE:app:2" "$W/bundle"
	[ "$status" -eq 0 ]
	[ "$(cat "$W/bundle/rootfs/hello.txt")" = one ]
	run umoci tag --image "$STORE:app:1" umoci-made
	[ "$status" -eq 0 ]
	run kiln inspect umoci-made
	[ "$status" -eq 0 ]
	run kiln images
	[[ "$output" == *"<none>"*"umoci-made"* ]]
}

@test "commands of store features that are off are 'not in this build'" {
	if ! grep -q '^CONFIG_STORE=y' "$KILN_CONFIG"; then
		run kiln images
		[ "$status" -eq 2 ]
		[ "$output" = "kiln: 'images' is not in this build (CONFIG_STORE=n)" ]
	fi
	grep -q '^CONFIG_STORE_ARCHIVE=y' "$KILN_CONFIG" && skip "CONFIG_STORE_ARCHIVE is on"
	run kiln save -o x.tar app:1
	[ "$status" -eq 2 ]
	[ "$output" = "kiln: 'save' is not in this build (CONFIG_STORE_ARCHIVE=n)" ]
	run kiln unpack app:1 dir
	[ "$output" = "kiln: 'unpack' is not in this build (CONFIG_STORE_ROOTFS=n)" ]
}
