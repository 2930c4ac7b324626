/**
 * Decoder for the RV64C compressed encodings (ISA manual ch. 16, tables 16.5–16.7), expanding each
 * into the predecoded form of its 32-bit equivalent (ops.ts) with the COMPRESSED flag set.
 * Reserved encodings (all-zero parcel, C.ADDI4SPN with nzuimm=0, C.LUI/C.ADDI16SP with imm=0,
 * C.ADDIW/C.LWSP/C.LDSP with rd=0, C.JR with rs1=0, quadrant-0 funct3=100, and the reserved
 * misc-ALU codes) decode as ILLEGAL with imm = the 16-bit parcel, as QEMU reports it in mtval.
 * HINT encodings execute as no-ops.
 */

import { DEC } from './decode';
import { Dec, Op, pack, packRaw } from './ops';

const C = Dec.COMPRESSED;

function out(w: number, imm: number): void {
  DEC[0] = w | C;
  DEC[1] = imm;
}

function illegal(p: number): void {
  DEC[0] = Op.ILLEGAL | C;
  DEC[1] = p;
}

/** rd'/rs1'/rs2' (3-bit fields naming x8..x15). */
function r3(p: number, shift: number): number {
  return 8 + ((p >>> shift) & 7);
}

/** Sign-extended 6-bit immediate imm[5] = bit 12, imm[4:0] = bits 6:2 (C.ADDI, C.LI, C.ANDI...). */
function imm6(p: number): number {
  return (((p >>> 12) & 1) ? -32 : 0) | ((p >>> 2) & 31);
}

/** Unsigned 6-bit shift amount. */
function shamt6(p: number): number {
  return (((p >>> 12) & 1) << 5) | ((p >>> 2) & 31);
}

/** C.J / C.JAL offset. */
function immCJ(p: number): number {
  const v =
    (((p >>> 12) & 1) << 11) |
    (((p >>> 11) & 1) << 4) |
    (((p >>> 9) & 3) << 8) |
    (((p >>> 8) & 1) << 10) |
    (((p >>> 7) & 1) << 6) |
    (((p >>> 6) & 1) << 7) |
    (((p >>> 3) & 7) << 1) |
    (((p >>> 2) & 1) << 5);
  return (v << 20) >> 20;
}

/** C.BEQZ / C.BNEZ offset. */
function immCB(p: number): number {
  const v =
    (((p >>> 12) & 1) << 8) |
    (((p >>> 10) & 3) << 3) |
    (((p >>> 5) & 3) << 6) |
    (((p >>> 3) & 3) << 1) |
    (((p >>> 2) & 1) << 5);
  return (v << 23) >> 23;
}

/** Offsets of C.LW/C.SW (uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5). */
function uimmW(p: number): number {
  return (((p >>> 10) & 7) << 3) | (((p >>> 6) & 1) << 2) | (((p >>> 5) & 1) << 6);
}

/** Offsets of C.LD/C.SD/C.FLD/C.FSD (uimm[5:3] = bits 12:10, uimm[7:6] = bits 6:5). */
function uimmD(p: number): number {
  return (((p >>> 10) & 7) << 3) | (((p >>> 5) & 3) << 6);
}

/** Decode one 16-bit parcel into DEC. */
export function decode16(p: number): void {
  const f3 = (p >>> 13) & 7;
  switch (p & 3) {
    case 0:
      return quadrant0(p, f3);
    case 1:
      return quadrant1(p, f3);
    default:
      return quadrant2(p, f3);
  }
}

function quadrant0(p: number, f3: number): void {
  const rdp = r3(p, 2);
  const rs1p = r3(p, 7);
  switch (f3) {
    case 0: {
      // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:11|10:7|6|5
      const nzuimm = (((p >>> 11) & 3) << 4) | (((p >>> 7) & 15) << 6) | (((p >>> 6) & 1) << 2) | (((p >>> 5) & 1) << 3);
      if (nzuimm === 0) return illegal(p);
      return out(pack(Op.ADDI, rdp, 2, 0), nzuimm);
    }
    case 1:
      return out(packRaw(Op.FLD, rdp, rs1p, 0), uimmD(p));
    case 2:
      return out(pack(Op.LW, rdp, rs1p, 0), uimmW(p));
    case 3:
      return out(pack(Op.LD, rdp, rs1p, 0), uimmD(p));
    case 5:
      return out(packRaw(Op.FSD, 0, rs1p, rdp), uimmD(p));
    case 6:
      return out(pack(Op.SW, 0, rs1p, rdp), uimmW(p));
    case 7:
      return out(pack(Op.SD, 0, rs1p, rdp), uimmD(p));
    default:
      return illegal(p);
  }
}

function quadrant1(p: number, f3: number): void {
  const rd = (p >>> 7) & 31;
  switch (f3) {
    case 0: // C.NOP / C.ADDI
      if (rd === 0) return out(Op.NOP, 0);
      return out(pack(Op.ADDI, rd, rd, 0), imm6(p));
    case 1: // C.ADDIW
      if (rd === 0) return illegal(p);
      return out(pack(Op.ADDIW, rd, rd, 0), imm6(p));
    case 2: // C.LI
      if (rd === 0) return out(Op.NOP, 0);
      return out(pack(Op.LI, rd, 0, 0), imm6(p));
    case 3: {
      if (rd === 2) {
        // C.ADDI16SP: nzimm[9|4|6|8:7|5] = bits 12|6|5|4:3|2
        const v =
          (((p >>> 12) & 1) << 9) |
          (((p >>> 6) & 1) << 4) |
          (((p >>> 5) & 1) << 6) |
          (((p >>> 3) & 3) << 7) |
          (((p >>> 2) & 1) << 5);
        if (v === 0) return illegal(p);
        return out(pack(Op.ADDI, 2, 2, 0), (v << 22) >> 22);
      }
      const imm = imm6(p);
      if (imm === 0) return illegal(p);
      if (rd === 0) return out(Op.NOP, 0);
      return out(pack(Op.LI, rd, 0, 0), imm << 12);
    }
    case 4:
      return miscAlu(p);
    case 5:
      return out(pack(Op.JAL, 0, 0, 0), immCJ(p));
    case 6:
      return out(pack(Op.BEQ, 0, r3(p, 7), 0), immCB(p));
    default:
      return out(pack(Op.BNE, 0, r3(p, 7), 0), immCB(p));
  }
}

function miscAlu(p: number): void {
  const rd = r3(p, 7);
  const rs2 = r3(p, 2);
  switch ((p >>> 10) & 3) {
    case 0: {
      const sh = shamt6(p);
      if (sh === 0) return out(Op.NOP, 0); // HINT
      return out(pack(Op.SRLI, rd, rd, 0), sh);
    }
    case 1: {
      const sh = shamt6(p);
      if (sh === 0) return out(Op.NOP, 0); // HINT
      return out(pack(Op.SRAI, rd, rd, 0), sh);
    }
    case 2:
      return out(pack(Op.ANDI, rd, rd, 0), imm6(p));
    default: {
      const f = (((p >>> 12) & 1) << 2) | ((p >>> 5) & 3);
      switch (f) {
        case 0:
          return out(pack(Op.SUB, rd, rd, rs2), 0);
        case 1:
          return out(pack(Op.XOR, rd, rd, rs2), 0);
        case 2:
          return out(pack(Op.OR, rd, rd, rs2), 0);
        case 3:
          return out(pack(Op.AND, rd, rd, rs2), 0);
        case 4:
          return out(pack(Op.SUBW, rd, rd, rs2), 0);
        case 5:
          return out(pack(Op.ADDW, rd, rd, rs2), 0);
        default:
          return illegal(p);
      }
    }
  }
}

function quadrant2(p: number, f3: number): void {
  const rd = (p >>> 7) & 31;
  const rs2 = (p >>> 2) & 31;
  switch (f3) {
    case 0: {
      const sh = shamt6(p);
      if (rd === 0 || sh === 0) return out(Op.NOP, 0); // HINT
      return out(pack(Op.SLLI, rd, rd, 0), sh);
    }
    case 1: // C.FLDSP: uimm[5|4:3|8:6] = bits 12|6:5|4:2
      return out(packRaw(Op.FLD, rd, 2, 0), (((p >>> 12) & 1) << 5) | (((p >>> 5) & 3) << 3) | (((p >>> 2) & 7) << 6));
    case 2: // C.LWSP: uimm[5|4:2|7:6] = bits 12|6:4|3:2
      if (rd === 0) return illegal(p);
      return out(pack(Op.LW, rd, 2, 0), (((p >>> 12) & 1) << 5) | (((p >>> 4) & 7) << 2) | (((p >>> 2) & 3) << 6));
    case 3: // C.LDSP
      if (rd === 0) return illegal(p);
      return out(pack(Op.LD, rd, 2, 0), (((p >>> 12) & 1) << 5) | (((p >>> 5) & 3) << 3) | (((p >>> 2) & 7) << 6));
    case 4:
      if (((p >>> 12) & 1) === 0) {
        if (rs2 === 0) {
          if (rd === 0) return illegal(p); // C.JR x0 is reserved
          return out(pack(Op.JALR, 0, rd, 0), 0);
        }
        if (rd === 0) return out(Op.NOP, 0); // C.MV HINT
        return out(pack(Op.MV, rd, rs2, 0), 0);
      }
      if (rs2 === 0) {
        if (rd === 0) return out(Op.EBREAK, 0);
        return out(pack(Op.JALR, 1, rd, 0), 0); // C.JALR
      }
      if (rd === 0) return out(Op.NOP, 0); // C.ADD HINT
      return out(pack(Op.ADD, rd, rd, rs2), 0);
    case 5: // C.FSDSP: uimm[5:3|8:6] = bits 12:10|9:7
      return out(packRaw(Op.FSD, 0, 2, rs2), (((p >>> 10) & 7) << 3) | (((p >>> 7) & 7) << 6));
    case 6: // C.SWSP: uimm[5:2|7:6] = bits 12:9|8:7
      return out(pack(Op.SW, 0, 2, rs2), (((p >>> 9) & 15) << 2) | (((p >>> 7) & 3) << 6));
    default: // C.SDSP
      return out(pack(Op.SD, 0, 2, rs2), (((p >>> 10) & 7) << 3) | (((p >>> 7) & 7) << 6));
  }
}
