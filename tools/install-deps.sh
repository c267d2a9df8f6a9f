#!/usr/bin/env bash
# Install every Debian package Keel needs. Idempotent and non-interactive:
# packages already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

PACKAGES=(
  build-essential gcc make binutils python3 gdb
  qemu-system-x86 qemu-utils
  grub-pc-bin grub-common xorriso mtools
  musl-tools busybox-static cpio
  lz4 zstd liblz4-dev libzstd-dev
  clang libclang-rt-14-dev
  pandoc wkhtmltopdf
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
