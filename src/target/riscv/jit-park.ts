/**
 * Parking: a compiled block runs only once V8 has optimized it (jit.ts compiles, exec.ts calls
 * jit_feedback_done after a block's early calls, land() calls parked_landed).
 *
 * Why: a new block's function starts in V8's bytecode interpreter and baseline code, where each
 * typed-array access and operator is a call into an IC stub: several times slower than our
 * interpreter loop, until V8 has collected enough to optimize it on its own. So a block runs only
 * FEEDBACK_CALLS times (its type feedback, with a short budget: exec.ts), then V8 is asked to
 * optimize it (src/util/v8-tiering.ts; the compile starts at the next call, on a background
 * thread), and the block is parked: its head unmarked in CodePage.ops, our interpreter runs the
 * code, and landings on the head check every PARK_CHECK_EVERY whether the optimized code is
 * installed; then the head is marked again. Every DEOPT_CHECK_EVERY calls exec.ts has it checked
 * that V8 has not deoptimized the block since (and parked again if so). Without the V8
 * intrinsics blocks are never parked.
 */
import type { CodePage } from './code-cache';
import { isOptimized, optimizeSoon, tieringAvailable } from '../../util/v8-tiering';

export const FEEDBACK_CALLS = 3;
let parking = true;

/** Turn parking on or off (tests that compare compiled blocks with the interpreter turn it off, so blocks keep running). */
export function setJitParking(on: boolean): void {
  parking = on;
}

export function getJitParking(): boolean {
  return parking;
}

const PARK_CHECK_EVERY = 32;
/** After the feedback calls, every this many calls exec.ts asks jit_feedback_done whether V8 deoptimized the block. */
export const DEOPT_CHECK_EVERY = 256;
/** Landings after which a block that V8 did not optimize is used anyway (as before parking). */
const PARK_LIMIT = 4096;

/**
 * exec.ts: the block at `head` returned from its `k`-th call (k = FEEDBACK_CALLS, one more, or
 * every DEOPT_CHECK_EVERY after: a block V8 deoptimized since, back in its unoptimized tiers, is
 * parked again).
 */
export function jit_feedback_done(page: CodePage, head: number, k: number): void {
  if (!parking || !tieringAvailable()) return;
  const s = head >>> 1;
  const fn = page.blocks?.[s];
  if (fn === undefined) return;
  if (k === FEEDBACK_CALLS) optimizeSoon(fn);
  else if (k > FEEDBACK_CALLS + 1) {
    if (!isOptimized(fn)) {
      optimizeSoon(fn);
      page.blockCalls[s] = FEEDBACK_CALLS; // parked after the next call, which starts the compile
    }
  } else if (page.ops[head] < 0) {
    page.ops[head] &= 0x7fffffff;
    page.park(head);
  }
}

/** land(): execution landed on `off`, the head of a parked block (page.parked[off >>> 1] !== 0). */
export function parked_landed(page: CodePage, off: number): void {
  const parked = page.parked!;
  const s = off >>> 1;
  const k = parked[s]; // 1 + landings so far
  if (k % PARK_CHECK_EVERY !== 0 && k < PARK_LIMIT) {
    parked[s] = k + 1;
    return;
  }
  const fn = page.blocks?.[s];
  // Still the block that was parked (not dropped since: its code unchanged)?
  if (fn !== undefined && page.ops[off] !== 0) {
    if (!isOptimized(fn) && k < PARK_LIMIT) {
      parked[s] = k + 1;
      return;
    }
    page.ops[off] |= 0x80000000;
  }
  page.unpark(off);
}
