#!/bin/sh
# Fetch, verify and build the static libraries kiln links (zlib, mbedtls,
# libcap, cJSON) from the Debian source packages pinned in scripts/deps.lock.
#
#   deps.sh fetch SRCDIR                        fetch (or just verify) sources
#   deps.sh build SRCDIR OUTDIR ARCH KHDIR      build OUTDIR/ARCH/sysroot
#
# build reads CC, AR, RANLIB from the environment. SRCDIR may be a directory
# the user filled by hand with the files named in deps.lock (see README).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
lock=$here/deps.lock

die() { echo "kiln: deps: $*" >&2; exit 2; }

# prints "name sha256" for every file of package $1 (all packages if empty)
lock_files() {
	awk -v want="$1" '$1 == "pkg" { cur = $2 }
		$1 == "file" && (want == "" || want == cur) { print $2, $3 }' "$lock"
}
lock_pkgs() { awk '$1 == "pkg" { print $2, $3 }' "$lock"; }

# 0 when every file of the package is present with its pinned checksum
verify_pkg() {
	src=$1 pkg=$2 quiet=${3:-}
	ok=0
	# shellcheck disable=SC2046
	set -- $(lock_files "$pkg")
	while [ $# -ge 2 ]; do
		f=$1 sum=$2
		shift 2
		if [ ! -f "$src/$f" ]; then
			[ -n "$quiet" ] || echo "kiln: deps: '$src/$f' is missing" >&2
			ok=1
			continue
		fi
		got=$(sha256sum "$src/$f" | cut -d' ' -f1)
		if [ "$got" != "$sum" ]; then
			echo "kiln: deps: '$src/$f': sha256 $got, expected $sum" >&2
			ok=1
		fi
	done
	return $ok
}

have_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}

# Add deb-src entries mirroring the machine's own deb entries (root only).
add_deb_src() {
	have_deb_src && return 0
	if [ "$(id -u)" != 0 ]; then
		die "no deb-src entry in /etc/apt; as root run: $here/setup-host.sh deb-src"
	fi
	"$here/setup-host.sh" deb-src
}

cmd_fetch() {
	src=$1
	mkdir -p "$src"
	lock_pkgs | while read -r pkg ver; do
		verify_pkg "$src" "$pkg" quiet && continue
		if [ -n "${KILN_DEPS_OFFLINE:-}" ]; then
			verify_pkg "$src" "$pkg" || true
			die "'$pkg' sources in '$src' are missing or wrong, and KILN_DEPS_OFFLINE is set"
		fi
		command -v apt-get >/dev/null ||
			die "'$pkg' sources not in '$src' and no apt-get: put the files of deps.lock there"
		add_deb_src
		echo "  FETCH   $pkg $ver"
		# apt checks the .dsc against the signed Sources index and the
		# tarballs against the .dsc; the pins below check the result again.
		(cd "$src" && apt-get source -q --download-only "$pkg=$ver" >"$src/.fetch.log" 2>&1) || {
			tail -n 3 "$src/.fetch.log" >&2
			die "apt-get source $pkg=$ver failed (log: $src/.fetch.log)"
		}
		verify_pkg "$src" "$pkg" || {
			lock_files "$pkg" | while read -r f _; do rm -f "$src/$f"; done
			die "'$pkg' sources do not match deps.lock: removed"
		}
	done
}

# unpack package $1 from $2 into $3: upstream tarball, then debian/, then the
# Debian patches in series order (what dpkg-source -x does for 3.0 (quilt))
unpack() {
	pkg=$1 src=$2 dir=$3
	rm -rf "$dir" && mkdir -p "$dir"
	orig=$(lock_files "$pkg" | awk '$1 ~ /\.orig\.tar\./ { print $1 }')
	deb=$(lock_files "$pkg" | awk '$1 ~ /\.debian\.tar\./ { print $1 }')
	tar -xf "$src/$orig" -C "$dir" --strip-components=1
	tar -xf "$src/$deb" -C "$dir"
	[ -f "$dir/debian/patches/series" ] || return 0
	sed -e 's/#.*//' "$dir/debian/patches/series" | while read -r p opt; do
		[ -n "$p" ] || continue
		patch -d "$dir" -s -f ${opt:--p1} --no-backup-if-mismatch < "$dir/debian/patches/$p" ||
			die "$pkg: patch '$p' does not apply"
	done
}

cmd_build() {
	src=$1 out=$2 arch=$3 kh=$4
	: "${CC:?}" "${AR:?}"
	RANLIB=${RANLIB:-ranlib}
	top=$out/$arch
	mkdir -p "$top"
	want=$(cat "$lock" "$here/deps.sh" "$here/mbedtls-kiln.h" | sha256sum | cut -c1-64)
	# one builder per DEPS_DIR and arch; whoever waited finds it done
	if [ -z "${KILN_DEPS_LOCKED:-}" ] && command -v flock >/dev/null; then
		KILN_DEPS_LOCKED=1 exec flock "$top/.lock" "$0" build "$src" "$out" "$arch" "$kh"
	fi
	if [ "$(cat "$top/sysroot/.built" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	cmd_fetch "$src"
	build=$top/build
	stage=$top/sysroot.tmp
	rm -rf "$stage" && mkdir -p "$stage/include/cjson" "$stage/include/sys" "$stage/lib" "$build"
	cflags="-Os -g0 -ffunction-sections -fdata-sections -D_FILE_OFFSET_BITS=64"
	jobs=$(nproc 2>/dev/null || echo 1)

	echo "  DEPS    zlib ($arch)"
	unpack zlib "$src" "$build/zlib"
	(cd "$build/zlib" &&
	 for f in adler32 crc32 deflate infback inffast inflate inftrees trees \
	          zutil compress uncompr gzclose gzlib gzread gzwrite; do
		$CC $cflags -DHAVE_UNISTD_H -DHAVE_STDARG_H -c $f.c -o $f.o || exit 1
	 done &&
	 $AR rcs libz.a *.o) >"$build/zlib.log" 2>&1 || die "zlib build failed (log: $build/zlib.log)"
	cp "$build/zlib/libz.a" "$stage/lib/"
	cp "$build/zlib/zlib.h" "$build/zlib/zconf.h" "$stage/include/"

	echo "  DEPS    mbedtls ($arch)"
	unpack mbedtls "$src" "$build/mbedtls"
	# kiln's cuts (a TLS client and nothing else), seen by the library
	# and by kiln's objects alike: config.h includes them before its checks
	cp "$here/mbedtls-kiln.h" "$build/mbedtls/include/mbedtls/kiln.h"
	sed -i 's|^#include "mbedtls/check_config.h"|#include "mbedtls/kiln.h"\n&|' \
		"$build/mbedtls/include/mbedtls/config.h"
	grep -q '^#include "mbedtls/kiln.h"' "$build/mbedtls/include/mbedtls/config.h" ||
		die "mbedtls: config.h has no check_config.h line to put kiln's cuts before"
	make -C "$build/mbedtls/library" -j"$jobs" CC="$CC" AR="$AR" CFLAGS="$cflags" \
		libmbedcrypto.a libmbedx509.a libmbedtls.a >"$build/mbedtls.log" 2>&1 ||
		die "mbedtls build failed (log: $build/mbedtls.log)"
	cp "$build/mbedtls/library/"libmbed*.a "$stage/lib/"
	cp -r "$build/mbedtls/include/mbedtls" "$build/mbedtls/include/psa" "$stage/include/"

	echo "  DEPS    libcap ($arch)"
	unpack libcap2 "$src" "$build/libcap"
	make -C "$build/libcap/libcap" CC="$CC -idirafter $kh" BUILD_CC=gcc AR="$AR" \
		RANLIB="$RANLIB" COPTS="$cflags" GOLANG=no SHARED=no PAM_CAP=no \
		libcap.a >"$build/libcap.log" 2>&1 || die "libcap build failed (log: $build/libcap.log)"
	cp "$build/libcap/libcap/libcap.a" "$stage/lib/"
	cp "$build/libcap/libcap/include/sys/capability.h" "$stage/include/sys/"

	echo "  DEPS    cJSON ($arch)"
	unpack cjson "$src" "$build/cjson"
	(cd "$build/cjson" && $CC $cflags -c cJSON.c -o cJSON.o && $AR rcs libcjson.a cJSON.o) \
		>"$build/cjson.log" 2>&1 || die "cJSON build failed (log: $build/cjson.log)"
	cp "$build/cjson/libcjson.a" "$stage/lib/"
	cp "$build/cjson/cJSON.h" "$stage/include/cjson/"

	echo "$want" > "$stage/.built"
	rm -rf "$top/sysroot" && mv "$stage" "$top/sysroot"
	rm -rf "$build"
}

case ${1:-} in
fetch) [ $# -eq 2 ] || die "usage: deps.sh fetch SRCDIR"; cmd_fetch "$2" ;;
build) [ $# -eq 5 ] || die "usage: deps.sh build SRCDIR OUTDIR ARCH KHDIR"; shift; cmd_build "$@" ;;
*) die "usage: deps.sh fetch|build ..." ;;
esac
