/**
 * Edge cases of the arithmetic instructions with hand-derived expectations (IEEE 754-2019,
 * RISC-V ISA manual chapters 11-12): signed zeros, subnormals, tininess after rounding,
 * overflow per rounding mode, every rounding mode, NaNs, FMA.
 */
import { describe, expect, it } from 'vitest';
import { DZ, NV, NX, OF, RDN, RMM, RNE, RTZ, RUP, UF } from '../../../../src/target/riscv/fpu';
import { box, dbits, encR, encR4, runBoth as run, sbits } from './helpers';

const D = 1;
const S = 0;
const ADD = 0x00;
const SUB = 0x01;
const MUL = 0x02;
const DIV = 0x03;
const SQRT = 0x0b;

/** Runs a binary64 R-type op; returns [result pattern, flags]. */
function d2(funct5: number, rm: number, a: number | bigint, b: number | bigint = 0): [bigint, number] {
  const bits = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : dbits(v));
  const o = run(encR(funct5, D, funct5 === SQRT ? 0 : 12, 11, rm, 10), { f11: bits(a), f12: bits(b) });
  expect(o.legal).toBe(true);
  return [o.f10, o.fflags];
}

/** Runs a binary32 R-type op on values (rounded to binary32) or raw patterns (number with `raw`). */
function s2(funct5: number, rm: number, a: number, b = 0): [bigint, number] {
  const o = run(encR(funct5, S, funct5 === SQRT ? 0 : 12, 11, rm, 10), { f11: box(sbits(a)), f12: box(sbits(b)) });
  expect(o.legal).toBe(true);
  return [o.f10, o.fflags];
}

const MAX = 1.7976931348623157e308;
const MINN = 2 ** -1022;
const QNAN_D = 0x7ff8000000000000n;
const SNAN_D = 0x7ff0000000000001n;
const QNAN_S = box(0x7fc00000);

describe('signed zeros (IEEE 754-2019 §6.3)', () => {
  it('x + (-x) is +0, except -0 in RDN', () => {
    for (const rm of [RNE, RTZ, RUP, RMM]) expect(d2(ADD, rm, 1.5, -1.5)).toEqual([dbits(0), 0]);
    expect(d2(ADD, RDN, 1.5, -1.5)).toEqual([dbits(-0), 0]);
    expect(s2(ADD, RDN, 1.5, -1.5)).toEqual([box(sbits(-0)), 0]);
    expect(s2(ADD, RNE, 1.5, -1.5)).toEqual([box(0), 0]);
  });
  it('sums of zeros', () => {
    expect(d2(ADD, RNE, 0, -0)[0]).toBe(dbits(0));
    expect(d2(ADD, RDN, 0, -0)[0]).toBe(dbits(-0));
    expect(d2(ADD, RNE, -0, -0)[0]).toBe(dbits(-0));
    expect(d2(ADD, RDN, 0, 0)[0]).toBe(dbits(0));
    expect(d2(SUB, RNE, -0, 0)[0]).toBe(dbits(-0));
    expect(d2(SUB, RNE, 0, 0)[0]).toBe(dbits(0));
  });
  it('products, quotients and square roots of zeros', () => {
    expect(d2(MUL, RNE, -0, 5)).toEqual([dbits(-0), 0]);
    expect(d2(DIV, RNE, 1, -Infinity)).toEqual([dbits(-0), 0]);
    expect(d2(DIV, RNE, -0, 3)).toEqual([dbits(-0), 0]);
    expect(d2(SQRT, RNE, -0)).toEqual([dbits(-0), 0]);
    expect(s2(SQRT, RNE, -0)).toEqual([box(0x80000000), 0]);
  });
});

describe('every rounding mode', () => {
  it('a tie (1 + 2^-53) and its negation', () => {
    const t = 1 + 2 ** -52;
    const want: Record<number, number> = { [RNE]: 1, [RTZ]: 1, [RDN]: 1, [RUP]: t, [RMM]: t };
    for (const rm of [RNE, RTZ, RDN, RUP, RMM]) {
      expect(d2(ADD, rm, 1, 2 ** -53)).toEqual([dbits(want[rm]), NX]);
      const neg: Record<number, number> = { [RNE]: -1, [RTZ]: -1, [RDN]: -t, [RUP]: -1, [RMM]: -t };
      expect(d2(ADD, rm, -1, -(2 ** -53))).toEqual([dbits(neg[rm]), NX]);
    }
  });
  it('1/3', () => {
    const lo = 0x3fd5555555555555n;
    const want: Record<number, bigint> = { [RNE]: lo, [RTZ]: lo, [RDN]: lo, [RUP]: lo + 1n, [RMM]: lo };
    for (const rm of [RNE, RTZ, RDN, RUP, RMM]) expect(d2(DIV, rm, 1, 3)).toEqual([want[rm], NX]);
    expect(d2(DIV, RDN, -1, 3)).toEqual([lo + 1n + 0x8000000000000000n, NX]);
  });
  it('sqrt(2) (RNE rounds up here)', () => {
    const up = 0x3ff6a09e667f3bcdn;
    const want: Record<number, bigint> = { [RNE]: up, [RTZ]: up - 1n, [RDN]: up - 1n, [RUP]: up, [RMM]: up };
    for (const rm of [RNE, RTZ, RDN, RUP, RMM]) expect(d2(SQRT, rm, 2)).toEqual([want[rm], NX]);
  });
  it('binary32 product tie: (1 + 2^-23)(1 + 2^-23) = 1 + 2^-22 + 2^-46', () => {
    const a = 1 + 2 ** -23;
    const want: Record<number, number> = {
      [RNE]: 1 + 2 ** -22,
      [RTZ]: 1 + 2 ** -22,
      [RDN]: 1 + 2 ** -22,
      [RUP]: 1 + 3 * 2 ** -23,
      [RMM]: 1 + 2 ** -22,
    };
    for (const rm of [RNE, RTZ, RDN, RUP, RMM]) expect(s2(MUL, rm, a, a)).toEqual([box(sbits(want[rm])), NX]);
  });
  it('binary32 exact tie in RMM: 1 + 2^-24', () => {
    const up = box(sbits(1 + 2 ** -23));
    expect(s2(ADD, RMM, 1, 2 ** -24)).toEqual([up, NX]);
    expect(s2(ADD, RNE, 1, 2 ** -24)).toEqual([box(sbits(1)), NX]);
    expect(s2(ADD, RMM, 1, 2 ** -25)).toEqual([box(sbits(1)), NX]);
  });
});

describe('overflow (§7.4) depends on the rounding mode', () => {
  it('MAX × 2', () => {
    expect(d2(MUL, RNE, MAX, 2)).toEqual([dbits(Infinity), OF | NX]);
    expect(d2(MUL, RMM, MAX, 2)).toEqual([dbits(Infinity), OF | NX]);
    expect(d2(MUL, RTZ, MAX, 2)).toEqual([dbits(MAX), OF | NX]);
    expect(d2(MUL, RDN, MAX, 2)).toEqual([dbits(MAX), OF | NX]);
    expect(d2(MUL, RUP, MAX, 2)).toEqual([dbits(Infinity), OF | NX]);
    expect(d2(MUL, RDN, -MAX, 2)).toEqual([dbits(-Infinity), OF | NX]);
    expect(d2(MUL, RUP, -MAX, 2)).toEqual([dbits(-MAX), OF | NX]);
    expect(s2(MUL, RTZ, 3e38, 2)).toEqual([box(0x7f7fffff), OF | NX]);
  });
  it('just above MAX: overflow only if the unbounded rounding exceeds MAX', () => {
    const halfUlp = 2 ** 970;
    expect(d2(ADD, RNE, MAX, halfUlp)).toEqual([dbits(Infinity), OF | NX]); // tie to even = 2^1024
    expect(d2(ADD, RTZ, MAX, halfUlp)).toEqual([dbits(MAX), NX]); // truncates to MAX: no overflow
    expect(d2(ADD, RNE, MAX, 2 ** 969)).toEqual([dbits(MAX), NX]);
    expect(d2(ADD, RUP, MAX, 2 ** 969)).toEqual([dbits(Infinity), OF | NX]);
    expect(d2(ADD, RMM, MAX, halfUlp)).toEqual([dbits(Infinity), OF | NX]);
  });
  it('division by zero', () => {
    expect(d2(DIV, RNE, -1, 0)).toEqual([dbits(-Infinity), DZ]);
    expect(d2(DIV, RNE, 0, 0)).toEqual([QNAN_D, NV]);
    expect(d2(DIV, RNE, Infinity, 0)).toEqual([dbits(Infinity), 0]);
  });
});

describe('subnormals and underflow (tininess after rounding, §7.5)', () => {
  it('exact subnormal results raise nothing', () => {
    expect(d2(MUL, RNE, MINN, 0.5)).toEqual([dbits(2 ** -1023), 0]);
    expect(d2(ADD, RNE, 2 ** -1074, 2 ** -1073)).toEqual([dbits(3 * 2 ** -1074), 0]);
    expect(d2(SUB, RNE, MINN, 2 ** -1074)).toEqual([0x000fffffffffffffn, 0]);
  });
  it('inexact tiny results raise UF and NX', () => {
    expect(d2(MUL, RNE, 0x0010000000000001n, 0.5)).toEqual([dbits(2 ** -1023), UF | NX]);
    expect(d2(DIV, RNE, 2 ** -1074, 2)).toEqual([dbits(0), UF | NX]); // tie to even: 0
    expect(d2(DIV, RUP, 2 ** -1074, 2)).toEqual([dbits(2 ** -1074), UF | NX]);
    expect(d2(DIV, RDN, -(2 ** -1074), 3)).toEqual([dbits(-(2 ** -1074)), UF | NX]);
    expect(d2(MUL, RNE, 1e-200, 1e-200)).toEqual([dbits(0), UF | NX]);
    expect(s2(MUL, RNE, 2 ** -100, 2 ** -100)).toEqual([box(0), UF | NX]);
  });
  it('a tiny exact value that rounds up to MIN_NORMAL still underflows', () => {
    // (1 - 2^-53) × 2^-1022 is representable with unbounded exponent, hence tiny; with the
    // subnormal grid it is a tie between MAX_SUBNORMAL and MIN_NORMAL (even).
    expect(d2(MUL, RNE, 0x3fefffffffffffffn, MINN)).toEqual([dbits(MINN), UF | NX]);
    expect(s2(MUL, RNE, 1 - 2 ** -24, 2 ** -126)).toEqual([box(0x00800000), UF | NX]);
  });
  it('a value that rounds to MIN_NORMAL with unbounded exponent is not tiny', () => {
    // (1 + 2^-52)(1 - 2^-52) × 2^-1022 = (1 - 2^-104) × 2^-1022
    expect(d2(MUL, RNE, 0x3ff0000000000001n, 0x000fffffffffffffn)).toEqual([dbits(MINN), NX]);
    // but truncating it stays below 2^-1022: tiny
    expect(d2(MUL, RTZ, 0x3ff0000000000001n, 0x000fffffffffffffn)).toEqual([0x000fffffffffffffn, UF | NX]);
  });
  it('subnormal operands', () => {
    expect(d2(MUL, RNE, 2 ** -1074, 2 ** 974)).toEqual([dbits(2 ** -100), 0]);
    expect(d2(SQRT, RNE, 2 ** -1074)).toEqual([dbits(2 ** -537), 0]);
    expect(d2(DIV, RNE, 0x000fffffffffffffn, 0x000fffffffffffffn)).toEqual([dbits(1), 0]);
  });
});

describe('NaNs (§11.3): canonical results, NV only for signaling NaNs and invalid operations', () => {
  it('quiet NaN operands', () => {
    expect(d2(ADD, RNE, 0x7ff8000000000123n, 1)).toEqual([QNAN_D, 0]);
    expect(d2(MUL, RNE, 0xfff8000000000000n, 1)).toEqual([QNAN_D, 0]);
  });
  it('signaling NaN operands', () => {
    expect(d2(ADD, RNE, SNAN_D, 1)).toEqual([QNAN_D, NV]);
    expect(d2(SQRT, RNE, SNAN_D)).toEqual([QNAN_D, NV]);
    expect(d2(DIV, RNE, 1, 0xfff4000000000000n)).toEqual([QNAN_D, NV]);
  });
  it('invalid operations', () => {
    expect(d2(ADD, RNE, Infinity, -Infinity)).toEqual([QNAN_D, NV]);
    expect(d2(MUL, RNE, 0, Infinity)).toEqual([QNAN_D, NV]);
    expect(d2(DIV, RNE, Infinity, -Infinity)).toEqual([QNAN_D, NV]);
    expect(d2(SQRT, RNE, -1)).toEqual([QNAN_D, NV]);
    expect(d2(SQRT, RNE, -Infinity)).toEqual([QNAN_D, NV]);
    expect(s2(SQRT, RNE, -2)).toEqual([QNAN_S, NV]);
  });
  it('binary32 NaN results are canonical and boxed', () => {
    const o = run(encR(ADD, S, 12, 11, RNE, 10), { f11: box(0x7fa00001), f12: box(sbits(1)) });
    expect(o.f10).toBe(QNAN_S);
    expect(o.fflags).toBe(NV);
  });
});

describe('NaN boxing (§12.2)', () => {
  it('an improperly boxed single reads as the canonical NaN (quiet: no NV)', () => {
    for (const f11 of [0x3f800000n, 0x7fffffff3f800000n, 0xfffffffe3f800000n]) {
      const o = run(encR(ADD, S, 12, 11, RNE, 10), { f11, f12: box(sbits(1)) });
      expect([o.f10, o.fflags]).toEqual([QNAN_S, 0]);
    }
  });
  it('single results are boxed', () => {
    expect(s2(ADD, RNE, 1, 2)[0]).toBe(box(sbits(3)));
    expect(s2(MUL, RNE, 2 ** -140, 2 ** -5)[0]).toBe(box(sbits(2 ** -145)));
  });
});

describe('fused multiply-add (single rounding)', () => {
  const fma = (opc: number, rm: number, a: number | bigint, b: number | bigint, c: number | bigint, fmt = D): [bigint, number] => {
    const bits = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : fmt === D ? dbits(v) : box(sbits(v)));
    const o = run(encR4(opc, fmt, 13, 12, 11, rm, 10), { f11: bits(a), f12: bits(b), f13: bits(c) });
    return [o.f10, o.fflags];
  };
  const FMADD = 0x43;
  const FMSUB = 0x47;
  const FNMSUB = 0x4b;
  const FNMADD = 0x4f;
  it('is fused: a·a - RN(a·a) is the exact error', () => {
    const a = 1 + 2 ** -30;
    expect(fma(FMSUB, RNE, a, a, a * a)).toEqual([dbits(2 ** -60), 0]);
    expect(fma(FMADD, RNE, a, a, -(a * a))).toEqual([dbits(2 ** -60), 0]);
  });
  it('signs: fmsub = ab - c, fnmsub = -ab + c, fnmadd = -ab - c', () => {
    expect(fma(FMADD, RNE, 2, 3, 1)[0]).toBe(dbits(7));
    expect(fma(FMSUB, RNE, 2, 3, 1)[0]).toBe(dbits(5));
    expect(fma(FNMSUB, RNE, 2, 3, 1)[0]).toBe(dbits(-5));
    expect(fma(FNMADD, RNE, 2, 3, 1)[0]).toBe(dbits(-7));
    expect(fma(FNMADD, RNE, 2, 3, 1, S)[0]).toBe(box(sbits(-7)));
  });
  it('exact cancellation gives +0, or -0 in RDN', () => {
    expect(fma(FMADD, RNE, 1.5, 2, -3)).toEqual([dbits(0), 0]);
    expect(fma(FMADD, RDN, 1.5, 2, -3)).toEqual([dbits(-0), 0]);
    expect(fma(FMSUB, RUP, 1.5, 2, 3)).toEqual([dbits(0), 0]);
    expect(fma(FMADD, RDN, 1.5, 2, -3, S)).toEqual([box(0x80000000), 0]);
  });
  it('zero products keep IEEE zero-sum signs', () => {
    expect(fma(FNMADD, RNE, 0, 1, 0)[0]).toBe(dbits(-0)); // -(+0) - (+0) = -0
    expect(fma(FMADD, RNE, -0, 1, 0)[0]).toBe(dbits(0));
    expect(fma(FMADD, RDN, -0, 1, 0)[0]).toBe(dbits(-0));
    expect(fma(FMADD, RNE, 0, 5, -2.5)[0]).toBe(dbits(-2.5));
  });
  it('rounds once (1 + 2^-52)^2 - 1 = 2^-51 + 2^-104', () => {
    const a = 1 + 2 ** -52;
    expect(fma(FMADD, RNE, a, a, -1)).toEqual([dbits(2 ** -51), NX]);
    expect(fma(FMADD, RUP, a, a, -1)).toEqual([dbits(2 ** -51 + 2 ** -103), NX]);
  });
  it('(inf × 0) + qNaN raises NV (as QEMU does for RISC-V)', () => {
    expect(fma(FMADD, RNE, Infinity, 0, QNAN_D)).toEqual([QNAN_D, NV]);
    expect(fma(FMADD, RNE, 1, 2, QNAN_D)).toEqual([QNAN_D, 0]);
    expect(fma(FMADD, RNE, Infinity, 1, -Infinity)).toEqual([QNAN_D, NV]);
    expect(fma(FMSUB, RNE, Infinity, 1, Infinity)).toEqual([QNAN_D, NV]);
    expect(fma(FMADD, RNE, 1, 1, SNAN_D)).toEqual([QNAN_D, NV]);
  });
  it('tiny fused results', () => {
    expect(fma(FMADD, RNE, 2 ** -600, 2 ** -600, 0)).toEqual([dbits(0), UF | NX]);
    expect(fma(FMADD, RUP, 2 ** -600, 2 ** -600, 0)).toEqual([dbits(2 ** -1074), UF | NX]);
  });
});
