/**
 * Protocol-buffers encoding for the Perfetto exporter (https://protobuf.dev/programming-guides/encoding/):
 * varints (wire type 0), fixed64 (1), length-delimited bodies (2). Free functions writing at `p`
 * of a buffer with room reserved, returning the end (as bytes.ts). Not a general library: only
 * what perfetto.ts writes.
 */
const TWO32 = 4294967296;
const textEncoder = new TextEncoder();

/**
 * Unsigned varint of a non-negative safe integer (≤ 8 bytes). Beyond 2^31 (timestamps: ~2^45 ns)
 * the low 28 bits go out as four fixed groups and the rest in int32 arithmetic, without a float
 * division per byte.
 */
export function putVarint(b: Uint8Array, p: number, v: number): number {
  let n: number;
  if (v < 0x80000000) n = v | 0;
  else {
    const lo = v >>> 0;
    b[p++] = (lo & 0x7f) | 0x80;
    b[p++] = ((lo >>> 7) & 0x7f) | 0x80;
    b[p++] = ((lo >>> 14) & 0x7f) | 0x80;
    b[p++] = ((lo >>> 21) & 0x7f) | 0x80;
    n = (lo >>> 28) | (((v - lo) / TWO32) << 4); // < 2^25 for v < 2^53
  }
  while (n >= 0x80) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  return p;
}

/** An int64 varint of a safe integer (negative: ten bytes of two's complement, as protobuf). */
export function putVarint64(b: Uint8Array, p: number, v: number): number {
  if (v >= 0) return putVarint(b, p, v);
  const hi = Math.floor(v / TWO32);
  let lo = v - hi * TWO32;
  let h = hi >>> 0;
  for (let i = 0; i < 9; i++) {
    b[p++] = (lo & 0x7f) | 0x80;
    lo = (lo >>> 7) | ((h & 0x7f) << 25);
    h >>>= 7;
  }
  b[p++] = lo & 1;
  return p;
}

/** A little-endian 64-bit value of a non-negative safe integer (8 bytes): the .vtr codec's. */
export { putFixed64 } from '../varint';

/**
 * Length-delimited bodies: reserve two bytes for the length, write the body, then closeLen()
 * writes the length as a two-byte varint (a redundant form protobuf decoders accept, as
 * Perfetto's protozero writes its own), so nothing moves — unless the body reaches 2^14 bytes,
 * when it is moved to make room (Bytes.closeLen).
 */
export function closeLen2(b: Uint8Array, mark: number, end: number): boolean {
  const len = end - mark;
  if (len >= 0x4000) return false;
  b[mark - 2] = (len & 0x7f) | 0x80;
  b[mark - 1] = len >>> 7;
  return true;
}

/** A length-delimited field, encoded: tag bytes, length, UTF-8 (constant fields, computed once). */
export function stringField(tag: readonly number[], s: string): Uint8Array {
  const u = textEncoder.encode(s);
  const b = new Uint8Array(tag.length + 10 + u.length);
  let p = 0;
  for (const t of tag) b[p++] = t;
  p = putVarint(b, p, u.length);
  b.set(u, p);
  return b.slice(0, p + u.length);
}

/** End the length-delimited body from `mark` (two bytes reserved before it) to `end`; returns the end. */
export function closeAt(b: Uint8Array, mark: number, end: number): number {
  if (closeLen2(b, mark, end)) return end;
  const len = end - mark;
  const extra = len < 1 << 21 ? 1 : 2; // bodies stay far below 2^28
  b.copyWithin(mark + extra, mark, end);
  putVarint(b, mark - 2, len);
  return end + extra;
}

/** As closeAt, for a body with one byte reserved before it (annotations: usually < 128 bytes). */
export function closeShort(b: Uint8Array, mark: number, end: number): number {
  const len = end - mark;
  if (len < 0x80) {
    b[mark - 1] = len;
    return end;
  }
  const extra = len < 1 << 14 ? 1 : len < 1 << 21 ? 2 : 3;
  b.copyWithin(mark + extra, mark, end);
  putVarint(b, mark - 1, len);
  return end + extra;
}

