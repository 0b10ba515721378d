#!/usr/bin/env bats
# A Debian base (debootstrap --variant=minbase, made by the test runner as
# root, see tests/run.sh) and apt inside a rootless RUN: apt's _apt sandbox
# switches users, which needs the full subordinate id map.

load helpers

setup_file() {
	[ -n "${KILN_DEBIAN_BASE:-}" ] || return 0
	export KILN_ROOT=$BATS_FILE_TMPDIR/store
	"$KILN" import "$KILN_DEBIAN_BASE" debian:bookworm >/dev/null
}

setup() {
	require_feature BUILD
	[ -n "${KILN_DEBIAN_BASE:-}" ] || skip "no Debian base (debootstrap runs only when the tests start as root)"
	export KILN_ROOT=$BATS_FILE_TMPDIR/store
	ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
}

@test "debian: apt-get install runs rootless and the result runs" {
	cat > "$ctx/Dockerfile" <<-'EOF'
	FROM debian:bookworm
	RUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*
	CMD ["hello"]
	EOF
	run kiln build --progress plain -t hello-deb:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run kiln run --rm hello-deb:1
	[ "$status" -eq 0 ]
	[ "$output" = "Hello, world!" ]
}

@test "debian: files apt's users own keep their ids in the layer" {
	cat > "$ctx/Dockerfile" <<-'EOF'
	FROM debian:bookworm
	RUN mkdir /srv/data && chown _apt:nogroup /srv/data
	EOF
	kiln build -t owned-deb:1 "$ctx"
	kiln export owned-deb:1 -o "$BATS_TEST_TMPDIR/r.tar"
	tar --numeric-owner -tvf "$BATS_TEST_TMPDIR/r.tar" srv/data | grep -q ' 42/65534 '
}

@test "debian: with only the caller's id, apt's failure says what to add to /etc/subuid" {
	# no newuidmap on PATH: kiln falls back to a single-id map
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	mkdir -p "$BATS_TEST_TMPDIR/nobin"
	PATH=$BATS_TEST_TMPDIR/nobin "$KILN" import "$KILN_DEBIAN_BASE" debian:bookworm >/dev/null
	cat > "$ctx/Dockerfile" <<-'EOF'
	FROM debian:bookworm
	RUN apt-get update
	EOF
	PATH=$BATS_TEST_TMPDIR/nobin run "$KILN" build --progress plain "$ctx"
	[ "$status" -eq 1 ] || { echo "$output"; false; }
	[[ "$output" == *"ids other than 0 are unavailable"* ]]
	[[ "$output" == *"apt's _apt sandbox"*"add '$(id -un):100000:65536' to both files"* ]]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:2: RUN: "*"apt-get update"*"exit code"* ]]
}
