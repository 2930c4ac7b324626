/**
 * Byte-level codec of .vtr records (docs/vtr-format.md): LEB128 varints, zigzag for signed values,
 * little-endian u64 times, length-prefixed UTF-8 strings. Integers travel as JS numbers while they
 * are safe integers (|v| < 2^53) and as bigints beyond (guest addresses such as 0xffffffff80000000).
 *
 * Writer: a growable byte buffer (ByteWriter) reused across records. Reader: a cursor (ByteReader)
 * over a Uint8Array. Both are plain single-thread objects; a reader throws VarintError on data that
 * runs past its end (the caller turns it into "corrupt chunk" with the chunk's offset).
 */

export class VarintError extends Error {}

const TWO32 = 4294967296;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** A copy of `buf[0, pos)` in a buffer at least twice as large with room for `n` more bytes. */
export function growBuffer(buf: Uint8Array, pos: number, n: number): Uint8Array {
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const b = new Uint8Array(size);
  b.set(buf.subarray(0, pos));
  return b;
}

/** Little-endian 64-bit value of a non-negative safe integer at `p` (8 bytes); returns p + 8. */
export function putFixed64(b: Uint8Array, p: number, v: number): number {
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  b[p] = lo;
  b[p + 1] = lo >>> 8;
  b[p + 2] = lo >>> 16;
  b[p + 3] = lo >>> 24;
  b[p + 4] = hi;
  b[p + 5] = hi >>> 8;
  b[p + 6] = hi >>> 16;
  b[p + 7] = hi >>> 24;
  return p + 8;
}

export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(size = 4096) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.buf = growBuffer(this.buf, this.pos, n);
    this.view = new DataView(this.buf.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Unsigned varint of a bigint in [0, 2^64). */
  uvarintBig(v: bigint): void {
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  /** Zigzag varint of any integer value (number or bigint; non-integers are truncated, NaN is 0). */
  svarint(v: number | bigint): void {
    if (typeof v === 'number') {
      // Zigzag doubles the magnitude: exact as a number only below 2^52.
      if (Number.isSafeInteger(v) && v < 4503599627370496 && v > -4503599627370496) {
        this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
        return;
      }
      if (!Number.isFinite(v)) {
        this.uvarint(0);
        return;
      }
      v = BigInt(Math.trunc(v));
    }
    // Zigzag over 65 bits, so both int64 and uint64 values (up to 2^64 - 1) fit in 10 bytes.
    const z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    this.uvarintBig(z);
  }

  /** A u64 little-endian non-negative safe integer (event times in ns). */
  u64(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, v % TWO32, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / TWO32), true);
    this.pos += 8;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  /** A string: varint (byteLength + 1) then UTF-8; null/undefined as a single 0. */
  str(s: string | null | undefined): void {
    if (s === null || s === undefined) {
      this.uvarint(0);
      return;
    }
    // At most 3 bytes per UTF-16 unit; write the length after encoding, in the bytes it needs.
    const max = s.length * 3;
    const lenBytes = max + 1 < 0x80 ? 1 : max + 1 < 0x4000 ? 2 : max + 1 < 0x200000 ? 3 : 5;
    this.ensure(lenBytes + max);
    const start = this.pos + lenBytes;
    const { written } = textEncoder.encodeInto(s, this.buf.subarray(start, start + max));
    let n = written + 1;
    let p = this.pos;
    for (let i = 0; i < lenBytes - 1; i++) {
      this.buf[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[p] = n; // fits: lenBytes was chosen for the maximum
    this.pos = start + written;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export class ByteReader {
  pos: number;
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get left(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw new VarintError('record runs past the end of its chunk');
    return this.buf[this.pos++];
  }

  u32(): number {
    if (this.pos + 4 > this.end) throw new VarintError('record runs past the end of its chunk');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): number {
    if (this.pos + 8 > this.end) throw new VarintError('record runs past the end of its chunk');
    const v = this.view.getUint32(this.pos, true) + this.view.getUint32(this.pos + 4, true) * TWO32;
    this.pos += 8;
    return v;
  }

  /** Unsigned varint; a number while it is a safe integer, else a bigint. */
  uvarint(): number | bigint {
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new VarintError('varint runs past the end of its chunk');
      const c = b[this.pos++];
      result += (c & 0x7f) * mul;
      if (c < 0x80) return result;
      mul *= 0x80;
    }
    // More than 49 bits: finish in bigint.
    let big = BigInt(result);
    let shift = 49n;
    for (let i = 7; i < 10; i++) {
      if (this.pos >= this.end) throw new VarintError('varint runs past the end of its chunk');
      const c = b[this.pos++];
      big |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return Number.isSafeInteger(Number(big)) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      shift += 7n;
    }
    throw new VarintError('varint longer than 10 bytes');
  }

  /** A varint that must be a small non-negative number (lengths, indexes). */
  uint(): number {
    const v = this.uvarint();
    if (typeof v !== 'number') throw new VarintError('length or index out of range');
    return v;
  }

  svarint(): number | bigint {
    const z = this.uvarint();
    if (typeof z === 'number') return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    const v = z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  str(): string | null {
    const n = this.uint();
    if (n === 0) return null;
    const len = n - 1;
    if (this.pos + len > this.end) throw new VarintError('string runs past the end of its chunk');
    const b = this.buf;
    const start = this.pos;
    this.pos += len;
    if (len <= 64) {
      // Short ASCII strings (names, formatted arguments) without a TextDecoder call.
      let s = '';
      for (let i = start; i < start + len; i++) {
        const c = b[i];
        if (c >= 0x80) return textDecoder.decode(b.subarray(start, start + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(b.subarray(start, start + len));
  }
}
