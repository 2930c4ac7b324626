/**
 * Code generation for one region (jit-region.ts): the body of a CodePage.BlockFn.
 *
 * Shape of the generated function:
 *
 *   let l1 = x[2], h1 = x[3], ...        guest registers the region uses, as int32 locals
 *   let cnt = 0, rv = 0;                 cnt: instructions done up to the last sync point
 *   const lim = left - MAXRUN;
 *   ...the main path, in order: loops as `L3: for (;;) { ... }`, forward branches as
 *      `B4: { ... if (cond) { cnt += k; break B4; } ... }`, side paths inside their branch's if
 *
 * `cnt` is brought up to date at every loop or block boundary and before every jump, so each
 * instruction's count is `cnt + k` with k a constant. A loop's back edge checks the budget: if
 * cnt > lim another pass could exceed `left`, and the function returns with cpu.jitNext = the
 * loop head. The return value is > 0 with cpu.jitNext (a virtual offset: the caller continues at
 * pageBase + jitNext), or < 0 when the caller must continue at cpu.pc (exceptions, indirect
 * jumps). Control entering code of another page checks that page's guard first.
 *
 * Exits come in two forms (V8's optimizing compiler is the reason: its time grows with exits ×
 * live registers). Small regions store the registers written so far and return on the spot, and
 * load at entry only the registers read before written (as a translation block's separate exits
 * do). Large regions load every register they use, and all exits jump to one shared exit
 * (`out: { ... } rv = ...; break out;`) that stores every register the region writes.
 *
 * Helpers see guest state through cpu: before a call the generated code stores cpu.pc/runN and
 * the registers the helper reads (its instruction's sources), and reloads the one it writes.
 * After a helper that may have changed something (cpu.events !== 0) the region is left right after
 * that instruction, so interrupts and code changes are seen at the next instruction boundary.
 * Memory fast paths are exec.ts's (data TLB hit → typed-array access on guest RAM).
 */

import { Excp } from './cpu-bits';
import { Ev } from './events';
import { Op } from './ops';
import { FetchGeom, TlbGeom } from './tlb';
import { aluOp, lessThan } from './jit-alu';
import { type Edge, type Interval, type Path, type Region, type Step } from './jit-region';

/** Registers (1..31) an instruction reads and writes. */
export function regsOf(w: number, imm: number, use: Set<number>, def: Set<number>): void {
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

/** Regions up to this many instructions get inline exits (Gen.inlineExits). */
const INLINE_EXITS_MAX = 96;

const HELPER = { [Op.LR]: 'helper_lr', [Op.SC]: 'helper_sc', [Op.AMO]: 'helper_amo' } as Record<number, string>;

export class Gen {
  private out: string[] = [];
  private usesR = false;
  private usesW = false;
  private readonly used = new Set<number>();
  private readonly defs = new Set<number>();
  /** Instructions emitted since the last sync point (the current one's count is k + 1). */
  private k = 0;
  /** Registers an exit must store back: possibly written before it (see written()). */
  private flushSet = new Set<number>();
  /** Per main-path position: registers written at or before it, or anywhere in a loop around it. */
  private readonly written: Set<number>[] = [];

  /**
   * Exits store their written registers and return on the spot (small regions: like separate
   * exits of a translation block), or all jump to one shared exit that stores every register the
   * region writes (large regions: the code stays small).
   */
  private readonly inlineExits: boolean;

  constructor(private readonly r: Region) {
    this.inlineExits = r.maxRun <= INLINE_EXITS_MAX;
    const stepDefs = (s: Step, into: Set<number>) => {
      regsOf(s.i.w, s.i.imm, this.used, into);
      if (s.taken?.kind === 'side') for (const t of s.taken.path.steps) stepDefs(t, into);
    };
    const steps = r.main.steps;
    const per = steps.map((s) => {
      const d = new Set<number>();
      stepDefs(s, d);
      return d;
    });
    const acc = new Set<number>();
    for (let p = 0; p < steps.length; p++) {
      for (const d of per[p]) acc.add(d);
      const w = new Set(acc);
      for (const iv of r.intervals) {
        if (iv.kind === 'loop' && iv.start <= p && p < iv.end) for (let q = iv.start; q < iv.end; q++) for (const d of per[q]) w.add(d);
      }
      this.written.push(w);
    }
    for (const d of acc) this.defs.add(d);
    for (const d of this.defs) this.used.add(d);
  }

  /** Store back what an exit from here must (the current position's written set). */
  private flush(): string {
    let s = '';
    for (const r of this.flushSet) s += `x[${2 * r}] = l${r}; x[${2 * r + 1}] = h${r}; `;
    return s;
  }

  /** Leave the function returning `rv` (a JS expression), after `pre` (statements). */
  private leave(rv: string, pre = ''): string {
    return this.inlineExits ? `{ ${this.flush()}${pre}return ${rv}; }` : `{ ${pre}rv = ${rv}; break out; }`;
  }

  /**
   * Registers to load at entry: all the region uses, or for straight code (no loops, blocks or
   * side paths) only those read before written (the others are stored back only once written).
   */
  private entryRegs(): number[] {
    const all = [...this.used].sort((a, b) => a - b);
    const r = this.r;
    if (!this.inlineExits || r.intervals.length > 0 || r.others.length > 0 || r.main.steps.some((s) => s.taken?.kind === 'side')) return all;
    const live = new Set<number>();
    const written = new Set<number>();
    for (const s of r.main.steps) {
      const use = new Set<number>();
      const def = new Set<number>();
      regsOf(s.i.w, s.i.imm, use, def);
      for (const r of use) if (!written.has(r)) live.add(r);
      // An instruction that can trap before writing rd: an exit then stores rd's old value.
      const op = s.i.w & 0xff;
      const traps = (op >= Op.LB && op <= Op.LWU) || op >= Op.CSR;
      for (const r of def) {
        if (traps && !written.has(r)) live.add(r);
        written.add(r);
      }
    }
    return all.filter((r) => live.has(r));
  }

  generate(): string {
    const steps = this.r.main.steps;
    const ivs = this.r.intervals;
    for (let p = 0; p < steps.length; p++) {
      // Close what ends before p (innermost first), then open what starts at p (outermost first).
      const closing = ivs.filter((iv) => iv.end === p).sort((a, b) => b.start - a.start || order(b) - order(a));
      if (closing.length > 0) this.sync();
      for (const iv of closing) this.line(iv.kind === 'loop' ? `break L${iv.id}; }` : '}');
      const opening = ivs.filter((iv) => iv.start === p).sort((a, b) => b.end - a.end || order(a) - order(b));
      if (opening.length > 0) this.sync();
      for (const iv of opening) this.line(iv.kind === 'loop' ? `L${iv.id}: for (;;) {` : `B${iv.id}: {`);
      this.flushSet = this.written[p];
      this.step(steps[p]);
    }
    // The path's end edge follows its last step (counted as the current instruction).
    this.k--;
    if (!endsItself(steps[steps.length - 1])) this.line(this.edge(this.r.main.end));
    // Intervals still open end here; nothing falls through to this point.
    for (const iv of ivs.filter((iv) => iv.end >= steps.length).sort((a, b) => b.start - a.start || order(b) - order(a))) this.line('}');

    const head: string[] = ['let lo = 0, hi = 0, b = 0, v = 0, ti = 0, wi = 0, nl = 0, nh = 0, sh = 0;'];
    if (this.usesR) head.push('const rt = cpu.rtlb.e;');
    if (this.usesW) head.push('const wt = cpu.wtlb.e;');
    if (this.r.others.length > 0) {
      head.push(`const ft = cpu.ftlb, ftl = ft.tagLo, fth = ft.tagHi, fpg = ft.pages, fb = cpu.fetchIdx * ${FetchGeom.SIZE}, cc = cpu.codeCache, bpp = cpu.bpPages;`);
      head.push('let gv = 0, gl = 0, gi = 0;');
    }
    const live = new Set(this.entryRegs());
    for (const r of [...this.used].sort((a, b) => a - b)) head.push(live.has(r) ? `let l${r} = x[${2 * r}], h${r} = x[${2 * r + 1}];` : `let l${r} = 0, h${r} = 0;`);
    head.push('let cnt = 0, rv = 0;', `const lim = left - ${this.r.maxRun};`);
    if (this.inlineExits) return [...head, ...this.out, 'return 0;'].join('\n');
    let store = '';
    for (const r of [...this.defs].sort((a, b) => a - b)) store += `x[${2 * r}] = l${r}; x[${2 * r + 1}] = h${r}; `;
    return [...head, 'out: {', ...this.out, '}', store, 'return rv;'].join('\n');
  }

  private line(s: string): void {
    this.out.push(s);
  }

  /** Bring cnt up to date (at a loop or block boundary). */
  private sync(): void {
    if (this.k > 0) this.line(`cnt += ${this.k};`);
    this.k = 0;
  }

  /** One step of a path: the page guard if control may arrive from another page, then the instruction. */
  private step(s: Step): void {
    if (s.enterPage !== undefined && s.enterPage !== 0) this.line(`if (!${this.guard(s.enterPage)}) ${this.exitTo(s.i.vo, false)}`);
    this.emit(s);
    this.k++;
  }

  /** Instructions done once the current one completes. */
  private done(): string {
    return `cnt + ${this.k + 1}`;
  }

  /** Leave the region; continue at virtual offset `vo` (after the current instruction, or before it). */
  private exitTo(vo: number, after = true): string {
    return this.leave(after ? this.done() : `cnt + ${this.k}`, `cpu.jitNext = ${vo}; `);
  }

  /** Code for taking `e` after the current instruction. */
  private edge(e: Edge): string {
    switch (e.kind) {
      case 'exit':
        return this.exitTo(e.vo);
      case 'block':
        return `{ cnt += ${this.k + 1}; break B${e.id}; }`;
      case 'loop':
        return `{ cnt += ${this.k + 1}; if (cnt > lim) ${this.leave('cnt', `cpu.jitNext = ${e.vo}; `)} continue L${e.id}; }`;
      case 'side': {
        // The side path's instructions run inside the if, counted from a fresh sync point.
        const saved = this.out;
        const k = this.k;
        this.out = [];
        this.line(`cnt += ${k + 1};`);
        this.k = 0;
        const savedFlush = this.flushSet;
        this.flushSet = new Set(savedFlush);
        for (const s of e.path.steps) {
          regsOf(s.i.w, s.i.imm, new Set(), this.flushSet);
          this.step(s);
        }
        const last = e.path.steps[e.path.steps.length - 1];
        if (!endsItself(last)) {
          this.k--; // the edge is taken after the last step, which `edge` counts as current
          this.line(this.edge(e.path.end));
        }
        const body = this.out.join('\n');
        this.flushSet = savedFlush;
        this.out = saved;
        this.k = k;
        return `{\n${body}\n}`;
      }
    }
  }

  /**
   * Control may run code of the page at `delta` (not the head's): the fetch TLB still maps that
   * virtual page to the same CodePage, its decoded code is current, and no breakpoint is set (the
   * caller checks breakpoints for the head's page only).
   */
  private guard(delta: number): string {
    const k = this.r.others.findIndex((p) => p.delta === delta);
    if (k < 0) throw new Error(`jit: no page at ${delta} in the region`);
    const P = `P[${k}]`;
    return (
      `(gv = pageBase + ${delta}, gl = gv | 0, gi = fb + ((gl >>> 12) & ${FetchGeom.MASK}), fpg[gi] === ${P} && ftl[gi] === (gl & -4096) && ` +
      `fth[gi] === (Math.floor(gv / 4294967296) | 0) && ${P}.epoch === cc.epoch && ${P}.fenceGen === cc.fenceGen && bpp.size === 0)`
    );
  }

  /** The current instruction raised an exception (cpu.pc is the trap vector): leave. */
  private fault(): string {
    return this.leave(`-(${this.done()})`);
  }

  private pcSync(vo: number): string {
    return `cpu.pc = pageBase + ${vo}; cpu.runN = n0 + ${this.done()};`;
  }

  /**
   * Leave after a slow-path helper: b = 0 if it raised an exception (continue at cpu.pc), else
   * something changed behind the code's back (continue after the instruction).
   */
  private slowExit(next: number): string {
    return this.leave(`b === 0 ? -(${this.done()}) : ${this.done()}`, `cpu.jitNext = ${next}; `);
  }

  /** After a helper: leave right after this instruction if something changed. */
  private evCheck(next: number): string {
    return `if (cpu.events !== 0) ${this.exitTo(next)}`;
  }

  /** Store the registers a helper reads; reload the one it writes. */
  private storeRegs(w: number, imm: number): string {
    const use = new Set<number>();
    regsOf(w, imm, use, new Set());
    let s = '';
    for (const r of use) s += `x[${2 * r}] = l${r}; x[${2 * r + 1}] = h${r}; `;
    return s;
  }
  private reload(r: number): string {
    return r > 0 && r < 32 ? `l${r} = x[${2 * r}]; h${r} = x[${2 * r + 1}];` : '';
  }

  private L(r: number): string {
    return r === 0 ? '0' : `l${r}`;
  }
  private H(r: number): string {
    return r === 0 ? '0' : `h${r}`;
  }

  /** lo/hi = rs1 + imm (64-bit), ti = TLB index. */
  private addr(a: number, imm: number): string {
    const ih = imm >> 31;
    return `b = ${this.L(a)}; lo = (b + ${imm}) | 0; hi = (${this.H(a)} ${ih ? '- 1 ' : ''}+ ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0; ti = dBase + ((lo >>> ${TlbGeom.SHIFT}) & ${TlbGeom.IMASK});`;
  }

  private link(d: number, next: number): string {
    return d === 0 ? '' : `v = pageBase + ${next}; l${d} = v | 0; h${d} = Math.floor(v / 4294967296) | 0;`;
  }

  private emit(s: Step): void {
    const { w, imm, vo, next } = s.i;
    const ra = ((w >>> 15) & 127) >>> 1;
    const rb = ((w >>> 22) & 127) >>> 1;
    const d = ((w >>> 8) & 127) === 64 ? 0 : ((w >>> 8) & 127) >>> 1;
    const L = (r: number) => this.L(r);
    const H = (r: number) => this.H(r);
    const op = (w & 0xff) as Op;
    const alu = d === 0 ? undefined : aluOp(op, { dl: `l${d}`, dh: `h${d}`, al: L(ra), ah: H(ra), bl: L(rb), bh: H(rb), imm });
    if (alu !== undefined) return this.line(alu);
    switch (op) {
      case Op.NOP:
        return;
      case Op.AUIPC:
        return this.line(this.link(d, vo + imm));
      case Op.JAL:
        // The target is the next step of the path (or the path's end edge): only the link.
        return this.line(this.link(d, next));
      case Op.JALR:
        this.line(`b = ${L(ra)}; lo = (b + ${imm}) | 0; hi = (${H(ra)} + ${imm >> 31} + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo &= -2;`);
        this.line(this.link(d, next));
        this.line('v = hi >= -1048576 && hi < 1048576 ? hi * 4294967296 + (lo >>> 0) - pageBase : NaN;');
        if (s.expect !== undefined) {
          // Known target (a call's return, AUIPC+JALR): the path goes on there, else leave.
          this.line(`if (v !== ${s.expect}) ${this.leave(`-(${this.done()})`, 'if (v === v) cpu.pc = v + pageBase; else cpu.setPcPair(lo, hi); ')}`);
        } else {
          this.line(`if (v >= 0 && v < 4096) ${this.leave(this.done(), 'cpu.jitNext = v | 0; ')}`);
          this.line(this.leave(`-(${this.done()})`, 'if (v === v) cpu.pc = v + pageBase; else cpu.setPcPair(lo, hi); '));
        }
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
          const lt = lessThan(L(ra), H(ra), L(rb), H(rb), op === Op.BLTU || op === Op.BGEU);
          cond = op === Op.BLT || op === Op.BLTU ? lt : `!${lt}`;
        }
        return this.line(`if (${cond}) ${this.edge(s.taken ?? { kind: 'exit', vo: vo + imm })}`);
      }
      case Op.LB:
      case Op.LBU:
      case Op.LH:
      case Op.LHU:
      case Op.LW:
      case Op.LWU:
      case Op.LD:
        return this.load(op, d, ra, imm, vo, next);
      case Op.SB:
      case Op.SH:
      case Op.SW:
      case Op.SD:
        return this.store(op, ra, rb, imm, vo, next);
      case Op.CSR:
        this.line(`${this.storeRegs(w, imm)}${this.pcSync(vo)} if (!helper_csrrw(cpu, ${w}, ${imm})) ${this.fault()}`);
        this.line(this.reload(d));
        // Only the data MMU index changed (Linux toggles sstatus.SUM around user copies): follow it.
        return this.line(`if (cpu.events !== 0) { if (cpu.events === ${Ev.DATA}) { cpu.events = 0; dBase = cpu.dataIdx * ${TlbGeom.SLOT}; } else ${this.exitTo(next)} }`);
      case Op.LR:
      case Op.SC:
      case Op.AMO:
        this.line(`${this.storeRegs(w, imm)}${this.pcSync(vo)} if (!${HELPER[op]}(cpu, ${w}, ${imm})) ${this.fault()}`);
        return this.line(`${this.reload(d)} ${this.evCheck(next)}`);
      case Op.FLW:
      case Op.FLD:
      case Op.FSW:
      case Op.FSD: {
        const call = op === Op.FLW || op === Op.FLD ? 'fp_load' : 'fp_store';
        const size = op === Op.FLW || op === Op.FSW ? 4 : 8;
        this.line(`${this.storeRegs(w, imm)}${this.pcSync(vo)} if ((cpu.mstatus & 24576) === 0) { raise_exception(cpu, ${Excp.ILLEGAL_INST}, raw_insn_at_pc(cpu), 0); ${this.fault()} }`);
        return this.line(`if (!${call}(cpu, ${w}, ${imm}, ${size})) ${this.fault()} ${this.evCheck(next)}`);
      }
      case Op.FP_F:
      case Op.FP_X:
        this.line(`${this.storeRegs(w, imm)}if ((cpu.mstatus & 24576) === 0 || !executeOpFp(cpu, ${imm})) { ${this.pcSync(vo)} raise_exception(cpu, ${Excp.ILLEGAL_INST}, ${imm}, 0); ${this.fault()} }`);
        if (op === Op.FP_F) this.line('cpu.mstatus |= 24576;');
        else this.line(this.reload((imm >>> 7) & 31));
        return;
      default:
        // Pure ALU ops writing x0.
        if (d === 0 && aluOp(op, { dl: '', dh: '', al: '0', ah: '0', bl: '0', bh: '0', imm }) !== undefined) return;
        throw new Error(`jit: op ${op} cannot be compiled`);
    }
  }

  private load(op: Op, d: number, ra: number, imm: number, vo: number, next: number): void {
    this.usesR = true;
    const size = op === Op.LB || op === Op.LBU ? 1 : op === Op.LH || op === Op.LHU ? 2 : op === Op.LD ? 8 : 4;
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
      fast = d === 0 ? '' : `wi = (rt[ti + 2] + (lo & 4095)) >>> 2; l${d} = i32[wi]; h${d} = i32[wi + 1];`;
      slow = d === 0 ? '' : `l${d} = cpu.ldLo; h${d} = cpu.ldHi;`;
    } else {
      const view = size === 1 ? 'u8' : size === 2 ? 'u16' : 'i32';
      const sh = size === 1 ? '' : size === 2 ? ' >>> 1' : ' >>> 2';
      fast = ext(`${view}[(rt[ti + 2] + (lo & 4095))${sh}]`);
      slow = ext('cpu.ldLo');
    }
    this.line(`if (rt[ti] === (lo & ${-4096 | (size - 1)}) && rt[ti + 1] === hi) { ${fast} }`);
    this.line(`else { ${this.pcSync(vo)} b = load_slow(cpu, lo, hi, ${size}) ? 1 : 0; if (b !== 0) { ${slow} } if (b === 0 || cpu.events !== 0) ${this.slowExit(next)} }`);
  }

  private store(op: Op, ra: number, rb: number, imm: number, vo: number, next: number): void {
    this.usesW = true;
    const size = op === Op.SB ? 1 : op === Op.SH ? 2 : op === Op.SW ? 4 : 8;
    const L = this.L(rb);
    this.line(this.addr(ra, imm));
    let fast: string;
    if (size === 8) fast = `wi = (wt[ti + 2] + (lo & 4095)) >>> 2; i32[wi] = ${L}; i32[wi + 1] = ${this.H(rb)};`;
    else if (size === 4) fast = `i32[(wt[ti + 2] + (lo & 4095)) >>> 2] = ${L};`;
    else if (size === 2) fast = `u16[(wt[ti + 2] + (lo & 4095)) >>> 1] = ${L};`;
    else fast = `u8[wt[ti + 2] + (lo & 4095)] = ${L};`;
    const val = size === 1 ? `${L} & 255` : size === 2 ? `${L} & 65535` : L;
    const vhi = size === 8 ? this.H(rb) : '0';
    this.line(`if (wt[ti] === (lo & ${-4096 | (size - 1)}) && wt[ti + 1] === hi) { ${fast} }`);
    this.line(`else { ${this.pcSync(vo)} b = store_slow(cpu, lo, hi, ${size}, ${val}, ${vhi}) ? 1 : 0; if (b === 0 || cpu.events !== 0) ${this.slowExit(next)} }`);
  }
}

/** Loops open outside blocks of the same extent. */
function order(iv: Interval): number {
  return iv.kind === 'loop' ? 0 : 1;
}

/** The step transfers control itself (JALR without a known target leaves; JAL/JALR with one go on). */
function endsItself(s: Step): boolean {
  return (s.i.w & 0xff) === Op.JALR && s.expect === undefined;
}
