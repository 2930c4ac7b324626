/**
 * 32-bit integer, atomic, fence and system encodings against objdump: every funct3 × funct7 of
 * the integer/atomic/system major opcodes, edge immediates, and random words over all opcodes.
 */
import { describe, expect, it } from 'vitest';
import { allCompressed, immediateEdges, MAJOR_OPCODES, randomWords, rng, sweepFunct } from './gen-encodings';
import { compareWithObjdump, formatMismatches, haveObjdump, MODES, SKIP_REASON } from './objdump-oracle';

if (!haveObjdump) console.warn(SKIP_REASON);

/** LOAD, MISC-MEM, OP-IMM, AUIPC, OP-IMM-32, STORE, AMO, OP, LUI, OP-32, BRANCH, JALR, JAL, SYSTEM. */
const INT_OPCODES = [0x03, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x2f, 0x33, 0x37, 0x3b, 0x63, 0x67, 0x6f, 0x73];

describe.skipIf(!haveObjdump)('RV64I/M/A/Zicsr/Zifencei/privileged disassembly matches objdump', () => {
  const sets: Array<[string, number[]]> = [
    ['funct3 x funct7 sweep', sweepFunct(INT_OPCODES, 2, 1)],
    ['edge immediates', immediateEdges(2)],
    ['random words, all major opcodes', randomWords(20000, 3)],
    ['unassigned major opcodes', sweepFunct(MAJOR_OPCODES.filter((op) => ![...INT_OPCODES, 0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f, 0x53].includes(op)), 1, 4)],
  ];
  for (const [what, insns] of sets)
    for (const mode of MODES)
      it(`${what}, -M ${mode.name}`, () => {
        const bad = compareWithObjdump(insns, mode);
        expect(bad.length, formatMismatches(bad)).toBe(0);
      });
});

describe.skipIf(!haveObjdump)('branch/jump targets wrap modulo 2^64 as objdump prints them', () => {
  // JAL, BRANCH, and compressed C.J/C.BEQZ/C.BNEZ with random offsets, at the bottom and the top
  // of the address space.
  const r = rng(5);
  const words: number[] = [];
  for (let k = 0; k < 500; k++) words.push((r() & ~0x7f) | 0x6f, ((r() & ~0x707f) | 0x63) >>> 0);
  const parcels = allCompressed().filter((c) => (c & 3) === 1 && c >>> 13 >= 5);
  for (const vma of [0n, 0xffffffffffff0000n, 0x7fffffffffff8000n])
    it(`at 0x${vma.toString(16)}`, () => {
      for (const insns of [words, parcels]) {
        const bad = compareWithObjdump(insns, MODES[0]!, vma);
        expect(bad.length, formatMismatches(bad)).toBe(0);
      }
    });
});
