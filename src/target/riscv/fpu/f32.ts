/**
 * binary32 FADD.S / FSUB.S / FMUL.S / FDIV.S / FSQRT.S (RISC-V ISA manual §11.6).
 *
 * Operands are read NaN-boxed (§12.2: an improperly boxed value is the canonical NaN) and
 * widened exactly to doubles. The operation is done in binary64 and rounded once more with
 * Math.fround; for +, -, ×, ÷ and sqrt of binary32 operands this double rounding is innocuous
 * (53 >= 2·24 + 2; Figueroa, "When is double rounding innocuous?", 1995), so the result is the
 * correctly rounded RNE binary32. Exactness is checked exactly in binary64: products of two
 * binary32 are exact; a - r·b and a - r² are exact for the binary32 result r (Sterbenz); sums
 * use TwoSum. Directed modes then move r by one ulp (bits.ts adjustS).
 *
 * The fast path only takes results that are normal, above the smallest normal (so tininess and
 * overflow cannot arise in RNE) and exact zeros; the rest goes to softfloat.ts.
 */
import { adjustS, getBitsS, MAX_S, MIN_NORMAL_S, putBitsS, readS, writeS } from './bits';
import { F32, sfAdd, sfDiv, sfMul, sfSqrt } from './softfloat';
import { FpState, NX, OF, RDN, RMM, RNE } from './state';

function slowBits(fi: Int32Array, r: number): bigint {
  return BigInt(getBitsS(fi, r) >>> 0);
}

function putSlow(fi: Int32Array, rd: number, bits: bigint): void {
  putBitsS(fi, rd, Number(bits) | 0);
}

/** Writes a directed-mode result, raising OF if the step went past MAX_S. */
function putDirected(s: FpState, rd: number, r: number, e: number, rm: number): void {
  const v = adjustS(r, e, rm);
  if (v - v !== 0) s.fflags |= OF;
  writeS(s.fi, rd, v);
}

/** rd = rs1 ± rs2. */
export function addS(s: FpState, rd: number, rs1: number, rs2: number, rm: number, sub: boolean): void {
  const fi = s.fi;
  const a = readS(fi, rs1);
  const b = sub ? -readS(fi, rs2) : readS(fi, rs2);
  const d = a + b;
  const r = Math.fround(d);
  const ar = Math.abs(r);
  if (ar > MIN_NORMAL_S && ar <= MAX_S) {
    if (rm === RNE) {
      // d - a and d - b are exact when d is (one of them is exact in any case).
      if ((s.fflags & NX) === 0 && (r !== d || d - a !== b || d - b !== a)) s.fflags |= NX;
      writeS(fi, rd, r);
      return;
    }
    let e = d - r; // X - r has the sign of d - r when d != r (rounding is monotonic)
    if (e === 0) {
      const bb = d - a;
      e = a - (d - bb) + (b - bb); // TwoSum error
      if (e === 0) {
        writeS(fi, rd, r);
        return;
      }
    }
    s.fflags |= NX;
    putDirected(s, rd, r, e, rm);
    return;
  }
  if (d === 0) {
    // exact zero (binary32 sums never underflow to zero); -0 in RDN unless both are +0
    writeS(fi, rd, rm === RDN && 1 / a + 1 / b !== Infinity ? -0 : d);
    return;
  }
  putSlow(fi, rd, sfAdd(F32, slowBits(fi, rs1), slowBits(fi, rs2), sub, rm, s));
}

/** rd = rs1 × rs2. */
export function mulS(s: FpState, rd: number, rs1: number, rs2: number, rm: number): void {
  const fi = s.fi;
  const a = readS(fi, rs1);
  const b = readS(fi, rs2);
  const d = a * b; // exact: 48 significant bits at most
  const r = Math.fround(d);
  const ar = Math.abs(r);
  if (ar > MIN_NORMAL_S && ar <= MAX_S) {
    if (r !== d) {
      s.fflags |= NX;
      if (rm !== RNE) {
        putDirected(s, rd, r, d - r, rm);
        return;
      }
    }
    writeS(fi, rd, r);
    return;
  }
  if (d === 0) {
    writeS(fi, rd, d); // zero operand: exact signed zero
    return;
  }
  putSlow(fi, rd, sfMul(F32, slowBits(fi, rs1), slowBits(fi, rs2), rm, s));
}

/** rd = rs1 / rs2. */
export function divS(s: FpState, rd: number, rs1: number, rs2: number, rm: number): void {
  const fi = s.fi;
  const a = readS(fi, rs1);
  const b = readS(fi, rs2);
  const d = a / b;
  const r = Math.fround(d);
  const ar = Math.abs(r);
  if (ar > MIN_NORMAL_S && ar <= MAX_S) {
    const rem = a - r * b; // exact
    if (rem !== 0) {
      s.fflags |= NX;
      if (rm !== RNE && rm !== RMM) {
        putDirected(s, rd, r, b > 0 ? rem : -rem, rm);
        return;
      }
    }
    writeS(fi, rd, r);
    return;
  }
  if (d === 0 && (a === 0 || b - b !== 0)) {
    writeS(fi, rd, d); // 0 / x or finite / inf
    return;
  }
  putSlow(fi, rd, sfDiv(F32, slowBits(fi, rs1), slowBits(fi, rs2), rm, s));
}

/** rd = sqrt(rs1). */
export function sqrtS(s: FpState, rd: number, rs1: number, rm: number): void {
  const fi = s.fi;
  const a = readS(fi, rs1);
  const r = Math.fround(Math.sqrt(a));
  if (r > MIN_NORMAL_S && r <= MAX_S) {
    const rem = a - r * r; // exact
    if (rem !== 0) {
      s.fflags |= NX;
      if (rm !== RNE && rm !== RMM) {
        putDirected(s, rd, r, rem, rm);
        return;
      }
    }
    writeS(fi, rd, r);
    return;
  }
  if (a === 0) {
    writeS(fi, rd, a); // sqrt(±0) = ±0
    return;
  }
  putSlow(fi, rd, sfSqrt(F32, slowBits(fi, rs1), rm, s));
}
