/**
 * Regions of the block compiler (jit-region.ts, jit-gen.ts) in lockstep with the interpreter
 * (helpers/jit-lockstep.ts): loops whose back edge is a side path, if/else arms, nested loops,
 * leaf calls inlined from the same page and from another page (JAL and AUIPC+JALR), a callee that
 * does not return where it was called from, a callee patched while a region has it inlined, code
 * crossing a page end (with and without an instruction straddling it), and in S-mode a callee
 * whose page is remapped under a region plus sstatus.SUM toggled around user loads, with page
 * faults in between. Each program runs with tier-1 blocks only and with every block recompiled as
 * a full region (tier 2) on its second call; slices are long enough for whole regions to run.
 */
import { describe, expect, test } from 'vitest';
import { haveBinutils } from './helpers/asm';
import { runLockstep } from './helpers/jit-lockstep';
import type { CodePage } from '../../../src/target/riscv/code-cache';
import { CALLS, REGION_PROGRAMS } from './helpers/jit-programs';

const TIERS: Record<string, [number, number, number]> = {
  'tier 1': [1, 1, 0xfffffffe],
  'tier 2': [1, 1, 2],
};

describe.skipIf(!haveBinutils())('JIT regions in lockstep with the interpreter', () => {
  for (const [tier, jit] of Object.entries(TIERS)) {
    for (const [name, body] of Object.entries(REGION_PROGRAMS)) {
      test(`${tier}: ${name}`, () => {
        runLockstep(body, { jit, maxSlice: 700, seed: name.length * 7 + tier.length });
      });
    }
  }

  test('tier 2 takes the leaf on the other page into the calling loop', () => {
    const { jit } = runLockstep(CALLS, { jit: [1, 1, 2], maxSlice: 5000 });
    // Some block runs code of another page: that page lists it as a dependent.
    const pages = jit.cpu.codeCache.pages.filter((p): p is CodePage => p !== undefined);
    expect(pages.some((p) => (p as unknown as { dependents: unknown[] }).dependents.length > 0)).toBe(true);
  });
});
