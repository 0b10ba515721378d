#!/usr/bin/env bats
# registry-tls.bats: how kiln reaches a registry over HTTPS: a registry
# certificate from a test CA is trusted through a certs.d folder and refused
# without it; --tls-verify=false and the insecure-registries list of kiln's
# config file reach it anyway, and are what a plain-HTTP registry needs;
# client certificates; HTTPS through a CONNECT proxy.

load helpers
load registry
bats_require_minimum_version 1.5.0

setup() {
	require_feature REGISTRY
	require_feature REG_TLS
	reg_require
	reg_env
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
}

teardown() {
	reg_stop_all
}


# kiln's config file with an insecure-registries list
insecure() {
	mkdir -p "$XDG_CONFIG_HOME/kiln"
	printf '{"insecure-registries": [%s]}\n' "$(printf '"%s",' "$@" | sed 's/,$//')" \
		>"$XDG_CONFIG_HOME/kiln/config.json"
}

# a TLS registry of the test CA with busybox:1 in it
tls_registry() {
	reg_start --tls "$@"
	reg_push_busybox "$REG/busybox:1"
}

@test "the test CA in kiln's certs.d: the registry is verified and the pull succeeds" {
	tls_registry
	reg_trust "$REG"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	blobs_verify
}

@test "the test CA in containers' certs.d folder is read too" {
	tls_registry
	reg_trust "$XDG_CONFIG_HOME/containers/certs.d" "$REG"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
}

@test "without the CA: a certificate error, exit 1, the store unchanged" {
	tls_registry
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG"* ]]
	[[ "${stderr,,}" == *certificate* ]]
	[ "$(store_snapshot)" = "$before" ]
	[ -z "$(store_ingest)" ]
	# the CA of another registry does not help
	reg_trust "127.0.0.1:1"
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 1 ]
	[[ "${stderr,,}" == *certificate* ]]
}

@test "--tls-verify=false pulls from a TLS registry whose CA is unknown" {
	tls_registry
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	blobs_verify
}

@test "the insecure-registries list reaches a TLS registry whose CA is unknown, by host:port or CIDR" {
	tls_registry
	insecure "$REG"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	insecure "127.0.0.0/8"
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
}

@test "an insecure entry for another port leaves this one verified" {
	tls_registry
	insecure "127.0.0.1:$((REG_PORT == 65535 ? 1 : REG_PORT + 1))" "example.com"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "${stderr,,}" == *certificate* ]]
}

@test "a broken config.json is an input error naming the file" {
	tls_registry
	mkdir -p "$XDG_CONFIG_HOME/kiln"
	echo '{"insecure-registries": "127.0.0.1' >"$XDG_CONFIG_HOME/kiln/config.json"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$XDG_CONFIG_HOME/kiln/config.json"* ]]
}

@test "a certificate for another host name is refused even with the CA" {
	reg_make_cert other "DNS:other.example"
	tls_registry --cert other
	reg_trust "$REG"
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG"* ]]
	[ "$(store_snapshot)" = "$before" ]
	# and accepted when not verified
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox:1"
	[ "$status" -eq 0 ]
}

@test "a plain-HTTP registry needs --tls-verify=false or the insecure list" {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG"* ]]
	[ "$(store_snapshot)" = "$before" ]
	run --separate-stderr kiln pull --tls-verify=false "$REG/busybox:1"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	insecure "$REG"
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	# push the same way
	kiln tag "$REG/busybox:1" "$REG/pushed:1"
	run --separate-stderr kiln push "$REG/pushed:1"
	[ "$status" -eq 0 ]
	assert_pushed 1
	[ "$PUSHED_DIGEST" = "$BB_MANIFEST" ]
}

@test "push over verified TLS; skopeo reads it with the same CA" {
	reg_start --tls
	reg_trust "$REG"
	kiln import "$(reg_busybox_tar)" "$REG/app:1" >/dev/null
	read -r m _ s _ < <(oci_digests "$KILN_ROOT" "$REG/app:1")
	run --separate-stderr kiln push "$REG/app:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pushed 1
	[ "$PUSHED_DIGEST" = "$m" ]
	[ "$PUSHED_SIZE" = "$s" ]
	run sko inspect --cert-dir "$XDG_CONFIG_HOME/kiln/certs.d/$REG" "docker://$REG/app:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"Digest\": \"$m\""* ]]
}

@test "a client certificate in certs.d (NAME.cert, NAME.key) is presented when the registry asks" {
	local d=$XDG_CONFIG_HOME/kiln/certs.d
	reg_start --clientca
	reg_trust "$REG"
	cp "$REG_TMP/certs/client.crt" "$d/$REG/client.cert"
	cp "$REG_TMP/certs/client.key" "$d/$REG/client.key"
	reg_push_busybox "$REG/busybox:1" --dest-cert-dir "$d/$REG"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	# without it the registry refuses the handshake
	rm "$d/$REG/client.cert" "$d/$REG/client.key"
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	# a .cert without its .key is an input error naming the file
	cp "$REG_TMP/certs/client.crt" "$d/$REG/client.cert"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"client.cert"* ]]
}

@test "HTTPS_PROXY: a CONNECT tunnel to the TLS registry, still verified end to end" {
	tls_registry
	rs_start --proxy --map "$REG_PROXY_NAME=127.0.0.1"
	local via=$REG_PROXY_NAME:${REG##*:}
	reg_trust "$via"
	HTTPS_PROXY=http://$RS run --separate-stderr kiln pull "$via/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$via/busybox:1" downloaded
	[ "$(rs_stat "'$via' in s['connects']")" = true ]
	# through the proxy, the certificate is still the registry's
	rm -r "$XDG_CONFIG_HOME/kiln/certs.d"
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	HTTPS_PROXY=http://$RS run --separate-stderr kiln pull "$via/busybox:1"
	[ "$status" -eq 1 ]
	[[ "${stderr,,}" == *certificate* ]]
}
