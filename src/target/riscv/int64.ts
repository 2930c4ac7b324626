/**
 * 64-bit integer arithmetic on (lo, hi) int32 pairs, the representation of the integer register
 * file (`x[2i]` = low word, `x[2i+1]` = high word, both as signed int32). No BigInt on the fast
 * paths: products use 16-bit limbs whose partial sums stay exact in doubles (< 2^53), divisions use
 * doubles when both operands fit in 53 bits, 16-bit-limb long division for 32-bit divisors, and
 * BigInt only otherwise.
 *
 * Functions that produce a 64-bit result write it into an Int32Array at a given (even) index, so
 * the interpreter can target the register file directly without allocating.
 *
 * Semantics follow the ISA manual (unprivileged spec 20191213), ch. 5 (RV64I) and ch. 7 (M):
 * division by zero and signed overflow never trap.
 */

const TWO32 = 4294967296;

/** High 32 bits of the unsigned 64-bit product of two uint32 (given as int32 bit patterns). */
export function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const mid = a0 * b1 + a1 * b0 + (p00 >>> 16); // < 2^34: exact
  return (a1 * b1 + Math.floor(mid / 65536)) | 0;
}

/** MUL: low 64 bits of a*b. */
export function mul64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  const lo = Math.imul(alo, blo);
  const hi = (mulhu32(alo, blo) + Math.imul(ahi, blo) + Math.imul(alo, bhi)) | 0;
  out[d] = lo;
  out[d + 1] = hi;
}

/** MULHU: high 64 bits of the unsigned 128-bit product. */
export function mulhu64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  // 32-bit words: a = a1:a0, b = b1:b0; the 128-bit product is w3:w2:w1:w0.
  const p00h = mulhu32(alo, blo) >>> 0;
  const p01l = Math.imul(alo, bhi) >>> 0;
  const p01h = mulhu32(alo, bhi) >>> 0;
  const p10l = Math.imul(ahi, blo) >>> 0;
  const p10h = mulhu32(ahi, blo) >>> 0;
  const p11l = Math.imul(ahi, bhi) >>> 0;
  const p11h = mulhu32(ahi, bhi) >>> 0;
  const t1 = p00h + p01l + p10l; // < 3 * 2^32
  const c1 = Math.floor(t1 / TWO32);
  const t2 = p01h + p10h + p11l + c1;
  const c2 = Math.floor(t2 / TWO32);
  out[d] = t2 | 0;
  out[d + 1] = (p11h + c2) | 0;
}

/** MULH: high 64 bits of signed × signed. mulhu(a,b) - (a<0 ? b : 0) - (b<0 ? a : 0), mod 2^64. */
export function mulh64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  mulhu64(out, d, alo, ahi, blo, bhi);
  if (ahi < 0) sub64Into(out, d, blo, bhi);
  if (bhi < 0) sub64Into(out, d, alo, ahi);
}

/** MULHSU: high 64 bits of signed a × unsigned b. */
export function mulhsu64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  mulhu64(out, d, alo, ahi, blo, bhi);
  if (ahi < 0) sub64Into(out, d, blo, bhi);
}

/** out[d..d+1] -= (lo, hi). */
function sub64Into(out: Int32Array, d: number, lo: number, hi: number): void {
  const alo = out[d];
  const rlo = (alo - lo) | 0;
  const borrow = (alo >>> 0) < (lo >>> 0) ? 1 : 0;
  out[d] = rlo;
  out[d + 1] = (out[d + 1] - hi - borrow) | 0;
}

/** Signed value of a pair as a double, exact when |v| < 2^53 (callers check with `fits53`). */
function toNum(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}

/** True when the signed pair lies in [-2^52, 2^52): double arithmetic on it is exact. */
function fits53(hi: number): boolean {
  return hi >= -0x100000 && hi < 0x100000;
}

/** Store a double holding an exact integer (|v| < 2^63) as a pair. */
export function setNum(out: Int32Array, d: number, v: number): void {
  out[d] = v | 0; // ToInt32 is exact modular reduction for integers below 2^53
  out[d + 1] = Math.floor(v / TWO32) | 0;
}

/** The pair as an unsigned bigint (0 .. 2^64-1). */
export function pairToBigInt(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Store a bigint (taken mod 2^64) as a pair. */
export function setBigInt(out: Int32Array, d: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  out[d] = Number(u & 0xffffffffn) | 0;
  out[d + 1] = Number(u >> 32n) | 0;
}

function toBigS(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, pairToBigInt(lo, hi));
}

/** Scratch results of udivBy32: quotient (lo, hi) and remainder (uint32 as a double). */
const QR = new Float64Array(3);

/**
 * Unsigned 64-bit (alo, ahi) divided by a divisor 0 < b < 2^32 (a double), schoolbook over four
 * 16-bit limbs: every partial dividend stays below 2^48, so double arithmetic is exact.
 */
function udivBy32(alo: number, ahi: number, b: number): void {
  let cur = ahi >>> 16;
  const q3 = Math.floor(cur / b);
  let r = cur - q3 * b;
  cur = r * 65536 + (ahi & 0xffff);
  const q2 = Math.floor(cur / b);
  r = cur - q2 * b;
  cur = r * 65536 + (alo >>> 16);
  const q1 = Math.floor(cur / b);
  r = cur - q1 * b;
  cur = r * 65536 + (alo & 0xffff);
  const q0 = Math.floor(cur / b);
  QR[0] = q1 * 65536 + q0;
  QR[1] = q3 * 65536 + q2;
  QR[2] = cur - q0 * b;
}

/** out[d..d+1] = -(lo, hi) when neg, else (lo, hi). */
function setMaybeNeg(out: Int32Array, d: number, lo: number, hi: number, neg: boolean): void {
  if (neg) {
    const nlo = -lo | 0;
    out[d] = nlo;
    out[d + 1] = (~hi + (nlo === 0 ? 1 : 0)) | 0;
  } else {
    out[d] = lo | 0;
    out[d + 1] = hi | 0;
  }
}

/**
 * Signed division/remainder with a divisor of magnitude < 2^32 and a full 64-bit dividend, without
 * BigInt (kernel code divides 64-bit times and sizes by constants all the time).
 */
function sdivSmall(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number, rem: boolean): void {
  const an = ahi < 0;
  let ulo = alo;
  let uhi = ahi;
  if (an) {
    ulo = -alo | 0;
    uhi = (~ahi + (ulo === 0 ? 1 : 0)) | 0;
  }
  const bn = bhi < 0;
  const bmag = bn ? -(blo | 0) >>> 0 || 0x100000000 : blo >>> 0;
  udivBy32(ulo, uhi, bmag);
  if (rem) setMaybeNeg(out, d, QR[2], 0, an);
  else setMaybeNeg(out, d, QR[0], QR[1], an !== bn);
}

/** DIV (signed). x/0 = -1; INT64_MIN / -1 = INT64_MIN. */
export function div64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if ((blo | bhi) === 0) {
    out[d] = -1;
    out[d + 1] = -1;
  } else if (fits53(ahi) && fits53(bhi)) {
    setNum(out, d, Math.trunc(toNum(alo, ahi) / toNum(blo, bhi)));
  } else if (bhi === 0 ? blo >= 0 : bhi === -1 && blo < 0) {
    sdivSmall(out, d, alo, ahi, blo, bhi, false);
  } else {
    setBigInt(out, d, toBigS(alo, ahi) / toBigS(blo, bhi));
  }
}

/** DIVU. x/0 = 2^64-1. */
export function divu64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if ((blo | bhi) === 0) {
    out[d] = -1;
    out[d + 1] = -1;
  } else if (ahi >>> 0 < 0x100000 && bhi >>> 0 < 0x100000) {
    setNum(out, d, Math.floor(toNum(alo, ahi) / toNum(blo, bhi)));
  } else if (bhi === 0) {
    udivBy32(alo, ahi, blo >>> 0);
    out[d] = QR[0] | 0;
    out[d + 1] = QR[1] | 0;
  } else {
    setBigInt(out, d, pairToBigInt(alo, ahi) / pairToBigInt(blo, bhi));
  }
}

/** REM (signed, sign of the dividend). x%0 = x; INT64_MIN % -1 = 0. */
export function rem64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if ((blo | bhi) === 0) {
    out[d] = alo;
    out[d + 1] = ahi;
  } else if (fits53(ahi) && fits53(bhi)) {
    const r = toNum(alo, ahi) % toNum(blo, bhi);
    setNum(out, d, r === 0 ? 0 : r); // -0 → 0
  } else if (bhi === 0 ? blo >= 0 : bhi === -1 && blo < 0) {
    sdivSmall(out, d, alo, ahi, blo, bhi, true);
  } else {
    setBigInt(out, d, toBigS(alo, ahi) % toBigS(blo, bhi));
  }
}

/** REMU. x%0 = x. */
export function remu64(out: Int32Array, d: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if ((blo | bhi) === 0) {
    out[d] = alo;
    out[d + 1] = ahi;
  } else if (ahi >>> 0 < 0x100000 && bhi >>> 0 < 0x100000) {
    setNum(out, d, toNum(alo, ahi) % toNum(blo, bhi));
  } else if (bhi === 0) {
    udivBy32(alo, ahi, blo >>> 0);
    out[d] = QR[2] | 0;
    out[d + 1] = 0;
  } else {
    setBigInt(out, d, pairToBigInt(alo, ahi) % pairToBigInt(blo, bhi));
  }
}

/** DIVW: 32-bit signed quotient, sign-extended. */
export function divw(a: number, b: number): number {
  if (b === 0) return -1;
  if (a === -0x80000000 && b === -1) return a;
  return (a / b) | 0;
}

/** DIVUW: 32-bit unsigned quotient, sign-extended. */
export function divuw(a: number, b: number): number {
  if (b === 0) return -1;
  return Math.floor((a >>> 0) / (b >>> 0)) | 0;
}

/** REMW. */
export function remw(a: number, b: number): number {
  if (b === 0) return a;
  if (b === -1) return 0;
  return a % b | 0;
}

/** REMUW. */
export function remuw(a: number, b: number): number {
  if (b === 0) return a;
  return (a >>> 0) % (b >>> 0) | 0;
}

/** SLL by 0..63 into out[d..d+1]. */
export function sll64(out: Int32Array, d: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) {
    out[d] = lo;
    out[d + 1] = hi;
  } else if (sh < 32) {
    out[d + 1] = (hi << sh) | (lo >>> (32 - sh));
    out[d] = lo << sh;
  } else {
    out[d + 1] = lo << (sh - 32);
    out[d] = 0;
  }
}

/** SRL by 0..63. */
export function srl64(out: Int32Array, d: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) {
    out[d] = lo;
    out[d + 1] = hi;
  } else if (sh < 32) {
    out[d] = (lo >>> sh) | (hi << (32 - sh));
    out[d + 1] = hi >>> sh;
  } else {
    out[d] = hi >>> (sh - 32);
    out[d + 1] = 0;
  }
}

/** SRA by 0..63. */
export function sra64(out: Int32Array, d: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) {
    out[d] = lo;
    out[d + 1] = hi;
  } else if (sh < 32) {
    out[d] = (lo >>> sh) | (hi << (32 - sh));
    out[d + 1] = hi >> sh;
  } else {
    out[d] = hi >> (sh - 32);
    out[d + 1] = hi >> 31;
  }
}

/** Signed 64-bit less-than. */
export function lt64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0);
}

/** Unsigned 64-bit less-than. */
export function ltu64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  const ah = ahi >>> 0;
  const bh = bhi >>> 0;
  return ah < bh || (ah === bh && alo >>> 0 < blo >>> 0);
}
