/**
 * Decoding and dispatch of the F and D computational instructions: major opcodes OP-FP (0x53),
 * MADD (0x43), MSUB (0x47), NMSUB (0x4b), NMADD (0x4f) (RISC-V ISA manual, chapter 24
 * "RV32/64G Instruction Set Listings": RV32F/RV64F/RV32D/RV64D).
 *
 * Field layout: funct7 = insn[31:25] = funct5 << 2 | fmt, with fmt 00 = S, 01 = D (H and Q are
 * not implemented, so illegal); rs3 = insn[31:27] for the R4 opcodes; rm = insn[14:12].
 *
 * Legality: instructions that round (arithmetic, FMA, every FCVT — including the exact
 * FCVT.D.S and FCVT.D.W[U], as in QEMU) need a valid rounding mode: rm 5/6 are reserved and
 * rm = DYN with frm > 4 is illegal (§11.2). Fields that select an operation (funct3 of FSGNJ,
 * FMIN/FMAX, FEQ/FLT/FLE, FMV/FCLASS; rs2 of FSQRT, FCVT, FMV, FCLASS) must hold a defined value.
 * An illegal encoding changes no state.
 *
 * One flat switch on funct7 (no intermediate call), so that the hot cases' fast paths inline
 * into this function.
 */
import { readS } from './bits';
import { cvtDFromInt, cvtDS, cvtSD, cvtSFromInt, cvtToInt } from './convert';
import {
  fclassD,
  fclassS,
  fcmpD,
  fcmpS,
  fminmaxD,
  fminmaxS,
  fmvDX,
  fmvWX,
  fmvXD,
  fmvXW,
  fsgnjD,
  fsgnjS,
} from './compare';
import { addD, divD, mulD, sqrtD } from './f64';
import { addS, divS, mulS, sqrtS } from './f32';
import { fmaD, fmaS } from './fma';
import { FpState, resolveRm } from './state';

/**
 * Executes one OP-FP / MADD / MSUB / NMSUB / NMADD instruction of the F or D extension,
 * updating f/x registers and accruing s.fflags. Returns false, having changed nothing, if the
 * encoding is illegal (the caller raises an illegal-instruction exception). The caller checks
 * mstatus.FS and handles loads/stores; this marks nothing dirty.
 */
export function executeOpFp(s: FpState, insn: number): boolean {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const rm0 = (insn >>> 12) & 7;
  if ((insn & 0x7f) !== 0x53) return executeR4(s, insn, rd, rs1, rs2, rm0);
  let rm: number;
  switch (insn >>> 25) {
    case 0x01: // FADD.D
    case 0x05: // FSUB.D
      if ((rm = resolveRm(s, rm0)) < 0) return false;
      addD(s, rd, rs1, rs2, rm, (insn & 0x08000000) !== 0);
      return true;
    case 0x00: // FADD.S
    case 0x04: // FSUB.S
      if ((rm = resolveRm(s, rm0)) < 0) return false;
      addS(s, rd, rs1, rs2, rm, (insn & 0x08000000) !== 0);
      return true;
    case 0x09: // FMUL.D
      if ((rm = resolveRm(s, rm0)) < 0) return false;
      mulD(s, rd, rs1, rs2, rm);
      return true;
    case 0x08: // FMUL.S
      if ((rm = resolveRm(s, rm0)) < 0) return false;
      mulS(s, rd, rs1, rs2, rm);
      return true;
    case 0x0d: // FDIV.D
      if ((rm = resolveRm(s, rm0)) < 0) return false;
      divD(s, rd, rs1, rs2, rm);
      return true;
    case 0x0c: // FDIV.S
      if ((rm = resolveRm(s, rm0)) < 0) return false;
      divS(s, rd, rs1, rs2, rm);
      return true;
    case 0x2d: // FSQRT.D
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 !== 0) return false;
      sqrtD(s, rd, rs1, rm);
      return true;
    case 0x2c: // FSQRT.S
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 !== 0) return false;
      sqrtS(s, rd, rs1, rm);
      return true;
    case 0x11: // FSGNJ.D / FSGNJN.D / FSGNJX.D
      if (rm0 > 2) return false;
      fsgnjD(s, rd, rs1, rs2, rm0);
      return true;
    case 0x10: // FSGNJ[N|X].S
      if (rm0 > 2) return false;
      fsgnjS(s, rd, rs1, rs2, rm0);
      return true;
    case 0x15: // FMIN.D / FMAX.D
      if (rm0 > 1) return false;
      fminmaxD(s, rd, rs1, rs2, rm0 === 1);
      return true;
    case 0x14: // FMIN.S / FMAX.S
      if (rm0 > 1) return false;
      fminmaxS(s, rd, rs1, rs2, rm0 === 1);
      return true;
    case 0x20: // FCVT.S.D (rs2 = 1)
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 !== 1) return false;
      cvtSD(s, rd, rs1, rm);
      return true;
    case 0x21: // FCVT.D.S (rs2 = 0)
      if (resolveRm(s, rm0) < 0 || rs2 !== 0) return false;
      cvtDS(s, rd, rs1);
      return true;
    case 0x51: // FLE.D / FLT.D / FEQ.D
      if (rm0 > 2) return false;
      fcmpD(s, rd, rs1, rs2, rm0);
      return true;
    case 0x50: // FLE.S / FLT.S / FEQ.S
      if (rm0 > 2) return false;
      fcmpS(s, rd, rs1, rs2, rm0);
      return true;
    case 0x61: // FCVT.{W,WU,L,LU}.D
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 > 3) return false;
      cvtToInt(s, rd, s.f[rs1], rm, rs2);
      return true;
    case 0x60: // FCVT.{W,WU,L,LU}.S
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 > 3) return false;
      cvtToInt(s, rd, readS(s.fi, rs1), rm, rs2);
      return true;
    case 0x69: // FCVT.D.{W,WU,L,LU}
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 > 3) return false;
      cvtDFromInt(s, rd, rs1, rm, rs2);
      return true;
    case 0x68: // FCVT.S.{W,WU,L,LU}
      if ((rm = resolveRm(s, rm0)) < 0 || rs2 > 3) return false;
      cvtSFromInt(s, rd, rs1, rm, rs2);
      return true;
    case 0x71: // FMV.X.D (rm 0) / FCLASS.D (rm 1)
      if (rs2 !== 0 || rm0 > 1) return false;
      if (rm0 === 0) fmvXD(s, rd, rs1);
      else fclassD(s, rd, rs1);
      return true;
    case 0x70: // FMV.X.W / FCLASS.S
      if (rs2 !== 0 || rm0 > 1) return false;
      if (rm0 === 0) fmvXW(s, rd, rs1);
      else fclassS(s, rd, rs1);
      return true;
    case 0x79: // FMV.D.X
      if (rs2 !== 0 || rm0 !== 0) return false;
      fmvDX(s, rd, rs1);
      return true;
    case 0x78: // FMV.W.X
      if (rs2 !== 0 || rm0 !== 0) return false;
      fmvWX(s, rd, rs1);
      return true;
    default:
      return false;
  }
}

/** FMADD (0x43), FMSUB (0x47), FNMSUB (0x4b), FNMADD (0x4f); anything else is illegal. */
function executeR4(s: FpState, insn: number, rd: number, rs1: number, rs2: number, rm0: number): boolean {
  const opcode = insn & 0x7f;
  const fmt = (insn >>> 25) & 3;
  if ((opcode & 0x73) !== 0x43 || fmt > 1) return false;
  const rm = resolveRm(s, rm0);
  if (rm < 0) return false;
  const negProd = (opcode & 0x08) !== 0; // FNMSUB, FNMADD
  const negC = (opcode & 0x04) !== 0; // FMSUB, FNMADD
  if (fmt === 1) fmaD(s, rd, rs1, rs2, insn >>> 27, rm, negProd, negC);
  else fmaS(s, rd, rs1, rs2, insn >>> 27, rm, negProd, negC);
  return true;
}
