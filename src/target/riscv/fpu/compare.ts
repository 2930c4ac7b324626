/**
 * Non-arithmetic F/D instructions, all exact and independent of the rounding mode:
 * FSGNJ[N|X], FMIN/FMAX, FEQ/FLT/FLE, FCLASS, FMV.X.W/FMV.W.X/FMV.X.D/FMV.D.X
 * (RISC-V ISA manual §11.6-§11.9, §12.4-§12.7).
 *
 * They work on bit patterns wherever bits matter (the host may canonicalise NaNs in arithmetic).
 * - FSGNJ.S reads NaN-boxed operands (an improperly boxed one is the canonical NaN) and writes a
 *   boxed result; FSGNJ.D is pure bit manipulation.
 * - FMIN/FMAX are IEEE 754-2019 minimumNumber/maximumNumber (manual v2.2+, §11.6): -0 < +0; if
 *   one operand is a NaN the result is the other; both NaN gives the canonical NaN; a signaling
 *   NaN raises NV.
 * - FEQ is a quiet comparison (NV only for signaling NaNs); FLT/FLE are signaling (NV for any
 *   NaN). A NaN operand gives 0.
 * - FCLASS returns the one-hot mask of Table 11.5.
 * - FMV.X.W sign-extends the low 32 bits of the register, boxed or not; FMV.W.X NaN-boxes.
 */
import { getBitsS, isSNaND, isSNaNS, putBitsS, sf32, si32, writeNaND } from './bits';
import { FpState, NV } from './state';

/** Sign injection modes (funct3). */
export const SGNJ = 0;
export const SGNJN = 1;
export const SGNJX = 2;

function injectSign(v1: number, v2: number, mode: number): number {
  const sign = mode === SGNJ ? v2 : mode === SGNJN ? ~v2 : v1 ^ v2;
  return (v1 & 0x7fffffff) | (sign & 0x80000000);
}

export function fsgnjD(s: FpState, rd: number, rs1: number, rs2: number, mode: number): void {
  const fi = s.fi;
  const lo = fi[2 * rs1];
  const hi = injectSign(fi[2 * rs1 + 1], fi[2 * rs2 + 1], mode);
  fi[2 * rd] = lo;
  fi[2 * rd + 1] = hi;
}

export function fsgnjS(s: FpState, rd: number, rs1: number, rs2: number, mode: number): void {
  const fi = s.fi;
  putBitsS(fi, rd, injectSign(getBitsS(fi, rs1), getBitsS(fi, rs2), mode));
}

function valueS(bits: number): number {
  si32[0] = bits;
  return sf32[0];
}

export function fminmaxD(s: FpState, rd: number, rs1: number, rs2: number, isMax: boolean): void {
  const f = s.f;
  const fi = s.fi;
  const a = f[rs1];
  const b = f[rs2];
  let pick: number;
  if (a !== a || b !== b) {
    if (isSNaND(fi[2 * rs1 + 1], fi[2 * rs1]) || isSNaND(fi[2 * rs2 + 1], fi[2 * rs2])) s.fflags |= NV;
    pick = a !== a ? (b !== b ? -1 : rs2) : rs1;
  } else if (a === b) {
    // equal values, or +0 vs -0: min takes the negative one, max the positive one
    pick = fi[2 * rs1 + 1] < 0 !== isMax ? rs1 : rs2;
  } else {
    pick = a < b !== isMax ? rs1 : rs2;
  }
  if (pick < 0) {
    writeNaND(fi, rd);
  } else {
    const lo = fi[2 * pick];
    const hi = fi[2 * pick + 1];
    fi[2 * rd] = lo;
    fi[2 * rd + 1] = hi;
  }
}

export function fminmaxS(s: FpState, rd: number, rs1: number, rs2: number, isMax: boolean): void {
  const fi = s.fi;
  const x = getBitsS(fi, rs1);
  const y = getBitsS(fi, rs2);
  const a = valueS(x);
  const b = valueS(y);
  let bits: number;
  if (a !== a || b !== b) {
    if (isSNaNS(x) || isSNaNS(y)) s.fflags |= NV;
    bits = a !== a ? (b !== b ? 0x7fc00000 : y) : x;
  } else if (a === b) {
    bits = x < 0 !== isMax ? x : y;
  } else {
    bits = a < b !== isMax ? x : y;
  }
  putBitsS(fi, rd, bits);
}

/** Comparison kinds (funct3 of FEQ/FLT/FLE). */
export const CMP_LE = 0;
export const CMP_LT = 1;
export const CMP_EQ = 2;

function setX(s: FpState, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    s.x[2 * rd] = lo;
    s.x[2 * rd + 1] = hi;
  }
}

function compare(s: FpState, rd: number, a: number, b: number, op: number, snan: boolean): void {
  let res: boolean;
  if (a !== a || b !== b) {
    if (op !== CMP_EQ || snan) s.fflags |= NV;
    res = false;
  } else {
    res = op === CMP_EQ ? a === b : op === CMP_LT ? a < b : a <= b;
  }
  setX(s, rd, res ? 1 : 0, 0);
}

export function fcmpD(s: FpState, rd: number, rs1: number, rs2: number, op: number): void {
  const fi = s.fi;
  const a = s.f[rs1];
  const b = s.f[rs2];
  const snan = (a !== a || b !== b) && (isSNaND(fi[2 * rs1 + 1], fi[2 * rs1]) || isSNaND(fi[2 * rs2 + 1], fi[2 * rs2]));
  compare(s, rd, a, b, op, snan);
}

export function fcmpS(s: FpState, rd: number, rs1: number, rs2: number, op: number): void {
  const x = getBitsS(s.fi, rs1);
  const y = getBitsS(s.fi, rs2);
  compare(s, rd, valueS(x), valueS(y), op, isSNaNS(x) || isSNaNS(y));
}

/**
 * FCLASS mask bit (Table 11.5): 0 -inf, 1 -normal, 2 -subnormal, 3 -0, 4 +0, 5 +subnormal,
 * 6 +normal, 7 +inf, 8 sNaN, 9 qNaN. `hi` holds the sign and exponent, `expMax` is the all-ones
 * exponent, `exp` the exponent field, `fracZero` whether the fraction is zero, `quiet` its top bit.
 */
function classBit(neg: boolean, exp: number, expMax: number, fracZero: boolean, quiet: boolean): number {
  if (exp === expMax) return fracZero ? (neg ? 0 : 7) : quiet ? 9 : 8;
  if (exp === 0) return fracZero ? (neg ? 3 : 4) : neg ? 2 : 5;
  return neg ? 1 : 6;
}

export function fclassD(s: FpState, rd: number, rs1: number): void {
  const fi = s.fi;
  const hi = fi[2 * rs1 + 1];
  const lo = fi[2 * rs1];
  const bit = classBit(hi < 0, (hi >>> 20) & 0x7ff, 0x7ff, ((hi & 0xfffff) | lo) === 0, (hi & 0x80000) !== 0);
  setX(s, rd, 1 << bit, 0);
}

export function fclassS(s: FpState, rd: number, rs1: number): void {
  const v = getBitsS(s.fi, rs1);
  const bit = classBit(v < 0, (v >>> 23) & 0xff, 0xff, (v & 0x7fffff) === 0, (v & 0x400000) !== 0);
  setX(s, rd, 1 << bit, 0);
}

/** FMV.X.W: x[rd] = sext(low 32 bits of f[rs1]). */
export function fmvXW(s: FpState, rd: number, rs1: number): void {
  const lo = s.fi[2 * rs1];
  setX(s, rd, lo, lo >> 31);
}

/** FMV.W.X: f[rd] = NaN-boxed low 32 bits of x[rs1]. */
export function fmvWX(s: FpState, rd: number, rs1: number): void {
  putBitsS(s.fi, rd, s.x[2 * rs1]);
}

/** FMV.X.D: x[rd] = f[rs1] bits. */
export function fmvXD(s: FpState, rd: number, rs1: number): void {
  setX(s, rd, s.fi[2 * rs1], s.fi[2 * rs1 + 1]);
}

/** FMV.D.X: f[rd] = x[rs1] bits. */
export function fmvDX(s: FpState, rd: number, rs1: number): void {
  s.fi[2 * rd] = s.x[2 * rs1];
  s.fi[2 * rd + 1] = s.x[2 * rs1 + 1];
}
