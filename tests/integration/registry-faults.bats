#!/usr/bin/env bats
# registry-faults.bats: a pull when the network or the registry misbehaves,
# scripted by regserver.py in front of a docker-registry: bytes changed on
# the way (caught by the digests, nothing kept), a connection dropped in the
# middle of a blob (resumed with Range), 503 and 429 answers (retried), blob
# downloads redirected to another port (followed, without the registry's
# Authorization).

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
	reg_start
	reg_push_busybox "$REG/busybox:1"
}

teardown() {
	reg_stop_all
}


# regserver.py over TLS (trusted through certs.d) with the faults asked for
front() {
	rs_start --tls "$@"
	reg_trust "$RS"
}

@test "a blob with other bytes is caught by its digest: exit 1, nothing of it kept" {
	front --corrupt-blob "$BB_LAYER"
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$RS/busybox:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"${BB_LAYER:7:12}"* ]]
	[ "$(rs_stat "any(r.get('corrupted') for r in s['requests'])")" = true ]
	[ "$(store_snapshot)" = "$before" ]
	[ -z "$(store_ingest)" ]
	lacks_blob "$BB_LAYER"
	run kiln images -q "$RS/busybox:1"
	[ -z "$output" ]
}

@test "a config with other bytes is caught too" {
	front --corrupt-blob "$BB_CONFIG"
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$RS/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"${BB_CONFIG:7:12}"* ]]
	[ "$(store_snapshot)" = "$before" ]
	[ -z "$(store_ingest)" ]
}

@test "a manifest that does not match the digest asked for is refused" {
	front --corrupt-manifest
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$RS/busybox@$BB_MANIFEST"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"${BB_MANIFEST:7:12}"* ]]
	[ "$(store_snapshot)" = "$before" ]
	[ -z "$(store_ingest)" ]
}

@test "a connection dropped in the middle of a blob: resumed with Range, the right digest" {
	front --drop-after 100000
	run --separate-stderr kiln pull "$RS/busybox:1"
	echo "$output"
	echo "$stderr"
	rs_stat '[(r["method"], r["path"][-16:], r["range"], r["status"]) for r in s["requests"]]'
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	has_blob "$BB_LAYER"
	blobs_verify
	[ -z "$(store_ingest)" ]
	# the layer was cut once, then asked from where it stopped, answered 206
	[ "$(rs_stat "len([r for r in s['requests'] if r.get('dropped')])")" -eq 1 ]
	[ "$(rs_stat "len([r for r in s['requests'] if r['path'].endswith('$BB_LAYER') and (r['range'] or '').startswith('bytes=100000-') and r['status'] == 206])")" -eq 1 ]
}

@test "a pull cut off for good keeps what came; the next pull asks only for the rest" {
	# every GET of a blob ends after 50000 bytes: the in-process resumes
	# run out before the layer is whole
	front --drop-after 50000 --drop-every
	run --separate-stderr kiln pull "$RS/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	# (each drop is said as it is resumed; the last line is the error)
	[[ "${stderr_lines[-1]}" == "kiln: pull: "*"the connection dropped 11 times"* ]]
	lacks_blob "$BB_LAYER"
	have=$(stat -c %s "$KILN_ROOT/kiln/ingest/partial-${BB_LAYER#sha256:}")
	[ "$have" -gt 0 ]
	run kiln images -q "$RS/busybox:1"
	[ -z "$output" ]
	# kiln fsck tells of it and counts it as no problem
	run kiln fsck
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"partial-${BB_LAYER#sha256:}': part of a download the next pull goes on with"* ]]
	# a sound link: the layer is asked for from where the cut left it
	front
	run --separate-stderr kiln pull "$RS/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	[[ "$stderr" == *"$have of "*"bytes are here from a pull cut off earlier"* ]]
	[ "$(rs_stat "[r['range'] for r in s['requests'] if r['method'] == 'GET' and r['path'].endswith('${BB_LAYER}')]")" = "[\"bytes=$have-\"]" ]
	has_blob "$BB_LAYER"
	blobs_verify
	[ -z "$(store_ingest)" ]
}

@test "503 to the first requests, then the pull succeeds" {
	front --fail-first 2 --fail-status 503
	run --separate-stderr kiln pull "$RS/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	[ "$(rs_stat 's["failed"]')" -eq 2 ]
	[ "$(rs_stat 'len([r for r in s["requests"] if r["status"] == 503])')" -eq 2 ]
	blobs_verify
}

@test "429 with Retry-After: kiln waits as told, then the pull succeeds" {
	front --fail-first 1 --fail-status 429 --retry-after 2
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr kiln pull "$RS/busybox:1"
	t1=$(date +%s%N)
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	[ "$(rs_stat 'len([r for r in s["requests"] if r["status"] == 429])')" -eq 1 ]
	# two seconds asked, two seconds waited (at least)
	[ $(((t1 - t0) / 1000000)) -ge 1900 ]
}

@test "a registry that answers 503 to everything: the pull gives up with exit 1, the store unchanged" {
	front --fail-first 1000000 --fail-status 503 --retry-after 0
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr timeout 300 "$KILN" pull "$RS/busybox:1"
	echo "$stderr"
	[ "$status" -eq 1 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$RS"* ]]
	[[ "$stderr" == *503* ]]
	[ "$(store_snapshot)" = "$before" ]
	# retried, but not for ever
	[ "$(rs_stat 's["failed"]')" -ge 2 ]
}

@test "blob downloads redirected to another port are followed, without the Authorization header" {
	front --token alice:secret --redirect-blobs
	run --separate-stderr kiln pull --creds alice:secret "$RS/busybox:1"
	echo "$output"
	echo "$stderr"
	rs_stat '[(r["listener"], r["method"], r["path"][-16:], r["status"], r["auth"]) for r in s["requests"]]'
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	blobs_verify
	# both blobs came from the storage port, and no credential went there
	[ "$(rs_stat "len([r for r in s['requests'] if r['listener'] == 'redirect' and r['status'] == 200 and r['path'].endswith('$BB_LAYER')])")" -eq 1 ]
	[ "$(rs_stat "len([r for r in s['requests'] if r['listener'] == 'redirect' and r['status'] == 200 and r['path'].endswith('$BB_CONFIG')])")" -eq 1 ]
	[ "$(rs_stat 'all(r["auth"] is None for r in s["requests"] if r["listener"] == "redirect")')" = true ]
	# while the registry's own port got the token
	[ "$(rs_stat 'all(r["auth"] == "bearer" for r in s["requests"] if r["listener"] == "main" and r["status"] == 307)')" = true ]
}
