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
 */

import type { RiscvCpu } from './cpu';
import { Access, Excp } from './cpu-bits';
import { load_phys, store_phys, tlb_fill_data, WatchKind } from './ldst';
import { raise_exception } from './trap';

/** LR.W / LR.D. */
export function helper_lr(cpu: RiscvCpu, w: number, size: number): boolean {
  const x = cpu.xr;
  const a = (w >>> 15) & 127;
  const lo = x[a];
  const hi = x[a + 1];
  if (lo & (size - 1)) return raise_exception(cpu, Excp.LOAD_ADDR_MIS, lo, hi);
  const pa = tlb_fill_data(cpu, lo, hi, Access.LOAD, size, WatchKind.READ);
  if (pa < 0) return false;
  if (!load_phys(cpu, pa, size, lo, hi)) return false;
  const vlo = cpu.ldLo;
  const vhi = size === 4 ? vlo >> 31 : cpu.ldHi;
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
  const pa = tlb_fill_data(cpu, lo, hi, Access.STORE, size, WatchKind.READ | WatchKind.WRITE);
  if (pa < 0) return false;
  if (!load_phys(cpu, pa, size, lo, hi)) return false;
  const olo = cpu.ldLo;
  const ohi = size === 4 ? olo >> 31 : cpu.ldHi;
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
  if (!store_phys(cpu, pa, size, nlo, nhi, lo, hi)) return false;
  x[d] = olo;
  x[d + 1] = ohi;
  return true;
}
