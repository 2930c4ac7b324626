/**
 * virt_machine_done for QEMU 7.2's `virt`: the device tree (generated, or -dtb patched as QEMU
 * patches it), then firmware, kernel and initrd in RAM, the FDT placed near the top of RAM, and
 * the mask ROM's reset vector with OpenSBI's fw_dynamic_info. Returns what was placed, plus the
 * blobs to restore at every reset (QEMU's ROM list, rom_reset).
 *
 * Kernel placement: with -bios none a raw kernel goes to RAM base (QEMU); with firmware (a file,
 * or the built-in SBI which occupies no RAM) it goes to RAM base + the Image header's text_offset
 * (2 MiB for Linux and the default guest), or past the firmware when that is larger.
 */
import * as fs from 'node:fs';
import type { AddressSpace } from '../../system/memory';
import { BootError, parseRiscvImageHeader, type LoadedImage } from '../../hw/riscv/loader';
import {
  riscv_calc_kernel_start_addr,
  riscv_compute_fdt_addr,
  riscv_load_firmware,
  riscv_load_initrd,
  riscv_load_kernel,
  riscv_rom_contents,
  RISCV64_DEFAULT_TEXT_OFFSET,
} from '../../hw/riscv/boot';
import { cells, cells64, FdtError, parseFdt, strings, writeFdt, type Fdt } from './fdt/fdt';
import { createVirtFdt } from './virt-fdt';
import { virt_memmap } from './memmap';

/** A configuration error the user can fix (bad file, does not fit): one line, no stack. */
export class VirtConfigError extends Error {}

/** What virt_load_boot_images needs of the machine's configuration (a subset of VirtConfig). */
export interface VirtBootConfig {
  ramSize: number;
  smp: number;
  kernel?: string;
  initrd?: string;
  append?: string;
  bios: string;
  dtb?: string;
  dumpDtb?: string;
  rngSeed?: Uint8Array | null;
}

export interface VirtBootInfo {
  /** 'builtin-sbi' (-bios default), 'firmware' (-bios FILE) or 'none'. */
  mode: 'builtin-sbi' | 'firmware' | 'none';
  firmware?: LoadedImage;
  kernel?: LoadedImage;
  /** Where the kernel is entered (0 when there is none, as QEMU). */
  kernelEntry: number;
  initrd?: { start: number; end: number };
  fdtAddr: number;
  /** The pc harts start at: the mask ROM (0x1000) or, with the built-in SBI, the kernel entry. */
  resetPc: number;
}

export interface VirtBootImages {
  boot: VirtBootInfo;
  /** The final flattened device tree, as placed at boot.fdtAddr. */
  fdt: Uint8Array;
  /** Mask ROM contents (reset vector + fw_dynamic_info). */
  mrom: Uint8Array;
  /** RAM contents to restore at reset. */
  blobs: Array<{ addr: number; bytes: Uint8Array }>;
  dtbDumpedTo?: string;
}

export function readFile(path: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new VirtConfigError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
}

/** Load everything into `as` (RAM only; the ROM contents are returned). Throws VirtConfigError. */
export function virt_load_boot_images(as: AddressSpace, config: VirtBootConfig): VirtBootImages {
  // ---- device tree (create_fdt) ----
  let tree: Fdt;
  if (config.dtb !== undefined) {
    try {
      tree = parseFdt(readFile(config.dtb, '-dtb'));
    } catch (e) {
      if (e instanceof FdtError) throw new VirtConfigError(`-dtb ${config.dtb}: ${e.message}`);
      throw e;
    }
    // QEMU 7.2 patches a user tree only with the command line (and, below, the initrd).
    if (config.append) setChosen(tree, 'bootargs', strings(config.append));
  } else {
    tree = createVirtFdt({ ramSize: config.ramSize, smp: config.smp, cmdline: config.append, rngSeed: config.rngSeed });
  }

  // ---- boot images (virt_machine_done) ----
  const mode: VirtBootInfo['mode'] = config.bios === 'default' ? 'builtin-sbi' : config.bios === 'none' ? 'none' : 'firmware';
  const dramBase: number = virt_memmap.VIRT_DRAM.base;
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof BootError) throw new VirtConfigError(e.message);
      throw e;
    }
  };
  let firmware: LoadedImage | undefined;
  let firmwareEnd = dramBase;
  if (mode === 'firmware') {
    firmware = wrap(() => riscv_load_firmware(as, readFile(config.bios, '-bios'), dramBase, `-bios ${config.bios}`));
    firmwareEnd = firmware.high;
  }
  let kernel: LoadedImage | undefined;
  let kernelEntry = 0;
  let initrd: { start: number; end: number } | undefined;
  if (config.kernel !== undefined) {
    const bytes = readFile(config.kernel, '-kernel');
    let start = riscv_calc_kernel_start_addr(firmwareEnd);
    if (mode !== 'none') {
      // With firmware below it, a raw kernel goes where a Linux Image expects to be: RAM base + its
      // text_offset (2 MiB by default), and never over the firmware.
      const textOffset = parseRiscvImageHeader(bytes)?.textOffset || RISCV64_DEFAULT_TEXT_OFFSET;
      start = Math.max(start, dramBase + textOffset);
    }
    kernel = wrap(() => riscv_load_kernel(as, bytes, start, `-kernel ${config.kernel}`));
    kernelEntry = kernel.entry;
    if (config.initrd !== undefined) {
      const data = readFile(config.initrd, '-initrd');
      initrd = wrap(() => riscv_load_initrd(as, data, config.ramSize, kernelEntry, `-initrd ${config.initrd}`));
      const cell = (v: number) => (v >= 2 ** 32 ? cells64(v) : cells(v));
      setChosen(tree, 'linux,initrd-start', cell(initrd.start));
      setChosen(tree, 'linux,initrd-end', cell(initrd.end));
    }
  } else if (config.initrd !== undefined) {
    throw new VirtConfigError('-initrd needs a -kernel');
  } else if (mode === 'builtin-sbi' && config.dumpDtb === undefined) {
    throw new VirtConfigError('nothing to boot: the built-in SBI firmware needs a -kernel (or use -bios FILE / -bios none)');
  }

  const fdt = writeFdt(tree);
  const fdtAddr = riscv_compute_fdt_addr(dramBase, config.ramSize, fdt.length);
  const fdtLimit = initrd?.end ?? kernel?.high ?? firmware?.high ?? dramBase;
  if (fdtAddr < fdtLimit) throw new VirtConfigError(`not enough memory to place the device tree after the kernel/initrd (RAM ${config.ramSize >> 20} MiB)`);
  as.writePhys(fdtAddr, fdt);
  let dtbDumpedTo: string | undefined;
  if (config.dumpDtb !== undefined) {
    try {
      fs.writeFileSync(config.dumpDtb, fdt);
    } catch (e) {
      throw new VirtConfigError(`dumpdtb=${config.dumpDtb}: ${(e as Error).message}`);
    }
    dtbDumpedTo = config.dumpDtb;
  }

  // The reset vector jumps to the firmware (RAM base, or an ELF firmware's entry) or, with
  // -bios none, to the kernel's entry (QEMU 7.2 jumps to RAM base; equal for raw images).
  const startAddr = mode === 'firmware' ? firmware!.entry : mode === 'none' && kernel !== undefined ? kernelEntry : dramBase;
  const mrom = riscv_rom_contents(startAddr, fdtAddr, kernelEntry);
  const resetPc = mode === 'builtin-sbi' ? kernelEntry : virt_memmap.VIRT_MROM.base;
  const boot: VirtBootInfo = { mode, firmware, kernel, kernelEntry, initrd, fdtAddr, resetPc };

  // QEMU's ROM list: what the loaders wrote is restored on every reset.
  const blobs: Array<{ addr: number; bytes: Uint8Array }> = [];
  for (const img of [firmware, kernel]) if (img !== undefined) blobs.push(snapshot(as, img.low, img.high));
  if (initrd !== undefined) blobs.push(snapshot(as, initrd.start, initrd.end));
  blobs.push({ addr: fdtAddr, bytes: fdt });
  return { boot, fdt, mrom, blobs, dtbDumpedTo };

}

/** Copy [low, high) of RAM (what a loader just wrote) for restoring at reset. */
function snapshot(as: AddressSpace, low: number, high: number): { addr: number; bytes: Uint8Array } {
  const bytes = new Uint8Array(high - low);
  as.readPhys(low, bytes);
  return { addr: low, bytes };
}

/** qemu_fdt_setprop on /chosen: QEMU exits when a user tree lacks the node. */
function setChosen(tree: Fdt, name: string, value: Uint8Array): void {
  const chosen = tree.root.find('/chosen');
  if (chosen === undefined) throw new VirtConfigError(`device tree: couldn't set /chosen/${name}: FDT_ERR_NOTFOUND (the -dtb has no /chosen node)`);
  chosen.setProp(name, value);
}
