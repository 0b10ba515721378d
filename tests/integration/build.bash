# build.bash: what the build test files share: their setup, the Dockerfile
# of a test's context, the config, root filesystem and files of a built
# image, and a file server on the host's loopback.

# each test's own store and context, the busybox base, fixed times
build_setup() {
	require_feature BUILD
	export KILN_ROOT=$BATS_TEST_TMPDIR/store
	export SOURCE_DATE_EPOCH=1700000000
	ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	import_busybox busybox
}

# stops what serve_dir started
build_teardown() {
	[ -z "${SERVE_PID:-}" ] || kill "$SERVE_PID" 2>/dev/null || true
}

# serve_dir DIR: a static file server for DIR on the host's loopback that
# counts the GETs it answers (see gets): sets PORT and URL
serve_dir() {
	: > "$BATS_TEST_TMPDIR/gets"
	python3 - "$1" "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/gets" <<-'PY' 3>&- &
	import functools, http.server, os, sys
	root, portfile, gets = sys.argv[1:4]
	class H(http.server.SimpleHTTPRequestHandler):
	    def do_GET(self):
	        with open(gets, "a") as f:
	            f.write(self.path + "\n")
	        super().do_GET()
	    def log_message(self, *a):
	        pass
	s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=root))
	open(portfile + ".tmp", "w").write(str(s.server_address[1]))
	os.rename(portfile + ".tmp", portfile)
	s.serve_forever()
	PY
	SERVE_PID=$!
	for _ in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
	URL=http://127.0.0.1:$PORT
}

# how many GETs of PATH the server answered
gets() {
	grep -c "^$1\$" "$BATS_TEST_TMPDIR/gets" 2>/dev/null || true
}

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
