/**
 * One trace event as bytes (the record of docs/vtr-format.md §Events), the same in a thread's ring
 * and in the file, so the writer copies records without decoding them:
 *
 *   uvarint  length of what follows
 *   u64      time: host CLOCK_MONOTONIC ns (little-endian)
 *   uvarint  tracepoint index in the recording's catalog
 *   u8       correlation mask (CORR_BITS order: req, co, job, head, fd), then one svarint per bit set
 *   args     per the catalog's argument kinds: integers (int, uint, int64, uint64, ptr) as svarint,
 *            bool as one byte, strings as uvarint(byteLength+1) + UTF-8 (0 = NULL)
 *
 * Times are numbers (ns since boot; exact below 2^53 ns, about 104 days of uptime).
 * Decoding uses the catalog stored in the recording, never the running build's, so a recording
 * made before tracepoints changed still decodes (docs/vtr-format.md §Compatibility).
 */
import { ByteReader, ByteWriter, VarintError } from './varint';
import { argKind, type TraceArgKind } from './parse';
import type { FormatValue } from './format';

/** Correlation ids as recorded (the tracepoint Correlation plus the fd of a syscall). */
export interface RecordedCorrelation {
  req?: number;
  co?: number;
  job?: number;
  head?: number;
  fd?: number;
}

export const CORR_BITS = ['req', 'co', 'job', 'head', 'fd'] as const;
export type CorrKey = (typeof CORR_BITS)[number];

/** Argument kinds of one tracepoint, from its C types ('int' for anything unknown). */
export function argKinds(argTypes: readonly string[]): TraceArgKind[] {
  return argTypes.map((t) => argKind(t) ?? 'int');
}

function toInt(v: FormatValue): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/**
 * Append one record to `w` (which must be positioned where the record starts). Returns the record's
 * total length in bytes. The length prefix is written last, in place (reserved as 3 bytes when the
 * body may exceed 127 bytes, so records up to 2 MiB need no move).
 */
export function encodeRecord(
  w: ByteWriter,
  tpId: number,
  kinds: readonly TraceArgKind[],
  ns: number,
  corr: RecordedCorrelation | null,
  args: readonly FormatValue[],
): number {
  const start = w.pos;
  w.ensure(4);
  w.pos += 4; // room for the length varint (up to 4 bytes: < 2^28)
  const body = w.pos;
  w.u64(ns);
  w.uvarint(tpId);
  let mask = 0;
  if (corr !== null) {
    if (corr.req !== undefined) mask |= 1;
    if (corr.co !== undefined) mask |= 2;
    if (corr.job !== undefined) mask |= 4;
    if (corr.head !== undefined) mask |= 8;
    if (corr.fd !== undefined) mask |= 16;
  }
  w.u8(mask);
  if (mask !== 0) {
    if (mask & 1) w.svarint(corr!.req!);
    if (mask & 2) w.svarint(corr!.co!);
    if (mask & 4) w.svarint(corr!.job!);
    if (mask & 8) w.svarint(corr!.head!);
    if (mask & 16) w.svarint(corr!.fd!);
  }
  for (let i = 0; i < kinds.length; i++) {
    const v = args[i];
    switch (kinds[i]) {
      case 'string':
        w.str(v === null || v === undefined ? null : String(v));
        break;
      case 'bool':
        w.u8(v ? 1 : 0);
        break;
      default:
        w.svarint(toInt(v));
    }
  }
  // Write the length in the 4 reserved bytes, then close the gap left by a shorter varint.
  const len = w.pos - body;
  if (len >= 1 << 28) throw new RangeError(`trace record of ${len} bytes is too large`);
  const lenBytes = len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : 4;
  const b = w.buf;
  const at = body - lenBytes;
  let n = len;
  for (let i = 0; i < lenBytes - 1; i++) {
    b[at + i] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[at + lenBytes - 1] = n;
  if (at !== start) {
    b.copyWithin(start, at, w.pos);
    w.pos -= at - start;
  }
  return w.pos - start;
}

/** A decoded record (see RecEvent in vtr-reader.ts for the user-facing form). */
export interface DecodedRecord {
  ns: number;
  tpId: number;
  corr: RecordedCorrelation | null;
  args: FormatValue[];
}

/**
 * Decode the record at `r.pos` (advancing past it). `kindsOf(tpId)` gives the recording's argument
 * kinds (undefined for an index outside the catalog: VarintError). Trailing bytes inside a record
 * (written by a newer minor version) are skipped.
 */
export function decodeRecord(r: ByteReader, kindsOf: (tpId: number) => readonly TraceArgKind[] | undefined): DecodedRecord {
  const len = r.uint();
  const end = r.pos + len;
  if (end > r.end) throw new VarintError('record runs past the end of its chunk');
  const outer = r.end;
  r.end = end; // bounds checks stop at this record
  const sub = r;
  const ns = sub.u64();
  const tpId = sub.uint();
  const kinds = kindsOf(tpId);
  if (kinds === undefined) throw new VarintError(`tracepoint index ${tpId} is not in the recording's catalog`);
  const mask = sub.u8();
  let corr: RecordedCorrelation | null = null;
  if (mask !== 0) {
    corr = {};
    for (let i = 0; i < CORR_BITS.length; i++) {
      if (mask & (1 << i)) corr[CORR_BITS[i]] = Number(sub.svarint());
    }
  }
  const args: FormatValue[] = new Array(kinds.length);
  for (let i = 0; i < kinds.length; i++) {
    switch (kinds[i]) {
      case 'string':
        args[i] = sub.str();
        break;
      case 'bool':
        args[i] = sub.u8() !== 0;
        break;
      default:
        args[i] = sub.svarint();
    }
  }
  r.end = outer;
  r.pos = end;
  return { ns, tpId, corr, args };
}

/** Argument kinds as small integers for the hot paths (RecordView, the exporters). */
export const K_INT = 0;
export const K_PTR = 1;
export const K_BOOL = 2;
export const K_STR = 3;

export function kindCodes(kinds: readonly TraceArgKind[]): Uint8Array {
  return Uint8Array.from(kinds, (k) => (k === 'string' ? K_STR : k === 'bool' ? K_BOOL : k === 'ptr' ? K_PTR : K_INT));
}

const TWO32 = 4294967296;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * One record decoded in place, for readers that must not allocate per event (the exporters):
 * `parse` finds the fields of the record at a position of a chunk buffer — time, tracepoint,
 * correlation ids, and the byte offset of every argument — without decoding the arguments.
 * Accessors decode an argument on demand; strings can be copied as UTF-8 bytes (strStart/strLen).
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
  /** Byte offset just past the record. */
  next = 0;
  /** Set by num(): the last integer read did not fit 7 varint bytes. */
  wide = false;

  /** Parse the record at `pos` (< end) of `buf`; `kindsOf` gives the recording's kind codes. */
  parse(buf: Uint8Array, pos: number, end: number, kindsOf: readonly (Uint8Array | undefined)[]): void {
    this.buf = buf;
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

  /** An integer argument exactly: a number while safe, else a bigint (as decodeRecord). */
  int(i: number): number | bigint {
    const n = this.num(i);
    if (!this.wide) return n;
    return new ByteReader(this.buf, this.argAt[i], this.next).svarint();
  }

  bool(i: number): boolean {
    return this.buf[this.argAt[i]] !== 0;
  }

  /** String argument: byte offset of its UTF-8, and its length (-1: NULL). */
  strStart(i: number): number {
    let p = this.argAt[i];
    while (this.buf[p] >= 0x80) p++;
    return p + 1;
  }

  strLen(i: number): number {
    const buf = this.buf;
    let p = this.argAt[i];
    let n = 0;
    let shift = 0;
    for (;;) {
      const c = buf[p++];
      n += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) break;
      shift += 7;
    }
    return n - 1;
  }

  str(i: number): string | null {
    const len = this.strLen(i);
    if (len < 0) return null;
    const buf = this.buf;
    const start = this.strStart(i);
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

/** Time of the record at `pos` without decoding it (the writer's chunk bounds). Returns [ns, nextPos]. */
export function peekRecordTime(buf: Uint8Array, view: DataView, pos: number): [number, number] {
  let len = 0;
  let shift = 0;
  for (;;) {
    const c = buf[pos++];
    len |= (c & 0x7f) << shift;
    if (c < 0x80) break;
    shift += 7;
  }
  const ns = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * 4294967296;
  return [ns, pos + len];
}
