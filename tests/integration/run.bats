#!/usr/bin/env bats
# run.bats: kiln run as a user types it, rootless: exit status, environment,
# users, namespaces, mounts, capabilities, and nothing left behind.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	require_feature RUN
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
	import_busybox
}

# an image of the busybox base with Dockerfile-style changes to its config
import_with() {
	local name=$1
	shift
	local args=()
	for c in "$@"; do
		args+=(--change "$c")
	done
	kiln import "${args[@]}" "${BATS_FILE_TMPDIR:-$BATS_TMPDIR}/busybox-base.tar" "$name" >/dev/null
}

# waits (at most 5 s) until a process of ours runs exactly CMDLINE
wait_for_proc() {
	local i
	for i in $(seq 50); do
		pgrep -u "$(id -u)" -f -x "$1" >/dev/null && return 0
		sleep 0.1
	done
	echo "'$1' never started"
	return 1
}

@test "the command's exit status is kiln's" {
	run kiln run busybox sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run kiln run busybox true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a command killed by a signal exits 128+N" {
	# the process is PID 1 of its namespace, which the kernel shields from
	# its own 'kill -9 $$' (as in docker without --init): kill it from outside
	local secs=$((100000 + RANDOM))
	"$KILN" run busybox sleep "$secs" 3>&- &
	local pid=$!
	wait_for_proc "sleep $secs"
	pkill -KILL -u "$(id -u)" -f -x "sleep $secs"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 137 ]
	# a child of the command killed with 'kill -9 $$' is seen by its parent
	run kiln run busybox sh -c 'sh -c "kill -9 \$\$"; echo "child: $?"'
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]}-1]}" = "child: 137" ]
}

@test "a missing command exits 127, a file that is not executable 126" {
	run -127 kiln run busybox no-such-command
	[[ "$output" == *"'no-such-command': executable file not found in \$PATH"* ]]
	run kiln run busybox /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == *"'/etc/passwd': Permission denied"* ]]
}

@test "-e sets variables, K alone takes kiln's value, over the image's Env" {
	import_with envimg 'ENV FROM_IMAGE=image OVERRIDE=image'
	FROM_KILN=kiln-value run kiln run -e A=1 -e OVERRIDE=flag -e FROM_KILN -e UNSET_HERE \
		envimg sh -c 'echo "$A $FROM_IMAGE $OVERRIDE $FROM_KILN ${UNSET_HERE-unset}"; echo "$PATH"; echo "$HOME"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 image flag kiln-value unset" ]
	[ "${lines[1]}" = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
	[ "${lines[2]}" = "/root" ]
}

@test "the image's Entrypoint, Cmd, WorkingDir and User apply, arguments replace Cmd" {
	import_with cfgimg 'ENTRYPOINT ["/bin/sh", "-c"]' 'CMD ["echo from-cmd; id -un; pwd"]' \
		'WORKDIR /srv/app' 'USER app'
	run kiln run cfgimg
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from-cmd" ]
	[ "${lines[1]}" = "app" ]
	[ "${lines[2]}" = "/srv/app" ]
	run kiln run -u root -w /tmp cfgimg 'echo args; id -u; pwd'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'args\n0\n/tmp')" ]
}

@test "-u takes a name, uid:gid, and an unknown name is a one-line error" {
	run kiln run -u app busybox id
	[ "$status" -eq 0 ]
	[ "$output" = "uid=1000(app) gid=1000(app) groups=10(wheel),1000(app)" ]
	run kiln run -u 1000:1000 busybox id
	[ "$status" -eq 0 ]
	[ "$output" = "uid=1000(app) gid=1000(app) groups=1000(app)" ]
	run kiln run -u 4242 busybox id -u
	[ "$status" -eq 0 ]
	[ "$output" = "4242" ]
	run kiln run -u nosuch busybox id
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: run: unable to find user nosuch: no matching entries in passwd file" ]
}

@test "-w makes a missing working directory" {
	run kiln run -w /new/deep/dir busybox sh -c 'pwd; stat -c "%a %u" /new/deep/dir'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/new/deep/dir" ]
	[ "${lines[1]}" = "755 0" ]
	run kiln run -w relative busybox pwd
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "the command runs as root of the container with docker's capabilities" {
	run kiln run busybox sh -c 'id; grep -E "^Cap(Bnd|Eff|Prm)" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=0(root) gid=0(root) groups=0(root)" ]
	[ "${lines[1]}" = "$(printf 'CapPrm:\t00000000a80425fb')" ]
	[ "${lines[2]}" = "$(printf 'CapEff:\t00000000a80425fb')" ]
	[ "${lines[3]}" = "$(printf 'CapBnd:\t00000000a80425fb')" ]
	# another user keeps the bounding set and has nothing in effect
	run kiln run -u app busybox grep -E '^Cap(Bnd|Eff|Prm|Inh)' /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb')" ]
}

@test "no_new_privs is set" {
	run kiln run busybox grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'NoNewPrivs:\t1')" ]
}

@test "the command is PID 1 of a new PID namespace with a fresh /proc" {
	run kiln run busybox sh -c 'echo $$; readlink /proc/1/exe; ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1" ]
	[ "${lines[1]}" = "/bin/busybox" ]
	# sh and ls: nothing of the host
	[ "${lines[2]}" -le 3 ]
}

@test "hostname, /etc/hostname, /etc/hosts and /etc/resolv.conf are the container's" {
	run kiln run busybox sh -c 'hostname; cat /etc/hostname; grep -c localhost /etc/hosts; test -f /etc/resolv.conf && echo resolv; echo x >/etc/hosts || echo read-only'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kiln" ]
	[ "${lines[1]}" = "kiln" ]
	[ "${lines[2]}" -ge 1 ]
	[ "${lines[3]}" = "resolv" ]
	[ "${lines[5]}" = "read-only" ]
}

@test "--network none leaves only a loopback, and it is up" {
	run kiln run --network none busybox sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "lo" ]
	[ "${#lines[@]}" -eq 3 ]
	# IFF_UP is bit 0
	[ $(( ${lines[2]} & 1 )) -eq 1 ]
	run kiln run --network bridge busybox true
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "/dev has the usual devices, a devpts and a writable /dev/shm; /sys is read-only" {
	run kiln run -u app busybox sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c; echo $(ls /dev); readlink /dev/ptmx; echo x >/dev/shm/f && echo shm; grep -c " /dev/pts devpts " /proc/mounts; touch /sys/x 2>/dev/null || echo sys-ro'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "4" ]
	[ "${lines[1]}" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero" ]
	[ "${lines[2]}" = "pts/ptmx" ]
	[ "${lines[3]}" = "shm" ]
	[ "${lines[4]}" = "1" ]
	[ "${lines[5]}" = "sys-ro" ]
}

@test "-v binds a host directory, :ro refuses writes" {
	mkdir -p "$W/vol"
	echo hello >"$W/vol/in"
	run kiln run -v "$W/vol:/data:ro" busybox sh -c 'cat /data/in; echo x >/data/out'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = "hello" ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$W/vol/out" ]
	run kiln run -v "$W/vol:/data" busybox sh -c 'echo written >/data/out'
	[ "$status" -eq 0 ]
	[ "$(cat "$W/vol/out")" = "written" ]
	run kiln run -v "$W/no-such-dir:/data" busybox true
	[ "$status" -ne 0 ]
	assert_one_error_line
	run kiln run -v relative:/data busybox true
	[ "$status" -eq 2 ]
	assert_one_error_line
	# refused inside the container, before the command: an error, not a status
	echo file >"$W/file"
	run kiln run -v "$W/file:/bin" busybox true
	[ "$status" -eq 1 ]
	assert_one_error_line
	[[ "$output" == *"cannot mount"*"'/bin'"* ]]
}

@test "the full subordinate id range is mapped and chown works inside" {
	run kiln run busybox sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; mkdir /x && chown 1000:1000 /x && stat -c "%u:%g" /x'
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | awk '{print $1, $3}')" = "0 1" ]
	[ "$(echo "${lines[1]}" | awk '{print $1, $3}')" = "1 65536" ]
	[ "$(echo "${lines[3]}" | awk '{print $1, $3}')" = "1 65536" ]
	[ "${lines[4]}" = "1000:1000" ]
}

@test "stdin is passed to the command" {
	run sh -c 'echo piped | "$KILN" run busybox cat'
	[ "$status" -eq 0 ]
	[ "$output" = "piped" ]
}

@test "nothing is left behind: no processes, temp dirs or mount points" {
	run kiln run --rm busybox sh -c 'sleep 0.1 & echo done'
	[ "$status" -eq 0 ]
	[ "$output" = "done" ]
	run kiln run busybox false
	[ "$status" -eq 1 ]
	# only the store's own files under kiln/: no snapshot or temp dir stays
	run find "$KILN_ROOT/kiln" -mindepth 2 -maxdepth 2 -not -path "$KILN_ROOT/kiln/layers/*"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run pgrep -u "$(id -u)" -f "kiln run"
	[ "$status" -eq 1 ]
	run pgrep -u "$(id -u)" -f -x "sleep 0.1"
	[ "$status" -eq 1 ]
	# the mount points kiln made for /etc/hosts and friends are gone from
	# the image: the unpacked layers still lack them
	run find "$KILN_ROOT/kiln/layers" -path '*/etc/hosts' -o -path '*/etc/hostname' -o \
		-path '*/etc/resolv.conf'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "SIGINT stops the container at once, nothing survives" {
	local secs=$((100000 + RANDOM))
	"$KILN" run busybox sleep "$secs" 3>&- &
	local pid=$!
	wait_for_proc "sleep $secs"
	local start=$SECONDS
	kill -INT "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -ne 0 ]
	[ $((SECONDS - start)) -lt 5 ]
	run pgrep -u "$(id -u)" -f -x "sleep $secs"
	[ "$status" -eq 1 ]
	run pgrep -u "$(id -u)" -f "kiln run"
	[ "$status" -eq 1 ]
}

@test "SIGTERM does the same and kiln says it was interrupted" {
	local secs=$((100000 + RANDOM))
	"$KILN" run busybox sleep "$secs" >"$W/out" 2>&1 3>&- &
	local pid=$!
	wait_for_proc "sleep $secs"
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 1 ]
	[ "$(cat "$W/out")" = "kiln: run: interrupted" ]
	run pgrep -u "$(id -u)" -f -x "sleep $secs"
	[ "$status" -eq 1 ]
}

@test "SIGINT while the image's root is prepared: nothing starts, nothing stays" {
	# one layer of 30000 files, which kiln run unpacks before it starts
	mkdir -p "$W/extra/d"
	(cd "$W/extra/d" && seq 30000 | xargs touch)
	cp "${BATS_FILE_TMPDIR:-$BATS_TMPDIR}/busybox-base.tar" "$W/big.tar"
	tar -rf "$W/big.tar" --owner=0 --group=0 -C "$W/extra" d
	kiln import "$W/big.tar" big:1 >/dev/null
	"$KILN" run big:1 echo ran-7437 >"$W/out" 2>&1 3>&- &
	local pid=$! tmp="$KILN_ROOT/kiln/layers*/.tmp-*" i
	for i in $(seq 1000); do
		compgen -G "$tmp" >/dev/null && break
		sleep 0.01
	done
	# stopped inside the unpack, it gets the signal there and goes on
	kill -STOP "$pid"
	compgen -G "$tmp" >/dev/null || { kill -CONT "$pid"; echo "the unpack was over first"; false; }
	kill -INT "$pid"
	kill -CONT "$pid"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 1 ] || { echo "status $st"; cat "$W/out"; false; }
	[ "$(cat "$W/out")" = "kiln: run: interrupted" ]
	run find "$KILN_ROOT/kiln" -mindepth 2 -maxdepth 2
	[ -z "$output" ] || { echo "left: $output"; false; }
	! grep -q "$KILN_ROOT" /proc/self/mountinfo
}

@test "kill -9 of kiln takes the container with it" {
	local secs=$((100000 + RANDOM))
	"$KILN" run busybox sh -c "sleep $secs & sleep $secs" 3>&- &
	local pid=$!
	wait_for_proc "sleep $secs"
	kill -KILL "$pid"
	wait "$pid" || true
	local i
	for i in $(seq 50); do
		pgrep -u "$(id -u)" -f -x "sleep $secs" >/dev/null || break
		sleep 0.1
	done
	run pgrep -u "$(id -u)" -f -x "sleep $secs"
	[ "$status" -eq 1 ]
}

@test "a missing image is a one-line error" {
	run kiln run no-such-image true
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"no-such-image"* ]]
	run kiln run
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "an image without a command is a one-line error" {
	run kiln run busybox
	[ "$status" -eq 2 ]
	assert_one_error_line
}

@test "the copy snapshotter runs the same" {
	run kiln run --snapshotter copy busybox sh -c 'id -u; echo x >/etc/new && cat /etc/new'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0\nx')" ]
	run kiln run --snapshotter nonsense busybox true
	[ "$status" -eq 2 ]
	assert_one_error_line
}
