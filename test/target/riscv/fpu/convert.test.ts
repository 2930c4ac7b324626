/**
 * FCVT edge cases (RISC-V ISA manual §11.7 Table 11.4 / §12.5): integer boundaries, NaN and
 * infinity saturation, NV without NX, sign extension of 32-bit results, integer → float rounding,
 * binary64 ↔ binary32.
 */
import { describe, expect, it } from 'vitest';
import { NV, NX, OF, RDN, RMM, RNE, RTZ, RUP, UF } from '../../../../src/target/riscv/fpu';
import { box, dbits, encR, runBoth as run, sbits } from './helpers';

const W = 0;
const WU = 1;
const L = 2;
const LU = 3;

/** fcvt.{w,wu,l,lu}.d; returns [x10 as unsigned 64-bit, flags]. */
function toInt(kind: number, rm: number, v: number | bigint): [bigint, number] {
  const o = run(encR(0x18, 1, kind, 11, rm, 10), { f11: typeof v === 'bigint' ? v : dbits(v) });
  expect(o.legal).toBe(true);
  return [o.x10, o.fflags];
}

function toIntS(kind: number, rm: number, v: number): [bigint, number] {
  const o = run(encR(0x18, 0, kind, 11, rm, 10), { f11: box(sbits(v)) });
  return [o.x10, o.fflags];
}

/** fcvt.d.{w,wu,l,lu} or fcvt.s.* from x11. */
function fromInt(fmt: number, kind: number, rm: number, x: bigint): [bigint, number] {
  const o = run(encR(0x1a, fmt, kind, 11, rm, 10), { x11: BigInt.asUintN(64, x) });
  return [o.f10, o.fflags];
}

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const INT_MAX = 0x7fffffffn;
const INT_MIN = u64(-0x80000000n);
const ALL = 0xffffffffffffffffn;

describe('float → 32-bit integer', () => {
  it('rounds in every mode', () => {
    const cases: [number, number, bigint][] = [
      [RNE, 2.5, 2n],
      [RNE, 3.5, 4n],
      [RNE, -2.5, u64(-2n)],
      [RMM, 2.5, 3n],
      [RMM, -2.5, u64(-3n)],
      [RTZ, -2.7, u64(-2n)],
      [RDN, -2.1, u64(-3n)],
      [RUP, 2.1, 3n],
      [RNE, 0.49999999999999994, 0n],
      [RMM, 0.49999999999999994, 0n],
    ];
    for (const [rm, v, want] of cases) expect(toInt(W, rm, v)).toEqual([want, NX]);
  });
  it('boundaries: in range after rounding is fine, out of range is NV (and not NX)', () => {
    expect(toInt(W, RNE, 2147483647.4)).toEqual([INT_MAX, NX]);
    expect(toInt(W, RTZ, 2147483647.9)).toEqual([INT_MAX, NX]);
    expect(toInt(W, RNE, 2147483647.5)).toEqual([INT_MAX, NV]); // rounds to 2^31
    expect(toInt(W, RNE, -2147483648.5)).toEqual([INT_MIN, NX]); // ties to even: -2^31
    expect(toInt(W, RDN, -2147483648.5)).toEqual([INT_MIN, NV]);
    expect(toInt(W, RNE, -2147483648)).toEqual([INT_MIN, 0]);
    expect(toInt(W, RNE, 1e10)).toEqual([INT_MAX, NV]);
  });
  it('NaN gives the largest positive value, infinities saturate', () => {
    expect(toInt(W, RNE, 0xfff8000000000000n)).toEqual([INT_MAX, NV]);
    expect(toInt(W, RNE, 0x7ff0000000000001n)).toEqual([INT_MAX, NV]);
    expect(toInt(W, RNE, Infinity)).toEqual([INT_MAX, NV]);
    expect(toInt(W, RNE, -Infinity)).toEqual([INT_MIN, NV]);
    expect(toInt(WU, RNE, NaN)).toEqual([ALL, NV]); // 2^32-1, sign-extended
    expect(toInt(WU, RNE, -Infinity)).toEqual([0n, NV]);
  });
  it('unsigned: results are sign-extended; negatives rounding to 0 are only inexact', () => {
    expect(toInt(WU, RNE, 4294967295)).toEqual([ALL, 0]);
    expect(toInt(WU, RNE, 2147483648)).toEqual([u64(-0x80000000n), 0]);
    expect(toInt(WU, RNE, 4294967295.5)).toEqual([ALL, NV]);
    expect(toInt(WU, RNE, -0.5)).toEqual([0n, NX]);
    expect(toInt(WU, RUP, -0.9)).toEqual([0n, NX]);
    expect(toInt(WU, RNE, -0.0)).toEqual([0n, 0]);
    expect(toInt(WU, RDN, -0.1)).toEqual([0n, NV]);
    expect(toInt(WU, RNE, -1)).toEqual([0n, NV]);
  });
  it('binary32 sources', () => {
    expect(toIntS(W, RNE, 2147483648)).toEqual([INT_MAX, NV]);
    expect(toIntS(W, RNE, -2147483648)).toEqual([INT_MIN, 0]);
    expect(toIntS(WU, RTZ, 1.75)).toEqual([1n, NX]);
  });
});

describe('float → 64-bit integer', () => {
  it('boundaries', () => {
    expect(toInt(L, RNE, 2 ** 63)).toEqual([0x7fffffffffffffffn, NV]);
    expect(toInt(L, RNE, -(2 ** 63))).toEqual([0x8000000000000000n, 0]);
    expect(toInt(L, RNE, 0x43dfffffffffffffn)).toEqual([0x7ffffffffffffc00n, 0]);
    expect(toInt(L, RNE, -Infinity)).toEqual([0x8000000000000000n, NV]);
    expect(toInt(LU, RNE, 2 ** 64)).toEqual([ALL, NV]);
    expect(toInt(LU, RNE, 0x43efffffffffffffn)).toEqual([0xfffffffffffff800n, 0]);
    expect(toInt(LU, RNE, -(2 ** 63))).toEqual([0n, NV]);
    expect(toInt(L, RNE, -1.5)).toEqual([u64(-2n), NX]);
    expect(toInt(LU, RNE, NaN)).toEqual([ALL, NV]);
  });
});

describe('integer → float', () => {
  it('binary64 from 64-bit integers rounds above 2^53', () => {
    const t = (1n << 53n) + 1n;
    expect(fromInt(1, L, RNE, t)).toEqual([dbits(2 ** 53), NX]);
    expect(fromInt(1, L, RUP, t)).toEqual([dbits(2 ** 53 + 2), NX]);
    expect(fromInt(1, L, RMM, t)).toEqual([dbits(2 ** 53 + 2), NX]);
    expect(fromInt(1, L, RDN, -t)).toEqual([dbits(-(2 ** 53) - 2), NX]);
    expect(fromInt(1, LU, RNE, ALL)).toEqual([dbits(2 ** 64), NX]);
    expect(fromInt(1, LU, RTZ, ALL)).toEqual([dbits(2 ** 64 - 2048), NX]);
    expect(fromInt(1, L, RNE, -(1n << 63n))).toEqual([dbits(-(2 ** 63)), 0]);
  });
  it('32-bit sources use only the low word', () => {
    expect(fromInt(1, W, RNE, 0xdeadbeef_ffffffffn)).toEqual([dbits(-1), 0]);
    expect(fromInt(1, WU, RNE, 0xdeadbeef_ffffffffn)).toEqual([dbits(4294967295), 0]);
    expect(fromInt(1, W, RNE, 0n)).toEqual([dbits(0), 0]); // +0
  });
  it('binary32 from integers', () => {
    expect(fromInt(0, W, RNE, 16777217n)).toEqual([box(sbits(16777216)), NX]);
    expect(fromInt(0, W, RMM, 16777217n)).toEqual([box(sbits(16777218)), NX]);
    expect(fromInt(0, WU, RNE, 0xffffffffn)).toEqual([box(sbits(2 ** 32)), NX]);
    expect(fromInt(0, LU, RTZ, ALL)).toEqual([box(0x5f7fffff), NX]);
    // 2^53 + 2^29 + 1: a binary64 conversion first would make this a tie (wrongly rounding down)
    expect(fromInt(0, L, RNE, (1n << 53n) + (1n << 29n) + 1n)).toEqual([box(sbits(2 ** 53 + 2 ** 30)), NX]);
  });
});

describe('binary64 ↔ binary32', () => {
  const sd = (rm: number, v: number | bigint): [bigint, number] => {
    const o = run(encR(0x08, 0, 1, 11, rm, 10), { f11: typeof v === 'bigint' ? v : dbits(v) });
    return [o.f10, o.fflags];
  };
  it('fcvt.s.d rounds, overflows and underflows', () => {
    expect(sd(RNE, 0.1)).toEqual([box(sbits(0.1)), NX]);
    expect(sd(RNE, 1e39)).toEqual([box(0x7f800000), OF | NX]);
    expect(sd(RTZ, 1e39)).toEqual([box(0x7f7fffff), OF | NX]);
    expect(sd(RUP, -1e39)).toEqual([box(0xff7fffff), OF | NX]);
    expect(sd(RNE, 1e-40)).toEqual([box(sbits(1e-40)), UF | NX]);
    expect(sd(RNE, 2 ** -149)).toEqual([box(1), 0]);
    expect(sd(RNE, 2 ** -150)).toEqual([box(0), UF | NX]);
    expect(sd(RUP, 2 ** -1074)).toEqual([box(1), UF | NX]);
    expect(sd(RNE, -0)).toEqual([box(0x80000000), 0]);
    expect(sd(RNE, 0x7ff0000000000001n)).toEqual([box(0x7fc00000), NV]);
    expect(sd(RNE, 0x7ff8000000000001n)).toEqual([box(0x7fc00000), 0]);
  });
  it('fcvt.d.s is exact; NaNs become canonical', () => {
    const ds = (f11: bigint): [bigint, number] => {
      const o = run(encR(0x08, 1, 0, 11, RNE, 10), { f11 });
      return [o.f10, o.fflags];
    };
    expect(ds(box(1))).toEqual([dbits(2 ** -149), 0]);
    expect(ds(box(0x7f800001))).toEqual([0x7ff8000000000000n, NV]);
    expect(ds(box(0xffc00001))).toEqual([0x7ff8000000000000n, 0]);
    expect(ds(0x000000003f800000n)).toEqual([0x7ff8000000000000n, 0]); // improperly boxed
  });
});
