#!/usr/bin/env bash
# tools/test-handout.sh LAB: check that `make handout LAB=<lab>` stands on its
# own. In a temporary folder: unpack build/handout-<lab>.tar.gz, check that
# no solutions/ came along, build the kernel, boot it once on one of the lab's
# ktests (it must FAIL: the handout is the student's starting point), and, if
# the lab has a grader, run it with --expect-fail (every lab test must fail
# there, the base tests must pass). About a minute on 2 cores.
# KEEP=1 keeps the folder.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
lab=${1:?usage: tools/test-handout.sh LAB}
J=${J:-$(nproc)}
cd "$top"
tools/make-handout.sh "$lab"
tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "test-handout: keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
tar -xzf "build/handout-$lab.tar.gz" -C "$tmp"
cd "$tmp/keel-$lab"
fail() { echo "test-handout $lab: $*"; exit 1; }

[ ! -e solutions ] || fail "solutions/ is in the handout"
! grep -rqs 'solutions/' --include='*.c' --include='*.h' kernel || fail "a kernel file refers to solutions/"
for f in Makefile kernel user grading tools "labs/$lab.md"; do
  [ -e "$f" ] || fail "$f is missing from the handout"
done
# Each of the lab's stub comments points to a section of its handout.
grep -q "LAB ${lab^^}\." -r kernel || fail "no 'LAB ${lab^^}.n' stub comment in kernel/"

# The kernel, and for the grader the user programs, in one make (they overlap).
targets=(kernel)
[ -f "grading/lab-$lab.py" ] && targets+=(user initrd)
echo "test-handout: building ${targets[*]} in $PWD"
make -s -j"$J" "${targets[@]}" >build.log 2>&1 || { tail -20 build.log; fail "make ${targets[*]} fails in the handout"; }

# One boot on the lab's first ktest: the student tree fails it.
declare -A first_ktest=([9a]=pt_alloc)
kt=${first_ktest[$lab]:-}
if [ -n "$kt" ]; then
  out=$(timeout 60 qemu-system-x86_64 -machine q35 -cpu max -m 256M -smp 1 -display none -no-reboot \
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio \
          -kernel build/student/kernel.elf -append "ktest=$kt" </dev/null 2>&1) || true
  grep -q "^ktest $kt: FAIL" <<<"$out" || { echo "$out" | tail -15; fail "ktest=$kt did not FAIL on the handout's stubs"; }
  echo "test-handout: ktest=$kt fails on the stub, as it should"
fi

# The lab's grader, on the stub: every lab test fails, base tests pass.
if [ -f "grading/lab-$lab.py" ]; then
  python3 "grading/lab-$lab.py" --build build/student -j "$J" --expect-fail >grade.log 2>&1 \
    || { tail -30 grade.log; fail "the grader's honesty check failed on the handout"; }
  tail -3 grade.log
else
  echo "test-handout: no grading/lab-$lab.py yet: grader not run"
fi
echo "test-handout $lab: ok"
