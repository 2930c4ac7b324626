#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as real components (QEMU as the oracle, gdb,
# the cross toolchain for guests, dtc, strace, tmux). Idempotent and quiet when all are present.
# Needs root (CI and the dev machines run as root); without root it only reports what is missing.
set -euo pipefail

# command → package
declare -A need=(
  [qemu-system-riscv64]=qemu-system-misc
  [qemu-img]=qemu-utils
  [qemu-riscv64]=qemu-user
  [gdb-multiarch]=gdb-multiarch
  [riscv64-linux-gnu-gcc]=gcc-riscv64-linux-gnu
  [riscv64-linux-gnu-objdump]=binutils-riscv64-linux-gnu
  [dtc]=device-tree-compiler
  [strace]=strace
  [tmux]=tmux
  [mkfs.ext4]=e2fsprogs
  [cpio]=cpio
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ -f /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin ] || missing+=(opensbi)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "host-deps: missing Debian packages (install as root): ${missing[*]}" >&2
  exit 0
fi
echo "host-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
