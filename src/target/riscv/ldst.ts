/**
 * Slow paths of data loads and stores (QEMU accel/tcg/cputlb.c load_helper/store_helper and
 * target/riscv riscv_cpu_tlb_fill): TLB misses, MMIO, misaligned accesses, page-crossing accesses,
 * stores into pages holding decoded code, and watchpoints.
 *
 * Misaligned loads and stores are performed, not trapped (allowed by the ISA manual §2.6; QEMU 7.2
 * on virt does the same). A page-crossing access translates both pages before touching memory;
 * a fault on the first page reports the original address in tval, a fault on the second the
 * second page's base address (QEMU's split into two accesses does the same).
 *
 * Every function that can fault returns false (or -1) after raising the exception at cpu.pc, which
 * the interpreter has synced before calling.
 */

import type { RiscvCpu } from './cpu';
import { Access, Excp, Mstatus } from './cpu-bits';
import { Ev } from './events';
import { get_physical_address, Prot, walk } from './mmu';
import { raise_exception } from './trap';
import { dataTlbIndex } from './tlb';

const TWO32 = 4294967296;
const PAGE_FAULT = [Excp.LOAD_PAGE_FAULT, Excp.STORE_PAGE_FAULT, Excp.INST_PAGE_FAULT];
const ACCESS_FAULT = [Excp.LOAD_ACCESS_FAULT, Excp.STORE_AMO_ACCESS_FAULT, Excp.INST_ACCESS_FAULT];

/** Watch kinds of an access: bit 0 reads, bit 1 writes. */
export const enum WatchKind {
  READ = 1,
  WRITE = 2,
}

/**
 * Check watchpoints for an access of `size` bytes at (lo, hi). A read hit stops *before* the
 * access (returns true: the caller must abandon the instruction without a trap); a write hit lets
 * the access complete and stops after the instruction. The access that stopped at a read
 * watchpoint is let through once when execution resumes at the same pc.
 */
function check_watchpoints(cpu: RiscvCpu, lo: number, hi: number, size: number, kind: number): boolean {
  const va = hi * TWO32 + (lo >>> 0);
  for (const w of cpu.watchpoints) {
    if (va + size <= w.start || va >= w.end) continue;
    const reads = (kind & WatchKind.READ) !== 0 && (w.type === 'read' || w.type === 'access');
    const writes = (kind & WatchKind.WRITE) !== 0 && (w.type === 'write' || w.type === 'access');
    if (reads) {
      if (cpu.runN === 1 && cpu.pc === cpu.wpResumePc) continue; // resuming past this very access
      cpu.stopReason = { kind: 'watchpoint', type: w.type, addr: BigInt.asUintN(64, BigInt(va)), id: w.id };
      cpu.lastWpPc = cpu.pc;
      cpu.events |= Ev.STOP;
      cpu.runNonRetired++;
      return true;
    }
    if (writes && cpu.stopReason === null) {
      cpu.stopReason = { kind: 'watchpoint', type: w.type, addr: BigInt.asUintN(64, BigInt(va)), id: w.id };
      cpu.events |= Ev.STOP;
    }
  }
  return false;
}

/**
 * riscv_cpu_tlb_fill for data accesses: translate (lo, hi) at the data privilege, raise the page
 * fault on failure, check watchpoints, and enter plain RAM pages into the fast TLBs. Returns the
 * physical address, or -1 when the access must not proceed (exception raised or watchpoint stop).
 * A plugin mem hook (cpu-api.ts ExecHooks.mem) sees the access here, and then nothing enters the
 * fast TLBs, so the next access comes here too.
 */
export function tlb_fill_data(cpu: RiscvCpu, lo: number, hi: number, access: Access, size: number, watch: number): number {
  const pa = get_physical_address(cpu, lo, hi, access, cpu.dataPriv, false);
  if (pa < 0) {
    raise_exception(cpu, PAGE_FAULT[access], lo, hi);
    return -1;
  }
  const prot = walk.prot;
  if (cpu.watchpoints.length !== 0 && cpu.wpPages.size !== 0) {
    const pg = Math.floor((hi * TWO32 + (lo >>> 0)) / 4096);
    if (cpu.wpPages.has(pg) || cpu.wpPages.has(Math.floor((hi * TWO32 + (lo >>> 0) + size - 1) / 4096))) {
      if (check_watchpoints(cpu, lo, hi, size, watch)) return -1;
      const hooks = cpu.execHooks;
      if (hooks !== null && hooks.mem !== null) hooks.mem(cpu, hi * TWO32 + (lo >>> 0), pa, size, watch);
      return pa; // watched pages never enter the fast TLBs
    }
  }
  const hooks = cpu.execHooks;
  if (hooks !== null && hooks.mem !== null) {
    hooks.mem(cpu, hi * TWO32 + (lo >>> 0), pa, size, watch);
    return pa; // plugins see every access: none takes the fast path
  }
  const ramOff = pa - cpu.ramBase;
  if (ramOff >= 0 && ramOff < cpu.ramSize) {
    const pageOff = ramOff - (lo & 4095);
    const idx = cpu.dataIdx;
    if (prot & Prot.R) cpu.rtlb.set(idx, lo, hi, pageOff);
    if (prot & Prot.W && !cpu.codeCache.isCodePage(pageOff)) cpu.wtlb.set(idx, lo, hi, pageOff);
  }
  return pa;
}

/** Add a small non-negative number to a (lo, hi) pair; result in pairOut. */
const pairOut = new Int32Array(2);
function pairAdd(lo: number, hi: number, n: number): void {
  const r = (lo + n) | 0;
  pairOut[0] = r;
  pairOut[1] = (hi + (r >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
}

/** Read `size` bytes at physical `pa` into cpu.ldLo/ldHi (sizes 1, 2 zero-extended; 4 as int32). */
export function load_phys(cpu: RiscvCpu, pa: number, size: number, lo: number, hi: number): boolean {
  const off = pa - cpu.ramBase;
  if (off >= 0 && off + size <= cpu.ramSize) {
    const dv = cpu.ramView;
    if (size === 1) cpu.ldLo = cpu.ramU8[off];
    else if (size === 2) cpu.ldLo = dv.getUint16(off, true);
    else if (size === 4) cpu.ldLo = dv.getInt32(off, true);
    else {
      cpu.ldLo = dv.getInt32(off, true);
      cpu.ldHi = dv.getInt32(off + 4, true);
    }
    return true;
  }
  const as = cpu.as;
  if ((pa & (size - 1)) !== 0) {
    // Misaligned MMIO: byte accesses.
    let vlo = 0;
    let vhi = 0;
    for (let i = 0; i < size; i++) {
      const b = as.ioRead(pa + i, 1);
      if (as.lastAccessFailed) return raise_exception(cpu, Excp.LOAD_ACCESS_FAULT, lo, hi);
      if (i < 4) vlo |= b << (8 * i);
      else vhi |= b << (8 * (i - 4));
    }
    cpu.ldLo = vlo;
    cpu.ldHi = vhi;
    return true;
  }
  const v = as.ioRead(pa, size as 1 | 2 | 4 | 8);
  if (as.lastAccessFailed) return raise_exception(cpu, Excp.LOAD_ACCESS_FAULT, lo, hi);
  cpu.ldLo = size === 4 || size === 8 ? v | 0 : v;
  cpu.ldHi = size === 8 ? as.ioHigh | 0 : 0;
  return true;
}

/** Write the low `size` bytes of (vlo, vhi) at physical `pa`; keeps decoded code coherent. */
export function store_phys(cpu: RiscvCpu, pa: number, size: number, vlo: number, vhi: number, lo: number, hi: number): boolean {
  const off = pa - cpu.ramBase;
  if (off >= 0 && off + size <= cpu.ramSize) {
    const dv = cpu.ramView;
    if (size === 1) cpu.ramU8[off] = vlo;
    else if (size === 2) dv.setUint16(off, vlo & 0xffff, true);
    else if (size === 4) dv.setInt32(off, vlo, true);
    else {
      dv.setInt32(off, vlo, true);
      dv.setInt32(off + 4, vhi, true);
    }
    const cc = cpu.codeCache;
    if (cc.isCodePage(off - (off & 4095)) || cc.isCodePage(off + size - 1 - ((off + size - 1) & 4095))) {
      cc.invalidateRange(off, size);
    }
    return true;
  }
  const as = cpu.as;
  if ((pa & (size - 1)) !== 0) {
    for (let i = 0; i < size; i++) {
      const b = i < 4 ? vlo >>> (8 * i) : vhi >>> (8 * (i - 4));
      as.ioWrite(pa + i, 1, b & 0xff);
      if (as.lastAccessFailed) return raise_exception(cpu, Excp.STORE_AMO_ACCESS_FAULT, lo, hi);
    }
    return true;
  }
  as.ioWrite(pa, size as 1 | 2 | 4 | 8, size === 1 ? vlo & 0xff : size === 2 ? vlo & 0xffff : vlo >>> 0, vhi >>> 0);
  if (as.lastAccessFailed) return raise_exception(cpu, Excp.STORE_AMO_ACCESS_FAULT, lo, hi);
  return true;
}

/** A load that missed the fast path: result in cpu.ldLo/ldHi (raw bits, see load_phys). */
export function load_slow(cpu: RiscvCpu, lo: number, hi: number, size: number): boolean {
  const pageRest = 4096 - (lo & 4095);
  if (pageRest >= size) {
    const pa = tlb_fill_data(cpu, lo, hi, Access.LOAD, size, WatchKind.READ);
    if (pa < 0) return false;
    return load_phys(cpu, pa, size, lo, hi);
  }
  // Page-crossing: both translations first, then the bytes.
  const pa1 = tlb_fill_data(cpu, lo, hi, Access.LOAD, pageRest, WatchKind.READ);
  if (pa1 < 0) return false;
  pairAdd(lo, hi, pageRest);
  const lo2 = pairOut[0];
  const hi2 = pairOut[1];
  const pa2 = tlb_fill_data(cpu, lo2, hi2, Access.LOAD, size - pageRest, WatchKind.READ);
  if (pa2 < 0) return false;
  let vlo = 0;
  let vhi = 0;
  for (let i = 0; i < size; i++) {
    if (!load_phys(cpu, i < pageRest ? pa1 + i : pa2 + (i - pageRest), 1, lo, hi)) return false;
    const b = cpu.ldLo;
    if (i < 4) vlo |= b << (8 * i);
    else vhi |= b << (8 * (i - 4));
  }
  cpu.ldLo = vlo;
  cpu.ldHi = vhi;
  return true;
}

/** A store that missed the fast path. */
export function store_slow(cpu: RiscvCpu, lo: number, hi: number, size: number, vlo: number, vhi: number): boolean {
  const pageRest = 4096 - (lo & 4095);
  if (pageRest >= size) {
    const pa = tlb_fill_data(cpu, lo, hi, Access.STORE, size, WatchKind.WRITE);
    if (pa < 0) return false;
    return store_phys(cpu, pa, size, vlo, vhi, lo, hi);
  }
  const pa1 = tlb_fill_data(cpu, lo, hi, Access.STORE, pageRest, WatchKind.WRITE);
  if (pa1 < 0) return false;
  pairAdd(lo, hi, pageRest);
  const pa2 = tlb_fill_data(cpu, pairOut[0], pairOut[1], Access.STORE, size - pageRest, WatchKind.WRITE);
  if (pa2 < 0) return false;
  for (let i = 0; i < size; i++) {
    const b = i < 4 ? vlo >>> (8 * i) : vhi >>> (8 * (i - 4));
    if (!store_phys(cpu, i < pageRest ? pa1 + i : pa2 + (i - pageRest), 1, b & 0xff, 0, lo, hi)) return false;
  }
  return true;
}

/** Access fault cause for an access type (exported for the fetch path). */
export function accessFaultCause(access: Access): number {
  return ACCESS_FAULT[access];
}

/**
 * FLW/FLD (ISA manual §11.5, §12.3): load into f[rd]; FLW NaN-boxes (high word all ones).
 * The caller has checked mstatus.FS; the load marks FS dirty.
 */
export function fp_load(cpu: RiscvCpu, w: number, imm: number, size: number): boolean {
  const x = cpu.xr;
  const a = (w >>> 15) & 127;
  const blo = x[a];
  const lo = (blo + imm) | 0;
  const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
  const ti = dataTlbIndex(cpu.dataIdx, lo);
  const t = cpu.rtlb;
  let vlo: number;
  let vhi: number;
  if (t.e[ti] === (lo & ~(0xfff & ~(size - 1))) && t.e[ti + 1] === hi) {
    const wi = (t.e[ti + 2] + (lo & 4095)) >>> 2;
    vlo = cpu.ramI32[wi];
    vhi = size === 8 ? cpu.ramI32[wi + 1] : -1;
  } else {
    if (!load_slow(cpu, lo, hi, size)) return false;
    vlo = cpu.ldLo;
    vhi = size === 8 ? cpu.ldHi : -1;
  }
  const d = (w >>> 8) & 127;
  cpu.fi[d] = vlo;
  cpu.fi[d + 1] = vhi;
  cpu.mstatus |= Mstatus.FS;
  return true;
}

/** FSW/FSD: store the low 32 bits / all 64 bits of f[rs2]. */
export function fp_store(cpu: RiscvCpu, w: number, imm: number, size: number): boolean {
  const x = cpu.xr;
  const a = (w >>> 15) & 127;
  const b = (w >>> 22) & 127;
  const blo = x[a];
  const lo = (blo + imm) | 0;
  const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
  const ti = dataTlbIndex(cpu.dataIdx, lo);
  const t = cpu.wtlb;
  const vlo = cpu.fi[b];
  const vhi = cpu.fi[b + 1];
  if (t.e[ti] === (lo & ~(0xfff & ~(size - 1))) && t.e[ti + 1] === hi) {
    const wi = (t.e[ti + 2] + (lo & 4095)) >>> 2;
    cpu.ramI32[wi] = vlo;
    if (size === 8) cpu.ramI32[wi + 1] = vhi;
    return true;
  }
  return store_slow(cpu, lo, hi, size, vlo, vhi);
}
