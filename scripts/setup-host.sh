#!/bin/sh
# Installs what building (build) or testing (check) kiln needs on Debian 12,
# as root with apt-get; as another user it prints the apt-get line and stops.
#   setup-host.sh build | check | demo | deb-src
set -eu

die() { echo "kiln: setup: $*" >&2; exit 2; }

# what 'make' needs: compilers, musl, Kconfig tools, source unpacking
build_pkgs="make gcc musl-tools musl-dev kconfig-frontends-nox dpkg-dev patch xz-utils bzip2 file git ca-certificates"
# what 'make check' adds: test runners, the sanitizer build's -dev libraries,
# cross compilers with musl for the board builds (and their kernel headers,
# which apt leaves out as mere recommendations), qemu to run their output,
# the tools that create and drop to an unprivileged test user, and a real
# registry with what the registry tests make around it (certificates,
# htpasswd files, requests by hand)
check_pkgs="bats skopeo umoci podman libcmocka-dev zlib1g-dev libmbedtls-dev libcap-dev libcjson-dev \
	clang libclang-rt-14-dev python3 busybox-static buildah debootstrap \
	qemu-user-static uidmap passwd util-linux \
	docker-registry apache2-utils openssl curl time \
	gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-arm-linux-gnueabi gcc-riscv64-linux-gnu \
	musl-dev:arm64 musl-dev:armhf musl-dev:armel \
	linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross linux-libc-dev-armel-cross \
	libc6-dev-riscv64-cross"
foreign_archs="arm64 armhf armel"
# what 'make demo' adds: the offline base image and the id-map helpers
demo_pkgs="busybox-static uidmap"

is_root() { [ "$(id -u)" = 0 ]; }

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

have_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}

# deb-src entries for the machine's own Debian sources, so that apt-get
# source can fetch the pinned library sources (scripts/deps.lock)
add_deb_src() {
	have_deb_src && return 0
	is_root || die "no deb-src entry in /etc/apt; as root: $0 deb-src"
	added=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -qE '^Types:.*\bdeb\b' "$f" || continue
		out=/etc/apt/sources.list.d/kiln-deb-src-$(basename "$f")
		sed -e 's/^Types:.*/Types: deb-src/' "$f" > "$out"
		added=1
	done
	if [ "$added" = 0 ] && [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list \
			> /etc/apt/sources.list.d/kiln-deb-src.list
		[ -s /etc/apt/sources.list.d/kiln-deb-src.list ] && added=1
	fi
	[ "$added" = 1 ] || die "no Debian 'deb' entries to derive deb-src entries from"
	echo "  SETUP   added deb-src entries"
	apt_update
}

# A mirror caught mid-sync fails one index; try again before giving up,
# and let the install itself say whether what it needs is there.
apt_update() {
	for i in 1 2 3; do
		apt-get update -q >/tmp/kiln-apt-update.log 2>&1 && return 0
		sleep $((i * 5))
	done
	echo "kiln: setup: apt-get update had errors (see /tmp/kiln-apt-update.log); going on" >&2
}

install() {
	missing=
	for p in "$@"; do
		installed "$p" || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	if ! is_root; then
		echo "kiln: setup: missing packages; as root run:" >&2
		echo "  apt-get install -y$missing" >&2
		exit 2
	fi
	for a in $foreign_archs; do
		case $missing in
		*":$a"*)
			dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
			;;
		esac
	done
	echo "  SETUP   apt-get install$missing"
	apt_update
	for i in 1 2 3; do
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
			>/tmp/kiln-apt-install.log 2>&1 && return 0
		sleep $((i * 5))
		apt_update
	done
	tail -n 5 /tmp/kiln-apt-install.log >&2
	die "apt-get install failed (log: /tmp/kiln-apt-install.log)"
}

case ${1:-} in
build)
	# shellcheck disable=SC2086
	install $build_pkgs
	# without root, deps.sh asks for deb-src only if it must fetch
	if is_root; then add_deb_src; fi
	;;
check)
	# shellcheck disable=SC2086
	install $build_pkgs $check_pkgs
	if is_root; then add_deb_src; fi
	;;
demo)
	# shellcheck disable=SC2086
	install $build_pkgs $demo_pkgs
	if is_root; then add_deb_src; fi
	;;
deb-src)
	add_deb_src
	;;
*)
	die "usage: setup-host.sh build|check|demo|deb-src"
	;;
esac
