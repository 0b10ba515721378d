#!/usr/bin/env python3
# gen.py OUTDIR CANARY: writes hostile layer archives and OUTDIR/MANIFEST, one
# line each "file<TAB>refused|ok<TAB>what the error says or what must hold".
"""Hostile layers for kiln's extractor.

CANARY is the absolute path of a directory beside the extraction root that
no archive may touch; the tests compare it before and after each archive.
Archives are built from raw headers where tarfile would refuse or repair.
"""
import gzip
import io
import os
import sys
import tarfile

OUT, CANARY = sys.argv[1], sys.argv[2].rstrip("/")
BLOCK = 512
END = b"\0" * 1024
manifest = []


def octal(n, width):
    return ("%0*o" % (width - 1, n)).encode() + b"\0"


def b256(n, width):
    """GNU base-256: top bit set, two's complement big-endian"""
    raw = (n % (1 << (8 * width))).to_bytes(width, "big")
    return bytes([raw[0] | 0x80]) + raw[1:] if n >= 0 else raw


def header(name, type_=b"0", size=0, mode=0o644, uid=0, gid=0, mtime=1700000000,
           linkname=b"", size_field=None, uid_field=None, bad_sum=False,
           magic=b"ustar\x0000", devmajor=0, devminor=0):
    if isinstance(name, str):
        name = name.encode()
    if isinstance(linkname, str):
        linkname = linkname.encode()
    h = bytearray(BLOCK)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = octal(mode, 8)
    h[108:116] = uid_field if uid_field is not None else octal(uid, 8)
    h[116:124] = octal(gid, 8)
    h[124:136] = size_field if size_field is not None else octal(size, 12)
    h[136:148] = octal(mtime, 12)
    h[156:157] = type_
    h[157:157 + len(linkname[:100])] = linkname[:100]
    h[257:265] = magic
    h[329:337] = octal(devmajor, 8)
    h[337:345] = octal(devminor, 8)
    h[148:156] = b" " * 8
    s = sum(h) + (1 if bad_sum else 0)
    h[148:156] = ("%06o" % s).encode() + b"\0 "
    return bytes(h)


def pad(data):
    return data + b"\0" * ((BLOCK - len(data) % BLOCK) % BLOCK)


def entry(name, data=b"", **kw):
    kw.setdefault("size", len(data))
    return header(name, **kw) + pad(data)


def pax_records(pairs):
    out = b""
    for k, v in pairs:
        if isinstance(v, str):
            v = v.encode()
        body = b" " + k.encode() + b"=" + v + b"\n"
        n = len(body) + 1
        while len(str(n)) + len(body) != n:
            n += 1
        out += str(n).encode() + body
    return out


def pax(pairs, type_=b"x", raw=None):
    data = raw if raw is not None else pax_records(pairs)
    return header("PaxHeaders/x", type_=type_, size=len(data)) + pad(data)


def put(name, data, outcome, what):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    manifest.append("%s\t%s\t%s" % (name, outcome, what))


def refused(name, data, what):
    put(name, data, "refused", what)


def ok(name, data, what="-"):
    put(name, data, "ok", what)


def gz(data):
    return gzip.compress(data, mtime=0)


# --- escaping by name -------------------------------------------------------
refused("dotdot.tar", entry("../canary/pwned", b"x") + END, "leaves the root")
refused("dotdot-deep.tar", entry("a/b/../../../canary/pwned", b"x") + END, "leaves the root")
refused("dotdot-dir.tar", entry("..", type_=b"5", mode=0o755) + END, "leaves the root")
refused("pax-path-dotdot.tar",
        pax([("path", "../../canary/pwned")]) + entry("harmless", b"x") + END,
        "leaves the root")
refused("gnu-longname-dotdot.tar",
        header("././@LongLink", type_=b"L", size=19) + pad(b"../canary/pwned\0\0\0\0")
        + entry("harmless", b"x") + END, "leaves the root")
refused("fifo-dotdot.tar", entry("../canary/fifo", type_=b"6") + END, "leaves the root")
ok("abs-path.tar", entry("/canary/pwned", b"x") + entry("//abs2", b"y") + END,
   "file:canary/pwned")
ok("dot-prefix.tar", entry("./a/../b", b"x") + END, "file:b")
ok("root-entry.tar", entry("./", type_=b"5", mode=0o777) + entry(".", type_=b"5") + END, "-")

# --- hardlinks --------------------------------------------------------------
refused("hardlink-dotdot.tar", entry("h", type_=b"1", linkname="../canary/secret") + END,
        "leaves the root")
refused("hardlink-abs.tar", entry("h", type_=b"1", linkname=CANARY + "/secret") + END,
        "hardlink target")
refused("hardlink-via-abs-symlink.tar",
        entry("s", type_=b"2", linkname=CANARY) + entry("h", type_=b"1", linkname="s/secret")
        + END, "hardlink target directory")
refused("hardlink-via-rel-symlink.tar",
        entry("s", type_=b"2", linkname="../canary")
        + entry("h", type_=b"1", linkname="s/secret") + END, "hardlink target directory")
refused("gnu-longlink-dotdot.tar",
        header("././@LongLink", type_=b"K", size=18) + pad(b"../canary/secret\0\0")
        + entry("h", type_=b"1", linkname="x") + END, "leaves the root")
refused("hardlink-to-dir.tar",
        entry("d", type_=b"5", mode=0o755) + entry("h", type_=b"1", linkname="d") + END,
        "is a directory")
refused("hardlink-self.tar", entry("h", type_=b"1", linkname="h") + END, "itself")
ok("hardlink-to-symlink-then-write.tar",
   entry("s", type_=b"2", linkname=CANARY + "/secret")
   + entry("h", type_=b"1", linkname="s") + entry("h", b"pwned") + END, "file:h")

# --- symlinks written through -----------------------------------------------
ok("symlink-abs-then-write.tar",
   entry("evil", type_=b"2", linkname=CANARY) + entry("evil/pwned", b"x") + END,
   "file:" + CANARY.lstrip("/") + "/pwned")
ok("symlink-rel-then-write.tar",
   entry("evil", type_=b"2", linkname="../../../../canary") + entry("evil/pwned", b"x") + END,
   "file:canary/pwned")
ok("symlink-chain.tar",
   entry("l1", type_=b"2", linkname="l2") + entry("l2", type_=b"2", linkname="l3")
   + entry("l3", type_=b"2", linkname="../../..") + entry("l1/canary/pwned", b"x") + END,
   "file:canary/pwned")
ok("symlink-then-file.tar",
   entry("x", type_=b"2", linkname=CANARY + "/secret") + entry("x", b"pwned") + END, "file:x")
ok("file-then-symlink-then-file.tar",
   entry("f", b"one") + entry("f", type_=b"2", linkname="../canary/secret")
   + entry("f", b"pwned") + END, "file:f")
ok("dir-then-symlink.tar",
   entry("d", type_=b"5", mode=0o755) + entry("d", type_=b"2", linkname=CANARY)
   + entry("d/pwned", b"x") + END, "file:" + CANARY.lstrip("/") + "/pwned")
ok("symlink-dotdot-dir.tar",
   entry("up", type_=b"2", linkname="..") + entry("up/up2", type_=b"2", linkname="..")
   + entry("up/up2/canary/pwned", b"x") + END, "file:canary/pwned")
ok("whiteout-through-symlink.tar",
   entry("s", type_=b"2", linkname=CANARY) + entry("s/.wh.secret") + END, "-")
ok("opaque-through-symlink.tar",
   entry("s", type_=b"2", linkname="../canary") + entry("s/.wh..wh..opq") + END, "-")
refused("whiteout-dot.tar", entry("a/.wh..", b"") + END, "whiteout of nothing")
refused("whiteout-empty.tar", entry(".wh.", b"") + END, "whiteout of nothing")

# --- lying sizes and numbers ------------------------------------------------
refused("pax-size-too-big.tar",
        pax([("size", "100000")]) + entry("f", b"0123456789") + END, "truncated")
refused("pax-size-too-small.tar",
        pax([("size", "1")]) + entry("f", b"A" * 1000) + entry("g", b"y") + END,
        "checksum")
refused("header-size-lie.tar", header("f", size=4096) + pad(b"short"), "truncated")
refused("truncated-header.tar", entry("f", b"x")[:300], "truncated")
refused("truncated-content.tar", (header("f", size=2000) + b"x" * 700), "truncated")
refused("negative-size.tar", header("f", size_field=b256(-512, 12)) + END, "bad size")
refused("huge-size.tar", header("f", size_field=b256(1 << 62, 12)) + END, "truncated")
refused("huge-uid.tar", entry("f", b"x", uid_field=b256(1 << 40, 8)) + END, "bad uid")
refused("pax-negative-uid.tar", pax([("uid", "-1")]) + entry("f", b"x") + END, "bad PAX uid")
refused("pax-huge-size.tar",
        pax([("size", "99999999999999999999999")]) + entry("f", b"x") + END, "bad PAX size")
refused("bad-checksum.tar", header("f", size=1, bad_sum=True) + pad(b"x") + END, "checksum")
refused("garbage.tar", b"this is not a tar archive at all" * 40, "checksum")

# --- extension headers ------------------------------------------------------
refused("pax-record-lie.tar",
        pax(None, raw=b"999 path=x\n") + entry("f", b"x") + END, "malformed PAX")
refused("pax-huge-header.tar",
        pax(None, raw=pax_records([("comment", "A" * (2 << 20))])) + entry("f", b"x") + END,
        "larger than")
refused("pax-long-path.tar", pax([("path", "a/" * 3000)]) + entry("f", b"x") + END,
        "longer than")
refused("pax-nul-path.tar", pax([("path", "a\0b")]) + entry("f", b"x") + END, "NUL")
refused("gnu-longname-huge.tar",
        header("././@LongLink", type_=b"L", size=1 << 20) + pad(b"a" * (1 << 20))
        + entry("f", b"x") + END, "larger than")
refused("meta-flood.tar", pax([("comment", "x")]) * 40 + entry("f", b"x") + END,
        "too many extension headers")
refused("pax-then-eof.tar", pax([("path", "f")]), "after an extension header")
refused("sparse.tar", entry("f", b"", type_=b"S") + END, "sparse")
refused("pax-sparse.tar", pax([("GNU.sparse.major", "1")]) + entry("f", b"x") + END, "sparse")
refused("unknown-type.tar", entry("f", b"", type_=b"Z") + END, "unsupported entry type")
ok("pax-global-ignored.tar",
   pax([("path", "../../canary/pwned")], type_=b"g") + entry("fine", b"x") + END, "file:fine")
ok("no-end-blocks.tar", entry("f", b"x"), "file:f")

# --- attributes that must not take effect -----------------------------------
ok("overlay-xattrs.tar",
   pax([("SCHILY.xattr.trusted.overlay.opaque", "y"), ("SCHILY.xattr.user.overlay.opaque", "y"),
        ("SCHILY.xattr.user.overlay.redirect", "/canary")])
   + entry("d", type_=b"5", mode=0o755) + END, "noxattr:d")
ok("device-node.tar", entry("null", type_=b"3", mode=0o666, devmajor=1, devminor=3) + END, "-")
ok("setuid.tar", entry("su", b"#!/bin/sh\n", mode=0o4755, uid=4242) + END, "nosuid:su")

# --- compression ------------------------------------------------------------
refused("zstd.tar.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 100, "zstd-compressed layers are not supported")
refused("gzip-trailing-garbage.tar.gz", gz(entry("f", b"x") + END) + b"garbage", "trailing garbage")
refused("gzip-truncated.tar.gz", gz(entry("f", b"x" * 5000) + END)[:60], "truncated")
refused("gzip-corrupt.tar.gz", gz(entry("f", b"x") + END)[:10] + b"\xff" * 40, "corrupt")
ok("gzip-two-members.tar.gz", gz(entry("f", b"x")) + gz(entry("g", b"y") + END), "file:g")

# a tarfile-made archive, so the corpus is not only what this script thinks
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("pax/" + "long-name-" * 20)
    ti.size = 3
    t.addfile(ti, io.BytesIO(b"abc"))
    ti = tarfile.TarInfo("pax/link")
    ti.type = tarfile.SYMTYPE
    ti.linkname = "/" + "far/" * 40
    t.addfile(ti)
ok("tarfile-pax.tar", buf.getvalue(), "file:pax/" + "long-name-" * 20)

with open(os.path.join(OUT, "MANIFEST"), "w") as f:
    f.write("\n".join(manifest) + "\n")
