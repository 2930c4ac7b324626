/**
 * Perfetto's protobuf trace format (protos/perfetto/trace/trace.proto and track_event/*.proto):
 * a Trace is `repeated TracePacket packet = 1`, so the file is a stream of field-1 records and
 * can be written packet by packet in bounded memory. The subset emitted (docs/vtr-format.md lists
 * it; test/trace/fixtures/perfetto_trace.proto decodes it):
 *
 *   TracePacket   timestamp=8, trusted_packet_sequence_id=10, track_event=11, interned_data=12,
 *                 sequence_flags=13, track_descriptor=60
 *   InternedData  event_categories=1, event_names=2, debug_annotation_names=3 (each {iid=1, name=2})
 *   TrackDescriptor uuid=1, name=2, process=3 {pid=1, process_name=6}, thread=4 {pid=1, tid=2,
 *                 thread_name=5}, parent_uuid=5, counter=8 {unit=3}
 *   TrackEvent    type=9 (SLICE_BEGIN 1, SLICE_END 2, INSTANT 3, COUNTER 4), track_uuid=11,
 *                 name_iid=10 (or name=23), category_iids=3, debug_annotations=4 {name_iid=1, bool=2,
 *                 int=4, string=6}, counter_value=30, flow_ids=47 (fixed64), terminating_flow_ids=48
 *
 * One packet sequence (id 1) holds everything; a track's descriptor is written before its first
 * event. Names are interned, as Perfetto's SDK does (interned_data, sequence_flags): categories,
 * event names (tracepoints and recurring slice names) and debug annotation names are each defined
 * once, in a packet of their own written ahead of everything still in the order window (so before
 * any packet that uses them), and events carry their iids (SEQ_NEEDS_INCREMENTAL_STATE); a
 * one-off slice name ("coroutine 12") stays a literal name. That halves the output. Times are the recording's CLOCK_MONOTONIC ns. Debug annotations
 * carry an event's arguments (pointers as "0x..." strings, integers beyond 2^53 as decimal
 * strings, NULL strings as "null") and correlation ids ("corr.req"...), as the Chrome export.
 *
 * Encoding: packets and track events carry their length as a two-byte varint (protobuf.ts closeLen2:
 * a redundant form every protobuf decoder reads), so nothing is moved after it is written; a
 * tracepoint's constant bytes (name, annotation names) are encoded once, on first use; an event's
 * values are written straight from the record's bytes after one bounds reservation.
 */
import type { RecordView } from '../record-view';
import type { VtrCatalogEntry } from '../vtr-format';
import { Bytes, putBytes } from './bytes';
import { closeAt, closeShort, putFixed64, putVarint, putVarint64, stringField } from './protobuf';
import { A_NAME_IID, ANNOTATION_ROOM, CORR_NAMES, putAnnotations, putStringValue, T_ANNOTATION } from './annotations';
import type { OutFile } from './out-file';
import { FLOW_END, type Encoder, type Slice, type Track } from './records';

const SEQ = 1;
const PROCESS_UUID = 1;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const TYPE_INSTANT = 3;
const TYPE_COUNTER = 4;
const UNIT_COUNT = 2;

/** Field tags (field number << 3 | wire type) as bytes. */
const T_PACKET = 0x0a;
const T_TIMESTAMP = 0x40;
const T_SEQ_ID = 0x50;
const T_SEQ_FLAGS = 0x68;
const T_INTERNED_DATA = 0x62;
/** sequence_flags: SEQ_INCREMENTAL_STATE_CLEARED, SEQ_NEEDS_INCREMENTAL_STATE. */
const SEQ_CLEARED = 1;
const SEQ_NEEDS_STATE = 2;
/** InternedData fields (all `repeated {iid=1, name=2}`). */
const I_CATEGORIES = 0x0a;
const I_EVENT_NAMES = 0x12;
const I_ANNOTATION_NAMES = 0x1a;
/** TrackEvent.category_iids (3), name_iid (10). */
const T_CATEGORY_IID = 0x18;
const T_NAME_IID = 0x50;
/** Distinct event names interned at most (beyond, names are written literally: bounded memory). */
const MAX_INTERNED = 1 << 16;
const T_TRACK_EVENT = 0x5a;
const T_TYPE = 0x48;
const T_TRACK_UUID = 0x58;
const T_NAME = [0xba, 0x01];
const T_CATEGORY = [0xb2, 0x01];
const T_COUNTER_VALUE = [0xf0, 0x01];
const T_FLOW_IDS = [0xf9, 0x02];
const T_TERMINATING_FLOW_IDS = [0x81, 0x03];
const T_TRACK_DESCRIPTOR = [0xe2, 0x03];

/** The three categories, interned as iids 1, 2, 3: their encoded category_iids fields. */
const CATEGORIES = ['vtrace.event', 'vtrace', 'vtrace.coroutine'];
const CAT_EVENT = Uint8Array.of(T_CATEGORY_IID, 1);
const CAT_SLICE = Uint8Array.of(T_CATEGORY_IID, 2);
const CAT_COROUTINE = Uint8Array.of(T_CATEGORY_IID, 3);

interface Template {
  /** TrackEvent.name_iid, encoded. */
  name: Uint8Array;
  /** DebugAnnotation.name_iid per argument, encoded. */
  keys: Uint8Array[];
  /** Bytes an instant of it takes at most, besides twice its record's size. */
  room: number;
}

export class PerfettoEncoder implements Encoder {
  readonly holdOpenSlices = false;
  private readonly out: Bytes;
  private readonly templates: (Template | undefined)[] = [];
  private readonly names: (Uint8Array | undefined)[] = [];
  /** Interned event names and debug annotation names: name → its encoded iid field. */
  private readonly eventNames = new Map<string, Uint8Array>();
  private readonly annotationNames = new Map<string, Uint8Array>();
  packets = 0;

  constructor(
    private readonly file: OutFile,
    private readonly pid: number,
    private readonly catalog: readonly VtrCatalogEntry[],
    processName: string,
  ) {
    this.out = file.out;
    // The first packet clears the sequence's incremental state (SEQ_INCREMENTAL_STATE_CLEARED).
    const o = this.out;
    const p = this.sequencePacket(SEQ_CLEARED);
    this.descriptorStart(o, PROCESS_UUID, null);
    o.u8(0x1a);
    const pr = o.open();
    o.u8(0x08);
    o.varint(pid);
    o.u8(0x32);
    o.protoString(processName);
    o.close(pr);
    this.descriptorEnd(o, p);
    CATEGORIES.forEach((c, i) => this.internPacket(I_CATEGORIES, i + 1, c));
    CORR_NAMES.forEach((n) => this.annotationName(n));
  }

  /** Open a TracePacket of our sequence with `flags` (sequence_flags); returns its open length. */
  private sequencePacket(flags: number): number {
    const o = this.out;
    o.u8(T_PACKET);
    const p = o.open();
    o.u8(T_SEQ_ID);
    o.u8(SEQ);
    o.u8(T_SEQ_FLAGS);
    o.u8(flags);
    return p;
  }

  /**
   * A packet defining one interned string (`field` of InternedData: iid, name), written at once:
   * ahead of every record still in the order window, so before any packet that refers to it.
   */
  private internPacket(field: number, iid: number, name: string): void {
    const o = this.out;
    const p = this.sequencePacket(SEQ_NEEDS_STATE);
    o.u8(T_INTERNED_DATA);
    const d = o.open();
    o.u8(field);
    const e = o.open();
    o.u8(0x08);
    o.varint(iid);
    o.u8(0x12);
    o.protoString(name);
    o.close(e);
    o.close(d);
    o.close(p);
    this.packets++;
    this.flushIfFull();
  }

  /** An event name's encoded name_iid field (interned on first use), or null past MAX_INTERNED. */
  private eventName(name: string): Uint8Array | null {
    return this.interned(this.eventNames, I_EVENT_NAMES, T_NAME_IID, name, MAX_INTERNED);
  }

  /** A debug annotation name's encoded name_iid field (interned on first use; few distinct names). */
  private annotationName(name: string): Uint8Array {
    return this.interned(this.annotationNames, I_ANNOTATION_NAMES, A_NAME_IID, name, Infinity)!;
  }

  /**
   * The encoded `tag: iid` field naming `name` in `table` (kind: its InternedData field), writing
   * the interning packet on first use; null once `limit` names are interned.
   */
  private interned(table: Map<string, Uint8Array>, kind: number, tag: number, name: string, limit: number): Uint8Array | null {
    let f = table.get(name);
    if (f === undefined) {
      const iid = table.size + 1;
      if (iid > limit) return null;
      this.internPacket(kind, iid, name);
      const b = new Uint8Array(8);
      b[0] = tag;
      table.set(name, (f = b.slice(0, putVarint(b, 1, iid))));
    }
    return f;
  }

  private template(tpId: number): Template {
    let t = this.templates[tpId];
    if (t === undefined) {
      const c = this.catalog[tpId];
      const name = this.eventName(c.name) ?? stringField(T_NAME, c.name);
      const keys = c.argNames.map((n) => this.annotationName(n));
      const room = 64 + name.length + keys.reduce((a, k) => a + k.length + ANNOTATION_ROOM, 0) + 5 * (2 + ANNOTATION_ROOM);
      t = { name, keys, room };
      this.templates[tpId] = t;
    }
    return t;
  }

  private flushIfFull(): void {
    this.file.flushIfFull();
  }

  /** In an open packet: track_descriptor { uuid, name? ... (the caller adds the rest) */
  private descriptorStart(o: Bytes, uuid: number, name: string | null): void {
    o.u8(T_TRACK_DESCRIPTOR[0]);
    o.u8(T_TRACK_DESCRIPTOR[1]);
    this.descMark = o.open();
    o.u8(0x08);
    o.varint(uuid);
    if (name !== null) {
      o.u8(0x12);
      o.protoString(name);
    }
  }

  private descMark = 0;

  private descriptorEnd(o: Bytes, packetMark: number): void {
    o.close(this.descMark);
    o.close(packetMark);
    this.packets++;
  }

  track(t: Track): void {
    const o = this.out;
    o.u8(T_PACKET);
    const p = o.open();
    o.u8(T_SEQ_ID);
    o.u8(SEQ);
    this.descriptorStart(o, 1000 + t.index, t.name);
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
    this.descriptorEnd(o, p);
    this.flushIfFull();
  }

  /**
   * TracePacket { timestamp, sequence, track_event { type, track_uuid ... at `p` (room reserved):
   * returns the end; closeEvent() closes both (their marks are kept in fields meanwhile).
   */
  private openEvent(b: Uint8Array, p: number, ns: number, track: Track, type: number): number {
    b[p] = T_PACKET;
    p += 3;
    this.packetMark = p;
    if (ns > 0) {
      b[p++] = T_TIMESTAMP;
      p = putVarint(b, p, ns);
    }
    b[p++] = T_SEQ_ID;
    b[p++] = SEQ;
    b[p++] = T_SEQ_FLAGS;
    b[p++] = SEQ_NEEDS_STATE;
    b[p] = T_TRACK_EVENT;
    p += 3;
    this.eventMark = p;
    b[p++] = T_TYPE;
    b[p++] = type;
    b[p++] = T_TRACK_UUID;
    return putVarint(b, p, 1000 + track.index);
  }

  private packetMark = 0;
  private eventMark = 0;

  private closeEvent(b: Uint8Array, p: number): number {
    const pm = this.packetMark;
    p = closeAt(b, this.eventMark, p);
    this.packets++;
    return closeAt(b, pm, p);
  }

  args(a: Bytes, v: RecordView): void {
    const t = this.template(v.tpId);
    a.ensure(t.room + 2 * (v.next - v.at));
    a.pos = putAnnotations(a.buf, a.pos, v, t.keys);
  }

  extra(a: Bytes, _hasArgs: boolean, key: string, v: RecordView, i: number): void {
    const at = v.strAt(i);
    const len = v.slen;
    const k = this.annotationName(key);
    a.ensure(k.length + len + 32);
    const b = a.buf;
    let p = a.pos;
    b[p] = T_ANNOTATION;
    p += 2;
    const m = p; // one byte reserved for the length (closeShort)
    p = putBytes(b, p, k);
    p = putStringValue(b, p, v.buf, at, len);
    a.pos = closeShort(b, m, p);
  }

  instant(a: Bytes, track: Track, v: RecordView): void {
    const t = this.template(v.tpId);
    a.ensure(t.room + 2 * (v.next - v.at));
    const b = a.buf;
    let p = this.openEvent(b, a.pos, v.ns, track, TYPE_INSTANT);
    p = putBytes(b, putBytes(b, p, CAT_EVENT), t.name);
    p = putAnnotations(b, p, v, t.keys);
    a.pos = this.closeEvent(b, p);
  }

  counter(a: Bytes, track: Track, ns: number, value: number): void {
    a.ensure(64);
    const b = a.buf;
    let p = this.openEvent(b, a.pos, ns, track, TYPE_COUNTER);
    b[p++] = T_COUNTER_VALUE[0];
    b[p++] = T_COUNTER_VALUE[1];
    a.pos = this.closeEvent(b, putVarint64(b, p, value));
  }

  asyncSlice(a: Bytes, begin: boolean, lane: Track, _id: number, name: string, _tid: number, ns: number, v: RecordView | null): void {
    const t = v !== null ? this.template(v.tpId) : null;
    const iid = begin ? this.eventName(name) : null; // before the reservation: it may write a packet
    a.ensure(64 + 3 * name.length + (t !== null && v !== null ? t.room + 2 * (v.next - v.at) : 0));
    const b = a.buf;
    let p = this.openEvent(b, a.pos, ns, lane, begin ? TYPE_SLICE_BEGIN : TYPE_SLICE_END);
    if (begin) {
      p = putBytes(b, p, CAT_COROUTINE);
      if (iid !== null) p = putBytes(b, p, iid);
      else {
        b[p++] = T_NAME[0];
        b[p++] = T_NAME[1];
        a.pos = p;
        a.protoString(name); // within the room reserved above
        p = a.pos;
      }
      if (t !== null && v !== null) p = putAnnotations(b, p, v, t.keys);
    }
    a.pos = this.closeEvent(b, p);
  }

  writeRaw(src: Uint8Array, off: number, len: number, _count: number): void {
    this.out.copy(src, off, off + len);
    this.flushIfFull();
  }

  writeSlice(s: Slice, arena: Uint8Array): void {
    const o = this.out;
    const flows = s.flows;
    const name = this.nameField(s);
    o.ensure(96 + 3 * s.name.length + s.argsLen + s.extraLen + (flows !== null ? flows.length * 6 : 0));
    const b = o.buf;
    let p = this.openEvent(b, o.pos, s.ns, s.track, TYPE_SLICE_BEGIN);
    p = putBytes(b, p, CAT_SLICE);
    if (name !== null) p = putBytes(b, p, name);
    else {
      b[p++] = T_NAME[0];
      b[p++] = T_NAME[1];
      o.pos = p;
      o.protoString(s.name); // within the room reserved above: the buffer stays the same
      p = o.pos;
    }
    if (s.argsOff >= 0) {
      b.set(arena.subarray(s.argsOff, s.argsOff + s.argsLen), p);
      p += s.argsLen;
    }
    if (s.extraOff >= 0) {
      b.set(arena.subarray(s.extraOff, s.extraOff + s.extraLen), p);
      p += s.extraLen;
    }
    if (flows !== null) {
      for (let i = 0; i < flows.length; i += 2) {
        const tag = flows[i + 1] === FLOW_END ? T_TERMINATING_FLOW_IDS : T_FLOW_IDS;
        b[p++] = tag[0];
        b[p++] = tag[1];
        p = putFixed64(b, p, flows[i]);
      }
    }
    o.pos = this.closeEvent(b, p);
    s.written = s.dur >= 0 ? 1 : 2;
    this.flushIfFull();
  }

  /** A recurring slice name's interned name_iid field (cached by name id), or null: write it literally. */
  private nameField(s: Slice): Uint8Array | null {
    if (s.nameId < 0) return null;
    let f = this.names[s.nameId];
    if (f === undefined) {
      const iid = this.eventName(s.name);
      if (iid === null) return null;
      this.names[s.nameId] = f = iid;
    }
    return f;
  }

  writesEnd(_s: Slice): boolean {
    return true;
  }

  /** SLICE_END needs only the track: encoded at once, it travels as an ordinary record. */
  endNow(a: Bytes, s: Slice, ns: number): boolean {
    a.ensure(64);
    a.pos = this.closeEvent(a.buf, this.openEvent(a.buf, a.pos, ns, s.track, TYPE_SLICE_END));
    return true;
  }

  writeSliceEnd(s: Slice, ns: number): void {
    const o = this.out;
    o.ensure(64);
    o.pos = this.closeEvent(o.buf, this.openEvent(o.buf, o.pos, ns, s.track, TYPE_SLICE_END));
    this.flushIfFull();
  }

  close(): void {
    this.file.close();
  }
}
