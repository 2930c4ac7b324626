/**
 * Immediate decoders checked against an independent encoder that places bits exactly as the ISA
 * manual's format diagrams write them (e.g. C.J is "offset[11|4|9:8|10|6|7|3:1|5]" in
 * inst[12:2]; Unprivileged ISA 20191213 §2.3 Figure 2.4 and §16.2 Table 16.1ff).
 */
import { describe, expect, it } from 'vitest';
import * as F from '../../../../src/target/riscv/disas/fields';

/**
 * Encode `value` into an instruction field starting at bit `topBit` and going down, following a
 * manual-style layout like "11|4|9:8|10": each part names bits of `value`, most significant
 * instruction bit first.
 */
function place(value: number, layout: string, topBit: number): number {
  let pos = topBit;
  let out = 0;
  for (const part of layout.split('|')) {
    const [hi, lo] = part.includes(':') ? part.split(':').map(Number) : [Number(part), Number(part)];
    for (let b = hi!; b >= lo!; b--, pos--) out |= ((value >>> b) & 1) << pos;
  }
  return out >>> 0;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

describe('32-bit immediates (§2.3)', () => {
  it('I, S, B, U, J', () => {
    for (const v of range(-2048, 2047, 1)) {
      expect(F.immI(place(v, '11:0', 31))).toBe(v);
      expect(F.immS(place(v, '11:5', 31) | place(v, '4:0', 11))).toBe(v);
    }
    for (const v of range(-4096, 4094, 2)) expect(F.immB(place(v, '12|10:5', 31) | place(v, '4:1|11', 11))).toBe(v);
    for (const v of range(-(1 << 20), (1 << 20) - 2, 2 * 997)) expect(F.immJ(place(v, '20|10:1|11|19:12', 31))).toBe(v);
    expect(F.immJ(place(-(1 << 20), '20|10:1|11|19:12', 31))).toBe(-(1 << 20));
    expect(F.immU20(0xfffff037)).toBe(0xfffff);
  });

  it('register and function fields', () => {
    const i = 0xfe5ff0d3 | 0; // as a signed JS number
    expect([F.opcode(i), F.rd(i), F.funct3(i), F.rs1(i), F.rs2(i), F.funct7(i), F.rs3(i)]).toEqual([
      0x53, 1, 7, 31, 5, 0x7f, 31,
    ]);
  });
});

describe('RVC immediates (§16.2–16.5)', () => {
  it('CI, shifts, C.LUI, C.ADDI16SP, C.ADDI4SPN', () => {
    for (const v of range(-32, 31, 1)) expect(F.cImm6(place(v, '5', 12) | place(v, '4:0', 6))).toBe(v);
    for (const v of range(0, 63, 1)) expect(F.cShamt(place(v, '5', 12) | place(v, '4:0', 6))).toBe(v);
    for (const v of range(-512, 496, 16)) expect(F.cAddi16spImm(place(v, '9', 12) | place(v, '4|6|8:7|5', 6))).toBe(v);
    for (const v of range(0, 1020, 4)) expect(F.cAddi4spnImm(place(v, '5:4|9:6|2|3', 12))).toBe(v);
  });

  it('loads and stores', () => {
    for (const v of range(0, 124, 4)) expect(F.cLwImm(place(v, '5:3', 12) | place(v, '2|6', 6))).toBe(v);
    for (const v of range(0, 248, 8)) expect(F.cLdImm(place(v, '5:3', 12) | place(v, '7:6', 6))).toBe(v);
    for (const v of range(0, 252, 4)) expect(F.cLwspImm(place(v, '5', 12) | place(v, '4:2|7:6', 6))).toBe(v);
    for (const v of range(0, 504, 8)) expect(F.cLdspImm(place(v, '5', 12) | place(v, '4:3|8:6', 6))).toBe(v);
    for (const v of range(0, 252, 4)) expect(F.cSwspImm(place(v, '5:2|7:6', 12))).toBe(v);
    for (const v of range(0, 504, 8)) expect(F.cSdspImm(place(v, '5:3|8:6', 12))).toBe(v);
  });

  it('branches and jumps', () => {
    for (const v of range(-256, 254, 2)) expect(F.cBranchImm(place(v, '8|4:3', 12) | place(v, '7:6|2:1|5', 6))).toBe(v);
    for (const v of range(-2048, 2046, 2)) expect(F.cJumpImm(place(v, '11|4|9:8|10|6|7|3:1|5', 12))).toBe(v);
  });

  it('register fields, prime registers map to x8..x15', () => {
    expect([F.cRd(0xffff), F.cRs2(0xffff), F.cRs1p(0xffff), F.cRs2p(0xffff), F.cFunct3(0xffff)]).toEqual([31, 31, 15, 15, 7]);
    expect([F.cRs1p(0), F.cRs2p(0)]).toEqual([8, 8]);
  });
});
