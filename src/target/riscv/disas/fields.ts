/**
 * Bit-field extraction for RISC-V instruction encodings.
 *
 * Contract: every function takes the raw encoding as a JS number (signed or unsigned; only the
 * low 32 bits — or the low 16 bits for compressed parcels — are looked at) and returns a plain
 * number. Immediates are returned sign-extended where the ISA sign-extends them, as JS numbers
 * (they all fit in 32 bits), and already scaled (i.e. the value the hardware adds, not the raw
 * field bits).
 *
 * References: RISC-V Unprivileged ISA (20191213), §2.2 "Base Instruction Formats" and §2.3
 * "Immediate Encoding Variants" for the 32-bit formats; chapter 16 "C" Standard Extension,
 * §16.2 "Compressed Instruction Formats" (Table 16.1/16.2) for the RVC formats.
 */

/** Bits [hi:lo] of `x` (inclusive), as an unsigned number. */
export function bits(x: number, hi: number, lo: number): number {
  const width = hi - lo + 1;
  return width >= 32 ? x >>> lo : (x >>> lo) & ((1 << width) - 1);
}

/** Bit `n` of `x` (0 or 1). */
export function bit(x: number, n: number): number {
  return (x >>> n) & 1;
}

/** Sign-extend the low `width` bits of `x`. */
export function sext(x: number, width: number): number {
  const shift = 32 - width;
  return (x << shift) >> shift;
}

// ---- 32-bit formats (§2.2) ----

export const opcode = (i: number): number => i & 0x7f;
export const rd = (i: number): number => bits(i, 11, 7);
export const funct3 = (i: number): number => bits(i, 14, 12);
export const rs1 = (i: number): number => bits(i, 19, 15);
export const rs2 = (i: number): number => bits(i, 24, 20);
/** R4-type third source register (F/D fused multiply-add, §11.6). */
export const rs3 = (i: number): number => bits(i, 31, 27);
export const funct7 = (i: number): number => bits(i, 31, 25);

/** I-type immediate: inst[31:20], sign-extended. */
export const immI = (i: number): number => i >> 20;
/** S-type immediate: inst[31:25] | inst[11:7], sign-extended. */
export const immS = (i: number): number => ((i >> 25) << 5) | bits(i, 11, 7);
/** B-type immediate: imm[12|10:5] in inst[31:25], imm[4:1|11] in inst[11:7]; multiple of 2. */
export const immB = (i: number): number =>
  ((i >> 31) << 12) | (bit(i, 7) << 11) | (bits(i, 30, 25) << 5) | (bits(i, 11, 8) << 1);
/** U-type immediate field inst[31:12], unshifted (0..0xfffff), as the assembler writes it. */
export const immU20 = (i: number): number => i >>> 12;
/** J-type immediate: imm[20|10:1|11|19:12] in inst[31:12]; multiple of 2, sign-extended. */
export const immJ = (i: number): number =>
  ((i >> 31) << 20) | (bits(i, 19, 12) << 12) | (bit(i, 20) << 11) | (bits(i, 30, 21) << 1);

// ---- RVC formats (§16.2) ----

/** Full 5-bit register field inst[11:7] (rd/rs1 of CR/CI/CSS). */
export const cRd = (c: number): number => bits(c, 11, 7);
/** Full 5-bit register field inst[6:2] (rs2 of CR/CSS). */
export const cRs2 = (c: number): number => bits(c, 6, 2);
/** 3-bit "prime" register field inst[9:7], mapping to x8..x15 (Table 16.2). */
export const cRs1p = (c: number): number => 8 + bits(c, 9, 7);
/** 3-bit "prime" register field inst[4:2], mapping to x8..x15 (Table 16.2). */
export const cRs2p = (c: number): number => 8 + bits(c, 4, 2);
export const cFunct3 = (c: number): number => bits(c, 15, 13);

/** CI-format 6-bit immediate imm[5] = inst[12], imm[4:0] = inst[6:2], sign-extended. */
export const cImm6 = (c: number): number => sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
/** CI-format shift amount, unsigned: shamt[5] = inst[12], shamt[4:0] = inst[6:2]. */
export const cShamt = (c: number): number => (bit(c, 12) << 5) | bits(c, 6, 2);

/** C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = inst[12:5]; zero-extended, scaled by 4. */
export const cAddi4spnImm = (c: number): number =>
  (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);

/** C.ADDI16SP: nzimm[9] = inst[12], nzimm[4|6|8:7|5] = inst[6:2]; sign-extended, scaled by 16. */
export const cAddi16spImm = (c: number): number =>
  sext(
    (bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5),
    10,
  );

/** C.LUI: nzimm[17] = inst[12], nzimm[16:12] = inst[6:2]; returned as the sign-extended 6-bit
 *  field value (the amount in units of 4 KiB). */
export const cLuiImm = (c: number): number => cImm6(c);

/** CL/CS word access (C.LW/C.SW/C.FLW/C.FSW): uimm[5:3] = inst[12:10], uimm[2|6] = inst[6:5]. */
export const cLwImm = (c: number): number => (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6);

/** CL/CS doubleword access (C.LD/C.SD/C.FLD/C.FSD): uimm[5:3] = inst[12:10], uimm[7:6] = inst[6:5]. */
export const cLdImm = (c: number): number => (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);

/** C.LWSP/C.FLWSP: uimm[5] = inst[12], uimm[4:2|7:6] = inst[6:2]. */
export const cLwspImm = (c: number): number => (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);

/** C.LDSP/C.FLDSP: uimm[5] = inst[12], uimm[4:3|8:6] = inst[6:2]. */
export const cLdspImm = (c: number): number => (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);

/** C.SWSP/C.FSWSP: uimm[5:2|7:6] = inst[12:7]. */
export const cSwspImm = (c: number): number => (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);

/** C.SDSP/C.FSDSP: uimm[5:3|8:6] = inst[12:7]. */
export const cSdspImm = (c: number): number => (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);

/** CB-format branch offset (C.BEQZ/C.BNEZ): offset[8|4:3] = inst[12:10], offset[7:6|2:1|5] = inst[6:2]. */
export const cBranchImm = (c: number): number =>
  sext(
    (bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5),
    9,
  );

/** CJ-format jump offset (C.J): offset[11|4|9:8|10|6|7|3:1|5] = inst[12:2]. */
export const cJumpImm = (c: number): number =>
  sext(
    (bit(c, 12) << 11) |
      (bit(c, 11) << 4) |
      (bits(c, 10, 9) << 8) |
      (bit(c, 8) << 10) |
      (bit(c, 7) << 6) |
      (bit(c, 6) << 7) |
      (bits(c, 5, 3) << 1) |
      (bit(c, 2) << 5),
    12,
  );
