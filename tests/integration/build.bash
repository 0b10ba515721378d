# build.bash: what the build test files share: the Dockerfile of a test's
# context, and the config, root filesystem and files of a built image.

# a Dockerfile in the context from standard input of this function
dockerfile() {
	cat > "$ctx/Dockerfile"
}

# field of the image config as JSON: cfg IMAGE Cmd
cfg() {
	kiln inspect "$1" | python3 -c "
import json, sys
d = json.load(sys.stdin)[0]
print(json.dumps(d['Config'].get('$2'), sort_keys=True))"
}

# the raw config blob of IMAGE
config_blob() {
	local id
	id=$(kiln inspect "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Id'][7:])")
	cat "$KILN_ROOT/blobs/sha256/$id"
}

# the image's root filesystem as "tar -tv" lines (numeric owners), each
# path written "./path" so that tests can anchor names
rootfs_list() {
	kiln export "$1" -o "$BATS_TEST_TMPDIR/rootfs.tar"
	tar --numeric-owner -tvf "$BATS_TEST_TMPDIR/rootfs.tar" |
		sed -E 's#^(([^ ]+ +){5})#\1./#'
}

# the content of one file of the image
rootfs_cat() {
	kiln export "$1" -o "$BATS_TEST_TMPDIR/rootfs.tar"
	tar -xOf "$BATS_TEST_TMPDIR/rootfs.tar" "${2#/}"
}
