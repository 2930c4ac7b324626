/**
 * The A extension (ISA manual ch. 8): LR/SC with a reservation, and the AMOs. .aq/.rl have no
 * effect in a sequentially consistent interpreter.
 *
 * Reservation semantics follow QEMU 7.2 (trans_rva.c.inc gen_lr/gen_sc): LR records the address
 * and the loaded value; SC succeeds iff the address equals the reserved one and memory still holds
 * the loaded value (a compare-and-swap), then always drops the reservation. Every privilege change
 * (trap, xRET) drops it too, and the machine may drop it when switching harts (clearReservation).
 *
 * Alignment (ISA manual §8.2, §8.4): a misaligned LR raises load-address-misaligned, a misaligned
 * SC or AMO store/AMO-address-misaligned, whatever the reservation state. (QEMU 7.2 raises cause 4
 * for misaligned AMOs and lets a misaligned SC without reservation fail silently.) AMOs translate
 * as stores: a read-only page gives a store/AMO page fault.
 *
 * Like plain loads and stores, an access whose page is in the fast TLB (tlb.ts: RAM, permission
 * checked for this MMU index, no watchpoint, for stores no decoded code) is done on guest RAM
 * directly; the others take tlb_fill_data and the physical-access helpers. (Linux's spinlocks are
 * AMOs and its cmpxchg LR/SC: a page walk for each cost more than the rest of the operation.)
 */

import type { RiscvCpu } from './cpu';
import { Access, Excp } from './cpu-bits';
import { load_phys, store_phys, tlb_fill_data, WatchKind } from './ldst';
import { raise_exception } from './trap';
import { dataTlbIndex, type DataTlb } from './tlb';

/** RAM byte offset of the aligned access at (lo, hi) if its page is in `t` for the current MMU index, else -1. */
function fast_off(cpu: RiscvCpu, t: DataTlb, lo: number, hi: number): number {
  const ti = dataTlbIndex(cpu.dataIdx, lo);
  const e = t.e;
  return e[ti] === (lo & -4096) && e[ti + 1] === hi ? e[ti + 2] + (lo & 4095) : -1;
}

/** LR.W / LR.D. */
export function helper_lr(cpu: RiscvCpu, w: number, size: number): boolean {
  const x = cpu.xr;
  const a = (w >>> 15) & 127;
  const lo = x[a];
  const hi = x[a + 1];
  if (lo & (size - 1)) return raise_exception(cpu, Excp.LOAD_ADDR_MIS, lo, hi);
  let vlo: number;
  let vhi: number;
  const off = fast_off(cpu, cpu.rtlb, lo, hi);
  if (off >= 0) {
    const i32 = cpu.ramI32;
    vlo = i32[off >>> 2];
    vhi = size === 4 ? vlo >> 31 : i32[(off >>> 2) + 1];
  } else {
    const pa = tlb_fill_data(cpu, lo, hi, Access.LOAD, size, WatchKind.READ);
    if (pa < 0) return false;
    if (!load_phys(cpu, pa, size, lo, hi)) return false;
    vlo = cpu.ldLo;
    vhi = size === 4 ? vlo >> 31 : cpu.ldHi;
  }
  cpu.resValid = true;
  cpu.resLo = lo;
  cpu.resHi = hi;
  cpu.resValLo = vlo;
  cpu.resValHi = vhi;
  const d = (w >>> 8) & 127;
  x[d] = vlo;
  x[d + 1] = vhi;
  return true;
}

/** SC.W / SC.D: rd = 0 on success, 1 on failure. */
export function helper_sc(cpu: RiscvCpu, w: number, size: number): boolean {
  const x = cpu.xr;
  const a = (w >>> 15) & 127;
  const b = (w >>> 22) & 127;
  const d = (w >>> 8) & 127;
  const lo = x[a];
  const hi = x[a + 1];
  if (lo & (size - 1)) return raise_exception(cpu, Excp.STORE_AMO_ADDR_MIS, lo, hi);
  let fail = 1;
  if (cpu.resValid && cpu.resLo === lo && cpu.resHi === hi) {
    const off = fast_off(cpu, cpu.wtlb, lo, hi);
    if (off >= 0) {
      const i32 = cpu.ramI32;
      const wi = off >>> 2;
      if (size === 4 ? i32[wi] === cpu.resValLo : i32[wi] === cpu.resValLo && i32[wi + 1] === cpu.resValHi) {
        i32[wi] = x[b];
        if (size === 8) i32[wi + 1] = x[b + 1];
        fail = 0;
      }
      cpu.resValid = false;
      x[d] = fail;
      x[d + 1] = 0;
      return true;
    }
    const pa = tlb_fill_data(cpu, lo, hi, Access.STORE, size, WatchKind.WRITE);
    if (pa < 0) return false;
    if (!load_phys(cpu, pa, size, lo, hi)) return false;
    const same = size === 4 ? cpu.ldLo === cpu.resValLo : cpu.ldLo === cpu.resValLo && cpu.ldHi === cpu.resValHi;
    if (same) {
      if (!store_phys(cpu, pa, size, x[b], x[b + 1], lo, hi)) return false;
      fail = 0;
    }
  }
  cpu.resValid = false;
  x[d] = fail;
  x[d + 1] = 0;
  return true;
}

/** AMO*.W / AMO*.D. `f5size` = funct5 | size << 8. rd gets the old value (sign-extended for .W). */
export function helper_amo(cpu: RiscvCpu, w: number, f5size: number): boolean {
  const x = cpu.xr;
  const size = f5size >>> 8;
  const f5 = f5size & 0xff;
  const a = (w >>> 15) & 127;
  const b = (w >>> 22) & 127;
  const d = (w >>> 8) & 127;
  const lo = x[a];
  const hi = x[a + 1];
  if (lo & (size - 1)) return raise_exception(cpu, Excp.STORE_AMO_ADDR_MIS, lo, hi);
  const i32 = cpu.ramI32;
  const off = fast_off(cpu, cpu.wtlb, lo, hi);
  let pa = -1;
  let olo: number;
  let ohi: number;
  if (off >= 0) {
    olo = i32[off >>> 2];
    ohi = size === 4 ? olo >> 31 : i32[(off >>> 2) + 1];
  } else {
    pa = tlb_fill_data(cpu, lo, hi, Access.STORE, size, WatchKind.READ | WatchKind.WRITE);
    if (pa < 0) return false;
    if (!load_phys(cpu, pa, size, lo, hi)) return false;
    olo = cpu.ldLo;
    ohi = size === 4 ? olo >> 31 : cpu.ldHi;
  }
  const slo = x[b];
  const shi = size === 4 ? slo >> 31 : x[b + 1];
  let nlo: number;
  let nhi: number;
  switch (f5) {
    case 0x00: {
      // AMOADD
      nlo = (olo + slo) | 0;
      nhi = (ohi + shi + (nlo >>> 0 < olo >>> 0 ? 1 : 0)) | 0;
      break;
    }
    case 0x01: // AMOSWAP
      nlo = slo;
      nhi = shi;
      break;
    case 0x04: // AMOXOR
      nlo = olo ^ slo;
      nhi = ohi ^ shi;
      break;
    case 0x08: // AMOOR
      nlo = olo | slo;
      nhi = ohi | shi;
      break;
    case 0x0c: // AMOAND
      nlo = olo & slo;
      nhi = ohi & shi;
      break;
    default: {
      // MIN/MAX/MINU/MAXU on the sign-extended (W) or full (D) values.
      const unsigned = f5 >= 0x18;
      const oh = unsigned ? ohi >>> 0 : ohi;
      const sh = unsigned ? shi >>> 0 : shi;
      const oLess = oh < sh || (oh === sh && olo >>> 0 < slo >>> 0);
      const takeOld = f5 === 0x10 || f5 === 0x18 ? oLess : !oLess;
      nlo = takeOld ? olo : slo;
      nhi = takeOld ? ohi : shi;
      break;
    }
  }
  if (off >= 0) {
    i32[off >>> 2] = nlo;
    if (size === 8) i32[(off >>> 2) + 1] = nhi;
  } else if (!store_phys(cpu, pa, size, nlo, nhi, lo, hi)) return false;
  x[d] = olo;
  x[d + 1] = ohi;
  return true;
}
