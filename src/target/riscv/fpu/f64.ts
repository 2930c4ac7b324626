/**
 * binary64 FADD.D / FSUB.D / FMUL.D / FDIV.D / FSQRT.D (RISC-V ISA manual §12.4, semantics of
 * §11.6 "Single-Precision Floating-Point Computational Instructions").
 *
 * Fast path: the host's double arithmetic gives the round-to-nearest-even result r. The exact
 * error X - r is recovered with error-free transformations (TwoSum for add; Dekker's product
 * with Veltkamp splitting for mul; for div and sqrt the remainder a - q·b or a - r² computed
 * exactly the same way), which tells whether NX is raised and, for the other rounding modes,
 * whether r must move one ulp (bits.ts adjustD). Operand exponents are range-checked so that no
 * intermediate of those transformations overflows or underflows and the result is normal.
 *
 * When RNE is in effect and NX is already accrued (the usual state of a Linux process), no
 * error term is needed at all: a finite result above the smallest normal can only raise NX.
 *
 * Everything else (NaN/inf operands, subnormal or overflowing results, zeros in mul/div) takes
 * the exact BigInt path in softfloat.ts, reading the operands' bit patterns.
 */
import { adjustD, getBitsD, MAX_D, MIN_NORMAL_D, putBitsD, SPLIT } from './bits';
import { F64, sfAdd, sfDiv, sfMul, sfSqrt } from './softfloat';
import { FpState, NX, OF, RDN, RMM, RNE } from './state';

/** Biased-exponent window of mul/div operands on the fast path: |x| in [2^-450, 2^451). */
const EXP_LO = 1023 - 450;
const EXP_SPAN = 900;

/** rd = rs1 ± rs2. */
export function addD(s: FpState, rd: number, rs1: number, rs2: number, rm: number, sub: boolean): void {
  const f = s.f;
  const a = f[rs1];
  const b = sub ? -f[rs2] : f[rs2];
  const r = a + b;
  if (rm === RNE && (s.fflags & NX) !== 0) {
    // Finite sums of finite operands are exact or inexact-normal (a sum below 2^-1022 is exact).
    if (r - r === 0) {
      f[rd] = r;
      return;
    }
  } else {
    // TwoSum (Knuth): err = (a + b) - r exactly. NaN when an operand is inf/NaN or r overflowed.
    const bb = r - a;
    const err = a - (r - bb) + (b - bb);
    if (err === 0) {
      // Exact. Exact zero sums are +0 except in RDN (IEEE 754-2019 §6.3); 1/a + 1/b is +inf
      // only when both are +0.
      f[rd] = r === 0 && rm === RDN && 1 / a + 1 / b !== Infinity ? -0 : r;
      return;
    }
    if (err - err === 0) {
      s.fflags |= NX;
      if (rm === RNE) {
        f[rd] = r;
        return;
      }
      const v = adjustD(r, err, rm);
      if (v - v !== 0) s.fflags |= OF;
      f[rd] = v;
      return;
    }
  }
  const fi = s.fi;
  putBitsD(fi, rd, sfAdd(F64, getBitsD(fi, rs1), getBitsD(fi, rs2), sub, rm, s));
}

/** rd = rs1 × rs2. */
export function mulD(s: FpState, rd: number, rs1: number, rs2: number, rm: number): void {
  const f = s.f;
  const a = f[rs1];
  const b = f[rs2];
  const r = a * b;
  if (rm === RNE && (s.fflags & NX) !== 0) {
    // A result above MIN_NORMAL is not tiny and not an overflow. (Exactly MIN_NORMAL may be a
    // tiny value rounded up, which raises UF: tininess is judged after rounding to 53 bits with
    // unbounded exponent, not to the subnormal grid.)
    const ar = Math.abs(r);
    if (ar > MIN_NORMAL_D && ar <= MAX_D) {
      f[rd] = r;
      return;
    }
  }
  const fi = s.fi;
  const ea = (fi[2 * rs1 + 1] >>> 20) & 0x7ff;
  const eb = (fi[2 * rs2 + 1] >>> 20) & 0x7ff;
  if (((ea - EXP_LO) >>> 0) <= EXP_SPAN && ((eb - EXP_LO) >>> 0) <= EXP_SPAN) {
    // Dekker's TwoProduct: err = a·b - r exactly.
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    const err = ah * bh - r + ah * bl + al * bh + al * bl;
    if (err === 0) {
      f[rd] = r;
      return;
    }
    s.fflags |= NX;
    f[rd] = rm === RNE ? r : adjustD(r, err, rm);
    return;
  }
  if (r === 0 && (a === 0 || b === 0)) {
    f[rd] = r; // zero times finite: exact, sign is the xor of the signs
    return;
  }
  putBitsD(fi, rd, sfMul(F64, getBitsD(fi, rs1), getBitsD(fi, rs2), rm, s));
}

/** rd = rs1 / rs2. */
export function divD(s: FpState, rd: number, rs1: number, rs2: number, rm: number): void {
  const f = s.f;
  const a = f[rs1];
  const b = f[rs2];
  const q = a / b;
  if (rm === RNE && (s.fflags & NX) !== 0) {
    const aq = Math.abs(q);
    if (aq > MIN_NORMAL_D && aq <= MAX_D) {
      f[rd] = q;
      return;
    }
  }
  const fi = s.fi;
  const ea = (fi[2 * rs1 + 1] >>> 20) & 0x7ff;
  const eb = (fi[2 * rs2 + 1] >>> 20) & 0x7ff;
  if (((ea - EXP_LO) >>> 0) <= EXP_SPAN && ((eb - EXP_LO) >>> 0) <= EXP_SPAN) {
    // rem = a - q·b exactly: p + e = q·b (TwoProduct), a - p is exact (Sterbenz), and the final
    // subtraction has the right sign. X - q has the sign of rem / b. Quotients of normal numbers
    // are never exact midpoints, so RMM = RNE here.
    const p = q * b;
    let t = SPLIT * q;
    const qh = t - (t - q);
    const ql = q - qh;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    const e = qh * bh - p + qh * bl + ql * bh + ql * bl;
    const rem = a - p - e;
    if (rem === 0) {
      f[rd] = q;
      return;
    }
    s.fflags |= NX;
    f[rd] = rm === RNE || rm === RMM ? q : adjustD(q, b > 0 ? rem : -rem, rm);
    return;
  }
  if (q === 0 && (a === 0 || b - b !== 0)) {
    f[rd] = q; // 0 / x or finite / inf: exact signed zero
    return;
  }
  putBitsD(fi, rd, sfDiv(F64, getBitsD(fi, rs1), getBitsD(fi, rs2), rm, s));
}

/** rd = sqrt(rs1). */
export function sqrtD(s: FpState, rd: number, rs1: number, rm: number): void {
  const f = s.f;
  const a = f[rs1];
  const r = Math.sqrt(a);
  if (rm === RNE && (s.fflags & NX) !== 0) {
    if (r > 0 && r < Infinity) {
      f[rd] = r; // square roots of positive finite numbers are normal
      return;
    }
  }
  const fi = s.fi;
  const ea = (fi[2 * rs1 + 1] >>> 20) & 0x7ff;
  if (a > 0 && ea >= 123 && ea <= 2040) {
    // a in [2^-900, 2^1018): r² cannot overflow and its error term is normal.
    // rem = a - r² exactly (as for div); sqrt(a) - r has its sign; no midpoints, RMM = RNE.
    const p = r * r;
    const t = SPLIT * r;
    const rh = t - (t - r);
    const rl = r - rh;
    const e = rh * rh - p + rh * rl + rl * rh + rl * rl;
    const rem = a - p - e;
    if (rem === 0) {
      f[rd] = r;
      return;
    }
    s.fflags |= NX;
    f[rd] = rm === RNE || rm === RMM ? r : adjustD(r, rem, rm);
    return;
  }
  if (a === 0) {
    f[rd] = a; // sqrt(±0) = ±0
    return;
  }
  putBitsD(fi, rd, sfSqrt(F64, getBitsD(fi, rs1), rm, s));
}
