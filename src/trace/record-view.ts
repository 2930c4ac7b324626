/**
 * One .vtr record decoded in place (the format is event-codec.ts's), for readers that must not
 * allocate per event: the exporters, and vtr-reader.ts's events() underneath.
 */
import { ByteReader, VarintError } from './varint';
import { CORR_BITS, K_BOOL, K_STR, type RecordedCorrelation } from './event-codec';
import type { FormatValue } from './format';

const TWO32 = 4294967296;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * One record decoded in place, for readers that must not allocate per event (the exporters):
 * `parse` finds the fields of the record at a position of a chunk buffer — time, tracepoint,
 * correlation ids, and the byte offset of every argument — without decoding the arguments.
 * Accessors decode an argument on demand; strings can be copied as UTF-8 bytes (strAt, then slen).
 * The view is reused: its contents are valid until the next parse. Malformed records throw
 * VarintError (as decodeRecord).
 */
export class RecordView {
  buf: Uint8Array = new Uint8Array(0);
  ns = 0;
  tpId = 0;
  /** Correlation mask (CORR_BITS order) and the ids whose bit is set. */
  mask = 0;
  readonly corr = new Float64Array(5);
  /** Argument kinds of this record's tracepoint (K_*), and each argument's byte offset. */
  kinds: Uint8Array = new Uint8Array(0);
  nargs = 0;
  argAt = new Int32Array(16);
  /** Byte offset of the record (its length prefix) and just past it. */
  at = 0;
  next = 0;
  /** Set by strAt(): the string's byte length (-1: NULL). */
  slen = 0;
  /** Set by num(): the last integer read did not fit 7 varint bytes. */
  wide = false;

  /** Parse the record at `pos` (< end) of `buf`; `kindsOf` gives the recording's kind codes. */
  parse(buf: Uint8Array, pos: number, end: number, kindsOf: readonly (Uint8Array | undefined)[]): void {
    this.buf = buf;
    this.at = pos;
    let p = pos;
    let len = 0;
    let shift = 0;
    for (;;) {
      if (p >= end || shift > 21) throw new VarintError('record runs past the end of its chunk');
      const c = buf[p++];
      len += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) break;
      shift += 7;
    }
    const stop = p + len;
    if (stop > end || len < 10) throw new VarintError('record runs past the end of its chunk');
    this.next = stop;
    this.ns = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 16777216 + (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16)) * TWO32 + buf[p + 7] * 72057594037927936;
    p += 8;
    let tp = buf[p++];
    if (tp >= 0x80) {
      tp &= 0x7f;
      shift = 7;
      for (;;) {
        if (p >= stop || shift > 28) throw new VarintError('length or index out of range');
        const c = buf[p++];
        tp += (c & 0x7f) * 2 ** shift;
        if (c < 0x80) break;
        shift += 7;
      }
    }
    const kinds = kindsOf[tp];
    if (kinds === undefined) throw new VarintError(`tracepoint index ${tp} is not in the recording's catalog`);
    this.tpId = tp;
    this.kinds = kinds;
    if (p >= stop) throw new VarintError('record runs past the end of its chunk');
    const mask = buf[p++];
    this.mask = mask;
    if (mask !== 0) {
      for (let i = 0; i < 5; i++) {
        if ((mask & (1 << i)) === 0) continue;
        this.corr[i] = this.svarintAt(p, stop);
        p = this.next;
      }
      this.next = stop;
    }
    const n = kinds.length;
    if (n > this.argAt.length) this.argAt = new Int32Array(n * 2);
    const at = this.argAt;
    for (let i = 0; i < n; i++) {
      at[i] = p;
      const k = kinds[i];
      if (k === K_BOOL) p++;
      else if (k === K_STR) {
        let sl = 0;
        shift = 0;
        for (;;) {
          if (p >= stop || shift > 28) throw new VarintError('string runs past the end of its chunk');
          const c = buf[p++];
          sl += (c & 0x7f) * 2 ** shift;
          if (c < 0x80) break;
          shift += 7;
        }
        if (sl > 0) p += sl - 1;
      } else {
        let b = 0;
        while (p < stop && buf[p++] >= 0x80 && ++b < 10);
      }
      if (p > stop) throw new VarintError('record runs past the end of its chunk');
    }
    this.nargs = n;
  }

  /** The zigzag varint at `p` as a number (lossy beyond 2^53); sets `next` past it. */
  private svarintAt(p: number, stop: number): number {
    const buf = this.buf;
    let z = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= stop) throw new VarintError('varint runs past the end of its chunk');
      const c = buf[p++];
      z += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.next = p;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      mul *= 128;
    }
    throw new VarintError('varint longer than 10 bytes');
  }

  /**
   * An integer argument as a number; sets `wide` when its varint is longer than 7 bytes (then
   * the number may be inexact beyond 2^53: int() gives it exactly).
   */
  num(i: number): number {
    const buf = this.buf;
    let p = this.argAt[i];
    const c0 = buf[p];
    if (c0 < 0x80) {
      this.wide = false;
      return c0 & 1 ? -((c0 + 1) >>> 1) : c0 >>> 1;
    }
    let z = 0;
    let mul = 1;
    let k = 0;
    for (; k < 10; k++) {
      const c = buf[p++];
      z += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
    }
    this.wide = k >= 7;
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /**
   * Integer argument `i` exactly, without a bigint: its sign into `neg` and its magnitude into
   * `hi`/`lo` (unsigned 32-bit halves). The zigzag varint may hold 65 bits (uint64 ≥ 2^63).
   */
  parts(i: number): void {
    const buf = this.buf;
    let p = this.argAt[i];
    let lo28 = 0;
    let mid28 = 0;
    let top = 0;
    for (let k = 0; k < 10; k++) {
      const c = buf[p++];
      const d = c & 0x7f;
      if (k < 4) lo28 |= d << (7 * k);
      else if (k < 8) mid28 |= d << (7 * (k - 4));
      else top |= d << (7 * (k - 8));
      if (c < 0x80) break;
    }
    const zlo = (lo28 | (mid28 << 28)) >>> 0;
    const zhi = ((mid28 >>> 4) | (top << 24)) >>> 0;
    const ztop = top >>> 8;
    let mlo = ((zlo >>> 1) | ((zhi & 1) << 31)) >>> 0;
    let mhi = ((zhi >>> 1) | ((ztop & 1) << 31)) >>> 0;
    this.neg = (zlo & 1) === 1;
    if (this.neg) {
      mlo = (mlo + 1) >>> 0;
      if (mlo === 0) mhi = (mhi + 1) >>> 0;
    }
    this.hi = mhi;
    this.lo = mlo;
  }

  /** Set by parts(). */
  neg = false;
  hi = 0;
  lo = 0;

  /** An integer argument exactly: a number while safe, else a bigint (as decodeRecord). */
  int(i: number): number | bigint {
    const n = this.num(i);
    if (!this.wide) return n;
    return new ByteReader(this.buf, this.argAt[i], this.next).svarint();
  }

  bool(i: number): boolean {
    return this.buf[this.argAt[i]] !== 0;
  }

  /** String argument `i`: the byte offset of its UTF-8; its length goes to `slen` (-1: NULL). */
  strAt(i: number): number {
    const buf = this.buf;
    let p = this.argAt[i];
    let c = buf[p++];
    let n = c & 0x7f;
    for (let shift = 7; c >= 0x80; shift += 7) {
      c = buf[p++];
      n += (c & 0x7f) * 2 ** shift;
    }
    this.slen = n - 1;
    return p;
  }

  /** String argument `i`'s byte length (-1: NULL). */
  strLen(i: number): number {
    this.strAt(i);
    return this.slen;
  }

  str(i: number): string | null {
    const start = this.strAt(i);
    const len = this.slen;
    if (len < 0) return null;
    const buf = this.buf;
    if (len <= 32) {
      let s = '';
      for (let p = start; p < start + len; p++) {
        const c = buf[p];
        if (c >= 0x80) return textDecoder.decode(buf.subarray(start, start + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(buf.subarray(start, start + len));
  }

  /** Argument `i` as decodeRecord gives it. */
  value(i: number): FormatValue {
    const k = this.kinds[i];
    return k === K_STR ? this.str(i) : k === K_BOOL ? this.bool(i) : this.int(i);
  }

  /** The correlation ids as an object (null when none), as decodeRecord gives them. */
  correlation(): RecordedCorrelation | null {
    const mask = this.mask;
    if (mask === 0) return null;
    const c: RecordedCorrelation = {};
    for (let i = 0; i < 5; i++) if (mask & (1 << i)) c[CORR_BITS[i]] = this.corr[i];
    return c;
  }
}

