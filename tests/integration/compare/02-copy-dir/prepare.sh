# what git cannot keep: an empty directory and modes other than 644/755
mkdir -p src/empty
chmod 700 src/sub/deeper
chmod 600 src/sub/s.txt
