/**
 * Bit-level helpers over a shared scratch buffer: reinterpreting doubles/floats as integers,
 * stepping to adjacent representable values, and the directed-rounding correction used by the
 * fast paths.
 *
 * The scratch views assume a little-endian host (checked at load): si32[0] is the low word of
 * sf64[0] and overlaps sf32[0]. For the same reason a Float32Array over the register file sees
 * the low word of register r (where a NaN-boxed single lives) at index 2*r.
 */
import { RDN, RMM, RTZ, RUP } from './state';

const scratch = new ArrayBuffer(8);
export const sf64 = new Float64Array(scratch);
export const sf32 = new Float32Array(scratch);
export const si32 = new Int32Array(scratch);

sf64[0] = 1;
if (si32[1] !== 0x3ff00000) throw new Error('vtrace fpu: big-endian hosts are not supported');

/** Largest finite binary64 / binary32, smallest normal binary64 / binary32. */
export const MAX_D = 1.7976931348623157e308;
export const MIN_NORMAL_D = 2.2250738585072014e-308;
export const MAX_S = 3.4028234663852886e38;
export const MIN_NORMAL_S = 1.1754943508222875e-38;

/** Veltkamp splitter for binary64: 2^27 + 1. */
export const SPLIT = 134217729;

/**
 * Steps a finite non-zero double one ulp away from zero (dir = 1) or towards zero (dir = -1).
 * Stepping away from ±MAX_D gives ±Infinity.
 */
export function stepMagD(x: number, dir: number): number {
  sf64[0] = x;
  const lo = si32[0];
  if (dir > 0) {
    if (lo === -1) {
      si32[0] = 0;
      si32[1] = si32[1] + 1;
    } else {
      si32[0] = lo + 1;
    }
  } else if (lo === 0) {
    si32[0] = -1;
    si32[1] = si32[1] - 1;
  } else {
    si32[0] = lo - 1;
  }
  return sf64[0];
}

/**
 * Steps a finite non-zero binary32 value (held in a double) one ulp away from zero (dir = 1)
 * or towards zero (dir = -1). Stepping away from ±MAX_S gives ±Infinity.
 */
export function stepMagS(x: number, dir: number): number {
  sf32[0] = x;
  si32[0] = si32[0] + dir;
  return sf32[0];
}

/**
 * Directed-rounding correction of a round-to-nearest-even result, for binary64.
 *
 * Contract: `r` is the RNE rounding of an exact value X, r finite, non-zero, and X != r; `e` has
 * the sign of X - r. For RMM, |e| must equal |X - r| exactly (ties are detected from it); callers
 * that know ties cannot occur pass rm = RNE instead of RMM. Returns the rounding of X in `rm`
 * (IEEE 754-2019 §4.3): at most one ulp away from r. May return ±Infinity when stepping away
 * from ±MAX_D (the caller raises OF).
 */
export function adjustD(r: number, e: number, rm: number): number {
  switch (rm) {
    case RTZ:
      return e > 0 !== r > 0 ? stepMagD(r, -1) : r;
    case RDN:
      return e < 0 ? stepMagD(r, r > 0 ? -1 : 1) : r;
    case RUP:
      return e > 0 ? stepMagD(r, r > 0 ? 1 : -1) : r;
    case RMM:
      if (e > 0 === r > 0) {
        const n = stepMagD(r, 1);
        if (Math.abs(n - r) === 2 * Math.abs(e)) return n;
      }
      return r;
    default:
      return r;
  }
}

/** As adjustD, for a binary32 result r (a double holding a binary32 value). */
export function adjustS(r: number, e: number, rm: number): number {
  switch (rm) {
    case RTZ:
      return e > 0 !== r > 0 ? stepMagS(r, -1) : r;
    case RDN:
      return e < 0 ? stepMagS(r, r > 0 ? -1 : 1) : r;
    case RUP:
      return e > 0 ? stepMagS(r, r > 0 ? 1 : -1) : r;
    case RMM:
      if (e > 0 === r > 0) {
        const n = stepMagS(r, 1);
        if (Math.abs(n - r) === 2 * Math.abs(e)) return n;
      }
      return r;
    default:
      return r;
  }
}

/** Reads register `r` of the FP file as a 64-bit pattern (slow paths only). */
export function getBitsD(fi: Int32Array, r: number): bigint {
  return (BigInt(fi[2 * r + 1] >>> 0) << 32n) | BigInt(fi[2 * r] >>> 0);
}

/** Writes a 64-bit pattern to register `r` of the FP file. */
export function putBitsD(fi: Int32Array, r: number, bits: bigint): void {
  fi[2 * r] = Number(bits & 0xffffffffn) | 0;
  fi[2 * r + 1] = Number((bits >> 32n) & 0xffffffffn) | 0;
}

/**
 * Reads register `r` as a binary32 pattern, applying NaN-boxing (§12.2): a value whose high
 * word is not all ones reads as the canonical NaN 0x7fc00000. Returns an int32.
 */
export function getBitsS(fi: Int32Array, r: number): number {
  return fi[2 * r + 1] === -1 ? fi[2 * r] : 0x7fc00000;
}

/** Writes a binary32 pattern NaN-boxed to register `r`. */
export function putBitsS(fi: Int32Array, r: number, bits: number): void {
  fi[2 * r] = bits;
  fi[2 * r + 1] = -1;
}

/**
 * A Float32Array view over the register file, so that fv[2*r] is the low word of register r as a
 * binary32 value. Cached for the last register file seen (one per CPU in practice).
 */
let viewOf: Int32Array | null = null;
let fview: Float32Array<ArrayBufferLike> = new Float32Array(64);

function f32View(fi: Int32Array): Float32Array {
  if (fi !== viewOf) {
    viewOf = fi;
    fview = new Float32Array(fi.buffer, fi.byteOffset, fi.length);
  }
  return fview;
}

/** Reads register `r` as a binary32 value (in a double); improperly boxed reads as NaN. */
export function readS(fi: Int32Array, r: number): number {
  if (fi[2 * r + 1] !== -1) return NaN;
  return f32View(fi)[2 * r];
}

/** Writes a non-NaN binary32 value (held in a double) NaN-boxed to register `r`. */
export function writeS(fi: Int32Array, r: number, v: number): void {
  f32View(fi)[2 * r] = v;
  fi[2 * r + 1] = -1;
}

/** Writes the canonical NaN to register `r`, as a double (fmt D) or boxed single (fmt S). */
export function writeNaND(fi: Int32Array, r: number): void {
  fi[2 * r] = 0;
  fi[2 * r + 1] = 0x7ff80000;
}

export function writeNaNS(fi: Int32Array, r: number): void {
  fi[2 * r] = 0x7fc00000;
  fi[2 * r + 1] = -1;
}

/** True when the binary32 pattern is a signaling NaN. */
export function isSNaNS(bits: number): boolean {
  return (bits & 0x7fc00000) === 0x7f800000 && (bits & 0x003fffff) !== 0;
}

/** True when the binary64 pattern (hi, lo words) is a signaling NaN. */
export function isSNaND(hi: number, lo: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x0007ffff) | lo) !== 0;
}
