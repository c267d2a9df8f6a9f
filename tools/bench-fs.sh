#!/usr/bin/env bash
# The storage bench of `make bench`: user/bench_fs (a 64 MiB file written
# sequentially with fsync and read back, 1000 file creations) inside Keel
# (SOL=1, TCG, / on MFS from a fresh copy of build/user/disk.img) beside the
# same binary on the host file system (a folder in /tmp), in the same run.
# Virtio requests per MiB written come from Keel's power-off line
#   blk: vda: N requests (R reads, W writes, F flushes), S sectors written, ...
# of a boot that only writes, syncs and reads the big file (creations get a
# boot of their own), divided by the MiB written.
#   tools/bench-fs.sh            MIB=64 FILES=1000 SMP=1 in the environment
set -uo pipefail
cd "$(dirname "$0")/.."
MIB=${MIB:-64}
FILES=${FILES:-1000}
SMP=${SMP:-1}
make -s SOL=1 kernel user initrd >/dev/null || exit 1
if grep -q 'disk.img' Makefile user/user.mk 2>/dev/null; then
  make -s build/user/disk.img >/dev/null || exit 1
fi
[ -f build/user/disk.img ] || { echo "bench-fs: build/user/disk.img is missing (make disk)" >&2; exit 1; }

# --disk-cache writeback (QEMU's default): unlike the tests' throwaway copies
# (cache=unsafe), the bench's FLUSHes really reach the host's disk, so fsync
# costs what it costs.
# Two boots, so that the requests counted at power-off belong to one workload:
# the big file alone (write, fsync, read back), then the creations alone.
keel_run() { tools/keel-run --sol --no-build --smp "$SMP" --fresh-disk --disk-cache writeback --timeout 900 -- "$@" 2>&1; }
keel=$(keel_run /bin/bench_fs /home "$MIB" 0)
rc=$?
keel_creates=$(keel_run /bin/bench_fs /home 1 "$FILES")
rc=$((rc | $?))
host_dir=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-fs.XXXXXX")
trap 'rm -rf "$host_dir"' EXIT
host=$(build/user/bin/bench_fs "$host_dir" "$MIB" "$FILES" 2>&1)

field() { sed -n "s/.*bench_fs:.* $1 \([0-9.]*\).*/\1/p" <<<"$2" | head -1; }
kw=$(field write_MBps "$keel"); kr=$(field read_MBps "$keel"); kc=$(field creates_per_s "$keel_creates")
hw=$(field write_MBps "$host"); hr=$(field read_MBps "$host"); hc=$(field creates_per_s "$host")
blk=$(grep -m1 '^blk: vda:' <<<"$keel")
writes=$(sed -n 's/.* \([0-9]*\) writes.*/\1/p' <<<"$blk")
flushes=$(sed -n 's/.* \([0-9]*\) flushes.*/\1/p' <<<"$blk")
sectors=$(sed -n 's/.* \([0-9]*\) sectors written.*/\1/p' <<<"$blk")

if [ $rc -ne 0 ] || [ -z "$kw" ]; then
  echo "bench-fs: the Keel run failed (keel-run status $rc):" >&2
  tail -15 <<<"$keel" >&2
fi
python3 - "$MIB" "$FILES" "$SMP" "${kw:-}" "${hw:-}" "${kr:-}" "${hr:-}" "${kc:-}" "${hc:-}" \
    "${writes:-}" "${flushes:-}" "${sectors:-}" <<'PY'
import sys
mib, files, smp, kw, hw, kr, hr, kc, hc, w, f, s = sys.argv[1:]
def num(x):
    try:
        return float(x)
    except ValueError:
        return None
def cell(x, fmt="%.1f"):
    return "?" if num(x) is None else fmt % num(x)
def ratio(a, b):
    a, b = num(a), num(b)
    return "?" if a is None or not b else "%.3f" % (a / b)
print("\nfile-system bench: %s MiB file, %s creations (Keel: SOL=1, TCG, -smp %s, / on MFS, QEMU cache=writeback:"
      " every FLUSH is a host fdatasync; host: %s)" % (mib, files, smp, "/tmp"))
print("  %-44s %12s %12s %10s" % ("", "keel", "host", "keel/host"))
print("  %-44s %12s %12s %10s" % ("sequential write MB/s (1 MiB writes + fsync)", cell(kw), cell(hw), ratio(kw, hw)))
print("  %-44s %12s %12s %10s" % ("sequential read MB/s (1 MiB reads, cache warm)", cell(kr), cell(hr), ratio(kr, hr)))
print("  %-44s %12s %12s %10s" % ("file creations per second", cell(kc, "%.0f"), cell(hc, "%.0f"), ratio(kc, hc)))
m = num(mib)
if num(w) is not None and m:
    per = (num(w) + (num(f) or 0)) / m
    print("  %-44s %12.1f %12s %10s" % ("virtio write+flush requests per MiB (big file)", per, "n/a", ""))
    if num(s) is not None:
        print("  %-44s %12.2f %12s %10s" % ("MiB reaching the disk per MiB written", num(s) * 512 / 1048576 / m,
                                            "n/a", ""))
else:
    print("  (no `blk: vda:` line in Keel's output: requests per MiB unknown)")
print("(Keel runs under TCG with write-through until lab 9c: compare ratios between versions, not with the host.)")
PY
