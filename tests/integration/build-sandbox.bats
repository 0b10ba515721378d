#!/usr/bin/env bats
# build-sandbox.bats: what a RUN step gets of the machine (the network,
# stdin), what the image keeps of docker's config fields and media types,
# how progress looks on a terminal, COPY's symbolic --chmod and symlinks
# as BuildKit treats them, and kiln run of a built image.

load helpers
load build
bats_require_minimum_version 1.5.0

setup() {
	build_setup
}

teardown() {
	build_teardown
}

# an HTTP server on the host's loopback serving one file, /hello, and
# counting the GETs it answers: sets PORT
serve() {
	local srv=$BATS_TEST_TMPDIR/srv
	mkdir -p "$srv"
	echo "from the host" > "$srv/hello"
	serve_dir "$srv"
}

# the host's own interfaces, as net_probe lists them
host_ifaces() {
	case $1 in
	sys) ls /sys/class/net | tr '\n' ' ' ;;
	dev) sed -n '3,$s/:.*//p' /proc/net/dev | tr -d ' ' | tr '\n' ' ' ;;
	esac
}

# how many GETs the server answered, of any path
all_gets() {
	wc -l < "$BATS_TEST_TMPDIR/gets"
}

# a RUN command that records the network it sees: the interfaces of
# /sys/class/net and /proc/net/dev in /NAME.sys and /NAME.dev, whether the
# host's server answered in /NAME.result
net_probe() {
	local n=$1
	printf '%s' "ls /sys/class/net | tr '\n' ' ' > /$n.sys" \
		" && sed -n '3,\$s/:.*//p' /proc/net/dev | tr -d ' ' | tr '\n' ' ' > /$n.dev" \
		' && if body=$(timeout 10 wget -q -O - http://127.0.0.1:$PORT/hello);' \
		' then echo "reached: $body"; else echo unreachable; fi' " > /$n.result"
}

# the entries of IMAGE's root at or under each PATH given, one
# "path type mode" a line, "-> target" added for a symlink
tree_of() {
	local image=$1
	shift
	kiln export "$image" -o "$BATS_TEST_TMPDIR/rootfs.tar"
	python3 "$KILN_SRCTREE/tests/integration/treelist.py" --tar "$BATS_TEST_TMPDIR/rootfs.tar" |
		python3 -c '
import sys
prefixes = sys.argv[1:]
for line in sys.stdin:
    f = line.split(" ", 5)
    if any(f[0] == p or f[0].startswith(p + "/") for p in prefixes):
        print(f[0], f[1], f[2] + (" -> " + f[5].strip() if f[1] == "symlink" else ""))
' "$@"
}

# the full image ID (sha256:...) of IMAGE
image_id() {
	kiln inspect "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)[0]['Id'])"
}

# "$cmd" for script(1): kiln as this test runs it, its arguments quoted
kiln_cmdline() {
	local s
	s=$(printf '%q ' "$KILN" "$@")
	echo "${s% }"
}

# progress as the plain format prints it, with times taken out and the
# terminal's CRLF made LF: the same text for every build of one Dockerfile
normalize_progress() {
	tr -d '\r' | sed -E 's/^(#[0-9]+) [0-9]+\.[0-9]{3} /\1 T /; s/ DONE [0-9]+\.[0-9]s$/ DONE/; s/Building [0-9]+\.[0-9]s \(/Building T (/'
}

@test "sandbox: --network none leaves a RUN only the loopback and no way to the host's ports; the default host network reaches them" {
	serve
	dockerfile <<-EOF
	FROM busybox
	ARG PORT
	RUN $(net_probe net)
	EOF
	run kiln build --progress plain --network none --build-arg PORT="$PORT" -t offline:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat offline:1 /net.sys)" = "lo " ]
	[ "$(rootfs_cat offline:1 /net.dev)" = "lo " ]
	[ "$(rootfs_cat offline:1 /net.result)" = unreachable ]
	[ "$(all_gets)" -eq 0 ]
	# the same step on the host's network is another step (the cache
	# must not hand back the offline result) and reaches the server
	run kiln build --progress plain --build-arg PORT="$PORT" -t online:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" != *"#2 CACHED"* ]] || { echo "the offline step was reused: $output"; false; }
	[ "$(rootfs_cat online:1 /net.result)" = "reached: from the host" ]
	[ "$(rootfs_cat online:1 /net.sys)" = "$(host_ifaces sys)" ]
	[ "$(rootfs_cat online:1 /net.dev)" = "$(host_ifaces dev)" ]
	[ "$(all_gets)" -eq 1 ]
	# and each is cached under its own network
	run kiln build --progress plain --network none --build-arg PORT="$PORT" -t offline:2 "$ctx"
	[ "$status" -eq 0 ]
	[[ "$output" == *"#2 CACHED"* ]] || { echo "$output"; false; }
	[ "$(kiln images -q offline:2)" = "$(kiln images -q offline:1)" ]
	[ "$(all_gets)" -eq 1 ]
}

@test "sandbox: RUN --network=none cuts one step off while the others keep the host's network" {
	serve
	dockerfile <<-EOF
	FROM busybox
	ARG PORT
	RUN $(net_probe before)
	RUN --network=none $(net_probe off)
	RUN --network=default $(net_probe after)
	EOF
	run kiln build --progress plain --build-arg PORT="$PORT" -t steps:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat steps:1 /before.result)" = "reached: from the host" ]
	[ "$(rootfs_cat steps:1 /off.sys)" = "lo " ]
	[ "$(rootfs_cat steps:1 /off.dev)" = "lo " ]
	[ "$(rootfs_cat steps:1 /off.result)" = unreachable ]
	[ "$(rootfs_cat steps:1 /after.result)" = "reached: from the host" ]
	[ "$(all_gets)" -eq 2 ]
	# the other steps see the host's interfaces, whatever they are
	[ "$(rootfs_cat steps:1 /before.sys)" = "$(host_ifaces sys)" ]
	[ "$(rootfs_cat steps:1 /before.dev)" = "$(host_ifaces dev)" ]
	[ "$(rootfs_cat steps:1 /after.dev)" = "$(host_ifaces dev)" ]
}

@test "sandbox: a RUN's stdin is /dev/null, whether kiln's is a pipe with data or a terminal" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN cat > /out && readlink /proc/self/fd/0 > /stdin && if [ -t 0 ]; then echo tty; else echo no-tty; fi > /tty
	EOF
	printf 'data kiln was given\n' | kiln build -q -t stdin:1 "$ctx" > /dev/null
	[ "$(rootfs_list stdin:1 | grep -E ' \./out$' | awk '{ print $1, $3 }')" = "-rw-r--r-- 0" ]
	[ "$(rootfs_cat stdin:1 /stdin)" = /dev/null ]
	[ "$(rootfs_cat stdin:1 /tty)" = no-tty ]
	# kiln on a terminal: the step neither waits for it nor reads from it
	need_tool script
	run timeout 60 script -qec "$(kiln_cmdline build -q --no-cache -t stdin:2 "$ctx")" /dev/null < /dev/null
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(rootfs_cat stdin:2 /stdin)" = /dev/null ]
	[ "$(rootfs_cat stdin:2 /tty)" = no-tty ]
	[ -z "$(rootfs_cat stdin:2 /out)" ]
}

@test "sandbox: SHELL, ONBUILD and HEALTHCHECK keep docker's names in the config blob; a child runs the triggers and drops them" {
	echo ctx-file > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	SHELL ["/bin/sh", "-ec"]
	ONBUILD RUN echo triggered > /from-onbuild
	ONBUILD COPY f /src/
	HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --start-interval=3s --retries=4 CMD wget -q -O - http://localhost/ || exit 1
	EOF
	run kiln build -t parent:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run python3 -c '
import json, sys
c = json.load(sys.stdin)["config"]
print(sorted(c))
for k in ("Shell", "OnBuild", "Healthcheck"):
    print(k, json.dumps(c[k], sort_keys=True))' < <(config_blob parent:1)
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = "['Env', 'Healthcheck', 'OnBuild', 'Shell']" ]
	[ "${lines[1]}" = 'Shell ["/bin/sh", "-ec"]' ]
	[ "${lines[2]}" = 'OnBuild ["RUN echo triggered > /from-onbuild", "COPY f /src/"]' ]
	[ "${lines[3]}" = 'Healthcheck {"Interval": 5000000000, "Retries": 4, "StartInterval": 3000000000, "StartPeriod": 1000000000, "Test": ["CMD-SHELL", "wget -q -O - http://localhost/ || exit 1"], "Timeout": 2000000000}' ]
	[ "${#lines[@]}" -eq 4 ]
	# the child inherits SHELL and HEALTHCHECK, runs the triggers, keeps none
	dockerfile <<-'EOF'
	FROM parent:1
	HEALTHCHECK NONE
	EOF
	run kiln build -t child:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(cfg child:1 Shell)" = '["/bin/sh", "-ec"]' ]
	[ "$(cfg child:1 OnBuild)" = null ]
	[ "$(cfg child:1 Healthcheck)" = '{"Test": ["NONE"]}' ]
	[ "$(rootfs_cat child:1 /from-onbuild)" = triggered ]
	[ "$(rootfs_cat child:1 /src/f)" = ctx-file ]
}

@test "sandbox: manifests have OCI media types by default and Docker's with --format docker, over the same config" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo x > /x
	EOF
	run kiln build -q -t oci:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run kiln build -q --format docker -t docker:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# manifest, config and layer media types: the top one and every layer's
	types() {
		python3 -c '
import json, sys
m = json.load(sys.stdin)
m = m[0]["Manifest"] if isinstance(m, list) else m
print(m["mediaType"], m["config"]["mediaType"], " ".join(sorted({l["mediaType"] for l in m["layers"]})))'
	}
	[ "$(kiln inspect oci:1 | types)" = "application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.config.v1+json application/vnd.oci.image.layer.v1.tar+gzip" ]
	[ "$(kiln inspect docker:1 | types)" = "application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip" ]
	# one config blob for both, as BuildKit's oci-mediatypes=false writes it
	[ "$(kiln images -q docker:1)" = "$(kiln images -q oci:1)" ]
	# the layout's own descriptors say the same, and skopeo reads the OCI one
	[ "$(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    n = m.get("annotations", {}).get("org.opencontainers.image.ref.name")
    if n in ("oci:1", "docker:1"):
        print(n, m["mediaType"])' "$KILN_ROOT/index.json" | sort | tr '\n' ' ')" = "docker:1 application/vnd.docker.distribution.manifest.v2+json oci:1 application/vnd.oci.image.manifest.v1+json " ]
	need_tool skopeo
	[ "$(skopeo inspect --raw "oci:$KILN_ROOT:oci:1" | types)" = "application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.config.v1+json application/vnd.oci.image.layer.v1.tar+gzip" ]
}

@test "sandbox: --progress=tty on a terminal redraws a status line under the plain lines, erases it, and ends with the result" {
	need_tool script
	echo f > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo step-output
	COPY f /f
	EOF
	run timeout 60 script -qec "$(kiln_cmdline build --progress=tty -t tty:1 "$ctx")" /dev/null < /dev/null
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	printf '%s' "$output" > "$BATS_TEST_TMPDIR/tty.out"
	local id esc=$'\e' cr=$'\r'
	id=$(image_id tty:1)
	# the status line: "[+] Building 0.1s (k/3) step", drawn after each of
	# the ten lines the steps print and erased ("\r\e[K") before the next
	local status_re="${esc}\[1m\[\+\] Building [0-9]+\.[0-9]s \(([0-9])/3\)${esc}\[0m [^${cr}]*"
	[ "$(grep -oE "$status_re" "$BATS_TEST_TMPDIR/tty.out" | wc -l)" -eq 10 ]
	[ "$(grep -oE "$status_re$cr${esc}\[K" "$BATS_TEST_TMPDIR/tty.out" | wc -l)" -eq 10 ]
	# it counts the finished steps up to all of them, and names the one running
	[ "$(grep -oE "$status_re" "$BATS_TEST_TMPDIR/tty.out" | sed -E 's/.*\(([0-9])\/3\).*/\1/' | uniq | tr -d '\n')" = 0123 ]
	grep -qF "(1/3)${esc}[0m [stage-0 2/3] RUN echo step-output" "$BATS_TEST_TMPDIR/tty.out"
	# and none once it is done
	grep -qF "(2/3)${esc}[0m ${cr}" "$BATS_TEST_TMPDIR/tty.out"
	! grep -qF "(2/3)${esc}[0m [stage-0 2/3]" "$BATS_TEST_TMPDIR/tty.out"
	# without it the text is the plain format's, ending with the result
	run normalize_progress < <(sed -E "s|$status_re$cr${esc}\[K||g" "$BATS_TEST_TMPDIR/tty.out")
	[ "$output" = "#1 [stage-0 1/3] FROM busybox
#1 DONE

#2 [stage-0 2/3] RUN echo step-output
#2 T step-output
#2 DONE

#3 [stage-0 3/3] COPY f /f
#3 DONE

#4 writing image $id done
#4 naming to tty:1 done
${esc}[1m[+] Building T (3/3) FINISHED${esc}[0m" ] || { echo "$output" | cat -v; false; }
	# auto is tty on a terminal
	run timeout 60 script -qec "$(kiln_cmdline build --no-cache -t tty:2 "$ctx")" /dev/null < /dev/null
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | grep -oE "$status_re" | wc -l)" -eq 10 ]
}

@test "sandbox: --progress=plain prints no terminal codes on a terminal, auto none off one, quiet nothing at all" {
	need_tool script
	echo f > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo step-output
	COPY f /f
	EOF
	want() {
		printf '%s\n' "#1 [stage-0 1/3] FROM busybox" "#1 DONE" "" \
			"#2 [stage-0 2/3] RUN echo step-output" "#2 T step-output" "#2 DONE" "" \
			"#3 [stage-0 3/3] COPY f /f" "#3 DONE" "" \
			"#4 writing image $(image_id "$1") done" "#4 naming to $1 done"
	}
	run timeout 60 script -qec "$(kiln_cmdline build --no-cache --progress=plain -t plain:1 "$ctx")" /dev/null < /dev/null
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" != *$'\e'* ]]
	[ "$(printf '%s\n' "$output" | normalize_progress)" = "$(want plain:1)" ]
	# auto when stderr is no terminal: plain
	kiln build --no-cache -t plain:2 "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ "$(normalize_progress < "$BATS_TEST_TMPDIR/err")" = "$(want plain:2)" ]
	# quiet: nothing on a terminal, nothing on stdout or stderr, the image named
	run timeout 60 script -qec "$(kiln_cmdline build --no-cache --progress=quiet -t quiet:1 "$ctx")" /dev/null < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	kiln build --no-cache --progress=quiet -t quiet:2 "$ctx" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(kiln images -q quiet:2)" = "$(kiln images -q plain:1)" ]
	# quiet and failing: the failed step's last lines, then the error;
	# nothing of the steps before
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo earlier-step
	RUN echo the-reason; false
	EOF
	run kiln build --progress=quiet "$ctx"
	[ "$status" -eq 1 ]
	[ "$output" = "#3 the-reason
kiln: build: Dockerfile:3: RUN: process \"/bin/sh -c echo the-reason; false\" did not complete successfully: exit code: 1" ] || { echo "$output"; false; }
}

@test "sandbox: COPY --chmod with symbolic clauses gives one mode per file and directory, X as BuildKit reads it" {
	echo a > "$ctx/f644" && chmod 644 "$ctx/f644"
	echo b > "$ctx/f602" && chmod 602 "$ctx/f602"
	echo c > "$ctx/x744" && chmod 744 "$ctx/x744"
	mkdir -p "$ctx/d/sub"
	echo d > "$ctx/d/sub/file" && chmod 640 "$ctx/d/sub/file"
	echo e > "$ctx/d/sub/run" && chmod 701 "$ctx/d/sub/run"
	chmod 750 "$ctx/d/sub"
	echo f > "$ctx/x6755" && chmod 6755 "$ctx/x6755"
	echo g > "$ctx/r444" && chmod 444 "$ctx/r444"
	dockerfile <<-'EOF'
	FROM busybox
	COPY --chmod=u+x,g-w,o=r f644 f602 /sym/
	COPY --chmod=u+x,g-w,o=r d /symdir/
	COPY --chmod=a+X f644 x744 /X/
	COPY --chmod=a+X d /Xdir/
	COPY --chmod=u+x,go+X f644 /Xorig/
	COPY --chmod=u=rw,g=r x6755 /eq/
	COPY --chmod=o+t,+w r444 /tw/
	COPY --chmod=+t f644 /t/
	EOF
	run kiln build -t chmod:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run tree_of chmod:1 /sym /symdir/sub /X /Xdir/sub /Xorig/f644 /eq/x6755 /tw/r444 /t/f644
	# "=" clears the who's setuid/setgid bit, "o+t" is nothing, a
	# clause without a who keeps to the umask (022): "+w" is u+w
	[ "$output" = "/X dir 0755
/X/f644 file 0644
/X/x744 file 0755
/Xdir/sub dir 0751
/Xdir/sub/file file 0640
/Xdir/sub/run file 0711
/Xorig/f644 file 0744
/eq/x6755 file 0645
/sym dir 0755
/sym/f602 file 0704
/sym/f644 file 0744
/symdir/sub dir 0754
/symdir/sub/file file 0744
/symdir/sub/run file 0704
/t/f644 file 1644
/tw/r444 file 0644" ] || { echo "$output"; false; }
	# (the top of "COPY d /symdir/" is left out: BuildKit changed what
	# --chmod does to it between releases, moby/buildkit#4945 and #5943)
}

@test "sandbox: COPY into a symlinked directory that points outside the root writes inside the root" {
	local T=$BATS_TEST_TMPDIR/host
	mkdir -p "$T/abs-up" "$T/rel-up" "$T/mid"
	echo payload > "$ctx/f"
	chmod 644 "$ctx/f"
	dockerfile <<-EOF
	FROM busybox
	RUN ln -s /../../..$T/abs-up /abs-up \\
	 && ln -s ../../../../../../../../../..$T/rel-up /rel-up \\
	 && ln -s $T/mid /mid \\
	 && mkdir /inside && ln -s /../../inside /to-inside
	COPY f /abs-up/
	COPY f /rel-up/
	COPY f /mid/sub/g
	COPY f /to-inside
	EOF
	run kiln build -t esc:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# the host's directories are as they were: empty
	[ -z "$(find "$T" -mindepth 2)" ]
	# the links stay, the files are where they resolve in the root
	run tree_of esc:1 /abs-up /rel-up /mid /to-inside /inside
	[ "$output" = "/abs-up symlink 0777 -> /../../..$T/abs-up
/inside dir 0755
/inside/f file 0644
/mid symlink 0777 -> $T/mid
/rel-up symlink 0777 -> ../../../../../../../../../..$T/rel-up
/to-inside symlink 0777 -> /../../inside" ] || { echo "$output"; false; }
	run tree_of esc:1 "$T"
	[ "$output" = "$T dir 0755
$T/abs-up dir 0755
$T/abs-up/f file 0644
$T/mid dir 0755
$T/mid/sub dir 0755
$T/mid/sub/g file 0644
$T/rel-up dir 0755
$T/rel-up/f file 0644" ] || { echo "$output"; false; }
	[ "$(rootfs_cat esc:1 "$T/abs-up/f")" = payload ]
	[ "$(rootfs_cat esc:1 "$T/mid/sub/g")" = payload ]
}

@test "sandbox: COPY --from a stage follows a source symlink to a file or a directory inside that stage, never the host" {
	echo "host only" > "$BATS_TEST_TMPDIR/host-only"
	dockerfile <<-EOF
	FROM busybox AS src
	RUN mkdir -p /data/dir/deep && echo inner > /data/dir/deep/inner && echo file > /data/file \\
	 && ln -s /data/file /to-file && ln -s ../data/dir /to-dir && ln -s /../../../data/file /up-file \\
	 && ln -s deep/inner /data/dir/rel-link
	FROM busybox
	COPY --from=src /to-file /got-file
	COPY --from=src /up-file /got-up
	COPY --from=src /to-dir /got-dir
	COPY --from=src /to-dir/ /got-dir2/
	EOF
	run kiln build -t from:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run tree_of from:1 /got-file /got-up /got-dir /got-dir2
	[ "$output" = "/got-dir dir 0755
/got-dir/deep dir 0755
/got-dir/deep/inner file 0644
/got-dir/rel-link symlink 0777 -> deep/inner
/got-dir2 dir 0755
/got-dir2/deep dir 0755
/got-dir2/deep/inner file 0644
/got-dir2/rel-link symlink 0777 -> deep/inner
/got-file file 0644
/got-up file 0644" ] || { echo "$output"; false; }
	[ "$(rootfs_cat from:1 /got-file)" = file ]
	[ "$(rootfs_cat from:1 /got-up)" = file ]
	[ "$(rootfs_cat from:1 /got-dir/deep/inner)" = inner ]
	# a link to a path only the host has resolves in the stage: not found
	dockerfile <<-EOF
	FROM busybox AS src
	RUN ln -s $BATS_TEST_TMPDIR/host-only /to-host
	FROM busybox
	COPY --from=src /to-host /got-host
	EOF
	run kiln build -t from:2 "$ctx"
	[ "$status" -eq 2 ]
	[ "${lines[-1]}" = 'kiln: build: Dockerfile:4: COPY: "to-host": not found in the source stage' ] || { echo "$output"; false; }
}

@test "sandbox: kiln run --rm of a built image passes its stdout, stderr and exit status through" {
	require_feature RUN
	run kiln build -q -t hello:1 "$KILN_SRCTREE/examples/hello"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run --separate-stderr kiln run --rm hello:1
	[ "$status" -eq 0 ]
	[ "$output" = "Hej, world!" ]
	[ -z "$stderr" ]
	run --separate-stderr kiln run --rm hello:1 /usr/local/bin/hello kiln
	[ "$status" -eq 0 ]
	[ "$output" = "Ciao, kiln!" ]
	run --separate-stderr kiln run --rm hello:1 /usr/local/bin/hello --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "usage: hello [--self-test|--version|NAME]" ]
	# a command of the image's own that fails: its status is kiln's
	dockerfile <<-'EOF'
	FROM busybox
	RUN printf '#!/bin/sh\necho "out $1"\necho "err $1" >&2\nexit 7\n' > /fail.sh && chmod 755 /fail.sh
	ENTRYPOINT ["/fail.sh"]
	CMD ["default"]
	EOF
	run kiln build -q -t fails:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run --separate-stderr kiln run --rm fails:1
	[ "$status" -eq 7 ]
	[ "$output" = "out default" ]
	[ "$stderr" = "err default" ]
	run --separate-stderr kiln run --rm fails:1 given
	[ "$status" -eq 7 ]
	[ "$output" = "out given" ]
	[ "$stderr" = "err given" ]
}
