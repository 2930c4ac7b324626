/**
 * Exact conversions on BigInt patterns: the slow paths of FCVT (RISC-V ISA manual §11.7 and
 * §12.5 "Floating-Point Conversion and Move Instructions").
 *
 * Float to integer follows Table 11.4 (20191213 numbering; "Domains of float-to-integer
 * conversions and behavior for invalid inputs"): NaN gives the largest positive value, ±inf and
 * out-of-range values saturate; those raise NV and only NV (not NX, as in QEMU). A value that
 * rounds to an in-range integer raises NX if inexact (so -0.5 → 0 for an unsigned result in
 * RNE is NX, not NV).
 */
import { FlagSink, NV, NX } from './state';
import { FloatFormat, INF, isNaNCls, packInf, packZero, roundPack, roundToInteger, SNAN, unpack, ZERO } from './softfloat';

/** Converts between formats (fcvt.s.d / fcvt.d.s). NaNs become the canonical NaN of `to`. */
export function sfCvtFF(from: FloatFormat, to: FloatFormat, bits: bigint, rm: number, st: FlagSink): bigint {
  const u = unpack(from, bits);
  if (isNaNCls(u.cls)) {
    if (u.cls === SNAN) st.fflags |= NV;
    return to.canonicalNaN;
  }
  if (u.cls === INF) return packInf(to, u.sign);
  if (u.cls === ZERO) return packZero(to, u.sign);
  return roundPack(to, u.sign, u.m, u.e, false, rm, st);
}

/**
 * Float to integer of `width` bits (32 or 64), signed or not, in `rm`. Returns the integer as a
 * BigInt value (negative for negative signed results), before any sign extension.
 */
export function sfCvtFI(
  fmt: FloatFormat,
  bits: bigint,
  width: number,
  signed: boolean,
  rm: number,
  st: FlagSink,
): bigint {
  const w = BigInt(width);
  const max = signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  const min = signed ? -(1n << (w - 1n)) : 0n;
  const u = unpack(fmt, bits);
  if (isNaNCls(u.cls)) {
    st.fflags |= NV;
    return max;
  }
  if (u.cls === INF) {
    st.fflags |= NV;
    return u.sign ? min : max;
  }
  if (u.cls === ZERO) return 0n;
  const { q, inexact } = roundToInteger(u.m, u.e, u.sign, rm);
  const v = u.sign ? -q : q;
  if (v < min || v > max) {
    st.fflags |= NV;
    return u.sign ? min : max;
  }
  if (inexact) st.fflags |= NX;
  return v;
}

/** Integer (a BigInt value, any sign) to float in `rm`. Zero converts to +0. */
export function sfCvtIF(fmt: FloatFormat, v: bigint, rm: number, st: FlagSink): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(fmt, 1, -v, 0, false, rm, st) : roundPack(fmt, 0, v, 0, false, rm, st);
}

