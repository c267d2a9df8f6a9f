#!/usr/bin/env bash
# Emit the kernel's symbol table as assembly for the .ksyms section:
# every function symbol of a first link, sorted by address, so a backtrace
# can name functions without host tools. Usage: gen-ksyms.sh kernel.tmp > ksyms.S
# With no argument it emits an empty table (for the first link).
set -euo pipefail
echo '    .section .ksyms, "a"'
echo '    .align 8'
echo '    .globl ksyms_table, ksyms_count'
if [ $# -eq 0 ]; then
  echo 'ksyms_count: .quad 0'
  echo 'ksyms_table:'
  exit 0
fi
nm -n --defined-only "$1" | awk '
  $2 ~ /^[tTwW]$/ && $3 !~ /^\.L/ { addr[n] = $1; name[n] = $3; n++ }
  END {
    printf "ksyms_count: .quad %d\n", n
    print "ksyms_table:"
    for (i = 0; i < n; i++) printf "    .quad 0x%s, .Lname%d\n", addr[i], i
    for (i = 0; i < n; i++) printf ".Lname%d: .asciz \"%s\"\n", i, name[i]
  }'
