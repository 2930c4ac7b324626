/** Traps, privilege changes, CSR rules and software interrupts in lockstep with QEMU (programs/traps.ts). */
import { expect, test } from 'vitest';
import { diffProgram } from './harness';
import { trapsProgram } from './programs/traps';

test('riscv diff: traps, delegation, xRET, CSR rules, counter enables, S-mode interrupts', { timeout: 120_000 }, async (ctx) => {
  await diffProgram(ctx, 'traps', trapsProgram(), {
    interrupts: true,
    checkQemu: (r) => {
      const causes = new Set(r.traps.map((c) => c.toString(16)));
      // The program must really reach each kind of trap on QEMU, or it tests nothing.
      for (const c of ['1', '2', '3', '5', '7', '8', '9', 'b', '8000000000000001']) expect(causes, `cause 0x${c}`).toContain(c);
    },
  });
});
