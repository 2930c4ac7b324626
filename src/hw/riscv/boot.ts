/**
 * The RISC-V boot helpers of QEMU 7.2's hw/riscv/boot.c: where firmware, kernel, initrd and FDT go
 * in RAM, and the reset vector in the mask ROM that passes them to the firmware. The board
 * (machine/virt/virt.ts) calls these in QEMU's order: firmware, kernel, initrd, FDT, reset vector.
 */
import type { AddressSpace } from '../../system/memory';
import { BootError, isElf, loadElf, loadRaw, parseRiscvImageHeader, type LoadedImage } from './loader';

const MiB = 1024 * 1024;
const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;
const alignDown = (v: number, a: number) => Math.floor(v / a) * a;

/** Where a RISC-V Linux Image expects to sit above a 2 MiB-aligned RAM base when no header says (RV64). */
export const RISCV64_DEFAULT_TEXT_OFFSET = 0x200000;

/** riscv_load_firmware: ELF at its addresses, else raw at `loadAddr`. Returns entry and end. */
export function riscv_load_firmware(as: AddressSpace, bytes: Uint8Array, loadAddr: number, what = 'firmware'): LoadedImage {
  if (isElf(bytes)) return loadElf(as, bytes, what);
  if (bytes.length === 0) throw new BootError(`${what}: empty file`);
  return loadRaw(as, bytes, loadAddr, what);
}

/** riscv_calc_kernel_start_addr (RV64): the first 2 MiB boundary at or after the firmware's end. */
export function riscv_calc_kernel_start_addr(firmwareEnd: number): number {
  return alignUp(firmwareEnd, 2 * MiB);
}

/**
 * riscv_load_kernel: an ELF goes to its physical addresses (entry from its header); anything else
 * is a raw image loaded at `kernelStartAddr` and entered there. For an Image with a RISC-V header
 * the header's image_size (which covers .bss) must fit in RAM as well.
 */
export function riscv_load_kernel(as: AddressSpace, bytes: Uint8Array, kernelStartAddr: number, what = 'kernel'): LoadedImage {
  if (isElf(bytes)) return loadElf(as, bytes, what);
  if (bytes.length === 0) throw new BootError(`${what}: empty file`);
  const hdr = parseRiscvImageHeader(bytes);
  return loadRaw(as, bytes, kernelStartAddr, what, hdr?.imageSize ?? bytes.length);
}

/**
 * riscv_load_initrd: far enough above the kernel that unpacking does not clobber it — halfway
 * into RAM below 256 MiB, else 128 MiB above the kernel entry. Returns [start, end).
 */
export function riscv_load_initrd(as: AddressSpace, bytes: Uint8Array, ramSize: number, kernelEntry: number, what = 'initrd'): { start: number; end: number } {
  const start = kernelEntry + Math.min(ramSize / 2, 128 * MiB);
  const img = loadRaw(as, bytes, start, what);
  return { start, end: img.high };
}

/**
 * riscv_compute_fdt_addr: as far up as possible (the kernel and initrd grow upwards), 2 MiB
 * aligned, below 3 GiB so 32-bit code can reach it when RAM starts below 3 GiB.
 */
export function riscv_compute_fdt_addr(dramBase: number, ramSize: number, fdtSize: number): number {
  const dramEnd = dramBase + ramSize;
  const GiB3 = 3072 * MiB;
  const top = dramBase < GiB3 ? Math.min(dramEnd, GiB3) : dramEnd;
  return alignDown(top - fdtSize, 2 * MiB);
}

// OpenSBI's fw_dynamic_info (include/sbi/fw_dynamic.h), passed in a2.
export const FW_DYNAMIC_INFO_MAGIC_VALUE = 0x4942534f;
export const FW_DYNAMIC_INFO_VERSION = 0x2;
export const FW_DYNAMIC_INFO_NEXT_MODE_S = 0x1;
/** Size of the RV64 reset vector (10 words) and of struct fw_dynamic_info (6 unsigned longs). */
export const RESET_VEC_SIZE = 40;
export const FW_DYNAMIC_INFO_SIZE = 48;

/**
 * riscv_setup_rom_reset_vec + riscv_rom_copy_firmware_info (RV64): the mask ROM contents every
 * hart starts at. The code loads a0 = mhartid, a1 = FDT address, a2 = &fw_dynamic_info, then
 * jumps to `startAddr`:
 *
 *   1: auipc t0, %pcrel_hi(fw_dyn)    0x00000297
 *      addi  a2, t0, %pcrel_lo(1b)    0x02828613
 *      csrr  a0, mhartid              0xf1402573
 *      ld    a1, 32(t0)               0x0202b583
 *      ld    t0, 24(t0)               0x0182b283
 *      jr    t0                       0x00028067
 *   start:     .dword startAddr
 *   fdt_laddr: .dword fdtAddr
 *   fw_dyn:    magic, version, next_addr = kernelEntry, next_mode = S, options 0, boot_hart 0
 */
export function riscv_rom_contents(startAddr: number, fdtAddr: number, kernelEntry: number): Uint8Array {
  const rom = new Uint8Array(RESET_VEC_SIZE + FW_DYNAMIC_INFO_SIZE);
  const dv = new DataView(rom.buffer);
  [0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067].forEach((w, i) => dv.setUint32(i * 4, w, true));
  dv.setBigUint64(24, BigInt(startAddr), true);
  dv.setBigUint64(32, BigInt(fdtAddr), true);
  const info = [FW_DYNAMIC_INFO_MAGIC_VALUE, FW_DYNAMIC_INFO_VERSION, kernelEntry, FW_DYNAMIC_INFO_NEXT_MODE_S, 0, 0];
  info.forEach((v, i) => dv.setBigUint64(RESET_VEC_SIZE + i * 8, BigInt(v), true));
  return rom;
}
