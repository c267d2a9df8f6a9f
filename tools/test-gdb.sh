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
trap 'kill $qpid ${qpid2:-} 2>/dev/null || true; rm -f "$log"' EXIT
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
# lab 9a helpers: a process's table, translation, the process list (needs user space: build/sol)
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-system-x86_64 -machine q35 -cpu max -m 256M -smp 2 -display none -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial null -kernel "$elf" -initrd build/user/initrd.cpio \
  -append "init=/bin/lab9a_cr3 threads 100000" -S -gdb tcp:127.0.0.1:$port2 &
qpid2=$!
out2=$(timeout 120 gdb -nx -batch \
  -ex "set architecture i386:x86-64" -ex "file $elf" -ex "source tools/gdb/keel.py" \
  -ex "target remote 127.0.0.1:$port2" -ex "hbreak sys_sched_yield" -ex "continue" \
  -ex "keel-procs" -ex "keel-pt --pid 1 --user" -ex "keel-v2p --pid 1 0x401000" 2>&1) || true
kill $qpid2 2>/dev/null || true
echo "$out2"
grep -Eq "^1 +lab9a_cr3 +alive +0x[0-9a-f]+ " <<<"$out2" || fail "keel-procs did not list init (pid 1) with its CR3"
grep -q "^0000000000400000-" <<<"$out2" || fail "keel-pt --pid 1 --user did not show the program at 0x400000"
grep -q "^0x401000 -> physical 0x" <<<"$out2" || fail "keel-v2p --pid 1 did not translate the program's text"
echo "test-gdb: ok"
