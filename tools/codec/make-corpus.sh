#!/bin/sh
# Builds the shared codec test/bench corpus in build/codec/corpus (or $1)
# from files Debian ships plus generated edge cases. Deterministic: the
# same machine always gives the same bytes. Idempotent: skips if complete.
#   text-*    license texts          source-*  a C header (elf.h)
#   binary-*  an ELF executable      random-*  seeded PRNG bytes
#   edge-*    empty, 1 byte, zeros, 16 MiB of a 3-byte pattern, and
#             block-size boundaries: edge-b<K>k_0, _1, _2 hold
#             K KiB -1, +0, +1 bytes (K = 64, 128, 256, 1024, 4096)
# Safe to run concurrently (make -j): files are built in a private folder
# and renamed into place, so a reader never sees a half-written file.
set -e
final=${1:-build/codec/corpus}
[ -f "$final/.done" ] && exit 0
mkdir -p "$final"
out=$(mktemp -d "$final/.tmp.XXXXXX")
trap 'rm -rf "$out"' EXIT

# text: GPL-3 plus the other licenses Debian ships (about 150 KiB of prose)
lic=/usr/share/common-licenses
cat "$lic/GPL-3" > "$out/text-licenses"
for f in Apache-2.0 GPL-2 LGPL-2.1 LGPL-3 MPL-2.0 Artistic GFDL-1.3; do
	[ -f "$lic/$f" ] && cat "$lic/$f" >> "$out/text-licenses"
done
# source: a large C header from libc6-dev
cat /usr/include/elf.h > "$out/source-elf.h"
# binary: an ELF executable
cat /bin/bash > "$out/binary-bash"
# random: 1 MiB from xorshift32 seeded with 2463534242
perl -e 'my $x = 2463534242; my $s = "";
	for (1 .. 262144) { $x ^= ($x << 13) & 0xffffffff; $x ^= $x >> 17;
		$x ^= ($x << 5) & 0xffffffff; $s .= pack("V", $x); }
	print $s;' > "$out/random-1m"

: > "$out/edge-empty"
printf 'x' > "$out/edge-1byte"
head -c 1048576 /dev/zero > "$out/edge-zeros-1m"
perl -e 'print "abc" x (16 * 1048576 / 3 + 1)' | head -c 16777216 > "$out/edge-pattern3-16m"
# boundaries: mixed binary+text so both literals and matches cross them
cat "$out/binary-bash" "$out/text-licenses" "$out/binary-bash" \
	"$out/random-1m" "$out/binary-bash" "$out/text-licenses" > "$out/.mix"
for k in 64 128 256 1024 4096; do
	n=$((k * 1024))
	for d in -1 0 1; do
		head -c $((n + d)) "$out/.mix" > "$out/edge-b${k}k_$((d + 1))"
	done
done
rm -f "$out/.mix"
for f in "$out"/*; do
	mv -f "$f" "$final/"
done
touch "$final/.done"
