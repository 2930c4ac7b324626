/**
 * Block compiler: turns a hot straight-line run of predecoded instructions into a JavaScript
 * function, so V8 compiles guest code instead of the interpreter dispatching it one op at a time
 * (the role QEMU's TCG plays, at the granularity of its translation blocks).
 *
 * A block starts at a slot execution often lands on (jump targets, block exits; counted in
 * CodePage.heat) and covers the following instructions of the same page up to and including the
 * first control transfer (branch, JAL, JALR) or CSR access, at most MAX_BLOCK instructions. It
 * stops before ECALL/EBREAK/xRET/WFI/SFENCE.VMA/illegal encodings and before a 32-bit
 * instruction straddling the page end: the interpreter runs those.
 *
 * Generated code mirrors exec.ts case by case (same pair arithmetic, same TLB fast paths, same
 * helpers for slow paths), with immediates as constants and the guest registers the block uses
 * held in JS locals: loaded at entry, written back to cpu.xr at every exit and before any helper
 * that reads or writes registers (and re-read after it). A block whose last instruction branches
 * back to its own head becomes a loop inside the function (bounded by the caller's budget and
 * left as soon as cpu.events is set).
 *
 * Contract of the generated function (CodePage.BlockFn): called with pageBase (the page's
 * virtual base), the data TLB base, the loop's instruction count n0 and the budget left; returns
 * k > 0 (k instructions executed, continue at pageBase + cpu.jitNext) or -k (continue at cpu.pc:
 * an exception was raised, a stop requested, or an indirect jump). After every helper call it
 * checks cpu.events and leaves the block after that instruction when something changed, so
 * interrupts are still taken at the very next instruction boundary. Blocks are per physical page
 * and shared by all harts (nothing per-hart or per-virtual-address is baked in) and are dropped
 * with the slots they cover (code-cache.ts).
 */

import type { RiscvCpu } from './cpu';
import { Excp } from './cpu-bits';
import { CodePage, type BlockFn } from './code-cache';
import { DEC, decode32 } from './decode';
import { decode16 } from './rvc';
import { Op } from './ops';
import { fp_load, fp_store, load_slow, store_slow } from './ldst';
import { helper_csrrw } from './csr';
import { helper_amo, helper_lr, helper_sc } from './atomics';
import { raise_exception } from './trap';
import { raw_insn_at_pc } from './fetch';
import { div64, divu64, divuw, divw, mul64, mulh64, mulhsu64, mulhu64, rem64, remu64, remuw, remw, sll64, sra64, srl64 } from './int64';
import { executeOpFp } from './fpu';
import { TlbGeom } from './tlb';

/**
 * Landings on a slot before a block is compiled there (0 disables the compiler). A block that
 * loops back to its own head (a hot inner loop) is worth compiling much earlier than straight-line
 * code: each compile costs V8 several milliseconds of optimizing, which only code executed very
 * often pays back (measured on the Linux boot, where most code is warm rather than hot).
 */
let threshold = Number(process.env.VTRACE_JIT_THRESHOLD ?? 50000);
let loopThreshold = Math.min(threshold, Number(process.env.VTRACE_JIT_LOOP_THRESHOLD ?? 1000));
const MAX_BLOCK = 128;

/** VTRACE_JIT_DUMP=dir writes each generated block's source there (debugging aid). */
const dumpDir = process.env.VTRACE_JIT_DUMP;

function dumpBlock(name: string, src: string): void {
  // Lazily required so normal runs never touch the file system from here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  fs.mkdirSync(dumpDir!, { recursive: true });
  fs.writeFileSync(`${dumpDir}/${name}.js`, src);
}

/**
 * Set the compile thresholds process-wide (tests use 1 to compile everything, 0 to disable).
 * `loop` (for self-looping blocks) defaults to min(n, 1000).
 */
export function setJitThreshold(n: number, loop = Math.min(n, 1000)): void {
  threshold = Math.max(0, Math.min(65535, n | 0));
  loopThreshold = Math.max(0, Math.min(threshold, loop | 0));
}

/** [threshold, loopThreshold], for saving and restoring around setJitThreshold. */
export function getJitThresholds(): [number, number] {
  return [threshold, loopThreshold];
}

/** Execution landed on byte offset `off` of `page` (a jump target or block exit): count it. */
export function land(cpu: RiscvCpu, page: CodePage, off: number): void {
  const s = off >>> 1;
  const h = page.heat[s] + 1;
  if (h <= threshold) {
    page.heat[s] = h;
    if ((h === threshold || h === loopThreshold) && page.ops[off] >= 0 && page.jitAllowed()) {
      jit_compile(cpu, page, off, h !== threshold);
    }
  }
}

/** Decode slot `off` in place if needed; false when it straddles the page end. */
function ensureDecoded(cpu: RiscvCpu, page: CodePage, off: number): boolean {
  if (page.ops[off] !== 0) return true;
  const u16 = cpu.ramU16;
  const p = u16[(page.ramOff + off) >>> 1];
  if ((p & 3) !== 3) decode16(p);
  else if (off >= 4094) return false;
  else decode32(p | (u16[(page.ramOff + off + 2) >>> 1] << 16));
  page.ops[off] = DEC[0];
  page.ops[off + 1] = DEC[1];
  return true;
}

/** Everything generated code refers to, bound once per address space. */
interface Env {
  [k: string]: unknown;
}
const envs = new WeakMap<Int32Array, Env>();

function envFor(cpu: RiscvCpu): Env {
  let e = envs.get(cpu.ramI32);
  if (e === undefined) {
    e = {
      u8: cpu.ramU8,
      i8: cpu.ramI8,
      u16: cpu.ramU16,
      i16: cpu.ramI16,
      i32: cpu.ramI32,
      load_slow,
      store_slow,
      fp_load,
      fp_store,
      helper_csrrw,
      helper_lr,
      helper_sc,
      helper_amo,
      raise_exception,
      raw_insn_at_pc,
      executeOpFp,
      mul64,
      mulh64,
      mulhsu64,
      mulhu64,
      div64,
      divu64,
      rem64,
      remu64,
      divw,
      divuw,
      remw,
      remuw,
      sll64,
      srl64,
      sra64,
      T: new Int32Array(2),
    };
    envs.set(cpu.ramI32, e);
  }
  return e;
}

const PREAMBLE_NAMES =
  'u8, i8, u16, i16, i32, load_slow, store_slow, fp_load, fp_store, helper_csrrw, helper_lr, helper_sc, helper_amo, raise_exception, raw_insn_at_pc, executeOpFp, mul64, mulh64, mulhsu64, mulhu64, div64, divu64, rem64, remu64, divw, divuw, remw, remuw, T';

interface Insn {
  w: number;
  imm: number;
  off: number;
  next: number;
}

/** Ops a block can contain; the block ends after the ones marked `ends`. */
function classify(w: number): 'stop' | 'ends' | 'go' {
  switch (w & 0xff) {
    case Op.ECALL:
    case Op.EBREAK:
    case Op.MRET:
    case Op.SRET:
    case Op.WFI:
    case Op.SFENCE_VMA:
    case Op.ILLEGAL:
    case Op.NONE:
    case Op.FENCE_I:
      return 'stop';
    case Op.JAL:
    case Op.JALR:
    case Op.CSR:
      return 'ends';
    default:
      return 'go';
  }
}

/** Registers (1..31) an instruction reads and writes, for the local-variable allocation. */
function regsOf(w: number, imm: number, use: Set<number>, def: Set<number>): void {
  const rd = ((w >>> 8) & 127) >>> 1;
  const rs1 = ((w >>> 15) & 127) >>> 1;
  const rs2 = ((w >>> 22) & 127) >>> 1;
  const op = w & 0xff;
  const add = (s: Set<number>, r: number) => {
    if (r > 0 && r < 32) s.add(r);
  };
  switch (op) {
    case Op.FP_F:
    case Op.FP_X:
      // Decoded by the FPU from the raw bits: it may read x[rs1] and (FP_X) write x[rd].
      add(use, (imm >>> 15) & 31);
      if (op === Op.FP_X) add(def, (imm >>> 7) & 31);
      return;
    case Op.FLW:
    case Op.FLD:
    case Op.FSW:
    case Op.FSD:
      add(use, rs1);
      return;
    default:
      add(use, rs1);
      add(use, rs2);
      add(def, rd);
  }
}

/**
 * Compile the block starting at byte offset `head` of `page` and install it (with `onlyLoops`,
 * only if the block loops back to its head).
 */
export function jit_compile(cpu: RiscvCpu, page: CodePage, head: number, onlyLoops = false): void {
  const insns: Insn[] = [];
  let off = head;
  while (insns.length < MAX_BLOCK && off < 4096) {
    if (!ensureDecoded(cpu, page, off)) break;
    const w = page.ops[off] & 0x7fffffff;
    const c = classify(w);
    if (c === 'stop') break;
    const next = off + ((w >>> 28) & 2 ? 2 : 4);
    insns.push({ w, imm: page.ops[off + 1], off, next });
    off = next;
    if (c === 'ends') break;
  }
  if (insns.length === 0) return;
  const last = insns[insns.length - 1];
  const lop = last.w & 0xff;
  const loops = (lop === Op.JAL || (lop >= Op.BEQ && lop <= Op.BGEU)) && last.off + last.imm === head;
  if (onlyLoops && !loops) return;
  const g = new Gen(insns, head, loops);
  const body = g.generate();
  const name = `blk_${(page.ramOff + head).toString(16)}`;
  const src = `"use strict"; const { ${PREAMBLE_NAMES} } = E;\nreturn function ${name}(cpu, x, pageBase, dBase, n0, left) {\n${body}\n};`;
  if (dumpDir !== undefined) dumpBlock(name, src);
  let fn: BlockFn;
  try {
    fn = new Function('E', src)(envFor(cpu)) as BlockFn;
  } catch (e) {
    throw new Error(`jit: generated code does not compile (${(e as Error).message}):\n${src}`);
  }
  page.addBlock(head, fn, insns.length, off);
}

/** Source builder for one block. */
class Gen {
  private readonly out: string[] = [];
  private usesR = false;
  private usesW = false;
  /** Registers held in locals, and those the block writes (stored back at exits). */
  private readonly used = new Set<number>();
  private readonly defs = new Set<number>();
  /** Registers whose first access is a read: the only ones loaded at entry (all, for loops). */
  private readonly live = new Set<number>();
  /** Registers written by the instructions emitted so far: what an exit must store back. */
  private readonly written = new Set<number>();
  /** Instructions per pass through the block. */
  private readonly n: number;

  constructor(
    private readonly insns: Insn[],
    private readonly head: number,
    private readonly loops: boolean,
  ) {
    for (const i of insns) {
      const use = new Set<number>();
      const def = new Set<number>();
      regsOf(i.w, i.imm, use, def);
      for (const r of use) {
        this.used.add(r);
        if (!this.defs.has(r)) this.live.add(r);
      }
      for (const r of def) {
        this.used.add(r);
        this.defs.add(r);
      }
    }
    // In a loop, an exit in a later pass may see registers written after it in the body.
    if (loops) for (const r of this.used) this.live.add(r);
    this.n = insns.length;
  }

  generate(): string {
    const body: string[] = [];
    const save = this.out;
    for (let k = 0; k < this.insns.length; k++) {
      const i = this.insns[k];
      this.emit(i.w, i.imm, i.off, k, i.next, k === this.insns.length - 1);
    }
    if (!this.endsExplicitly()) this.exit(this.insns[this.insns.length - 1].next, this.n);
    body.push('let lo = 0, hi = 0, b = 0, v = 0, ti = 0, wi = 0, nl = 0, nh = 0, sh = 0, cnt = 0;');
    if (this.usesR) body.push('const rt = cpu.rtlb, rtl = rt.tagLo, rth = rt.tagHi, rof = rt.off;');
    if (this.usesW) body.push('const wt = cpu.wtlb, wtl = wt.tagLo, wth = wt.tagHi, wof = wt.off;');
    for (const r of [...this.used].sort((a, b) => a - b)) {
      body.push(this.live.has(r) ? `let l${r} = x[${2 * r}], h${r} = x[${2 * r + 1}];` : `let l${r} = 0, h${r} = 0;`);
    }
    if (this.loops) body.push('for (;;) {');
    body.push(...save);
    if (this.loops) body.push('}');
    return body.join('\n');
  }

  private endsExplicitly(): boolean {
    const op = this.insns[this.insns.length - 1].w & 0xff;
    return op === Op.JAL || op === Op.JALR || op === Op.CSR || (op >= Op.BEQ && op <= Op.BGEU);
  }

  private line(s: string): void {
    this.out.push(s);
  }

  private L(r: number): string {
    return r === 0 ? '0' : `l${r}`;
  }
  private H(r: number): string {
    return r === 0 ? '0' : `h${r}`;
  }

  /** rd = (lo, hi): both expressions see the old register values. */
  private set(rd: number, lo: string, hi: string): void {
    if (rd === 0) return;
    this.line(`nl = ${lo}; nh = ${hi}; l${rd} = nl; h${rd} = nh;`);
    this.written.add(rd);
  }

  /** rd = sign-extended 32-bit value expression. */
  private setW(rd: number, v: string): void {
    if (rd === 0) return;
    this.line(`v = ${v}; l${rd} = v; h${rd} = v >> 31;`);
    this.written.add(rd);
  }

  /** Store back the registers written so far (every one the block writes, in a loop). */
  private flush(): string {
    let s = '';
    for (const r of this.loops ? this.defs : this.written) s += `x[${2 * r}] = l${r}; x[${2 * r + 1}] = h${r}; `;
    return s;
  }

  /** Re-read a register a helper may have written. */
  private reload(r: number): string {
    if (!(r > 0 && this.used.has(r))) return '';
    this.written.add(r);
    return `l${r} = x[${2 * r}]; h${r} = x[${2 * r + 1}];`;
  }

  /** Instructions executed once instruction k of this pass completes. */
  private count(k: number): string {
    return this.loops ? `cnt + ${k + 1}` : `${k + 1}`;
  }

  /** Leave the block, continuing at byte offset `next` of the page. */
  private exit(next: number, executed: number | string): void {
    this.line(`${this.flush()}cpu.jitNext = ${next}; return ${executed};`);
  }

  private sync(off: number, k: number): string {
    return `cpu.pc = pageBase + ${off}; cpu.runN = n0 + ${this.count(k)};`;
  }

  private fault(k: number): string {
    return `{ ${this.flush()}return -(${this.count(k)}); }`;
  }

  /** After a helper: leave right after this instruction if something changed. */
  private evCheck(next: number, k: number): string {
    return `if (cpu.events !== 0) { ${this.flush()}cpu.jitNext = ${next}; return ${this.count(k)}; }`;
  }

  /** Taken path of a loop-back to the head: another pass if budget and events allow. */
  private loopBack(k: number): string {
    return `cnt += ${this.n}; if (cpu.events !== 0 || cnt + ${this.n} > left) { ${this.flush()}cpu.jitNext = ${this.head}; return cnt; } continue;`;
  }

  /** lo/hi = rs1 + imm (64-bit), ti = TLB index. */
  private addr(a: number, imm: number): string {
    const ih = imm >> 31;
    return `b = ${this.L(a)}; lo = (b + ${imm}) | 0; hi = (${this.H(a)} ${ih ? '- 1 ' : ''}+ ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0; ti = dBase + ((lo >>> 12) & ${TlbGeom.MASK});`;
  }

  private emit(w: number, imm: number, off: number, k: number, next: number, isLast: boolean): void {
    const rd = ((w >>> 8) & 127) >>> 1 & 31;
    const ra = ((w >>> 15) & 127) >>> 1;
    const rb = ((w >>> 22) & 127) >>> 1;
    const rdSink = ((w >>> 8) & 127) === 64;
    const d = rdSink ? 0 : rd;
    const L = (r: number) => this.L(r);
    const H = (r: number) => this.H(r);
    const ih = imm >> 31;
    const op = (w & 0xff) as Op;
    switch (op) {
      case Op.LI:
        return this.set(d, `${imm}`, `${ih}`);
      case Op.MV:
        return this.set(d, L(ra), H(ra));
      case Op.NOP:
        return;
      case Op.AUIPC:
        this.line(`v = pageBase + ${off + imm};`);
        return this.set(d, 'v | 0', 'Math.floor(v / 4294967296) | 0');
      case Op.JAL:
        this.line(`v = pageBase + ${next};`);
        this.set(d, 'v | 0', 'Math.floor(v / 4294967296) | 0');
        if (this.loops && isLast) this.line(this.loopBack(k));
        else this.exit(off + imm, this.count(k));
        return;
      case Op.JALR:
        this.line(`b = ${L(ra)}; lo = (b + ${imm}) | 0; hi = (${H(ra)} + ${ih} + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo &= -2;`);
        this.line(`v = pageBase + ${next};`);
        this.set(d, 'v | 0', 'Math.floor(v / 4294967296) | 0');
        this.line(`${this.flush()}if (hi >= -1048576 && hi < 1048576) cpu.pc = hi * 4294967296 + (lo >>> 0); else cpu.setPcPair(lo, hi);`);
        this.line(`return -(${this.count(k)});`);
        return;
      case Op.BEQ:
      case Op.BNE:
      case Op.BLT:
      case Op.BGE:
      case Op.BLTU:
      case Op.BGEU: {
        let cond: string;
        if (op === Op.BEQ) cond = `${L(ra)} === ${L(rb)} && ${H(ra)} === ${H(rb)}`;
        else if (op === Op.BNE) cond = `${L(ra)} !== ${L(rb)} || ${H(ra)} !== ${H(rb)}`;
        else {
          const u = op === Op.BLTU || op === Op.BGEU ? ' >>> 0' : '';
          const lt = `(${H(ra)}${u} < ${H(rb)}${u} || (${H(ra)} === ${H(rb)} && ${L(ra)} >>> 0 < ${L(rb)} >>> 0))`;
          cond = op === Op.BLT || op === Op.BLTU ? lt : `!${lt}`;
        }
        if (this.loops && isLast) {
          this.line(`if (${cond}) { ${this.loopBack(k)} }`);
          this.exit(next, this.count(k));
        } else if (isLast) {
          this.line(`if (${cond}) { ${this.flush()}cpu.jitNext = ${off + imm}; return ${this.count(k)}; }`);
          this.exit(next, this.count(k));
        } else {
          // A side exit: the block goes on along the not-taken path.
          this.line(`if (${cond}) { ${this.flush()}cpu.jitNext = ${off + imm}; return ${this.count(k)}; }`);
        }
        return;
      }
      case Op.LB:
      case Op.LBU:
      case Op.LH:
      case Op.LHU:
      case Op.LW:
      case Op.LWU:
      case Op.LD: {
        this.usesR = true;
        const size = op === Op.LB || op === Op.LBU ? 1 : op === Op.LH || op === Op.LHU ? 2 : op === Op.LD ? 8 : 4;
        const mask = -4096 | (size - 1);
        this.line(this.addr(ra, imm));
        const ext = (val: string): string => {
          if (d === 0) return `v = ${val};`;
          switch (op) {
            case Op.LB:
              return `v = (${val} << 24) >> 24; l${d} = v; h${d} = v >> 31;`;
            case Op.LH:
              return `v = (${val} << 16) >> 16; l${d} = v; h${d} = v >> 31;`;
            case Op.LW:
              return `v = ${val}; l${d} = v; h${d} = v >> 31;`;
            default:
              return `l${d} = ${val}; h${d} = 0;`;
          }
        };
        let fast: string;
        let slow: string;
        if (size === 8) {
          fast = d === 0 ? '' : `wi = (rof[ti] + (lo & 4095)) >>> 2; l${d} = i32[wi]; h${d} = i32[wi + 1];`;
          slow = d === 0 ? '' : `l${d} = cpu.ldLo; h${d} = cpu.ldHi;`;
        } else {
          const view = size === 1 ? 'u8' : size === 2 ? 'u16' : 'i32';
          const sh = size === 1 ? '' : size === 2 ? ' >>> 1' : ' >>> 2';
          fast = ext(`${view}[(rof[ti] + (lo & 4095))${sh}]`);
          slow = ext('cpu.ldLo');
        }
        this.line(`if (rtl[ti] === (lo & ${mask}) && rth[ti] === hi) { ${fast} }`);
        const faultExit = this.fault(k); // before rd counts as written: the load did not happen
        if (d !== 0) this.written.add(d);
        this.line(`else { ${this.sync(off, k)} if (!load_slow(cpu, lo, hi, ${size})) ${faultExit} ${slow} ${this.evCheck(next, k)} }`);
        return;
      }
      case Op.SB:
      case Op.SH:
      case Op.SW:
      case Op.SD: {
        this.usesW = true;
        const size = op === Op.SB ? 1 : op === Op.SH ? 2 : op === Op.SW ? 4 : 8;
        const mask = -4096 | (size - 1);
        this.line(this.addr(ra, imm));
        let fast: string;
        if (size === 8) fast = `wi = (wof[ti] + (lo & 4095)) >>> 2; i32[wi] = ${L(rb)}; i32[wi + 1] = ${H(rb)};`;
        else if (size === 4) fast = `i32[(wof[ti] + (lo & 4095)) >>> 2] = ${L(rb)};`;
        else if (size === 2) fast = `u16[(wof[ti] + (lo & 4095)) >>> 1] = ${L(rb)};`;
        else fast = `u8[wof[ti] + (lo & 4095)] = ${L(rb)};`;
        const val = size === 1 ? `${L(rb)} & 255` : size === 2 ? `${L(rb)} & 65535` : L(rb);
        const vhi = size === 8 ? H(rb) : '0';
        this.line(`if (wtl[ti] === (lo & ${mask}) && wth[ti] === hi) { ${fast} }`);
        this.line(`else { ${this.sync(off, k)} if (!store_slow(cpu, lo, hi, ${size}, ${val}, ${vhi})) ${this.fault(k)} ${this.evCheck(next, k)} }`);
        return;
      }
      case Op.ADDI:
        this.line(`b = ${L(ra)};`);
        return this.set(d, `(b + ${imm}) | 0`, `(${H(ra)} + ${ih} + (((b + ${imm}) | 0) >>> 0 < (b >>> 0) ? 1 : 0)) | 0`);
      case Op.SLTI:
        return this.set(d, `(${H(ra)} < ${ih} || (${H(ra)} === ${ih} && ${L(ra)} >>> 0 < ${imm >>> 0})) ? 1 : 0`, '0');
      case Op.SLTIU:
        return this.set(d, `(${H(ra)} >>> 0 < ${ih >>> 0} || (${H(ra)} === ${ih} && ${L(ra)} >>> 0 < ${imm >>> 0})) ? 1 : 0`, '0');
      case Op.XORI:
        return this.set(d, `${L(ra)} ^ ${imm}`, `${H(ra)} ^ ${ih}`);
      case Op.ORI:
        return this.set(d, `${L(ra)} | ${imm}`, `${H(ra)} | ${ih}`);
      case Op.ANDI:
        return this.set(d, `${L(ra)} & ${imm}`, `${H(ra)} & ${ih}`);
      case Op.SLLI:
      case Op.SRLI:
      case Op.SRAI: {
        const [lo, hi] = shiftConst(op === Op.SLLI ? 'sll' : op === Op.SRLI ? 'srl' : 'sra', L(ra), H(ra), imm);
        return this.set(d, lo, hi);
      }
      case Op.ADD:
        this.line(`b = ${L(ra)}; v = (b + ${L(rb)}) | 0;`);
        return this.set(d, 'v', `(${H(ra)} + ${H(rb)} + ((v >>> 0) < (b >>> 0) ? 1 : 0)) | 0`);
      case Op.SUB:
        return this.set(d, `(${L(ra)} - ${L(rb)}) | 0`, `(${H(ra)} - ${H(rb)} - ((${L(ra)} >>> 0) < (${L(rb)} >>> 0) ? 1 : 0)) | 0`);
      case Op.SLL:
      case Op.SRL:
      case Op.SRA: {
        // Variable amount: the three ranges of int64.ts's sll64/srl64/sra64, inline.
        this.line(`sh = ${L(rb)} & 63; b = ${L(ra)}; v = ${H(ra)};`);
        if (d === 0) return;
        this.written.add(d);
        if (op === Op.SLL) this.line(`if (sh === 0) { l${d} = b; h${d} = v; } else if (sh < 32) { h${d} = (v << sh) | (b >>> (32 - sh)); l${d} = b << sh; } else { h${d} = b << (sh - 32); l${d} = 0; }`);
        else if (op === Op.SRL) this.line(`if (sh === 0) { l${d} = b; h${d} = v; } else if (sh < 32) { l${d} = (b >>> sh) | (v << (32 - sh)); h${d} = v >>> sh; } else { l${d} = v >>> (sh - 32); h${d} = 0; }`);
        else this.line(`if (sh === 0) { l${d} = b; h${d} = v; } else if (sh < 32) { l${d} = (b >>> sh) | (v << (32 - sh)); h${d} = v >> sh; } else { l${d} = v >> (sh - 32); h${d} = v >> 31; }`);
        return;
      }
      case Op.SLT:
        return this.set(d, `(${H(ra)} < ${H(rb)} || (${H(ra)} === ${H(rb)} && ${L(ra)} >>> 0 < ${L(rb)} >>> 0)) ? 1 : 0`, '0');
      case Op.SLTU:
        return this.set(d, `(${H(ra)} >>> 0 < ${H(rb)} >>> 0 || (${H(ra)} === ${H(rb)} && ${L(ra)} >>> 0 < ${L(rb)} >>> 0)) ? 1 : 0`, '0');
      case Op.XOR:
        return this.set(d, `${L(ra)} ^ ${L(rb)}`, `${H(ra)} ^ ${H(rb)}`);
      case Op.OR:
        return this.set(d, `${L(ra)} | ${L(rb)}`, `${H(ra)} | ${H(rb)}`);
      case Op.AND:
        return this.set(d, `${L(ra)} & ${L(rb)}`, `${H(ra)} & ${H(rb)}`);
      case Op.ADDIW:
        return this.setW(d, `(${L(ra)} + ${imm}) | 0`);
      case Op.SLLIW:
        return this.setW(d, `${L(ra)} << ${imm}`);
      case Op.SRLIW:
        return this.setW(d, `(${L(ra)} >>> ${imm}) | 0`);
      case Op.SRAIW:
        return this.setW(d, `${L(ra)} >> ${imm}`);
      case Op.ADDW:
        return this.setW(d, `(${L(ra)} + ${L(rb)}) | 0`);
      case Op.SUBW:
        return this.setW(d, `(${L(ra)} - ${L(rb)}) | 0`);
      case Op.SLLW:
        return this.setW(d, `${L(ra)} << (${L(rb)} & 31)`);
      case Op.SRLW:
        return this.setW(d, `(${L(ra)} >>> (${L(rb)} & 31)) | 0`);
      case Op.SRAW:
        return this.setW(d, `${L(ra)} >> (${L(rb)} & 31)`);
      case Op.MUL:
      case Op.MULH:
      case Op.MULHSU:
      case Op.MULHU:
      case Op.DIV:
      case Op.DIVU:
      case Op.REM:
      case Op.REMU: {
        const f = ['mul64', 'mulh64', 'mulhsu64', 'mulhu64', 'div64', 'divu64', 'rem64', 'remu64'][op - Op.MUL];
        this.line(`${f}(T, 0, ${L(ra)}, ${H(ra)}, ${L(rb)}, ${H(rb)});`);
        return this.set(d, 'T[0]', 'T[1]');
      }
      case Op.MULW:
        return this.setW(d, `Math.imul(${L(ra)}, ${L(rb)})`);
      case Op.DIVW:
      case Op.DIVUW:
      case Op.REMW:
      case Op.REMUW: {
        const f = ['divw', 'divuw', 'remw', 'remuw'][op - Op.DIVW];
        return this.setW(d, `${f}(${L(ra)}, ${L(rb)})`);
      }
      case Op.CSR:
        this.line(`${this.flush()}${this.sync(off, k)} if (!helper_csrrw(cpu, ${w}, ${imm})) return -(${this.count(k)});`);
        this.line(this.reload(d));
        this.exit(next, this.count(k));
        return;
      case Op.LR:
      case Op.SC:
      case Op.AMO: {
        const f = op === Op.LR ? 'helper_lr' : op === Op.SC ? 'helper_sc' : 'helper_amo';
        this.line(`${this.flush()}${this.sync(off, k)} if (!${f}(cpu, ${w}, ${imm})) return -(${this.count(k)});`);
        this.line(`${this.reload(d)} ${this.evCheck(next, k)}`);
        return;
      }
      case Op.FLW:
      case Op.FLD:
      case Op.FSW:
      case Op.FSD: {
        const call = op === Op.FLW || op === Op.FLD ? 'fp_load' : 'fp_store';
        const size = op === Op.FLW || op === Op.FSW ? 4 : 8;
        this.line(`${this.flush()}${this.sync(off, k)} if ((cpu.mstatus & 24576) === 0) { raise_exception(cpu, ${Excp.ILLEGAL_INST}, raw_insn_at_pc(cpu), 0); return -(${this.count(k)}); }`);
        this.line(`if (!${call}(cpu, ${w}, ${imm}, ${size})) return -(${this.count(k)}); ${this.evCheck(next, k)}`);
        return;
      }
      case Op.FP_F:
      case Op.FP_X:
        this.line(`${this.flush()}if ((cpu.mstatus & 24576) === 0 || !executeOpFp(cpu, ${imm})) { ${this.sync(off, k)} raise_exception(cpu, ${Excp.ILLEGAL_INST}, ${imm}, 0); return -(${this.count(k)}); }`);
        if (op === Op.FP_F) this.line('cpu.mstatus |= 24576;');
        else this.line(this.reload((imm >>> 7) & 31));
        return;
      default:
        throw new Error(`jit: op ${op} cannot be compiled`);
    }
  }
}

/** A shift by a constant amount as (lo, hi) expressions of the old value (int64.ts semantics). */
function shiftConst(kind: 'sll' | 'srl' | 'sra', lo: string, hi: string, sh: number): [string, string] {
  if (sh === 0) return [lo, hi];
  if (kind === 'sll') {
    if (sh < 32) return [`${lo} << ${sh}`, `(${hi} << ${sh}) | (${lo} >>> ${32 - sh})`];
    return ['0', `${lo} << ${sh - 32}`];
  }
  if (sh < 32) return [`(${lo} >>> ${sh}) | (${hi} << ${32 - sh})`, kind === 'srl' ? `${hi} >>> ${sh}` : `${hi} >> ${sh}`];
  if (kind === 'srl') return [`${hi} >>> ${sh - 32}`, '0'];
  return [`${hi} >> ${sh - 32}`, `${hi} >> 31`];
}
