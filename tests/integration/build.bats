#!/usr/bin/env bats
# kiln build as an ordinary user: instructions, stages, the step cache,
# outputs and failures. Base image: busybox made offline (scripts/mkbase.sh).

load helpers
load build

setup() {
	build_setup
}

@test "build: RUN writes a file that is in the image" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo hello > /greeting
	EOF
	run kiln build -t app:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat app:1 /greeting)" = hello ]
}

@test "build: progress is BuildKit's plain format" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo out-line
	EOF
	run kiln build --progress plain -t app:1 "$ctx"
	[ "$status" -eq 0 ]
	[[ "$output" == *"#1 [stage-0 1/2] FROM busybox"* ]]
	[[ "$output" == *"[stage-0 2/2] RUN echo out-line"* ]]
	echo "$output" | grep -qE '^#2 [0-9]+\.[0-9]{3} out-line$'
	echo "$output" | grep -qE '^#2 DONE [0-9]+\.[0-9]s$'
}

@test "build: -q prints only the image ID, --iidfile writes it" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN true
	EOF
	kiln build -q --iidfile "$BATS_TEST_TMPDIR/iid" "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
	grep -qxE 'sha256:[0-9a-f]{64}' "$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/iid")" = "$(cat "$BATS_TEST_TMPDIR/out")" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "build: metadata instructions reach the image config" {
	dockerfile <<-'EOF'
	FROM busybox
	ARG SECRET_DEFAULT=hidden
	ENV A=1 B="two words"
	LABEL org.example.x=y
	EXPOSE 80 53/UDP
	VOLUME /data
	USER app
	WORKDIR /srv/app
	STOPSIGNAL SIGTERM
	ENTRYPOINT ["/bin/sh", "-c"]
	CMD ["echo hi"]
	EOF
	run kiln build -t meta:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$(cfg meta:1 Env)" == *'"A=1", "B=two words"'* ]]
	[ "$(cfg meta:1 Labels)" = '{"org.example.x": "y"}' ]
	[ "$(cfg meta:1 ExposedPorts)" = '{"53/udp": {}, "80/tcp": {}}' ]
	[ "$(cfg meta:1 Volumes)" = '{"/data": {}}' ]
	[ "$(cfg meta:1 User)" = '"app"' ]
	[ "$(cfg meta:1 WorkingDir)" = '"/srv/app"' ]
	[ "$(cfg meta:1 StopSignal)" = '"SIGTERM"' ]
	[ "$(cfg meta:1 Entrypoint)" = '["/bin/sh", "-c"]' ]
	[ "$(cfg meta:1 Cmd)" = '["echo hi"]' ]
	# ARG defaults never reach the config
	if config_blob meta:1 | grep -q hidden; then false; fi
	rootfs_list meta:1 | grep -q ' ./srv/app/$'
}

@test "build: ENTRYPOINT clears the base's CMD but keeps one set in the stage" {
	dockerfile <<-'EOF'
	FROM busybox AS base
	CMD ["base"]
	FROM base AS a
	ENTRYPOINT ["/bin/echo"]
	FROM base AS b
	CMD ["mine"]
	ENTRYPOINT ["/bin/echo"]
	EOF
	kiln build --target a -t ep:a "$ctx"
	kiln build --target b -t ep:b "$ctx"
	[ "$(cfg ep:a Cmd)" = null ]
	[ "$(cfg ep:b Cmd)" = '["mine"]' ]
}

@test "build: shell and exec forms, SHELL is honoured" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN ["/bin/sh", "-c", "echo exec > /exec"]
	SHELL ["/bin/sh", "-x", "-c"]
	RUN echo shell > /shell
	EOF
	run kiln build --progress plain -t forms:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"+ echo shell"* ]]
	[ "$(rootfs_cat forms:1 /exec)" = exec ]
	[ "$(rootfs_cat forms:1 /shell)" = shell ]
}

@test "build: RUN sees ENV, build args, WORKDIR and USER" {
	dockerfile <<-'EOF'
	FROM busybox
	ARG GREETING=hi
	ENV WHO=world
	WORKDIR /w
	RUN echo "$GREETING $WHO $(pwd) $(id -u)" > /w/root.txt
	USER app
	RUN id -u > /tmp/app-uid
	EOF
	run kiln build --build-arg GREETING=hey -t env:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat env:1 /w/root.txt)" = "hey world /w 0" ]
	[ "$(rootfs_cat env:1 /tmp/app-uid)" = 1000 ]
}

@test "build: a failing RUN fails the build with the Dockerfile line" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo before
	RUN echo doomed; exit 3
	EOF
	run kiln build -t fail:1 "$ctx"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:3: RUN: process \"/bin/sh -c echo doomed; exit 3\" did not complete successfully: exit code: 3" ]]
	run kiln images
	[[ "$output" != *fail* ]]
}

@test "build: a RUN killed by a signal is reported as such" {
	# the command is PID 1 of its namespace, which only a signal from
	# outside can kill (as with docker without --init)
	dockerfile <<-'EOF'
	FROM busybox
	RUN sleep 1001
	EOF
	"$KILN" build "$ctx" > "$BATS_TEST_TMPDIR/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		sp=$(pgrep -u "$(id -u)" -f -x 'sleep 1001') && break
		sleep 0.1
	done
	kill -9 "$sp"
	st=0
	wait $pid || st=$?
	[ "$st" -eq 1 ]
	[[ "$(tail -n 1 "$BATS_TEST_TMPDIR/log")" == *"Dockerfile:2:"*"killed by signal 9"* ]]
}

@test "build: quiet mode shows the failed step's last lines" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo the-reason >&2; false
	EOF
	run kiln build -q "$ctx"
	[ "$status" -eq 1 ]
	[[ "$output" == *the-reason* ]]
}

@test "build: COPY files, directories (contents), globs and destinations" {
	mkdir -p "$ctx/dir/sub"
	echo a > "$ctx/a.txt"
	echo b > "$ctx/b.txt"
	echo c > "$ctx/dir/sub/c"
	echo x > "$ctx/x.conf"
	dockerfile <<-'EOF'
	FROM busybox
	COPY a.txt /single
	COPY a.txt /into/
	COPY *.txt /many/
	COPY dir /tree
	WORKDIR /rel
	COPY x.conf here.conf
	EOF
	run kiln build -t copy:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list copy:1
	[[ "$output" == *" ./single"* ]]
	[[ "$output" == *" ./into/a.txt"* ]]
	[[ "$output" == *" ./many/a.txt"* ]]
	[[ "$output" == *" ./many/b.txt"* ]]
	[[ "$output" == *" ./tree/sub/c"* ]]
	[[ "$output" != *" ./tree/dir"* ]]
	[[ "$output" == *" ./rel/here.conf"* ]]
}

@test "build: COPY --parents keeps the sources' directories, --exclude leaves files out" {
	mkdir -p "$ctx/a/b" "$ctx/c" "$ctx/src/sub"
	echo 1 > "$ctx/a/b/f.txt"
	echo 2 > "$ctx/c/g.txt"
	echo keep > "$ctx/src/keep.c"
	echo obj > "$ctx/src/skip.o"
	echo obj > "$ctx/src/sub/deep.o"
	echo keep > "$ctx/src/sub/deep.c"
	echo log > "$ctx/src/sub/build.log"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --parents a/b/f.txt c/*.txt /kept/
	COPY a/b/f.txt c/*.txt /flat/
	COPY --exclude=*.o --exclude=*.log src /src/
	EOF
	run kiln build -t flags:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list flags:1
	[[ "$output" == *" ./kept/a/b/f.txt"* ]]
	[[ "$output" == *" ./kept/c/g.txt"* ]]
	[[ "$output" != *" ./kept/f.txt"* ]]
	[[ "$output" == *" ./flat/f.txt"* ]]
	[[ "$output" == *" ./flat/g.txt"* ]]
	[[ "$output" != *" ./flat/a/"* ]]
	[[ "$output" == *" ./src/keep.c"* ]]
	[[ "$output" == *" ./src/sub/deep.c"* ]]
	[[ "$output" != *".o"* ]]
	[[ "$output" != *"build.log"* ]]
	# what --exclude leaves out is not in the step's key either
	echo changed > "$ctx/src/sub/deep.o"
	run kiln build --progress=plain -t flags:1 "$ctx"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' CACHED$' <<<"$output")" -eq 3 ]
}

@test "build: COPY --link gives the files COPY gives, in a layer of their own" {
	echo linked > "$ctx/l.txt"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --link l.txt /opt/l.txt
	EOF
	run kiln build -t link:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat link:1 /opt/l.txt)" = linked ]
	# the step's layer holds the file and the directory made for it, nothing else
	layer=$(kiln inspect link:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Manifest']['layers'][-1]['digest'][7:])")
	[ "$(tar -tzf "$KILN_ROOT/blobs/sha256/$layer" | sort | tr '\n' ' ')" = "opt/ opt/l.txt " ]
}

@test "build: COPY --chown and --chmod set owners and modes" {
	echo data > "$ctx/f"
	# the symbolic mode applies to the source's: fix it, not the umask
	chmod 644 "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --chown=app:app --chmod=0640 f /owned
	COPY --chown=1234:5678 f /numeric
	COPY --chmod=u+x,go-r f /sym
	EOF
	run kiln build -t chown:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list chown:1
	echo "$output" | grep -qE '^-rw-r----- 1000/1000 .* \./owned$'
	echo "$output" | grep -qE '^-rw-r--r-- 1234/5678 .* \./numeric$'
	# 0644, u+x: 0744, go-r: 0700
	echo "$output" | grep -qE '^-rwx------ 0/0 .* \./sym$'
}

@test "build: COPY of an unknown user is an error naming it" {
	echo data > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --chown=nosuchuser f /f
	EOF
	run kiln build "$ctx"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == *"Dockerfile:2:"*nosuchuser* ]]
}

@test "build: .dockerignore keeps files out of COPY" {
	echo keep > "$ctx/keep"
	echo secret > "$ctx/secret.key"
	printf '*.key\n' > "$ctx/.dockerignore"
	dockerfile <<-'EOF'
	FROM busybox
	COPY . /ctx/
	EOF
	run kiln build -t ign:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list ign:1
	[[ "$output" == *" ./ctx/keep"* ]]
	[[ "$output" != *secret.key* ]]
	dockerfile <<-'EOF'
	FROM busybox
	COPY secret.key /
	EOF
	run kiln build "$ctx"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == *"Dockerfile:2:"*"secret.key"*"not found"* ]]
}

@test "build: a .dockerignore exception brings a file back from an excluded directory" {
	mkdir -p "$ctx/docs/sub" "$ctx/docs/gone" "$ctx/logs"
	echo readme > "$ctx/docs/README.md"
	echo other > "$ctx/docs/other.txt"
	echo deep > "$ctx/docs/sub/keep.md"
	echo x > "$ctx/docs/gone/x.txt"
	echo l > "$ctx/logs/a.log"
	chmod 750 "$ctx/docs"
	printf '%s\n' docs '!docs/*.md' '!docs/sub/keep.md' logs > "$ctx/.dockerignore"
	dockerfile <<-'EOF'
	FROM busybox
	COPY . /ctx/
	COPY docs /named/
	COPY doc* /glob/
	EOF
	run kiln build -t ignx:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list ignx:1
	list=$(printf '%s\n' "$output" | awk '{print $1, $NF}' | grep -E ' \./(ctx|named|glob)/' | sort)
	# as BuildKit's context: the kept files with their directories, no
	# empty excluded directory (docs/gone, logs), the directory's mode kept
	# (a directory copied to a new destination gives it its own mode)
	[ "$list" = "$(printf '%s\n' \
		'-rw-r--r-- ./ctx/.dockerignore' \
		'-rw-r--r-- ./ctx/Dockerfile' \
		'-rw-r--r-- ./ctx/docs/README.md' \
		'-rw-r--r-- ./ctx/docs/sub/keep.md' \
		'-rw-r--r-- ./glob/README.md' \
		'-rw-r--r-- ./glob/sub/keep.md' \
		'-rw-r--r-- ./named/README.md' \
		'-rw-r--r-- ./named/sub/keep.md' \
		'drwxr-x--- ./ctx/docs/' \
		'drwxr-x--- ./glob/' \
		'drwxr-x--- ./named/' \
		'drwxr-xr-x ./ctx/' \
		'drwxr-xr-x ./ctx/docs/sub/' \
		'drwxr-xr-x ./glob/sub/' \
		'drwxr-xr-x ./named/sub/' | sort)" ] || { echo "$list"; false; }
	# a change in a left-out file is no change to the step
	echo changed > "$ctx/docs/other.txt"
	run kiln build --progress=plain "$ctx"
	[ "$status" -eq 0 ]
	[ "$(grep -c CACHED <<<"$output")" -eq 3 ] || { echo "$output"; false; }
	echo changed > "$ctx/docs/sub/keep.md"
	run kiln build --progress=plain "$ctx"
	[ "$(grep -c CACHED <<<"$output")" -eq 0 ] || { echo "$output"; false; }
}

@test "build: a missing COPY source names the line and the file" {
	dockerfile <<-'EOF'
	FROM busybox
	COPY nothere /x
	EOF
	run kiln build "$ctx"
	[ "$status" -eq 2 ]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:2: COPY: \"nothere\": not found in the build context"* ]]
}

@test "build: a context symlink cannot make COPY read outside the context" {
	ln -s /etc/passwd "$ctx/link"
	ln -s ../../../../../../etc "$ctx/updir"
	dockerfile <<-'EOF'
	FROM busybox
	COPY link /copied
	EOF
	run kiln build "$ctx"
	# /etc/passwd resolves inside the context, where there is none
	[ "$status" -ne 0 ]
	dockerfile <<-'EOF'
	FROM busybox
	COPY updir/passwd /copied
	EOF
	run kiln build "$ctx"
	[ "$status" -ne 0 ]
}

@test "build: a symlink in the image cannot make COPY write outside the root" {
	echo payload > "$ctx/f"
	dockerfile <<-EOF
	FROM busybox
	RUN ln -s $BATS_TEST_TMPDIR/outside /escape
	COPY f /escape/f
	EOF
	run kiln build -t esc:1 "$ctx"
	[ ! -e "$BATS_TEST_TMPDIR/outside/f" ]
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# the link resolves inside the root, where the file goes
	rootfs_list esc:1 | grep -q "^-.* \.$BATS_TEST_TMPDIR/outside/f$"
	rootfs_list esc:1 | grep -q "^l.* \./escape -> $BATS_TEST_TMPDIR/outside$"
}

@test "build: a COPY destination that links to a directory is followed inside the root; a link to a file is replaced" {
	mkdir -p "$ctx/conf"
	echo conf > "$ctx/conf/app.conf"
	echo new > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	RUN mkdir -p /opt/app/etc && ln -s /opt/app/etc /etc/app && echo old > /opt/app/target && ln -s /opt/app/target /link && ln -s /opt/app/new /dangling && ln -s ../../../opt/app/etc /rel
	COPY conf/ /etc/app/
	COPY f /link
	COPY f /dangling
	COPY f /rel/g
	COPY f /rel
	EOF
	run kiln build -t thru:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list thru:1
	[[ "$output" =~ l[^$'\n']*\ \./etc/app\ -\>\ /opt/app/etc ]]
	[[ "$output" =~ l[^$'\n']*\ \./rel\ -\>\ \.\./\.\./\.\./opt/app/etc ]]
	[[ "$output" =~ -[^$'\n']*\ \./link$'\n' ]]
	[[ "$output" =~ -[^$'\n']*\ \./dangling$'\n' ]]
	[[ "$output" != *"./opt/app/new"* ]]
	[ "$(rootfs_cat thru:1 /opt/app/etc/app.conf)" = conf ]
	[ "$(rootfs_cat thru:1 /opt/app/target)" = old ]
	[ "$(rootfs_cat thru:1 /link)" = new ]
	[ "$(rootfs_cat thru:1 /opt/app/etc/g)" = new ]
	[ "$(rootfs_cat thru:1 /opt/app/etc/f)" = new ]
}

@test "build: multi-stage COPY --from a named stage" {
	dockerfile <<-'EOF'
	FROM busybox AS build
	RUN mkdir /out && echo built > /out/artifact
	FROM busybox
	COPY --from=build /out/artifact /artifact
	EOF
	run kiln build -t ms:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat ms:1 /artifact)" = built ]
}

@test "build: --target stops at a stage and stages it does not need never run" {
	dockerfile <<-'EOF'
	FROM busybox AS base
	RUN echo base > /base
	FROM base AS broken
	RUN exit 1
	FROM base AS good
	RUN echo good > /good
	EOF
	run kiln build --target good -t tgt:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" != *"RUN exit 1"* ]]
	[ "$(rootfs_cat tgt:1 /good)" = good ]
}

@test "build: a failing test stage fails the build; skipping it skips the tests" {
	dockerfile <<-'EOF'
	FROM busybox AS build
	RUN echo 'exit 1' > /selftest
	FROM build AS test
	RUN sh /selftest
	FROM build AS final
	COPY --from=build /selftest /app
	EOF
	run kiln build --target test "$ctx"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"Dockerfile:4:"* ]]
	run kiln build --target final -t final:1 "$ctx"
	[ "$status" -eq 0 ]
}

@test "build: an unchanged rebuild runs no step and gives the same image" {
	echo v1 > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY f /f
	RUN cat /f > /g
	EOF
	first=$(kiln build -q "$ctx")
	run kiln build --progress plain "$ctx"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c CACHED)" -eq 2 ]
	[[ "$output" == *"writing image $first"* ]]
}

@test "build: cache misses on a changed file, hits on a touched one" {
	echo v1 > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY f /f
	RUN cat /f > /g
	EOF
	kiln build -q "$ctx" >/dev/null
	touch -d '2001-01-01' "$ctx/f"
	run kiln build --progress plain "$ctx"
	[ "$(echo "$output" | grep -c CACHED)" -eq 2 ]
	echo v2 > "$ctx/f"
	run kiln build --progress plain -t changed:1 "$ctx"
	[ "$(echo "$output" | grep -c CACHED)" -eq 0 ]
	[ "$(rootfs_cat changed:1 /g)" = v2 ]
}

@test "build: cache misses on a changed build arg or instruction" {
	dockerfile <<-'EOF'
	FROM busybox
	ARG V=1
	RUN echo $V > /v
	EOF
	kiln build -q "$ctx" >/dev/null
	run kiln build --progress plain --build-arg V=2 -t arg:2 "$ctx"
	[[ "$output" != *CACHED* ]]
	[ "$(rootfs_cat arg:2 /v)" = 2 ]
	run kiln build --progress plain --build-arg V=2 "$ctx"
	[[ "$output" == *CACHED* ]]
	sed -i 's/echo \$V/echo "$V"/' "$ctx/Dockerfile"
	run kiln build --progress plain --build-arg V=2 "$ctx"
	[[ "$output" != *CACHED* ]]
}

@test "build: --no-cache runs every step" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo once
	EOF
	kiln build -q "$ctx" >/dev/null
	run kiln build --no-cache --progress plain "$ctx"
	[ "$status" -eq 0 ]
	[[ "$output" != *CACHED* ]]
	[[ "$output" == *" once"* ]]
}

@test "build: a secret is readable in RUN and absent from layers and history" {
	echo hunter2-secret > "$BATS_TEST_TMPDIR/s.txt"
	# the Dockerfile names a hash of the secret, never the secret
	sum=$(md5sum < "$BATS_TEST_TMPDIR/s.txt" | cut -c1-32)
	dockerfile <<-EOF
	FROM busybox
	RUN --mount=type=secret,id=tok test "\$(md5sum < /run/secrets/tok | cut -c1-32)" = $sum && echo ok > /checked
	EOF
	run kiln build --secret id=tok,src="$BATS_TEST_TMPDIR/s.txt" -t sec:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat sec:1 /checked)" = ok ]
	if grep -rq hunter2-secret "$KILN_ROOT/blobs"; then false; fi
	for b in "$KILN_ROOT"/blobs/sha256/*; do
		if (gzip -dc "$b" 2>/dev/null | grep -q hunter2-secret); then false; fi
	done
	if rootfs_list sec:1 | grep -q 'run/secrets'; then false; fi
}

@test "build: a required secret that was not given is an error" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=secret,id=tok,required=true true
	EOF
	run kiln build "$ctx"
	[ "$status" -eq 2 ]
	[[ "${lines[-1]}" == *"Dockerfile:2:"*"secret 'tok'"* ]]
}

@test "build: RUN --mount=type=cache persists between builds and stays out of layers" {
	dockerfile <<-'EOF'
	FROM busybox
	ARG N=1
	RUN --mount=type=cache,target=/cache echo "$N" >> /cache/log && cat /cache/log > /seen
	EOF
	kiln build --build-arg N=1 -q "$ctx" >/dev/null
	kiln build --build-arg N=2 -t cache:2 -q "$ctx" >/dev/null
	[ "$(rootfs_cat cache:2 /seen | tr '\n' ' ')" = "1 2 " ]
	if rootfs_list cache:2 | grep -q ' ./cache'; then false; fi
}

@test "build: RUN --mount=type=bind from the context and type=tmpfs" {
	echo from-context > "$ctx/in"
	dockerfile <<-'EOF'
	FROM busybox
	RUN --mount=type=bind,source=in,target=/mnt/in cat /mnt/in > /got
	RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && grep -q ' /scratch ' /proc/mounts && echo ok > /tmpfs-ok
	EOF
	run kiln build -t bind:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat bind:1 /got)" = from-context ]
	if rootfs_list bind:1 | grep -qE ' ./(mnt|scratch)'; then false; fi
}

@test "build: RUN --network=none has only loopback" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > /ifaces
	EOF
	run kiln build -t net:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat net:1 /ifaces)" = lo ]
}

@test "build: /etc/hosts and /etc/resolv.conf of RUN never reach a layer" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN test -s /etc/hosts && test -e /etc/resolv.conf && echo ok > /ok
	EOF
	run kiln build -t hosts:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list hosts:1
	[[ "$output" != *etc/hosts* ]]
	[[ "$output" != *etc/resolv.conf* ]]
}

@test "build: deleting a base file in RUN makes a whiteout" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN rm /etc/group
	EOF
	run kiln build -t wh:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run rootfs_list wh:1
	[[ "$output" != *" ./etc/group"* ]]
	[[ "$output" == *" ./etc/passwd"* ]]
}

@test "build: RUN and COPY heredocs" {
	require_feature DF_HEREDOC
	dockerfile <<-'EOF'
	FROM busybox
	RUN <<EOT
	echo one > /h1
	echo two >> /h1
	EOT
	COPY <<EOT /h2
	copied $HOME
	EOT
	EOF
	run kiln build -t here:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat here:1 /h1 | tr '\n' ' ')" = "one two " ]
	[ "$(rootfs_cat here:1 /h2)" = "copied " ]
}

@test "build: ADD unpacks a local tar.gz" {
	mkdir -p "$BATS_TEST_TMPDIR/arch/pkg"
	echo inside > "$BATS_TEST_TMPDIR/arch/pkg/file"
	tar -C "$BATS_TEST_TMPDIR/arch" -czf "$ctx/pkg.tar.gz" pkg
	dockerfile <<-'EOF'
	FROM busybox
	ADD pkg.tar.gz /opt/
	EOF
	run kiln build -t add:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat add:1 /opt/pkg/file)" = inside ]
}

@test "build: -f - reads the Dockerfile from standard input" {
	run kiln build -t stdin:1 -f - "$ctx" <<-'EOF'
	FROM busybox
	RUN echo piped > /p
	EOF
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat stdin:1 /p)" = piped ]
}

@test "build: a context of - is a tar on standard input" {
	echo from-tar > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY f /f
	EOF
	tar -C "$ctx" -cf "$BATS_TEST_TMPDIR/ctx.tar" .
	run kiln build -t tarctx:1 - < "$BATS_TEST_TMPDIR/ctx.tar"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat tarctx:1 /f)" = from-tar ]
}

@test "build: --label adds labels, several -t name one image" {
	dockerfile <<-'EOF'
	FROM busybox
	EOF
	run kiln build --label team=edge -t one:1 -t two:2 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(cfg one:1 Labels)" = '{"team": "edge"}' ]
	[ "$(kiln inspect one:1 | grep '"Id"')" = "$(kiln inspect two:2 | grep '"Id"')" ]
}

@test "build: -o type=oci and type=docker archives load elsewhere" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo x > /x
	EOF
	run kiln build -t out:1 -o type=oci,dest="$BATS_TEST_TMPDIR/o.tar" \
		-o type=docker,dest="$BATS_TEST_TMPDIR/d.tar" "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	skopeo inspect "oci-archive:$BATS_TEST_TMPDIR/o.tar" >/dev/null
	skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/d.tar" >/dev/null
	# what docker load reads, loaded by podman (no daemon here): the tag
	# and the image ID
	need_tool podman
	local p=$BATS_TEST_TMPDIR/podman id
	id=$(kiln inspect out:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Id'])")
	run podman --root "$p/root" --runroot "$p/run" --storage-driver vfs load -i "$BATS_TEST_TMPDIR/d.tar"
	if [[ "$output" == *"cannot"*"namespace"* || "$output" == *"newuidmap"* || "$output" == *"unshare"* ]]; then
		skip "podman cannot run here: ${lines[-1]}"
	fi
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run podman --root "$p/root" --runroot "$p/run" --storage-driver vfs images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'
	[[ "$output" == *"${id#sha256:} localhost/out:1"* ]] || { echo "$output / $id"; false; }
}

@test "build: -o type=tar writes the root filesystem" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo x > /x
	EOF
	run kiln build -o type=tar,dest="$BATS_TEST_TMPDIR/root.tar" "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	tar -tf "$BATS_TEST_TMPDIR/root.tar" | grep -qx 'x'
	tar -tf "$BATS_TEST_TMPDIR/root.tar" | grep -qx 'bin/busybox'
}

@test "build: -o type=local (and -o DIR) writes the root filesystem as files" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo x > /x && chown 1000:1000 /x
	EOF
	run kiln build -o type=local,dest="$BATS_TEST_TMPDIR/out" -o "$BATS_TEST_TMPDIR/out2" "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(cat "$BATS_TEST_TMPDIR/out/x")" = x ]
	[ -x "$BATS_TEST_TMPDIR/out2/bin/busybox" ]
	# the files are the caller's, as docker's local exporter leaves them
	[ "$(stat -c %u "$BATS_TEST_TMPDIR/out/x")" = "$(id -u)" ]
	rm -rf "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/out2"
}

@test "build: --format docker writes docker media types" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN true
	EOF
	run kiln build --format docker -t dk:1 "$ctx"
	[ "$status" -eq 0 ]
	kiln inspect dk:1 | grep -q 'application/vnd.docker.distribution.manifest.v2+json'
}

@test "build: both snapshotters give the same image" {
	echo data > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY f /f
	RUN mkdir -p /a/b && echo x > /a/b/c && rm /etc/group && chmod 700 /home
	RUN rm -r /a && mkdir /a && echo y > /a/new
	EOF
	a=$(kiln build --no-cache -q --snapshotter overlay "$ctx")
	b=$(kiln build --no-cache -q --snapshotter copy "$ctx")
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "build: FROM an image that is not in the store" {
	dockerfile <<-'EOF'
	FROM nosuch/image:1
	EOF
	if grep -q '^CONFIG_REGISTRY=y' "$KILN_CONFIG"; then
		run kiln build --pull=never "$ctx"
	else
		run kiln build "$ctx"
	fi
	[ "$status" -eq 2 ]
	# progress says which step failed; the error is the last line
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:1: FROM nosuch/image:1: no such image"* ]]
	grep -q '^CONFIG_REGISTRY=y' "$KILN_CONFIG" || return 0
	# with registries, the store asks the image's registry, which is not there
	dockerfile <<-'EOF'
	FROM 127.0.0.1:1/nosuch/image:1
	EOF
	run kiln build "$ctx"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:1: FROM 127.0.0.1:1/nosuch/image:1: "*"cannot reach registry '127.0.0.1:1'"* ]]
}

@test "build: a Dockerfile error names the line; the store is unchanged" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN true
	BOGUS thing
	EOF
	before=$(cat "$KILN_ROOT/index.json")
	run kiln build -t x:1 "$ctx"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"Dockerfile:3:"* ]]
	[ "$(cat "$KILN_ROOT/index.json")" = "$before" ]
}

@test "build: bad flags and a missing context are one-line errors" {
	run kiln build --progress fancy "$ctx"
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln build "$BATS_TEST_TMPDIR/nope"
	[ "$status" -eq 2 ]
	assert_one_error_line
	run kiln build -t 'Bad Name' "$ctx"
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "build: Ctrl-C during RUN leaves no process, mount or temp dir" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN sleep 1000
	EOF
	"$KILN" build "$ctx" > "$BATS_TEST_TMPDIR/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		pgrep -u "$(id -u)" -f -x 'sleep 1000' >/dev/null && break
		sleep 0.1
	done
	kill -INT $pid
	st=0
	wait $pid || st=$?
	[ "$st" -ne 0 ]
	if pgrep -u "$(id -u)" -f 'sleep 1000'; then false; fi
	[ -z "$(ls -A "$KILN_ROOT/kiln/snapshots" 2>/dev/null)" ]
	if grep -q "$KILN_ROOT" /proc/self/mountinfo; then false; fi
}

@test "build: ONBUILD triggers of the base run in the child" {
	dockerfile <<-'EOF'
	FROM busybox
	ONBUILD RUN echo triggered > /trig
	EOF
	kiln build -t parent:1 "$ctx"
	dockerfile <<-'EOF'
	FROM parent:1
	RUN cat /trig > /seen
	EOF
	run kiln build -t child:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat child:1 /seen)" = triggered ]
	[ "$(cfg child:1 OnBuild)" = null ]
}

@test "build: HEALTHCHECK is kept under docker's field name" {
	dockerfile <<-'EOF'
	FROM busybox
	HEALTHCHECK --interval=30s --retries=3 CMD true
	EOF
	kiln build -t hc:1 "$ctx"
	config_blob hc:1 | python3 -c "
import json, sys
h = json.load(sys.stdin)['config']['Healthcheck']
assert h['Test'] == ['CMD-SHELL', 'true'], h
assert h['Interval'] == 30000000000, h
assert h['Retries'] == 3, h"
}

@test "build: history follows BuildKit's created_by" {
	dockerfile <<-'EOF'
	FROM busybox
	ENV A=1
	RUN true
	EOF
	kiln build -t hist:1 "$ctx"
	config_blob hist:1 | python3 -c "
import json, sys
h = json.load(sys.stdin)['history'][-2:]
assert h[0]['created_by'] == 'ENV A=1' and h[0]['empty_layer'], h
assert h[1]['created_by'] == 'RUN /bin/sh -c true # buildkit', h"
}

@test "build: an image is dated by its last step, metadata steps too, as BuildKit dates it" {
	SOURCE_DATE_EPOCH=1600000000 kiln import "$BATS_FILE_TMPDIR/busybox-base.tar" old:1 >/dev/null
	[ "$(kiln inspect old:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Created'])")" = 2020-09-13T12:26:40Z ]
	dockerfile <<-'EOF'
	FROM old:1
	LABEL a=b
	EOF
	kiln build -t dated:1 "$ctx"
	config_blob dated:1 | python3 -c "
import json, sys
c = json.load(sys.stdin)
assert c['created'] == '2023-11-14T22:13:20Z', c['created']
assert c['history'][-1]['created'] == c['created'], c['history']"
	# without SOURCE_DATE_EPOCH, the time of the build
	before=$(date -u +%s)
	SOURCE_DATE_EPOCH= kiln build --no-cache -t dated:2 "$ctx"
	created=$(config_blob dated:2 | python3 -c "import json,sys; print(json.load(sys.stdin)['created'])")
	[ "$(date -u -d "$created" +%s)" -ge "$before" ] || { echo "$created"; false; }
}

@test "build: prune removes unpacked layers whose files belong to other ids" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN mkdir -p /home/app/x && echo f > /home/app/x/f && chown -R 1000:1000 /home/app
	RUN true
	EOF
	kiln build -q -t ids:1 "$ctx" >/dev/null
	[ -n "$(ls -A "$KILN_ROOT/kiln/layers")" ]
	kiln rmi ids:1 busybox >/dev/null
	run kiln prune
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(ls -A "$KILN_ROOT/kiln/layers")" ]
}

@test "build: --jobs runs independent stages side by side" {
	# each stage waits for the other's mark in a shared cache mount: they
	# meet only when both run at once
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN --mount=type=cache,id=meet,target=/m,sharing=shared touch /m/a && for i in $(seq 100); do [ -e /m/b ] && echo met > /a && exit 0; sleep 0.1; done; exit 1
	FROM busybox AS b
	RUN --mount=type=cache,id=meet,target=/m,sharing=shared touch /m/b && for i in $(seq 100); do [ -e /m/a ] && echo met > /b && exit 0; sleep 0.1; done; exit 1
	FROM busybox
	COPY --from=a /a /a
	COPY --from=b /b /b
	EOF
	run kiln build -j 2 -t par:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat par:1 /a)" = met ]
	[ "$(rootfs_cat par:1 /b)" = met ]
	# and one at a time they cannot meet: the first stage gives up
	rm -rf "$KILN_ROOT/kiln/mounts"
	run kiln build -j 1 --no-cache "$ctx"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"Dockerfile:2:"* ]]
}

@test "build: a stage failing in a child process fails the build with its line" {
	dockerfile <<-'EOF'
	FROM busybox AS a
	RUN exit 5
	FROM busybox AS b
	RUN true
	FROM busybox
	COPY --from=a / /a
	COPY --from=b / /b
	EOF
	run kiln build -j 2 "$ctx"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:2: RUN: "*"exit code: 5" ]]
}

@test "build: with only the caller's id, COPY --chown is still recorded in the layer" {
	# no newuidmap on PATH: kiln falls back to a single-id map
	mkdir -p "$BATS_TEST_TMPDIR/nobin"
	echo data > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --chown=1000:1000 f /f
	EOF
	PATH=$BATS_TEST_TMPDIR/nobin run "$KILN" build -t single:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"ids other than 0 are unavailable"* ]]
	rootfs_list single:1 | grep -qE '^-.* 1000/1000 .* \./f$'
	echo 'RUN chown 1000 /f' >> "$ctx/Dockerfile"
	PATH=$BATS_TEST_TMPDIR/nobin run "$KILN" build "$ctx"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/etc/subuid"*"steps that switch users"* ]]
}

@test "build: each RUN's whole output is kept in a log the failure names" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN for i in $(seq 30); do echo "line $i"; done; exit 2
	EOF
	run kiln build --progress plain "$ctx"
	[ "$status" -eq 1 ]
	log=$(echo "$output" | sed -n "s/^#2 the step's whole output: //p")
	[ -f "$log" ]
	[ "$(wc -l < "$log")" -eq 30 ]
	[ "$(head -n 1 "$log")" = "line 1" ]
	# prune drops the step cache and its logs
	kiln prune >/dev/null
	[ ! -e "$log" ]
}

@test "build: a base of another architecture is an error with --platform, a warning without" {
	kiln import --platform linux/arm64 "$BATS_FILE_TMPDIR/busybox-base.tar" labelled-arm64 >/dev/null
	dockerfile <<-'EOF'
	FROM labelled-arm64
	LABEL x=y
	EOF
	run kiln build --platform linux/amd64 "$ctx"
	[ "$status" -eq 2 ]
	[[ "${lines[-1]}" == *"Dockerfile:1: FROM labelled-arm64: the image is linux/arm64, the stage is for linux/amd64" ]]
	run kiln build -t warned:1 "$ctx"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: FROM labelled-arm64: the image is linux/arm64"* ]]
	kiln inspect warned:1 | grep -q '"Architecture": "arm64"'
}

@test "build: a base layer damaged in the store is one line that names it and kiln fsck" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN true
	EOF
	lay=$(ls -S "$KILN_ROOT/blobs/sha256" | head -n 1)
	printf X | dd of="$KILN_ROOT/blobs/sha256/$lay" bs=1 seek=3000 conv=notrunc 2>/dev/null
	cp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	run kiln build "$ctx"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:2: layer 'sha256:$lay' is damaged in the store ('kiln fsck --repair' removes what names it): "* ]] || { echo "$output"; false; }
	cmp "$KILN_ROOT/index.json" "$BATS_TEST_TMPDIR/index.before"
	[ -z "$(ls -A "$KILN_ROOT/kiln/layers")" ]
	[ -z "$(ls -A "$KILN_ROOT/kiln/snapshots" 2>/dev/null)" ]
}

@test "build: a base image whose config is damaged in the store is not pulled again over it" {
	require_feature BUILD_REGISTRY
	dockerfile <<-'EOF'
	FROM busybox
	RUN true
	EOF
	cfgid=$(kiln inspect busybox | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Id'][7:])")
	chmod u+w "$KILN_ROOT/blobs/sha256/$cfgid"
	echo '{bad' > "$KILN_ROOT/blobs/sha256/$cfgid"
	run kiln build --progress plain "$ctx"
	[ "$status" -eq 1 ]
	[[ "$output" != *pulling* ]]
	[[ "${lines[-1]}" == "kiln: build: Dockerfile:1: FROM busybox: 'busybox' is damaged in the store ('kiln fsck --repair' removes it): "*"is corrupt"* ]] || { echo "$output"; false; }
}
