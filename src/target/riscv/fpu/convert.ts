/**
 * FCVT between binary32/binary64 and 32/64-bit integers, and between the two formats
 * (RISC-V ISA manual §11.7 and §12.5).
 *
 * Float → integer (Table 11.4 of the 20191213 manual): the value is rounded to an integer in the
 * rounding mode; if the rounded value is out of range (or the input is ±inf) the result
 * saturates and NV is raised (and NX is not); NaN gives the largest positive value. 32-bit
 * results, FCVT.WU included, are sign-extended to 64 bits (§11.7 "FCVT.W[U].S ... sign-extends").
 * These are done entirely in binary64: every binary32/binary64 value is a double, and integral
 * doubles up to 2^64 are exact.
 *
 * Integer → float rounds in the rounding mode; 64-bit integers above 2^53 go through TwoSum-like
 * exact error terms (binary64) or softfloat-cvt.ts (binary32, where d = H·2^32 + L would be a
 * double rounding).
 *
 * FCVT.S.D rounds (fast path for normal results, softfloat otherwise); FCVT.D.S is exact.
 * NaN inputs give the canonical NaN, with NV for a signaling one.
 */
import { adjustD, adjustS, getBitsD, isSNaNS, MAX_S, MIN_NORMAL_S, putBitsS, readS, writeNaND, writeS } from './bits';
import { F32, F64 } from './softfloat';
import { sfCvtFF, sfCvtIF } from './softfloat-cvt';
import { FpState, NV, NX, OF, RDN, RMM, RNE, RTZ, RUP } from './state';

const TWO31 = 2147483648;
const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** Integer kinds, as the rs2 field of FCVT encodes them. */
export const CVT_W = 0;
export const CVT_WU = 1;
export const CVT_L = 2;
export const CVT_LU = 3;

/**
 * Rounds a double to an integral double in `rm` (IEEE 754-2019 §5.3.1 roundToIntegral*).
 * NaN and ±inf are returned as they are.
 */
export function roundIntegral(v: number, rm: number): number {
  if (!(Math.abs(v) < TWO52)) return v; // already integral, or inf/NaN
  const t = Math.trunc(v);
  const fr = v - t; // exact
  if (fr === 0) return t;
  switch (rm) {
    case RTZ:
      return t;
    case RDN:
      return fr < 0 ? t - 1 : t;
    case RUP:
      return fr > 0 ? t + 1 : t;
    case RMM:
      return Math.abs(fr) >= 0.5 ? t + (fr > 0 ? 1 : -1) : t;
    default: {
      const af = Math.abs(fr);
      return af > 0.5 || (af === 0.5 && t % 2 !== 0) ? t + (fr > 0 ? 1 : -1) : t;
    }
  }
}

/**
 * FCVT.{W,WU,L,LU}.{S,D}: converts the exact operand value `v` (NaN for any NaN) to x[rd].
 * `kind` is CVT_W..CVT_LU. Writes nothing when rd = 0 (flags are still raised).
 */
export function cvtToInt(s: FpState, rd: number, v: number, rm: number, kind: number): void {
  const t = roundIntegral(v, rm);
  let lo: number;
  let hi: number;
  let ok: boolean;
  switch (kind) {
    case CVT_W:
      ok = t >= -TWO31 && t < TWO31;
      lo = ok ? t | 0 : v < 0 ? -2147483648 : 2147483647;
      hi = lo >> 31;
      break;
    case CVT_WU:
      ok = t > -1 && t < TWO32; // integral t: t >= 0, or -0
      lo = ok ? t | 0 : v < 0 ? 0 : -1;
      hi = lo >> 31;
      break;
    case CVT_L:
      ok = t >= -TWO63 && t < TWO63;
      if (ok) {
        const h = Math.floor(t / TWO32);
        lo = (t - h * TWO32) | 0;
        hi = h | 0;
      } else {
        lo = v < 0 ? 0 : -1;
        hi = v < 0 ? -2147483648 : 0x7fffffff;
      }
      break;
    default: // CVT_LU
      ok = t > -1 && t < TWO64;
      if (ok) {
        const h = Math.floor(t / TWO32);
        lo = (t - h * TWO32) | 0;
        hi = h | 0;
      } else {
        lo = hi = v < 0 ? 0 : -1;
      }
  }
  if (!ok) s.fflags |= NV;
  else if (t !== v) s.fflags |= NX;
  if (rd !== 0) {
    s.x[2 * rd] = lo;
    s.x[2 * rd + 1] = hi;
  }
}

/** Reads x[rs1] as an integer of `kind`, as a double (RNE of it when |value| > 2^53). */
function intOperand(x: Int32Array, rs1: number, kind: number): number {
  const lo = x[2 * rs1];
  switch (kind) {
    case CVT_W:
      return lo;
    case CVT_WU:
      return lo >>> 0;
    case CVT_L:
      return x[2 * rs1 + 1] * TWO32 + (lo >>> 0); // RNE of the 64-bit value
    default:
      return (x[2 * rs1 + 1] >>> 0) * TWO32 + (lo >>> 0);
  }
}

/** The high word as the kind interprets it (W/WU: 0). */
function intHigh(x: Int32Array, rs1: number, kind: number): number {
  return kind === CVT_L ? x[2 * rs1 + 1] : kind === CVT_LU ? x[2 * rs1 + 1] >>> 0 : 0;
}

function intBig(x: Int32Array, rs1: number, kind: number): bigint {
  const raw = (BigInt(x[2 * rs1 + 1] >>> 0) << 32n) | BigInt(x[2 * rs1] >>> 0);
  return kind === CVT_L ? BigInt.asIntN(64, raw) : raw;
}

/** FCVT.D.{W,WU,L,LU}. */
export function cvtDFromInt(s: FpState, rd: number, rs1: number, rm: number, kind: number): void {
  const x = s.x;
  const v = intOperand(x, rs1, kind);
  const h = intHigh(x, rs1, kind);
  if (h < 2097152 && h >= -2097152) {
    s.f[rd] = v; // |value| < 2^53: exact
    return;
  }
  // v = RN(H·2^32 + L); v - H·2^32 and the error below are small integers, hence exact.
  const err = (x[2 * rs1] >>> 0) - (v - h * TWO32);
  if (err === 0) {
    s.f[rd] = v;
    return;
  }
  s.fflags |= NX;
  s.f[rd] = rm === RNE ? v : adjustD(v, err, rm);
}

/**
 * Rounds the double d to binary32 in `rm` into f[rd] when the result is normal (or d is a zero);
 * returns false (nothing changed) otherwise.
 */
function roundDToS(s: FpState, rd: number, d: number, rm: number): boolean {
  const r = Math.fround(d);
  const ar = Math.abs(r);
  if (ar > MIN_NORMAL_S && ar <= MAX_S) {
    if (r !== d) {
      s.fflags |= NX;
      if (rm !== RNE) {
        const v = adjustS(r, d - r, rm); // d - r is exact (Sterbenz)
        if (v - v !== 0) s.fflags |= OF;
        writeS(s.fi, rd, v);
        return true;
      }
    }
    writeS(s.fi, rd, r);
    return true;
  }
  if (d === 0) {
    writeS(s.fi, rd, d);
    return true;
  }
  return false;
}

/** FCVT.S.{W,WU,L,LU}. */
export function cvtSFromInt(s: FpState, rd: number, rs1: number, rm: number, kind: number): void {
  const x = s.x;
  const h = intHigh(x, rs1, kind);
  if (h < 2097152 && h >= -2097152 && roundDToS(s, rd, intOperand(x, rs1, kind), rm)) return;
  putBitsS(s.fi, rd, Number(sfCvtIF(F32, intBig(x, rs1, kind), rm, s)) | 0);
}

/** FCVT.S.D. */
export function cvtSD(s: FpState, rd: number, rs1: number, rm: number): void {
  if (roundDToS(s, rd, s.f[rs1], rm)) return;
  putBitsS(s.fi, rd, Number(sfCvtFF(F64, F32, getBitsD(s.fi, rs1), rm, s)) | 0);
}

/** FCVT.D.S: exact widening. */
export function cvtDS(s: FpState, rd: number, rs1: number): void {
  const fi = s.fi;
  const v = readS(fi, rs1);
  if (v !== v) {
    if (fi[2 * rs1 + 1] === -1 && isSNaNS(fi[2 * rs1])) s.fflags |= NV;
    writeNaND(fi, rd);
    return;
  }
  s.f[rd] = v;
}

