#!/usr/bin/env bash
# Builds the vtrace default guest from source.
#
#   guest/default/build.sh            build into guest/default/build/ and update
#                                     the committed guest/default/default.bin
#   guest/default/build.sh -o DIR     build into DIR only (default.elf, default.bin)
#
# Needs Debian's gcc-riscv64-linux-gnu and binutils-riscv64-linux-gnu
# (CROSS=riscv64-linux-gnu- by default). The output is reproducible: fixed
# object order and linker script, no build id, source paths mapped to ".",
# and default.bin holds only the loadable sections (objcopy -O binary).
set -euo pipefail
export LC_ALL=C

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$SRC/build"
INSTALL=1
if [[ "${1:-}" == "-o" ]]; then
  [[ -n "${2:-}" ]] || { echo "usage: $0 [-o OUTDIR]" >&2; exit 2; }
  mkdir -p "$2"
  OUT="$(cd "$2" && pwd)"
  INSTALL=0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [-o OUTDIR]" >&2
  exit 2
fi

CROSS="${CROSS:-riscv64-linux-gnu-}"
CC="${CROSS}gcc"
OBJCOPY="${CROSS}objcopy"
if ! command -v "$CC" >/dev/null; then
  echo "$0: $CC not found (apt-get install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu)" >&2
  exit 1
fi

# Link order is fixed here (start.o first: it holds the Image header).
SOURCES=(
  start.S
  main.c
  trap.c
  sbi.c
  uart.c
  printf.c
  fdt.c
  plic.c
  check.c
  lib.c
  checks/int.c
  checks/rvc.S
  checks/rvc.c
  checks/atomic.c
  checks/fp.c
  checks/sv39.c
  checks/timer.c
  checks/ipi.c
  checks/counters.c
  virtio/virtio_blk.c
  checks/blk.c
)

CFLAGS=(
  -march=rv64gc -mabi=lp64d -mcmodel=medany
  -Os -g -std=gnu11 -Wall -Wextra
  -ffreestanding -nostdlib -fno-pic -fno-pie -fno-common
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
  "-ffile-prefix-map=$SRC=."
  -I "$SRC"
)

mkdir -p "$OUT/obj"
OBJS=()
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/${src//\//_}.o"
  (cd "$SRC" && "$CC" "${CFLAGS[@]}" -c "$src" -o "$obj")
  OBJS+=("$obj")
done

"$CC" "${CFLAGS[@]}" -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,"$SRC/linker.ld" \
  -o "$OUT/default.elf" "${OBJS[@]}" -lgcc
"$OBJCOPY" -O binary "$OUT/default.elf" "$OUT/default.bin"

if [[ $INSTALL == 1 ]]; then
  cp "$OUT/default.bin" "$SRC/default.bin"
fi
echo "$OUT/default.bin: $(stat -c %s "$OUT/default.bin") bytes"
