/**
 * Parking (jit-park.ts): a compiled block runs its first calls (V8's type feedback), is then handed
 * back to the interpreter while V8 optimizes it on a background thread, and runs again once V8
 * has installed the optimized code. Through all of it the guest computes what the interpreter
 * alone computes, slice by slice.
 */
import { describe, expect, test } from 'vitest';
import { haveBinutils } from './helpers/asm';
import { assembleTest, makeBench } from './helpers/machine';
import { state } from './helpers/jit-lockstep';
import type { CodePage } from '../../../src/target/riscv/code-cache';
import { getJitThresholds, getJitTier2Calls, setJitThreshold } from '../../../src/target/riscv/jit';
import { getJitParking, setJitParking } from '../../../src/target/riscv/jit-park';
import { tieringAvailable } from '../../../src/util/v8-tiering';

const LOOP = `
.option norvc
test:
  li a1, 0
  li a2, 0
  li a3, 400000
1:
  addi a1, a1, 1
  xor a2, a2, a1
  slli t0, a2, 3
  add a2, a2, t0
  blt a1, a3, 1b
  RES a1
  RES a2
  ret
`;

/** Heads (page RAM offset + head offset) of the blocks parked now, and of those marked (running) now. */
function heads(pages: readonly (CodePage | undefined)[]): { parked: Set<number>; marked: Set<number> } {
  const parked = new Set<number>();
  const marked = new Set<number>();
  for (const p of pages) {
    if (p === undefined || p.blocks === null) continue;
    for (const h of p.parkedHeads()) parked.add(p.ramOff + h);
    for (const h of p.heads) if (p.ops[h] < 0) marked.add(p.ramOff + h);
  }
  return { parked, marked };
}

describe.skipIf(!haveBinutils())('block parking', () => {
  test('the V8 intrinsics parking relies on work here', () => {
    expect(tieringAvailable()).toBe(true);
  });

  test('a block is parked after its feedback calls, runs again once optimized, and computes what the interpreter does', () => {
    const asm = assembleTest(LOOP);
    const saved: [number, number, number] = [...getJitThresholds(), getJitTier2Calls()];
    const parking = getJitParking();
    try {
      setJitThreshold(0);
      const interp = makeBench(asm.bin);
      setJitThreshold(1, 1, 0xfffffffe);
      setJitParking(true);
      const jit = makeBench(asm.bin);
      const everParked = new Set<number>();
      let sawUnparked = false;
      // Short slices: every slice enters the loop's block again (one call each).
      for (let i = 0; i < 100_000 && !jit.finished() && !sawUnparked; i++) {
        setJitThreshold(0);
        interp.cpu.run(40);
        setJitThreshold(1, 1, 0xfffffffe);
        jit.cpu.run(40);
        expect(state(jit)).toEqual(state(interp));
        const { parked, marked } = heads(jit.cpu.codeCache.pages);
        for (const h of parked) everParked.add(h);
        sawUnparked = [...everParked].some((h) => marked.has(h));
      }
      const sawParked = everParked.size > 0;
      expect(sawParked).toBe(true);
      // V8 compiles on a background thread and installs the code at one of this thread's
      // interrupt checks: the loop above gives it 100 000 slices' time.
      expect(sawUnparked).toBe(true);
      // And the rest of the program on both, to the same results.
      setJitThreshold(0);
      interp.runToEnd(5_000_000);
      setJitThreshold(1, 1, 0xfffffffe);
      jit.runToEnd(5_000_000);
      expect(jit.finished()).toBe(true);
      expect(jit.out()).toBe(interp.out());
    } finally {
      setJitThreshold(...saved);
      setJitParking(parking);
    }
  });
});
