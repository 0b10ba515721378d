#!/bin/sh
# mkbase.sh debian OUT.tar: Debian bookworm --variant=minbase made with
# debootstrap from the machine's own Debian mirror (as root: debootstrap
# needs it), apt's package lists and downloads removed.
#
# mkbase.sh busybox OUT.tar: a base image root filesystem made offline from
# Debian's busybox-static, as a tarball for 'kiln import': /bin/busybox, a
# link per applet, /etc/passwd and /etc/group (root, nobody and a user "app"
# 1000:1000, whose home stays root's: tar cannot give single paths owners
# without root), /tmp. Same bytes on every run (sorted, owner 0, mtime 0).
#
# mkbase.sh busybox OUT.tar ARCH: the same for another Debian architecture
# (arm64, armhf, armel, i386, riscv64, ppc64el, s390x; amd64 too): Debian's
# busybox-static:ARCH, fetched with 'apt-get download' as an ordinary user
# (dpkg must list ARCH as a foreign architecture) and unpacked with
# dpkg-deb. Its applet list comes from running it, through qemu-user when
# this CPU cannot.
set -eu

die() { echo "kiln: mkbase: $*" >&2; exit 2; }

[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$1" = busybox ]; } ||
	die "usage: mkbase.sh busybox|debian OUT.tar, or mkbase.sh busybox OUT.tar ARCH"
out=$2
arch=${3:-}

# the first Debian mirror apt uses here (deb822 or one-line sources)
debian_mirror() {
	{ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ print $2 }'
	  grep -hs '^deb ' /etc/apt/sources.list | awk '{ print $2 }'; } |
		grep -v security | head -n 1
}

if [ "$1" = debian ]; then
	[ "$(id -u)" = 0 ] || die "debootstrap needs root"
	command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
	mirror=${DEBIAN_MIRROR:-$(debian_mirror)}
	[ -n "$mirror" ] || die "no Debian mirror in apt's sources; set DEBIAN_MIRROR"
	root=$(mktemp -d "${TMPDIR:-/tmp}/kiln-mkbase.XXXXXX")
	trap 'rm -rf "$root"' EXIT INT TERM
	debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.log" 2>&1 ||
		{ tail -n 5 "$root.log" >&2; rm -f "$root.log"; die "debootstrap failed"; }
	rm -f "$root.log"
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*
	tar --numeric-owner -C "$root" -cf "$out.tmp" . && mv "$out.tmp" "$out"
	exit 0
fi
[ "$1" = busybox ] || die "unknown base '$1' (known: busybox, debian)"

# ARCH's busybox-static from Debian, unpacked in $dl; sets bb and run
fetch_busybox() {
	case $arch in
	amd64) q=x86_64 ;; i386) q=i386 ;; arm64) q=aarch64 ;; armhf|armel) q=arm ;;
	riscv64) q=riscv64 ;; ppc64el) q=ppc64le ;; s390x) q=s390x ;;
	*) die "unknown Debian architecture '$arch' (amd64 arm64 armhf armel i386 riscv64 ppc64el s390x)" ;;
	esac
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		die "apt-get and dpkg-deb are needed for ARCH '$arch'"
	dl=$(mktemp -d "${TMPDIR:-/tmp}/kiln-mkbase-dl.XXXXXX")
	(cd "$dl" && apt-get download "busybox-static:$arch") > "$dl/log" 2>&1 ||
		{ tail -n 3 "$dl/log" >&2; die "cannot download busybox-static:$arch (is $arch a dpkg foreign architecture?)"; }
	dpkg-deb -x "$dl"/busybox-static_*.deb "$dl/x" || die "cannot unpack busybox-static:$arch"
	bb=$dl/x/bin/busybox
	[ -x "$bb" ] || die "busybox-static:$arch has no /bin/busybox"
	# the applet list: by running it, through qemu-user when this CPU cannot
	run=
	if ! "$bb" true 2>/dev/null; then
		for e in "qemu-$q-static" "qemu-$q"; do
			command -v "$e" >/dev/null && { run=$(command -v "$e"); break; }
		done
		[ -n "$run" ] || die "busybox-static:$arch does not run here and qemu-$q-static is not installed"
	fi
}

dl=
run=
root=
trap 'rm -rf ${dl:+"$dl"} ${root:+"$root"}' EXIT INT TERM
if [ -n "$arch" ]; then
	fetch_busybox
else
	bb=${BUSYBOX:-/bin/busybox}
	[ -x "$bb" ] || die "$bb not found: install busybox-static"
fi
file -L "$bb" | grep -q 'statically linked' || die "$bb is not statically linked: install busybox-static"

root=$(mktemp -d "${TMPDIR:-/tmp}/kiln-mkbase.XXXXXX")
chmod 755 "$root"

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
	"$root/root" "$root/home/app" "$root/tmp" "$root/var" "$root/dev" "$root/proc" "$root/sys"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$bb" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
$run "$bb" --list-full | while read -r applet; do
	case $applet in bin/busybox) continue ;; esac
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$root/etc/group" <<'GR'
root:x:0:
wheel:x:10:app
app:x:1000:
nogroup:x:65534:
GR
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$root" -cf "$out" .
