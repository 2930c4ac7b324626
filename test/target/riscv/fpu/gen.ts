/**
 * Operand generators for the randomized tests: edge values plus random patterns biased towards
 * the cases that are hard to get right (cancellation, exponent gaps, ties, products and
 * quotients near the subnormal and overflow boundaries, integer conversion boundaries).
 * binary64 operands are 64-bit BigInt patterns; binary32 operands are 32-bit patterns (number).
 */
import { dbits, fromDbits, fromSbits, Rng, sbits } from './helpers';

export const SPECIAL_D: readonly bigint[] = [
  0x0000000000000000n, // +0
  0x8000000000000000n, // -0
  0x0000000000000001n, // min subnormal
  0x8000000000000001n,
  0x000fffffffffffffn, // max subnormal
  0x800fffffffffffffn,
  0x0010000000000000n, // min normal
  0x8010000000000000n,
  0x0010000000000001n,
  0x3ff0000000000000n, // 1
  0xbff0000000000000n,
  0x3ff0000000000001n,
  0x3fefffffffffffffn,
  0x4000000000000000n, // 2
  0x3fe0000000000000n, // 0.5
  0xbfe0000000000000n,
  0x3ff8000000000000n, // 1.5
  0x4004000000000000n, // 2.5
  0x7fefffffffffffffn, // max
  0xffefffffffffffffn,
  0x7fe0000000000000n,
  0x7ff0000000000000n, // +inf
  0xfff0000000000000n, // -inf
  0x7ff8000000000000n, // canonical qNaN
  0xfff8000000000000n, // negative qNaN
  0x7ff8000000000123n, // qNaN with payload
  0x7ff0000000000001n, // sNaN
  0x7ff4000000000000n, // sNaN
  0xfff0000000000001n, // negative sNaN
  0x41e0000000000000n, // 2^31
  0xc1e0000000000000n, // -2^31
  0x41f0000000000000n, // 2^32
  0x43e0000000000000n, // 2^63
  0xc3e0000000000000n, // -2^63
  0x43f0000000000000n, // 2^64
  0x4340000000000000n, // 2^53
  0x47efffffe0000000n, // binary32 max
  0x47effffff0000000n, // binary32 max + half ulp
  0x3810000000000000n, // binary32 min normal
  0x36a0000000000000n, // binary32 min subnormal
  0x3690000000000000n, // half of it
];

export const SPECIAL_S: readonly number[] = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000,
  0x00800001, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x40000000, 0x3f000000, 0xbf000000,
  0x3fc00000, 0x40200000, 0x7f7fffff, 0xff7fffff, 0x7f000000, 0x7f800000, 0xff800000, 0x7fc00000,
  0xffc00000, 0x7fc00123, 0x7f800001, 0x7fa00000, 0xff800001, 0x4f000000, 0xcf000000, 0x4f800000,
  0x5f000000, 0xdf000000, 0x5f800000, 0x4b800000,
];

function mkD(sign: number, exp: number, mant: bigint): bigint {
  return (BigInt(sign) << 63n) | (BigInt(exp) << 52n) | mant;
}

function mantD(rng: Rng): bigint {
  const m = rng.u64() & 0xfffffffffffffn;
  switch (rng.int(8)) {
    case 0: {
      const keep = rng.int(53); // few significant bits: makes exact results and ties likely
      return (m >> BigInt(52 - keep)) << BigInt(52 - keep);
    }
    case 1:
      return 0xfffffffffffffn - BigInt(rng.int(4));
    case 2:
      return BigInt(rng.int(4));
    default:
      return m;
  }
}

/** A binary64 pattern from a mix of distributions. */
export function genD(rng: Rng): bigint {
  const sign = rng.int(2);
  const r = rng.int(100);
  if (r < 12) return rng.pick(SPECIAL_D);
  if (r < 42) return mkD(sign, 1023 + rng.int(21) - 10, mantD(rng));
  if (r < 55) return mkD(sign, rng.int(2047), mantD(rng));
  if (r < 63) return mkD(sign, 0, rng.chance(0.5) ? mantD(rng) : BigInt(rng.int(1 << 20)));
  if (r < 70) return mkD(sign, 1 + rng.int(3), mantD(rng));
  if (r < 77) return mkD(sign, 2046 - rng.int(3), mantD(rng));
  if (r < 90) return mkD(sign, 1023 + rng.int(131) - 65, mantD(rng));
  return dbits((sign ? -1 : 1) * (rng.int(64) / rng.pick([1, 2, 4, 8])));
}

function mkS(sign: number, exp: number, mant: number): number {
  return ((sign << 31) | (exp << 23) | mant) >>> 0;
}

function mantS(rng: Rng): number {
  const m = rng.u32() & 0x7fffff;
  switch (rng.int(8)) {
    case 0: {
      const keep = rng.int(24);
      return (m >>> (23 - keep)) << (23 - keep);
    }
    case 1:
      return 0x7fffff - rng.int(4);
    case 2:
      return rng.int(4);
    default:
      return m;
  }
}

/** A binary32 pattern from a mix of distributions. */
export function genS(rng: Rng): number {
  const sign = rng.int(2);
  const r = rng.int(100);
  if (r < 12) return rng.pick(SPECIAL_S);
  if (r < 42) return mkS(sign, 127 + rng.int(21) - 10, mantS(rng));
  if (r < 55) return mkS(sign, rng.int(255), mantS(rng));
  if (r < 63) return mkS(sign, 0, rng.chance(0.5) ? mantS(rng) : rng.int(1 << 10));
  if (r < 70) return mkS(sign, 1 + rng.int(3), mantS(rng));
  if (r < 77) return mkS(sign, 254 - rng.int(3), mantS(rng));
  if (r < 90) return mkS(sign, 127 + rng.int(41) - 20, mantS(rng));
  return sbits((sign ? -1 : 1) * (rng.int(64) / rng.pick([1, 2, 4, 8])));
}

/** Operand kinds of a binary operation, used to correlate the second operand with the first. */
export type PairKind = 'add' | 'mul' | 'div';

function clampExp(e: number, max: number): number {
  return Math.max(0, Math.min(max, e));
}

/** A correlated pair of binary64 patterns for `kind`. */
export function pairD(rng: Rng, kind: PairKind): [bigint, bigint] {
  const a = genD(rng);
  if (rng.chance(0.4)) return [a, genD(rng)];
  const ea = Number((a >> 52n) & 0x7ffn);
  const sign = rng.int(2);
  if (kind === 'add') {
    if (rng.chance(0.5)) {
      // near-cancellation: b = -a ± a few ulps
      const d = BigInt(rng.int(9) - 4);
      const b = ((a ^ 0x8000000000000000n) + d) & 0xffffffffffffffffn;
      return [a, b];
    }
    // exponent gap up to 80: tiny error terms, ties at gap 53/54
    return [a, mkD(sign, clampExp(ea - rng.int(81), 2046), mantD(rng))];
  }
  // product / quotient exponent near the subnormal range or overflow
  const target = rng.chance(0.6) ? -1022 - rng.int(60) + 8 : 1023 - rng.int(6);
  const ua = ea - 1023;
  const eb = kind === 'mul' ? target - ua + 1023 : ua - target + 1023;
  return [a, mkD(sign, clampExp(eb, 2046), mantD(rng))];
}

/** A correlated triple for FMA: c often cancels a·b or sits in its error range. */
export function tripleD(rng: Rng): [bigint, bigint, bigint] {
  const [a, b] = rng.chance(0.3) ? pairD(rng, 'mul') : [genD(rng), genD(rng)];
  const r = rng.int(10);
  if (r < 3) return [a, b, genD(rng)];
  const p = fromDbits(a) * fromDbits(b);
  if (!Number.isFinite(p) || p === 0) return [a, b, genD(rng)];
  if (r < 7) {
    const d = BigInt(rng.int(5) - 2);
    return [a, b, ((dbits(-p) + d) & 0xffffffffffffffffn) | 0n];
  }
  const pe = Number((dbits(p) >> 52n) & 0x7ffn);
  return [a, b, mkD(rng.int(2), clampExp(pe - rng.int(110), 2046), mantD(rng))];
}

/** A correlated pair of binary32 patterns. */
export function pairS(rng: Rng, kind: PairKind): [number, number] {
  const a = genS(rng);
  if (rng.chance(0.4)) return [a, genS(rng)];
  const ea = (a >>> 23) & 0xff;
  const sign = rng.int(2);
  if (kind === 'add') {
    if (rng.chance(0.5)) return [a, ((a ^ 0x80000000) + rng.int(9) - 4) >>> 0];
    return [a, mkS(sign, clampExp(ea - rng.int(40), 254), mantS(rng))];
  }
  const target = rng.chance(0.6) ? -126 - rng.int(30) + 6 : 127 - rng.int(4);
  const ua = ea - 127;
  const eb = kind === 'mul' ? target - ua + 127 : ua - target + 127;
  return [a, mkS(sign, clampExp(eb, 254), mantS(rng))];
}

export function tripleS(rng: Rng): [number, number, number] {
  const [a, b] = rng.chance(0.3) ? pairS(rng, 'mul') : [genS(rng), genS(rng)];
  const r = rng.int(10);
  if (r < 3) return [a, b, genS(rng)];
  const p = fromSbits(a) * fromSbits(b); // exact
  if (!Number.isFinite(p) || p === 0 || Math.abs(p) > 3e38) return [a, b, genS(rng)];
  if (r < 7) {
    // c = -RN32(p) ± a few ulps: cancellation, and d = p + c lands near binary32 midpoints
    return [a, b, (sbits(-Math.fround(p)) + rng.int(5) - 2) >>> 0];
  }
  const pe = (sbits(Math.fround(p)) >>> 23) & 0xff;
  return [a, b, mkS(rng.int(2), clampExp(pe - rng.int(52), 254), mantS(rng))];
}

/** 64-bit integer operands (as unsigned patterns) near conversion boundaries and ties. */
export function genInt(rng: Rng): bigint {
  const m64 = 0xffffffffffffffffn;
  const small = BigInt(rng.int(33) - 16);
  switch (rng.int(9)) {
    case 0:
      return BigInt(rng.int(2001) - 1000) & m64;
    case 1:
      return rng.u64();
    case 2:
      return ((1n << BigInt(rng.pick([24, 25, 31, 32, 53, 54, 63, 64]))) + small) & m64;
    case 3:
      return (-(1n << BigInt(rng.pick([24, 31, 53, 63]))) + small) & m64;
    case 4: {
      // exactly p+1 significant bits ending in 1 (ties), shifted
      const p = rng.pick([25, 54]);
      const v = (1n << BigInt(p - 1)) | BigInt(rng.u32()) | 1n;
      return (v << BigInt(rng.int(64 - p))) & m64;
    }
    case 5:
      return BigInt(rng.u32()) & 0xffffffffn;
    case 6:
      return BigInt.asUintN(64, BigInt.asIntN(32, BigInt(rng.u32())));
    default:
      return rng.u64() >> BigInt(rng.int(64));
  }
}

const INT_BOUNDS = [0, 1, 2, 3, 2 ** 23, 2 ** 24, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53, 2 ** 63, 2 ** 64];
const FRACTIONS = [-1.5, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.5];

/** Values (doubles) near the float-to-integer boundaries, for FCVT.{W,WU,L,LU}. */
export function genCvtValue(rng: Rng): number {
  const base = rng.pick(INT_BOUNDS) * (rng.chance(0.5) ? -1 : 1);
  if (rng.chance(0.5)) return base + rng.pick(FRACTIONS);
  // a few ulps around the base
  let b = dbits(base === 0 ? 1 : base);
  b += BigInt(rng.int(7) - 3);
  return fromDbits(b);
}
