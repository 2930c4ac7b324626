/**
 * The interpreter warm-up (warmup.ts) must run its synthetic program to the end as designed:
 * if it trapped somewhere unexpected, part of the interpreter would not get its type feedback.
 */
import { expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import { RiscvCpu } from '../../../src/target/riscv/cpu';
import { warmUpInterpreter } from '../../../src/target/riscv/warmup';

test('warm-up program completes every round', () => {
  new RiscvCpu({ hartId: 0, as: new AddressSpace(new GuestRam(0x80000000, 1 << 20)), getTime: () => 0 });
  const r = warmUpInterpreter(() => {
    throw new Error('already ran');
  });
  expect(r.ok).toBe(true);
  expect(r.instructions).toBeGreaterThan(40 * 1000);
});
