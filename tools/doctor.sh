#!/usr/bin/env bash
# `make doctor`: check the tools Keel needs and print the command that fixes
# whatever is missing or too old.
set -uo pipefail
missing=()
check() { # check COMMAND PACKAGE WHAT
  if command -v "$1" >/dev/null 2>&1; then
    printf '  ok       %-22s %s\n' "$1" "$("$1" --version 2>&1 | head -1)"
  else
    printf '  MISSING  %-22s (%s, Debian package %s)\n' "$1" "$3" "$2"
    missing+=("$2")
  fi
}
echo "Keel doctor: the tools the build, the grader and the labs use"
check gcc gcc "the C compiler"
check make make "the build"
check python3 python3 "the grader"
check qemu-system-x86_64 qemu-system-x86 "the emulator"
check grub-mkrescue grub-common "the boot ISO (with grub-pc-bin)"
check xorriso xorriso "the boot ISO"
check gdb gdb "debugging"
check musl-gcc musl-tools "user programs"
check lz4 lz4 "LZ4 oracle"
check zstd zstd "Zstd oracle"
check clang clang "fuzzers"
check pandoc pandoc "make docs"
[ -d /usr/lib/grub/i386-pc ] || { echo "  MISSING  GRUB's BIOS modules (Debian package grub-pc-bin)"; missing+=(grub-pc-bin); }
for h in lz4.h zstd.h; do
  [ -f /usr/include/$h ] || { echo "  MISSING  /usr/include/$h"; missing+=(lib${h%.h}-dev); }
done
qv=$(qemu-system-x86_64 --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ -n "$qv" ] && [ "$qv" -lt 7 ]; then
  echo "  OLD      QEMU $qv: Keel is tested with QEMU 7 (Debian 12)"
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "Everything is in place."
else
  echo "Fix with:  sudo tools/install-deps.sh   (or: sudo apt-get install ${missing[*]})"
  exit 1
fi
