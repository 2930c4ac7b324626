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
import { ByteReader, ByteWriter, putFixed64, VarintError } from './varint';
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

/** Argument kinds as small integers for the hot paths (the recorder, RecordView, the exporters). */
export const K_INT = 0;
export const K_PTR = 1;
export const K_BOOL = 2;
export const K_STR = 3;

export function kindCodes(kinds: readonly TraceArgKind[]): Uint8Array {
  return Uint8Array.from(kinds, (k) => (k === 'string' ? K_STR : k === 'bool' ? K_BOOL : k === 'ptr' ? K_PTR : K_INT));
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
 * total length in bytes.
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
  const at = encodeEvent(w, tpId, kindCodes(kinds), ns, corr, args);
  if (at !== start) {
    w.buf.copyWithin(start, at, w.pos);
    w.pos -= at - start;
  }
  return w.pos - start;
}

/**
 * The recorder's hot path: one record into `w` after w.pos, with one bounds reservation, then
 * plain stores (small integers and ASCII strings without a library call). The body goes 4 bytes
 * past w.pos and its length varint right before it, so nothing moves: the record is
 * [returned offset, w.pos), and it starts 0 to 3 bytes after the old w.pos.
 */
export function encodeEvent(
  w: ByteWriter,
  tpId: number,
  kinds: Uint8Array,
  ns: number,
  corr: RecordedCorrelation | null,
  args: readonly FormatValue[],
): number {
  const n = kinds.length;
  let bound = 4 + 8 + 5 + 1 + 5 * 10 + n * 10;
  for (let i = 0; i < n; i++) {
    const v = args[i];
    if (kinds[i] === K_STR) bound += typeof v === 'string' ? 5 + 3 * v.length : 32;
  }
  w.ensure(bound);
  let b = w.buf;
  const body = w.pos + 4;
  let p = putFixed64(b, body, ns);
  let t = tpId;
  while (t >= 0x80) {
    b[p++] = (t & 0x7f) | 0x80;
    t >>>= 7;
  }
  b[p++] = t;
  let mask = 0;
  if (corr !== null) {
    if (corr.req !== undefined) mask |= 1;
    if (corr.co !== undefined) mask |= 2;
    if (corr.job !== undefined) mask |= 4;
    if (corr.head !== undefined) mask |= 8;
    if (corr.fd !== undefined) mask |= 16;
  }
  b[p++] = mask;
  if (mask !== 0) {
    const c = corr!;
    if (mask & 1) p = putSvarint(w, p, c.req!);
    if (mask & 2) p = putSvarint(w, p, c.co!);
    if (mask & 4) p = putSvarint(w, p, c.job!);
    if (mask & 8) p = putSvarint(w, p, c.head!);
    if (mask & 16) p = putSvarint(w, p, c.fd!);
  }
  for (let i = 0; i < n; i++) {
    const v = args[i];
    const k = kinds[i];
    if (k === K_STR) {
      if (v === null || v === undefined) b[p++] = 0;
      else p = putString(w, p, typeof v === 'string' ? v : String(v));
      b = w.buf;
    } else if (k === K_BOOL) b[p++] = v ? 1 : 0;
    else if (typeof v === 'number' && (v | 0) === v) {
      let z = ((v << 1) ^ (v >> 31)) >>> 0;
      while (z >= 0x80) {
        b[p++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      b[p++] = z;
    } else {
      p = putSvarint(w, p, toInt(v));
      b = w.buf;
    }
  }
  const len = p - body;
  if (len >= 1 << 28) throw new RangeError(`trace record of ${len} bytes is too large`);
  const lenBytes = len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : 4;
  const at = body - lenBytes;
  let m = len;
  for (let i = 0; i < lenBytes - 1; i++) {
    b[at + i] = (m & 0x7f) | 0x80;
    m >>>= 7;
  }
  b[at + lenBytes - 1] = m;
  w.pos = p;
  return at;
}

/** A zigzag varint at `p` of w.buf (room reserved); returns the end. */
function putSvarint(w: ByteWriter, p: number, v: number | bigint): number {
  w.pos = p;
  w.svarint(v);
  return w.pos;
}

/** A string (uvarint byteLength+1, UTF-8) at `p` of w.buf (room reserved: 5 + 3 per UTF-16 unit). */
function putString(w: ByteWriter, p: number, s: string): number {
  const n = s.length;
  if (n < 0x7f) {
    const b = w.buf;
    const at = p;
    p++;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[p++] = c;
    }
    if (i === n) {
      b[at] = n + 1;
      return p;
    }
    p = at;
  }
  w.pos = p;
  w.str(s);
  return w.pos;
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
