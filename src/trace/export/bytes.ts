/**
 * A growable byte buffer with the primitives the exporters write with: raw bytes, ASCII, decimal
 * integers, JSON strings, and the varints / fixed64 of protocol buffers
 * (https://protobuf.dev/programming-guides/encoding/). No per-call allocation on the hot paths.
 *
 * Contract: `pos` is the write position; `buf` may be replaced when it grows (re-read it after any
 * write). Numbers given to the integer writers are integers (safe integers unless stated).
 */

const textEncoder = new TextEncoder();
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const TWO32 = 4294967296;

export class Bytes {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 1 << 20) {
    this.buf = new Uint8Array(size);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  u8(v: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** `src[start, end)`. */
  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n < 24) {
      const b = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) b[p++] = src[i];
    } else this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  bytes(src: Uint8Array): void {
    this.copy(src, 0, src.length);
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

  /** Decimal digits of a non-negative integer (up to 2^53). */
  uint(v: number): void {
    this.ensure(16);
    if (v >= 1e9) {
      const hi = Math.floor(v / 1e9);
      this.uint(hi);
      this.digits(v - hi * 1e9, 9);
      return;
    }
    const b = this.buf;
    let n = v | 0;
    let len = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) len++;
    let p = this.pos + len;
    this.pos = p;
    do {
      const q = (n / 10) | 0;
      b[--p] = 48 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  /** Exactly `width` decimal digits of v < 10^width (zero-padded). */
  digits(v: number, width: number): void {
    this.ensure(width);
    const b = this.buf;
    let n = v | 0;
    for (let p = this.pos + width - 1; p >= this.pos; p--) {
      const q = (n / 10) | 0;
      b[p] = 48 + n - q * 10;
      n = q;
    }
    this.pos += width;
  }

  /** A signed integer in decimal; not a safe integer → JS's own text of the number. */
  int(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.utf8(Number.isFinite(v) ? String(v) : '0');
      return;
    }
    if (v < 0) {
      this.u8(45);
      v = -v;
    }
    this.uint(v);
  }

  /** ns as µs with ns precision ("12.345", "12"), as JS prints ns / 1000. */
  micros(ns: number): void {
    if (ns < 0) {
      this.u8(45);
      ns = -ns;
    }
    const us = Math.floor(ns / 1000);
    let frac = ns - us * 1000;
    this.uint(us);
    if (frac === 0) return;
    this.u8(46);
    let width = 3;
    while (frac % 10 === 0) {
      frac /= 10;
      width--;
    }
    this.digits(frac, width);
  }

  /** Lowercase hex digits of a non-negative integer (up to 2^53). */
  hex(v: number): void {
    this.ensure(16);
    if (v >= TWO32) {
      const hi = Math.floor(v / TWO32);
      this.hex(hi);
      const lo = v - hi * TWO32;
      for (let s = 28; s >= 0; s -= 4) this.buf[this.pos++] = HEX[(lo >>> s) & 15];
      return;
    }
    let n = v >>> 0;
    let len = 1;
    for (let t = n >>> 4; t !== 0; t >>>= 4) len++;
    const b = this.buf;
    let p = this.pos + len;
    this.pos = p;
    do {
      b[--p] = HEX[n & 15];
      n >>>= 4;
    } while (n !== 0);
  }

  /** A JSON string literal from UTF-8 bytes `src[start, start+len)` (escaping " \ and controls). */
  jsonBytes(src: Uint8Array, start: number, len: number): void {
    this.ensure(len + 2);
    const end = start + len;
    let b = this.buf;
    let p = this.pos;
    b[p++] = 34;
    for (let i = start; i < end; i++) {
      const c = src[i];
      if (c >= 0x20 && c !== 34 && c !== 92) {
        b[p++] = c;
        continue;
      }
      this.pos = p;
      this.ensure(end - i + 8);
      b = this.buf;
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
    this.pos = p;
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

  /** A protobuf string/bytes field body: varint length, then the UTF-8 of `s`. */
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
    this.varint(u.length);
    this.bytes(u);
  }

  /** Start a length-delimited body expected below 128 bytes: one byte reserved (see closeShort). */
  openShort(): number {
    this.ensure(1);
    this.pos += 1;
    return this.pos;
  }

  /** End a body started by openShort: its exact varint length, moving the body if it is longer. */
  closeShort(mark: number): void {
    const len = this.pos - mark;
    if (len < 0x80) {
      this.buf[mark - 1] = len;
      return;
    }
    let extra = 0;
    for (let n = len >>> 7; n > 0; n >>>= 7) extra++;
    this.ensure(extra);
    const b = this.buf;
    b.copyWithin(mark + extra, mark, this.pos);
    let p = mark - 1;
    let n = len;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p] = n;
    this.pos += extra;
  }

  // --- protocol buffers ---

  /** Unsigned varint of a non-negative safe integer. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    if (v < 0x80000000) {
      let n = v | 0;
      while (n >= 0x80) {
        b[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      b[p++] = n;
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      b[p++] = v;
    }
    this.pos = p;
  }

  /** An int64 varint of a safe integer (negative: ten bytes of two's complement, as protobuf). */
  varint64(v: number): void {
    if (v >= 0) {
      this.varint(v);
      return;
    }
    const hi = Math.floor(v / TWO32);
    let lo = v - hi * TWO32;
    let h = hi >>> 0;
    this.ensure(10);
    const b = this.buf;
    for (let i = 0; i < 9; i++) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = (lo >>> 7) | ((h & 0x7f) << 25);
      h >>>= 7;
    }
    b[this.pos++] = lo & 1;
  }

  /** A little-endian 64-bit value of a non-negative safe integer. */
  fixed64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO32);
    const lo = v - hi * TWO32;
    const b = this.buf;
    const p = this.pos;
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >>> 8;
    b[p + 6] = hi >>> 16;
    b[p + 7] = hi >>> 24;
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setFloat64(0, v, true);
    this.pos += 8;
  }

  /**
   * Start a length-delimited field's body: reserves two bytes for its length and returns the
   * mark to give close(). Lengths below 2^14 are written as a two-byte varint (a redundant
   * encoding protobuf decoders accept, as Perfetto's protozero writes its own), so no byte moves.
   */
  open(): number {
    this.ensure(2);
    this.pos += 2;
    return this.pos;
  }

  close(mark: number): void {
    const len = this.pos - mark;
    if (len < 0x4000) {
      this.buf[mark - 2] = (len & 0x7f) | 0x80;
      this.buf[mark - 1] = len >>> 7;
      return;
    }
    let extra = 1;
    for (let n = len >>> 21; n > 0; n >>>= 7) extra++;
    this.ensure(extra);
    const b = this.buf;
    b.copyWithin(mark + extra, mark, this.pos);
    let p = mark - 2;
    let n = len;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p] = n;
    this.pos += extra;
  }
}

/** A string's UTF-8 bytes (for templates computed once). */
export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}
