/** Seeded randomness and the edge values the generated programs feed to instructions. */

/** mulberry32: small, fast, good enough for test generation; same seed → same program. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  u32(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

const M64 = (1n << 64n) - 1n;

/** Integer operands at the edges of signed/unsigned 8/16/32/64-bit ranges and shift amounts. */
export const INT_EDGES: bigint[] = [
  0n, 1n, 2n, 3n, 7n, 31n, 32n, 63n, 64n, 0x7ffn, 0x800n, 0xfffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n,
  M64, M64 - 1n, (M64 - 0x7fffffffn) & M64, 0xffffffff80000000n, 0xffffffff7fffffffn, 0x5555555555555555n,
  0xaaaaaaaaaaaaaaaan, 0x00000000deadbeefn, 0x123456789abcdef0n, 0xfffffffffffff800n, 0x8000000000000001n,
];

/** IEEE double bit patterns: zeros, infinities, NaNs (quiet, signalling, with payloads), subnormals, rounding ties, conversion limits. */
export const F64_EDGES: bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x3ff8000000000000n,
  0x4004000000000000n, 0xc004000000000000n, 0x3fe0000000000000n, 0xbfe0000000000000n, 0x3fb999999999999an,
  0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff8000000000123n,
  0x7ff0000000000001n, 0xfff4000000000000n, 0x0000000000000001n, 0x800fffffffffffffn, 0x0010000000000000n,
  0x7fefffffffffffffn, 0xffefffffffffffffn, 0x43e0000000000000n, 0xc3e0000000000000n, 0x43f0000000000000n,
  0x41dfffffffc00000n, 0x41e0000000000000n, 0xc1e0000000000000n, 0xc1e0000000200000n, 0x41efffffffe00000n,
  0x3ff0000000000001n, 0x4330000000000001n, 0x3ca0000000000000n, 0x36a0000000000000n, 0x47efffffe0000000n,
  0x380fffffe0000000n, 0xbcb0000000000000n, 0x433fffffffffffffn,
];

/** IEEE single bit patterns (NaN-boxed when loaded with fmv.w.x). */
export const F32_EDGES: number[] = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xc0200000, 0x3f000000, 0xbf000000,
  0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc00123, 0x7f800001, 0xffa00000, 0x00000001, 0x807fffff,
  0x00800000, 0x7f7fffff, 0xff7fffff, 0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x4f800000, 0x5f000000,
  0xdf000000, 0x5f800000, 0x3f800001, 0x4b000001, 0x33800000, 0x0b800000, 0x3dcccccd,
];

/** Signed decimal spelling of a 64-bit pattern, which GNU as accepts for `li` on RV64. */
export function imm64(v: bigint): string {
  return BigInt.asIntN(64, v & M64).toString();
}
