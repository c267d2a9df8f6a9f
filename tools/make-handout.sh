#!/usr/bin/env bash
# `make handout LAB=9c`        -> build/handout-9c.tar.gz
# `make handout-update LAB=9c` -> build/handout-9c-update.tar.gz
#
# The handout is the tree without solutions/ (nor build/ or .git), with the
# solutions of the labs before <lab> merged in by the Makefile's overlay rule:
# solutions/<earlier>/<path> replaces <path>. It builds, boots and grades on
# its own, with <lab>'s files still stubbed.
#
# The update archive holds only what <lab> adds, for a student who keeps their
# own code for the earlier labs: its stub files (the kernel/ side of every
# solutions/<lab>/<path>), its tests (kernel/test/lab<lab>_*, user/tests/lab<lab>_*),
# its grader (grading/lab-<lab>.py) and its handout (labs/<lab>.md).
#
# Usage: tools/make-handout.sh [--update] LAB [OUT.tar.gz]
set -euo pipefail
cd "$(dirname "$0")/.."

update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
lab=${1:-}
# The lab order, as in the Makefile (one place to read it from).
order=$(sed -n 's/^LAB_ORDER := //p' Makefile)
[[ " $order " == *" $lab "* ]] || { echo "make-handout: LAB must be one of: $order (got '${lab}')" >&2; exit 2; }
if [ $update = 1 ]; then name=handout-$lab-update; else name=handout-$lab; fi
out=${2:-build/$name.tar.gz}

# The labs before this one, in order (later overlays win, as in the Makefile).
earlier=()
for l in $order; do
  [ "$l" = "$lab" ] && break
  earlier+=("$l")
done

# The files of the tree: tracked and untracked-but-not-ignored when this is a
# git checkout (so a handout made before a commit has the new files), else
# every file; never build/, .git or solutions/.
list_tree() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . -path ./build -prune -o -path ./.git -prune -o \( -type f -o -type l \) -printf '%P\0'
  fi
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/keel-$lab
mkdir -p "$root"

if [ $update = 0 ]; then
  list_tree | grep -zv -e '^solutions/' -e '^build/' -e '^\.git/' |
    while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
    tar -cf - --no-recursion --null -T - | tar -xf - -C "$root"
  merged=0
  for l in "${earlier[@]}"; do
    [ -d "solutions/$l" ] || continue
    while IFS= read -r -d '' f; do
      mkdir -p "$root/$(dirname "$f")"
      cp -p "solutions/$l/$f" "$root/$f"
      merged=$((merged + 1))
    done < <(cd "solutions/$l" && find . -type f -printf '%P\0')
  done
  what="the tree, solutions of ${earlier[*]:-no earlier lab} merged ($merged files)"
else
  files=()
  if [ -d "solutions/$lab" ]; then
    while IFS= read -r -d '' f; do files+=("$f"); done < <(cd "solutions/$lab" && find . -type f -printf '%P\0' | sort -z)
  fi
  for f in "${files[@]}"; do
    [ -e "$f" ] || { echo "make-handout: solutions/$lab/$f has no stub at $f" >&2; exit 1; }
  done
  [ ${#files[@]} -gt 0 ] || { echo "make-handout: lab $lab has no files in solutions/$lab yet" >&2; exit 1; }
  for f in grading/lab-"$lab".py labs/"$lab".md kernel/test/lab"$lab"_* user/tests/lab"$lab"_*; do
    [ -e "$f" ] && files+=("$f")
  done
  tar -cf - "${files[@]}" | tar -xf - -C "$root"
  what="${#files[@]} files of lab $lab (stubs, tests, grader, handout)"
fi

[ ! -e "$root/solutions" ] || { echo "make-handout: solutions/ leaked into the handout" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# Reproducible: sorted names, fixed owner, the last commit's time (or now).
mtime=$(git log -1 --format=@%ct 2>/dev/null || date +@%s)
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
  -czf "$out.tmp" "keel-$lab"
mv "$out.tmp" "$out"
echo "handout: $out ($what, $(du -h "$out" | cut -f1))"
