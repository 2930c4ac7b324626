/**
 * Perfetto's protobuf trace format (protos/perfetto/trace/trace.proto and track_event/*.proto):
 * a Trace is `repeated TracePacket packet = 1`, so the file is a stream of field-1 records and
 * can be written packet by packet in bounded memory. The subset emitted (docs/vtr-format.md lists
 * it; test/trace/fixtures/perfetto_trace.proto decodes it):
 *
 *   TracePacket   timestamp=8, trusted_packet_sequence_id=10, track_event=11, sequence_flags=13,
 *                 track_descriptor=60
 *   TrackDescriptor uuid=1, name=2, process=3 {pid=1, process_name=6}, thread=4 {pid=1, tid=2,
 *                 thread_name=5}, parent_uuid=5, counter=8 {unit=3}
 *   TrackEvent    type=9 (SLICE_BEGIN 1, SLICE_END 2, INSTANT 3, COUNTER 4), track_uuid=11,
 *                 name=23, categories=22, debug_annotations=4 {name=10, bool=2, int=4, double=5,
 *                 string=6}, counter_value=30, flow_ids=47 (fixed64), terminating_flow_ids=48
 *
 * One packet sequence (id 1) holds everything; a track's descriptor is written before its first
 * event. Names are not interned. Times are the recording's CLOCK_MONOTONIC ns. Debug annotations
 * carry an event's arguments (pointers as "0x..." strings, integers beyond 2^53 as decimal
 * strings, NULL strings as "null") and correlation ids ("corr.req"...), as the Chrome export.
 *
 * Encoding: packets and track events carry their length as a two-byte varint (bytes.ts open/close:
 * a redundant form every protobuf decoder reads), so nothing is moved after it is written; a
 * tracepoint's constant bytes (name, annotation names) are encoded once, on first use.
 */
import * as fs from 'node:fs';
import { K_BOOL, K_PTR, K_STR, type RecordView } from '../event-codec';
import type { VtrCatalogEntry } from '../vtr-format';
import { Bytes, utf8 } from './bytes';
import { FLOW_END, type Encoder, type Slice, type Track } from './records';

const SEQ = 1;
const PROCESS_UUID = 1;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const TYPE_INSTANT = 3;
const TYPE_COUNTER = 4;
const UNIT_COUNT = 2;
const FLUSH_AT = 4 << 20;

/** Field tags (field number << 3 | wire type), as varint bytes. */
const T_PACKET = 0x0a;
const T_TIMESTAMP = 0x40;
const T_SEQ_ID = 0x50;
const T_SEQ_FLAGS = 0x68;
const T_TRACK_EVENT = 0x5a;
const T_TYPE = 0x48;
const T_TRACK_UUID = 0x58;
const T_ANNOTATION = 0x22;
const A_BOOL = 0x10;
const A_INT = 0x20;
const A_STRING = 0x32;
const CORR_NAMES = ['corr.req', 'corr.co', 'corr.job', 'corr.head', 'corr.fd'].map(annotationName);

/** `name=10` of a DebugAnnotation, encoded. */
function annotationName(name: string): Uint8Array {
  const b = new Bytes(16);
  b.u8(0x52);
  b.protoString(name);
  return b.buf.slice(0, b.pos);
}

/** A string field, encoded: tag, length, UTF-8. */
function stringField(tag: number[], s: string): Uint8Array {
  const b = new Bytes(16);
  for (const t of tag) b.u8(t);
  b.protoString(s);
  return b.buf.slice(0, b.pos);
}

const CATEGORY = {
  event: stringField([0xb2, 0x01], 'vtrace.event'),
  slice: stringField([0xb2, 0x01], 'vtrace'),
  coroutine: stringField([0xb2, 0x01], 'vtrace.coroutine'),
};

interface Template {
  /** name=23, encoded. */
  name: Uint8Array;
  /** DebugAnnotation.name per argument, encoded. */
  keys: Uint8Array[];
}

export class PerfettoEncoder implements Encoder {
  readonly holdOpenSlices = false;
  private readonly out = new Bytes(FLUSH_AT + (1 << 20));
  private readonly templates: (Template | undefined)[] = [];
  private first = true;
  packets = 0;

  constructor(
    private readonly fd: number,
    private readonly pid: number,
    private readonly catalog: readonly VtrCatalogEntry[],
    processName: string,
  ) {
    const o = this.out;
    const p = this.openPacket(o, 0);
    o.varint((60 << 3) | 2);
    const d = o.open();
    o.u8(0x08);
    o.varint(PROCESS_UUID);
    o.u8(0x1a);
    const pr = o.open();
    o.u8(0x08);
    o.varint(pid);
    o.u8(0x32);
    o.protoString(processName);
    o.close(pr);
    o.close(d);
    this.closePacket(o, p);
  }

  private template(tpId: number): Template {
    let t = this.templates[tpId];
    if (t === undefined) {
      const c = this.catalog[tpId];
      t = { name: stringField([0xba, 0x01], c.name), keys: c.argNames.map(annotationName) };
      this.templates[tpId] = t;
    }
    return t;
  }

  /** TracePacket header: timestamp (if any), the sequence, its "cleared" flag on the first. */
  private openPacket(b: Bytes, ns: number): number {
    b.u8(T_PACKET);
    const m = b.open();
    if (ns > 0) {
      b.u8(T_TIMESTAMP);
      b.varint(ns);
    }
    b.u8(T_SEQ_ID);
    b.u8(SEQ);
    if (this.first) {
      b.u8(T_SEQ_FLAGS);
      b.u8(1); // SEQ_INCREMENTAL_STATE_CLEARED
      this.first = false;
    }
    return m;
  }

  private closePacket(b: Bytes, m: number): void {
    b.close(m);
    this.packets++;
  }

  /** Open a TrackEvent of `type` on `track` (inside an open packet); returns its mark. */
  private openEvent(b: Bytes, track: Track, type: number): number {
    b.u8(T_TRACK_EVENT);
    const e = b.open();
    b.u8(T_TYPE);
    b.u8(type);
    b.u8(T_TRACK_UUID);
    b.varint(1000 + track.index);
    return e;
  }

  private flushIfFull(): void {
    if (this.out.pos >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    let done = 0;
    const b = this.out.buf;
    while (done < this.out.pos) done += fs.writeSync(this.fd, b, done, this.out.pos - done);
    this.out.pos = 0;
  }

  track(t: Track): void {
    const o = this.out;
    const p = this.openPacket(o, 0);
    o.varint((60 << 3) | 2);
    const d = o.open();
    o.u8(0x08);
    o.varint(1000 + t.index);
    o.u8(0x12);
    o.protoString(t.name);
    if (t.kind === 'thread') {
      o.u8(0x22);
      const th = o.open();
      o.u8(0x08);
      o.varint(this.pid);
      o.u8(0x10);
      o.varint(t.tid);
      o.u8(0x2a);
      o.protoString(t.name);
      o.close(th);
    } else {
      o.u8(0x28);
      o.varint(PROCESS_UUID);
      if (t.kind === 'counter') {
        o.u8(0x42);
        o.u8(2);
        o.u8(0x18);
        o.u8(UNIT_COUNT);
      }
    }
    o.close(d);
    this.closePacket(o, p);
    this.flushIfFull();
  }

  /** The record's arguments and correlation ids as debug annotations. */
  args(a: Bytes, v: RecordView): void {
    const keys = this.template(v.tpId).keys;
    const kinds = v.kinds;
    for (let i = 0; i < v.nargs; i++) {
      a.u8(T_ANNOTATION);
      const m = a.openShort();
      a.bytes(keys[i]);
      const k = kinds[i];
      if (k === K_STR) {
        const len = v.strLen(i);
        a.u8(A_STRING);
        if (len < 0) a.protoString('null');
        else {
          a.varint(len);
          a.copy(v.buf, v.strStart(i), v.strStart(i) + len);
        }
      } else if (k === K_BOOL) {
        a.u8(A_BOOL);
        a.u8(v.bool(i) ? 1 : 0);
      } else {
        const n = v.num(i);
        if (v.wide) {
          const x = v.int(i);
          if (typeof x === 'number' && k !== K_PTR) {
            a.u8(A_INT);
            a.varint64(x);
          } else {
            a.u8(A_STRING);
            a.protoString(k === K_PTR ? `0x${x.toString(16)}` : String(x));
          }
        } else if (k !== K_PTR) {
          a.u8(A_INT);
          a.varint64(n);
        } else {
          a.u8(A_STRING);
          const lm = a.openShort();
          a.ascii(n < 0 ? '0x-' : '0x');
          a.hex(Math.abs(n));
          a.closeShort(lm);
        }
      }
      a.closeShort(m);
    }
    const mask = v.mask;
    for (let i = 0; i < 5; i++) {
      if ((mask & (1 << i)) === 0) continue;
      a.u8(T_ANNOTATION);
      const m = a.openShort();
      a.bytes(CORR_NAMES[i]);
      a.u8(A_INT);
      a.varint64(v.corr[i]);
      a.closeShort(m);
    }
  }

  extra(a: Bytes, _hasArgs: boolean, key: string, v: RecordView, i: number): void {
    a.u8(T_ANNOTATION);
    const m = a.openShort();
    a.u8(0x52);
    a.protoString(key);
    a.u8(A_STRING);
    const len = v.strLen(i);
    if (len < 0) a.protoString('null');
    else {
      a.varint(len);
      a.copy(v.buf, v.strStart(i), v.strStart(i) + len);
    }
    a.closeShort(m);
  }

  instant(a: Bytes, track: Track, v: RecordView): void {
    const p = this.openPacket(a, v.ns);
    const e = this.openEvent(a, track, TYPE_INSTANT);
    a.bytes(CATEGORY.event);
    a.bytes(this.template(v.tpId).name);
    this.args(a, v);
    a.close(e);
    this.closePacket(a, p);
  }

  counter(a: Bytes, track: Track, ns: number, value: number): void {
    const p = this.openPacket(a, ns);
    const e = this.openEvent(a, track, TYPE_COUNTER);
    a.u8(0xf0);
    a.u8(0x01);
    a.varint64(value);
    a.close(e);
    this.closePacket(a, p);
  }

  asyncSlice(a: Bytes, begin: boolean, lane: Track, _id: number, name: string, _tid: number, ns: number, v: RecordView | null): void {
    const p = this.openPacket(a, ns);
    const e = this.openEvent(a, lane, begin ? TYPE_SLICE_BEGIN : TYPE_SLICE_END);
    if (begin) {
      a.bytes(CATEGORY.coroutine);
      a.u8(0xba);
      a.u8(0x01);
      a.protoString(name);
      if (v !== null) this.args(a, v);
    }
    a.close(e);
    this.closePacket(a, p);
  }

  writeRaw(src: Uint8Array, off: number, len: number, _count: number): void {
    this.out.copy(src, off, off + len);
    this.flushIfFull();
  }

  writeSlice(s: Slice, arena: Uint8Array): void {
    const o = this.out;
    const p = this.openPacket(o, s.ns);
    const e = this.openEvent(o, s.track, TYPE_SLICE_BEGIN);
    o.bytes(CATEGORY.slice);
    o.u8(0xba);
    o.u8(0x01);
    o.protoString(s.name);
    if (s.argsOff >= 0) o.copy(arena, s.argsOff, s.argsOff + s.argsLen);
    if (s.extraOff >= 0) o.copy(arena, s.extraOff, s.extraOff + s.extraLen);
    const flows = s.flows;
    if (flows !== null) {
      for (let i = 0; i < flows.length; i += 2) {
        if (flows[i + 1] === FLOW_END) {
          o.u8(0x81);
          o.u8(0x03);
        } else {
          o.u8(0xf9);
          o.u8(0x02);
        }
        o.fixed64(flows[i]);
      }
    }
    o.close(e);
    this.closePacket(o, p);
    s.written = s.dur >= 0 ? 1 : 2;
    this.flushIfFull();
  }

  writeSliceEnd(s: Slice, ns: number): void {
    const o = this.out;
    const p = this.openPacket(o, ns);
    const e = this.openEvent(o, s.track, TYPE_SLICE_END);
    o.close(e);
    this.closePacket(o, p);
    this.flushIfFull();
  }

  close(): void {
    this.flush();
  }
}
