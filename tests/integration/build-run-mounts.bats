#!/usr/bin/env bats
# RUN --mount as an ordinary user: what binds show is in the step's key (a
# changed file runs the step again), .dockerignore applies to them, secrets
# stay out of the image, locked caches take turns, and mount points leave
# no layer behind.

load helpers
load build

setup() {
	build_setup
}

# "layer" or "empty" for each history entry of IMAGE after the first N
history_kinds() {
	config_blob "$1" | python3 -c "
import json, sys
for h in json.load(sys.stdin)['history'][$2:]:
    print('empty' if h.get('empty_layer') else 'layer')" | tr '\n' ' '
}

# the number of layers of IMAGE
layer_count() {
	config_blob "$1" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['rootfs']['diff_ids']))"
}

# a build whose output must show the RUN step (line $1 of the Dockerfile) ran
# or was CACHED ($2); the rest are kiln's arguments
build_step() {
	local want=$1
	shift
	run kiln build --progress plain "$@"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	if [ "$want" = cached ]; then
		echo "$output" | grep -A1 '\] RUN --mount' | grep -q ' CACHED$' ||
			{ echo "the RUN ran: $output"; return 1; }
	else
		if echo "$output" | grep -A1 '\] RUN --mount' | grep -q ' CACHED$'; then
			echo "the RUN was CACHED: $output"
			return 1
		fi
	fi
}

@test "run-mounts: a bound context file that changed runs the step again" {
	echo one > "$ctx/in"
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,source=in,target=/mnt/in cat /mnt/in > /got
	EOF
	build_step ran -t bind:1 "$ctx"
	[ "$(rootfs_cat bind:1 /got)" = one ]
	build_step cached -t bind:1 "$ctx"
	echo two > "$ctx/in"
	build_step ran -t bind:2 "$ctx"
	[ "$(rootfs_cat bind:2 /got)" = two ]
	# the mode is part of what is bound, the mtime is not
	touch -d '2001-01-01' "$ctx/in"
	build_step cached "$ctx"
	chmod 600 "$ctx/in"
	build_step ran "$ctx"
}

@test "run-mounts: a bound context directory is hashed to its depths; .dockerignore'd files are neither hashed nor shown" {
	mkdir -p "$ctx/src/deep" "$ctx/src/logs"
	echo v1 > "$ctx/src/deep/f"
	echo noise1 > "$ctx/src/x.log"
	echo old > "$ctx/src/logs/keep"
	printf '%s\n' 'src/*.log' 'src/logs' > "$ctx/.dockerignore"
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,source=src,target=/src cd /src && find . | sort > /list && cat deep/f > /got
	EOF
	build_step ran -t dir:1 "$ctx"
	[ "$(rootfs_cat dir:1 /got)" = v1 ]
	# BuildKit sends no ignored file, so the bind shows none
	[ "$(rootfs_cat dir:1 /list | tr '\n' ' ')" = ". ./deep ./deep/f " ]
	echo noise2 > "$ctx/src/x.log"
	echo more > "$ctx/src/logs/other"
	build_step cached "$ctx"
	echo v2 > "$ctx/src/deep/f"
	build_step ran -t dir:2 "$ctx"
	[ "$(rootfs_cat dir:2 /got)" = v2 ]
	# the bind's copy is gone with the step, the context untouched
	[ -z "$(ls -A "$KILN_ROOT/kiln/snapshots" 2>/dev/null | grep -v '^\.')" ]
	[ "$(cat "$ctx/src/x.log")" = noise2 ]
}

@test "run-mounts: a bind of the context shows what a .dockerignore exception brings back" {
	mkdir -p "$ctx/docs/gone"
	echo readme > "$ctx/docs/README.md"
	echo other > "$ctx/docs/other.txt"
	echo x > "$ctx/docs/gone/x.txt"
	printf '%s\n' docs '!docs/*.md' > "$ctx/.dockerignore"
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,target=/c cd /c && find docs | sort > /all
	RUN --mount=type=bind,source=docs,target=/d cd /d && find . | sort > /docs
	EOF
	build_step ran -t bindx:1 "$ctx"
	[ "$(rootfs_cat bindx:1 /all | tr '\n' ' ')" = "docs docs/README.md " ]
	[ "$(rootfs_cat bindx:1 /docs | tr '\n' ' ')" = ". ./README.md " ]
}

@test "run-mounts: a filtered context directory is copied once a build, however many steps bind it" {
	mkdir -p "$ctx/src"
	echo v > "$ctx/src/f"
	echo x > "$ctx/src/x.log"
	echo 'src/*.log' > "$ctx/.dockerignore"
	# the bind's source as the mount table has it: the copy's path
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,source=src,target=/s awk '$5 == "/s" { print $4 }' /proc/self/mountinfo > /one && ls /s > /l1
	RUN --mount=type=bind,source=src,target=/s awk '$5 == "/s" { print $4 }' /proc/self/mountinfo > /two && ls /s > /l2
	EOF
	build_step ran -t once:1 "$ctx"
	[ "$(rootfs_cat once:1 /l1)" = f ]
	[ "$(rootfs_cat once:1 /l2)" = f ]
	one=$(rootfs_cat once:1 /one)
	[ -n "$one" ]
	[ "$one" = "$(rootfs_cat once:1 /two)" ]
	[ -z "$(ls -A "$KILN_ROOT/kiln/snapshots" 2>/dev/null | grep -v '^\.')" ]
}

@test "run-mounts: binding a file .dockerignore leaves out is an error, as in BuildKit" {
	echo secret > "$ctx/private.key"
	echo private.key > "$ctx/.dockerignore"
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,source=private.key,target=/k cat /k
	EOF
	run kiln build "$ctx"
	[ "$status" -eq 2 ]
	[[ "${lines[-1]}" == *"Dockerfile:2:"*"'private.key': not found in the build context (excluded by"* ]]
}

@test "run-mounts: a bind from a stage whose files changed runs the step again" {
	echo one > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox AS src
	COPY f /data/f
	FROM busybox
	RUN --mount=type=bind,from=src,source=/data,target=/d cat /d/f > /got
	EOF
	build_step ran -t st:1 "$ctx"
	[ "$(rootfs_cat st:1 /got)" = one ]
	build_step cached "$ctx"
	echo two > "$ctx/f"
	build_step ran -t st:2 "$ctx"
	[ "$(rootfs_cat st:2 /got)" = two ]
}

@test "run-mounts: a bind from an image follows the image's manifest" {
	base=$BATS_TEST_TMPDIR/base
	mkdir -p "$base"
	printf 'FROM busybox\nARG V\nRUN echo "$V" > /v\n' > "$base/Dockerfile"
	kiln build -q --build-arg V=one -t dep:1 "$base" >/dev/null
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,from=dep:1,source=/v,target=/v cat /v > /got
	EOF
	build_step ran -t img:1 "$ctx"
	[ "$(rootfs_cat img:1 /got)" = one ]
	build_step cached "$ctx"
	kiln build -q --build-arg V=two -t dep:1 "$base" >/dev/null
	build_step ran -t img:2 "$ctx"
	[ "$(rootfs_cat img:2 /got)" = two ]
}

@test "run-mounts: a secret from the environment is readable and in no layer, history or temp file" {
	export KILN_TEST_TOKEN=hunter2-from-env
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	sum=$(printf %s "$KILN_TEST_TOKEN" | md5sum | cut -c1-32)
	dockerfile <<-EOF
	FROM busybox
	RUN --mount=type=secret,id=tok test "\$(md5sum < /run/secrets/tok | cut -c1-32)" = $sum && echo ok > /checked
	RUN --mount=type=secret,id=tok,target=/etc/tok,mode=0400 test -r /etc/tok && echo ok > /checked2
	EOF
	run kiln build --secret id=tok,env=KILN_TEST_TOKEN -t sec:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat sec:1 /checked)" = ok ]
	[ "$(rootfs_cat sec:1 /checked2)" = ok ]
	if grep -rq hunter2-from-env "$KILN_ROOT"; then false; fi
	for b in "$KILN_ROOT"/blobs/sha256/*; do
		if (gzip -dc "$b" 2>/dev/null | grep -q hunter2-from-env); then false; fi
	done
	if config_blob sec:1 | grep -q hunter2; then false; fi
	if rootfs_list sec:1 | grep -qE ' ./(run|etc/tok)'; then false; fi
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "run-mounts: cache mounts with sharing=locked take turns across parallel stages" {
	# each step fails if it finds the other inside; both add to one log,
	# so the second sees the first's line
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN --mount=type=cache,id=lk,target=/m,sharing=locked [ ! -e /m/busy ] && touch /m/busy && sleep 1 && echo a >> /m/log && rm /m/busy && cat /m/log > /seen
	FROM busybox AS b
	RUN --mount=type=cache,id=lk,target=/m,sharing=locked [ ! -e /m/busy ] && touch /m/busy && sleep 1 && echo b >> /m/log && rm /m/busy && cat /m/log > /seen
	FROM busybox
	COPY --from=a /seen /a
	COPY --from=b /seen /b
	EOF
	run kiln build -j 2 -t lock:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	seen="$(rootfs_cat lock:1 /a | tr '\n' ' ')|$(rootfs_cat lock:1 /b | tr '\n' ' ')"
	[ "$seen" = "a |a b " ] || [ "$seen" = "b a |b " ] || { echo "$seen"; false; }
}

@test "run-mounts: a cache mount with sharing=private in use gives the other step an instance of its own" {
	# both steps must run at once (they meet in a shared cache) and find
	# their private cache empty of the other's mark
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN --mount=type=cache,id=meet,target=/meet --mount=type=cache,id=pv,target=/m,sharing=private touch /meet/a && for i in $(seq 100); do [ -e /meet/b ] && break; sleep 0.1; done && [ -e /meet/b ] && ls /m > /seen && touch /m/a-was-here
	FROM busybox AS b
	RUN --mount=type=cache,id=meet,target=/meet --mount=type=cache,id=pv,target=/m,sharing=private touch /meet/b && for i in $(seq 100); do [ -e /meet/a ] && break; sleep 0.1; done && [ -e /meet/a ] && ls /m > /seen && touch /m/b-was-here
	FROM busybox
	COPY --from=a /seen /a
	COPY --from=b /seen /b
	EOF
	run kiln build -j 2 -t priv:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(rootfs_cat priv:1 /a)" ]
	[ -z "$(rootfs_cat priv:1 /b)" ]
	# alone, a step takes the first instance, which kept what it was given
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=cache,id=pv,target=/m,sharing=private ls /m > /seen
	EOF
	run kiln build -t priv:2 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	seen=$(rootfs_cat priv:2 /seen)
	[ "$seen" = a-was-here ] || [ "$seen" = b-was-here ] || { echo "$seen"; false; }
}

@test "run-mounts: secret and tmpfs mount points leave no layer, whether their parents exist or not" {
	dockerfile <<-'EOF'
	FROM busybox AS bare
	RUN --mount=type=secret,id=s true
	RUN --mount=type=tmpfs,target=/data/t true
	RUN --mount=type=secret,id=s,target=/new/dir/s true
	FROM busybox AS dirs
	RUN mkdir -p /run /data
	RUN --mount=type=secret,id=s true
	RUN --mount=type=tmpfs,target=/data/t true
	RUN --mount=type=tmpfs,target=/data true
	EOF
	export S=x
	run kiln build --secret id=s,env=S -t bare:1 --target bare "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(history_kinds bare:1 1)" = "empty empty empty " ]
	[ "$(layer_count bare:1)" -eq 1 ]
	run kiln build --secret id=s,env=S -t dirs:1 --target dirs "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(history_kinds dirs:1 1)" = "layer empty empty empty " ]
	[ "$(layer_count dirs:1)" -eq 2 ]
	# the same on a copy snapshot, which compares the times it recorded
	run kiln build --snapshotter copy --no-cache --secret id=s,env=S -t dirs:2 --target dirs "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(history_kinds dirs:2 1)" = "layer empty empty empty " ]
}

@test "run-mounts: a step that changes the parent of its mount point keeps that change" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN mkdir /data && touch -d '2001-01-01 00:00:00' /data
	RUN --mount=type=tmpfs,target=/data/t touch /data/new
	EOF
	run kiln build -t parent:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(history_kinds parent:1 1)" = "layer layer " ]
	rootfs_list parent:1 | grep -q ' ./data/new$'
	if rootfs_list parent:1 | grep -q ' ./data/t'; then false; fi
	# the directory's time is the step's, not the one before it
	if rootfs_list parent:1 | grep ' ./data/$' | grep -q 2001-01-01; then false; fi
}

@test "run-mounts: a --secret kiln cannot give is a one-line error before any step runs" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo ran-7442 > /x
	EOF
	for s in id=k,src=/nonexistent/key bogus src=/etc/hostname id=k,colour=blue; do
		run kiln build --progress=plain --secret "$s" "$ctx"
		[ "$status" -eq 2 ] || { echo "$s: $status $output"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$s: $output"; false; }
		[[ "${lines[0]}" == "kiln: build: --secret $s: "* ]]
	done
	[ "${lines[0]}" = "kiln: build: --secret id=k,colour=blue: unknown key 'colour' (id, src, env, type)" ]
	# a missing Dockerfile is bad input too
	rm "$ctx/Dockerfile"
	run kiln build "$ctx"
	[ "$status" -eq 2 ]
	[[ "${lines[-1]}" == "kiln: build: cannot read the Dockerfile: "*"No such file or directory" ]]
}
