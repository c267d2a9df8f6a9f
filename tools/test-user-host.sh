#!/usr/bin/env bash
# Runs every user test (user/tests/*.c, built into BINDIR) on the host Linux,
# the reference for the semantics they check. One line per program; a failing
# program's output follows its line. Exits 1 if any program failed.
#   tools/test-user-host.sh [BINDIR]      (default build/user/bin)
# The syscall fuzzer gets a short run: FUZZ_SEED (default 1), FUZZ_COUNT (2000).
set -uo pipefail
cd "$(dirname "$0")/.."
BINDIR=${1:-build/user/bin}
BINDIR=$(cd "$BINDIR" && pwd)
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_COUNT=${FUZZ_COUNT:-2000}

work=$(mktemp -d "${TMPDIR:-/tmp}/keel-user-host.XXXXXX")
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT

passed=0
failed=0
for src in user/tests/*.c; do
  name=$(basename "$src" .c)
  args=()
  [ "$name" = fuzz_syscalls ] && args=("$FUZZ_SEED" "$FUZZ_COUNT")
  mkdir -p "$work/$name"
  log="$work/$name.log"
  start=$SECONDS
  # Each test gets its own empty directory as TMPDIR and working directory.
  (cd "$work/$name" && TMPDIR="$work/$name" timeout 300 "$BINDIR/$name" "${args[@]}" </dev/null >"$log" 2>&1)
  rc=$?
  summary=$(tail -1 "$log")
  if [ $rc -eq 0 ]; then
    printf '%-20s ok    %s (%ds)\n' "$name" "$summary" $((SECONDS - start))
    passed=$((passed + 1))
  else
    printf '%-20s FAIL  exit status %d (%ds)\n' "$name" $rc $((SECONDS - start))
    grep -v '^ok ' "$log" | head -40 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
echo "user tests on the host: $passed passed, $failed failed"
[ $failed -eq 0 ]
