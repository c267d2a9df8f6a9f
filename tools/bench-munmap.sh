#!/usr/bin/env bash
# Lab 9a's bench: munmap of 512 touched pages, single-threaded and with a
# sibling thread spinning on another CPU, on Keel (SOL=1, -smp 4, TCG) beside
# the same binary on the host Linux. IPIs per call: Keel's shootdown counter
# (from its power-off report) and Linux's TLB interrupts (/proc/interrupts).
set -uo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-200}
make -s SOL=1 kernel user initrd >/dev/null || exit 1
bin=build/user/bin/bench_munmap
printf '\nmunmap of 512 touched pages (%d calls each)\n' "$CALLS"
printf '  %-8s %-6s %14s %14s\n' where mode "us per call" "IPIs per call"
for mode in single sibling; do
  out=$(tools/keel-run --sol --no-build --smp 4 --timeout 600 -- /bin/bench_munmap $mode "$CALLS" 2>&1)
  us=$(sed -n 's/.*us_per_call \([0-9.]*\).*/\1/p' <<<"$out")
  ipis=$(sed -n 's/.*tlb shootdown IPIs \([0-9]*\).*/\1/p' <<<"$out")
  per=$(python3 -c "print('%.2f' % (${ipis:-0} / $CALLS))")
  printf '  %-8s %-6s %14s %14s\n' keel "$mode" "${us:-?}" "$per"
  host=$($bin $mode "$CALLS")
  hus=$(sed -n 's/.*us_per_call \([0-9.]*\).*/\1/p' <<<"$host")
  hirq=$(sed -n 's/.*tlb_irqs_per_call \([0-9.]*\).*/\1/p' <<<"$host")
  printf '  %-8s %-6s %14s %14s\n' host "$mode" "${hus:-?}" "${hirq:-n/a}"
done
echo "(Keel runs under TCG: compare the IPI columns, and the sibling/single ratio of each row pair.)"
