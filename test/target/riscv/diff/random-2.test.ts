/** Seeded random RV64IMAFDC streams in lockstep with QEMU, part 2. */
import { randomTests } from './random-cases';

randomTests('riscv diff: random instruction streams vs QEMU (2)', [[5, 'memrvc'], [6, 'ctrl'], [7, 'fp'], [0x5eed, 'mixed']]);
