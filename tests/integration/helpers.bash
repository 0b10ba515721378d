# helpers.bash: shared by the integration tests. The runner (tests/run.sh)
# sets KILN (the static binary), KILN_SRCTREE, KILN_CONFIG, DEPS_SRC.

: "${KILN:?run through 'make check' or set KILN}"
: "${KILN_SRCTREE:?}"

# kiln as a user types it
kiln() {
	"$KILN" "$@"
}

# skip the test unless CONFIG_<symbol>=y in the configuration under test
require_feature() {
	grep -q "^CONFIG_$1=y" "$KILN_CONFIG" || skip "CONFIG_$1 is off in this build"
}

# skip the test unless the program $1 (another project's tool) is installed
need_tool() {
	command -v "$1" >/dev/null || skip "$1 is not installed (scripts/setup-host.sh check)"
}

# the enabled symbols of a .config, without the CONFIG_ prefix, sorted
config_features() {
	sed -n 's/^CONFIG_\([A-Z0-9_]*\)=y$/\1/p' "$1" | sort
}

# a copy of the source tree to build in (tests never write into the repo)
copy_tree() {
	local dest=$1
	mkdir -p "$dest"
	(cd "$KILN_SRCTREE" && tar --exclude=./out --exclude=./deps --exclude=./.git \
		--exclude='*.o' --exclude='*.cmd' --exclude=./include --exclude=./.config \
		--exclude=./kiln --exclude=./kiln_unstripped --exclude='./.kiln-*' -cf - .) |
		tar -C "$dest" -xf -
}

# one line, and it starts with "kiln: "
assert_one_error_line() {
	[ "${#lines[@]}" -eq 1 ] || { echo "expected one line, got: $output"; return 1; }
	[[ "${lines[0]}" == "kiln: "* ]] || { echo "no 'kiln: ' prefix: $output"; return 1; }
}

# a busybox base image NAME (default "busybox") in the store, made offline by
# scripts/mkbase.sh; the tarball is made once per test file
import_busybox() {
	local name=${1:-busybox} tarball=${BATS_FILE_TMPDIR:-$BATS_TMPDIR}/busybox-base.tar
	[ -f "$tarball" ] || sh "$KILN_SRCTREE/scripts/mkbase.sh" busybox "$tarball"
	kiln import "$tarball" "$name" >/dev/null
}
