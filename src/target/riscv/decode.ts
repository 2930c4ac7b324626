/**
 * Decoder for 32-bit RV64GC encodings (ISA manual ch. 2, 5, 7, 8, 9, 11, 12, 24 "RV32/64G
 * Instruction Set Listings"; privileged spec ch. 3.3, 4.2.1 for SYSTEM) into the predecoded form
 * of ops.ts. Strict like QEMU's decodetree patterns (insn32.decode): reserved funct fields decode
 * as ILLEGAL, whose imm keeps the raw bits for mtval (QEMU's `env->bins`).
 *
 * Results go to `DEC` (DEC[0] = packed word, DEC[1] = imm) to avoid allocation.
 */

import { Op, pack, packRaw } from './ops';

/** Scratch output of decode32/decode16: [packed word, imm]. */
export const DEC = new Int32Array(2);

function out(w: number, imm: number): void {
  DEC[0] = w;
  DEC[1] = imm;
}

function illegal(insn: number): void {
  out(Op.ILLEGAL, insn);
}

/** I-type immediate. */
function immI(insn: number): number {
  return insn >> 20;
}

function immS(insn: number): number {
  return ((insn >> 25) << 5) | ((insn >>> 7) & 31);
}

function immB(insn: number): number {
  return ((insn >> 31) << 12) | (((insn >>> 7) & 1) << 11) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1);
}

function immJ(insn: number): number {
  return ((insn >> 31) << 20) | (insn & 0xff000) | (((insn >>> 20) & 1) << 11) | (((insn >>> 21) & 0x3ff) << 1);
}

const LOAD_OPS = [Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU];
const STORE_OPS = [Op.SB, Op.SH, Op.SW, Op.SD];
const BRANCH_OPS = [Op.BEQ, Op.BNE, Op.ILLEGAL, Op.ILLEGAL, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU];
const OP_OPS = [Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND];
const MUL_OPS = [Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU];
const MULW_OPS = [Op.MULW, Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW];
/** AMO funct5 values that exist (besides LR=2, SC=3). */
const AMO_FUNCT5 = new Set([0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c]);

/** Decode one 32-bit instruction into DEC. */
export function decode32(insn: number): void {
  const rd = (insn >>> 7) & 31;
  const f3 = (insn >>> 12) & 7;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f7 = insn >>> 25;
  switch (insn & 0x7f) {
    case 0x37: // LUI
      if (rd === 0) return out(Op.NOP, 0);
      return out(pack(Op.LI, rd, 0, 0), insn & 0xfffff000);
    case 0x17: // AUIPC
      return out(pack(Op.AUIPC, rd, 0, 0), insn & 0xfffff000);
    case 0x6f: // JAL
      return out(pack(Op.JAL, rd, 0, 0), immJ(insn));
    case 0x67: // JALR
      if (f3 !== 0) return illegal(insn);
      return out(pack(Op.JALR, rd, rs1, 0), immI(insn));
    case 0x63: {
      const op = BRANCH_OPS[f3];
      if (op === Op.ILLEGAL) return illegal(insn);
      return out(pack(op, 0, rs1, rs2), immB(insn));
    }
    case 0x03: // LOAD
      if (f3 === 7) return illegal(insn);
      return out(pack(LOAD_OPS[f3], rd, rs1, 0), immI(insn));
    case 0x23: // STORE
      if (f3 > 3) return illegal(insn);
      return out(pack(STORE_OPS[f3], 0, rs1, rs2), immS(insn));
    case 0x13: // OP-IMM
      return decodeOpImm(insn, rd, f3, rs1);
    case 0x1b: // OP-IMM-32
      return decodeOpImm32(insn, rd, f3, rs1, f7);
    case 0x33: // OP
      return decodeOp(insn, rd, f3, rs1, rs2, f7);
    case 0x3b: // OP-32
      return decodeOp32(insn, rd, f3, rs1, rs2, f7);
    case 0x0f: // MISC-MEM
      if (f3 === 0) return out(Op.NOP, 0); // FENCE, FENCE.TSO, PAUSE
      if (f3 === 1) return out(Op.FENCE_I, 0);
      return illegal(insn);
    case 0x73:
      return decodeSystem(insn, rd, f3, rs1);
    case 0x2f:
      return decodeAmo(insn, rd, f3, rs1, rs2);
    case 0x07: // LOAD-FP
      if (f3 === 2) return out(packRaw(Op.FLW, rd, rs1, 0), immI(insn));
      if (f3 === 3) return out(packRaw(Op.FLD, rd, rs1, 0), immI(insn));
      return illegal(insn);
    case 0x27: // STORE-FP
      if (f3 === 2) return out(packRaw(Op.FSW, 0, rs1, rs2), immS(insn));
      if (f3 === 3) return out(packRaw(Op.FSD, 0, rs1, rs2), immS(insn));
      return illegal(insn);
    case 0x43: // FMADD
    case 0x47: // FMSUB
    case 0x4b: // FNMSUB
    case 0x4f: // FNMADD
      return out(Op.FP_F, insn);
    case 0x53: {
      // OP-FP: compares (10100), conversions to integer (11000), FMV.X/FCLASS (11100) write x[rd].
      const f5 = insn >>> 27;
      return out(f5 === 0x14 || f5 === 0x18 || f5 === 0x1c ? Op.FP_X : Op.FP_F, insn);
    }
    default:
      return illegal(insn);
  }
}

function decodeOpImm(insn: number, rd: number, f3: number, rs1: number): void {
  const imm = immI(insn);
  if (rd === 0) {
    // HINTs (ISA manual §2.9) except for the reserved shift encodings, which stay illegal.
    if (f3 === 1 && insn >>> 26 !== 0) return illegal(insn);
    if (f3 === 5 && (insn >>> 26) & ~0x10) return illegal(insn);
    return out(Op.NOP, 0);
  }
  switch (f3) {
    case 0:
      if (rs1 === 0) return out(pack(Op.LI, rd, 0, 0), imm);
      if (imm === 0) return out(pack(Op.MV, rd, rs1, 0), 0);
      return out(pack(Op.ADDI, rd, rs1, 0), imm);
    case 1:
      if (insn >>> 26 !== 0) return illegal(insn);
      return out(pack(Op.SLLI, rd, rs1, 0), (insn >>> 20) & 63);
    case 2:
      return out(pack(Op.SLTI, rd, rs1, 0), imm);
    case 3:
      return out(pack(Op.SLTIU, rd, rs1, 0), imm);
    case 4:
      return out(pack(Op.XORI, rd, rs1, 0), imm);
    case 5: {
      const f6 = insn >>> 26;
      if (f6 === 0) return out(pack(Op.SRLI, rd, rs1, 0), (insn >>> 20) & 63);
      if (f6 === 0x10) return out(pack(Op.SRAI, rd, rs1, 0), (insn >>> 20) & 63);
      return illegal(insn);
    }
    case 6:
      return out(pack(Op.ORI, rd, rs1, 0), imm);
    default:
      return out(pack(Op.ANDI, rd, rs1, 0), imm);
  }
}

function decodeOpImm32(insn: number, rd: number, f3: number, rs1: number, f7: number): void {
  let op: Op;
  if (f3 === 0) op = Op.ADDIW;
  else if (f3 === 1 && f7 === 0) op = Op.SLLIW;
  else if (f3 === 5 && f7 === 0) op = Op.SRLIW;
  else if (f3 === 5 && f7 === 0x20) op = Op.SRAIW;
  else return illegal(insn);
  if (rd === 0) return out(Op.NOP, 0);
  return out(pack(op, rd, rs1, 0), op === Op.ADDIW ? immI(insn) : (insn >>> 20) & 31);
}

function decodeOp(insn: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): void {
  let op: Op;
  if (f7 === 0) op = OP_OPS[f3];
  else if (f7 === 1) op = MUL_OPS[f3];
  else if (f7 === 0x20 && f3 === 0) op = Op.SUB;
  else if (f7 === 0x20 && f3 === 5) op = Op.SRA;
  else return illegal(insn);
  if (rd === 0) return out(Op.NOP, 0);
  return out(pack(op, rd, rs1, rs2), 0);
}

function decodeOp32(insn: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): void {
  let op: Op;
  if (f7 === 0 && f3 === 0) op = Op.ADDW;
  else if (f7 === 0 && f3 === 1) op = Op.SLLW;
  else if (f7 === 0 && f3 === 5) op = Op.SRLW;
  else if (f7 === 0x20 && f3 === 0) op = Op.SUBW;
  else if (f7 === 0x20 && f3 === 5) op = Op.SRAW;
  else if (f7 === 1 && MULW_OPS[f3] !== Op.ILLEGAL) op = MULW_OPS[f3];
  else return illegal(insn);
  if (rd === 0) return out(Op.NOP, 0);
  return out(pack(op, rd, rs1, rs2), 0);
}

function decodeSystem(insn: number, rd: number, f3: number, rs1: number): void {
  if (f3 === 0) {
    switch (insn) {
      case 0x00000073:
        return out(Op.ECALL, 0);
      case 0x00100073:
        return out(Op.EBREAK, 0);
      case 0x10200073:
        return out(Op.SRET, insn);
      case 0x30200073:
        return out(Op.MRET, insn);
      case 0x10500073:
        return out(Op.WFI, insn);
    }
    if (insn >>> 25 === 0x09 && rd === 0) return out(pack(Op.SFENCE_VMA, 0, rs1, (insn >>> 20) & 31), insn);
    return illegal(insn);
  }
  if (f3 === 4) return illegal(insn);
  // rs2 field carries funct3; imm carries the CSR number; the raw bits are re-read for mtval.
  return out(pack(Op.CSR, rd, rs1, f3), insn >>> 20);
}

function decodeAmo(insn: number, rd: number, f3: number, rs1: number, rs2: number): void {
  if (f3 !== 2 && f3 !== 3) return illegal(insn);
  const size = f3 === 2 ? 4 : 8;
  const f5 = insn >>> 27;
  if (f5 === 0x02) {
    if (rs2 !== 0) return illegal(insn);
    return out(pack(Op.LR, rd, rs1, 0), size);
  }
  if (f5 === 0x03) return out(pack(Op.SC, rd, rs1, rs2), size);
  if (!AMO_FUNCT5.has(f5)) return illegal(insn);
  return out(pack(Op.AMO, rd, rs1, rs2), f5 | (size << 8));
}
