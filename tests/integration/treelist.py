#!/usr/bin/env python3
"""treelist.py: a listing of a root filesystem, or the run-time fields of an
image config, that two builders' results can be compared with by diff.

  treelist.py DIR                 the tree under DIR
  treelist.py --tar FILE|-        the same listing of a root filesystem tarball
                                  (what 'kiln export' writes)
  treelist.py --config FILE|-     Env, Cmd, Entrypoint, WorkingDir, User,
                                  ExposedPorts, Labels and Volumes of an image
      [--ignore-label NAME]...    config: OCI or docker config JSON, 'docker
                                  inspect' output or 'buildah inspect' output

One line per path, sorted by path:
  /path TYPE MODE UID:GID SIZE SHA256|TARGET|MAJOR,MINOR|-
Hard links are listed as the regular files they are; the root itself is not
listed, nor what lies under /proc, /sys and /dev (mount points at run time).
Times are left out: two builds never agree on them. A symlink's mode is
always 0777 (Linux ignores it; tar writers do not agree on it).

Config fields print one a line as 'Key: JSON', keys sorted, JSON with sorted
keys; an absent, null or empty value prints as null, because builders differ
in whether they write an empty list or leave the field out.
"""

import hashlib
import json
import os
import stat
import sys
import tarfile

SKIP_CONTENTS = ("/proc", "/sys", "/dev")
CONFIG_KEYS = ("Cmd", "Entrypoint", "Env", "ExposedPorts", "Labels", "User",
               "Volumes", "WorkingDir")


def die(msg, status=1):
    sys.stderr.write("treelist: %s\n" % msg)
    sys.exit(status)


def skipped(path):
    """True for what lies under a run-time mount point, not the point itself"""
    return any(path.startswith(p + "/") for p in SKIP_CONTENTS)


def sha256_stream(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 16), b""):
        h.update(chunk)
    return h.hexdigest()


def line(path, kind, mode, uid, gid, size, what):
    if kind == "symlink":
        mode = 0o777
    return "%s %s %04o %d:%d %s %s" % (path, kind, mode, uid, gid, size, what)


def list_dir(root):
    out = []
    # os.walk does not follow symlinks to directories: they are listed as links
    for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
        rel = os.path.normpath("/" + os.path.relpath(dirpath, root))
        if rel in SKIP_CONTENTS:
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            path = os.path.join(rel, name)
            try:
                st = os.lstat(full)
            except OSError as e:
                die("%s: %s" % (full, e.strerror))
            out.append((path, entry_of_stat(full, path, st)))
    out.sort()
    return [l for _, l in out]


def walk_error(e):
    die("%s: %s" % (e.filename, e.strerror))


def entry_of_stat(full, path, st):
    m = st.st_mode
    perm = stat.S_IMODE(m)
    if stat.S_ISREG(m):
        try:
            with open(full, "rb") as f:
                digest = sha256_stream(f)
        except OSError as e:
            die("%s: %s" % (full, e.strerror))
        return line(path, "file", perm, st.st_uid, st.st_gid, st.st_size, digest)
    if stat.S_ISDIR(m):
        return line(path, "dir", perm, st.st_uid, st.st_gid, "-", "-")
    if stat.S_ISLNK(m):
        target = os.readlink(full)
        return line(path, "symlink", perm, st.st_uid, st.st_gid,
                    len(os.fsencode(target)), target)
    dev = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    if stat.S_ISCHR(m):
        return line(path, "char", perm, st.st_uid, st.st_gid, "-", dev)
    if stat.S_ISBLK(m):
        return line(path, "block", perm, st.st_uid, st.st_gid, "-", dev)
    if stat.S_ISFIFO(m):
        return line(path, "fifo", perm, st.st_uid, st.st_gid, "-", "-")
    if stat.S_ISSOCK(m):
        return line(path, "socket", perm, st.st_uid, st.st_gid, "-", "-")
    die("%s: unknown file type %o" % (full, stat.S_IFMT(m)))


def tar_path(name):
    """'./etc/x', 'etc/x/' and '/etc/x' all name /etc/x; '.' is the root"""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        die("%s: a member name with '..'" % name)
    return "/" + "/".join(parts)


def list_tar(name):
    try:
        if name == "-":
            tf = tarfile.open(fileobj=sys.stdin.buffer, mode="r|*")
        else:
            tf = tarfile.open(name, mode="r:*")
    except (OSError, tarfile.TarError) as e:
        die("%s: %s" % (name, e))
    entries = {}
    # a later member of the same name replaces an earlier one, as tar does
    # when it extracts; a hard link takes its target's content as it is when
    # the link is met
    contents = {}
    with tf:
        try:
            for m in tf:
                path = tar_path(m.name)
                if path == "/" or skipped(path):
                    continue
                if m.isreg():
                    digest = sha256_stream(tf.extractfile(m))
                    contents[path] = (digest, m.size)
                    entries[path] = line(path, "file", m.mode, m.uid, m.gid, m.size, digest)
                elif m.islnk():
                    target = tar_path(m.linkname)
                    if target not in contents:
                        die("%s: hard link %s to %s, which is not a file before it"
                            % (name, path, target))
                    digest, size = contents[target]
                    contents[path] = contents[target]
                    entries[path] = line(path, "file", m.mode, m.uid, m.gid, size, digest)
                elif m.isdir():
                    entries[path] = line(path, "dir", m.mode, m.uid, m.gid, "-", "-")
                elif m.issym():
                    entries[path] = line(path, "symlink", m.mode, m.uid, m.gid,
                                         len(os.fsencode(m.linkname)), m.linkname)
                elif m.ischr() or m.isblk():
                    kind = "char" if m.ischr() else "block"
                    entries[path] = line(path, kind, m.mode, m.uid, m.gid, "-",
                                         "%d,%d" % (m.devmajor, m.devminor))
                elif m.isfifo():
                    entries[path] = line(path, "fifo", m.mode, m.uid, m.gid, "-", "-")
                else:
                    die("%s: %s: unknown member type %r" % (name, path, m.type))
                if not m.isreg() and not m.islnk():
                    contents.pop(path, None)
        except (OSError, tarfile.TarError) as e:
            die("%s: %s" % (name, e))
    return [entries[p] for p in sorted(entries)]


def image_config(doc, name):
    """the run-time config object of any of the JSON shapes tools print"""
    if isinstance(doc, list):
        if len(doc) != 1:
            die("%s: %d images, expected one" % (name, len(doc)))
        doc = doc[0]
    if not isinstance(doc, dict):
        die("%s: not a JSON object" % name)
    if isinstance(doc.get("OCIv1"), dict):      # buildah inspect
        doc = doc["OCIv1"]
    for key in ("config", "Config"):            # OCI / docker config, docker inspect
        if key in doc:
            c = doc[key]
            if c is None:
                return {}
            if not isinstance(c, dict):
                die("%s: '%s' is not an object" % (name, key))
            return c
    die("%s: no image config found (no 'config' or 'Config' member)" % name)


def print_config(name, ignore_labels):
    try:
        if name == "-":
            doc = json.load(sys.stdin)
        else:
            with open(name, encoding="utf-8") as f:
                doc = json.load(f)
    except OSError as e:
        die("%s: %s" % (name, e.strerror))
    except ValueError as e:
        die("%s: not JSON: %s" % (name, e))
    c = image_config(doc, name)
    for key in CONFIG_KEYS:
        v = c.get(key)
        if key == "Labels" and isinstance(v, dict):
            v = {k: x for k, x in v.items() if k not in ignore_labels}
        if v in (None, "", [], {}):
            v = None
        print("%s: %s" % (key, json.dumps(v, sort_keys=True, separators=(",", ":"))))


def usage():
    die("usage: treelist.py DIR | --tar FILE | --config FILE [--ignore-label NAME]...", 2)


def main(argv):
    if len(argv) == 1 and not argv[0].startswith("--"):
        root = argv[0]
        if not os.path.isdir(root):
            die("%s: not a directory" % root, 2)
        lines = list_dir(root)
    elif len(argv) == 2 and argv[0] == "--tar":
        lines = list_tar(argv[1])
    elif len(argv) >= 2 and argv[0] == "--config":
        ignore = set()
        rest = argv[2:]
        while rest:
            if rest[0] != "--ignore-label" or len(rest) < 2:
                usage()
            ignore.add(rest[1])
            rest = rest[2:]
        print_config(argv[1], ignore)
        return
    else:
        usage()
    out = sys.stdout
    for l in lines:
        out.write(l + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
