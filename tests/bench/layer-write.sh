#!/bin/sh
# layer-write.sh: how fast kiln turns a directory into a gzip layer, next to
# 'tar | gzip' and 'tar | pigz' on the same ~300 MB tree in the same run.
#
# usage: tests/bench/layer-write.sh OBJTREE [TREE_DIR]
#   OBJTREE   a static build with 'make O=OBJTREE bench' done
#             (holds tests/bench/bin/bench-layer)
#   TREE_DIR  where the test tree is made (default /tmp/kiln-bench-tree);
#             kept between runs, remade when BENCH_REMAKE=1
# BENCH_RUNS=N takes the best of N rounds of each command (default 3).
set -eu

objtree=${1:?usage: layer-write.sh OBJTREE [TREE_DIR]}
tree=${2:-/tmp/kiln-bench-tree}
runs=${BENCH_RUNS:-3}
bench=$objtree/tests/bench/bin/bench-layer

[ -x "$bench" ] || { echo "no $bench: run 'make O=$objtree bench' first" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to make the tree" >&2; exit 2; }
command -v bc >/dev/null || { echo "bc is needed for the arithmetic" >&2; exit 2; }
if ! command -v pigz >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y -q pigz >/dev/null
	else
		echo "pigz is missing (apt-get install pigz)" >&2
		exit 2
	fi
fi

# copies regular files listed on stdin into $1 until $2 bytes are there;
# the list is sorted so the same machine always picks the same files
copy_until() {
	dest=$1 limit=$2 total=0 n=0
	mkdir -p "$dest"
	while IFS= read -r f; do
		sz=$(stat -c %s "$f")
		n=$((n + 1))
		d=$dest/$((n % 16))
		mkdir -p "$d"
		cp "$f" "$d/$n-$(basename "$f")" 2>/dev/null || continue
		total=$((total + sz))
		[ "$total" -lt "$limit" ] || break
	done
}

make_tree() {
	rm -rf "$tree"
	mkdir -p "$tree"
	echo "making the test tree in $tree ..."
	# binaries: shared objects and executables, 100 MB
	find /usr/lib /usr/bin -type f -size +4k -size -30M 2>/dev/null | LC_ALL=C sort |
		copy_until "$tree/bin" 100000000
	# source text: headers and docs, 60 MB
	find /usr/include /usr/share/doc -type f 2>/dev/null | LC_ALL=C sort |
		copy_until "$tree/text" 60000000
	# generated text, incompressible data and many small files, all from a
	# fixed seed so every run and machine gets the same bytes
	python3 - "$tree" <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(20240501)
words = [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rnd.randint(2, 10)))
         for _ in range(5000)]
def text(n):
    out, size = [], 0
    while size < n:
        line = ' '.join(rnd.choice(words) for _ in range(rnd.randint(3, 14))) + '\n'
        out.append(line)
        size += len(line)
    return ''.join(out).encode()[:n]
def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
# 40 MB of generated text in files of 256 KB .. 4 MB
n = 0
while n < 40_000_000:
    size = rnd.randint(256 << 10, 4 << 20)
    put(f'{root}/gen/text/doc{n}.txt', text(size))
    n += size
# 60 MB incompressible: two large files and a few middle-sized ones
put(f'{root}/gen/random/big1.bin', rnd.randbytes(24_000_000))
put(f'{root}/gen/random/big2.bin', rnd.randbytes(16_000_000))
for i in range(20):
    put(f'{root}/gen/random/mid{i}.bin', rnd.randbytes(1_000_000))
# 40 MB of small files (1..16 KB), half text, half random, in 64 dirs
n = i = 0
while n < 40_000_000:
    size = rnd.randint(1 << 10, 16 << 10)
    data = text(size) if i % 2 == 0 else rnd.randbytes(size)
    put(f'{root}/gen/small/d{i % 64}/f{i}', data)
    n += size
    i += 1
EOF
	echo "tree: $(du -sb "$tree" | cut -f1) bytes in $(find "$tree" -type f | wc -l) files"
}

if [ "${BENCH_REMAKE:-0}" = 1 ] || [ ! -f "$tree/.done" ]; then
	make_tree
	touch "$tree/.done"
fi

# wall seconds of one shell command, started with the tree in the page
# cache: the kernel may reclaim cold pages between runs (DAMON on some
# VMs), and a run that reads from disk measures the disk, not the writer
wall() {
	tar -C "$tree" -cf - . > /dev/null
	s=$(date +%s.%N)
	sh -c "$1" > /dev/null 2>&1
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}

min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

echo "tree: $(du -sb "$tree" | cut -f1) bytes, $(nproc) cores, best of $runs rounds"
# the commands take turns, so a burst of load elsewhere hits them alike
t_gzip= t_pigz= t_k1= t_k2=
i=0
while [ $i -lt "$runs" ]; do
	t_gzip=$(min "$t_gzip" "$(wall "tar -C '$tree' -cf - . | gzip -6")")
	t_pigz=$(min "$t_pigz" "$(wall "tar -C '$tree' -cf - . | pigz -6 -p 2")")
	t_k1=$(min "$t_k1" "$(wall "'$bench' -l 6 -j 1 '$tree'")")
	t_k2=$(min "$t_k2" "$(wall "'$bench' -l 6 -j 2 '$tree'")")
	i=$((i + 1))
done

size_gzip=$(tar -C "$tree" -cf - . | gzip -6 | wc -c)
size_k=$("$bench" -l 6 -j 2 -o /dev/stdout "$tree" 2>/dev/null | wc -c)

ratio() { printf '%.2f' "$(echo "scale=3; $1 / $2" | bc)"; }
printf '%-34s %8s %10s\n' "command" "wall s" "vs gzip"
printf '%-34s %8.2f %10s\n' "tar | gzip -6" "$t_gzip" "1.00"
printf '%-34s %8.2f %10s\n' "tar | pigz -6 -p 2" "$t_pigz" "$(ratio "$t_gzip" "$t_pigz")x"
printf '%-34s %8.2f %10s\n' "kiln level 6, 1 thread" "$t_k1" "$(ratio "$t_gzip" "$t_k1")x"
printf '%-34s %8.2f %10s\n' "kiln level 6, 2 threads" "$t_k2" "$(ratio "$t_gzip" "$t_k2")x"
echo "compressed: tar|gzip $size_gzip bytes, kiln $size_k bytes"
echo "kiln 1 thread / tar|gzip = $(ratio "$t_k1" "$t_gzip") (target <= 1.10)"
echo "tar|gzip / kiln 2 threads = $(ratio "$t_gzip" "$t_k2") (target >= 1.70)"
