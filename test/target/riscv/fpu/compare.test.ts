/**
 * FSGNJ, FMIN/FMAX, FEQ/FLT/FLE, FCLASS and FMV (RISC-V ISA manual §11.6-§11.9, §12.4-§12.7),
 * and decoding/legality.
 */
import { describe, expect, it } from 'vitest';
import { executeOpFp, NV } from '../../../../src/target/riscv/fpu';
import { box, dbits, encR, encR4, getF, makeState, runBoth as run, sbits, setF } from './helpers';

const QNAN_D = 0x7ff8000000000000n;
const SNAN_D = 0x7ff0000000000001n;
const QNAN_S = box(0x7fc00000);
const SNAN_S = box(0x7f800001);

const op = (funct5: number, fmt: number, funct3: number, f11: bigint, f12 = 0n, rs2 = 12) =>
  run(encR(funct5, fmt, rs2, 11, funct3, 10), { f11, f12 });

describe('sign injection', () => {
  it('binary64 works on bits (NaN payloads kept)', () => {
    expect(op(0x04, 1, 0, 0x7ff4000000000001n, dbits(-1)).f10).toBe(0xfff4000000000001n);
    expect(op(0x04, 1, 1, dbits(2), dbits(-1)).f10).toBe(dbits(2));
    expect(op(0x04, 1, 2, dbits(-2), dbits(-1)).f10).toBe(dbits(2));
    expect(op(0x04, 1, 0, dbits(2), dbits(-1)).fflags).toBe(0);
  });
  it('binary32 reads boxed operands: an improperly boxed one is the canonical NaN', () => {
    expect(op(0x04, 0, 0, box(sbits(3)), box(sbits(-1))).f10).toBe(box(sbits(-3)));
    expect(op(0x04, 0, 1, 0x3f800000n, box(0)).f10).toBe(box(0xffc00000)); // fsgnjn: sign from ~rs2
    expect(op(0x04, 0, 2, box(0x7f800001), box(0x80000000)).f10).toBe(box(0xff800001)); // sNaN kept
  });
});

describe('fmin / fmax: minimumNumber / maximumNumber', () => {
  it('orders -0 below +0', () => {
    expect(op(0x05, 1, 0, dbits(0), dbits(-0)).f10).toBe(dbits(-0));
    expect(op(0x05, 1, 0, dbits(-0), dbits(0)).f10).toBe(dbits(-0));
    expect(op(0x05, 1, 1, dbits(-0), dbits(0)).f10).toBe(dbits(0));
    expect(op(0x05, 0, 1, box(0x80000000), box(0)).f10).toBe(box(0));
  });
  it('returns the number when one operand is NaN; NV only for sNaN', () => {
    expect([op(0x05, 1, 0, QNAN_D, dbits(3)).f10, op(0x05, 1, 0, QNAN_D, dbits(3)).fflags]).toEqual([dbits(3), 0]);
    expect([op(0x05, 1, 1, dbits(3), SNAN_D).f10, op(0x05, 1, 1, dbits(3), SNAN_D).fflags]).toEqual([dbits(3), NV]);
    expect([op(0x05, 1, 0, SNAN_D, QNAN_D).f10, op(0x05, 1, 0, SNAN_D, QNAN_D).fflags]).toEqual([QNAN_D, NV]);
    expect(op(0x05, 1, 0, 0xfff8000000000005n, 0x7ff8000000000007n).f10).toBe(QNAN_D);
    expect([op(0x05, 0, 1, SNAN_S, box(sbits(2))).f10, op(0x05, 0, 1, SNAN_S, box(sbits(2))).fflags]).toEqual([
      box(sbits(2)),
      NV,
    ]);
    expect(op(0x05, 0, 0, 0x12345678n, box(sbits(2))).f10).toBe(box(sbits(2))); // unboxed = qNaN
  });
  it('ordinary values', () => {
    expect(op(0x05, 1, 0, dbits(-Infinity), dbits(1)).f10).toBe(dbits(-Infinity));
    expect(op(0x05, 1, 1, dbits(-Infinity), dbits(1)).f10).toBe(dbits(1));
  });
});

describe('comparisons', () => {
  const cmp = (fmt: number, kind: number, a: bigint, b: bigint): [bigint, number] => {
    const o = op(0x14, fmt, kind, a, b);
    return [o.x10, o.fflags];
  };
  const LE = 0;
  const LT = 1;
  const EQ = 2;
  it('feq is quiet, flt/fle signal on any NaN', () => {
    expect(cmp(1, EQ, QNAN_D, dbits(1))).toEqual([0n, 0]);
    expect(cmp(1, EQ, SNAN_D, dbits(1))).toEqual([0n, NV]);
    expect(cmp(1, LT, QNAN_D, dbits(1))).toEqual([0n, NV]);
    expect(cmp(1, LE, dbits(1), QNAN_D)).toEqual([0n, NV]);
    expect(cmp(0, EQ, QNAN_S, box(sbits(1)))).toEqual([0n, 0]);
    expect(cmp(0, EQ, SNAN_S, box(sbits(1)))).toEqual([0n, NV]);
    expect(cmp(0, LT, 0x3f800000n, box(sbits(1)))).toEqual([0n, NV]); // unboxed = qNaN
  });
  it('+0 equals -0; ordering', () => {
    expect(cmp(1, EQ, dbits(0), dbits(-0))).toEqual([1n, 0]);
    expect(cmp(1, LT, dbits(-0), dbits(0))).toEqual([0n, 0]);
    expect(cmp(1, LE, dbits(-0), dbits(0))).toEqual([1n, 0]);
    expect(cmp(1, LT, dbits(-Infinity), dbits(-1e308))).toEqual([1n, 0]);
    expect(cmp(0, LE, box(sbits(2)), box(sbits(1)))).toEqual([0n, 0]);
  });
});

describe('fclass (Table 11.5)', () => {
  const cls = (fmt: number, v: bigint): bigint => op(0x1c, fmt, 1, v, 0n, 0).x10;
  it('binary64', () => {
    const cases: [bigint, number][] = [
      [dbits(-Infinity), 0],
      [dbits(-1), 1],
      [0x800fffffffffffffn, 2],
      [dbits(-0), 3],
      [dbits(0), 4],
      [1n, 5],
      [dbits(1), 6],
      [dbits(Infinity), 7],
      [SNAN_D, 8],
      [QNAN_D, 9],
      [0xfff8000000000001n, 9],
    ];
    for (const [v, bit] of cases) expect(cls(1, v)).toBe(1n << BigInt(bit));
  });
  it('binary32, including an improperly boxed value (quiet NaN)', () => {
    expect(cls(0, box(0xff800000))).toBe(1n);
    expect(cls(0, box(0x80000001))).toBe(4n);
    expect(cls(0, SNAN_S)).toBe(256n);
    expect(cls(0, 0x00000000ff800000n)).toBe(512n);
  });
});

describe('moves', () => {
  it('fmv.x.w sign-extends the low word, boxed or not', () => {
    expect(op(0x1c, 0, 0, 0x12345678_87654321n, 0n, 0).x10).toBe(0xffffffff87654321n);
    expect(op(0x1c, 0, 0, box(0x7fc00000), 0n, 0).x10).toBe(0x7fc00000n);
  });
  it('fmv.w.x boxes, fmv.d.x / fmv.x.d copy bits (sNaN included)', () => {
    expect(run(encR(0x1e, 0, 0, 11, 0, 10), { x11: 0xdeadbeef_7f800001n }).f10).toBe(box(0x7f800001));
    expect(run(encR(0x1e, 1, 0, 11, 0, 10), { x11: SNAN_D }).f10).toBe(SNAN_D);
    expect(op(0x1c, 1, 0, 0xfff0000000000001n, 0n, 0).x10).toBe(0xfff0000000000001n);
  });
});

describe('decoding and legality', () => {
  const ADD_D = (rm: number) => encR(0, 1, 12, 11, rm, 10);
  it('reserved rounding modes and invalid frm are illegal and change nothing', () => {
    for (const [rm, frm] of [
      [5, 0],
      [6, 0],
      [7, 5],
      [7, 6],
      [7, 7],
    ]) {
      const o = run(ADD_D(rm), { f11: dbits(1), f12: dbits(2 ** -60), frm, f10: 0x1234n });
      expect(o).toEqual({ legal: false, f10: 0x1234n, x10: 0n, fflags: 0 });
    }
  });
  it('rm = DYN uses frm; a static rm ignores frm', () => {
    expect(run(ADD_D(7), { f11: dbits(1), f12: dbits(2 ** -60), frm: 3 }).f10).toBe(dbits(1 + 2 ** -52));
    expect(run(ADD_D(0), { f11: dbits(1), f12: dbits(2 ** -60), frm: 7 }).f10).toBe(dbits(1));
  });
  it('exact conversions still need a valid rounding mode (as QEMU)', () => {
    expect(run(encR(0x08, 1, 0, 11, 5, 10), { f11: box(0) }).legal).toBe(false);
    expect(run(encR(0x1a, 1, 0, 11, 7, 10), { frm: 5 }).legal).toBe(false);
  });
  it('unknown encodings are illegal', () => {
    expect(run(encR(0, 2, 12, 11, 0, 10), {}).legal).toBe(false); // fmt H
    expect(run(encR(0, 3, 12, 11, 0, 10), {}).legal).toBe(false); // fmt Q
    expect(run(encR(0x0b, 1, 1, 11, 0, 10), {}).legal).toBe(false); // fsqrt rs2 != 0
    expect(run(encR(0x04, 1, 12, 11, 3, 10), {}).legal).toBe(false); // fsgnj funct3 3
    expect(run(encR(0x05, 1, 12, 11, 2, 10), {}).legal).toBe(false);
    expect(run(encR(0x14, 1, 12, 11, 3, 10), {}).legal).toBe(false);
    expect(run(encR(0x08, 0, 0, 11, 0, 10), {}).legal).toBe(false); // fcvt.s.s
    expect(run(encR(0x18, 1, 4, 11, 0, 10), {}).legal).toBe(false);
    expect(run(encR(0x1c, 1, 0, 11, 2, 10), {}).legal).toBe(false);
    expect(run(encR(0x1e, 1, 0, 11, 1, 10), {}).legal).toBe(false);
    expect(run(encR(0x06, 1, 12, 11, 0, 10), {}).legal).toBe(false);
    expect(run(encR4(0x43, 2, 13, 12, 11, 0, 10), {}).legal).toBe(false);
    expect(run(0x00000013, {}).legal).toBe(false); // not an FP opcode
  });
  it('x0 is never written, but flags still accrue', () => {
    const s = makeState();
    setF(s, 1, dbits(NaN));
    expect(executeOpFp(s, encR(0x18, 1, 0, 1, 0, 0))).toBe(true); // fcvt.w.d x0, f1
    expect([s.x[0], s.x[1], s.fflags]).toEqual([0, 0, NV]);
  });
  it('rd may equal a source', () => {
    const s = makeState();
    setF(s, 3, dbits(1.5));
    setF(s, 4, dbits(-2));
    executeOpFp(s, encR(0x05, 1, 4, 3, 0, 3)); // fmin.d f3, f3, f4
    expect(getF(s, 3)).toBe(dbits(-2));
    executeOpFp(s, encR(0x04, 1, 3, 3, 2, 3)); // fsgnjx.d f3, f3, f3 = fabs
    expect(getF(s, 3)).toBe(dbits(2));
  });
});
