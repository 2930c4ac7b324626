/**
 * Fused multiply-add, FMADD / FMSUB / FNMSUB / FNMADD .S and .D (RISC-V ISA manual §11.6,
 * §12.4): rd = ±(rs1 × rs2) ± rs3 with a single rounding. fmadd = a·b + c, fmsub = a·b - c,
 * fnmsub = -(a·b) + c, fnmadd = -(a·b) - c (negations are exact, so they are applied to the
 * operands). (±inf × 0) + c raises NV even when c is a quiet NaN (QEMU's RISC-V behaviour);
 * see softfloat.ts sfFma, which handles every case the fast paths below do not.
 *
 * binary64 fast path (all operands normal with |x| in [2^-400, 2^401), RNE; or any mode when the
 * result needs no odd rounding): Boldo & Melquiond, "Emulation of FMA and correctly rounded
 * sums: proved algorithms using rounding to odd" (IEEE TC 57(4), 2008):
 *   (uh, ul) = TwoProduct(a, b); (th, tl) = TwoSum(c, uh); v = RO(tl + ul); r = RN(th + v)
 * where RO (round to odd) is emulated from TwoSum(tl, ul) = (v, ev): when ev != 0 and v is
 * even, v moves one ulp towards ev. If ev != 0 the result is inexact (tl + ul then needs more
 * than 53 bits below th's last bit). If ev == 0, th + v is the exact value and TwoSum(th, v)
 * gives the exact error of r, which also serves the directed modes.
 *
 * binary32: a·b is exact in binary64 and TwoSum gives d + e = a·b + c exactly; rounding d to
 * binary32 can only go wrong (double rounding) when d is exactly a binary32 midpoint and e != 0,
 * which is detected and corrected.
 */
import { adjustD, adjustS, getBitsD, getBitsS, MAX_S, MIN_NORMAL_S, putBitsD, putBitsS, readS, sf64, si32, SPLIT, stepMagD, writeS } from './bits';
import { F32, F64, sfFma } from './softfloat';
import { FpState, NX, OF, RDN, RMM, RNE } from './state';

const EXP_LO = 1023 - 400;
const EXP_SPAN = 800;

/** fmadd.d family: rd = (negProd ? -1 : 1)·rs1·rs2 + (negC ? -1 : 1)·rs3. */
export function fmaD(
  s: FpState,
  rd: number,
  rs1: number,
  rs2: number,
  rs3: number,
  rm: number,
  negProd: boolean,
  negC: boolean,
): void {
  const f = s.f;
  const fi = s.fi;
  let a = f[rs1];
  const b = f[rs2];
  let c = f[rs3];
  if (negProd) a = -a;
  if (negC) c = -c;
  const ea = (fi[2 * rs1 + 1] >>> 20) & 0x7ff;
  const eb = (fi[2 * rs2 + 1] >>> 20) & 0x7ff;
  const ec = (fi[2 * rs3 + 1] >>> 20) & 0x7ff;
  if (((ea - EXP_LO) >>> 0) <= EXP_SPAN && ((eb - EXP_LO) >>> 0) <= EXP_SPAN && ((ec - EXP_LO) >>> 0) <= EXP_SPAN) {
    const uh = a * b;
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    const ul = ah * bh - uh + ah * bl + al * bh + al * bl;
    const th = c + uh;
    let bb = th - c;
    const tl = c - (th - bb) + (uh - bb);
    let v = tl + ul;
    bb = v - tl;
    const ev = tl - (v - bb) + (ul - bb);
    if (ev === 0) {
      const r = th + v;
      if (rm === RNE && (s.fflags & NX) !== 0) {
        f[rd] = r; // an exact zero here is +0 (cancellation of non-zero terms), as RNE requires
        return;
      }
      bb = r - th;
      const d1 = th - (r - bb) + (v - bb);
      if (d1 === 0) {
        // exact; an exact zero here comes from cancellation of non-zero terms (§6.3)
        f[rd] = r === 0 ? (rm === RDN ? -0 : 0) : r;
        return;
      }
      s.fflags |= NX;
      f[rd] = rm === RNE ? r : adjustD(r, d1, rm);
      return;
    }
    if (rm === RNE) {
      sf64[0] = v;
      if ((si32[0] & 1) === 0) v = stepMagD(v, ev > 0 === v > 0 ? 1 : -1);
      s.fflags |= NX;
      f[rd] = th + v;
      return;
    }
  } else if ((a === 0 || b === 0) && a - a === 0 && b - b === 0 && c - c === 0) {
    // exact zero product plus finite c
    if (c !== 0) {
      f[rd] = c;
    } else {
      const p = a * b;
      f[rd] = rm === RDN && 1 / p + 1 / c !== Infinity ? -0 : p + c;
    }
    return;
  }
  putBitsD(fi, rd, sfFma(F64, getBitsD(fi, rs1), getBitsD(fi, rs2), getBitsD(fi, rs3), negProd, negC, rm, s));
}

/** fmadd.s family. */
export function fmaS(
  s: FpState,
  rd: number,
  rs1: number,
  rs2: number,
  rs3: number,
  rm: number,
  negProd: boolean,
  negC: boolean,
): void {
  const fi = s.fi;
  let a = readS(fi, rs1);
  const b = readS(fi, rs2);
  let c = readS(fi, rs3);
  if (negProd) a = -a;
  if (negC) c = -c;
  const p = a * b; // exact
  const d = p + c;
  const bb = d - p;
  const e = p - (d - bb) + (c - bb); // a·b + c = d + e exactly; NaN for inf/NaN operands
  const r = Math.fround(d);
  const ar = Math.abs(r);
  if (ar > MIN_NORMAL_S && ar <= MAX_S && e - e === 0) {
    if (e === 0 && r === d) {
      writeS(fi, rd, r);
      return;
    }
    s.fflags |= NX;
    let res = r;
    if (rm === RNE || rm === RMM) {
      if (r !== d) {
        const m = 2 * d - r;
        if (Math.fround(m) === m) {
          // d is exactly halfway between the binary32 values r and m
          if (e !== 0) {
            if (e > 0 === m > d) res = m; // the exact value is past the midpoint, on m's side
          } else if (rm === RMM && Math.abs(m) > ar) {
            res = m; // a true tie, away from zero
          }
        }
      }
    } else {
      // X - r has the sign of d - r when d != r (rounding is monotonic), else of e
      res = adjustS(r, r !== d ? d - r : e, rm);
      if (res - res !== 0) s.fflags |= OF;
    }
    writeS(fi, rd, res);
    return;
  }
  if (d === 0 && e === 0) {
    // exact zero: +0 unless both terms are -0, or RDN and not both +0 (IEEE 754-2019 §6.3)
    writeS(fi, rd, rm === RDN && 1 / p + 1 / c !== Infinity ? -0 : d);
    return;
  }
  const bits = sfFma(
    F32,
    BigInt(getBitsS(fi, rs1) >>> 0),
    BigInt(getBitsS(fi, rs2) >>> 0),
    BigInt(getBitsS(fi, rs3) >>> 0),
    negProd,
    negC,
    rm,
    s,
  );
  putBitsS(fi, rd, Number(bits) | 0);
}
