/**
 * Byte output for the exporters: a growable buffer (Bytes) and the primitives they write with —
 * raw bytes, decimal integers, µs times, hex, JSON strings.
 *
 * (protobuf.ts has the protocol-buffers primitives.) The primitives are free functions
 * `put*(b, p, ...) → p'`: they write at `p` without bounds
 * checks and return the position after what they wrote, so an encoder can reserve room once per
 * record (Bytes.ensure with an upper bound) and then write with local variables only. The bounds
 * each needs are given with it. Numbers given to the integer writers are integers (safe integers
 * unless stated). Bytes' own methods check bounds themselves (for the rare, unbounded cases).
 */

import { closeLen2, putVarint } from './protobuf';
import { growBuffer } from '../varint';

const textEncoder = new TextEncoder();
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const TWO32 = 4294967296;

/** `src` (any length). */
export function putBytes(b: Uint8Array, p: number, src: Uint8Array): number {
  const n = src.length;
  // A byte loop costs ~1 ns a byte; set() a constant ~20 ns: loops only for the shortest.
  if (n < 12) {
    for (let i = 0; i < n; i++) b[p + i] = src[i];
  } else b.set(src, p);
  return p + n;
}

/** "00".."99" as 200 bytes: two decimal digits per division. */
const DIGITS2 = Uint8Array.from({ length: 200 }, (_, i) => 48 + ((i & 1) === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/** Decimal digits of a non-negative integer (≤ 16 bytes up to 2^53). */
export function putUint(b: Uint8Array, p: number, v: number): number {
  if (v >= 1e9) {
    const hi = Math.floor(v / 1e9);
    p = putUint(b, p, hi);
    return putDigits(b, p, v - hi * 1e9, 9);
  }
  let n = v | 0;
  const len = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : 9;
  const end = p + len;
  let i = end;
  while (n >= 100) {
    const q = (n / 100) | 0;
    const r = (n - q * 100) << 1;
    b[--i] = DIGITS2[r + 1];
    b[--i] = DIGITS2[r];
    n = q;
  }
  if (n >= 10) {
    b[--i] = DIGITS2[(n << 1) + 1];
    b[--i] = DIGITS2[n << 1];
  } else b[--i] = 48 + n;
  return end;
}

/** Exactly `width` decimal digits of v < 10^width (zero-padded). */
export function putDigits(b: Uint8Array, p: number, v: number, width: number): number {
  let n = v | 0;
  for (let i = p + width - 1; i >= p; i--) {
    const q = (n / 10) | 0;
    b[i] = 48 + n - q * 10;
    n = q;
  }
  return p + width;
}

/** A signed safe integer in decimal (≤ 17 bytes). */
export function putInt(b: Uint8Array, p: number, v: number): number {
  if (v < 0) {
    b[p++] = 45;
    v = -v;
  }
  return putUint(b, p, v);
}

/** ns as µs with ns precision ("12.345", "12"), as JS prints ns / 1000 (≤ 22 bytes). */
export function putMicros(b: Uint8Array, p: number, ns: number): number {
  if (ns < 0) {
    b[p++] = 45;
    ns = -ns;
  }
  const us = Math.floor(ns / 1000);
  const frac = ns - us * 1000;
  p = putUint(b, p, us);
  if (frac === 0) return p;
  // ".d", ".dd" or ".ddd" without trailing zeros: 4 bytes per value from a table.
  const t = frac << 2;
  b[p] = 46;
  b[p + 1] = FRACTIONS[t + 1];
  b[p + 2] = FRACTIONS[t + 2];
  b[p + 3] = FRACTIONS[t + 3];
  return p + FRACTIONS[t];
}

/** Per 1..999: the length of ".ddd" less its trailing zeros, then its three digits. */
const FRACTIONS = new Uint8Array(4000);
for (let f = 1; f < 1000; f++) {
  const d = String(f).padStart(3, '0');
  FRACTIONS[4 * f] = 1 + d.replace(/0+$/, '').length;
  for (let i = 0; i < 3; i++) FRACTIONS[4 * f + 1 + i] = d.charCodeAt(i);
}

/** Lowercase hex digits of a non-negative integer up to 2^53 (≤ 14 bytes). */
export function putHex(b: Uint8Array, p: number, v: number): number {
  if (v >= TWO32) {
    const hi = Math.floor(v / TWO32);
    p = putHex(b, p, hi);
    const lo = v - hi * TWO32;
    for (let s = 28; s >= 0; s -= 4) b[p++] = HEX[(lo >>> s) & 15];
    return p;
  }
  let n = v >>> 0;
  let len = 1;
  for (let t = n >>> 4; t !== 0; t >>>= 4) len++;
  const end = p + len;
  let i = end;
  do {
    b[--i] = HEX[n & 15];
    n >>>= 4;
  } while (n !== 0);
  return end;
}

const limbs = new Int32Array(5);

/** Decimal digits of the unsigned 64-bit integer hi·2^32 + lo (≤ 20 bytes), without a bigint. */
export function putU64(b: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi < 0x200000) return putUint(b, p, hi * TWO32 + lo);
  // Long division of four 16-bit limbs by 10^4, collecting base-10^4 digits.
  let a3 = hi >>> 16;
  let a2 = hi & 0xffff;
  let a1 = lo >>> 16;
  let a0 = lo & 0xffff;
  let n = 0;
  while ((a3 | a2 | a1 | a0) !== 0) {
    let cur = a3;
    a3 = Math.floor(cur / 1e4);
    let r = cur - a3 * 1e4;
    cur = r * 65536 + a2;
    a2 = Math.floor(cur / 1e4);
    r = cur - a2 * 1e4;
    cur = r * 65536 + a1;
    a1 = Math.floor(cur / 1e4);
    r = cur - a1 * 1e4;
    cur = r * 65536 + a0;
    a0 = Math.floor(cur / 1e4);
    limbs[n++] = cur - a0 * 1e4;
  }
  p = putUint(b, p, limbs[--n]);
  while (n > 0) p = putDigits(b, p, limbs[--n], 4);
  return p;
}

/** Lowercase hex digits of the unsigned 64-bit integer hi·2^32 + lo (≤ 16 bytes). */
export function putHex64(b: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi === 0) return putHex(b, p, lo);
  p = putHex(b, p, hi);
  for (let s = 28; s >= 0; s -= 4) b[p++] = HEX[(lo >>> s) & 15];
  return p;
}

/**
 * `s` as a JSON string literal when it is plain printable ASCII (no escapes needed): ≤ length + 2
 * bytes; returns -1 (nothing written that counts) otherwise, for the caller's general path.
 */
export function putAsciiJson(b: Uint8Array, p: number, s: string): number {
  const n = s.length;
  b[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 34 || c === 92) return -1;
    b[p++] = c;
  }
  b[p++] = 34;
  return p;
}

/** A JSON string literal of UTF-8 bytes `src[start, start+len)`: ≤ 6·len + 2 bytes. */
export function putJsonBytes(b: Uint8Array, p: number, src: Uint8Array, start: number, len: number): number {
  const end = start + len;
  b[p++] = 34;
  for (let i = start; i < end; i++) {
    const c = src[i];
    if (c >= 0x20 && c !== 34 && c !== 92) {
      b[p++] = c;
      continue;
    }
    b[p++] = 92;
    if (c === 34 || c === 92) b[p++] = c;
    else if (c === 10) b[p++] = 110;
    else if (c === 13) b[p++] = 114;
    else if (c === 9) b[p++] = 116;
    else {
      b[p++] = 117;
      b[p++] = 48;
      b[p++] = 48;
      b[p++] = HEX[c >> 4];
      b[p++] = HEX[c & 15];
    }
  }
  b[p++] = 34;
  return p;
}

export class Bytes {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 1 << 20) {
    this.buf = new Uint8Array(size);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.buf = growBuffer(this.buf, this.pos, n);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** `src[start, end)`. */
  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n < 48) {
      // set() of a subarray costs an object (~60 ns): a loop is as fast below ~40 bytes.
      const b = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) b[p++] = src[i];
    } else this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.pos = putBytes(this.buf, this.pos, src);
  }

  /** A short ASCII string (constant text), byte by byte. */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A string as UTF-8 (any string; not for the hot path). */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += textEncoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** A JSON string literal of any string (JSON.stringify's text). */
  json(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === 34 || c === 92) {
        this.utf8(JSON.stringify(s));
        return;
      }
      b[p++] = c;
    }
    b[p++] = 34;
    this.pos = p;
  }

  /** A protobuf string field's body: varint length, then the UTF-8 of `s`. */
  protoString(s: string): void {
    const n = s.length;
    if (n < 0x80) {
      this.ensure(n + 1);
      const b = this.buf;
      const at = this.pos;
      let p = at + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = -1;
          break;
        }
        b[p++] = c;
      }
      if (p >= 0) {
        b[at] = n;
        this.pos = p;
        return;
      }
    }
    const u = textEncoder.encode(s);
    this.ensure(u.length + 8);
    this.pos = putVarint(this.buf, this.pos, u.length);
    this.bytes(u);
  }

  varint(v: number): void {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, v);
  }

  /** Start a length-delimited body (see closeLen2); returns its mark. */
  open(): number {
    this.ensure(2);
    this.pos += 2;
    return this.pos;
  }

  /** End a body started at `mark` (by open() or by hand: two bytes reserved before it). */
  close(mark: number): void {
    if (closeLen2(this.buf, mark, this.pos)) return;
    const len = this.pos - mark;
    let extra = 1;
    for (let n = len >>> 21; n > 0; n >>>= 7) extra++;
    this.ensure(extra);
    const b = this.buf;
    b.copyWithin(mark + extra, mark, this.pos);
    this.pos = putVarint(b, mark - 2, len) + (this.pos - mark);
  }
}

/** A string's UTF-8 bytes (for templates computed once). */
export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}
