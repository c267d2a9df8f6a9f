#!/usr/bin/env bash
# A scripted GDB session against a booted kernel: stop in ktest_run, check
# that symbols, the backtrace and the keel-pt page-table helper work.
# Usage: tools/test-gdb.sh [BUILD_DIR]   (default build/sol)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/sol}
elf=$build/kernel.elf
[ -f "$elf" ] || { echo "test-gdb: $elf is missing; run make first"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
trap 'kill $qpid 2>/dev/null || true; rm -f "$log"' EXIT
qemu-system-x86_64 -machine q35 -cpu max -m 256M -smp 2 -display none -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial file:"$log.serial" \
  -kernel "$elf" -append "ktest=paging" -S -gdb tcp:127.0.0.1:$port &
qpid=$!
out=$(timeout 120 gdb -nx -batch \
  -ex "set architecture i386:x86-64" -ex "file $elf" -ex "source tools/gdb/keel.py" \
  -ex "target remote 127.0.0.1:$port" \
  -ex "hbreak ktest_run" -ex "continue" \
  -ex "bt" -ex "keel-pt" -ex "keel-pt 0xffffffff80101000" 2>&1) || true
rm -f "$log.serial"
echo "$out"
fail() { echo "test-gdb: $1"; exit 1; }
grep -q "ktest_run" <<<"$out" || fail "did not stop in ktest_run"
grep -q "kmain" <<<"$out" || fail "the backtrace does not reach kmain"
grep -qi "ffff8000" <<<"$out" || fail "keel-pt did not show the direct map at 0xffff800000000000"
grep -qi "ffffffff801" <<<"$out" || fail "keel-pt did not show the kernel image"
grep -qi "0x101000" <<<"$out" || fail "keel-pt VA did not translate kernel text to physical 0x101000"
echo "test-gdb: ok"
