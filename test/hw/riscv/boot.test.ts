/**
 * Boot helpers (QEMU hw/riscv/boot.c): Image/ELF loading, initrd and FDT placement, and the mask
 * ROM's reset vector + fw_dynamic_info, checked byte for byte against QEMU's own ROM.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import {
  FW_DYNAMIC_INFO_MAGIC_VALUE,
  riscv_calc_kernel_start_addr,
  riscv_compute_fdt_addr,
  riscv_load_initrd,
  riscv_load_kernel,
  riscv_rom_contents,
} from '../../../src/hw/riscv/boot';
import { BootError, parseRiscvImageHeader } from '../../../src/hw/riscv/loader';

const GUEST = path.resolve(__dirname, '../../../guest/default');
const BIN = fs.readFileSync(path.join(GUEST, 'default.bin'));
const ELF_PATH = path.join(GUEST, 'build', 'default.elf');
const MiB = 2 ** 20;
const newAs = (size = 128 * MiB) => new AddressSpace(new GuestRam(0x80000000, size));
const ramAt = (as: AddressSpace, addr: number, len: number) => {
  const b = new Uint8Array(len);
  as.readPhys(addr, b);
  return b;
};

describe('kernel loading', () => {
  test('a RISC-V Image header is recognised (text_offset, image_size covering .bss)', () => {
    const h = parseRiscvImageHeader(BIN)!;
    expect(h.textOffset).toBe(0x200000);
    expect(h.imageSize).toBeGreaterThanOrEqual(BIN.length);
    expect(h.version).toBe(2);
    expect(parseRiscvImageHeader(new Uint8Array(64))).toBeUndefined();
  });

  test('a raw Image is loaded and entered at the start address', () => {
    const as = newAs();
    const k = riscv_load_kernel(as, BIN, 0x80200000);
    expect(k.entry).toBe(0x80200000);
    expect(ramAt(as, 0x80200000, BIN.length)).toEqual(new Uint8Array(BIN));
    expect(k.high).toBe(0x80200000 + parseRiscvImageHeader(BIN)!.imageSize);
  });

  test.skipIf(!fs.existsSync(ELF_PATH))('an ELF goes to its physical addresses, entry from the header', () => {
    const as = newAs();
    const k = riscv_load_kernel(as, fs.readFileSync(ELF_PATH), 0x80000000);
    expect(k.entry).toBe(0x80200000);
    expect(k.low).toBe(0x80200000);
    // The ELF's loadable bytes are exactly default.bin (objcopy -O binary of the same link).
    expect(ramAt(as, 0x80200000, BIN.length)).toEqual(new Uint8Array(BIN));
  });

  test('images that do not fit in RAM are a BootError', () => {
    const as = newAs(16 * MiB);
    expect(() => riscv_load_kernel(as, BIN, 0x80000000 + 16 * MiB - 16)).toThrow(BootError);
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    new DataView(elf.buffer).setUint16(18, 62, true); // x86-64
    expect(() => riscv_load_kernel(as, elf, 0x80000000)).toThrow(/not a RISC-V ELF/);
  });

  test('kernel start: the 2 MiB boundary after the firmware', () => {
    expect(riscv_calc_kernel_start_addr(0x80000000)).toBe(0x80000000);
    expect(riscv_calc_kernel_start_addr(0x80000000 + 0x45678)).toBe(0x80200000);
  });
});

describe('initrd and FDT placement', () => {
  test('initrd: halfway into RAM below 256 MiB, else 128 MiB above the kernel entry', () => {
    const data = new Uint8Array(1000).fill(9);
    expect(riscv_load_initrd(newAs(128 * MiB), data, 128 * MiB, 0x80200000)).toEqual({ start: 0x84200000, end: 0x84200000 + 1000 });
    const as = newAs(512 * MiB);
    expect(riscv_load_initrd(as, data, 512 * MiB, 0x80200000)).toEqual({ start: 0x88200000, end: 0x88200000 + 1000 });
    expect(ramAt(as, 0x88200000, 4)).toEqual(Uint8Array.of(9, 9, 9, 9));
    expect(() => riscv_load_initrd(newAs(16 * MiB), new Uint8Array(9 * MiB), 16 * MiB, 0x80000000)).toThrow(BootError);
  });

  test('FDT: 2 MiB aligned below the end of RAM, capped at 3 GiB', () => {
    expect(riscv_compute_fdt_addr(0x80000000, 128 * MiB, 0x1000)).toBe(0x87e00000);
    expect(riscv_compute_fdt_addr(0x80000000, 128 * MiB, 0x200001)).toBe(0x87c00000);
    expect(riscv_compute_fdt_addr(0x80000000, 4096 * MiB, 0x1000)).toBe(0xbfe00000);
  });
});

describe('mask ROM', () => {
  test('reset vector and fw_dynamic_info layout (OpenSBI include/sbi/fw_dynamic.h, version 2)', () => {
    const rom = riscv_rom_contents(0x80000000, 0x87e00000, 0x80200000);
    const dv = new DataView(rom.buffer);
    const words = Array.from({ length: 6 }, (_, i) => dv.getUint32(i * 4, true));
    expect(words).toEqual([0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067]);
    expect(dv.getBigUint64(24, true)).toBe(0x80000000n); // start
    expect(dv.getBigUint64(32, true)).toBe(0x87e00000n); // fdt
    const info = Array.from({ length: 6 }, (_, i) => dv.getBigUint64(40 + 8 * i, true));
    expect(info).toEqual([BigInt(FW_DYNAMIC_INFO_MAGIC_VALUE), 2n, 0x80200000n, 1n, 0n, 0n]);
  });

  const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
  const haveQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0 && fs.existsSync(FW);
  test.skipIf(!haveQemu)('equals the ROM QEMU builds for -bios fw_dynamic.bin -kernel Image (monitor xp)', () => {
    const r = spawnSync(
      'qemu-system-riscv64',
      ['-M', 'virt', '-m', '128M', '-bios', FW, '-kernel', path.join(GUEST, 'default.bin'), '-display', 'none', '-monitor', 'stdio', '-S'],
      { input: 'xp /22wx 0x1000\nquit\n', encoding: 'latin1', timeout: 20_000 },
    );
    const qemuWords = [...r.stdout.matchAll(/^0000000000001[0-9a-f]{3}:((?: 0x[0-9a-f]{8})+)/gm)].flatMap((m) => m[1].trim().split(' ').map((x) => Number(x)));
    expect(qemuWords).toHaveLength(22);
    const rom = riscv_rom_contents(0x80000000, 0x87e00000, 0x80200000);
    const ours = Array.from({ length: 22 }, (_, i) => new DataView(rom.buffer).getUint32(i * 4, true));
    expect(ours).toEqual(qemuWords);
  });
});
