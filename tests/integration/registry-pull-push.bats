#!/usr/bin/env bats
# registry-pull-push.bats: kiln pull and kiln push against a real registry
# (Debian's docker-registry, distribution 2.8, plain HTTP on loopback, so
# --tls-verify=false), checked with skopeo, which pushes what kiln pulls and
# reads what kiln pushes; regserver.py in front where requests are counted.

load helpers
load registry
bats_require_minimum_version 1.5.0

setup() {
	require_feature REGISTRY
	reg_require
	reg_env
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
}

teardown() {
	reg_stop_all
}


@test "kiln pulls what skopeo pushed: Digest, Status, the full name, verified blobs" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	# stored under the name as pulled, with the registry's digests
	[ "$(oci_ref_digest "$KILN_ROOT" "$REG/busybox:1")" = "$BB_MANIFEST" ]
	read -r m c _ l < <(oci_digests "$KILN_ROOT" "$REG/busybox:1")
	[ "$m" = "$BB_MANIFEST" ]
	[ "$c" = "$BB_CONFIG" ]
	[ "$l" = "$BB_LAYER" ]
	blobs_verify
	[ -z "$(store_ingest)" ]
	run kiln images -q "$REG/busybox:1"
	[ "$output" = "${BB_CONFIG:7:12}" ]
	run kiln inspect "$REG/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Digest\": \"$BB_MANIFEST\""* ]]
	[[ "$output" == *"\"$REG/busybox:1\""* ]]
}

@test "pulling again says the image is up to date and fetches no blob" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	rs_start
	run --separate-stderr kiln pull --tls-verify=false "$RS/busybox:1"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	[ "$(rs_blob_gets "$BB_LAYER")" -eq 1 ]
	[ "$(rs_blob_gets "$BB_CONFIG")" -eq 1 ]
	run --separate-stderr kiln pull --tls-verify=false "$RS/busybox:1"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" uptodate
	[ "$(rs_blob_gets "$BB_LAYER")" -eq 1 ]
	[ "$(rs_blob_gets "$BB_CONFIG")" -eq 1 ]
}

@test "blobs already in the store are not fetched again for another image" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	# the same layer under another config
	reg_src_import bb:2 "" --change 'ENV V=2'
	reg_push_src bb:2 "$REG/busybox:2"
	read -r m2 c2 _ l2 < <(oci_digests "$REG_SRC" bb:2)
	[ "$l2" = "$BB_LAYER" ]
	[ "$c2" != "$BB_CONFIG" ]
	rs_start
	run --separate-stderr kiln pull --tls-verify=false "$RS/busybox:1"
	[ "$status" -eq 0 ]
	run --separate-stderr kiln pull --tls-verify=false "$RS/busybox:2"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_pulled "$m2" "$RS/busybox:2" downloaded
	[ "$(rs_blob_gets "$BB_LAYER")" -eq 1 ]
	[ "$(rs_blob_gets "$c2")" -eq 1 ]
	blobs_verify
}

@test "pull -q prints only the full reference; a name without a tag is :latest" {
	reg_start
	reg_push_busybox "$REG/busybox:latest"
	run --separate-stderr kiln pull -q --tls-verify=false "$REG/busybox"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/busybox:latest" ]
	[ "$(oci_ref_digest "$KILN_ROOT" "$REG/busybox:latest")" = "$BB_MANIFEST" ]
}

@test "push then pull: the same manifest and config digests both ways" {
	reg_start
	kiln import "$(reg_busybox_tar)" "$REG/app:1" >/dev/null
	read -r m c s l < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	run --separate-stderr kiln push --tls-verify=false --digestfile "$W/digest" "$REG/app:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pushed 1
	[ "$PUSHED_DIGEST" = "$m" ]
	[ "$PUSHED_SIZE" = "$s" ]
	[ "$(cat "$W/digest")" = "$m" ]
	# the registry serves those bytes
	[ "$(reg_manifest_info app 1 | head -n 1)" = "$m" ]
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull --tls-verify=false "$REG/app:1"
	[ "$status" -eq 0 ]
	assert_pulled "$m" "$REG/app:1" downloaded
	read -r m2 c2 s2 l2 < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	[ "$m2" = "$m" ]
	[ "$c2" = "$c" ]
	[ "$s2" = "$s" ]
	[ "$l2" = "$l" ]
	blobs_verify
}

@test "push IMAGE DESTINATION sends a local name to another reference" {
	reg_start
	kiln import "$(reg_busybox_tar)" app:1 >/dev/null
	read -r m _ s _ < <(oci_digests "$KILN_ROOT" app:1)
	run --separate-stderr kiln push --tls-verify=false app:1 "$REG/team/app:2"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_pushed 2
	[ "$PUSHED_DIGEST" = "$m" ]
	[ "$PUSHED_SIZE" = "$s" ]
	[ "$(reg_manifest_info team/app 2 | head -n 1)" = "$m" ]
	# a second push finds every blob there and says the same
	run --separate-stderr kiln push --tls-verify=false app:1 "$REG/team/app:2"
	[ "$status" -eq 0 ]
	assert_pushed 2
	[ "$PUSHED_DIGEST" = "$m" ]
}

@test "skopeo inspects what kiln pushed, and its copies keep the digest" {
	reg_start
	kiln import "$(reg_busybox_tar)" "$REG/app:1" >/dev/null
	read -r m c _ _ < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	run --separate-stderr kiln push --tls-verify=false "$REG/app:1"
	[ "$status" -eq 0 ]
	run sko inspect --tls-verify=false "docker://$REG/app:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Digest\": \"$m\""* ]]
	[[ "$output" == *"\"Architecture\": \"$(reg_host_arch)\""* ]]
	[ "sha256:$(sko inspect --tls-verify=false --raw --config "docker://$REG/app:1" | sha256sum | cut -d' ' -f1)" = "$c" ]
	sko copy -q --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
		"docker://$REG/app:1" "docker://$REG/copied:1"
	[ "$(reg_manifest_info copied 1 | head -n 1)" = "$m" ]
	sko copy -q --src-tls-verify=false "docker://$REG/app:1" "oci:$W/layout:app"
	read -r m3 c3 _ _ < <(oci_digests "$W/layout" app)
	[ "$m3" = "$m" ]
	[ "$c3" = "$c" ]
}

@test "push --format docker writes a Docker schema 2 manifest that skopeo and kiln read back" {
	reg_start
	kiln import "$(reg_busybox_tar)" "$REG/app:1" >/dev/null
	read -r m c _ _ < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	run --separate-stderr kiln push --tls-verify=false --format docker --digestfile "$W/digest" "$REG/app:1"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_pushed 1
	[ "$(cat "$W/digest")" = "$PUSHED_DIGEST" ]
	[ "$PUSHED_DIGEST" != "$m" ]
	run reg_manifest_info app 1
	[ "${lines[0]}" = "$PUSHED_DIGEST" ]
	[ "${lines[1]}" = "application/vnd.docker.distribution.manifest.v2+json" ]
	run sko inspect --tls-verify=false "docker://$REG/app:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Digest\": \"$PUSHED_DIGEST\""* ]]
	# the config is the same bytes: the image ID stays
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull --tls-verify=false "$REG/app:1"
	[ "$status" -eq 0 ]
	assert_pulled "$PUSHED_DIGEST" "$REG/app:1" downloaded
	run kiln images -q "$REG/app:1"
	[ "$output" = "${c:7:12}" ]
}

@test "pull by digest stores the image under NAME@DIGEST" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox@$BB_MANIFEST"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox@$BB_MANIFEST" downloaded
	blobs_verify
	run kiln inspect "$REG/busybox@$BB_MANIFEST"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Id\": \"$BB_CONFIG\""* ]]
}

@test "a tag or repository that does not exist: exit 1, one line naming it, the store unchanged" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox:nope"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG/busybox:nope"* ]]
	[ "$(store_snapshot)" = "$before" ]
	[ -z "$(store_ingest)" ]
	run --separate-stderr kiln pull --tls-verify=false "$REG/nothere:1"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG/nothere:1"* ]]
	# a digest the repository does not have
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox@sha256:$(printf x | sha256sum | cut -d' ' -f1)"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[ "$(store_snapshot)" = "$before" ]
}

@test "a bad reference or flag exits 2 with one line and leaves the store alone" {
	reg_seed_store
	before=$(store_snapshot)
	local ref
	for ref in "127.0.0.1:5000/BusyBox:1" "127.0.0.1:5000/busybox:" "127.0.0.1:5000/busybox@sha256:1234" \
		"127.0.0.1:5000//busybox" "busy box" "127.0.0.1:5000/busybox:$(printf 't%.0s' $(seq 130))" ""; do
		run --separate-stderr kiln pull --tls-verify=false "$ref"
		echo "$ref: $status $stderr"
		[ "$status" -eq 2 ]
		assert_one_stderr_line pull
	done
	run --separate-stderr kiln pull --bogus 127.0.0.1:5000/busybox:1
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	run --separate-stderr kiln pull --platform not/a/platform/at/all 127.0.0.1:5000/busybox:1
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	run --separate-stderr kiln pull
	[ "$status" -eq 2 ]
	run --separate-stderr kiln push --tls-verify=false "127.0.0.1:5000/BAD:1"
	[ "$status" -eq 2 ]
	assert_one_stderr_line push
	# an image the store does not have is bad input too
	run --separate-stderr kiln push --tls-verify=false nothere:1 127.0.0.1:5000/x:1
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line push
	[[ "$stderr" == *"nothere:1"* ]]
	[ "$(store_snapshot)" = "$before" ]
}

@test "a refused connection: exit 1, one line naming the registry, the store unchanged" {
	reg_seed_store
	before=$(store_snapshot)
	local port
	port=$(reg_free_port)
	run --separate-stderr timeout 120 "$KILN" pull --tls-verify=false "127.0.0.1:$port/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"127.0.0.1:$port"* ]]
	[ "$(store_snapshot)" = "$before" ]
	run --separate-stderr timeout 120 "$KILN" push --tls-verify=false local:1 "127.0.0.1:$port/x:1"
	[ "$status" -eq 1 ]
	assert_one_stderr_line push
	[[ "$stderr" == *"127.0.0.1:$port"* ]]
}

# the index in $REG as multi:1, or skip when busybox-static for both
# platforms cannot be had
multiarch() {
	local rc=0
	reg_push_multiarch multi:1 2>"$W/multiarch.err" || rc=$?
	[ "$rc" -ne 3 ] || skip "no busybox-static for amd64 and arm64: $(tail -n 1 "$W/multiarch.err")"
	[ "$rc" -eq 0 ] || { cat "$W/multiarch.err"; return 1; }
}

@test "an index pulled with --platform linux/arm64: the index and arm64's blobs only" {
	reg_start
	multiarch
	run --separate-stderr kiln pull --tls-verify=false --platform linux/arm64 "$REG/multi:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$IDX_DIGEST" "$REG/multi:1" downloaded
	[ "$(oci_ref_digest "$KILN_ROOT" "$REG/multi:1")" = "$IDX_DIGEST" ]
	has_blob "$IDX_DIGEST"
	has_blob "$ARM_MANIFEST"
	has_blob "$ARM_CONFIG"
	has_blob "$ARM_LAYER"
	lacks_blob "$AMD_MANIFEST"
	lacks_blob "$AMD_CONFIG"
	lacks_blob "$AMD_LAYER"
	blobs_verify
	grep -q '"architecture":"arm64"' "$KILN_ROOT/blobs/sha256/${ARM_CONFIG#sha256:}"
	run kiln images -q "$REG/multi:1"
	[ "$output" = "${ARM_CONFIG:7:12}" ]
	run kiln inspect "$REG/multi:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"Architecture": "arm64"'* ]]
}

@test "an index pulled without --platform takes this host's platform" {
	case $(reg_host_arch) in amd64 | arm64) ;; *) skip "the test index has amd64 and arm64 only" ;; esac
	reg_start
	multiarch
	run --separate-stderr kiln pull --tls-verify=false "$REG/multi:1"
	[ "$status" -eq 0 ]
	assert_pulled "$IDX_DIGEST" "$REG/multi:1" downloaded
	if [ "$(reg_host_arch)" = amd64 ]; then
		has_blob "$AMD_LAYER"
		lacks_blob "$ARM_LAYER"
	else
		has_blob "$ARM_LAYER"
		lacks_blob "$AMD_LAYER"
	fi
	run kiln inspect "$REG/multi:1"
	[[ "$output" == *"\"Architecture\": \"$(reg_host_arch)\""* ]]
}

@test "pull --jobs 1 of a multi-layer image gives the same store as the default" {
	reg_start
	mkdir -p "$W/t1" "$W/t2"
	head -c 300000 /dev/urandom >"$W/t1/a"
	head -c 200000 /dev/urandom >"$W/t2/b"
	# three layers by hand: busybox's and two more, as an OCI layout skopeo copies
	reg_src_import bb:1
	sko copy -q "oci:$REG_SRC:bb:1" "oci:$W/layout:multi"
	python3 - "$W/layout" "$W/t1" "$W/t2" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
lay = sys.argv[1]
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(lay, "blobs", "sha256", d), "wb").write(data)
    return "sha256:" + d
def blob(d):
    return open(os.path.join(lay, "blobs", "sha256", d[7:]), "rb").read()
idx = json.load(open(os.path.join(lay, "index.json")))
man = json.loads(blob(idx["manifests"][0]["digest"]))
cfg = json.loads(blob(man["config"]["digest"]))
for tree in sys.argv[2:]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for f in sorted(os.listdir(tree)):
            info = t.gettarinfo(os.path.join(tree, f), arcname=f)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            t.addfile(info, open(os.path.join(tree, f), "rb"))
    gz = gzip.compress(raw.getvalue(), mtime=0)
    cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(raw.getvalue()).hexdigest())
    if "history" in cfg:
        cfg["history"].append({"created": "2024-01-01T00:00:00Z", "created_by": "test layer"})
    man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                          "digest": put(gz), "size": len(gz)})
c = json.dumps(cfg, separators=(",", ":")).encode()
man["config"]["digest"], man["config"]["size"] = put(c), len(c)
m = json.dumps(man, separators=(",", ":")).encode()
idx["manifests"][0]["digest"], idx["manifests"][0]["size"] = put(m), len(m)
json.dump(idx, open(os.path.join(lay, "index.json"), "w"))
PY
	sko copy -q --preserve-digests --dest-tls-verify=false "oci:$W/layout:multi" "docker://$REG/layers:1"
	read -r m c _ l1 l2 l3 < <(oci_digests "$W/layout" multi)
	[ -n "$l3" ]
	run --separate-stderr kiln pull --tls-verify=false --jobs 1 "$REG/layers:1"
	[ "$status" -eq 0 ]
	assert_pulled "$m" "$REG/layers:1" downloaded
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull --tls-verify=false --jobs 4 "$REG/layers:1"
	[ "$status" -eq 0 ]
	assert_pulled "$m" "$REG/layers:1" downloaded
	for d in "$m" "$c" "$l1" "$l2" "$l3"; do
		has_blob "$d" "$BATS_TEST_TMPDIR/store"
		has_blob "$d"
	done
	blobs_verify
	blobs_verify "$BATS_TEST_TMPDIR/store"
}

@test "HTTP_PROXY carries a pull from a plain-HTTP registry; NO_PROXY bypasses it" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	rs_start --proxy --map "$REG_PROXY_NAME=127.0.0.1"
	local via=$REG_PROXY_NAME:${REG##*:}
	HTTP_PROXY=http://$RS HTTPS_PROXY=http://$RS run --separate-stderr \
		kiln pull --tls-verify=false "$via/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$via/busybox:1" downloaded
	[ "$(rs_stat "len([r for r in s['requests'] if r['path'] == '/v2/busybox/manifests/1' and r['status'] == 200])")" -ge 1 ]
	[ "$(rs_stat "len([r for r in s['requests'] if r['method'] == 'GET' and r['path'] == '/v2/busybox/blobs/$BB_LAYER'])")" -eq 1 ]
	# NO_PROXY names it: kiln goes there itself, and cannot find the host
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	local seen
	seen=$(rs_stat "len(s['requests'])")
	HTTP_PROXY=http://$RS HTTPS_PROXY=http://$RS NO_PROXY=.kiln.test run --separate-stderr \
		kiln pull --tls-verify=false "$via/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$REG_PROXY_NAME"* ]]
	[ "$(rs_stat "len(s['requests'])")" -eq "$seen" ]
	# loopback never goes through a proxy, as in Go (docker, buildah, skopeo)
	HTTP_PROXY=http://$RS HTTPS_PROXY=http://$RS run --separate-stderr \
		kiln pull --tls-verify=false "$REG/busybox:1"
	[ "$status" -eq 0 ]
	[ "$(rs_stat "len(s['requests'])")" -eq "$seen" ]
}

@test "push mounts a blob another repository of the registry has, and sends a large one in chunks" {
	require_feature BUILD
	reg_start
	reg_push_busybox "$REG/base:1"
	rs_start
	run --separate-stderr kiln pull --tls-verify=false "$RS/base:1"
	[ "$status" -eq 0 ]
	# an image on that base with one incompressible 40 MiB layer
	mkdir -p "$W/ctx"
	head -c $((40 << 20)) /dev/urandom >"$W/ctx/big"
	printf 'FROM %s\nCOPY big /big\n' "$RS/base:1" >"$W/ctx/Dockerfile"
	run kiln build --tls-verify=false -q -t "$RS/app:1" "$W/ctx"
	[ "$status" -eq 0 ]
	read -r m _ _ l1 l2 < <(oci_digests "$KILN_ROOT" "$RS/app:1")
	[ "$l1" = "$BB_LAYER" ]
	run --separate-stderr kiln push --tls-verify=false "$RS/app:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"${BB_LAYER:7:12}: Mounted from base"* ]]
	[[ "$output" == *"${l2:7:12}: Pushed"* ]]
	[ "${lines[-1]}" = "1: digest: $m size: $(stat -c %s "$KILN_ROOT/blobs/sha256/${m#sha256:}")" ]
	# the registry mounted the base layer (201) and took none of its bytes
	[ "$(rs_stat "len([r for r in s['requests'] if r['method'] == 'POST' and 'mount=$BB_LAYER' in r['query'] and 'from=base' in r['query'] and r['status'] == 201])")" -eq 1 ]
	[ "$(rs_stat "len([r for r in s['requests'] if r['method'] in ('PUT', 'PATCH') and '$BB_LAYER' in r['query']])")" -eq 0 ]
	# the big layer went up as PATCH chunks, then one PUT with its digest
	[ "$(rs_stat "len([r for r in s['requests'] if r['method'] == 'PATCH' and r['status'] == 202])")" -ge 2 ]
	[ "$(rs_stat "len([r for r in s['requests'] if r['method'] == 'PUT' and 'digest=$l2' in r['query'] and r['status'] == 201])")" -eq 1 ]
	# and what the registry holds is what kiln had, byte for byte
	[ "$(sko inspect --raw --tls-verify=false "docker://$REG/app:1" | sha256sum | cut -d' ' -f1)" = "${m#sha256:}" ]
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull --tls-verify=false "$REG/app:1"
	[ "$status" -eq 0 ]
	has_blob "$l2"
}

@test "a registry on the IPv6 loopback: push and pull by [::1]:PORT" {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 loopback here"
	reg_start --ipv6 --tls
	[[ "$REG" == "[::1]:"* ]]
	reg_trust "$REG"
	kiln import "$(reg_busybox_tar)" "$REG/bb:6" >/dev/null
	run --separate-stderr kiln push "$REG/bb:6"
	echo "$stderr"
	[ "$status" -eq 0 ]
	read -r m _ < <(oci_digests "$KILN_ROOT" "$REG/bb:6")
	[ "${lines[-1]}" = "6: digest: $m size: $(stat -c %s "$KILN_ROOT/blobs/sha256/${m#sha256:}")" ]
	export KILN_ROOT=$BATS_TEST_TMPDIR/store6
	run --separate-stderr kiln pull "$REG/bb:6"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$m" "$REG/bb:6" downloaded
}
