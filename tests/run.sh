#!/bin/sh
# tests/run.sh OBJTREE ASAN_OBJTREE: runs the unit tests (sanitizer build),
# then the integration tests (bats, static kiln) as an unprivileged user, and
# ends with one line: "check: N passed, N failed[, N skipped]".
#
# KILN_ONLY=unit|integration runs one half; KILN_TESTS="a.bats b.bats" picks
# integration files, KILN_FILTER=REGEX the tests in them by name (bats
# --filter); KILN_TEST_USER names the user root drops to. root-*.bats run
# as root (and skip when the runner is not).
set -u

objtree=$1
asan=$2
srctree=$(cd "$(dirname "$0")/.." && pwd)
only=${KILN_ONLY:-}
user=${KILN_TEST_USER:-kiln-test}
work=$(mktemp -d /tmp/kiln-check.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT INT TERM

pass=0 fail=0 skip=0
: > "$work/skipped"
: > "$work/failed"

# count one TAP stream (file $1, suite name $2) into the totals
tally() {
	while IFS= read -r line; do
		case $line in
		# cmocka marks a skip "not ok N # SKIP", bats "ok N # skip"
		"ok "*"# skip"* | "ok "*"# SKIP"* | "not ok "*"# SKIP"*)
			skip=$((skip + 1))
			echo "$2: ${line#*ok }" >> "$work/skipped"
			;;
		"not ok "*)
			fail=$((fail + 1))
			echo "$2: $line" >> "$work/failed"
			;;
		"ok "*)
			pass=$((pass + 1))
			;;
		esac
	done < "$1"
}

run_unit() {
	tests=$(make -s --no-print-directory -C "$srctree" O="$asan" SANITIZE=1 print-unit 2>/dev/null)
	for t in $tests; do
		name=unit/${t#"$asan"/tests/unit/bin/}
		echo "# $name"
		if [ ! -x "$t" ]; then
			echo "not ok 1 - $name was not built" > "$work/tap"
		else
			CMOCKA_MESSAGE_OUTPUT=TAP KILN_SRCTREE=$srctree \
				ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
				UBSAN_OPTIONS=print_stacktrace=1 \
				timeout 600 "$t" > "$work/tap" 2>&1
			rc=$?
			if [ $rc -ne 0 ] && ! grep -q '^not ok' "$work/tap"; then
				# a crash or sanitizer report ends the program, not a test
				echo "not ok 1 - $name exited with status $rc" >> "$work/tap"
			fi
		fi
		cat "$work/tap"
		tally "$work/tap" "$name"
	done
}

# Each fuzzer runs FUZZ_SECONDS from a copy of its seed corpus; a crash, a
# leak, a timeout or an out-of-memory fails it and leaves the input in $work.
run_fuzz() {
	[ -n "${FUZZ_DIR:-}" ] || return 0
	fuzzers=$(make -s --no-print-directory -C "$srctree" O="$FUZZ_DIR" FUZZ=1 print-fuzz 2>/dev/null)
	for f in $fuzzers; do
		name=fuzz/$(basename "$f")
		corpus=$work/corpus-$(basename "$f")
		mkdir -p "$corpus"
		cp -r "$srctree/tests/fuzz/corpus/$(basename "$f")/." "$corpus/" 2>/dev/null || true
		echo "# $name (${FUZZ_SECONDS:-60} s)"
		if (cd "$work" && "$f" -max_total_time="${FUZZ_SECONDS:-60}" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 "$corpus") > "$work/fuzz.log" 2>&1; then
			runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
			echo "ok 1 - $name: ${runs:-?} inputs, no crash" > "$work/tap"
		else
			grep -A 12 -m1 'ERROR\|SUMMARY' "$work/fuzz.log" | sed 's/^/# /'
			echo "not ok 1 - $name found a failing input (see above)" > "$work/tap"
		fi
		cat "$work/tap"
		tally "$work/tap" "$name"
	done
}

# The test user gets the full subordinate id range a rootless user has on a
# real machine, so namespaced tests see what users see.
make_test_user() {
	id "$user" >/dev/null 2>&1 || useradd -m -s /bin/sh "$user" || return 1
	for f in /etc/subuid /etc/subgid; do
		touch "$f"
		grep -q "^$user:" "$f" && continue
		start=$(awk -F: '{ e = $2 + $3; if (e > m) m = e } END { print (m > 100000 ? m : 100000) }' "$f")
		echo "$user:$start:65536" >> "$f"
	done
}

# A Debian base for the tests that need apt (debian.bats): debootstrap
# needs root, so the runner makes it once per machine while it still is;
# KILN_DEBIAN_BASE names a tarball made elsewhere.
debian_base() {
	debian_tar=${KILN_DEBIAN_BASE:-}
	[ -z "$debian_tar" ] || return 0
	cache=${KILN_TEST_CACHE:-/var/cache/kiln-test}
	if [ ! -f "$cache/debian-bookworm.tar" ] && command -v debootstrap >/dev/null; then
		echo "# making a Debian base with debootstrap (once per machine)"
		mkdir -p "$cache" &&
			"$srctree/scripts/mkbase.sh" debian "$cache/debian-bookworm.tar" ||
			echo "# no Debian base: debian.bats will skip"
	fi
	if [ -f "$cache/debian-bookworm.tar" ]; then
		chmod 755 "$cache" && chmod 644 "$cache/debian-bookworm.tar"
		debian_tar=$cache/debian-bookworm.tar
	fi
}

run_integration() {
	kiln=$objtree/kiln
	conf=${KILN_CONFORMANCE:-$srctree/../shared/conformance/buildkit}
	deps_src=${DEPS_SRC:-$objtree/deps/src}
	files=${KILN_TESTS:-}
	if [ -z "$files" ]; then
		files=$(cd "$srctree/tests/integration" && ls ./*.bats | sed 's|^\./||')
	fi
	if [ "$(id -u)" = 0 ]; then
		make_test_user || { echo "not ok 1 - cannot create test user '$user'" > "$work/tap"; tally "$work/tap" setup; return; }
		# The user must reach the tree, the binary and the library sources;
		# a checkout under a private home is copied where it can.
		if ! runuser -u "$user" -- sh -c "test -r '$srctree/Makefile' && test -x '$kiln' && test -r '$deps_src'" 2>/dev/null; then
			echo "# copying the tree to $work for user $user"
			mkdir -p "$work/src" "$work/deps-src"
			(cd "$srctree" && git ls-files -z --cached --others --exclude-standard 2>/dev/null | xargs -0 tar -cf - 2>/dev/null || tar --exclude=./out --exclude=./deps -cf - .) | tar -C "$work/src" -xf -
			cp "$kiln" "$work/kiln"
			cp -r "$deps_src/." "$work/deps-src/" 2>/dev/null || true
			srctree_t=$work/src kiln_t=$work/kiln deps_t=$work/deps-src
			if [ -d "$conf" ]; then
				mkdir -p "$work/conformance" && cp -r "$conf/." "$work/conformance/"
				conf=$work/conformance
			fi
		else
			srctree_t=$srctree kiln_t=$kiln deps_t=$deps_src
		fi
		cp "$objtree/.config" "$work/config"
		debian_base
		chmod -R a+rX "$work"
		as_user="runuser -u $user --"
		home=$(getent passwd "$user" | cut -d: -f6)
	else
		srctree_t=$srctree kiln_t=$kiln deps_t=$deps_src
		cp "$objtree/.config" "$work/config"
		debian_tar=${KILN_DEBIAN_BASE:-}
		as_user=
		home=$HOME
	fi
	for f in $files; do
		echo "# integration/$f"
		# root-*.bats check kiln run by real root: they run as the runner
		run_as=$as_user run_home=$home
		case $f in
		root-*.bats)
			if [ "$(id -u)" != 0 ]; then
				printf '1..1\nok 1 # skip %s: the tests are not run by root\n' "$f" > "$work/tap"
				cat "$work/tap"
				tally "$work/tap" "integration/$f"
				continue
			fi
			run_as= run_home=$HOME
			;;
		esac
		# shellcheck disable=SC2086
		(cd "$work" && timeout 2400 $run_as env -i HOME="$run_home" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
			LANG=C.UTF-8 TMPDIR=/tmp KILN="$kiln_t" KILN_SRCTREE="$srctree_t" \
			KILN_CONFIG="$work/config" KILN_CONFORMANCE="$conf" DEPS_SRC="$deps_t" \
			${debian_tar:+KILN_DEBIAN_BASE=$debian_tar} \
			${CI:+CI=$CI} bats --tap ${KILN_FILTER:+--filter} ${KILN_FILTER:+"$KILN_FILTER"} \
			"$srctree_t/tests/integration/$f") > "$work/tap" 2>&1
		rc=$?
		cat "$work/tap"
		if [ $rc -ne 0 ] && ! grep -q '^not ok' "$work/tap"; then
			echo "not ok 1 - $f: bats exited with status $rc" >> "$work/tap"
		fi
		tally "$work/tap" "integration/$f"
	done
}

[ "$only" = integration ] || run_unit
[ "$only" = integration ] || [ "$only" = unit ] || run_fuzz
[ "$only" = unit ] || run_integration

if [ -s "$work/skipped" ]; then
	echo "skipped:"
	sed 's/^/  /' "$work/skipped"
fi
if [ -s "$work/failed" ]; then
	echo "failed:"
	sed 's/^/  /' "$work/failed"
fi
if [ "$skip" -gt 0 ]; then
	echo "check: $pass passed, $fail failed, $skip skipped"
else
	echo "check: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
