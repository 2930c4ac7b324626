/**
 * Differential test against QEMU (qemu-riscv64, softfloat as target/riscv configures it): every
 * F/D computational instruction, every rounding mode (static and dynamic), many thousands of
 * random and edge-case operands each, plus random encodings for legality. Compares the
 * destination register (all 64 bits, so NaN-boxing too), x10, fflags and legality.
 *
 * Each record is also replayed with NX already accrued (fflags = NX), which is the state that
 * selects the cheapest fast paths; results must be the same and flags the oracle's | NX.
 *
 * Skips (with a message) when riscv64-linux-gnu-gcc or qemu-riscv64 is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeOpFp } from '../../../../src/target/riscv/fpu';
import { genCvtValue, genD, genInt, genS, pairD, pairS, SPECIAL_D, SPECIAL_S, tripleD, tripleS } from './gen';
import { box, dbits, encR, encR4, makeState, Rng, sbits } from './helpers';
import { buildOracle, IN_WORDS, Oracle, oracleMissing, OUT_WORDS, Records, runOracle } from './oracle';

type Gen = (rng: Rng) => { f11?: bigint; f12?: bigint; f13?: bigint; x11?: bigint };

interface Op {
  name: string;
  /** instruction word for a funct3/rm value */
  insn: (rm: number) => number;
  /** true: rm is a rounding mode (all modes and illegal ones are exercised); false: fixed funct3 */
  rounding: boolean;
  funct3?: number;
  gen: Gen;
  n: number;
  /** operand sets enumerated exhaustively (special values), for every rounding mode */
  edges?: () => Operands[];
}

type Operands = { f11?: bigint; f12?: bigint; f13?: bigint; x11?: bigint };

const FMA_SPECIALS_D = [0n, 1n << 63n, 0x3ff0000000000000n, 0xbff0000000000000n, 1n, 0x7fefffffffffffffn,
  0x0010000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff0000000000001n, 0x3ff8000000000000n];
const FMA_SPECIALS_S = [0, 0x80000000, 0x3f800000, 0xbf800000, 1, 0x7f7fffff, 0x00800000, 0x7f800000, 0xff800000,
  0x7fc00000, 0x7f800001, 0x3fc00000];

function specials(fmt: number): bigint[] {
  return fmt === 1 ? [...SPECIAL_D] : SPECIAL_S.map((v) => box(v));
}

function pairsOf(xs: bigint[]): Operands[] {
  return xs.flatMap((a) => xs.map((b) => ({ f11: a, f12: b })));
}

function triplesOf(xs: bigint[]): Operands[] {
  return xs.flatMap((a) => xs.flatMap((b) => xs.map((c) => ({ f11: a, f12: b, f13: c }))));
}

/** Boxes a binary32 pattern, occasionally improperly (the value then reads as the canonical NaN). */
function boxS(rng: Rng, bits: number): bigint {
  if (rng.chance(0.02)) return (BigInt(rng.u32() & 0xfffffffe) << 32n) | BigInt(bits >>> 0);
  return box(bits);
}

const N = 3000;
const OPS: Op[] = [];

for (const fmt of [0, 1]) {
  const F = fmt === 1 ? 'd' : 's';
  const one: Gen = fmt === 1 ? (r) => ({ f11: genD(r) }) : (r) => ({ f11: boxS(r, genS(r)) });
  const two = (kind: 'add' | 'mul' | 'div'): Gen =>
    fmt === 1
      ? (r) => {
          const [a, b] = pairD(r, kind);
          return { f11: a, f12: b };
        }
      : (r) => {
          const [a, b] = pairS(r, kind);
          return { f11: boxS(r, a), f12: boxS(r, b) };
        };
  const three: Gen =
    fmt === 1
      ? (r) => {
          const [a, b, c] = tripleD(r);
          return { f11: a, f12: b, f13: c };
        }
      : (r) => {
          const [a, b, c] = tripleS(r);
          return { f11: boxS(r, a), f12: boxS(r, b), f13: boxS(r, c) };
        };
  const arith = (name: string, funct5: number, gen: Gen, rs2 = 12): void => {
    const edges = rs2 === 12 ? () => pairsOf(specials(fmt)) : () => specials(fmt).map((f11) => ({ f11 }));
    OPS.push({ name: `${name}.${F}`, insn: (rm) => encR(funct5, fmt, rs2, 11, rm, 10), rounding: true, gen, n: N, edges });
  };
  arith('fadd', 0x00, two('add'));
  arith('fsub', 0x01, two('add'));
  arith('fmul', 0x02, two('mul'));
  arith('fdiv', 0x03, two('div'));
  arith('fsqrt', 0x0b, one, 0);
  for (const [name, opc] of [
    ['fmadd', 0x43],
    ['fmsub', 0x47],
    ['fnmsub', 0x4b],
    ['fnmadd', 0x4f],
  ] as const) {
    const edges = (): Operands[] => triplesOf(fmt === 1 ? FMA_SPECIALS_D : FMA_SPECIALS_S.map((v) => box(v)));
    OPS.push({ name: `${name}.${F}`, insn: (rm) => encR4(opc, fmt, 13, 12, 11, rm, 10), rounding: true, gen: three, n: N, edges });
  }
  const fixed = (name: string, funct5: number, funct3: number, gen: Gen, rs2 = 12): void => {
    const edges = rs2 === 12 ? () => pairsOf(specials(fmt)) : () => specials(fmt).map((f11) => ({ f11 }));
    OPS.push({ name: `${name}.${F}`, insn: (rm) => encR(funct5, fmt, rs2, 11, rm, 10), rounding: false, funct3, gen, n: N, edges });
  };
  const mixed: Gen = (r) => (r.chance(0.5) ? two('add')(r) : { ...one(r), f12: one(r).f11 });
  fixed('fsgnj', 0x04, 0, mixed);
  fixed('fsgnjn', 0x04, 1, mixed);
  fixed('fsgnjx', 0x04, 2, mixed);
  fixed('fmin', 0x05, 0, mixed);
  fixed('fmax', 0x05, 1, mixed);
  fixed('fle', 0x14, 0, mixed);
  fixed('flt', 0x14, 1, mixed);
  fixed('feq', 0x14, 2, mixed);
  fixed('fclass', 0x1c, 1, one, 0);
  fixed(fmt === 1 ? 'fmv.x' : 'fmv.x.w', 0x1c, 0, one, 0);
  fixed(fmt === 1 ? 'fmv.d.x' : 'fmv.w.x', 0x1e, 0, (r) => ({ x11: r.u64() }), 0);
  const ints = ['w', 'wu', 'l', 'lu'];
  for (let k = 0; k < 4; k++) {
    const toInt: Gen =
      fmt === 1
        ? (r) => ({ f11: r.chance(0.6) ? dbits(genCvtValue(r)) : genD(r) })
        : (r) => ({ f11: boxS(r, r.chance(0.6) ? sbits(Math.fround(genCvtValue(r))) : genS(r)) });
    OPS.push({
      name: `fcvt.${ints[k]}.${F}`,
      insn: (rm) => encR(0x18, fmt, k, 11, rm, 10),
      rounding: true,
      gen: toInt,
      n: N,
      edges: () => specials(fmt).map((f11) => ({ f11 })),
    });
    OPS.push({
      name: `fcvt.${F}.${ints[k]}`,
      insn: (rm) => encR(0x1a, fmt, k, 11, rm, 10),
      rounding: true,
      gen: (r) => ({ x11: genInt(r) }),
      n: N,
    });
  }
}
OPS.push({
  name: 'fcvt.s.d',
  insn: (rm) => encR(0x08, 0, 1, 11, rm, 10),
  rounding: true,
  gen: (r) => ({ f11: genD(r) }),
  n: N,
  edges: () => SPECIAL_D.map((f11) => ({ f11 })),
});
OPS.push({
  name: 'fcvt.d.s',
  insn: (rm) => encR(0x08, 1, 0, 11, rm, 10),
  rounding: true,
  gen: (r) => ({ f11: boxS(r, genS(r)) }),
  n: N / 3,
});

const F10_INIT = 0x0123456789abcdefn;
const FUZZ = 40000;
const FUZZ_NAME = 'encoding legality (random OP-FP/R4 words)';

interface Batch {
  recs: Records;
  opOf: Int16Array;
}

function generate(): Batch {
  const rng = new Rng(20240607);
  const recs = new Records();
  const ops: number[] = [];
  const add = (opIdx: number, insn: number, frm: number, n: number): void => {
    const op = OPS[opIdx];
    for (let i = 0; i < n; i++) {
      const v = op.gen(rng);
      recs.push(insn, frm, v.f11 ?? 0n, v.f12 ?? 0n, v.f13 ?? 0n, v.x11 ?? 0n, F10_INIT);
      ops.push(opIdx);
    }
  };
  const addEdges = (opIdx: number, insn: number): void => {
    for (const v of OPS[opIdx].edges?.() ?? []) {
      recs.push(insn, rng.int(5), v.f11 ?? 0n, v.f12 ?? 0n, v.f13 ?? 0n, v.x11 ?? 0n, F10_INIT);
      ops.push(opIdx);
    }
  };
  OPS.forEach((op, i) => {
    if (!op.rounding) {
      add(i, op.insn(op.funct3 ?? 0), rng.int(8), op.n);
      addEdges(i, op.insn(op.funct3 ?? 0));
      return;
    }
    for (let rm = 0; rm <= 4; rm++) addEdges(i, op.insn(rm));
    for (let rm = 0; rm <= 4; rm++) add(i, op.insn(rm), (rm + 1 + rng.int(7)) & 7, op.n);
    for (let frm = 0; frm <= 4; frm++) add(i, op.insn(7), frm, Math.ceil(op.n / 4));
    for (const rm of [5, 6]) add(i, op.insn(rm), rng.int(5), 4);
    for (const frm of [5, 6, 7]) add(i, op.insn(7), frm, 4);
  });
  // Random encodings of the five major opcodes (fmt S/D, registers rd=10 rs1=11 rs3=13 so the
  // oracle's stub stays intact); only legality is compared for these.
  for (let i = 0; i < FUZZ; i++) {
    const opcode = rng.pick([0x53, 0x53, 0x53, 0x43, 0x47, 0x4b, 0x4f]);
    const top = opcode === 0x53 ? rng.int(32) : 13; // funct5 or rs3
    const insn = ((top << 27) | (rng.int(2) << 25) | (rng.int(32) << 20) | (11 << 15) | (rng.int(8) << 12) | (10 << 7) | opcode) >>> 0;
    recs.push(insn, rng.int(8), rng.u64(), rng.u64(), rng.u64(), rng.u64(), F10_INIT);
    ops.push(-1);
  }
  return { recs, opOf: Int16Array.from(ops) };
}

const hex = (lo: number, hi: number): string =>
  ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16).padStart(16, '0');

const missing = oracleMissing();
if (missing) console.warn(`[fpu qemu-diff] SKIPPED: ${missing}`);

describe.skipIf(missing !== null)('F/D instructions vs QEMU (qemu-riscv64)', () => {
  let oracle: Oracle;
  const mismatches = new Map<string, string[]>();
  let total = 0;

  beforeAll(() => {
    oracle = buildOracle();
    const { recs, opOf } = generate();
    total = recs.n;
    const out = runOracle(oracle, recs);
    const s = makeState();
    const w = recs.words;
    for (let i = 0; i < recs.n; i++) {
      const o = i * IN_WORDS;
      const q = i * OUT_WORDS;
      for (const preNX of [0, 1]) {
        s.fi.fill(0);
        s.x.fill(0);
        s.fi[22] = w[o + 2];
        s.fi[23] = w[o + 3];
        s.fi[24] = w[o + 4];
        s.fi[25] = w[o + 5];
        s.fi[26] = w[o + 6];
        s.fi[27] = w[o + 7];
        s.x[22] = w[o + 8];
        s.x[23] = w[o + 9];
        s.fi[20] = w[o + 10];
        s.fi[21] = w[o + 11];
        s.frm = w[o + 1];
        s.fflags = preNX;
        const legal = executeOpFp(s, w[o] >>> 0);
        const qLegal = out[q + 5] === 0;
        let ok: boolean;
        if (opOf[i] < 0) {
          ok = legal === qLegal;
        } else if (!legal || !qLegal) {
          ok = legal === qLegal && s.fflags === preNX && s.fi[20] === w[o + 10] && s.fi[21] === w[o + 11];
        } else {
          ok =
            s.fi[20] === out[q] &&
            s.fi[21] === out[q + 1] &&
            s.x[20] === out[q + 2] &&
            s.x[21] === out[q + 3] &&
            s.fflags === (out[q + 4] | preNX);
        }
        if (!ok) {
          const name = opOf[i] < 0 ? FUZZ_NAME : OPS[opOf[i]].name;
          const list = mismatches.get(name) ?? [];
          if (list.length < 8) {
            list.push(
              `${name} insn=${(w[o] >>> 0).toString(16)} frm=${w[o + 1]} preNX=${preNX}` +
                ` f11=${hex(w[o + 2], w[o + 3])} f12=${hex(w[o + 4], w[o + 5])} f13=${hex(w[o + 6], w[o + 7])}` +
                ` x11=${hex(w[o + 8], w[o + 9])}\n    qemu: ${qLegal ? '' : 'ILLEGAL '}f10=${hex(out[q], out[q + 1])}` +
                ` x10=${hex(out[q + 2], out[q + 3])} fflags=${out[q + 4].toString(16)}` +
                `\n    ours: ${legal ? '' : 'ILLEGAL '}f10=${hex(s.fi[20], s.fi[21])} x10=${hex(s.x[20], s.x[21])}` +
                ` fflags=${s.fflags.toString(16)}`,
            );
          }
          mismatches.set(name, list);
          break;
        }
      }
    }
  }, 120_000);

  afterAll(() => oracle?.dispose());

  it('ran a large batch', () => {
    expect(total).toBeGreaterThan(300_000);
  });

  for (const name of [...OPS.map((op) => op.name), FUZZ_NAME]) {
    it(`${name} matches QEMU`, () => {
      const list = mismatches.get(name) ?? [];
      expect(list.join('\n')).toBe('');
    });
  }
});
