/**
 * Interpreter warm-up: runs a small synthetic program that executes every predecoded op (and the
 * slow paths around them) once per process, before any guest code runs.
 *
 * Why: V8 optimizes cpu_exec (exec.ts) from the type feedback of the cases that ran so far. A
 * case first reached after optimization ("insufficient type feedback") deoptimizes the whole
 * loop, which then reoptimizes; booting Linux used to go through ~150 such cycles, each one
 * costing a TurboFan compile of a large function and a stretch of unoptimized execution. With
 * every case warmed up, the loop is optimized once. The program runs in M-mode at 0x8000_0000 and
 * in S-mode under Sv39 at a negative (kernel-style) virtual address, so pcs and addresses have
 * the representations guest code will use.
 *
 * The program is hand-encoded (no assembler at run time); `warmUpInterpreter().ok` says whether
 * it reached its end as designed (checked by the unit tests).
 */

import { cpuTraceHooks } from './trace-hooks';
import { AddressSpace, GuestRam } from '../../system/memory';
import type { RiscvCpu } from './cpu';
import { cpu_exec } from './exec';
import { optimizeSoon } from '../../util/v8-tiering';
import { getJitThresholds, getJitTier2Calls, setJitThreshold } from './jit';

// ---- a minimal RV64GC encoder ----
type Item =
  | number
  | { half: number }
  | { label: string }
  | { branch: number; rs1: number; rs2: number; to: string }
  | { jal: number; to: string }
  | { la: number; to: string; part: 0 | 1 };

const rr = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const ii = (imm: number, rs1: number, f3: number, rd: number, op: number) => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const ss = (imm: number, rs2: number, rs1: number, f3: number, op: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;

// registers
const ZERO = 0, RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, T3 = 28, T4 = 29, T5 = 30, T6 = 31;

const OPIMM = (f3: number) => (rd: number, rs1: number, imm: number) => ii(imm, rs1, f3, rd, 0x13);
const addi = OPIMM(0), slti = OPIMM(2), sltiu = OPIMM(3), xori = OPIMM(4), ori = OPIMM(6), andi = OPIMM(7);
const slli = (rd: number, rs1: number, sh: number) => ii(sh, rs1, 1, rd, 0x13);
const srli = (rd: number, rs1: number, sh: number) => ii(sh, rs1, 5, rd, 0x13);
const srai = (rd: number, rs1: number, sh: number) => ii(0x400 | sh, rs1, 5, rd, 0x13);
const addiw = (rd: number, rs1: number, imm: number) => ii(imm, rs1, 0, rd, 0x1b);
const slliw = (rd: number, rs1: number, sh: number) => ii(sh, rs1, 1, rd, 0x1b);
const srliw = (rd: number, rs1: number, sh: number) => ii(sh, rs1, 5, rd, 0x1b);
const sraiw = (rd: number, rs1: number, sh: number) => ii(0x400 | sh, rs1, 5, rd, 0x1b);
const OP = (f7: number, f3: number, op = 0x33) => (rd: number, a: number, b: number) => rr(f7, b, a, f3, rd, op);
const ALU = [OP(0, 0), OP(0x20, 0), OP(0, 1), OP(0, 2), OP(0, 3), OP(0, 4), OP(0, 5), OP(0x20, 5), OP(0, 6), OP(0, 7)];
const ALUW = [OP(0, 0, 0x3b), OP(0x20, 0, 0x3b), OP(0, 1, 0x3b), OP(0, 5, 0x3b), OP(0x20, 5, 0x3b)];
const MULDIV = [0, 1, 2, 3, 4, 5, 6, 7].map((f3) => OP(1, f3));
const MULDIVW = [0, 4, 5, 6, 7].map((f3) => OP(1, f3, 0x3b));
const lui = (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0;
const auipc = (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0;
const LOADS = [0, 1, 2, 3, 4, 5, 6].map((f3) => (rd: number, rs1: number, imm: number) => ii(imm, rs1, f3, rd, 0x03));
const STORES = [0, 1, 2, 3].map((f3) => (rs2: number, rs1: number, imm: number) => ss(imm, rs2, rs1, f3, 0x23));
const jalr = (rd: number, rs1: number, imm: number) => ii(imm, rs1, 0, rd, 0x67);
const csr = (f3: number, rd: number, c: number, rs1: number) => ii(c, rs1, f3, rd, 0x73);
const amo = (f5: number, f3: number, rd: number, rs1: number, rs2: number) => rr(f5 << 2, rs2, rs1, f3, rd, 0x2f);
const fld = (rd: number, rs1: number, imm: number) => ii(imm, rs1, 3, rd, 0x07);
const flw = (rd: number, rs1: number, imm: number) => ii(imm, rs1, 2, rd, 0x07);
const fsd = (rs2: number, rs1: number, imm: number) => ss(imm, rs2, rs1, 3, 0x27);
const fsw = (rs2: number, rs1: number, imm: number) => ss(imm, rs2, rs1, 2, 0x27);
const ECALL = 0x00000073, EBREAK = 0x00100073, MRET = 0x30200073, SRET = 0x10200073, WFI = 0x10500073;
const FENCE = 0x0ff0000f, FENCE_I = 0x0000100f, SFENCE = 0x12000073;
const label = (l: string): Item => ({ label: l });
const br = (f3: number, rs1: number, rs2: number, to: string): Item => ({ branch: f3, rs1, rs2, to });
const jal = (rd: number, to: string): Item => ({ jal: rd, to });
const c = (half: number): Item => ({ half });

/** li for a 32-bit signed value. */
function li(rd: number, v: number): number[] {
  const lo = (v << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  return hi ? [lui(rd, hi), addiw(rd, rd, lo)] : [addi(rd, ZERO, lo)];
}

/** Position-independent address of a label: auipc + addi (resolved in assemble). */
function la(rd: number, to: string): Item[] {
  return [
    { la: rd, to, part: 0 },
    { la: rd, to, part: 1 },
  ];
}

/** Encode `items` at RAM offset `at` (guest address RAM_BASE + at); labels may also come from `fixed`. */
function assemble(items: Item[], fixed: Map<string, number>, out: DataView, at: number): void {
  const labels = new Map(fixed);
  let pc = RAM_BASE + at;
  for (const it of items) {
    if (typeof it === 'number') pc += 4;
    else if ('label' in it) labels.set(it.label, pc);
    else if ('half' in it) pc += 2;
    else pc += 4;
  }
  const target = (l: string) => {
    const v = labels.get(l);
    if (v === undefined) throw new Error(`warmup: no label ${l}`);
    return v;
  };
  pc = RAM_BASE + at;
  let off = at;
  const put32 = (w: number) => {
    out.setUint32(off, w >>> 0, true);
    off += 4;
    pc += 4;
  };
  for (const it of items) {
    if (typeof it === 'number') put32(it);
    else if ('label' in it) continue;
    else if ('half' in it) {
      out.setUint16(off, it.half, true);
      off += 2;
      pc += 2;
    } else if ('branch' in it) {
      const d = target(it.to) - pc;
      put32(((((d >> 12) & 1) << 31) | (((d >> 5) & 0x3f) << 25) | (it.rs2 << 20) | (it.rs1 << 15) | (it.branch << 12) | (((d >> 1) & 0xf) << 8) | (((d >> 11) & 1) << 7) | 0x63) >>> 0);
    } else if ('jal' in it) {
      const d = target(it.to) - pc;
      put32(((((d >> 20) & 1) << 31) | (((d >> 1) & 0x3ff) << 21) | (((d >> 11) & 1) << 20) | (((d >> 12) & 0xff) << 12) | (it.jal << 7) | 0x6f) >>> 0);
    } else {
      const l = it;
      if (l.part === 0) {
        const d = target(l.to) - pc;
        const lo = (d << 20) >> 20;
        put32(auipc(l.la, ((d - lo) >>> 12) & 0xfffff));
      } else {
        const d = target(l.to) - (pc - 4);
        put32(addi(l.la, l.la, (d << 20) >> 20));
      }
    }
  }
}

/** The body run in both M and S mode: every ALU/memory/branch/atomic/FP/CSR op, a few times. */
function body(tag: string): Item[] {
  const L = (n: string) => `${tag}_${n}`;
  const items: Item[] = [];
  const push = (...xs: (Item | Item[])[]) => {
    for (const x of xs) Array.isArray(x) ? items.push(...x) : items.push(x);
  };
  push(addi(S1, ZERO, 3), label(L('loop')));
  push(la(A0, 'data'));
  // Values with both signs and carries across the halves.
  push(li(A1, -0x12345679), slli(A2, A1, 20), xori(A2, A2, -1), addi(A3, ZERO, 7), li(A4, 0x7fffffff));
  for (const [i, f] of ALU.entries()) push(f(T0 + (i % 3), A1 + (i % 3), A2 - (i % 2)), f(T3, A3, A2));
  for (const f of ALUW) push(f(T1, A1, A3), f(T2, A2, A4));
  for (const f of MULDIV) push(f(T0, A1, A3), f(T1, A2, A1), f(T2, A1, ZERO));
  // All-ones operands, and 2^63 - 1: every partial product of the 64-bit multiply helpers, and the
  // sums of them mul64 wraps, exceed int32 (without them V8 speculated small integers there and
  // deoptimized the loop mid-boot: "overflow").
  push(addi(T3, ZERO, -1), srli(T4, T3, 1));
  for (const f of MULDIV) push(f(T0, T3, T3), f(T1, T3, A4), f(T2, T4, T4));
  for (const f of MULDIVW) push(f(T0, A1, A3), f(T1, A4, ZERO));
  push(addi(T0, A1, -5), slti(T0, A1, 3), sltiu(T0, A2, -1), xori(T0, A1, 0x55), ori(T0, A2, -16), andi(T0, A1, 0x7f));
  push(slti(T0, A3, 9), slti(T0, A3, 2), sltiu(T0, A3, 9), sltiu(T0, A3, 2), ALU[3](T0, A3, A4), ALU[4](T0, A4, A3));
  push(slli(T0, A1, 3), slli(T0, A1, 40), srli(T0, A2, 5), srli(T0, A2, 33), srai(T0, A2, 7), srai(T0, A2, 60));
  push(addiw(T0, A4, 1), slliw(T0, A1, 4), srliw(T0, A1, 4), sraiw(T0, A1, 4), addiw(T0, A2, 0), addi(T1, A2, 0));
  push(lui(T0, 0x80000), auipc(T0, 0x80000), addi(T0, ZERO, 5));
  // Loads and stores: aligned (fast path), misaligned (slow path), every width.
  for (const [i, st] of STORES.entries()) push(st(A1, A0, 8 * i), st(A2, A0, 8 * i + 33));
  for (const [i, ld] of LOADS.entries()) push(ld(T0, A0, 8 * (i % 4)), ld(T1, A0, 33 + i));
  // Every load and store once more at an address that faults (slow path, failure return).
  push(li(T3, 0x40000000));
  for (const ld of LOADS) push(ld(T0, T3, 0));
  for (const st of STORES) push(st(T1, T3, 0));
  // Branches both ways.
  push(br(0, A1, A1, L('b1')), label(L('b1')), br(1, A1, A1, L('b2')), br(4, A1, A2, L('b2')), label(L('b2')));
  push(br(5, A1, A2, L('b3')), label(L('b3')), br(6, A1, A2, L('b4')), label(L('b4')), br(7, A1, A2, L('b5')), label(L('b5')));
  for (const f3 of [4, 5, 6, 7]) push(br(f3, A3, A4, L(`c${f3}`)), label(L(`c${f3}`)), br(f3, A4, A3, L(`d${f3}`)), label(L(`d${f3}`)));
  // Calls within the page and to the shared leaf on another page; a call to nowhere (the
  // handler returns to ra after the fetch fault).
  push(jal(RA, L('leaf')), la(T0, 'far_leaf'), jalr(RA, T0, 0), li(T3, 0x40000000), jalr(RA, T3, 0));
  // A direct call to another page, whose code runs on into the next page (far_seq falls through
  // to far_leaf): the loop's page crossings that are neither an indirect jump nor a trap.
  push(jal(RA, 'far_seq'));
  // CSRs, atomics, fences.
  push(csr(1, T0, 0x140, A1), csr(2, T1, 0x140, ZERO), csr(3, T1, 0x140, A3), csr(5, T0, 0x140, 3), csr(6, T0, 0x140, 1), csr(7, T0, 0x140, 1));
  push(amo(2, 3, T0, A0, ZERO), amo(3, 3, T1, A0, A1), amo(2, 2, T0, A0, ZERO), amo(3, 2, T1, A0, A2), amo(3, 3, T1, A0, A1));
  for (const f5 of [0, 1, 4, 8, 12, 16, 20, 24, 28]) push(amo(f5, 3, T0, A0, A1), amo(f5, 2, T0, A0, A2));
  push(FENCE, FENCE_I);
  // F/D loads, stores, arithmetic (FP_F) and compare (FP_X).
  push(fld(1, A0, 0), flw(2, A0, 8), fsd(1, A0, 16), fsw(2, A0, 24));
  push(rr(0x01, 1, 1, 7, 3, 0x53) /* fadd.d f3, f1, f1 */, rr(0x51, 3, 1, 2, T0, 0x53) /* feq.d t0, f1, f3 */);
  // Compressed forms: c.li, c.addi, c.mv, c.add, c.sd/c.ld, c.sw/c.lw, c.beqz/c.bnez, c.j.
  push(c(0x4505) /* c.li a0? overwritten below */, la(A0, 'data'), c(0x0505) /* c.addi a0, 1 */, c(0x157d) /* c.addi a0, -1 */);
  push(c(0x85aa) /* c.mv a1, a0 */, c(0x95aa) /* c.add a1, a0 */, c(0xe10c) /* c.sd a1, 0(a0) */, c(0x610c) /* c.ld a1, 0(a0) */);
  push(c(0xc10c) /* c.sw a1, 0(a0) */, c(0x410c) /* c.lw a1, 0(a0) */, c(0xc111) /* c.beqz a0, +4 */, c(0x0001), c(0xe111) /* c.bnez a0, +4 */, c(0x0001));
  push(c(0xa011) /* c.j +4 */, c(0x0001), c(0x0001) /* keeps what follows 4-byte aligned */);
  // Traps: ECALL-free ones handled by the M handler (it skips 4 bytes): EBREAK, an illegal word.
  push(EBREAK, 0xffffffff);
  push(addi(S1, S1, -1), br(1, S1, ZERO, L('loop')));
  return items;
}

const RAM_BASE = 0x80000000;
// The S-mode code runs at its kernel-style alias: VA = PA - 2^32 (0xffff_ffff_8000_0000 for RAM).

function program(): Item[] {
  const p: Item[] = [];
  const push = (...xs: (Item | Item[])[]) => {
    for (const x of xs) Array.isArray(x) ? p.push(...x) : p.push(x);
  };
  // M-mode entry: trap vector, FS on, an interrupt to take, then the body.
  push(la(T0, 'm_trap'), csr(1, ZERO, 0x305, T0));
  push(li(T0, 0x2000), csr(2, ZERO, 0x300, T0));
  push(li(T0, 2), csr(1, ZERO, 0x304, T0), csr(6, ZERO, 0x300, 8) /* MIE */, csr(2, ZERO, 0x344, T0) /* mip.SSIP */);
  // MMIO: a load, a store, and a store whose device callback calls requestStop().
  push(li(T0, 0x10000000), LOADS[2](T1, T0, 0), STORES[2](T1, T0, 0), li(T1, 0x5707), STORES[2](T1, T0, 0));
  push(body('m'));
  // Sv39: root[2] maps PA 0x8000_0000 (identity), root[510] maps VA 0xffff_ffff_8000_0000.
  push(la(T0, 'pt_root'), li(T1, 0x200000cf));
  push(sd64(T1, T0, 16), addi(T2, T0, 2040), sd64(T1, T2, 510 * 8 - 2040));
  push(srli(T0, T0, 12), addi(T1, ZERO, 8), slli(T1, T1, 60), OP(0, 6)(T0, T0, T1), csr(1, ZERO, 0x180, T0), SFENCE);
  // mret into S at the kernel alias of 's_entry'.
  // Delegate SSIP and illegal instructions to S (traps taken in S mode: riscv_cpu_do_interrupt's S arm).
  push(li(T0, 2), csr(1, ZERO, 0x303, T0), li(T0, 4), csr(1, ZERO, 0x302, T0));
  push(li(T0, 0x800), csr(2, ZERO, 0x300, T0), la(T0, 's_entry'), addi(T1, ZERO, -1), slli(T1, T1, 32), OP(0, 0)(T0, T0, T1));
  push(csr(1, ZERO, 0x341, T0), MRET);
  push(label('m_back'), csr(1, ZERO, 0x180, ZERO), SFENCE, WFI, label('end'), jal(ZERO, 'end'));
  // M trap handler: interrupts clear SSIP; ECALL from S returns to m_back; others skip 4 bytes.
  push(label('m_trap'), csr(2, T5, 0x342, ZERO), br(4, T5, ZERO, 'm_irq'), addi(T6, ZERO, 9), br(0, T5, T6, 'm_from_s'));
  push(addi(T6, ZERO, 1), br(0, T5, T6, 'm_fetch_fault'), addi(T6, ZERO, 12), br(0, T5, T6, 'm_fetch_fault'));
  push(csr(2, T5, 0x341, ZERO), addi(T5, T5, 4), csr(1, ZERO, 0x341, T5), MRET);
  push(label('m_irq'), addi(T5, ZERO, 2), csr(3, ZERO, 0x344, T5), MRET);
  push(label('m_fetch_fault'), csr(1, ZERO, 0x341, RA), MRET);
  push(label('m_from_s'), li(T5, 0x1800), csr(2, ZERO, 0x300, T5), la(T5, 'm_back'), csr(1, ZERO, 0x341, T5), addi(T6, ZERO, 1), MRET);
  // S-mode part (runs at the kernel alias): the body again, SRET within S, SFENCE.VMA, ECALL out.
  // In S: an interrupt (SSIP, delegated) and an exception (illegal, delegated) taken in S mode.
  push(label('s_entry'), la(T0, 's_trap'), csr(1, ZERO, 0x105, T0), li(T0, 2), csr(2, ZERO, 0x104, T0), csr(6, ZERO, 0x100, 2));
  push(csr(2, ZERO, 0x144, T0), addi(T0, ZERO, 0), 0xffffffff, csr(7, ZERO, 0x100, 2));
  push(body('s'), li(T0, 0x100), csr(2, ZERO, 0x100, T0), la(T0, 's_after_sret'), csr(1, ZERO, 0x141, T0), SRET);
  push(label('s_after_sret'), SFENCE, ECALL);
  // S trap handler: interrupts clear SSIP; exceptions skip 4 bytes.
  push(label('s_trap'), csr(2, T5, 0x142, ZERO), br(4, T5, ZERO, 's_irq'), csr(2, T5, 0x141, ZERO), addi(T5, T5, 4), csr(1, ZERO, 0x141, T5), SRET);
  push(label('s_irq'), addi(T5, ZERO, 2), csr(3, ZERO, 0x144, T5), SRET);
  // Leaves.
  push(label('m_leaf'), label('s_leaf'), jalr(ZERO, RA, 0));
  void S0;
  void A5;
  void SP;
  return p;
}

function sd64(rs2: number, rs1: number, imm: number): number {
  return ss(imm, rs2, rs1, 3, 0x23);
}

export interface WarmupResult {
  /** The program reached its final WFI with the expected state, every round. */
  ok: boolean;
  instructions: number;
  ms: number;
}

let result: WarmupResult | null = null;

/**
 * Rounds of the program (every fourth with a breakpoint, every fourth in short slices). Enough
 * for every path's feedback and the block compiler's tiers; more only cost startup (12 rounds
 * and 40 left the same deoptimizations in a Linux boot, measured with --trace-deopt).
 */
const WARMUP_ROUNDS = 12;

/** Guest addresses of the pieces outside the main code page. */
const FIXED = new Map<string, number>([
  ['far_seq', RAM_BASE + 0x7ff8],
  ['far_leaf', RAM_BASE + 0x8000],
  ['data', RAM_BASE + 0x9000],
  ['pt_root', RAM_BASE + 0xa000],
]);

/**
 * Run the warm-up once per process (later calls return the first result). Called by the
 * RiscvCpu constructor; `makeCpu` builds the throwaway hart (passed in to avoid an import cycle).
 */
export function warmUpInterpreter(makeCpu: (as: AddressSpace) => RiscvCpu): WarmupResult {
  if (result !== null) return result;
  const res: WarmupResult = { ok: true, instructions: 0, ms: 0 };
  result = res;
  const t0 = performance.now();
  const ram = new GuestRam(RAM_BASE, 1 << 20);
  const as = new AddressSpace(ram);
  let cpu: RiscvCpu | null = null;
  let mmio = 0;
  as.addRegion(0x10000000, {
    name: 'warmup',
    size: 0x1000,
    ops: {
      read: () => mmio,
      write: (_o, _s, v) => {
        mmio = v;
        if (v === 0x5707) cpu?.requestStop();
      },
    },
  });
  assemble(program(), FIXED, ram.view, 0);
  assemble([addi(T2, T2, 1), addi(T2, T2, -1), jalr(ZERO, RA, 0)], FIXED, ram.view, 0x7ff8);
  cpu = makeCpu(as);
  // Compile blocks early (and recompile them at tier 2) so the interpreter's block paths (and the
  // megamorphic call into blocks) get their feedback too; the first rounds still run everything
  // interpreted.
  const saved: [number, number, number] = [...getJitThresholds(), getJitTier2Calls()];
  if (saved[0] !== 0) setJitThreshold(3, 3, 60);
  // The warm-up's traps are not the guest's: riscv_trap (on when tracing started first) skips them.
  const trapHook = cpuTraceHooks.riscv_trap;
  cpuTraceHooks.riscv_trap = null;
  try {
    for (let round = 0; round < WARMUP_ROUNDS; round++) {
      cpu.reset(BigInt(RAM_BASE));
      // A breakpoint stop at the entry; and one never hit (inside the first instruction) for the
      // whole round, so compiled blocks on the page are passed over (the loop interprets them).
      if (round % 4 === 1) {
        cpu.addBreakpoint(BigInt(RAM_BASE));
        cpu.addBreakpoint(BigInt(RAM_BASE + 2));
      }
      // Some rounds run in short slices, so the loop also leaves by its budget (as every slice of a
      // real guest does); without that feedback its first budget exit deoptimized it.
      let r = round % 4 === 2 ? cpu.run(7) : cpu.run(100000);
      for (let k = 0; round % 4 === 2 && k < 100000 && r.kind === 'budget'; k++) r = cpu.run(97);
      for (let k = 0; k < 4 && r.kind !== 'wfi'; k++) {
        cpu.removeBreakpoint(BigInt(RAM_BASE));
        r = cpu.run(100000);
      }
      cpu.removeBreakpoint(BigInt(RAM_BASE + 2));
      res.instructions += cpu.instret;
      if (r.kind !== 'wfi' || cpu.getGpr(T6) !== 1n) res.ok = false;
    }
    // Now that every path has its feedback: have V8 optimize the loop (on a background thread,
    // while the machine's modules load), instead of when its own tiering notices, in the guest's
    // first ~100 ms, which then run unoptimized for the ~100 ms the compile takes.
    if (optimizeSoon(cpu_exec)) {
      cpu.reset(BigInt(RAM_BASE));
      cpu.run(1); // the compile starts at the next call
    }
  } finally {
    setJitThreshold(...saved);
    cpuTraceHooks.riscv_trap = trapHook;
  }
  res.ms = performance.now() - t0;
  return res;
}
