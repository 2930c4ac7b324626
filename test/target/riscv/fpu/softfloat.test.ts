/**
 * The exact reference itself (softfloat.ts): rounding of packed values, tininess after rounding,
 * integer square roots, against values computable independently.
 */
import { describe, expect, it } from 'vitest';
import { bitLength, F32, F64, isqrt, roundPack, sfAdd, sfDiv, sfMul, sfSqrt } from '../../../../src/target/riscv/fpu/softfloat';
import { NX, OF, RDN, RMM, RNE, RTZ, RUP, UF } from '../../../../src/target/riscv/fpu/state';
import { dbits, fromDbits, Rng } from './helpers';

describe('helpers', () => {
  it('bitLength', () => {
    for (let k = 0; k < 200; k++) expect(bitLength(1n << BigInt(k))).toBe(k + 1);
    expect(bitLength(0xffn)).toBe(8);
    expect(bitLength((1n << 100n) - 1n)).toBe(100);
  });
  it('isqrt', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 500; i++) {
      const n = rng.u64() * rng.u64() + BigInt(rng.int(1000));
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
    expect(isqrt(0n)).toBe(0n);
    expect(isqrt(1n)).toBe(1n);
    expect(isqrt(15n)).toBe(3n);
    expect(isqrt(16n)).toBe(4n);
  });
});

describe('roundPack', () => {
  const rp = (m: bigint, e: number, rm: number, sign = 0, sticky = false): [bigint, number] => {
    const st = { fflags: 0 };
    return [roundPack(F64, sign, m, e, sticky, rm, st), st.fflags];
  };
  it('exact values', () => {
    expect(rp(1n, 0, RNE)).toEqual([dbits(1), 0]);
    expect(rp(3n, -1, RNE)).toEqual([dbits(1.5), 0]);
    expect(rp(1n, -1074, RNE)).toEqual([1n, 0]);
    expect(rp(1n, 1023, RNE)).toEqual([dbits(2 ** 1023), 0]);
  });
  it('sticky bits break ties', () => {
    const m = (1n << 53n) + 1n; // 2^53 + 1: a tie at 53 bits
    expect(rp(m, 0, RNE)).toEqual([dbits(2 ** 53), NX]);
    expect(rp(m, 0, RNE, 0, true)).toEqual([dbits(2 ** 53 + 2), NX]);
    expect(rp(m, 0, RMM)).toEqual([dbits(2 ** 53 + 2), NX]);
    expect(rp(1n << 53n, 0, RUP, 0, true)).toEqual([dbits(2 ** 53 + 2), NX]);
    expect(rp(1n << 53n, 0, RTZ, 1, true)).toEqual([dbits(-(2 ** 53)), NX]);
    expect(rp(1n << 53n, 0, RDN, 1, true)).toEqual([dbits(-(2 ** 53) - 2), NX]);
  });
  it('overflow', () => {
    expect(rp(1n, 1024, RNE)).toEqual([dbits(Infinity), OF | NX]);
    expect(rp(1n, 1024, RTZ)).toEqual([dbits(Number.MAX_VALUE), OF | NX]);
    expect(rp(1n, 1024, RDN, 1)).toEqual([dbits(-Infinity), OF | NX]);
    expect(rp(1n, 1024, RUP, 1)).toEqual([dbits(-Number.MAX_VALUE), OF | NX]);
  });
  it('tininess is detected after rounding', () => {
    // (2^53 - 1) × 2^-1075: representable at 53 bits, so tiny; rounds to 2^-1022 in RNE
    expect(rp((1n << 53n) - 1n, -1075, RNE)).toEqual([dbits(2 ** -1022), UF | NX]);
    // (2^54 - 1) × 2^-1076 rounds (unbounded, RNE) to 2^-1022: not tiny
    expect(rp((1n << 54n) - 1n, -1076, RNE)).toEqual([dbits(2 ** -1022), NX]);
    // same in RTZ: stays below 2^-1022, tiny
    expect(rp((1n << 54n) - 1n, -1076, RTZ)).toEqual([0x000fffffffffffffn, UF | NX]);
    // exact subnormal: no UF
    expect(rp(3n, -1074, RNE)).toEqual([3n, 0]);
  });
  it('binary32', () => {
    const st = { fflags: 0 };
    expect(roundPack(F32, 0, 1n, -150, false, RNE, st)).toBe(0n);
    expect(st.fflags).toBe(UF | NX);
    expect(roundPack(F32, 0, 3n, -151, false, RNE, st)).toBe(1n);
  });
});

describe('operations match host binary64 arithmetic in RNE', () => {
  it('on random normal operands', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 3000; i++) {
      const a = fromDbits(((rng.u64() & 0x3fffffffffffffffn) | 0x2000000000000000n) ^ (BigInt(rng.int(2)) << 63n));
      const b = fromDbits((rng.u64() & 0x3fffffffffffffffn) | 0x2000000000000000n);
      const st = { fflags: 0 };
      expect(sfAdd(F64, dbits(a), dbits(b), false, RNE, st)).toBe(dbits(a + b));
      expect(sfAdd(F64, dbits(a), dbits(b), true, RNE, st)).toBe(dbits(a - b));
      expect(sfMul(F64, dbits(a), dbits(b), RNE, st)).toBe(dbits(a * b));
      expect(sfDiv(F64, dbits(a), dbits(b), RNE, st)).toBe(dbits(a / b));
      expect(sfSqrt(F64, dbits(b), RNE, st)).toBe(dbits(Math.sqrt(b)));
    }
  });
});
