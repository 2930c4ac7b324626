/**
 * F and D against objdump: every OP-FP funct7 × funct3 (rounding mode) × rs2, the four fused
 * multiply-add opcodes and FP loads/stores with every funct3 × funct7.
 */
import { describe, expect, it } from 'vitest';
import { sweepFunct, sweepOpFp } from './gen-encodings';
import { compareWithObjdump, formatMismatches, haveObjdump, MODES, SKIP_REASON } from './objdump-oracle';

if (!haveObjdump) console.warn(SKIP_REASON);

describe.skipIf(!haveObjdump)('F/D disassembly matches objdump', () => {
  const sets: Array<[string, number[]]> = [
    ['OP-FP funct7 x rm x rs2', sweepOpFp(10)],
    ['FMA, LOAD-FP, STORE-FP funct3 x funct7', sweepFunct([0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f], 2, 11)],
  ];
  for (const [what, insns] of sets)
    for (const mode of MODES)
      it(`${what}, -M ${mode.name}`, () => {
        const bad = compareWithObjdump(insns, mode);
        expect(bad.length, formatMismatches(bad)).toBe(0);
      });
});
