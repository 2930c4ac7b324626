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
import { CodePage } from '../../../src/target/riscv/code-cache';
import { DEC, decode32 } from '../../../src/target/riscv/decode';
import { mayLoopAt, TIER1 } from '../../../src/target/riscv/jit-region';
import { CALLS, LONG_RUN, REGION_PROGRAMS } from './helpers/jit-programs';

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

describe.skipIf(!haveBinutils())('long straight runs', () => {
  test('compiled at the loop threshold though no loop is there, in blocks of up to 512 instructions chained across the page end', () => {
    // Only loop-threshold compiles (30 landings; the 40 calls never reach 60000). The rest of the
    // run is landed on only by the first block's exits, 10 times: compiled there because that
    // block's compile warmed its exit.
    const { jit } = runLockstep(LONG_RUN, { jit: [60000, 30, 0xfffffffe], maxSlice: 3000, seed: 11 });
    const blocks = jit.cpu.codeCache.pages
      .filter((p): p is CodePage => p !== undefined)
      .flatMap((p) => p.heads.map((h) => ({ page: p, head: h, len: p.blockLen[h >>> 1] })));
    // The function's head (512 instructions, up to TCG's longest TB), and the rest of the run,
    // compiled from the first block's exit (warmed) on the next page.
    const seen = JSON.stringify(blocks.map((b) => [b.page.ramOff, b.head, b.len]));
    const first = blocks.find((b) => b.len === 512);
    expect(first, seen).toBeDefined();
    const exit = first!.head + 4 * 512 - 4096; // on the next page (no compressed instructions)
    expect(blocks.some((b) => b.page.ramOff === first!.page.ramOff + 4096 && b.head === exit), seen).toBe(true);
  });
});

describe('mayLoopAt (the loop-threshold pre-check)', () => {
  const ADDI_A1 = 0x00158593; // addi a1, a1, 1
  const JAL_X0 = 0x0000006f; // j .
  /** bne a1, a2, d */
  const bne = (d: number) =>
    ((((d >> 12) & 1) << 31) | (((d >> 5) & 0x3f) << 25) | (12 << 20) | (11 << 15) | (1 << 12) | (((d >> 1) & 0xf) << 8) | (((d >> 11) & 1) << 7) | 0x63) >>> 0;
  /** A page with the 32-bit instructions `words` decoded from byte offset `at` on (undefined: a slot left undecoded). */
  function pageWith(words: (number | undefined)[], at = 0): CodePage {
    const page = new CodePage(0, 1);
    words.forEach((insn, i) => {
      if (insn === undefined) return;
      decode32(insn);
      page.ops[at + 4 * i] = DEC[0];
      page.ops[at + 4 * i + 1] = DEC[1];
    });
    return page;
  }
  test('a branch back to the head on the straight path: maybe a loop', () => {
    expect(mayLoopAt(pageWith([ADDI_A1, ADDI_A1, bne(-8), JAL_X0]), 0)).toBe(true);
  });
  test('the path ends at a jump, its branches go forward: no loop', () => {
    expect(mayLoopAt(pageWith([ADDI_A1, bne(8), ADDI_A1, JAL_X0]), 0)).toBe(false);
  });
  test('a jump back to the head ending the path (a loop the compiler closes with its back jump): maybe', () => {
    const jBack = ((1 << 31) | (0x3f8 << 21) | (1 << 20) | (0xff << 12) | 0x6f) >>> 0; // j .-16
    expect(mayLoopAt(pageWith([ADDI_A1, ADDI_A1, bne(8), ADDI_A1, jBack]), 0)).toBe(true);
    expect(mayLoopAt(pageWith([ADDI_A1, ADDI_A1, bne(8), ADDI_A1, jBack]), 4)).toBe(false);
  });
  test('a branch back to an earlier instruction, not the head: no loop there', () => {
    expect(mayLoopAt(pageWith([ADDI_A1, ADDI_A1, bne(-8), JAL_X0]), 4)).toBe(false);
  });
  test('a straight path of TIER1.main instructions with no control flow (unrolled code): yes', () => {
    expect(mayLoopAt(pageWith(new Array<number>(TIER1.main + 2).fill(ADDI_A1)), 0)).toBe(true);
  });
  test('the same with a CSR access or a forward branch on it: no', () => {
    const csrr = 0xc0102573; // csrr a0, time
    const words = new Array<number>(TIER1.main + 2).fill(ADDI_A1);
    words[60] = csrr;
    expect(mayLoopAt(pageWith(words), 0)).toBe(false);
    words[60] = bne(8);
    expect(mayLoopAt(pageWith(words), 0)).toBe(false);
  });
  test('code not decoded yet, or the page end: cannot tell, so maybe', () => {
    expect(mayLoopAt(pageWith([ADDI_A1, undefined]), 0)).toBe(true);
    expect(mayLoopAt(pageWith(new Array<number>(24).fill(ADDI_A1), 4000), 4000)).toBe(true);
  });
});
