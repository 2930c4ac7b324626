/** Seeded random RV64IMAFDC streams in lockstep with QEMU, part 1 (part 2 in random-2.test.ts runs in parallel). */
import { randomTests } from './random-cases';

randomTests('riscv diff: random instruction streams vs QEMU (1)', [[1, 'mixed'], [2, 'mixed'], [3, 'fp'], [4, 'int']]);
