# the archives ADD unpacks, made here so the tree holds no binary files:
# app.tar.gz (owners 0 and 1000, a subdirectory, a symlink, a hard link,
# a 0600 file) and plain.tar
mkdir -p payload/bin payload/share/doc
printf '#!/bin/sh\necho app\n' > payload/bin/app
chmod 755 payload/bin/app
printf 'doc\n' > payload/share/doc/README
printf 'private\n' > payload/share/key
chmod 600 payload/share/key
ln -s bin/app payload/app-link
ln payload/share/doc/README payload/share/README-hard
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 -C payload -cf app.tar .
tar --sort=name --mtime=@0 --numeric-owner --owner=1000 --group=1000 --append -f app.tar -C payload ./share/doc
gzip -n app.tar
tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 -C payload/share -cf plain.tar doc
printf 'not an archive\n' > notes.txt
rm -rf payload
