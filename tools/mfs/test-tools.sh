#!/usr/bin/env bash
# Host tests of the MFS tools (mkfs.mfs, fsck.mfs, mfs, corrupt-image):
#  1. mkfs.mfs builds an image from a test folder (text, zeros, random, a big
#     file, a sparse file, nested folders, 1000 files in one folder, symlinks
#     short and long, a FIFO, a hard link, and a subtree compressed with
#     rle, lz4, lz4 HC and zstd at several cluster sizes);
#  2. fsck.mfs (built with ASan/UBSan) finds it clean;
#  3. `mfs cat` gives every file back byte for byte;
#  4. `mfs frames` writes cluster frames that the real `lz4 -d` and `zstd -d`
#     decode to the right bytes;
#  5. the journal: a committed transaction is replayed (only in memory with
#     -n), a torn one is ignored and reported;
#  6. fsck exit codes 0 / 1 / 4 / 8, and -y leaves a clean image; bitmap
#     checksums (`mfs super`), mkfs refusing an image too big for them;
#     orphans: expected on a DIRTY image (a note, exit 0), errors on a CLEAN one;
#  7. corrupt-image seeds 1..MFS_SEEDS (default 50): the sanitized fsck.mfs
#     exits 4 (or 0 when corrupt-image says the change is benign), never
#     crashes; fsck -y then leaves nothing it could repair; the sanitized
#     `mfs` reads the corrupt image without crashing.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/tools/mkfs.mfs build/tools/fsck.mfs build/tools/mfs build/tools/corrupt-image \
  build/tools/san/fsck build/tools/san/mfs
MKFS=build/tools/mkfs.mfs
FSCK=build/tools/san/fsck
MFS=build/tools/mfs
SMFS=build/tools/san/mfs
CORRUPT=build/tools/corrupt-image
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=99:print_stacktrace=1

T=$(mktemp -d /tmp/mfs-tools.XXXXXX)
[ -n "${MFS_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok   $* (${SECONDS}s)"; }

# ---- 1. the test folder -------------------------------------------------------
S=$T/src
mkdir -p $S/a/b/c/d/e $S/many $S/empty $S/comp/rle $S/comp/lz4 $S/comp/lz4hc $S/comp/zstd $S/comp/zstd16
seq 1 20000 | sed 's/$/ the quick brown fox jumps over the lazy dog/' >$S/text.txt
head -c 1048576 /dev/zero >$S/zeros
head -c 300001 /dev/urandom >$S/random
{ head -c 6000000 /dev/urandom; cat $S/text.txt $S/text.txt; head -c 3000000 /dev/zero; head -c 5 /dev/urandom; } >$S/big
truncate -s 5000000 $S/sparse && printf 'end' >>$S/sparse
: >$S/emptyfile
echo deep >$S/a/b/c/d/e/deep.txt
for i in $(seq 1 1000); do echo "file $i" >$S/many/f$i; done
ln -s text.txt $S/shortlink
ln -s "$(printf 'long/%.0s' $(seq 1 30))target" $S/longlink
mkfifo $S/fifo
ln $S/text.txt $S/a/hardlink
for d in rle lz4 lz4hc zstd zstd16; do
  head -c 300000 $S/text.txt >$S/comp/$d/text.txt
  { head -c 100000 /dev/zero; printf 'x%.0s' $(seq 1 5000); head -c 70000 /dev/zero; } >$S/comp/$d/runs
  head -c 200000 /dev/urandom >$S/comp/$d/random            # incompressible: stored raw
  { head -c 70000 /dev/urandom; head -c 100000 /dev/zero; head -c 1234 $S/text.txt; } >$S/comp/$d/mixed
  head -c 5000 $S/text.txt >$S/comp/$d/small                # one partial cluster
done
IMG=$T/img
$MKFS -s 48M -N 4096 -L test -c '/comp/rle/*=rle' -c '/comp/lz4/*=lz4' -c '/comp/lz4hc/*=lz4:9/16k' \
  -c '/comp/zstd/*=zstd:19/256k' -c '/comp/zstd16/*=zstd/16k' -d $S $IMG >$T/mkfs.log
pass "mkfs.mfs: $(cat $T/mkfs.log)"

# ---- 2. fsck clean --------------------------------------------------------------
if $FSCK -n $IMG >$T/fsck.log; then pass "fsck.mfs -n (ASan/UBSan): $(tail -1 $T/fsck.log)"; else fail "fsck on a fresh image: $(cat $T/fsck.log)"; fi

# ---- 3. mfs cat, byte for byte -----------------------------------------------------
n=0
while IFS= read -r -d '' f; do
  rel=${f#$S}
  if ! $MFS cat $IMG "$rel" | cmp -s - "$f"; then fail "mfs cat $rel differs"; fi
  n=$((n + 1))
done < <(find $S -type f ! -path '*/many/*' -print0)
for i in 1 2 10 99 100 500 999 1000; do
  [ "$($MFS cat $IMG /many/f$i)" = "file $i" ] || fail "mfs cat /many/f$i"
  n=$((n + 1))
done
pass "mfs cat: $n files byte for byte"
$SMFS cat $IMG /comp/zstd/text.txt | cmp -s - $S/comp/zstd/text.txt || fail "sanitized mfs cat"
$SMFS ls $IMG / >$T/ls.log && grep -q 'longlink -> long/long' $T/ls.log && grep -q '^p.* fifo$' $T/ls.log ||
  fail "mfs ls / does not show the long symlink and the FIFO"
[ "$($MFS ls $IMG /many | wc -l)" = 1000 ] || fail "mfs ls /many does not list 1000 files"
$SMFS stat $IMG /big >/dev/null || fail "mfs stat /big"
if $MFS cat $IMG /nonexistent 2>$T/err; then fail "mfs cat of a missing file succeeded"; fi
[ "$(wc -l <$T/err)" = 1 ] || fail "mfs error is not one line: $(cat $T/err)"
pass "mfs ls/stat, one-line errors"

# ---- 4. frames decode with the real lz4 and zstd ----------------------------------
frames=0
for d in lz4 lz4hc zstd zstd16; do
  for f in text.txt runs mixed small random; do
    out=$T/frames-$d-$f
    mkdir -p $out
    $MFS frames $IMG /comp/$d/$f $out >/dev/null
    cluster=$($MFS stat $IMG /comp/$d/$f | sed -n 's/.*cluster \([0-9]*\) bytes/\1/p')
    for fr in $out/cluster-*; do
      [ -e "$fr" ] || continue
      i=${fr##*cluster-}
      i=${i%.*}
      case $fr in
      *.lz4) lz4 -dc "$fr" >$T/dec 2>/dev/null || fail "lz4 -d refuses $d/$f cluster $i" ;;
      *.zst) zstd -dcq "$fr" >$T/dec || fail "zstd -d refuses $d/$f cluster $i" ;;
      esac
      size=$(stat -c %s $S/comp/$d/$f)
      len=$((size - i * cluster < cluster ? size - i * cluster : cluster))
      [ "$(stat -c %s $T/dec)" = $len ] && cmp -s -n $len -i $((i * cluster)):0 $S/comp/$d/$f $T/dec ||
        fail "$d/$f cluster $i decodes to the wrong bytes"
      frames=$((frames + 1))
    done
  done
  [ -n "$(ls $T/frames-$d-text.txt)" ] || fail "$d: text.txt has no compressed cluster"
  [ -z "$(ls $T/frames-$d-random)" ] || fail "$d: random data was stored compressed"
done
$MFS stat $IMG /comp/rle/runs | grep -q 'compressed [1-9]' || fail "rle: runs has no compressed cluster"
pass "mfs frames: $frames cluster frames decoded by lz4 -d / zstd -d to the right bytes"

# ---- 5. the journal --------------------------------------------------------------
# crc32c.py: CRC-32C (Castagnoli) as MFS checksums its superblock, inodes and journal
cat >$T/crc32c.py <<'PY'
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xffffffff
PY

# journal.py IMG MODE: write a transaction that bumps the superblock's
# mount_count through the journal; MODE commit (good checksums) or torn.
cat >$T/journal.py <<'PY'
import struct, sys
from crc32c import crc32c
img, mode = sys.argv[1], sys.argv[2]
with open(img, 'r+b') as f:
    sb = bytearray(f.read(4096))
    jstart = struct.unpack_from('<I', sb, 32)[0]
    count = struct.unpack_from('<I', sb, 84)[0]
    struct.pack_into('<I', sb, 84, count + 7)           # mount_count
    struct.pack_into('<I', sb, 508, crc32c(sb[:508]))
    h = bytearray(4096)
    struct.pack_into('<IIQ', h, 0, 0x4c4e524a, 1, 5)    # magic, count, sequence
    struct.pack_into('<I', h, 16, 0)                    # home[0] = block 0
    blk_crc = crc32c(sb) ^ (1 if mode == 'torn' else 0)
    struct.pack_into('<I', h, 16 + 4 * 500, blk_crc)
    struct.pack_into('<I', h, 4092, crc32c(h[:4092]))
    f.seek((jstart + 1) * 4096); f.write(sb)
    f.seek(jstart * 4096); f.write(h)
PY
mount_count() { python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(512), 84)[0])" "$1"; }
J=$T/journal.img
cp --sparse=always $IMG $J
python3 $T/journal.py $J commit
before=$(md5sum <$J)
$FSCK -n $J >$T/j.log && grep -q 'journal needs replay' $T/j.log && [ "$(md5sum <$J)" = "$before" ] ||
  fail "fsck -n on a committed journal: $(cat $T/j.log)"
$FSCK $J >$T/j.log && grep -q replaying $T/j.log && [ "$(mount_count $J)" = 7 ] || fail "journal replay: $(cat $T/j.log)"
$FSCK -n $J >$T/j.log || fail "fsck after the replay: $(cat $T/j.log)"
cp --sparse=always $IMG $J
python3 $T/journal.py $J torn
set +e; $FSCK -n $J >$T/j.log; rc=$?; set -e
[ $rc = 4 ] && [ "$(mount_count $J)" = 0 ] || fail "torn journal transaction: exit $rc: $(cat $T/j.log)"
pass "journal: committed transaction replayed (in memory with -n), torn one ignored and reported"

# ---- 6. exit codes ----------------------------------------------------------------
set +e
$FSCK -n $T/no-such-image >/dev/null 2>&1; rc8=$?
cp --sparse=always $IMG $T/bm.img
python3 -c "
import struct,sys
f=open(sys.argv[1],'r+b'); sb=f.read(512); bb=struct.unpack_from('<I',sb,48)[0]
f.seek(bb*4096+1500); f.write(b'\xff')" $T/bm.img
$FSCK -n $T/bm.img >/dev/null; rc4=$?
$FSCK -y $T/bm.img >/dev/null; rc1=$?
$FSCK -n $T/bm.img >/dev/null; rc0=$?
set -e
[ "$rc8 $rc4 $rc1 $rc0" = "8 4 1 0" ] || fail "exit codes: missing image $rc8 (8), bitmap error $rc4 (4), -y $rc1 (1), after -y $rc0 (0)"
pass "fsck exit codes 8 (cannot open), 4 (errors left), 1 (repaired), 0 (clean after -y)"

# Bitmap checksums: `mfs super` says whether each bitmap block matches; mkfs refuses what they cannot cover.
$MFS super $IMG >$T/s.log && grep -q 'bitmap checksums: ok' $T/s.log || fail "mfs super on a fresh image: $(cat $T/s.log)"
cp --sparse=always $IMG $T/bm.img
python3 -c "
import sys
f=open(sys.argv[1],'r+b'); sb=f.read(512); import struct; bb=struct.unpack_from('<I',sb,48)[0]
f.seek(bb*4096+3000); f.write(b'\x5a')" $T/bm.img
set +e; $MFS super $T/bm.img >$T/s.log; rcs=$?; $FSCK -n $T/bm.img >$T/f.log; rcf=$?; set -e
[ $rcs = 1 ] && grep -q MISMATCH $T/s.log && [ $rcf = 4 ] && grep -q 'block bitmap block 0 does not match its checksum' $T/f.log ||
  fail "a damaged block bitmap: mfs super exit $rcs, fsck exit $rcf: $(cat $T/s.log $T/f.log)"
if $MKFS -s 12G $T/huge.img >$T/h.log 2>&1; then fail "mkfs.mfs made a 12 GiB image: more bitmap blocks than checksums"; fi
grep -q 'checksums for 88' $T/h.log || fail "mkfs.mfs -s 12G: $(cat $T/h.log)"
[ ! -s $T/huge.img ] || fail "mkfs.mfs left a 12 GiB file behind"
pass "bitmap checksums: mfs super, fsck -n exit 4 on a damaged bitmap, mkfs refuses 12 GiB"

# Orphans: /emptyfile unlinked (entry removed, nlink 0) but still allocated, as a crash leaves it.
cat >$T/orphan.py <<'PY'
import struct, sys
from crc32c import crc32c
img, state = sys.argv[1], int(sys.argv[2])
f = open(img, 'r+b')
sb = bytearray(f.read(512))
itable = struct.unpack_from('<I', sb, 56)[0]
def inode_at(ino):
    return (itable + ino // 16) * 4096 + (ino % 16) * 256
def seal(ino, d):
    struct.pack_into('<I', d, 252, crc32c(d[:252], crc32c(struct.pack('<I', ino))))
f.seek(inode_at(1)); root = f.read(256)
rblk = struct.unpack_from('<I', root, 84)[0]
f.seek(rblk * 4096); blk = bytearray(f.read(4096))
off, prev = 0, -1
while off < 4096:
    ino, rec, nlen = struct.unpack_from('<IHB', blk, off)
    if ino and blk[off + 8:off + 8 + nlen] == b'emptyfile':
        break
    prev, off = off, off + rec
if prev >= 0:
    struct.pack_into('<H', blk, prev + 4, struct.unpack_from('<H', blk, prev + 4)[0] + rec)
else:
    struct.pack_into('<IHBB', blk, off, 0, rec, 0, 0)
f.seek(rblk * 4096); f.write(blk)
f.seek(inode_at(ino)); d = bytearray(f.read(256))
struct.pack_into('<I', d, 4, 0)            # nlink
seal(ino, d)
f.seek(inode_at(ino)); f.write(d)
struct.pack_into('<I', sb, 80, state)      # 1 clean, 2 dirty
struct.pack_into('<I', sb, 508, crc32c(sb[:508]))
f.seek(0); f.write(sb)
print(ino)
PY
O=$T/orphan.img
cp --sparse=always $IMG $O
oino=$(python3 $T/orphan.py $O 2)
set +e; $FSCK -n $O >$T/o.log; rcd=$?; set -e
[ $rcd = 0 ] && grep -q "orphan inode $oino (will be freed at the next mount)" $T/o.log ||
  fail "an orphan on a DIRTY image: exit $rcd (want 0 and a note): $(cat $T/o.log)"
set +e; $FSCK -y $O >$T/o.log; rcy=$?; $FSCK -n $O >$T/o2.log; rcn=$?; set -e
[ $rcy = 1 ] && [ $rcn = 0 ] && ! grep -q "orphan inode" $T/o2.log || fail "fsck -y on an orphan: exit $rcy, then $rcn: $(cat $T/o.log $T/o2.log)"
cp --sparse=always $IMG $O
python3 $T/orphan.py $O 1 >/dev/null
set +e; $FSCK -n $O >$T/o.log; rcc=$?; set -e
[ $rcc = 4 ] || fail "an orphan on a CLEAN image: exit $rcc (want 4): $(cat $T/o.log)"
pass "orphans: a note on a DIRTY image (exit 0), freed by -y, an error on a CLEAN image (exit 4)"

# ---- 7. corrupt-image seeds ------------------------------------------------------------
seeds=${MFS_SEEDS:-50}
found=0
benign=0
C=$T/corrupt.img
for seed in $(seq 1 $seeds); do
  what=$($CORRUPT --seed $seed $IMG $C)
  set +e
  $FSCK -n $C >$T/c.log 2>&1; rc=$?
  set -e
  if [ $rc = 0 ] && [[ $what == *benign* ]]; then
    benign=$((benign + 1))
  elif [ $rc = 4 ]; then
    found=$((found + 1))
  else
    fail "seed $seed: fsck exit $rc after: $what"; tail -5 $T/c.log
    continue
  fi
  # The sanitized reader must not crash on it (exit 0 or 1).
  for cmd in "ls /" "cat /comp/zstd/text.txt" "cat /comp/lz4/text.txt" "cat /many/f500"; do
    set +e; $SMFS ${cmd%% *} $C ${cmd#* } >/dev/null 2>$T/m.log; rc=$?; set -e
    [ $rc -le 1 ] || { fail "seed $seed: mfs $cmd exit $rc: $(tail -3 $T/m.log)"; break; }
  done
  # -y repairs what it can; then nothing repairable is left.
  set +e; $FSCK -y $C >$T/y.log 2>&1; rcy=$?; $FSCK -n $C >$T/n.log 2>&1; rcn=$?; set -e
  if [ $rcy -ge 8 ] || { [ $rcn != 0 ] && grep -v 'cannot' $T/n.log | grep -qv 'files,\|uncorrected\|unusable\|not cleanly'; }; then
    fail "seed $seed: fsck -y exit $rcy, then -n exit $rcn: $what"; tail -5 $T/n.log
  fi
done
pass "corrupt-image seeds 1..$seeds: $found found by fsck (exit 4), $benign benign by design, no crash under ASan/UBSan"

if [ $fails != 0 ]; then
  echo "$fails failures"
  exit 1
fi
echo "all MFS tool tests passed"
