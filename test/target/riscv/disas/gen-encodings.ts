/**
 * Deterministic generators of instruction encodings for the objdump comparison tests.
 *
 * Each generator sweeps the fields that select an operation (major opcode, funct3, funct7 /
 * funct5+fmt, rs2 where it selects a conversion) exhaustively and fills operand fields with a
 * mix of edge values (x0, ra, sp, the largest register, extreme immediates) and pseudo-random
 * ones, so that every opcode/funct combination — valid or not — and every alias condition is hit.
 * Encoding formats: Unprivileged ISA 20191213 §2.2–2.3 and Table 24.1 (major opcodes).
 */

/** Small seeded PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Register field: x0/ra/sp/x31 half the time, otherwise random. */
function reg(r: () => number): number {
  const v = r();
  return v & 1 ? [0, 1, 2, 31][(v >>> 1) & 3]! : (v >>> 3) & 31;
}

/** R-type word from fields. */
export function rtype(op: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}

/** I-type word from fields (imm is 12-bit, may be negative). */
export function itype(op: number, rd: number, f3: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}

/** All 32-bit major opcodes (inst[6:0] with [1:0] = 11 and [4:2] != 111). */
export const MAJOR_OPCODES: readonly number[] = Array.from({ length: 32 }, (_, k) => (k << 2) | 3).filter(
  (op) => ((op >> 2) & 7) !== 7,
);

/**
 * For each of `opcodes`, every funct3 × funct7 (inst[31:25]) combination, `perCombo` times, with
 * biased register fields (rs2 random or edge too, so it also covers I-type immediates' low bits).
 */
export function sweepFunct(opcodes: readonly number[], perCombo: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (const op of opcodes)
    for (let f3 = 0; f3 < 8; f3++)
      for (let f7 = 0; f7 < 128; f7++)
        for (let k = 0; k < perCombo; k++) out.push(rtype(op, reg(r), f3, reg(r), reg(r), f7));
  return out;
}

/** OP-FP (1010011): every funct7 × funct3 × rs2 (rs2 selects conversions), random rd/rs1. */
export function sweepOpFp(seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let f7 = 0; f7 < 128; f7++)
    for (let f3 = 0; f3 < 8; f3++)
      for (let rs2 = 0; rs2 < 32; rs2++) {
        out.push(rtype(0x53, reg(r), f3, reg(r), rs2, f7));
        // Also rs1 = rs2, the fmv/fneg/fabs alias condition.
        if (f7 >> 2 === 0x04) out.push(rtype(0x53, reg(r), f3, rs2, rs2, f7));
      }
  return out;
}

/** Edge immediates for I-type and S-type encodings. */
export const EDGE_IMM12: readonly number[] = [0, 1, -1, 2, 4, 8, 16, 2047, -2048, 0x7f0, -16, 1024, -1024];

/** I-type opcodes (loads, OP-IMM, OP-IMM-32, JALR, LOAD-FP) × funct3 × edge immediates × edge regs. */
export function immediateEdges(seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (const op of [0x03, 0x07, 0x13, 0x1b, 0x67])
    for (let f3 = 0; f3 < 8; f3++)
      for (const imm of EDGE_IMM12)
        for (const rd of [0, 1, 10])
          for (const rs1 of [0, 1, 2, 10]) out.push(itype(op, rd, f3, rs1, imm));
  // S-type and B-type: every funct3 with random immediates/registers; U/J: random.
  for (const op of [0x23, 0x27, 0x63])
    for (let f3 = 0; f3 < 8; f3++)
      for (let k = 0; k < 64; k++) out.push(((r() & 0xfe000f80) | (reg(r) << 20) | (reg(r) << 15) | (f3 << 12) | op) >>> 0);
  for (const op of [0x17, 0x37, 0x6f])
    for (let k = 0; k < 256; k++) out.push(((r() & 0xfffff000) | (reg(r) << 7) | op) >>> 0);
  for (const rd of [0, 1, 2, 10])
    for (const imm of [0, 2, -2, 0xffffe, -0x100000, 0x7fffe]) {
      const j = ((imm >> 20) & 1) << 31 | ((imm >> 1) & 0x3ff) << 21 | ((imm >> 11) & 1) << 20 | ((imm >> 12) & 0xff) << 12;
      out.push((j | (rd << 7) | 0x6f) >>> 0);
    }
  return out;
}

/** Pseudo-random 32-bit words over all major opcodes. */
export function randomWords(count: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const op = MAJOR_OPCODES[r() % MAJOR_OPCODES.length]!;
    out.push(((r() & ~0x7f) | op) >>> 0);
  }
  return out;
}

/** Every 16-bit parcel that is a compressed encoding (low bits != 11): quadrants 0, 1, 2. */
export function allCompressed(): number[] {
  const out: number[] = [];
  for (let c = 0; c < 0x10000; c++) if ((c & 3) !== 3) out.push(c);
  return out;
}
