/**
 * The interpreter loop (QEMU: cpu_exec / cpu_exec_loop, with the decode cache standing in for
 * translation blocks). One monomorphic function: it executes predecoded instructions (ops.ts)
 * from the decode cache (code-cache.ts), runs compiled blocks (jit.ts) where there are some, and
 * calls out for slow paths and for the rarely executed ops (exec-system.ts).
 *
 * Loop state kept in locals: pc = pageBase + pcOff, where pageBase is the signed virtual base of
 * the current code page (a double) and pcOff an int. Sequential code and branches within the page
 * only touch pcOff; (pcOff >>> 0) >= 4096 means "pc left the page": the next iteration looks the
 * page up again (fetch TLB, then page walk). pcOff = RESYNC means "the new pc is in cpu.pc".
 *
 * Per instruction the loop tests cpu.events (anything that changed behind its back: interrupts,
 * stop requests, translation context), the budget, the page bound, the decoded word (0: decode
 * it; negative: a compiled block starts here), and a per-page breakpoint flag (false unless a
 * breakpoint is set on this page).
 *
 * Calling convention of slow helpers: before the call the loop stores cpu.pc (and cpu.runN);
 * a helper that returns false has raised an exception (cpu.pc = trap vector) or requested a stop
 * without completing the instruction, and the loop resumes from cpu.pc. Helpers that change the
 * translation context or interrupt state set cpu.events.
 *
 * V8 note: every path through this function must have run before V8 optimizes it, or its first
 * run deoptimizes the whole loop (warmup.ts sees to that); rare paths therefore only assign
 * constants (RESYNC) and call helpers.
 */

import type { StopReason } from './cpu-api';
import type { RiscvCpu } from './cpu';
import { BLOCK_CALLS_COUNTED, CodePage } from './code-cache';
import { DEC } from './decode';
import { Ev, STOP_BUDGET, STOP_INTERRUPTED, STOP_WFI } from './events';
import { decode_slot, fetch_page } from './fetch';
import { load_slow, store_slow } from './ldst';
import { riscv_cpu_exec_interrupt } from './trap';
import { exec_system, Sys } from './exec-system';
import {
  div64,
  divu64,
  divuw,
  divw,
  mul64,
  mulh64,
  mulhsu64,
  mulhu64,
  rem64,
  remu64,
  remuw,
  remw,
  sll64,
  sra64,
  srl64,
} from './int64';
import { Op } from './ops';
import { TlbGeom } from './tlb';
import { jit_tier2, land, tier2Calls } from './jit';
import { DEOPT_CHECK_EVERY, FEEDBACK_CALLS, jit_feedback_done } from './jit-park';

const TWO32 = 4294967296;
/** Placeholder page before the first fetch (never executed: pcOff starts out of range). */
const NO_PAGE = new CodePage(-1, 0);
/**
 * pcOff value meaning "pc is in cpu.pc, look its page up": out of page range like any other
 * crossing, and a plain constant so the (rare) paths that set it need no type feedback.
 */
const RESYNC = 0x40000000;

function finish(cpu: RiscvCpu, n: number, r: StopReason): StopReason {
  cpu.retired += n - cpu.runNonRetired;
  cpu.runN = 0;
  cpu.runNonRetired = 0;
  return r;
}

/**
 * Run up to `budget` loop iterations (instructions or trap entries). `stepping` ignores a
 * breakpoint at the first instruction (step(), or resuming from a breakpoint stop).
 */
export function cpu_exec(cpu: RiscvCpu, budget: number, stepping: boolean): StopReason {
  const x = cpu.xr;
  const u8 = cpu.ramU8;
  const i8 = cpu.ramI8;
  const u16 = cpu.ramU16;
  const i16 = cpu.ramI16;
  const i32 = cpu.ramI32;
  const rt = cpu.rtlb.e;
  const wt = cpu.wtlb.e;

  let dBase = cpu.dataIdx * TlbGeom.SLOT;
  let page = NO_PAGE;
  let ops = page.ops;
  let pageBase = 0;
  let pcOff = RESYNC;
  let bpHere = false;
  const skipBpPc = stepping || cpu.lastBpPc === cpu.pc ? cpu.pc : NaN;
  cpu.lastBpPc = NaN;
  cpu.wpResumePc = cpu.lastWpPc;
  cpu.lastWpPc = NaN;
  cpu.runN = 0;
  cpu.runNonRetired = 0;
  let n = 0;

  for (;;) {
    if (n >= budget) break;
    if (cpu.events !== 0) {
      if (pcOff !== RESYNC) cpu.pc = pageBase + pcOff;
      cpu.runN = n;
      const ev = cpu.events;
      cpu.events = 0;
      if (ev & Ev.STOP) {
        const r = cpu.stopReason ?? STOP_INTERRUPTED;
        cpu.stopReason = null;
        cpu.events = ev & ~Ev.STOP;
        return finish(cpu, n, r);
      }
      if (ev & Ev.CTX) pcOff = RESYNC;
      if (ev & Ev.IRQ && riscv_cpu_exec_interrupt(cpu)) {
        n++;
        pcOff = RESYNC;
      }
      dBase = cpu.dataIdx * TlbGeom.SLOT;
      continue;
    }
    if (pcOff >>> 0 >= 4096) {
      if (pcOff !== RESYNC) cpu.pc = pageBase + pcOff;
      const pc = cpu.pc;
      cpu.runN = n;
      const pg = fetch_page(cpu);
      if (pg === null) {
        n++;
        pcOff = RESYNC;
        continue;
      }
      page = pg;
      ops = pg.ops;
      pageBase = cpu.fetchVBase;
      pcOff = (pc - pageBase) | 0;
      bpHere = cpu.fetchBp;
      land(cpu, page, pcOff);
    }
    let w = ops[pcOff];
    let imm = ops[pcOff + 1];
    if (w <= 0) {
      if (w === 0) {
        cpu.pc = pageBase + pcOff;
        cpu.runN = n;
        if (!decode_slot(cpu, page, pcOff)) {
          n++;
          pcOff = RESYNC;
          continue;
        }
        w = DEC[0];
        imm = DEC[1];
      } else {
        // Head of a compiled block (jit.ts): run it unless a breakpoint or the budget says no.
        const s = pcOff >>> 1;
        if (!bpHere && n + page.blockLen[s] <= budget) {
          cpu.runN = n;
          // (A block's first calls record V8's type feedback in V8's unoptimized tiers: for few
          // instructions, jit-park.ts FEEDBACK_CALLS.)
          const calls = page.blockCalls[s];
          const left = calls < FEEDBACK_CALLS ? page.blockLen[s] * 4 : budget - n;
          const r = page.blocks![s]!(cpu, x, pageBase, dBase, n, left < budget - n ? left : budget - n);
          // Count calls; the tier-2 recompile replaces the block for the next call (its budget
          // check needs the new block's length).
          if (calls !== BLOCK_CALLS_COUNTED) {
            page.blockCalls[s] = calls + 1;
            if (calls + 1 >= tier2Calls) jit_tier2(cpu, page, pageBase, pcOff);
            else if (calls + 1 >= FEEDBACK_CALLS && (calls < FEEDBACK_CALLS + 1 || (calls & (DEOPT_CHECK_EVERY - 1)) === 0)) jit_feedback_done(page, pcOff, calls + 1);
          }
          // A block follows changes of the data MMU index itself (jit-gen.ts, CSR writes).
          dBase = cpu.dataIdx * TlbGeom.SLOT;
          if (r > 0) {
            n += r;
            pcOff = cpu.jitNext | 0;
            if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
          } else {
            n -= r;
            const o = cpu.pc - pageBase;
            if (o >= 0 && o < 4096) {
              pcOff = o | 0;
              land(cpu, page, pcOff);
            } else pcOff = RESYNC;
          }
          continue;
        }
        w &= 0x7fffffff;
      }
    }
    if (bpHere) {
      const pc = pageBase + pcOff;
      if (cpu.bpSet.has(pc) && !(n === 0 && pc === skipBpPc)) {
        cpu.pc = pc;
        cpu.lastBpPc = pc;
        return finish(cpu, n, { kind: 'breakpoint', pc: BigInt.asUintN(64, BigInt(pc)) });
      }
    }
    n++;
    switch (w & 0xff) {
      case Op.LI: {
        const d = (w >>> 8) & 127;
        x[d] = imm;
        x[d + 1] = imm >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.MV: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        x[d] = x[a];
        x[d + 1] = x[a + 1];
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.AUIPC: {
        const d = (w >>> 8) & 127;
        const v = pageBase + pcOff + imm;
        x[d] = v | 0;
        x[d + 1] = Math.floor(v / TWO32) | 0;
        pcOff += 4;
        break;
      }
      case Op.JAL: {
        const d = (w >>> 8) & 127;
        const link = pageBase + pcOff + (4 - ((w >>> 28) & 2));
        x[d] = link | 0;
        x[d + 1] = Math.floor(link / TWO32) | 0;
        pcOff += imm;
        if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        break;
      }
      case Op.JALR: {
        const a = (w >>> 15) & 127;
        const blo = x[a];
        const tlo = ((blo + imm) | 0) & ~1;
        const thi = (x[a + 1] + (imm >> 31) + (((blo + imm) | 0) >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const d = (w >>> 8) & 127;
        const link = pageBase + pcOff + (4 - ((w >>> 28) & 2));
        x[d] = link | 0;
        x[d + 1] = Math.floor(link / TWO32) | 0;
        if (thi >= -0x100000 && thi < 0x100000) {
          const t = thi * TWO32 + (tlo >>> 0);
          const o = t - pageBase;
          if (o >= 0 && o < 4096) {
            pcOff = o | 0;
            land(cpu, page, pcOff);
          } else {
            cpu.pc = t;
            pcOff = RESYNC;
          }
        } else {
          cpu.setPcPair(tlo, thi);
          pcOff = RESYNC;
        }
        break;
      }
      case Op.BEQ: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        if (x[a] === x[b] && x[a + 1] === x[b + 1]) {
          pcOff += imm;
          if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        } else pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.BNE: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        if (x[a] !== x[b] || x[a + 1] !== x[b + 1]) {
          pcOff += imm;
          if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        } else pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.BLT: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const ah = x[a + 1];
        const bh = x[b + 1];
        if (ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0)) {
          pcOff += imm;
          if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        } else pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.BGE: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const ah = x[a + 1];
        const bh = x[b + 1];
        if (ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0)) pcOff += 4 - ((w >>> 28) & 2);
        else {
          pcOff += imm;
          if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        }
        break;
      }
      case Op.BLTU: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const ah = x[a + 1] >>> 0;
        const bh = x[b + 1] >>> 0;
        if (ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0)) {
          pcOff += imm;
          if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        } else pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.BGEU: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const ah = x[a + 1] >>> 0;
        const bh = x[b + 1] >>> 0;
        if (ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0)) pcOff += 4 - ((w >>> 28) & 2);
        else {
          pcOff += imm;
          if (pcOff >>> 0 < 4096) land(cpu, page, pcOff);
        }
        break;
      }
      case Op.LB:
      case Op.LBU: {
        const a = (w >>> 15) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        let v: number;
        if (rt[ti] === (lo & -4096) && rt[ti + 1] === hi) {
          v = u8[rt[ti + 2] + (lo & 4095)];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!load_slow(cpu, lo, hi, 1)) {
            pcOff = RESYNC;
            continue;
          }
          v = cpu.ldLo;
        }
        const d = (w >>> 8) & 127;
        if ((w & 0xff) === Op.LB) v = (v << 24) >> 24;
        x[d] = v;
        x[d + 1] = v >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.LH:
      case Op.LHU: {
        const a = (w >>> 15) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        let v: number;
        if (rt[ti] === (lo & -4095) && rt[ti + 1] === hi) {
          v = u16[(rt[ti + 2] + (lo & 4095)) >>> 1];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!load_slow(cpu, lo, hi, 2)) {
            pcOff = RESYNC;
            continue;
          }
          v = cpu.ldLo;
        }
        const d = (w >>> 8) & 127;
        if ((w & 0xff) === Op.LH) v = (v << 16) >> 16;
        x[d] = v;
        x[d + 1] = v >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.LW: {
        const a = (w >>> 15) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        let v: number;
        if (rt[ti] === (lo & -4093) && rt[ti + 1] === hi) {
          v = i32[(rt[ti + 2] + (lo & 4095)) >>> 2];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!load_slow(cpu, lo, hi, 4)) {
            pcOff = RESYNC;
            continue;
          }
          v = cpu.ldLo;
        }
        const d = (w >>> 8) & 127;
        x[d] = v;
        x[d + 1] = v >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.LWU: {
        const a = (w >>> 15) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        let v: number;
        if (rt[ti] === (lo & -4093) && rt[ti + 1] === hi) {
          v = i32[(rt[ti + 2] + (lo & 4095)) >>> 2];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!load_slow(cpu, lo, hi, 4)) {
            pcOff = RESYNC;
            continue;
          }
          v = cpu.ldLo;
        }
        const d = (w >>> 8) & 127;
        x[d] = v;
        x[d + 1] = 0;
        pcOff += 4;
        break;
      }
      case Op.LD: {
        const a = (w >>> 15) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        const d = (w >>> 8) & 127;
        if (rt[ti] === (lo & -4089) && rt[ti + 1] === hi) {
          const wi = (rt[ti + 2] + (lo & 4095)) >>> 2;
          x[d] = i32[wi];
          x[d + 1] = i32[wi + 1];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!load_slow(cpu, lo, hi, 8)) {
            pcOff = RESYNC;
            continue;
          }
          x[d] = cpu.ldLo;
          x[d + 1] = cpu.ldHi;
        }
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SB: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        if (wt[ti] === (lo & -4096) && wt[ti + 1] === hi) {
          u8[wt[ti + 2] + (lo & 4095)] = x[b];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!store_slow(cpu, lo, hi, 1, x[b] & 0xff, 0)) {
            pcOff = RESYNC;
            continue;
          }
        }
        pcOff += 4;
        break;
      }
      case Op.SH: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        if (wt[ti] === (lo & -4095) && wt[ti + 1] === hi) {
          u16[(wt[ti + 2] + (lo & 4095)) >>> 1] = x[b];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!store_slow(cpu, lo, hi, 2, x[b] & 0xffff, 0)) {
            pcOff = RESYNC;
            continue;
          }
        }
        pcOff += 4;
        break;
      }
      case Op.SW: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        if (wt[ti] === (lo & -4093) && wt[ti + 1] === hi) {
          i32[(wt[ti + 2] + (lo & 4095)) >>> 2] = x[b];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!store_slow(cpu, lo, hi, 4, x[b], 0)) {
            pcOff = RESYNC;
            continue;
          }
        }
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SD: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const blo = x[a];
        const lo = (blo + imm) | 0;
        const hi = (x[a + 1] + (imm >> 31) + (lo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        const ti = dBase + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
        if (wt[ti] === (lo & -4089) && wt[ti + 1] === hi) {
          const wi = (wt[ti + 2] + (lo & 4095)) >>> 2;
          i32[wi] = x[b];
          i32[wi + 1] = x[b + 1];
        } else {
          cpu.pc = pageBase + pcOff;
          cpu.runN = n;
          if (!store_slow(cpu, lo, hi, 8, x[b], x[b + 1])) {
            pcOff = RESYNC;
            continue;
          }
        }
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.ADDI: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const alo = x[a];
        const lo = (alo + imm) | 0;
        x[d + 1] = (x[a + 1] + (imm >> 31) + (lo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
        x[d] = lo;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SLTI: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const ah = x[a + 1];
        const bh = imm >> 31;
        x[d] = ah < bh || (ah === bh && x[a] >>> 0 < imm >>> 0) ? 1 : 0;
        x[d + 1] = 0;
        pcOff += 4;
        break;
      }
      case Op.SLTIU: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const ah = x[a + 1] >>> 0;
        const bh = (imm >> 31) >>> 0;
        x[d] = ah < bh || (ah === bh && x[a] >>> 0 < imm >>> 0) ? 1 : 0;
        x[d + 1] = 0;
        pcOff += 4;
        break;
      }
      case Op.XORI: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        x[d] = x[a] ^ imm;
        x[d + 1] = x[a + 1] ^ (imm >> 31);
        pcOff += 4;
        break;
      }
      case Op.ORI: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        x[d] = x[a] | imm;
        x[d + 1] = x[a + 1] | (imm >> 31);
        pcOff += 4;
        break;
      }
      case Op.ANDI: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        x[d] = x[a] & imm;
        x[d + 1] = x[a + 1] & (imm >> 31);
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SLLI: {
        const a = (w >>> 15) & 127;
        sll64(x, (w >>> 8) & 127, x[a], x[a + 1], imm);
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SRLI: {
        const a = (w >>> 15) & 127;
        srl64(x, (w >>> 8) & 127, x[a], x[a + 1], imm);
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SRAI: {
        const a = (w >>> 15) & 127;
        sra64(x, (w >>> 8) & 127, x[a], x[a + 1], imm);
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.ADD: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const alo = x[a];
        const lo = (alo + x[b]) | 0;
        x[d + 1] = (x[a + 1] + x[b + 1] + (lo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
        x[d] = lo;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SUB: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const alo = x[a];
        const blo = x[b];
        x[d + 1] = (x[a + 1] - x[b + 1] - (alo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
        x[d] = (alo - blo) | 0;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SLL: {
        const a = (w >>> 15) & 127;
        sll64(x, (w >>> 8) & 127, x[a], x[a + 1], x[(w >>> 22) & 127] & 63);
        pcOff += 4;
        break;
      }
      case Op.SLT: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const ah = x[a + 1];
        const bh = x[b + 1];
        x[d] = ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0) ? 1 : 0;
        x[d + 1] = 0;
        pcOff += 4;
        break;
      }
      case Op.SLTU: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        const ah = x[a + 1] >>> 0;
        const bh = x[b + 1] >>> 0;
        x[d] = ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0) ? 1 : 0;
        x[d + 1] = 0;
        pcOff += 4;
        break;
      }
      case Op.XOR: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        x[d] = x[a] ^ x[b];
        x[d + 1] = x[a + 1] ^ x[b + 1];
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SRL: {
        const a = (w >>> 15) & 127;
        srl64(x, (w >>> 8) & 127, x[a], x[a + 1], x[(w >>> 22) & 127] & 63);
        pcOff += 4;
        break;
      }
      case Op.SRA: {
        const a = (w >>> 15) & 127;
        sra64(x, (w >>> 8) & 127, x[a], x[a + 1], x[(w >>> 22) & 127] & 63);
        pcOff += 4;
        break;
      }
      case Op.OR: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        x[d] = x[a] | x[b];
        x[d + 1] = x[a + 1] | x[b + 1];
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.AND: {
        const d = (w >>> 8) & 127;
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        x[d] = x[a] & x[b];
        x[d + 1] = x[a + 1] & x[b + 1];
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.ADDIW: {
        const d = (w >>> 8) & 127;
        const r = (x[(w >>> 15) & 127] + imm) | 0;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SLLIW: {
        const d = (w >>> 8) & 127;
        const r = x[(w >>> 15) & 127] << imm;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.SRLIW: {
        const d = (w >>> 8) & 127;
        const r = (x[(w >>> 15) & 127] >>> imm) | 0;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.SRAIW: {
        const d = (w >>> 8) & 127;
        const r = x[(w >>> 15) & 127] >> imm;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.ADDW: {
        const d = (w >>> 8) & 127;
        const r = (x[(w >>> 15) & 127] + x[(w >>> 22) & 127]) | 0;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SUBW: {
        const d = (w >>> 8) & 127;
        const r = (x[(w >>> 15) & 127] - x[(w >>> 22) & 127]) | 0;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      }
      case Op.SLLW: {
        const d = (w >>> 8) & 127;
        const r = x[(w >>> 15) & 127] << (x[(w >>> 22) & 127] & 31);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.SRLW: {
        const d = (w >>> 8) & 127;
        const r = (x[(w >>> 15) & 127] >>> (x[(w >>> 22) & 127] & 31)) | 0;
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.SRAW: {
        const d = (w >>> 8) & 127;
        const r = x[(w >>> 15) & 127] >> (x[(w >>> 22) & 127] & 31);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.MUL: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        mul64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.MULH: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        mulh64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.MULHSU: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        mulhsu64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.MULHU: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        mulhu64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.DIV: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        div64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.DIVU: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        divu64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.REM: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        rem64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.REMU: {
        const a = (w >>> 15) & 127;
        const b = (w >>> 22) & 127;
        remu64(x, (w >>> 8) & 127, x[a], x[a + 1], x[b], x[b + 1]);
        pcOff += 4;
        break;
      }
      case Op.MULW: {
        const d = (w >>> 8) & 127;
        const r = Math.imul(x[(w >>> 15) & 127], x[(w >>> 22) & 127]);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.DIVW: {
        const d = (w >>> 8) & 127;
        const r = divw(x[(w >>> 15) & 127], x[(w >>> 22) & 127]);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.DIVUW: {
        const d = (w >>> 8) & 127;
        const r = divuw(x[(w >>> 15) & 127], x[(w >>> 22) & 127]);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.REMW: {
        const d = (w >>> 8) & 127;
        const r = remw(x[(w >>> 15) & 127], x[(w >>> 22) & 127]);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.REMUW: {
        const d = (w >>> 8) & 127;
        const r = remuw(x[(w >>> 15) & 127], x[(w >>> 22) & 127]);
        x[d] = r;
        x[d + 1] = r >> 31;
        pcOff += 4;
        break;
      }
      case Op.NOP:
        pcOff += 4 - ((w >>> 28) & 2);
        break;
      case Op.FENCE_I:
        // Zifencei: the decode cache is coherent with every store already (code-cache.ts); what
        // other threads' DMA marked is dropped now, and pages get their content checked on entry.
        cpu.codeCache.fenceI();
        cpu.events |= Ev.CTX;
        pcOff += 4;
        break;
      default: {
        // SYSTEM, A, F/D and illegal encodings (exec-system.ts).
        cpu.pc = pageBase + pcOff;
        cpu.runN = n;
        const r = exec_system(cpu, w, imm);
        if (r === Sys.NEXT) {
          pcOff += 4 - ((w >>> 28) & 2);
          break;
        }
        if (r === Sys.JUMP) {
          pcOff = RESYNC;
          continue;
        }
        cpu.pc = pageBase + pcOff + 4;
        return finish(cpu, n, STOP_WFI);
      }
    }
  }
  if (pcOff !== RESYNC) cpu.pc = pageBase + pcOff;
  return finish(cpu, n, STOP_BUDGET);
}
