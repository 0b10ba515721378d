# registry.bash: registries for the registry tests (registry-*.bats) and the
# registry bench. Real ones are Debian's docker-registry (distribution 2.8)
# on a free loopback port, with TLS from a test CA and htpasswd Basic auth
# when asked; regserver.py stands in front of one for what a real registry
# does not do on demand (Bearer tokens, faults, redirects, a proxy). Images
# get into a registry with skopeo, so what kiln pulls does not depend on
# kiln's push.
#
# The caller sets REG_TMP (a private folder; reg_env does it from
# BATS_TEST_TMPDIR) and stops everything with reg_stop_all.

REG_PIDS=()
REG_SEQ=0
# Go's proxy rules, which kiln follows as docker does, never send loopback
# through a proxy: proxy tests name the registry by a host only the proxy
# knows (regserver.py --map), which kiln cannot reach but through it
REG_PROXY_NAME=registry.kiln.test
REG_SRCTREE=${KILN_SRCTREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# the docker-registry binary, from its Debian package's file list
reg_bin() {
	local b
	b=$(dpkg -L docker-registry 2>/dev/null | grep -m1 '/bin/docker-registry$') || true
	[ -n "$b" ] && [ -x "$b" ] || b=$(command -v docker-registry || command -v registry || true)
	[ -n "$b" ] && echo "$b"
}

# skip unless the tools the registry tests need are there
reg_require() {
	REG_BIN=$(reg_bin) || skip "docker-registry is not installed (scripts/setup-host.sh check)"
	local t
	for t in skopeo openssl curl python3 "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/setup-host.sh check)"
	done
}

# A private world for one test: HOME, XDG folders, docker's and containers'
# config places of its own, no REGISTRY_AUTH_FILE, no proxies, an empty
# store in $KILN_ROOT. $1: the folder (default $BATS_TEST_TMPDIR).
reg_env() {
	local base=${1:-$BATS_TEST_TMPDIR}
	REG_TMP=$base/reg
	mkdir -p "$REG_TMP"
	export HOME=$base/home
	export XDG_CONFIG_HOME=$HOME/.config
	export XDG_DATA_HOME=$HOME/.local/share
	export XDG_RUNTIME_DIR=$base/run
	export DOCKER_CONFIG=$HOME/.docker
	mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
	unset REGISTRY_AUTH_FILE SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE \
		HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY http_proxy https_proxy all_proxy no_proxy
	# skopeo: no registries.conf of the machine, no search registries
	: >"$REG_TMP/registries.conf"
	export CONTAINERS_REGISTRIES_CONF=$REG_TMP/registries.conf
	export KILN_ROOT=$base/store
	# the store images are made in before they go to a registry
	REG_SRC=$base/src-store
}

# a free TCP port on 127.0.0.1 (the kernel's pick; a server that then cannot
# bind it is started again on another)
reg_free_port() {
	python3 -c 'import socket, sys
h = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)
s.bind((h, 0))
print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# --- certificates ----------------------------------------------------------

# the test CA, once per $REG_TMP: $REG_TMP/certs/ca.crt and ca.key
reg_make_ca() {
	local d=$REG_TMP/certs
	[ -f "$d/ca.crt" ] && return 0
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3 \
		-keyout "$d/ca.key" -out "$d/ca.crt" -subj "/CN=kiln test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$d/openssl.log" ||
		{ cat "$d/openssl.log" >&2; return 1; }
}

# reg_make_cert NAME SAN [serverAuth|clientAuth]: $REG_TMP/certs/NAME.crt
# and NAME.key signed by the test CA, e.g. reg_make_cert server
# "IP:127.0.0.1,DNS:localhost,DNS:$REG_PROXY_NAME"
reg_make_cert() {
	local name=$1 san=$2 usage=${3:-serverAuth} d=$REG_TMP/certs
	reg_make_ca || return 1
	[ -f "$d/$name.crt" ] && return 0
	{
		[ -n "$san" ] && echo "subjectAltName=$san"
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$usage"
	} >"$d/$name.ext"
	openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$d/$name.key" \
		-out "$d/$name.csr" -subj "/CN=kiln test $name" 2>>"$d/openssl.log" &&
		openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 3 -sha256 -extfile "$d/$name.ext" \
			-out "$d/$name.crt" 2>>"$d/openssl.log" ||
		{ cat "$d/openssl.log" >&2; return 1; }
}

# reg_trust [DIR] HOST:PORT: the test CA as HOST:PORT's ca.crt in a certs.d
# folder (default kiln's own: $XDG_CONFIG_HOME/kiln/certs.d)
reg_trust() {
	local dir=$XDG_CONFIG_HOME/kiln/certs.d
	[ $# -eq 2 ] && { dir=$1; shift; }
	reg_make_ca || return 1
	mkdir -p "$dir/$1"
	cp "$REG_TMP/certs/ca.crt" "$dir/$1/ca.crt"
}

# --- docker-registry ---------------------------------------------------------

# reg_wait_up URL PID [CURL-OPTIONS]: until URL answers at all (any HTTP
# status), 15 s at most
reg_wait_up() {
	local url=$1 pid=$2 i code
	shift 2
	for i in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || return 1
		code=$(curl -g -s -k "$@" -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
		[ -n "$code" ] && [ "$code" != 000 ] && return 0
		sleep 0.1
	done
	return 1
}

# reg_start [--tls] [--cert NAME] [--clientca] [--user USER:PASS]...:
# docker-registry on a free 127.0.0.1 port, storage in $REG_TMP. --tls
# serves HTTPS with the test CA's server certificate (IP:127.0.0.1,
# DNS:localhost; --cert NAME for another made by reg_make_cert); --clientca
# also asks clients for a certificate of the test CA (one is made as
# $REG_TMP/certs/client.crt and client.key); --user adds htpasswd
# Basic auth (bcrypt, htpasswd -B). Sets REG (127.0.0.1:PORT), REG_PORT,
# REG_URL (scheme://REG) and REG_DIR; several registries may run at once.
reg_start() {
	local tls='' cert=server clientca='' users=() dir port pid attempt cfg host=127.0.0.1
	while [ $# -gt 0 ]; do
		case $1 in
		--ipv6) host=::1 ;;
		--tls) tls=1 ;;
		--cert) tls=1 cert=$2; shift ;;
		--clientca) tls=1 clientca=1 ;;
		--user) users+=("$2"); shift ;;
		*) echo "reg_start: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	: "${REG_BIN:=$(reg_bin)}"
	# a folder of its own, never one a stopped registry left
	REG_SEQ=$((REG_SEQ + 1))
	dir=$REG_TMP/registry$REG_SEQ
	mkdir -p "$dir/data"
	if [ -n "$tls" ] && [ "$cert" = server ]; then
		reg_make_cert server "IP:127.0.0.1,IP:::1,DNS:localhost,DNS:$REG_PROXY_NAME" || return 1
	fi
	local wait_opts=()
	if [ -n "$clientca" ]; then
		reg_make_cert client "" clientAuth || return 1
		wait_opts=(--cert "$REG_TMP/certs/client.crt" --key "$REG_TMP/certs/client.key")
	fi
	if [ ${#users[@]} -gt 0 ]; then
		command -v htpasswd >/dev/null || { echo "htpasswd is not installed (apache2-utils)" >&2; return 1; }
		: >"$dir/htpasswd"
		local u
		for u in "${users[@]}"; do
			htpasswd -Bbn "${u%%:*}" "${u#*:}" | sed '/^$/d' >>"$dir/htpasswd"
		done
	fi
	for attempt in 1 2 3; do
		port=$(reg_free_port "$host")
		cfg=$dir/config.yml
		{
			echo "version: 0.1"
			echo "log:"
			echo "  level: info"
			echo "  formatter: text"
			echo "storage:"
			echo "  filesystem:"
			echo "    rootdirectory: $dir/data"
			echo "  delete:"
			echo "    enabled: true"
			echo "  maintenance:"
			echo "    uploadpurging:"
			echo "      enabled: false"
			echo "http:"
			if [ "$host" = ::1 ]; then echo "  addr: '[::1]:$port'"; else echo "  addr: $host:$port"; fi
			echo "  secret: kiln-test-secret"
			if [ -n "$tls" ]; then
				echo "  tls:"
				echo "    certificate: $REG_TMP/certs/$cert.crt"
				echo "    key: $REG_TMP/certs/$cert.key"
				if [ -n "$clientca" ]; then
					echo "    clientcas:"
					echo "      - $REG_TMP/certs/ca.crt"
				fi
			fi
			if [ ${#users[@]} -gt 0 ]; then
				echo "auth:"
				echo "  htpasswd:"
				echo "    realm: kiln-test"
				echo "    path: $dir/htpasswd"
			fi
		} >"$cfg"
		# fd 3 closed: bats waits for whatever holds it
		"$REG_BIN" serve "$cfg" >"$dir/log" 2>&1 3>&- &
		pid=$!
		REG_PORT=$port
		REG=$host:$port
		[ "$host" != ::1 ] || REG="[::1]:$port"
		REG_URL=http${tls:+s}://$REG
		REG_DIR=$dir
		if reg_wait_up "$REG_URL/v2/" "$pid" "${wait_opts[@]}"; then
			REG_PIDS+=("$pid")
			return 0
		fi
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	echo "docker-registry did not start; its log:" >&2
	tail -n 20 "$dir/log" >&2
	return 1
}

# stops every server this test started, and waits for each to be gone
reg_stop_all() {
	local pid i
	for pid in "${REG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || continue
	done
	for pid in "${REG_PIDS[@]}"; do
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	REG_PIDS=()
}

# --- regserver.py ------------------------------------------------------------

# rs_start [--tls] [regserver options...]: regserver.py in front of the
# registry $REG (plain HTTP), on a free port; --tls serves HTTPS with the
# test CA's server certificate. Sets RS (127.0.0.1:PORT), RS_PORT, RS_URL
# and RS_REDIRECT_PORT (with --redirect-blobs).
rs_start() {
	local tls='' args=() dir pid
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) tls=1 ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	REG_SEQ=$((REG_SEQ + 1))
	dir=$REG_TMP/regserver$REG_SEQ
	mkdir -p "$dir"
	if [ -n "$tls" ]; then
		reg_make_cert server "IP:127.0.0.1,DNS:localhost,DNS:$REG_PROXY_NAME" || return 1
		args+=(--tls-cert "$REG_TMP/certs/server.crt" --tls-key "$REG_TMP/certs/server.key")
	fi
	case " ${args[*]} " in
	*" --proxy "*) ;;
	*) args+=(--upstream "http://$REG") ;;
	esac
	python3 "$REG_SRCTREE/tests/integration/regserver.py" --port-file "$dir/port" \
		--stats "$dir/stats.json" "${args[@]}" >"$dir/log" 2>&1 3>&- &
	pid=$!
	REG_PIDS+=("$pid")
	local i
	for i in $(seq 100); do
		[ -s "$dir/port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$dir/port" ] || { echo "regserver.py did not start:" >&2; cat "$dir/log" >&2; return 1; }
	read -r RS_PORT RS_REDIRECT_PORT <"$dir/port"
	RS=127.0.0.1:$RS_PORT
	RS_URL=http${tls:+s}://$RS
	RS_DIR=$dir
}

# rs_stat PYTHON-EXPRESSION [DIR]: evaluates the expression over the last
# regserver's record (s: /stats as JSON), e.g.
#   rs_stat 's["token_scopes"].get("repository:busybox:pull", 0)'
#   rs_stat 'len([r for r in s["requests"] if r["range"]])'
rs_stat() {
	python3 - "$1" "${2:-$RS_DIR}/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
v = eval(sys.argv[1], {"s": s, "len": len, "sum": sum, "any": any, "all": all, "sorted": sorted})
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)
PY
}

# blob GETs regserver answered for a digest (0 when none)
rs_blob_gets() {
	rs_stat "s['blob_gets'].get('$1', 0)"
}

# --- images in a registry ------------------------------------------------------

# the busybox base tarball (scripts/mkbase.sh), made once per test file;
# $1: a Debian architecture for a foreign one (busybox-static:ARCH)
reg_busybox_tar() {
	local arch=${1:-} cache=${BATS_FILE_TMPDIR:-$REG_TMP} tar
	tar=$cache/busybox-base${arch:+-$arch}.tar
	if [ ! -f "$tar" ]; then
		sh "$REG_SRCTREE/scripts/mkbase.sh" busybox "$tar.tmp" $arch >&2 || return 1
		mv "$tar.tmp" "$tar"
	fi
	echo "$tar"
}

# this host's architecture as OCI names it
reg_host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l) echo arm ;;
	*) uname -m ;;
	esac
}

# oci_digests STORE NAME [ARCH]: "MANIFEST CONFIG MANIFEST_SIZE LAYER..."
# of the image NAME of an OCI layout (kiln's store), read from its files;
# for an index, of its manifest for ARCH (default: this host's)
oci_digests() {
	python3 - "$1" "$2" "${3:-$(reg_host_arch)}" <<'PY'
import json, sys, os
store, name, arch = sys.argv[1], sys.argv[2], sys.argv[3]
def blob(d):
    return open(os.path.join(store, "blobs", d.replace(":", "/")), "rb").read()
idx = json.load(open(os.path.join(store, "index.json")))
ms = [m for m in idx["manifests"]
      if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name]
if not ms:
    sys.exit("no image %s in %s" % (name, store))
desc = ms[0]
doc = json.loads(blob(desc["digest"]))
if "manifests" in doc:
    desc = [m for m in doc["manifests"] if m.get("platform", {}).get("architecture") == arch][0]
    doc = json.loads(blob(desc["digest"]))
print(desc["digest"], doc["config"]["digest"], desc["size"], *[l["digest"] for l in doc["layers"]])
PY
}

# sko ARGS: skopeo without the machine's policy or registries
sko() {
	skopeo --insecure-policy "$@"
}

# reg_src_import NAME [ARCH [IMPORT-OPTIONS...]]: busybox (of ARCH, a
# Debian architecture; "" for this host's) imported as NAME into $REG_SRC,
# the store images are pushed from, e.g. reg_src_import bb:2 "" --change
# 'ENV V=2' for an image of the same layer with another config
reg_src_import() {
	local name=$1 arch=${2:-} tar platform=()
	shift $(($# < 2 ? $# : 2))
	tar=$(reg_busybox_tar "$arch") || return 1
	case $arch in
	'') ;;
	arm64) platform=(--platform linux/arm64) ;;
	amd64) platform=(--platform linux/amd64) ;;
	armhf) platform=(--platform linux/arm/v7) ;;
	*) platform=(--platform "linux/$arch") ;;
	esac
	"$KILN" --root "$REG_SRC" import "${platform[@]}" "$@" "$tar" "$name" >/dev/null
}

# reg_push_src NAME REF [skopeo copy options]: the image NAME of $REG_SRC
# into a registry as REF (host:port/repo:tag) with skopeo, digests kept
reg_push_src() {
	local name=$1 ref=$2
	shift 2
	sko copy -q --preserve-digests --dest-tls-verify=false "$@" \
		"oci:$REG_SRC:$name" "docker://$ref" >&2
}

# reg_push_busybox REF [skopeo copy options]: a busybox image into a
# registry as REF, by skopeo; sets BB_MANIFEST, BB_CONFIG, BB_MSIZE and
# BB_LAYER (its one layer), read from the source store's files
reg_push_busybox() {
	local ref=$1
	shift
	if ! grep -q '"org.opencontainers.image.ref.name":"busybox:latest"' "$REG_SRC/index.json" 2>/dev/null; then
		reg_src_import busybox || return 1
	fi
	reg_push_src busybox:latest "$ref" "$@" || return 1
	read -r BB_MANIFEST BB_CONFIG BB_MSIZE BB_LAYER < <(oci_digests "$REG_SRC" busybox:latest)
}

# reg_push_multiarch REPO:TAG: an OCI image index of busybox for
# linux/amd64 and linux/arm64 in the registry $REG_URL (no auth): each
# platform is pushed with skopeo (as REPO:TAG-amd64 and REPO:TAG-arm64), the
# index is written here and PUT with curl. Sets IDX_DIGEST, and AMD_ and
# ARM_ MANIFEST, CONFIG, MSIZE, LAYER. Returns 3 when amd64's or arm64's
# busybox-static cannot be had (mkbase.sh says why on stderr).
reg_push_multiarch() {
	local ref=$1 repo tag a m c s l host idx
	repo=${ref%:*} tag=${ref##*:}
	host=$(reg_host_arch)
	for a in amd64 arm64; do
		if [ "$a" = "$host" ]; then
			reg_src_import "bb-$a:1" "" || return 3
		else
			reg_src_import "bb-$a:1" "$a" || return 3
		fi
		reg_push_src "bb-$a:1" "$REG/$repo:$tag-$a" || return 1
		read -r m c s l < <(oci_digests "$REG_SRC" "bb-$a:1")
		case $a in
		amd64) AMD_MANIFEST=$m AMD_CONFIG=$c AMD_MSIZE=$s AMD_LAYER=$l ;;
		arm64) ARM_MANIFEST=$m ARM_CONFIG=$c ARM_MSIZE=$s ARM_LAYER=$l ;;
		esac
	done
	idx=$REG_TMP/index-$tag.json
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}' \
		"$AMD_MANIFEST" "$AMD_MSIZE" "$ARM_MANIFEST" "$ARM_MSIZE" >"$idx"
	IDX_DIGEST=sha256:$(sha256sum "$idx" | cut -d' ' -f1)
	curl -fsS -k -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" \
		--data-binary "@$idx" "$REG_URL/v2/$repo/manifests/$tag" >&2 || return 1
	# the registry keeps the bytes: its digest is ours
	[ "$(reg_manifest_info "$repo" "$tag" | head -n 1)" = "$IDX_DIGEST" ]
}

# reg_manifest_info REPO REF [curl options]: the digest of the manifest
# the registry $REG_URL serves for REPO:REF (sha256 of its bytes), and its
# media type on a second line
reg_manifest_info() {
	local repo=$1 ref=$2 f=$REG_TMP/manifest.$$
	shift 2
	curl -fsS -k "$@" -o "$f" -w '%{content_type}\n' \
		-H "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json" \
		"$REG_URL/v2/$repo/manifests/$ref" >"$f.type" || return 1
	echo "sha256:$(sha256sum "$f" | cut -d' ' -f1)"
	cat "$f.type"
	rm -f "$f" "$f.type"
}

# --- the store ------------------------------------------------------------------

# what a store holds (images, blob files and their sums), to show that a
# failed command changed nothing
store_snapshot() {
	local root=${1:-$KILN_ROOT}
	"$KILN" --root "$root" images -q 2>&1 | sort
	echo "--"
	(cd "$root" && find . -path ./kiln -prune -o -type f -print | sort | xargs -r sha256sum)
}

# an image of its own in the store (one small layer no registry image
# shares), so that "the store is unchanged" means something
reg_seed_store() {
	local d=$REG_TMP/seed
	mkdir -p "$d/root"
	echo "seed of $BATS_TEST_NAME" >"$d/root/seed.txt"
	tar -C "$d/root" -cf "$d/seed.tar" .
	"$KILN" import "$d/seed.tar" local:1 >/dev/null
}

# files left in the store's ingest folder (partial downloads)
store_ingest() {
	find "${1:-$KILN_ROOT}/kiln/ingest" -type f 2>/dev/null
}

# whether a blob is in a store
has_blob() {
	[ -f "${2:-$KILN_ROOT}/blobs/sha256/${1#sha256:}" ]
}

# oci_ref_digest STORE NAME: the digest index.json gives NAME (a manifest
# or an index)
oci_ref_digest() {
	python3 - "$1" "$2" <<'PY'
import json, sys, os
idx = json.load(open(os.path.join(sys.argv[1], "index.json")))
ms = [m["digest"] for m in idx["manifests"]
      if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]]
print(ms[0] if ms else "")
PY
}

# a blob is not in a store
lacks_blob() {
	[ ! -e "${2:-$KILN_ROOT}/blobs/sha256/${1#sha256:}" ] || { echo "blob $1 is in the store"; return 1; }
}

# every blob file of a store has the digest its name says
blobs_verify() {
	local f d root=${1:-$KILN_ROOT}
	for f in "$root"/blobs/sha256/*; do
		d=$(sha256sum "$f" | cut -d' ' -f1)
		[ "$d" = "$(basename "$f")" ] || { echo "blob $f has digest $d"; return 1; }
	done
}

# the one stderr line of a failed kiln command starts with "kiln: $1: "
# (run --separate-stderr)
assert_one_stderr_line() {
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "expected one line on stderr, got: $stderr"; return 1; }
	[[ "${stderr_lines[0]}" == "kiln: $1: "* ]] || { echo "no 'kiln: $1: ' prefix: $stderr"; return 1; }
}

# the last three lines of a pull: Digest, Status, the full reference
# assert_pulled DIGEST REF downloaded|uptodate
assert_pulled() {
	local digest=$1 ref=$2 how=$3 status
	case $how in
	downloaded) status="Status: Downloaded newer image for $ref" ;;
	uptodate) status="Status: Image is up to date for $ref" ;;
	esac
	[ "${#lines[@]}" -ge 3 ] || { echo "pull printed: $output"; return 1; }
	[ "${lines[-3]}" = "Digest: $digest" ] || { echo "digest line: '${lines[-3]}', want $digest"; return 1; }
	[ "${lines[-2]}" = "$status" ] || { echo "status line: '${lines[-2]}', want '$status'"; return 1; }
	[ "${lines[-1]}" = "$ref" ] || { echo "last line: '${lines[-1]}', want '$ref'"; return 1; }
}

# the last line of a push: "TAG: digest: sha256:HEX size: N"; sets
# PUSHED_DIGEST and PUSHED_SIZE
assert_pushed() {
	local tag=$1 re
	re="^$tag: digest: (sha256:[0-9a-f]{64}) size: ([0-9]+)$"
	[[ "${lines[-1]}" =~ $re ]] || { echo "last line of push: '${lines[-1]}'"; return 1; }
	PUSHED_DIGEST=${BASH_REMATCH[1]}
	PUSHED_SIZE=${BASH_REMATCH[2]}
}
