/**
 * Exact IEEE 754 binary32/binary64 arithmetic on BigInt significands: the slow paths.
 *
 * Every operation here computes the exact result (or the exact result truncated with a sticky
 * bit) and rounds it once with `roundPack`. It is the reference the fast paths fall back to for
 * rare cases (NaN/inf/zero operands, subnormal or overflowing results, some directed-rounding
 * cases, FMA outside its fast range), and the model the tests check the fast paths against.
 *
 * Semantics follow the RISC-V ISA manual (chapter 11 "F", §11.3: results that are NaN are the
 * canonical NaN; NV on signaling NaN inputs and invalid operations) and IEEE 754-2019:
 * - §4.3 rounding modes, including roundTiesToAway (RMM);
 * - §7.4/7.5 overflow and underflow: RISC-V (like QEMU's target/riscv, which leaves softfloat's
 *   default `float_tininess_after_rounding`) detects tininess AFTER rounding, and raises UF only
 *   when the tiny result is also inexact;
 * - §6.3 the sign of exact zero sums: +0 except in RDN, where it is -0;
 * - fused multiply-add: (±inf × 0) + c raises NV even when c is a quiet NaN (as QEMU's
 *   pickNaNMulAdd does for RISC-V).
 *
 * Patterns are BigInts (32-bit for binary32, 64-bit for binary64). Flags are ORed into a sink.
 */
import { DZ, FlagSink, NV, NX, OF, RDN, RMM, RNE, RUP, UF } from './state';

export interface FloatFormat {
  readonly p: number; // precision including the hidden bit: 24 / 53
  readonly fracBits: number; // p - 1
  readonly emax: number; // 127 / 1023 (also the bias)
  readonly emin: number; // 1 - emax
  readonly expMask: number; // all-ones exponent field
  readonly signBit: bigint;
  readonly fracMask: bigint;
  readonly hidden: bigint; // 1 << fracBits
  readonly quietBit: bigint; // top fraction bit
  readonly infBits: bigint; // +inf
  readonly maxBits: bigint; // +MAX finite
  readonly canonicalNaN: bigint;
}

function makeFormat(p: number, expBits: number): FloatFormat {
  const fracBits = p - 1;
  const emax = (1 << (expBits - 1)) - 1;
  const expMask = (1 << expBits) - 1;
  const fb = BigInt(fracBits);
  return {
    p,
    fracBits,
    emax,
    emin: 1 - emax,
    expMask,
    signBit: 1n << BigInt(fracBits + expBits),
    fracMask: (1n << fb) - 1n,
    hidden: 1n << fb,
    quietBit: 1n << (fb - 1n),
    infBits: BigInt(expMask) << fb,
    maxBits: (BigInt(expMask - 1) << fb) | ((1n << fb) - 1n),
    canonicalNaN: (BigInt(expMask) << fb) | (1n << (fb - 1n)),
  };
}

export const F32: FloatFormat = makeFormat(24, 8);
export const F64: FloatFormat = makeFormat(53, 11);

/** Operand classes. */
export const ZERO = 0;
export const FINITE = 1; // non-zero finite (normal or subnormal)
export const INF = 2;
export const QNAN = 3;
export const SNAN = 4;

/** An unpacked operand: value = (-1)^sign × m × 2^e for FINITE; m = 0 otherwise. */
export interface Unpacked {
  cls: number;
  sign: number;
  m: bigint;
  e: number;
}

export function unpack(fmt: FloatFormat, bits: bigint): Unpacked {
  const sign = (bits & fmt.signBit) !== 0n ? 1 : 0;
  const ef = Number((bits >> BigInt(fmt.fracBits)) & BigInt(fmt.expMask));
  const frac = bits & fmt.fracMask;
  if (ef === fmt.expMask) {
    const cls = frac === 0n ? INF : (frac & fmt.quietBit) !== 0n ? QNAN : SNAN;
    return { cls, sign, m: 0n, e: 0 };
  }
  if (ef === 0) {
    if (frac === 0n) return { cls: ZERO, sign, m: 0n, e: 0 };
    return { cls: FINITE, sign, m: frac, e: fmt.emin - fmt.fracBits };
  }
  return { cls: FINITE, sign, m: frac | fmt.hidden, e: ef - fmt.emax - fmt.fracBits };
}

export function isNaNCls(cls: number): boolean {
  return cls >= QNAN;
}

export function packZero(fmt: FloatFormat, sign: number): bigint {
  return sign ? fmt.signBit : 0n;
}

export function packInf(fmt: FloatFormat, sign: number): bigint {
  return sign ? fmt.signBit | fmt.infBits : fmt.infBits;
}

/** Number of bits of m > 0. */
export function bitLength(m: bigint): number {
  if (m < 0x20000000000000n) {
    const v = Number(m);
    return v < 4294967296 ? 32 - Math.clz32(v) : 64 - Math.clz32(Math.floor(v / 4294967296));
  }
  const hex = m.toString(16);
  return hex.length * 4 - (Math.clz32(parseInt(hex[0], 16)) - 28);
}

/** Set by roundInt: whether the last rounding discarded non-zero bits. */
let lastInexact = false;

/**
 * Rounds m × 2^-shift to an integer in `rm` (sign gives the direction for RDN/RUP) and
 * records in lastInexact whether it was inexact. shift <= 0 is an exact left shift.
 */
function roundInt(m: bigint, shift: number, sign: number, rm: number): bigint {
  if (shift <= 0) {
    lastInexact = false;
    return m << BigInt(-shift);
  }
  const sh = BigInt(shift);
  const q = m >> sh;
  const rest = m - (q << sh);
  if (rest === 0n) {
    lastInexact = false;
    return q;
  }
  lastInexact = true;
  const half = 1n << (sh - 1n);
  let up: boolean;
  switch (rm) {
    case RNE:
      up = rest > half || (rest === half && (q & 1n) === 1n);
      break;
    case RMM:
      up = rest >= half;
      break;
    case RDN:
      up = sign === 1;
      break;
    case RUP:
      up = sign === 0;
      break;
    default:
      up = false;
  }
  return up ? q + 1n : q;
}

/** Exported for the integer conversions: rounds m × 2^e (e < 0 allowed) to an integer. */
export function roundToInteger(m: bigint, e: number, sign: number, rm: number): { q: bigint; inexact: boolean } {
  const q = roundInt(m, -e, sign, rm);
  return { q, inexact: lastInexact };
}

/**
 * Rounds (-1)^sign × (m + δ) × 2^e to `fmt` in `rm`, where δ = 0 if !sticky, else 0 < δ < 1
 * (the exact value lies strictly between m and m+1 units). m > 0. With sticky, m must have at
 * least p + 1 bits so that no rounding boundary lies strictly inside (m, m+1).
 * Raises NX, and OF / UF per IEEE 754-2019 §7.4/§7.5 with tininess detected after rounding.
 */
export function roundPack(
  fmt: FloatFormat,
  sign: number,
  m: bigint,
  e: number,
  sticky: boolean,
  rm: number,
  st: FlagSink,
): bigint {
  if (sticky) {
    if (bitLength(m) < fmt.p + 1) throw new Error('roundPack: too few bits with sticky');
    m = (m << 1n) | 1n; // a representative strictly inside (m, m+1)
    e -= 1;
  }
  const p = fmt.p;
  const n = bitLength(m);
  const msb = e + n - 1; // value in [2^msb, 2^(msb+1))
  // Tininess after rounding: the value rounded to p bits with unbounded exponent is < 2^emin.
  let tiny = msb < fmt.emin;
  if (msb === fmt.emin - 1) {
    const q = roundInt(m, n - p, sign, rm);
    if (bitLength(q) - 1 + e + (n - p) >= fmt.emin) tiny = false;
  }
  const minLsb = fmt.emin - fmt.fracBits; // exponent of the lsb of subnormals
  let shift = n - p;
  if (e + shift < minLsb) shift = minLsb - e;
  let q = roundInt(m, shift, sign, rm);
  const inexact = lastInexact;
  let lsb = e + shift;
  if (q !== 0n && bitLength(q) > p) {
    q >>= 1n; // carried out to 2^p
    lsb += 1;
  }
  let flags = inexact ? NX : 0;
  if (tiny && inexact) flags |= UF;
  let out: bigint;
  if (q === 0n) {
    out = packZero(fmt, sign);
  } else {
    const qb = bitLength(q);
    const top = lsb + qb - 1;
    if (top > fmt.emax) {
      flags |= OF | NX;
      const toInf = rm === RNE || rm === RMM || (rm === RUP && sign === 0) || (rm === RDN && sign === 1);
      out = toInf ? packInf(fmt, sign) : (sign ? fmt.signBit : 0n) | fmt.maxBits;
    } else if (qb === p) {
      const biased = BigInt(top + fmt.emax);
      out = (sign ? fmt.signBit : 0n) | (biased << BigInt(fmt.fracBits)) | (q & fmt.fracMask);
    } else {
      out = (sign ? fmt.signBit : 0n) | q; // subnormal: lsb === minLsb
    }
  }
  st.fflags |= flags;
  return out;
}

/** Sign of an exact zero sum of non-zero or mixed-sign terms (IEEE 754-2019 §6.3). */
function cancelZero(fmt: FloatFormat, rm: number): bigint {
  return packZero(fmt, rm === RDN ? 1 : 0);
}

/** Exact (-1)^sa ma 2^ea + (-1)^sb mb 2^eb, rounded; operands FINITE or ZERO. */
function sumRound(
  fmt: FloatFormat,
  sa: number,
  ma: bigint,
  ea: number,
  sb: number,
  mb: bigint,
  eb: number,
  rm: number,
  st: FlagSink,
): bigint {
  if (ma === 0n && mb === 0n) return sa === sb ? packZero(fmt, sa) : cancelZero(fmt, rm);
  if (ma === 0n) return roundPack(fmt, sb, mb, eb, false, rm, st);
  if (mb === 0n) return roundPack(fmt, sa, ma, ea, false, rm, st);
  const e = Math.min(ea, eb);
  const va = (sa ? -ma : ma) << BigInt(ea - e);
  const vb = (sb ? -mb : mb) << BigInt(eb - e);
  const sum = va + vb;
  if (sum === 0n) return cancelZero(fmt, rm);
  return sum < 0n ? roundPack(fmt, 1, -sum, e, false, rm, st) : roundPack(fmt, 0, sum, e, false, rm, st);
}

/** a + b (or a - b when negB), IEEE 754-2019 §5.4.1. */
export function sfAdd(fmt: FloatFormat, a: bigint, b: bigint, negB: boolean, rm: number, st: FlagSink): bigint {
  const ua = unpack(fmt, a);
  const ub = unpack(fmt, b);
  const sb = negB ? ub.sign ^ 1 : ub.sign;
  if (isNaNCls(ua.cls) || isNaNCls(ub.cls)) {
    if (ua.cls === SNAN || ub.cls === SNAN) st.fflags |= NV;
    return fmt.canonicalNaN;
  }
  if (ua.cls === INF) {
    if (ub.cls === INF && sb !== ua.sign) {
      st.fflags |= NV;
      return fmt.canonicalNaN;
    }
    return packInf(fmt, ua.sign);
  }
  if (ub.cls === INF) return packInf(fmt, sb);
  return sumRound(fmt, ua.sign, ua.m, ua.e, sb, ub.m, ub.e, rm, st);
}

/** a × b. */
export function sfMul(fmt: FloatFormat, a: bigint, b: bigint, rm: number, st: FlagSink): bigint {
  const ua = unpack(fmt, a);
  const ub = unpack(fmt, b);
  if (isNaNCls(ua.cls) || isNaNCls(ub.cls)) {
    if (ua.cls === SNAN || ub.cls === SNAN) st.fflags |= NV;
    return fmt.canonicalNaN;
  }
  const sign = ua.sign ^ ub.sign;
  if (ua.cls === INF || ub.cls === INF) {
    if (ua.cls === ZERO || ub.cls === ZERO) {
      st.fflags |= NV;
      return fmt.canonicalNaN;
    }
    return packInf(fmt, sign);
  }
  if (ua.cls === ZERO || ub.cls === ZERO) return packZero(fmt, sign);
  return roundPack(fmt, sign, ua.m * ub.m, ua.e + ub.e, false, rm, st);
}

/** a / b. */
export function sfDiv(fmt: FloatFormat, a: bigint, b: bigint, rm: number, st: FlagSink): bigint {
  const ua = unpack(fmt, a);
  const ub = unpack(fmt, b);
  if (isNaNCls(ua.cls) || isNaNCls(ub.cls)) {
    if (ua.cls === SNAN || ub.cls === SNAN) st.fflags |= NV;
    return fmt.canonicalNaN;
  }
  const sign = ua.sign ^ ub.sign;
  if (ua.cls === INF) {
    if (ub.cls === INF) {
      st.fflags |= NV;
      return fmt.canonicalNaN;
    }
    return packInf(fmt, sign);
  }
  if (ub.cls === INF) return packZero(fmt, sign);
  if (ub.cls === ZERO) {
    if (ua.cls === ZERO) {
      st.fflags |= NV;
      return fmt.canonicalNaN;
    }
    st.fflags |= DZ;
    return packInf(fmt, sign);
  }
  if (ua.cls === ZERO) return packZero(fmt, sign);
  const k = Math.max(0, fmt.p + 2 + bitLength(ub.m) - bitLength(ua.m));
  const num = ua.m << BigInt(k);
  const q = num / ub.m;
  const rest = num - q * ub.m;
  return roundPack(fmt, sign, q, ua.e - ub.e - k, rest !== 0n, rm, st);
}

/** floor(sqrt(n)) for n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  const bits = bitLength(n);
  // initial guess >= sqrt(n): 2^ceil(bits/2); Newton from above decreases monotonically
  let x = 1n << BigInt((bits + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(a), IEEE 754-2019 §5.4.1: sqrt(-0) = -0, sqrt(negative) is invalid. */
export function sfSqrt(fmt: FloatFormat, a: bigint, rm: number, st: FlagSink): bigint {
  const ua = unpack(fmt, a);
  if (isNaNCls(ua.cls)) {
    if (ua.cls === SNAN) st.fflags |= NV;
    return fmt.canonicalNaN;
  }
  if (ua.cls === ZERO) return a;
  if (ua.sign) {
    st.fflags |= NV;
    return fmt.canonicalNaN;
  }
  if (ua.cls === INF) return a;
  let k = Math.max(0, 2 * (fmt.p + 2) - bitLength(ua.m));
  if (((ua.e - k) & 1) !== 0) k++;
  const n = ua.m << BigInt(k);
  const r = isqrt(n);
  return roundPack(fmt, 0, r, (ua.e - k) / 2, r * r !== n, rm, st);
}

/**
 * Fused (-1)^negProd (a × b) + (-1)^negC c with a single rounding (IEEE 754-2019 §5.4.1
 * fusedMultiplyAdd). RISC-V: fmadd = (0,0), fmsub = (0,1), fnmsub = (1,0), fnmadd = (1,1).
 */
export function sfFma(
  fmt: FloatFormat,
  a: bigint,
  b: bigint,
  c: bigint,
  negProd: boolean,
  negC: boolean,
  rm: number,
  st: FlagSink,
): bigint {
  const ua = unpack(fmt, a);
  const ub = unpack(fmt, b);
  const uc = unpack(fmt, c);
  const infZero = (ua.cls === INF && ub.cls === ZERO) || (ua.cls === ZERO && ub.cls === INF);
  if (isNaNCls(ua.cls) || isNaNCls(ub.cls) || isNaNCls(uc.cls) || infZero) {
    if (ua.cls === SNAN || ub.cls === SNAN || uc.cls === SNAN || infZero) st.fflags |= NV;
    return fmt.canonicalNaN;
  }
  const ps = ua.sign ^ ub.sign ^ (negProd ? 1 : 0);
  const cs = uc.sign ^ (negC ? 1 : 0);
  if (ua.cls === INF || ub.cls === INF) {
    if (uc.cls === INF && cs !== ps) {
      st.fflags |= NV;
      return fmt.canonicalNaN;
    }
    return packInf(fmt, ps);
  }
  if (uc.cls === INF) return packInf(fmt, cs);
  return sumRound(fmt, ps, ua.m * ub.m, ua.e + ub.e, cs, uc.m, uc.e, rm, st);
}
