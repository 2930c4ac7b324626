/** LR/SC and every AMO in lockstep with QEMU (programs/atomics.ts). */
import { expect, test } from 'vitest';
import { diffProgram } from './harness';
import { atomicsProgram } from './programs/atomics';

test('riscv diff: LR/SC sequences and every AMO (.w/.d, aq/rl, edge operands, misaligned)', { timeout: 120_000 }, async (ctx) => {
  await diffProgram(ctx, 'atomics', atomicsProgram(), {
    checkQemu: (r) => {
      // QEMU 7.2 traps the misaligned AMOs and LRs, not the SCs (see quirks.ts)
      expect(r.traps.length).toBe(5);
    },
  });
});
