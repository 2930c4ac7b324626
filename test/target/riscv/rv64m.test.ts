/**
 * M extension (ISA manual ch. 7): full 64×64 products (low and the three high variants),
 * division by zero and signed overflow (no traps, defined results), W forms.
 */
import { describe, expect, test } from 'vitest';
import { defineCases } from './helpers/cases';
import { div64, divu64, mul64, mulh64, mulhsu64, mulhu64, rem64, remu64 } from '../../../src/target/riscv/int64';

const M64 = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);

defineCases([
  {
    name: 'mul, mulh, mulhsu, mulhu',
    body: `
test:
  li a0, 0x123456789abcdef1
  li a1, 0xfedcba9876543211
  mul a2, a0, a1
  RES a2
  mulh a2, a0, a1
  RES a2
  mulhsu a2, a0, a1
  RES a2
  mulhu a2, a0, a1
  RES a2
  li a0, -1
  li a1, -1
  mulh a2, a0, a1
  RES a2
  mulhu a2, a0, a1
  RES a2
  mulhsu a2, a0, a1
  RES a2
  li a0, 0x8000000000000000
  mulh a2, a0, a0
  RES a2
  mul a2, a0, a0
  RES a2
  ret
`,
    expect: [
      u64(0x123456789abcdef1n * 0xfedcba9876543211n),
      u64((0x123456789abcdef1n * s64(0xfedcba9876543211n)) >> 64n),
      u64((0x123456789abcdef1n * 0xfedcba9876543211n) >> 64n),
      u64((0x123456789abcdef1n * 0xfedcba9876543211n) >> 64n),
      0n,
      M64 - 1n,
      -1n,
      0x4000000000000000n,
      0n,
    ],
  },
  {
    name: 'div/divu/rem/remu: by zero, INT64_MIN / -1, signs',
    body: `
test:
  li a0, 1234567
  div a2, a0, zero
  RES a2
  divu a2, a0, zero
  RES a2
  rem a2, a0, zero
  RES a2
  remu a2, a0, zero
  RES a2
  li a0, 0x8000000000000000
  li a1, -1
  div a2, a0, a1
  RES a2
  rem a2, a0, a1
  RES a2
  li a0, -7
  li a1, 2
  div a2, a0, a1
  RES a2
  rem a2, a0, a1
  RES a2
  divu a2, a0, a1
  RES a2
  remu a2, a0, a1
  RES a2
  li a0, 0x7fffffffffffffff
  li a1, 0x100000001
  div a2, a0, a1
  RES a2
  rem a2, a0, a1
  RES a2
  ret
`,
    expect: [-1, -1, 1234567, 1234567, 0x8000000000000000n, 0, -3, -1, (M64 - 6n) / 2n, 1, 0x7fffffffn, 0x7fffffffffffffffn % 0x100000001n],
  },
  {
    name: 'mulw/divw/divuw/remw/remuw sign-extend, edge cases',
    body: `
test:
  li a0, 0x7fffffff
  li a1, 2
  mulw a2, a0, a1
  RES a2
  li a0, 0x80000000
  li a1, -1
  divw a2, a0, a1
  RES a2
  remw a2, a0, a1
  RES a2
  divw a2, a0, zero
  RES a2
  remw a2, a0, zero
  RES a2
  divuw a2, a0, zero
  RES a2
  remuw a2, a0, zero
  RES a2
  li a0, 0x12345678fffffff9
  li a1, 0x2
  divuw a2, a0, a1
  RES a2
  remuw a2, a0, a1
  RES a2
  divw a2, a0, a1
  RES a2
  remw a2, a0, a1
  RES a2
  ret
`,
    expect: [-2, 0xffffffff80000000n, 0, -1, 0xffffffff80000000n, -1, 0xffffffff80000000n, 0x7ffffffcn, 1, -3, -1],
  },
]);

describe('int64 pair arithmetic agrees with BigInt', () => {
  const vals = [0n, 1n, 2n, 3n, 7n, 1000n, 1000000007n, 0x80000000n, 0x80000001n, u64(-1000n), u64(-0x7fffffffn), 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n, 0x123456789abcdef0n, 0xfedcba9876543210n, 1n << 52n, (1n << 53n) + 1n, 0x1fffffffffffffn, 12345678901234n];
  let seed = 1;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return BigInt(seed);
  };
  for (let i = 0; i < 60; i++) vals.push(u64((rnd() << 33n) ^ (rnd() << 11n) ^ rnd()));
  const lohi = (v: bigint) => [Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0];
  const get = (o: Int32Array) => (BigInt(o[1] >>> 0) << 32n) | BigInt(o[0] >>> 0);
  const cases: [string, (o: Int32Array, d: number, a: number, b: number, c: number, e: number) => void, (a: bigint, b: bigint) => bigint][] = [
    ['mul', mul64, (a, b) => u64(a * b)],
    ['mulhu', mulhu64, (a, b) => (a * b) >> 64n],
    ['mulh', mulh64, (a, b) => u64((s64(a) * s64(b)) >> 64n)],
    ['mulhsu', mulhsu64, (a, b) => u64((s64(a) * b) >> 64n)],
    ['div', div64, (a, b) => (b === 0n ? M64 : s64(a) === -(1n << 63n) && s64(b) === -1n ? a : u64(s64(a) / s64(b)))],
    ['divu', divu64, (a, b) => (b === 0n ? M64 : a / b)],
    ['rem', rem64, (a, b) => (b === 0n ? a : s64(b) === -1n ? 0n : u64(s64(a) % s64(b)))],
    ['remu', remu64, (a, b) => (b === 0n ? a : a % b)],
  ];
  for (const [name, fn, ref] of cases) {
    test(name, () => {
      const o = new Int32Array(2);
      for (const a of vals)
        for (const b of vals) {
          const [al, ah] = lohi(a);
          const [bl, bh] = lohi(b);
          fn(o, 0, al, ah, bl, bh);
          if (get(o) !== ref(a, b)) expect(`${name}(${a.toString(16)}, ${b.toString(16)}) = ${get(o).toString(16)}`).toBe(ref(a, b).toString(16));
        }
    });
  }
});
