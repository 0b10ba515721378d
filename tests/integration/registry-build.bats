#!/usr/bin/env bats
# registry-build.bats: kiln build with registries: FROM an image that is only
# in a registry pulls it (--pull=missing, the default), --pull=never and
# --pull=always, and --push of every -t tag, checked with skopeo.

load helpers
load registry
bats_require_minimum_version 1.5.0

setup() {
	require_feature REGISTRY
	require_feature BUILD
	reg_require
	reg_env
	W=$BATS_TEST_TMPDIR/work
	CTX=$W/ctx
	mkdir -p "$CTX"
	echo hello >"$CTX/hello.txt"
}

teardown() {
	reg_stop_all
}

# a Dockerfile FROM $1 that adds a file
dockerfile() {
	printf 'FROM %s\nCOPY hello.txt /hello.txt\nLABEL test=registry-build\n' "$1" >"$CTX/Dockerfile"
}

# the config digest of an image in the store (empty when it is not there)
image_id() {
	kiln images -q "$1" 2>/dev/null
}

@test "FROM an image only in a registry pulls it on demand" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	dockerfile "$REG/busybox:1"
	run kiln build --tls-verify=false -t app:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	# the base is in the store under its name, with the registry's digests
	[ "$(oci_ref_digest "$KILN_ROOT" "$REG/busybox:1")" = "$BB_MANIFEST" ]
	[ "$(image_id "$REG/busybox:1")" = "${BB_CONFIG:7:12}" ]
	# and under the image built on it
	kiln export app:1 -o "$W/rootfs.tar"
	tar -tf "$W/rootfs.tar" | grep -qx './hello.txt\|hello.txt'
	tar -tf "$W/rootfs.tar" | grep -q 'bin/busybox$'
	read -r _ _ _ l _ < <(oci_digests "$KILN_ROOT" app:1)
	[ "$l" = "$BB_LAYER" ]
}

@test "the insecure-registries list serves builds too; a pull through FROM uses the stored credentials" {
	reg_start --user alice:secret
	reg_push_busybox "$REG/busybox:1" --dest-creds alice:secret
	mkdir -p "$XDG_CONFIG_HOME/kiln"
	printf '{"insecure-registries": ["%s"]}\n' "$REG" >"$XDG_CONFIG_HOME/kiln/config.json"
	run --separate-stderr kiln login -u alice -p secret "$REG"
	[ "$status" -eq 0 ]
	dockerfile "$REG/busybox:1"
	run kiln build -t app:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(image_id "$REG/busybox:1")" = "${BB_CONFIG:7:12}" ]
}

@test "--pull=never fails when the base is not in the store, and asks no registry" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	rs_start
	dockerfile "$RS/busybox:1"
	run --separate-stderr kiln build --pull=never --tls-verify=false -t app:1 "$CTX"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[[ "${stderr_lines[-1]}" == "kiln: build: "*"$RS/busybox:1"* ]]
	[ "$(rs_stat 'len(s["requests"])')" -eq 0 ]
	[ -z "$(image_id app:1)" ]
	[ -z "$(image_id "$RS/busybox:1")" ]
}

@test "--pull=missing uses the base in the store without asking; --pull=always takes the newer one" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	rs_start
	dockerfile "$RS/busybox:1"
	run kiln build --tls-verify=false -t app:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	local asked
	asked=$(rs_stat 'len(s["requests"])')
	[ "$asked" -gt 0 ]
	# a newer busybox:1 in the registry: the same layer, another config
	reg_src_import bb:2 "" --change 'ENV V=2'
	reg_push_src bb:2 "$REG/busybox:1"
	read -r m2 c2 _ _ < <(oci_digests "$REG_SRC" bb:2)
	echo more >"$CTX/hello.txt"
	run kiln build --tls-verify=false --pull=missing -t app:2 "$CTX"
	[ "$status" -eq 0 ]
	[ "$(rs_stat 'len(s["requests"])')" -eq "$asked" ]
	[ "$(image_id "$RS/busybox:1")" = "${BB_CONFIG:7:12}" ]
	run kiln build --tls-verify=false --pull=always -t app:3 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(oci_ref_digest "$KILN_ROOT" "$RS/busybox:1")" = "$m2" ]
	[ "$(image_id "$RS/busybox:1")" = "${c2:7:12}" ]
	kiln inspect app:3 | grep -q '"V=2"'
	! kiln inspect app:2 | grep -q '"V=2"' || false
}

@test "--push sends every -t tag; skopeo sees kiln's digest under each" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	dockerfile "$REG/busybox:1"
	run kiln build --tls-verify=false --push -t "$REG/app:1" -t "$REG/app:latest" "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	read -r m _ _ _ < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	[ "$(oci_ref_digest "$KILN_ROOT" "$REG/app:latest")" = "$m" ]
	local tag
	for tag in 1 latest; do
		run sko inspect --tls-verify=false "docker://$REG/app:$tag"
		[ "$status" -eq 0 ]
		[[ "$output" == *"\"Digest\": \"$m\""* ]]
	done
	[ "$(reg_manifest_info app 1 | head -n 1)" = "$m" ]
	# what skopeo copies out of the registry is the image kiln built
	sko copy -q --src-tls-verify=false "docker://$REG/app:1" "oci:$W/layout:app"
	[ "$(oci_digests "$W/layout" app)" = "$(oci_digests "$KILN_ROOT" "$REG/app:1")" ]
}

@test "--push with --creds to a registry with Basic auth over TLS" {
	reg_start --tls --user alice:secret
	reg_trust "$REG"
	reg_push_busybox "$REG/busybox:1" --dest-creds alice:secret
	dockerfile "$REG/busybox:1"
	run kiln build --creds alice:secret --push -t "$REG/app:1" "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	read -r m _ _ _ < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	run sko inspect --cert-dir "$XDG_CONFIG_HOME/kiln/certs.d/$REG" --creds alice:secret "docker://$REG/app:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Digest\": \"$m\""* ]]
	# a push the registry refuses fails the build, and nothing is pushed
	run kiln build --creds alice:wrong --push -t "$REG/app:2" "$CTX"
	echo "$output"
	[ "$status" -ne 0 ]
	run sko inspect --cert-dir "$XDG_CONFIG_HOME/kiln/certs.d/$REG" --creds alice:secret "docker://$REG/app:2"
	[ "$status" -ne 0 ]
}

@test "build --platform linux/amd64,linux/arm64 --push sends one index of both" {
	reg_start
	local rc=0
	reg_push_multiarch multi:1 2>"$W/multiarch.err" || rc=$?
	[ "$rc" -ne 3 ] || skip "no busybox-static for amd64 and arm64: $(tail -n 1 "$W/multiarch.err")"
	[ "$rc" -eq 0 ]
	dockerfile "$REG/multi:1"
	run kiln build --tls-verify=false --platform linux/amd64,linux/arm64 --push -t "$REG/app:multi" "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run reg_manifest_info app multi
	[ "${lines[1]}" = "application/vnd.oci.image.index.v1+json" ]
	[ "${lines[0]}" = "$(oci_ref_digest "$KILN_ROOT" "$REG/app:multi")" ]
	run sko inspect --tls-verify=false --raw "docker://$REG/app:multi"
	[ "$(python3 -c 'import json,sys; print(" ".join(sorted(m["platform"]["architecture"] for m in json.load(sys.stdin)["manifests"])))' <<<"$output")" = "amd64 arm64" ]
	# each platform's image is whole in the registry
	run sko inspect --tls-verify=false --override-arch arm64 "docker://$REG/app:multi"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"Architecture": "arm64"'* ]]
	sko copy -q --src-tls-verify=false --override-arch arm64 "docker://$REG/app:multi" "oci:$W/layout:arm"
	read -r _ _ _ l _ < <(oci_digests "$W/layout" arm arm64)
	[ "$l" = "$ARM_LAYER" ]
}
