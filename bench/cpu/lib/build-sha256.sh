#!/bin/sh
# Rebuild sha256-bare.bin from sha256-bare.c (needs gcc-riscv64-linux-gnu). Loaded at 0x8000_0000.
set -e
cd "$(dirname "$0")"
riscv64-linux-gnu-gcc -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany -ffreestanding -nostdlib -static \
  -fno-pic -Wl,--no-warn-rwx-segments -Wl,-T,sha256-bare.ld \
  -Wl,--build-id=none -o sha256-bare.elf sha256-bare.c
riscv64-linux-gnu-objcopy -O binary -j .text -j .rodata -j .srodata sha256-bare.elf sha256-bare.bin
