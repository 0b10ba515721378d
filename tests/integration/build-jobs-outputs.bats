#!/usr/bin/env bats
# kiln build --jobs as a user or a supervisor stops it (SIGINT, SIGTERM to
# kiln's pid alone), as a stage fails or is killed; a build stopped while a
# RUN is prepared; and -o type=oci into a directory: an OCI layout that
# skopeo, umoci and kiln load read, written by two builds at once.

load helpers
load build

setup() {
	build_setup
}

# a field of kiln inspect: inspect_field NAME Id|RepoDigests (the first)
inspect_field() {
	kiln inspect "$1" | python3 -c "
import json, sys
v = json.load(sys.stdin)[0]['$2']
print(v[0].split('@')[1] if isinstance(v, list) else v)"
}

# Two stages that sleep side by side (sleeps of lengths no other test
# uses, so a stray one is this test's), and a last stage that needs both.
two_sleeping_stages() {
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN sleep 7431
	FROM busybox AS b
	RUN sleep 7432
	FROM busybox
	COPY --from=a /etc/passwd /a
	COPY --from=b /etc/passwd /b
	EOF
}

# waits until N processes match the pattern (10 s at most)
wait_for() {
	local n=$1 pattern=$2
	for _ in $(seq 100); do
		[ "$(pgrep -u "$(id -u)" -f -- "$pattern" | wc -l)" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "never saw $n of '$pattern'"
	return 1
}

# waits for kiln (pid $1) to exit within 5 s; status in $st
wait_exit() {
	local pid=$1
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "kiln still runs 5 s later"
		# its stage children too (their RUNs die with them)
		kill -KILL "$pid" $(pgrep -u "$(id -u)" -f -- "$ctx") 2>/dev/null || true
		return 1
	fi
	st=0
	wait "$pid" || st=$?
}

# nothing of the build runs, is mounted or left in the store
assert_clean() {
	if pgrep -u "$(id -u)" -f -- 'sleep 743[0-9]'; then echo "a RUN is left"; false; fi
	if pgrep -u "$(id -u)" -f -- "$ctx"; then echo "a kiln process is left"; false; fi
	if grep -q "$KILN_ROOT" /proc/self/mountinfo; then echo "a mount is left"; false; fi
	[ -z "$(ls -A "$KILN_ROOT/kiln/snapshots" 2>/dev/null)" ] ||
		{ echo "snapshots left:"; ls -la "$KILN_ROOT/kiln/snapshots"; false; }
}

# the build of two_sleeping_stages, stopped by signal $1 sent to kiln only
stop_parallel_build() {
	local sig=$1
	two_sleeping_stages
	cp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	"$KILN" build --jobs 2 "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for 2 'sleep 743[12]'
	kill "-$sig" "$pid"
	wait_exit "$pid"
	[ "$st" -eq 1 ] || { echo "status $st"; cat "$BATS_TEST_TMPDIR/err"; false; }
	[ "$(grep -c '^kiln: ' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	tail -n 1 "$BATS_TEST_TMPDIR/err" | grep -qxE 'kiln: build: Dockerfile:[24]: interrupted'
	assert_clean
	cmp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
}

@test "build --jobs: SIGINT to kiln's pid alone stops every stage and leaves nothing" {
	stop_parallel_build INT
}

@test "build --jobs: SIGTERM to kiln's pid alone stops every stage and leaves nothing" {
	stop_parallel_build TERM
}

@test "build --jobs: the one-stage build says the same on SIGINT" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN sleep 7433
	EOF
	"$KILN" build --jobs 2 "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for 1 'sleep 7433'
	kill -INT "$pid"
	wait_exit "$pid"
	[ "$st" -eq 1 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/err")" = "kiln: build: Dockerfile:2: interrupted" ]
	assert_clean
}

# A base image of one layer, busybox and 30000 empty files, which the first
# RUN on it spends a while unpacking (import leaves layers packed).
big_base() {
	local W=$BATS_TEST_TMPDIR
	mkdir -p "$W/extra/d"
	(cd "$W/extra/d" && seq 30000 | xargs touch)
	cp "${BATS_FILE_TMPDIR:-$BATS_TMPDIR}/busybox-base.tar" "$W/big.tar"
	tar -rf "$W/big.tar" --owner=0 --group=0 -C "$W/extra" d
	kiln import "$W/big.tar" big:1 >/dev/null
}

# Signal $1 to kiln's pid while the RUN's root is being prepared: kiln is
# stopped in the middle of the base's unpack, gets the signal there and
# goes on. It must not start the RUN, and says so as for one it stopped.
stop_while_preparing() {
	local sig=$1 tmp=$KILN_ROOT/kiln/layers/.tmp-*
	big_base
	dockerfile <<-'EOF'
	FROM big:1
	RUN echo ran-$((7430 + 5))
	EOF
	"$KILN" build --progress=plain "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	for _ in $(seq 1000); do
		compgen -G "$tmp" >/dev/null && break
		sleep 0.01
	done
	kill -STOP "$pid"
	if ! compgen -G "$tmp" >/dev/null; then
		kill -CONT "$pid"
		echo "the unpack was over before kiln could be stopped in it"
		false
	fi
	kill "-$sig" "$pid"
	kill -CONT "$pid"
	wait_exit "$pid"
	[ "$st" -eq 1 ] || { echo "status $st"; cat "$BATS_TEST_TMPDIR/err"; false; }
	if grep -h ran-7435 "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"; then
		echo "the RUN ran"
		false
	fi
	[ "$(grep -c '^kiln: ' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/err")" = "kiln: build: Dockerfile:2: interrupted" ]
	assert_clean
	# the unpack itself stopped: neither the layer nor its temp dir stays
	[ -z "$(ls -A "$KILN_ROOT/kiln/layers")" ]
}

@test "build: SIGINT to kiln while a RUN's root is prepared: the RUN never starts" {
	stop_while_preparing INT
}

@test "build: SIGTERM to kiln while a RUN's root is prepared: the RUN never starts" {
	stop_while_preparing TERM
}

@test "build: SIGINT while a RUN waits for its locked cache mount stops it there" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=cache,id=c7436,target=/c,sharing=locked echo ran-$((7430 + 6))
	EOF
	lock=$KILN_ROOT/kiln/mounts/cache-$(printf c7436 | sha256sum | cut -c1-16).lock
	mkdir -p "$KILN_ROOT/kiln/mounts"
	# another build's step holds the cache
	( flock 9 && exec sleep 7436 ) 9> "$lock" &
	holder=$!
	wait_for 1 'sleep 7436'
	"$KILN" build --progress=plain "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'RUN --mount' "$BATS_TEST_TMPDIR/err" && break
		sleep 0.1
	done
	sleep 0.5
	kill -INT "$pid"
	wait_exit "$pid" || { kill "$holder"; false; }
	kill "$holder"
	[ "$st" -eq 1 ] || { echo "status $st"; cat "$BATS_TEST_TMPDIR/err"; false; }
	if grep -h ran-7436 "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"; then false; fi
	[ "$(grep -c '^kiln: ' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/err")" = "kiln: build: Dockerfile:2: interrupted" ]
	assert_clean
}

@test "build --jobs: a stage that fails leaves no snapshot and stops the other" {
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN echo x > /x && false
	FROM busybox AS b
	RUN sleep 7434
	FROM busybox
	COPY --from=a /etc/passwd /a
	COPY --from=b /etc/passwd /b
	EOF
	cp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	"$KILN" build --jobs 2 "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_exit "$pid"
	[ "$st" -eq 1 ] || { echo "status $st"; cat "$BATS_TEST_TMPDIR/err"; false; }
	[ "$(grep -c '^kiln: ' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	[[ "$(tail -n 1 "$BATS_TEST_TMPDIR/err")" == "kiln: build: Dockerfile:2: RUN: "*"exit code: 1" ]]
	assert_clean
	cmp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
}

@test "build --jobs: a stage that fails beside one that succeeds leaves no snapshot" {
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN sleep 1 && echo x > /x && false
	FROM busybox AS b
	RUN echo y > /y
	FROM busybox
	COPY --from=a /x /a
	COPY --from=b /y /b
	EOF
	run kiln build --jobs 2 "$ctx"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:2: RUN: "*"exit code: 1" ]]
	assert_clean
}

@test "build --jobs: a stage child killed outright fails the build; its snapshot is swept" {
	two_sleeping_stages
	"$KILN" build --jobs 2 "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for 2 'sleep 743[12]'
	[ -n "$(ls -A "$KILN_ROOT/kiln/snapshots")" ]
	child=$(pgrep -P "$pid" -f -- "$ctx" | head -n 1)
	[ -n "$child" ]
	kill -KILL "$child"
	wait_exit "$pid"
	[ "$st" -eq 1 ] || { echo "status $st"; cat "$BATS_TEST_TMPDIR/err"; false; }
	[ "$(grep -c '^kiln: ' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	tail -n 1 "$BATS_TEST_TMPDIR/err" | grep -qxE 'kiln: build: stage [ab]: killed by signal 9'
	assert_clean
}

@test "build: -o type=oci,dest=DIR writes a layout that skopeo, umoci and kiln load read" {
	need_tool skopeo
	need_tool umoci
	W=$BATS_TEST_TMPDIR
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo hello > /greeting
	EOF
	mkdir "$W/layout"
	run kiln build -q -t out:1 -o type=oci,dest="$W/layout" "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	id=${lines[-1]}
	[ "$(cat "$W/layout/oci-layout")" = '{"imageLayoutVersion":"1.0.0"}' ]
	python3 - "$W/layout" <<-'EOF'
	import json, sys
	idx = json.load(open(sys.argv[1] + "/index.json"))
	names = [m["annotations"]["org.opencontainers.image.ref.name"] for m in idx["manifests"]]
	assert names == ["out:1"], names
	EOF
	[ "$id" = "$(inspect_field out:1 Id)" ]
	[ "$(skopeo inspect --format '{{.Digest}}' "oci:$W/layout:out:1")" = "$(inspect_field out:1 RepoDigests)" ]
	umoci unpack --rootless --image "$W/layout:out:1" "$W/bundle" >/dev/null
	[ "$(cat "$W/bundle/rootfs/greeting")" = hello ]
	run env KILN_ROOT="$W/other" "$KILN" load -i "$W/layout"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"Loaded image: out:1"* ]]
	[ "$(KILN_ROOT="$W/other" inspect_field out:1 Id)" = "$id" ]
}

@test "build: -o type=oci with tar=false or a dest ending in '/' makes the directory; the layout keeps its other images" {
	W=$BATS_TEST_TMPDIR
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo one > /n
	EOF
	run kiln build -q -t app:1 -o type=oci,dest="$W/new/" "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	id1=${lines[-1]}
	[ -f "$W/new/index.json" ] && [ -f "$W/new/oci-layout" ]
	echo 'RUN echo two > /n' >> "$ctx/Dockerfile"
	run kiln build -q -t app:2 -o type=oci,dest="$W/new",tar=false "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	id2=${lines[-1]}
	# and again: app:2 is replaced, not added twice
	run kiln build -q -t app:2 -o type=oci,dest="$W/new",tar=false "$ctx"
	[ "$status" -eq 0 ]
	python3 - "$W/new" <<-'EOF'
	import json, sys
	idx = json.load(open(sys.argv[1] + "/index.json"))
	names = sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in idx["manifests"])
	assert names == ["app:1", "app:2"], names
	EOF
	run env KILN_ROOT="$W/other" "$KILN" load -i "$W/new"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(KILN_ROOT="$W/other" inspect_field app:1 Id)" = "$id1" ]
	[ "$(KILN_ROOT="$W/other" inspect_field app:2 Id)" = "$id2" ]
	# a file is still an oci-archive; tar=true into a directory is refused
	run kiln build -q -o type=oci,dest="$W/o.tar" "$ctx"
	[ "$status" -eq 0 ]
	tar -tf "$W/o.tar" | grep -qx index.json
	run kiln build -q -o type=oci,dest="$W/new",tar=true "$ctx"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"is a directory"*"tar=false"* ]]
}

@test "build: two builds writing one -o type=oci directory take turns; the layout has both" {
	need_tool skopeo
	need_tool umoci
	W=$BATS_TEST_TMPDIR
	dockerfile <<-'EOF'
	FROM busybox
	ARG N
	RUN echo "$N" > /n
	EOF
	mkdir "$W/layout"
	# a writer of the layout holds it (flock on the directory, as kiln)
	( flock 9 && exec sleep 7438 ) 9< "$W/layout" &
	holder=$!
	wait_for 1 'sleep 7438'
	for n in 1 2; do
		"$KILN" build --progress=plain --build-arg N=$n -t app:$n \
			-o type=oci,dest="$W/layout" "$ctx" > "$W/out$n" 2> "$W/err$n" &
		pids[n]=$!
	done
	# both have built and named their image; they wait for the layout
	for n in 1 2; do
		for _ in $(seq 100); do
			grep -q "naming to app:$n done" "$W/err$n" && break
			sleep 0.1
		done
	done
	sleep 0.5
	if [ -n "$(ls -A "$W/layout")" ]; then
		kill "$holder"
		echo "written while another writer held the layout:"
		ls -A "$W/layout"
		false
	fi
	kill "$holder"
	for n in 1 2; do
		wait_exit "${pids[n]}"
		[ "$st" -eq 0 ] || { echo "app:$n: status $st"; cat "$W/err$n"; false; }
	done
	python3 - "$W/layout" <<-'EOF'
	import json, sys
	idx = json.load(open(sys.argv[1] + "/index.json"))
	names = sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in idx["manifests"])
	assert names == ["app:1", "app:2"], names
	assert len({m["digest"] for m in idx["manifests"]}) == 2, idx
	EOF
	for n in 1 2; do
		[ "$(skopeo inspect --format '{{.Digest}}' "oci:$W/layout:app:$n")" = \
			"$(inspect_field app:$n RepoDigests)" ]
		umoci unpack --rootless --image "$W/layout:app:$n" "$W/bundle$n" >/dev/null
		[ "$(cat "$W/bundle$n/rootfs/n")" = "$n" ]
	done
}

@test "build: an -o kiln cannot write is a one-line error before any step runs" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo ran-7440 > /x
	EOF
	cp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	for o in type=weird,dest=x type=oci type=tar,tar=false,dest=x type=oci,tar=maybe,dest=x a,b; do
		run kiln build --progress=plain -o "$o" "$ctx"
		[ "$status" -eq 2 ] || { echo "$o: $status $output"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$o: $output"; false; }
		[[ "${lines[0]}" == "kiln: build: -o "* ]]
	done
	cmp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	[ -z "$(ls "$KILN_ROOT/kiln/logs" 2>/dev/null)" ]
}

@test "build: kill -9 of kiln mid-RUN takes the RUN with it; the next build sweeps what was left and succeeds" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN sleep 7441 && echo never > /x
	EOF
	cp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	"$KILN" build -t k9:1 "$ctx" > "$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	wait_for 1 'sleep 7441'
	kill -KILL "$pid"
	wait "$pid" || true
	# the container dies with kiln (its parent death signal)
	for _ in $(seq 50); do
		pgrep -u "$(id -u)" -f -- 'sleep 7441' >/dev/null || break
		sleep 0.1
	done
	if pgrep -u "$(id -u)" -f -- 'sleep 7441'; then echo "the RUN outlived kiln"; false; fi
	! grep -q "$KILN_ROOT" /proc/self/mountinfo
	cmp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	# the next build (the RUN now quick) finds the leftovers and clears them
	sed -i 's/sleep 7441 && //' "$ctx/Dockerfile"
	run kiln build -t k9:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat k9:1 /x)" = never ]
	assert_clean
	[ -z "$(ls -A "$KILN_ROOT/kiln/ingest")" ]
}
