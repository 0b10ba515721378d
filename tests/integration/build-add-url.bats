#!/usr/bin/env bats
# build-add-url.bats: ADD of http(s) URLs: fetched once a build, mode 0600
# and the server's Last-Modified as docker gives them, --checksum checked,
# the step cached on the file's content, and clear errors for a missing
# file, a wrong checksum, a server that is not there and a build without
# the feature.

load helpers
load build
bats_require_minimum_version 1.5.0

setup() {
	build_setup
	# the files keep the server's times, which the epoch would clamp
	unset SOURCE_DATE_EPOCH
	srv=$BATS_TEST_TMPDIR/srv
	mkdir -p "$srv"
}

teardown() {
	build_teardown
}

# the server for $srv: sets URL
serve() {
	serve_dir "$srv"
}

@test "ADD of a URL: the file with mode 0600 and the server's mtime, fetched once, cached on its content" {
	require_feature BUILD_ADD_URL
	serve
	echo "hello from the web" >"$srv/greeting.txt"
	touch -d '2024-01-02 03:04:05 UTC' "$srv/greeting.txt"
	cat >"$ctx/Dockerfile" <<-EOF
	FROM busybox
	ADD $URL/greeting.txt /web/
	ADD --chmod=644 $URL/greeting.txt /web/copy.txt
	RUN stat -c '%a %Y %n' /web/greeting.txt /web/copy.txt && cat /web/copy.txt
	EOF
	run kiln build --progress=plain -t web:1 "$ctx"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" 600 1704164645 /web/greeting.txt"* ]]
	[[ "$output" == *" 644 1704164645 /web/copy.txt"* ]]
	[[ "$output" == *" hello from the web"* ]]
	# one GET for both instructions
	[ "$(gets /greeting.txt)" -eq 1 ]
	# unchanged: every step cached, the same image
	id=$(kiln images -q web:1)
	run kiln build --progress=plain -t web:1 "$ctx"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' CACHED$' <<<"$output")" -eq 3 ]
	[ "$(kiln images -q web:1)" = "$id" ]
	# changed on the server: the ADD runs again, and what follows it
	echo "a new greeting" >"$srv/greeting.txt"
	run kiln build --progress=plain -t web:1 "$ctx"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' CACHED$' <<<"$output")" -eq 0 ]
	[[ "$output" == *" a new greeting"* ]]
}

@test "ADD --checksum: a matching file is taken, another one fails the build naming both digests" {
	require_feature BUILD_ADD_URL
	serve
	echo "pinned content" >"$srv/pinned.txt"
	sum=$(sha256sum "$srv/pinned.txt" | cut -d' ' -f1)
	cat >"$ctx/Dockerfile" <<-EOF
	FROM busybox
	ADD --checksum=sha256:$sum $URL/pinned.txt /pinned.txt
	EOF
	run kiln build -t pin:1 "$ctx"
	[ "$status" -eq 0 ]
	before=$(cat "$KILN_ROOT/index.json")
	echo "changed upstream" >"$srv/pinned.txt"
	now=$(sha256sum "$srv/pinned.txt" | cut -d' ' -f1)
	run --separate-stderr kiln build -t pin:2 "$ctx"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[-1]}" = "kiln: build: Dockerfile:2: ADD: $URL/pinned.txt: --checksum=sha256:$sum, but the file's digest is sha256:$now" ]
	[ "$(cat "$KILN_ROOT/index.json")" = "$before" ]
	# a malformed checksum, and one on a local file, are input errors
	printf 'FROM busybox\nADD --checksum=md5:abc %s/pinned.txt /p\n' "$URL" >"$ctx/Dockerfile"
	run --separate-stderr kiln build "$ctx"
	[ "$status" -eq 2 ]
	[[ "${stderr_lines[-1]}" == "kiln: build: Dockerfile:2: ADD: --checksum=md5:abc: expected sha256:"* ]]
	echo local >"$ctx/local.txt"
	printf 'FROM busybox\nADD --checksum=sha256:%s local.txt /p\n' "$sum" >"$ctx/Dockerfile"
	run --separate-stderr kiln build "$ctx"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[-1]}" = "kiln: build: Dockerfile:2: ADD --checksum: only for a URL source" ]
}

@test "ADD of a URL that is not there, or of a server that is not there: one line, exit 1" {
	require_feature BUILD_ADD_URL
	serve
	printf 'FROM busybox\nADD %s/missing.txt /m\n' "$URL" >"$ctx/Dockerfile"
	run --separate-stderr kiln build "$ctx"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[-1]}" = "kiln: build: Dockerfile:2: ADD: $URL/missing.txt: 404 File not found" ]
	printf 'FROM busybox\nADD http://127.0.0.1:1/x.txt /x\n' >"$ctx/Dockerfile"
	run --separate-stderr kiln build "$ctx"
	[ "$status" -eq 1 ]
	[[ "${stderr_lines[-1]}" == "kiln: build: Dockerfile:2: ADD: http://127.0.0.1:1/x.txt: GET http://127.0.0.1:1/x.txt: "*"refused"* ]]
	# a URL without a file name needs a file destination
	printf 'FROM busybox\nADD %s/ /dir/\n' "$URL" >"$ctx/Dockerfile"
	run --separate-stderr kiln build "$ctx"
	[ "$status" -eq 2 ]
	[[ "${stderr_lines[-1]}" == *"the URL names no file; give the destination as a file" ]]
}

@test "ADD of a URL in a build without it is a one-line error" {
	grep -q '^CONFIG_BUILD_ADD_URL=y' "$KILN_CONFIG" && skip "CONFIG_BUILD_ADD_URL is on in this build"
	printf 'FROM busybox\nADD http://127.0.0.1:1/x.txt /x\n' >"$ctx/Dockerfile"
	run --separate-stderr kiln build "$ctx"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[-1]}" = "kiln: build: Dockerfile:2: ADD http://127.0.0.1:1/x.txt: URLs are not in this build (CONFIG_BUILD_ADD_URL=n)" ]
}

@test "ADD of a URL: a tar is copied as it is, and unpacked with --unpack=true" {
	require_feature BUILD_ADD_URL
	serve
	mkdir -p "$BATS_TEST_TMPDIR/t/pkg"
	echo inside > "$BATS_TEST_TMPDIR/t/pkg/file"
	tar -C "$BATS_TEST_TMPDIR/t" --owner=0 --group=0 -czf "$srv/pkg.tar.gz" pkg
	cat >"$ctx/Dockerfile" <<-EOF
	FROM busybox
	ADD $URL/pkg.tar.gz /plain/
	ADD --unpack=true $URL/pkg.tar.gz /opt/
	EOF
	run kiln build -t unp:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat unp:1 /plain/pkg.tar.gz | sha256sum)" = "$(sha256sum < "$srv/pkg.tar.gz")" ]
	[ "$(rootfs_cat unp:1 /opt/pkg/file)" = inside ]
	run rootfs_list unp:1
	[[ "$output" != *"./opt/pkg.tar.gz"* ]]
	[ "$(gets /pkg.tar.gz)" -eq 1 ]
}
