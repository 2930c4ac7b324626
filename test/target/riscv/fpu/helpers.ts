/**
 * Test helpers: an FpState, instruction encoders, and running one instruction on given bit
 * patterns. Registers follow the oracle's convention: rd = 10, rs1 = 11, rs2 = 12, rs3 = 13.
 */
import { executeOpFp, FpState } from '../../../../src/target/riscv/fpu';

export function makeState(): FpState {
  const buf = new ArrayBuffer(256);
  return { x: new Int32Array(64), f: new Float64Array(buf), fi: new Int32Array(buf), fflags: 0, frm: 0 };
}

export const RD = 10;
export const RS1 = 11;
export const RS2 = 12;
export const RS3 = 13;

/** OP-FP encoding: funct5 | fmt | rs2 | rs1 | rm | rd | 0x53. fmt: 0 = S, 1 = D. */
export function encR(funct5: number, fmt: number, rs2: number, rs1: number, rm: number, rd: number): number {
  return ((funct5 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53) >>> 0;
}

/** R4 encoding (opcode 0x43 fmadd, 0x47 fmsub, 0x4b fnmsub, 0x4f fnmadd). */
export function encR4(opcode: number, fmt: number, rs3: number, rs2: number, rs1: number, rm: number, rd: number): number {
  return ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode) >>> 0;
}

export function setF(s: FpState, r: number, bits: bigint): void {
  s.fi[2 * r] = Number(bits & 0xffffffffn) | 0;
  s.fi[2 * r + 1] = Number((bits >> 32n) & 0xffffffffn) | 0;
}

export function getF(s: FpState, r: number): bigint {
  return (BigInt(s.fi[2 * r + 1] >>> 0) << 32n) | BigInt(s.fi[2 * r] >>> 0);
}

export function setX(s: FpState, r: number, v: bigint): void {
  s.x[2 * r] = Number(v & 0xffffffffn) | 0;
  s.x[2 * r + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

export function getX(s: FpState, r: number): bigint {
  return (BigInt(s.x[2 * r + 1] >>> 0) << 32n) | BigInt(s.x[2 * r] >>> 0);
}

/** NaN-boxes a binary32 pattern. */
export function box(bits32: number | bigint): bigint {
  return 0xffffffff00000000n | (BigInt(bits32) & 0xffffffffn);
}

const cvt = new DataView(new ArrayBuffer(8));
export function dbits(v: number): bigint {
  cvt.setFloat64(0, v);
  return cvt.getBigUint64(0);
}
export function fromDbits(b: bigint): number {
  cvt.setBigUint64(0, b);
  return cvt.getFloat64(0);
}
export function sbits(v: number): number {
  cvt.setFloat32(0, v);
  return cvt.getUint32(0);
}
export function fromSbits(b: number): number {
  cvt.setUint32(0, b >>> 0);
  return cvt.getFloat32(0);
}

export interface Operands {
  f11?: bigint;
  f12?: bigint;
  f13?: bigint;
  x11?: bigint;
  f10?: bigint;
  frm?: number;
  fflags?: number;
}

export interface Outcome {
  legal: boolean;
  f10: bigint;
  x10: bigint;
  fflags: number;
}

/** Runs one instruction on a fresh state. */
export function run(insn: number, ops: Operands, s: FpState = makeState()): Outcome {
  s.fi.fill(0);
  s.x.fill(0);
  setF(s, 11, ops.f11 ?? 0n);
  setF(s, 12, ops.f12 ?? 0n);
  setF(s, 13, ops.f13 ?? 0n);
  setF(s, 10, ops.f10 ?? 0n);
  setX(s, 11, ops.x11 ?? 0n);
  s.frm = ops.frm ?? 0;
  s.fflags = ops.fflags ?? 0;
  const legal = executeOpFp(s, insn);
  return { legal, f10: getF(s, 10), x10: getX(s, 10), fflags: s.fflags };
}

/**
 * Runs one instruction with fflags clear, then again with NX already accrued (the state that
 * selects the cheapest fast paths), and throws unless both agree (same registers, flags | NX).
 * Returns the first outcome.
 */
export function runBoth(insn: number, ops: Operands): Outcome {
  const a = run(insn, { ...ops, fflags: 0 });
  const b = run(insn, { ...ops, fflags: 0x01 });
  if (a.legal !== b.legal || a.f10 !== b.f10 || a.x10 !== b.x10 || (a.legal && b.fflags !== (a.fflags | 0x01))) {
    throw new Error(`insn ${insn.toString(16)}: NX-preset run differs: ${JSON.stringify([a, b], (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
  }
  return a;
}

/** Deterministic PRNG (xorshift128+ on 32-bit halves, via BigInt-free arithmetic). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = seed | 0 || 1;
    this.b = 0x9e3779b9;
    this.c = 0x85ebca6b;
    this.d = 0xc2b2ae35;
    for (let i = 0; i < 16; i++) this.u32();
  }
  /** xoshiro128** */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
