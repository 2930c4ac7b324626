/**
 * Virtual-memory translation: Sv39 and Sv48 page walks (privileged spec 1.12 §4.3.2 "Virtual
 * Address Translation Process", §4.4, §4.5) as QEMU 7.2's get_physical_address does them:
 *  - the address must be canonical (bits 63..VA_BITS-1 equal), else page fault;
 *  - a PTE that cannot be read (outside RAM) is a page fault (QEMU: TRANSLATE_FAIL);
 *  - PTE bits 63..54 (PBMT, N, reserved) must be zero: Svpbmt/Svnapot are not implemented;
 *  - A and D are set in memory by the walker (QEMU's atomic update) instead of faulting;
 *  - the returned protection lets a later store use the entry only if D is already set.
 * In M-mode (after MPRV) or with satp.MODE = Bare the address is the physical address.
 */

import { Priv } from './cpu-api';
import type { RiscvCpu } from './cpu';
import { Access, Mstatus, Pte, SatpMode } from './cpu-bits';

/** Result codes of get_physical_address (physical addresses are >= 0). */
export const enum Tr {
  PAGE_FAULT = -1,
  ACCESS_FAULT = -2,
}

/** Protection bits of the last successful translation (cpu.walkProt). */
export const enum Prot {
  R = 1,
  W = 2,
  X = 4,
  RWX = 7,
}

const TWO32 = 4294967296;

/** Bytes mapped by a leaf PTE at each level (a table, not 2 ** x: V8 calls pow for that, and this runs at every superpage walk). */
const SUPERPAGE_SIZE = [4096, 2 ** 21, 2 ** 30, 2 ** 39];

/** Key of the level-`level` superpage region (level 1: 2 MiB, 2: 1 GiB, 3: 512 GiB) holding `va` (signed). */
export function superRegionKey(va: number, level: number): number {
  const size = SUPERPAGE_SIZE[level];
  return Math.floor(va / size) * size + level;
}

/** Walk state published for the TLB filler. */
export const walk = { prot: 0 };

/**
 * Translate (lo, hi) for `access` at privilege `mode` (already adjusted for MPRV by the caller).
 * Returns the physical address, or Tr.PAGE_FAULT. `debug` suppresses A/D updates.
 */
export function get_physical_address(cpu: RiscvCpu, lo: number, hi: number, access: Access, mode: Priv, debug: boolean): number {
  const vm = cpu.vmMode;
  if (mode === Priv.M || vm === SatpMode.BARE) {
    walk.prot = Prot.RWX;
    return (hi >>> 0) * TWO32 + (lo >>> 0);
  }
  let levels: number;
  if (vm === SatpMode.SV39) {
    const top = hi >> 6; // bits 63..38
    if (top !== 0 && top !== -1) return Tr.PAGE_FAULT;
    levels = 3;
  } else {
    const top = hi >> 15; // bits 63..47
    if (top !== 0 && top !== -1) return Tr.PAGE_FAULT;
    levels = 4;
  }
  const ms = cpu.mstatus;
  const sum = (ms & Mstatus.SUM) !== 0;
  const mxr = (ms & Mstatus.MXR) !== 0;
  const i32 = cpu.ramI32;
  const ramBase = cpu.ramBase;
  const ramSize = cpu.ramSize;
  let base = cpu.satpRoot;
  for (let i = levels - 1; i >= 0; i--) {
    let idx: number;
    if (i === 0) idx = (lo >>> 12) & 511;
    else if (i === 1) idx = (lo >>> 21) & 511;
    else if (i === 2) idx = ((lo >>> 30) | (hi << 2)) & 511;
    else idx = (hi >>> 7) & 511;
    const off = base - ramBase + idx * 8;
    if (!(off >= 0 && off < ramSize)) return Tr.PAGE_FAULT;
    const wi = off >>> 2;
    const pl = i32[wi];
    const ph = i32[wi + 1];
    if (!(pl & Pte.V)) return Tr.PAGE_FAULT;
    if (ph >>> 22 !== 0) return Tr.PAGE_FAULT; // PBMT/N/reserved bits without Svpbmt/Svnapot
    const ppn = (pl >>> 10) + (ph & 0x3fffff) * 4194304;
    const rwx = pl & (Pte.R | Pte.W | Pte.X);
    if (rwx === 0) {
      // Pointer to the next level. D, A and U are reserved here (§4.3.1); QEMU 7.2 faults on them.
      if (pl & (Pte.D | Pte.A | Pte.U)) return Tr.PAGE_FAULT;
      base = ppn * 4096;
      continue;
    }
    if (rwx === Pte.W || rwx === (Pte.W | Pte.X)) return Tr.PAGE_FAULT; // reserved encodings
    if (pl & Pte.U) {
      // S-mode may touch U pages only with SUM, and never execute them.
      if (mode !== Priv.U && (!sum || access === Access.FETCH)) return Tr.PAGE_FAULT;
    } else if (mode !== Priv.S) {
      return Tr.PAGE_FAULT;
    }
    // A superpage's PPN must be aligned to its size (§4.3.2 step 6).
    let vpnLow = 0;
    if (i > 0) {
      const bits = 9 * i;
      const span = 1 << bits; // bits ≤ 27
      if (ppn % span !== 0) return Tr.PAGE_FAULT;
      vpnLow = i === 3 ? ((lo >>> 12) | ((hi & 0x7f) << 20)) & (span - 1) : (lo >>> 12) & (span - 1);
    }
    const readable = (pl & Pte.R) !== 0 || (mxr && (pl & Pte.X) !== 0);
    if (access === Access.LOAD) {
      if (!readable) return Tr.PAGE_FAULT;
    } else if (access === Access.STORE) {
      if (!(pl & Pte.W)) return Tr.PAGE_FAULT;
    } else if (!(pl & Pte.X)) {
      return Tr.PAGE_FAULT;
    }
    const upd = pl | Pte.A | (access === Access.STORE ? Pte.D : 0);
    if (upd !== pl && !debug) i32[wi] = upd;
    walk.prot =
      (readable ? Prot.R : 0) | (pl & Pte.X ? Prot.X : 0) | (pl & Pte.W && (access === Access.STORE || upd & Pte.D) ? Prot.W : 0);
    // The TLBs cache 4 KiB pieces of superpages: SFENCE.VMA of one address in such a region must
    // drop them all (trap.ts helper_tlb_flush), so remember where there are some.
    if (i > 0 && !debug) cpu.superRegions.add(superRegionKey(hi * TWO32 + (lo >>> 0), i));
    return (ppn + vpnLow) * 4096 + (lo & 4095);
  }
  return Tr.PAGE_FAULT;
}
