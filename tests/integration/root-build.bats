#!/usr/bin/env bats
# root-build.bats: kiln run by real root (the runner runs root-*.bats as
# root): no id shifting (the identity map), still in namespaces of its own,
# owners given on disk and in the layers, nothing left mounted.

load helpers
load build

setup() {
	require_feature BUILD
	[ "$(id -u)" = 0 ] || skip "needs root"
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	import_busybox busybox
}

@test "root: a build runs namespaced with the identity map and records owners" {
	echo data > "$ctx/f"
	dockerfile <<-'EOF'
	FROM busybox
	RUN id -u > /uid && cat /proc/self/uid_map > /map && echo "$(readlink /proc/self/ns/user) $(readlink /proc/self/ns/mnt)" > /ns && echo $$ > /pid && echo x > /x && chown 1000:2000 /x
	COPY --chown=33:33 f /f
	EOF
	hostns="$(readlink /proc/self/ns/user) $(readlink /proc/self/ns/mnt)"
	run kiln build -t root:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" != *"ids other than 0"* ]]
	[ "$(rootfs_cat root:1 /uid)" = 0 ]
	[ "$(rootfs_cat root:1 /map | tr -s ' ')" = " 0 0 4294967295" ]
	ns=$(rootfs_cat root:1 /ns)
	[ -n "$ns" ] && [ "$ns" != "$hostns" ]
	[[ "${ns%% *}" != "${hostns%% *}" ]]
	[[ "${ns#* }" != "${hostns#* }" ]]
	# a PID namespace of its own: the shell is a low pid there
	[ "$(rootfs_cat root:1 /pid)" -lt 10 ]
	run rootfs_list root:1
	[[ "$output" =~ -rw-r--r--\ 1000/2000\ .*\ \./x ]]
	[[ "$output" =~ -rw-r--r--\ 33/33\ .*\ \./f ]]
	# nothing of the build is left mounted or running
	! grep -q "$KILN_ROOT" /proc/self/mountinfo
	! pgrep -f "$KILN_ROOT" >/dev/null
}

@test "root: kiln run passes the exit status through and switches users" {
	dockerfile <<-'EOF'
	FROM busybox
	RUN echo 'nobody2:x:1234:1234::/:/bin/sh' >> /etc/passwd
	EOF
	run kiln build -t rootrun:1 "$ctx"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run kiln run --rm -u nobody2 rootrun:1 sh -c 'id -u; id -g; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = 1234 ]
	[ "${lines[1]}" = 1234 ]
	! grep -q "$KILN_ROOT" /proc/self/mountinfo
}
