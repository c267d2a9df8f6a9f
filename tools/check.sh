#!/usr/bin/env bash
# `make check`: the whole test suite. Each step is one line, ok or FAIL with
# the tail of its log; the last line is "N passed, N failed".
# Logs: build/check/<step>.log. CHECK_ONLY="step1 step2" runs a subset.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGDIR=build/check
mkdir -p "$LOGDIR"
J=${J:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

passed=0
failed=0
failed_names=()

step() { # step NAME COMMAND...
  local name=$1
  shift
  if [ -n "${CHECK_ONLY:-}" ] && ! [[ " $CHECK_ONLY " == *" $name "* ]]; then
    return
  fi
  local start=$SECONDS
  if "$@" >"$LOGDIR/$name.log" 2>&1; then
    printf '%-28s ok    (%ds)\n' "$name" $((SECONDS - start))
    passed=$((passed + 1))
  else
    printf '%-28s FAIL  (%ds); last lines of %s:\n' "$name" $((SECONDS - start)) "$LOGDIR/$name.log"
    tail -25 "$LOGDIR/$name.log" | sed 's/^/    /'
    failed=$((failed + 1))
    failed_names+=("$name")
  fi
}

tools/install-deps.sh >"$LOGDIR/install-deps.log" 2>&1 || { cat "$LOGDIR/install-deps.log"; exit 1; }

# 1. Host-side tests.
step build-student        make -j"$J" kernel
step build-sol            make -j"$J" kernel SOL=1
step build-lab-9b         make -j"$J" kernel LAB=9b
step build-tools          make -j"$J" tools
step build-user           make -j"$J" user initrd disk
step user-host-check      make user-host-check
step overlay-rule         tools/test-overlay.sh
step grading-selftest     python3 grading/test_gradelib.py
step codec-check          make -j"$J" codec-check
step mfs-tools            tools/mfs/test-tools.sh
# A fixed seed keeps `make check` reproducible; `make fuzz` explores with random seeds.
step codec-fuzz           make codec-fuzz FUZZ_SECONDS="$FUZZ_SECONDS" FUZZ_FLAGS=-seed=1
step docs                 make docs

# 2. Kernel tests under QEMU (TCG), -smp 1 and -smp 4 inside each grader.
step grade-base-sol       make grade LAB=base SOL=1 J="$J"
step powerloss            python3 tools/powerloss.py --runs 20 --seed 1 --smp 4 -j "$J"
step corrupt-images       python3 tools/test-corrupt.py --seeds 200 -j "$J"
step grade-base-student   make grade LAB=base J="$J"
step grade-9a-sol         make grade LAB=9a SOL=1 J="$J"
step honesty-9a           make grade LAB=9a J="$J" GRADE_FLAGS=--expect-fail
step handout-9a           tools/test-handout.sh 9a
step grader-reports-panic python3 grading/selftest.py --build build/sol
step gdb-session          tools/test-gdb.sh build/sol
# The pristine image every test copied from must still be clean.
step disk-image-clean     build/tools/fsck.mfs -n build/user/disk.img

echo
if [ $failed -gt 0 ]; then
  echo "failed: ${failed_names[*]} (logs in $LOGDIR/)"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
