/**
 * Image loaders for the boot code (QEMU's hw/core/loader.c roles): ELF64 RISC-V executables,
 * RISC-V Linux Image headers, and raw images. Everything is copied into guest RAM through the
 * AddressSpace's loader path (writePhys); anything that does not fit in RAM is an error with a
 * one-line message (BootError), never a crash.
 */
import type { AddressSpace } from '../../system/memory';

export class BootError extends Error {}

/** A range [start, end) of guest physical memory written by a loader. */
export interface LoadedImage {
  /** Entry point (physical). */
  entry: number;
  /** Lowest and one-past-highest physical address written (ELF: including .bss). */
  low: number;
  high: number;
}

// ------------------------------------------------------------------ ELF (System V gABI, RISC-V psABI)

const ELF_MAGIC = 0x464c457f; // "\x7fELF" little-endian
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EM_RISCV = 243;
const PT_LOAD = 1;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === ELF_MAGIC;
}

/**
 * load_elf: copy every PT_LOAD segment to its physical address (p_paddr), zero-filling up to
 * p_memsz. The entry is e_entry; when that is not a physical RAM address but lies inside a
 * segment's virtual range (a kernel linked at high virtual addresses), it is translated through
 * that segment.
 */
export function loadElf(as: AddressSpace, bytes: Uint8Array, what: string): LoadedImage {
  if (bytes.length < 64) throw new BootError(`${what}: truncated ELF header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[4] !== ELFCLASS64) throw new BootError(`${what}: not a 64-bit ELF file`);
  if (bytes[5] !== ELFDATA2LSB) throw new BootError(`${what}: not a little-endian ELF file`);
  if (dv.getUint16(18, true) !== EM_RISCV) throw new BootError(`${what}: not a RISC-V ELF file (e_machine ${dv.getUint16(18, true)})`);
  const num = (off: number) => {
    const v = dv.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
    return Number(v);
  };
  const entryV = dv.getBigUint64(24, true);
  const phoff = num(32);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (!(phoff + phnum * phentsize <= bytes.length) || phentsize < 56) throw new BootError(`${what}: bad program header table`);

  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  let entry: number | undefined;
  const segs: Array<{ vaddr: bigint; paddr: number; memsz: number }> = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (dv.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = num(ph + 8);
    const vaddr = dv.getBigUint64(ph + 16, true);
    const paddr = num(ph + 24);
    const filesz = num(ph + 32);
    const memsz = num(ph + 40);
    if (memsz === 0) continue;
    if (!(offset + filesz <= bytes.length) || !(filesz <= memsz)) throw new BootError(`${what}: segment ${i} lies outside the file`);
    if (!as.ram.contains(paddr, memsz)) {
      throw new BootError(`${what}: segment ${i} at 0x${paddr.toString(16)} (+0x${memsz.toString(16)}) is not in RAM`);
    }
    as.writePhys(paddr, bytes.subarray(offset, offset + filesz));
    if (memsz > filesz) as.writePhys(paddr + filesz, new Uint8Array(memsz - filesz));
    low = Math.min(low, paddr);
    high = Math.max(high, paddr + memsz);
    segs.push({ vaddr, paddr, memsz });
  }
  if (segs.length === 0) throw new BootError(`${what}: no loadable segments`);
  if (entryV <= BigInt(Number.MAX_SAFE_INTEGER) && as.ram.contains(Number(entryV), 2)) entry = Number(entryV);
  else {
    const s = segs.find((g) => entryV >= g.vaddr && entryV < g.vaddr + BigInt(g.memsz));
    if (s !== undefined) entry = s.paddr + Number(entryV - s.vaddr);
  }
  if (entry === undefined) throw new BootError(`${what}: entry point 0x${entryV.toString(16)} is not in a loaded segment`);
  return { entry, low, high };
}

// ------------------------------------------------------------------ RISC-V Linux Image header

/** Documentation/riscv/boot-image-header.rst: the 64-byte header of a RISC-V `Image`. */
export interface RiscvImageHeader {
  textOffset: number;
  imageSize: number;
  flags: number;
  version: number;
}

/** Parse the header when `bytes` starts with one (magic2 "RSC\x05", or the deprecated "RISCV\0\0\0"). */
export function parseRiscvImageHeader(bytes: Uint8Array): RiscvImageHeader | undefined {
  if (bytes.length < 64) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 64);
  const magic2 = dv.getUint32(56, true) === 0x05435352;
  const magic = Buffer.from(bytes.subarray(48, 56)).equals(Buffer.from('RISCV\0\0\0', 'latin1'));
  if (!magic && !magic2) return undefined;
  return {
    textOffset: Number(dv.getBigUint64(8, true)),
    imageSize: Number(dv.getBigUint64(16, true)),
    flags: Number(dv.getBigUint64(24, true)),
    version: dv.getUint32(32, true),
  };
}

/** load_image_targphys: copy a raw image to `addr`; `footprint` (>= size) is checked to fit too. */
export function loadRaw(as: AddressSpace, bytes: Uint8Array, addr: number, what: string, footprint = bytes.length): LoadedImage {
  if (!as.ram.contains(addr, Math.max(footprint, bytes.length, 1))) {
    throw new BootError(`${what}: ${Math.max(footprint, bytes.length)} bytes at 0x${addr.toString(16)} do not fit in RAM`);
  }
  as.writePhys(addr, bytes);
  return { entry: addr, low: addr, high: addr + Math.max(footprint, bytes.length) };
}
