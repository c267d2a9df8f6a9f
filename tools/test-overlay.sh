#!/usr/bin/env bash
# Checks the overlay rule of the Makefile on a scratch lab: in a temporary copy
# of the tree, solutions/9a/<path> must replace <path> for LAB=9b and SOL=1,
# and must not for the student tree or LAB=9a.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$top/Makefile" "$top/kernel" "$top/tools" "$top/user" "$tmp/"
mkdir -p "$tmp/solutions/9a/kernel/mm" "$tmp/solutions/9b/kernel/mm"
cp "$top/kernel/mm/paging.c" "$tmp/solutions/9a/kernel/mm/paging.c"
cp "$top/kernel/mm/pmm.c" "$tmp/solutions/9b/kernel/mm/pmm.c"
cd "$tmp"
src() { make -s --no-print-directory "$@" print-sources | tr ' ' '\n'; }
expect() { # expect MODE-ARGS PATTERN present|absent
  local args=$1 pat=$2 want=$3
  if src $args | grep -qx "$pat"; then got=present; else got=absent; fi
  [ "$got" = "$want" ] || { echo "overlay: with '$args' $pat is $got, expected $want"; exit 1; }
}
expect ""        solutions/9a/kernel/mm/paging.c absent
expect "LAB=9a"  solutions/9a/kernel/mm/paging.c absent
expect "LAB=9b"  solutions/9a/kernel/mm/paging.c present
expect "LAB=9b"  kernel/mm/paging.c absent
expect "LAB=9b"  solutions/9b/kernel/mm/pmm.c absent
expect "LAB=9c"  solutions/9b/kernel/mm/pmm.c present
expect "SOL=1"   solutions/9a/kernel/mm/paging.c present
expect "SOL=1"   solutions/9b/kernel/mm/pmm.c present
expect ""        kernel/mm/paging.c present
[ "$(make -s --no-print-directory LAB=9c print-build)" = build/lab-9c ] || { echo "overlay: LAB=9c does not build in build/lab-9c"; exit 1; }
echo "overlay rule: ok"
