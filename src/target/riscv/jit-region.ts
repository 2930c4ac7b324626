/**
 * Region selection for the block compiler (jit.ts): which instructions one compiled function
 * covers, and the control structure it is emitted with (jit-gen.ts).
 *
 * QEMU's TCG translates one straight-line translation block at a time and chains blocks with
 * goto_tb. A JavaScript function cannot jump into another one, and every entry and exit stores and
 * reloads the guest registers it keeps in locals, so a compiled unit here is a region around a hot
 * head, emitted as structured JavaScript that V8 optimizes quickly (loops and labeled blocks, no
 * dispatch switch):
 *  - the main path: the straight path from the head on through not-taken branches, direct jumps,
 *    and calls of short leaf functions (JAL, or AUIPC+JALR as Linux calls), whose return is
 *    checked to come back to the call;
 *  - for each branch on it: a backward target on the path makes a loop, a forward one a labeled
 *    block; a target off the path is walked as a side path, taken in when it comes back to the
 *    path (loop back edges, the other arm of an if/else) or when landing counts (CodePage.heat) say
 *    it is hot, and emitted inside the branch's `if`;
 *  - loops and blocks must nest; an edge whose interval would not becomes an exit.
 * That is a full region (tier 2, for blocks called very often). A tier-1 region is only the
 * straight path, ending at a jump or after a CSR access, with its branches as side exits and a
 * loop only when its last instruction branches back to the head (RegionLimits).
 *
 * Addresses are "virtual offsets": byte offsets from the virtual base of the head's page (the
 * pageBase argument at run time), so code on other pages has offsets outside [0, 4096). Another
 * page is taken in only if the fetch TLB maps it now (RegionPage); the generated code re-checks
 * that mapping (and that its decoded code is current) each time control enters that page.
 *
 * Never in a region: ECALL/EBREAK/xRET/WFI/SFENCE.VMA/FENCE.I/illegal encodings, 32-bit
 * instructions straddling a page end (the interpreter runs them).
 */

import type { RiscvCpu } from './cpu';
import type { CodePage } from './code-cache';
import { DEC, decode32 } from './decode';
import { decode16 } from './rvc';
import { Op } from './ops';

/**
 * What a region may take in: instructions on the main path, on one side path, in one inlined
 * callee, and emitted in all, and which structure. V8's optimizing compile time grows quickly
 * with them (measured on the Linux boot, where most compiled code is only warm), so a block is
 * first compiled in the shape of a translation block (tier 1: a straight path with side exits,
 * a loop only when it ends by branching back to its head) and recompiled as a full region
 * (tier 2) once it has run often enough to pay for it (jit.ts tier2Calls).
 */
export interface RegionLimits {
  main: number;
  side: number;
  callee: number;
  total: number;
  /** Take in side paths that do not come back but are hot. */
  hotSides: boolean;
  /**
   * Follow direct jumps and go on after CSR instructions, and structure any loop or forward
   * branch on the main path. Without it a path ends at a jump, after a CSR access, and only a
   * branch back to the head makes a loop: the shape of a translation block, quick to optimize.
   */
  follow: boolean;
}
export const TIER1: RegionLimits = { main: 128, side: 0, callee: 0, total: 128, hotSides: false, follow: false };
/** A long straight run (isLongStraightRun) at tier 1: as TCG's longest translation block. */
export const TIER1_LONG: RegionLimits = { main: 512, side: 0, callee: 0, total: 512, hotSides: false, follow: false };
export const TIER2: RegionLimits = { main: 160, side: 40, callee: 40, total: 256, hotSides: true, follow: true };
/** Pages other than the head's one region may run code of. */
const MAX_OTHER_PAGES = 3;

export interface DecodedInsn {
  /** Packed op word (ops.ts), without the block-head flag. */
  w: number;
  imm: number;
  /** Virtual offset of the instruction and of the following one. */
  vo: number;
  next: number;
}

/** What control does after a path's last step, or along a branch's taken edge. */
export type Edge =
  | { kind: 'exit'; vo: number }
  | { kind: 'loop'; id: number; vo: number }
  | { kind: 'block'; id: number }
  | { kind: 'side'; path: Path };

export interface Step {
  i: DecodedInsn;
  /** Branches: the taken edge (set by collectRegion). */
  taken?: Edge;
  /**
   * JALR whose target is known (inlined callee's return, AUIPC+JALR call or jump): the virtual
   * offset control must reach to stay in the region (else the code leaves through cpu.pc).
   */
  expect?: number;
  /** Control may arrive here from another page: check the guard of this step's page first. */
  enterPage?: number;
  /** Part of an inlined callee (its branches only ever leave the region). */
  callee?: boolean;
}

export interface Path {
  steps: Step[];
  /** After the last step (when it does not transfer control itself). */
  end: Edge;
}

export interface Interval {
  id: number;
  kind: 'loop' | 'block';
  /** Positions on the main path: [start, end). A loop's head is `start`; a block ends before `end`. */
  start: number;
  end: number;
}

/** A page the region runs code on: `delta` = its virtual base minus the head page's. */
export interface RegionPage {
  delta: number;
  page: CodePage;
}

export interface Region {
  head: number;
  main: Path;
  intervals: Interval[];
  /** Upper bound of instructions executed between two budget checks (all emitted steps). */
  maxRun: number;
  /** Byte range [lo, end) of the head's page its instructions lie in. */
  lo: number;
  end: number;
  /** The head is a loop header. */
  loops: boolean;
  others: RegionPage[];
}

export const enum Flow {
  STOP,
  /** Control never falls through (JAL, JALR). */
  ENDS,
  BRANCH,
  GO,
}

export function flowOf(w: number): Flow {
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
      return Flow.STOP;
    case Op.JAL:
    case Op.JALR:
      return Flow.ENDS;
    case Op.BEQ:
    case Op.BNE:
    case Op.BLT:
    case Op.BGE:
    case Op.BLTU:
    case Op.BGEU:
      return Flow.BRANCH;
    default:
      return Flow.GO;
  }
}

/** The virtual base offset of the page holding virtual offset `vo`. */
export function pageDelta(vo: number): number {
  return Math.floor(vo / 4096) * 4096;
}

/** Decode slot `off` of `page` in place if needed; false when it straddles the page end. */
function ensureDecoded(cpu: RiscvCpu, page: CodePage, off: number): boolean {
  if (page.ops[off] !== 0) return true;
  const u16 = cpu.ramU16;
  const p = u16[(page.ramOff + off) >>> 1];
  if ((p & 3) !== 3) decode16(p);
  else if (off >= 4094) return false;
  else decode32(p | (u16[(page.ramOff + off + 2) >>> 1] << 16));
  if (!page.hasCode) cpu.codeCache.markCode(page);
  page.ops[off] = DEC[0];
  page.ops[off + 1] = DEC[1];
  return true;
}

const RD_X0 = 64;

export class RegionBuilder {
  private readonly pages = new Map<number, CodePage | null>();
  private nextId = 0;
  private total = 0;

  constructor(
    private readonly cpu: RiscvCpu,
    head: CodePage,
    private readonly pageBase: number,
    private readonly lim: RegionLimits,
  ) {
    this.pages.set(0, head);
  }

  /** The page at `delta` if the fetch TLB maps it for the current privilege and it may be compiled. */
  private pageAt(delta: number): CodePage | null {
    let p = this.pages.get(delta);
    if (p === undefined) {
      p = null;
      if (this.pages.size <= MAX_OTHER_PAGES) {
        const va = this.pageBase + delta;
        const cc = this.cpu.codeCache;
        const q = this.cpu.ftlb.lookup(this.cpu.fetchIdx, va | 0, Math.floor(va / 4294967296) | 0);
        if (q !== null && q.hasCode && q.jitAllowed() && q.epoch === cc.epoch && q.fenceGen === cc.fenceGen) p = q;
      }
      this.pages.set(delta, p);
    }
    return p;
  }

  private decodeAt(vo: number): DecodedInsn | null {
    const d = pageDelta(vo);
    const page = this.pageAt(d);
    if (page === null || !ensureDecoded(this.cpu, page, vo - d)) return null;
    const w = page.ops[vo - d] & 0x7fffffff;
    if (flowOf(w) === Flow.STOP) return null;
    return { w, imm: page.ops[vo - d + 1], vo, next: vo + ((w >>> 28) & 2 ? 2 : 4) };
  }

  /**
   * Walk a path from `start`: at most `limit` steps, following direct jumps and (with `calls`)
   * inlining leaf calls. `stopAt(vo)` ends the walk when it returns an edge (the path reached
   * known code). A path never visits an offset twice.
   */
  walk(start: number, limit: number, calls: boolean, stopAt: (vo: number) => Edge | undefined): Path {
    const steps: Step[] = [];
    const seen = new Set<number>();
    let vo = start;
    let page = pageDelta(start);
    let prev: DecodedInsn | undefined;
    for (;;) {
      const stop = stopAt(vo);
      if (stop !== undefined) return { steps, end: stop };
      if (steps.length >= limit || this.total >= this.lim.total || seen.has(vo)) break;
      const i = this.decodeAt(vo);
      if (i === null) break;
      seen.add(vo);
      const step: Step = { i };
      if (pageDelta(vo) !== page) {
        page = pageDelta(vo);
        step.enterPage = page;
      }
      steps.push(step);
      this.total++;
      const op = i.w & 0xff;
      const link = ((i.w >>> 8) & 127) !== RD_X0;
      let target: number | undefined;
      if (op === Op.JAL) target = vo + i.imm;
      else if (op === Op.JALR && prev !== undefined && (prev.w & 0xff) === Op.AUIPC && prev.next === vo && ((prev.w >>> 8) & 127) === ((i.w >>> 15) & 127)) {
        target = (prev.vo + prev.imm + i.imm) & ~1;
        step.expect = target;
      }
      prev = i;
      if (op === Op.JALR && target === undefined) return { steps, end: { kind: 'exit', vo: NaN } };
      if (target !== undefined && !link) {
        if (!this.lim.follow) return { steps, end: { kind: 'exit', vo: target } };
        vo = target; // a jump: follow it
        continue;
      }
      if (op === Op.CSR && !this.lim.follow) return { steps, end: { kind: 'exit', vo: i.next } };
      if (target !== undefined) {
        // A call: inline the callee if it returns within the limit, then go on after the call.
        const saved = this.total;
        const callee = calls && this.lim.callee > 0 ? this.walk(target, this.lim.callee, false, () => undefined) : undefined;
        const ret = callee?.steps[callee.steps.length - 1];
        if (callee === undefined || ret === undefined || (ret.i.w & 0xff) !== Op.JALR || ret.expect !== undefined || callee.end.kind !== 'exit') {
          this.total = saved;
          return { steps, end: { kind: 'exit', vo: target } };
        }
        ret.expect = i.next;
        if (pageDelta(callee.steps[0].i.vo) !== page) callee.steps[0].enterPage = pageDelta(callee.steps[0].i.vo);
        for (const s of callee.steps) {
          s.callee = true;
          seen.add(s.i.vo);
        }
        steps.push(...callee.steps);
        vo = i.next;
        // Back on the caller's page, checked when control got there.
        page = pageDelta(i.vo);
        continue;
      }
      vo = i.next;
    }
    return { steps, end: { kind: 'exit', vo } };
  }

  /** Build the region for `head`, or null if not even the head compiles. */
  build(head: number): Region | null {
    const pos = new Map<number, number>();
    const main = this.walk(head, this.lim.main, true, () => undefined);
    if (main.steps.length === 0) return null;
    // Positions of the main path's own instructions (inlined callees excluded: their branches
    // resolve within the callee).
    main.steps.forEach((s, k) => {
      if (!s.callee && !pos.has(s.i.vo)) pos.set(s.i.vo, k);
    });
    const intervals: Interval[] = [];
    const fits = (a: number, b: number) => intervals.every((iv) => b <= iv.start || iv.end <= a || (a <= iv.start && iv.end <= b) || (iv.start <= a && b <= iv.end));
    /** An edge from position `src` to position `t` of the main path, if it can be structured. */
    const edgeTo = (src: number, t: number): Edge | undefined => {
      const vo = main.steps[t].i.vo;
      if (!this.lim.follow && !(t === 0 && src === main.steps.length - 1)) return undefined;
      if (t <= src) {
        // A loop [t, e) must contain its back edge (e > src) and nest with the other intervals;
        // a loop may run on past its back edge (falling off its end leaves it), so take the
        // first e that nests. A loop around the whole main path always does: that is how the
        // back edges of a loop with many arms (inflate's, each arm ending in `continue`) stay in.
        const same = intervals.find((iv) => iv.kind === 'loop' && iv.start === t);
        const last = main.steps.length;
        if (same !== undefined) {
          if (src + 1 <= same.end) return { kind: 'loop', id: same.id, vo };
          let e = src + 1;
          while (e <= last && !fitsExcept(intervals, same, t, e)) e++;
          if (e > last) return undefined;
          same.end = e;
          return { kind: 'loop', id: same.id, vo };
        }
        let e = src + 1;
        while (e <= last && !fits(t, e)) e++;
        if (e > last) return undefined;
        const iv: Interval = { id: this.nextId++, kind: 'loop', start: t, end: e };
        intervals.push(iv);
        return { kind: 'loop', id: iv.id, vo };
      }
      const same = intervals.find((iv) => iv.kind === 'block' && iv.end === t);
      if (same !== undefined) {
        if (same.start <= src) return { kind: 'block', id: same.id };
        if (!fitsExcept(intervals, same, src, t)) return undefined;
        same.start = src;
        return { kind: 'block', id: same.id };
      }
      if (!fits(src, t)) return undefined;
      const iv: Interval = { id: this.nextId++, kind: 'block', start: src, end: t };
      intervals.push(iv);
      return { kind: 'block', id: iv.id };
    };
    const joinAt = (src: number) => (vo: number): Edge | undefined => {
      const t = pos.get(vo);
      return t === undefined ? undefined : (edgeTo(src, t) ?? { kind: 'exit', vo });
    };
    // Backward edges first (loops are the point), then forward ones, nearest first.
    const branches = main.steps.map((s, k) => k).filter((k) => flowOf(main.steps[k].i.w) === Flow.BRANCH && !main.steps[k].callee);
    const order = [...branches].sort((a, b) => {
      const ta = main.steps[a].i.vo + main.steps[a].i.imm;
      const tb = main.steps[b].i.vo + main.steps[b].i.imm;
      const ba = (pos.get(ta) ?? Infinity) <= a ? 0 : 1;
      const bb = (pos.get(tb) ?? Infinity) <= b ? 0 : 1;
      return ba - bb || a - b;
    });
    const hot = Math.max(16, this.heat(head) >>> 3);
    for (const k of order) {
      const s = main.steps[k];
      const target = s.i.vo + s.i.imm;
      const t = pos.get(target);
      if (t !== undefined) {
        s.taken = edgeTo(k, t) ?? { kind: 'exit', vo: target };
        continue;
      }
      const saved = this.total;
      const side = this.lim.side > 0 ? this.walk(target, this.lim.side, true, joinAt(k)) : { steps: [], end: { kind: 'exit', vo: target } as Edge };
      const joins = side.end.kind === 'loop' || side.end.kind === 'block';
      if (side.steps.length > 0 && (joins || (this.lim.hotSides && this.heat(target) >= hot))) {
        // Its branches leave the region, unless they go back to the main path where an edge can be
        // structured (a loop's condition at the end of one arm, branching back to the head).
        const join = joinAt(k);
        for (const st of side.steps) {
          if (flowOf(st.i.w) !== Flow.BRANCH) continue;
          const to = st.i.vo + st.i.imm;
          st.taken = (!st.callee ? join(to) : undefined) ?? { kind: 'exit', vo: to };
        }
        if (side.steps[0].enterPage === undefined && pageDelta(target) !== pageDelta(s.i.vo)) side.steps[0].enterPage = pageDelta(target);
        s.taken = { kind: 'side', path: side };
      } else {
        this.total = saved;
        s.taken = { kind: 'exit', vo: target };
      }
    }
    // Branches inside inlined callees (and anything left): plain exits.
    for (const s of main.steps) if (flowOf(s.i.w) === Flow.BRANCH && s.taken === undefined) s.taken = { kind: 'exit', vo: s.i.vo + s.i.imm };
    // A path that ends by jumping back onto itself.
    if (main.end.kind === 'exit' && !Number.isNaN(main.end.vo)) {
      const t = pos.get(main.end.vo);
      if (t !== undefined) main.end = edgeTo(main.steps.length - 1, t) ?? main.end;
    }
    // Merge points on other pages: control may arrive from anywhere, so check the page there.
    for (const iv of intervals) {
      const t = iv.kind === 'loop' ? iv.start : iv.end;
      if (t < main.steps.length && pageDelta(main.steps[t].i.vo) !== 0) main.steps[t].enterPage = pageDelta(main.steps[t].i.vo);
    }
    let lo = 4096;
    let end = 0;
    const visit = (p: Path) => {
      for (const s of p.steps) {
        if (s.i.vo >= 0 && s.i.vo < 4096) {
          lo = Math.min(lo, s.i.vo);
          end = Math.max(end, s.i.next);
        }
        if (s.taken?.kind === 'side') visit(s.taken.path);
      }
    };
    visit(main);
    const others: RegionPage[] = [];
    for (const [delta, page] of this.pages) if (delta !== 0 && page !== null) others.push({ delta, page });
    return {
      head,
      main,
      intervals,
      maxRun: this.total,
      lo,
      end,
      loops: intervals.some((iv) => iv.kind === 'loop' && iv.start === 0),
      others,
    };
  }

  /** Landings counted on `vo` (0 if its page is not known). */
  private heat(vo: number): number {
    const d = pageDelta(vo);
    const page = this.pages.get(d);
    return page ? page.heat[(vo - d) >>> 1] : 0;
  }
}

/** Would [a, b) nest with every interval but `self` (which it replaces)? */
function fitsExcept(ivs: Interval[], self: Interval, a: number, b: number): boolean {
  return ivs.every((iv) => iv === self || b <= iv.start || iv.end <= a || (a <= iv.start && iv.end <= b) || (iv.start <= a && b <= iv.end));
}

/** The region grown from virtual offset `head` of `page` (virtual base `pageBase`), or null. */
export function collectRegion(cpu: RiscvCpu, page: CodePage, pageBase: number, head: number, lim: RegionLimits): Region | null {
  return new RegionBuilder(cpu, page, pageBase, lim).build(head);
}

/**
 * Cheap pre-check for jit.ts's loop-threshold compiles, which most slots that reach it fail (in a
 * Linux boot ~1200 of ~1600): could a tier-1 region at `head` be a loop, or a long straight run?
 * Walks the straight path over the page's decoded ops only, as far as a tier-1 path goes
 * (TIER1.main steps, ending at a jump or a stop), and says no only when no branch on it, and not
 * its final jump, goes back to the head, and the path has some control flow (a branch, a jump, a
 * CSR access) within those steps. Anything it cannot see cheaply (undecoded slots, the page end,
 * an AUIPC+JALR jump) answers yes, and collectRegion decides (see isLongStraightRun).
 */
export function mayLoopAt(page: CodePage, head: number): boolean {
  const ops = page.ops;
  let off = head;
  let prev = 0;
  let straight = true;
  for (let n = 0; n < TIER1.main; n++) {
    if (off >= 4094) return true;
    const w = ops[off] & 0x7fffffff;
    if (w === 0) return true;
    const flow = flowOf(w);
    if (flow === Flow.BRANCH && off + ops[off + 1] === head) return true;
    if (flow === Flow.ENDS) {
      // A jump back to the head closes a loop too; AUIPC+JALR has a known target (walk), so maybe.
      if ((w & 0xff) === Op.JAL) return off + ops[off + 1] === head;
      return (prev & 0xff) === Op.AUIPC && ((prev >>> 8) & 127) === ((w >>> 15) & 127);
    }
    if (flow === Flow.STOP) return false;
    if (!isStraightLine(w)) straight = false;
    prev = w;
    off += (w >>> 28) & 2 ? 2 : 4;
  }
  return straight;
}

/**
 * A region whose main path is TIER1.main instructions of straight-line code (no branch, jump or
 * CSR access): unrolled code such as the kernel's blake2s_compress or chacha_permute's loop body,
 * where each landing on the head interprets that many instructions. jit.ts compiles such a head
 * at the loop threshold, as a loop: landings there are rare, but each is worth a hundred.
 */
export function isLongStraightRun(region: Region): boolean {
  const steps = region.main.steps;
  if (steps.length < TIER1.main) return false;
  for (const s of steps) if (!isStraightLine(s.i.w)) return false;
  return true;
}

/** Straight-line code for a long run: falls through, and is not a CSR access (a tier-1 path ends after one). */
function isStraightLine(w: number): boolean {
  return flowOf(w) === Flow.GO && (w & 0xff) !== Op.CSR;
}
