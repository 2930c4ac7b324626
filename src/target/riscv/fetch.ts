/**
 * Instruction fetch: finding the decode-cache page for pc (QEMU: get_page_addr_code +
 * tb_lookup) and decoding a slot on first execution (QEMU: the translator's decode_opc).
 *
 * Faults: an untranslatable pc raises an instruction page fault (tval = pc); a physical address
 * that is neither RAM nor a device raises an instruction access fault. A 32-bit instruction whose
 * second half lies on the next page faults with tval = the second page's address and epc = pc,
 * as QEMU reports it.
 */

import type { RiscvCpu } from './cpu';
import { Access, Excp } from './cpu-bits';
import { CodePage } from './code-cache';
import { DEC, decode32 } from './decode';
import { decode16 } from './rvc';
import { get_physical_address } from './mmu';
import { raise_exception } from './trap';
import { FarPc } from './events';

const TWO32 = 4294967296;

/**
 * Stand-in page for code outside RAM (a boot ROM behind MMIO): its slots stay 0, so every
 * instruction is fetched through the bus and decoded each time it executes.
 */
export const UNCACHED_PAGE = new CodePage(-1, 0);

/**
 * The page holding cpu.pc, translated for fetch at the current privilege. Publishes
 * cpu.fetchVBase (the page's virtual base as a signed number) and cpu.fetchBp (breakpoints on it).
 * On a fault raises the exception and returns null.
 */
export function fetch_page(cpu: RiscvCpu): CodePage | null {
  const pc = cpu.pc;
  let lo: number;
  let hi: number;
  if (pc === FarPc.VALUE) {
    lo = cpu.farPcLo;
    hi = cpu.farPcHi;
  } else {
    lo = pc | 0;
    hi = Math.floor(pc / TWO32) | 0;
  }
  const fidx = cpu.fetchIdx;
  const cache = cpu.codeCache;
  let page = cpu.ftlb.lookup(fidx, lo, hi);
  if (page !== null) {
    if (page.epoch !== cache.epoch) page = cache.getPage(page.ramOff);
    if (page.fenceGen !== cache.fenceGen) cache.checkFence(page);
  } else {
    const pa = get_physical_address(cpu, lo, hi, Access.FETCH, cpu.priv, false);
    if (pa < 0) {
      raise_exception(cpu, Excp.INST_PAGE_FAULT, lo, hi);
      return null;
    }
    const ramOff = pa - cpu.ramBase;
    if (ramOff >= 0 && ramOff < cpu.ramSize) {
      page = cache.getPage(ramOff - (lo & 4095));
      if (page.fenceGen !== cache.fenceGen) cache.checkFence(page);
      cpu.ftlb.set(fidx, lo, hi, page);
    } else {
      if (cpu.as.findMapping(pa) === undefined) {
        raise_exception(cpu, Excp.INST_ACCESS_FAULT, lo, hi);
        return null;
      }
      cpu.fetchPagePa = pa - (lo & 4095);
      page = UNCACHED_PAGE;
    }
  }
  cpu.fetchVBase = pc - (lo & 4095);
  const bp = cpu.bpPages;
  cpu.fetchBp = bp.size !== 0 && bp.has(Math.floor(pc / 4096));
  return page;
}

/** Read a 16-bit parcel at physical `pa` (RAM or MMIO); -1 if nothing answers there. */
function fetch_parcel(cpu: RiscvCpu, pa: number): number {
  const off = pa - cpu.ramBase;
  if (off >= 0 && off + 2 <= cpu.ramSize) return cpu.ramU16[off >>> 1];
  const as = cpu.as;
  const v = as.ioRead(pa, 2);
  return as.lastAccessFailed ? -1 : v & 0xffff;
}

/**
 * Decode the instruction at byte offset `off` of `page` (cpu.pc = its address) into DEC, and cache
 * it in the page unless it straddles the page end or the page is uncached. Returns false after
 * raising a fetch fault for the second half.
 */
export function decode_slot(cpu: RiscvCpu, page: CodePage, off: number): boolean {
  const uncached = page === UNCACHED_PAGE;
  const p = uncached ? fetch_parcel(cpu, cpu.fetchPagePa + off) : cpu.ramU16[(page.ramOff + off) >>> 1];
  if (p < 0) return raise_exception(cpu, Excp.INST_ACCESS_FAULT, cpu.pc | 0, Math.floor(cpu.pc / TWO32) | 0);
  if ((p & 3) !== 3) {
    decode16(p);
  } else if (off < 4094) {
    const p2 = uncached ? fetch_parcel(cpu, cpu.fetchPagePa + off + 2) : cpu.ramU16[(page.ramOff + off + 2) >>> 1];
    if (p2 < 0) return raise_exception(cpu, Excp.INST_ACCESS_FAULT, cpu.pc | 0, Math.floor(cpu.pc / TWO32) | 0);
    decode32(p | (p2 << 16));
  } else {
    // The second parcel is on the next page: translate it now, never cache the result.
    const next = cpu.pc + 2;
    const lo = next | 0;
    const hi = Math.floor(next / TWO32) | 0;
    const pa = get_physical_address(cpu, lo, hi, Access.FETCH, cpu.priv, false);
    if (pa < 0) return raise_exception(cpu, Excp.INST_PAGE_FAULT, lo, hi);
    const p2 = fetch_parcel(cpu, pa);
    if (p2 < 0) return raise_exception(cpu, Excp.INST_ACCESS_FAULT, lo, hi);
    decode32(p | (p2 << 16));
    return true;
  }
  if (!uncached) {
    if (!page.hasCode) cpu.codeCache.markCode(page);
    page.ops[off] = DEC[0];
    page.ops[off + 1] = DEC[1];
  }
  return true;
}

/**
 * The raw bits of the instruction at cpu.pc, for mtval of illegal-instruction traps whose
 * predecoded form does not keep them (FP loads/stores with mstatus.FS off).
 */
export function raw_insn_at_pc(cpu: RiscvCpu): number {
  const pc = cpu.pc;
  const parcel = (addr: number): number => {
    const pa = get_physical_address(cpu, addr | 0, Math.floor(addr / TWO32) | 0, Access.FETCH, cpu.priv, true);
    return pa < 0 ? 0 : Math.max(0, fetch_parcel(cpu, pa));
  };
  const p = parcel(pc);
  if ((p & 3) !== 3) return p;
  return p | (parcel(pc + 2) << 16);
}
