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
set -eu

die() { echo "kiln: mkbase: $*" >&2; exit 2; }

[ $# -eq 2 ] || die "usage: mkbase.sh busybox|debian OUT.tar"
out=$2

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
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || die "$bb not found: install busybox-static"
file -L "$bb" | grep -q 'statically linked' || die "$bb is not statically linked: install busybox-static"

root=$(mktemp -d "${TMPDIR:-/tmp}/kiln-mkbase.XXXXXX")
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT INT TERM

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
	"$root/root" "$root/home/app" "$root/tmp" "$root/var" "$root/dev" "$root/proc" "$root/sys"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$bb" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
"$bb" --list-full | while read -r applet; do
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
