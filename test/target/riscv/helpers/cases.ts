/**
 * Table-driven assembly tests: each case is a harness program (machine.ts) plus the RES values it
 * must print. Every program runs on vtrace three times: interpreter only, with the block compiler
 * (jit.ts) compiling every block the first time execution lands on it, and the same with every
 * block recompiled as a full region (tier 2) on its second call. The same programs also run under the real QEMU 7.2 when it is installed (set
 * VTRACE_NO_QEMU=1 to skip), as an oracle for the expectations. QEMU runs with
 * `-cpu rv64,h=false` (QEMU 7.2's default rv64 also has the H extension, which vtrace does not
 * model); a case lists `qemu` when QEMU 7.2 is known to differ (documented deviations).
 */

import { describe, expect, test } from 'vitest';
import { haveBinutils } from './asm';
import { assembleTest, hex, runTest, u, type BenchOptions } from './machine';
import { haveQemu, runOnQemu } from './qemu';
import { getJitThresholds, getJitTier2Calls, setJitThreshold } from '../../../../src/target/riscv/jit';
import { getJitParking, setJitParking } from '../../../../src/target/riscv/jit-park';

export interface AsmCase {
  name: string;
  /** Assembly defining `test:` (GNU as, rv64gc). */
  body: string;
  /** Expected RES values; a function gets the program's symbol table (labels in the body). */
  expect: Expected;
  /** What QEMU 7.2 prints when it differs from vtrace on purpose; 'skip' when not comparable. */
  qemu?: Expected | 'skip';
  bench?: BenchOptions;
  maxInstructions?: number;
}

type Values = (bigint | number)[];
export type Expected = Values | ((sym: (name: string) => bigint) => Values);

function resolve(e: Expected, symbols: Map<string, bigint>): bigint[] {
  const sym = (name: string): bigint => {
    const v = symbols.get(name);
    if (v === undefined) throw new Error(`no symbol ${name}`);
    return v;
  };
  return (typeof e === 'function' ? e(sym) : e).map(u);
}

export function defineCases(cases: AsmCase[]): void {
  const bin = haveBinutils();
  // Interpreter only; every block compiled on first landing; and recompiled at tier 2 at once.
  for (const [mode, threshold, tier2] of [
    ['interpreter', 0, 1],
    ['jit', 1, 0xfffffffe],
    ['jit tier 2', 1, 2],
  ] as const) {
    describe.skipIf(!bin)(`vtrace (${mode})`, () => {
      for (const c of cases) {
        test(c.name, () => {
          const saved: [number, number, number] = [...getJitThresholds(), getJitTier2Calls()];
          setJitThreshold(threshold, threshold, tier2);
          const parking = getJitParking();
          setJitParking(false); // every call runs the compiled block
          try {
            const r = runTest(c.body, { ...c.bench, maxInstructions: c.maxInstructions });
            expect(hex(r.results)).toEqual(hex(resolve(c.expect, r.asm.symbols)));
          } finally {
            setJitThreshold(...saved);
            setJitParking(parking);
          }
        });
      }
    });
  }
  const q = bin && haveQemu() && !process.env.VTRACE_NO_QEMU;
  describe.skipIf(!q)('QEMU 7.2 oracle', () => {
    for (const c of cases) {
      if (c.qemu === 'skip') continue;
      test(c.name, () => {
        const asm = assembleTest(c.body);
        expect(hex(runOnQemu(asm.elf))).toEqual(hex(resolve(c.qemu ?? c.expect, asm.symbols)));
      });
    }
  });
}
