#!/usr/bin/env python3
# xattrs.py DIR: sets nothing, prints "path name=value" for every user.* xattr
# under DIR, sorted, so a tree and its unpacked copy can be compared.
import os
import sys

os.chdir(sys.argv[1])
for root, dirs, files in os.walk("."):
    for name in dirs + files:
        p = os.path.join(root, name)
        try:
            keys = os.listxattr(p, follow_symlinks=False)
        except OSError:
            continue
        for k in sorted(keys):
            if k.startswith("user."):
                print(p, k + "=" + os.getxattr(p, k, follow_symlinks=False).hex())
