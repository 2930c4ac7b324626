/**
 * The fast paths (host double arithmetic + error-free transformations) against the exact BigInt
 * reference (softfloat.ts, softfloat-cvt.ts), on random and edge-case operands, every rounding
 * mode, with fflags starting clear and with NX already accrued. Needs no QEMU.
 */
import { describe, expect, it } from 'vitest';
import { F32, F64, sfAdd, sfDiv, sfFma, sfMul, sfSqrt } from '../../../../src/target/riscv/fpu/softfloat';
import { sfCvtFF, sfCvtFI, sfCvtIF } from '../../../../src/target/riscv/fpu/softfloat-cvt';
import { dbits, fromDbits } from './helpers';
import { genCvtValue, genD, genInt, genS, pairD, pairS, tripleD, tripleS } from './gen';
import { box, encR, encR4, makeState, Rng, run, sbits } from './helpers';

const K = 1500;
const s = makeState();
const hex = (v: bigint): string => v.toString(16);

interface Case {
  name: string;
  fmt: number;
  insn: (rm: number) => number;
  /** operands as register patterns */
  gen: (rng: Rng) => { f11?: bigint; f12?: bigint; f13?: bigint; x11?: bigint };
  /** reference: destination pattern (f10 or x10) and flags */
  ref: (o: { f11: bigint; f12: bigint; f13: bigint; x11: bigint }, rm: number, st: { fflags: number }) => bigint;
  dest: 'f' | 'x';
}

const lo32 = (v: bigint): bigint => v & 0xffffffffn;
const boxed = (v: bigint): bigint => box(v);
const sext32 = (v: bigint): bigint => BigInt.asUintN(64, BigInt.asIntN(32, v));

const CASES: Case[] = [];
for (const fmt of [0, 1]) {
  const F = fmt ? 'd' : 's';
  const FF = fmt ? F64 : F32;
  const arg = (v: bigint): bigint => (fmt ? v : lo32(v));
  const res = (v: bigint): bigint => (fmt ? v : boxed(v));
  const two = (kind: 'add' | 'mul' | 'div') => (r: Rng) => {
    if (fmt) {
      const [a, b] = pairD(r, kind);
      return { f11: a, f12: b };
    }
    const [a, b] = pairS(r, kind);
    return { f11: box(a), f12: box(b) };
  };
  const bin = (name: string, funct5: number, kind: 'add' | 'mul' | 'div', f: (a: bigint, b: bigint, rm: number, st: { fflags: number }) => bigint): void => {
    CASES.push({
      name: `${name}.${F}`,
      fmt,
      insn: (rm) => encR(funct5, fmt, 12, 11, rm, 10),
      gen: two(kind),
      ref: (o, rm, st) => res(f(arg(o.f11), arg(o.f12), rm, st)),
      dest: 'f',
    });
  };
  bin('fadd', 0, 'add', (a, b, rm, st) => sfAdd(FF, a, b, false, rm, st));
  bin('fsub', 1, 'add', (a, b, rm, st) => sfAdd(FF, a, b, true, rm, st));
  bin('fmul', 2, 'mul', (a, b, rm, st) => sfMul(FF, a, b, rm, st));
  bin('fdiv', 3, 'div', (a, b, rm, st) => sfDiv(FF, a, b, rm, st));
  CASES.push({
    name: `fsqrt.${F}`,
    fmt,
    insn: (rm) => encR(0x0b, fmt, 0, 11, rm, 10),
    gen: (r) => ({ f11: fmt ? genD(r) : box(genS(r)) }),
    ref: (o, rm, st) => res(sfSqrt(FF, arg(o.f11), rm, st)),
    dest: 'f',
  });
  for (const [name, opc] of [
    ['fmadd', 0x43],
    ['fmsub', 0x47],
    ['fnmsub', 0x4b],
    ['fnmadd', 0x4f],
  ] as const) {
    CASES.push({
      name: `${name}.${F}`,
      fmt,
      insn: (rm) => encR4(opc, fmt, 13, 12, 11, rm, 10),
      gen: (r) => {
        if (fmt) {
          const [a, b, c] = tripleD(r);
          return { f11: a, f12: b, f13: c };
        }
        const [a, b, c] = tripleS(r);
        return { f11: box(a), f12: box(b), f13: box(c) };
      },
      ref: (o, rm, st) => res(sfFma(FF, arg(o.f11), arg(o.f12), arg(o.f13), (opc & 8) !== 0, (opc & 4) !== 0, rm, st)),
      dest: 'f',
    });
  }
  const kinds = ['w', 'wu', 'l', 'lu'];
  for (let k = 0; k < 4; k++) {
    const width = k < 2 ? 32 : 64;
    const signed = (k & 1) === 0;
    CASES.push({
      name: `fcvt.${kinds[k]}.${F}`,
      fmt,
      insn: (rm) => encR(0x18, fmt, k, 11, rm, 10),
      gen: (r) => {
        const v = r.chance(0.6) ? genCvtValue(r) : null;
        if (fmt) return { f11: v === null ? genD(r) : dbits(v) };
        return { f11: box(v === null ? genS(r) : sbits(Math.fround(v))) };
      },
      ref: (o, rm, st) => {
        const v = sfCvtFI(FF, arg(o.f11), width, signed, rm, st);
        return width === 32 ? sext32(BigInt.asUintN(32, v)) : BigInt.asUintN(64, v);
      },
      dest: 'x',
    });
    CASES.push({
      name: `fcvt.${F}.${kinds[k]}`,
      fmt,
      insn: (rm) => encR(0x1a, fmt, k, 11, rm, 10),
      gen: (r) => ({ x11: genInt(r) }),
      ref: (o, rm, st) => {
        const x = o.x11;
        const v = k === 0 ? BigInt.asIntN(32, x) : k === 1 ? BigInt.asUintN(32, x) : k === 2 ? BigInt.asIntN(64, x) : x;
        return res(sfCvtIF(FF, v, rm, st));
      },
      dest: 'f',
    });
  }
}
CASES.push({
  name: 'fcvt.s.d',
  fmt: 0,
  insn: (rm) => encR(0x08, 0, 1, 11, rm, 10),
  gen: (r) => ({ f11: r.chance(0.3) ? dbits(fromDbits(genD(r)) * 2 ** (r.int(300) - 150)) : genD(r) }),
  ref: (o, rm, st) => boxed(sfCvtFF(F64, F32, o.f11, rm, st)),
  dest: 'f',
});
CASES.push({
  name: 'fcvt.d.s',
  fmt: 1,
  insn: (rm) => encR(0x08, 1, 0, 11, rm, 10),
  gen: (r) => ({ f11: box(genS(r)) }),
  ref: (o, rm, st) => sfCvtFF(F32, F64, lo32(o.f11), rm, st),
  dest: 'f',
});

describe('fast paths agree with the exact reference', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const rng = new Rng(c.name.length * 7919 + c.fmt);
      const bad: string[] = [];
      for (let rm = 0; rm <= 4; rm++) {
        for (let i = 0; i < K && bad.length < 5; i++) {
          const g = c.gen(rng);
          const o = { f11: g.f11 ?? 0n, f12: g.f12 ?? 0n, f13: g.f13 ?? 0n, x11: g.x11 ?? 0n };
          const st = { fflags: 0 };
          const want = c.ref(o, rm, st);
          for (const pre of [0, 1]) {
            const out = run(c.insn(rm), { ...o, fflags: pre, f10: 0x5555n }, s);
            const got = c.dest === 'f' ? out.f10 : out.x10;
            if (!out.legal || got !== want || out.fflags !== (st.fflags | pre)) {
              bad.push(
                `rm=${rm} pre=${pre} f11=${hex(o.f11)} f12=${hex(o.f12)} f13=${hex(o.f13)} x11=${hex(o.x11)}: ` +
                  `want ${hex(want)}/${st.fflags} got ${hex(got)}/${out.fflags}`,
              );
              break;
            }
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
