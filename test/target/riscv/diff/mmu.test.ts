/** Sv39 and Sv48 translation, permissions, A/D, superpages, SUM/MXR/MPRV in lockstep with QEMU (programs/mmu.ts). */
import { expect, test } from 'vitest';
import { diffProgram } from './harness';
import { mmuProgram } from './programs/mmu';

test('riscv diff: Sv39 and Sv48 page tables, faults, A/D, superpages, SUM/MXR/MPRV', { timeout: 120_000 }, async (ctx) => {
  await diffProgram(ctx, 'mmu', mmuProgram(), {
    checkQemu: (r) => {
      const causes = new Set(r.traps.map((c) => Number(c)));
      for (const c of [12, 13, 15]) expect(causes, `page fault cause ${c}`).toContain(c);
    },
  });
});
