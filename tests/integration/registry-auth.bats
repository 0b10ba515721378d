#!/usr/bin/env bats
# registry-auth.bats: who kiln is at a registry: kiln login and logout,
# --creds, the credential files of kiln, containers and docker, against a
# docker-registry with htpasswd Basic auth over TLS; and the Bearer token
# flow of the distribution token spec against regserver.py, which counts the
# tokens asked for.

load helpers
load registry
bats_require_minimum_version 1.5.0

setup() {
	require_feature REGISTRY
	require_feature REG_TLS
	reg_require htpasswd
	reg_env
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
	AUTH=$XDG_CONFIG_HOME/kiln/auth.json
}

teardown() {
	reg_stop_all
}


# a TLS registry with Basic auth for alice (and bob), trusted through
# kiln's certs.d, with busybox:1 in it
basic_registry() {
	reg_start --tls --user alice:secret --user bob:other
	reg_trust "$REG"
	reg_push_busybox "$REG/busybox:1" --dest-creds alice:secret
}

# the "auth" of REGISTRY in an auth file, decoded ("" when absent)
auth_of() {
	python3 - "$1" "$2" <<'PY'
import base64, json, sys
try:
    a = json.load(open(sys.argv[1]))["auths"].get(sys.argv[2], {}).get("auth", "")
except FileNotFoundError:
    a = ""
print(base64.b64decode(a).decode())
PY
}

# an auth file in containers' and docker's format naming REGISTRY
write_auth() {
	mkdir -p "$(dirname "$1")"
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$2" "$(printf %s "$3" | base64 -w0)" >"$1"
}

@test "kiln login stores the credentials in a 0600 file; push and pull then work" {
	basic_registry
	run --separate-stderr kiln login -u alice -p secret "$REG"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(stat -c %a "$AUTH")" = 600 ]
	[ "$(auth_of "$AUTH" "$REG")" = alice:secret ]
	kiln import "$(reg_busybox_tar)" "$REG/app:1" >/dev/null
	run --separate-stderr kiln push "$REG/app:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pushed 1
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	run --separate-stderr kiln pull "$REG/app:1"
	[ "$status" -eq 0 ]
	assert_pulled "$PUSHED_DIGEST" "$REG/app:1" downloaded
}

@test "kiln login --password-stdin" {
	basic_registry
	run --separate-stderr bash -c 'printf "secret\n" | "$KILN" login -u alice --password-stdin "$1"' _ "$REG"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(auth_of "$AUTH" "$REG")" = alice:secret ]
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 0 ]
}

@test "a wrong password: one clear error, exit 2, nothing stored" {
	basic_registry
	run --separate-stderr kiln login -u alice -p wrong "$REG"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line login
	[[ "$stderr" == *"$REG"* ]]
	[[ "${stderr,,}" == *unauthorized* || "${stderr,,}" == *authentication* ]]
	[ "$output" != "Login Succeeded" ]
	[ "$(auth_of "$AUTH" "$REG")" = "" ]
	# the same with --creds on a pull: nothing reaches the store
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull --creds alice:wrong "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG"* ]]
	[ "$(store_snapshot)" = "$before" ]
}

@test "a pull without credentials from a registry that wants them fails, naming it" {
	basic_registry
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$REG"* ]]
	[ "$(store_snapshot)" = "$before" ]
}

@test "kiln logout removes the credentials; the next pull is refused" {
	basic_registry
	kiln login -u alice -p secret "$REG" >/dev/null
	run --separate-stderr kiln logout "$REG"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "Removed login credentials for $REG" ]
	[ "$(auth_of "$AUTH" "$REG")" = "" ]
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
}

@test "login and logout keep the other registries' entries and keys of the file" {
	basic_registry
	mkdir -p "$(dirname "$AUTH")"
	printf '{"auths": {"other.example:5000": {"auth": "%s"}}, "credHelpers": {"x.example": "none"}}\n' \
		"$(printf bob:pw | base64 -w0)" >"$AUTH"
	chmod 600 "$AUTH"
	run --separate-stderr kiln login -u alice -p secret "$REG"
	[ "$status" -eq 0 ]
	[ "$(auth_of "$AUTH" "$REG")" = alice:secret ]
	[ "$(auth_of "$AUTH" other.example:5000)" = bob:pw ]
	grep -q '"credHelpers"' "$AUTH"
	# a second login replaces the entry
	run --separate-stderr kiln login -u bob -p other "$REG"
	[ "$status" -eq 0 ]
	[ "$(auth_of "$AUTH" "$REG")" = bob:other ]
	run --separate-stderr kiln logout "$REG"
	[ "$status" -eq 0 ]
	[ "$(auth_of "$AUTH" "$REG")" = "" ]
	[ "$(auth_of "$AUTH" other.example:5000)" = bob:pw ]
	grep -q '"credHelpers"' "$AUTH"
	[ "$(stat -c %a "$AUTH")" = 600 ]
}

@test "logouts at once each take their entry out: the file is changed by one at a time" {
	mkdir -p "$(dirname "$AUTH")"
	python3 - "$AUTH" <<-'PY'
	import json, sys
	json.dump({"auths": {"r%d.example:5000" % i: {"auth": "dTpw"} for i in range(24)}},
	          open(sys.argv[1], "w"))
	PY
	chmod 600 "$AUTH"
	local pids=() i
	for i in $(seq 0 23); do
		kiln logout "r$i.example:5000" >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["auths"]))' "$AUTH")" = 0 ]
	# nothing beside the file
	[ "$(ls -A "$(dirname "$AUTH")")" = auth.json ]
}

@test "--creds works without login and writes no file" {
	basic_registry
	kiln import "$(reg_busybox_tar)" "$REG/app:1" >/dev/null
	run --separate-stderr kiln push --creds alice:secret "$REG/app:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pushed 1
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull --creds alice:secret "$REG/app:1"
	[ "$status" -eq 0 ]
	assert_pulled "$PUSHED_DIGEST" "$REG/app:1" downloaded
	[ ! -e "$AUTH" ]
	[ -z "$(find "$HOME" "$XDG_RUNTIME_DIR" -name '*.json' -path '*auth*')" ]
}

@test "docker's config.json is read: \$DOCKER_CONFIG, else ~/.docker" {
	basic_registry
	write_auth "$DOCKER_CONFIG/config.json" "$REG" alice:secret
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
	export DOCKER_CONFIG=$W/docker-elsewhere
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 2 ]
	unset DOCKER_CONFIG
	write_auth "$HOME/.docker/config.json" "$REG" bob:other
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
}

@test "containers' auth.json is read: \$XDG_RUNTIME_DIR/containers, ~/.config/containers" {
	basic_registry
	write_auth "$XDG_RUNTIME_DIR/containers/auth.json" "$REG" alice:secret
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	rm "$XDG_RUNTIME_DIR/containers/auth.json"
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	write_auth "$HOME/.config/containers/auth.json" "$REG" alice:secret
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$REG/busybox:1" downloaded
}

@test "REGISTRY_AUTH_FILE: login writes there, pull reads it, and it wins over docker's file" {
	basic_registry
	export REGISTRY_AUTH_FILE=$W/my-auth.json
	run --separate-stderr kiln login -u alice -p secret "$REG"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(auth_of "$REGISTRY_AUTH_FILE" "$REG")" = alice:secret ]
	[ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]
	[ ! -e "$AUTH" ]
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 0 ]
	# the first file naming the registry is the one used, right or wrong
	write_auth "$REGISTRY_AUTH_FILE" "$REG" alice:wrong
	write_auth "$DOCKER_CONFIG/config.json" "$REG" alice:secret
	export KILN_ROOT=$BATS_TEST_TMPDIR/store2
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	# a file that does not name it is passed over
	write_auth "$REGISTRY_AUTH_FILE" other.example:5000 alice:wrong
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 0 ]
}

@test "an auth file that is not JSON is an input error naming the file" {
	basic_registry
	mkdir -p "$(dirname "$AUTH")"
	echo '{"auths": {' >"$AUTH"
	run --separate-stderr kiln pull "$REG/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$AUTH"* ]]
	# an auth that is not base64 of user:password, too
	printf '{"auths": {"%s": {"auth": "not base64!"}}}\n' "$REG" >"$AUTH"
	run --separate-stderr kiln pull "$REG/busybox:1"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"$AUTH"* ]]
}

# --- Bearer tokens, against regserver.py over TLS ------------------------------

# docker-registry behind regserver.py --token alice:secret (TLS, trusted), busybox:1 in it
token_registry() {
	reg_start
	reg_push_busybox "$REG/busybox:1"
	rs_start --tls --token alice:secret "$@"
	reg_trust "$RS"
}

@test "Bearer token: asked once per scope, with the credentials, and sent with every request" {
	token_registry
	run --separate-stderr kiln pull --creds alice:secret "$RS/busybox:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	blobs_verify
	rs_stat 's["token_log"]'
	[ "$(rs_stat 's["token_scopes"].get("repository:busybox:pull", 0)')" -eq 1 ]
	[ "$(rs_stat 'all(n == 1 for n in s["token_scopes"].values())')" = true ]
	[ "$(rs_stat 'all(t["ok"] and t["user"] == "alice" and t["service"] == "test" for t in s["token_log"])')" = true ]
	# what the registry answered with content was asked with a token
	[ "$(rs_stat 'all(r["auth"] == "bearer" for r in s["requests"] if r["path"].startswith("/v2/busybox/") and r["status"] == 200)')" = true ]
	[ "$(rs_blob_gets "$BB_LAYER")" -eq 1 ]
	# a 401 at most for the ping and one for the first repository request
	[ "$(rs_stat 'len([r for r in s["requests"] if r["status"] == 401])')" -le 2 ]
}

@test "Bearer push: the pull,push scope is asked once and the image arrives" {
	token_registry
	kiln import "$(reg_busybox_tar)" "$RS/app:1" >/dev/null
	read -r m _ _ _ < <(oci_digests "$KILN_ROOT" "$RS/app:1")
	run --separate-stderr kiln push --creds alice:secret "$RS/app:1"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	assert_pushed 1
	[ "$PUSHED_DIGEST" = "$m" ]
	rs_stat 's["token_scopes"]'
	[ "$(rs_stat 'sum(n for k, n in s["token_scopes"].items() if "repository:app:" in k and "push" in k)')" -eq 1 ]
	[ "$(rs_stat 'all(n == 1 for n in s["token_scopes"].values())')" = true ]
	# the registry behind has it
	[ "$(reg_manifest_info app 1 | head -n 1)" = "$m" ]
}

@test "Bearer token with a wrong password: exit 2, the token server's message, the store unchanged" {
	token_registry
	reg_seed_store
	before=$(store_snapshot)
	run --separate-stderr kiln pull --creds alice:wrong "$RS/busybox:1"
	echo "$stderr"
	[ "$status" -eq 2 ]
	assert_one_stderr_line pull
	[[ "$stderr" == *"$RS"* ]]
	[[ "$stderr" == *"invalid username or password"* ]]
	[ "$(store_snapshot)" = "$before" ]
	[ "$(rs_stat 's["token_requests"]')" -ge 1 ]
}

@test "kiln login to a token registry, then pull with the stored credentials" {
	token_registry
	run --separate-stderr kiln login -u alice -p secret "$RS"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(auth_of "$AUTH" "$RS")" = alice:secret ]
	run --separate-stderr kiln pull "$RS/busybox:1"
	[ "$status" -eq 0 ]
	assert_pulled "$BB_MANIFEST" "$RS/busybox:1" downloaded
	[ "$(rs_stat 's["token_scopes"].get("repository:busybox:pull", 0)')" -eq 1 ]
	[ "$(rs_stat 'all(t["user"] == "alice" for t in s["token_log"])')" = true ]
	run --separate-stderr kiln login -u alice -p wrong "$RS"
	[ "$status" -eq 2 ]
	assert_one_stderr_line login
}
