/**
 * Chrome's Trace Event Format, JSON object form ("Trace Event Format" document, Google, 2016+):
 *
 *   {"displayTimeUnit":"ns","otherData":{...},"traceEvents":[ ... ]}
 *
 * Streamed: records come from the order window (records.ts) in time order and are written as
 * bytes into one reused output buffer, flushed to the file in ~4 MiB writes. Mapping:
 * process_name / thread_name / thread_sort_index metadata (ph M) for the process and each thread
 * track; slices as complete events, ph X with dur (category "vtrace"; B/E only for a slice that
 * outlived the window: DevTools pairs B/E on one global stack, so interleaved threads must not use
 * them); instants as ph i with s:"t" ("vtrace.event"); coroutine lifetimes as async b/e with
 * id2.local ("vtrace.coroutine"); counters as ph C; a flow binding as ph s/t/f with bp:"e", the
 * same ts, tid and category as its slice — so both binding rules work: catapult/Perfetto's
 * enclosing slice and DevTools' exact (ts, pid, tid, cat) match. Times are µs from the export's
 * origin with ns precision.
 *
 * Arguments: an event's args object holds its tracepoint arguments by name (pointers as "0x..."
 * strings, integers beyond 2^53 as decimal strings, NULL strings as null) and its correlation ids
 * as "corr.req", "corr.co", "corr.job", "corr.head", "corr.fd". Each tracepoint's constant text
 * (name, keys) is encoded once, on first use; values are copied from the record's bytes.
 */
import * as fs from 'node:fs';
import { K_BOOL, K_PTR, K_STR, type RecordView } from '../event-codec';
import type { VtrCatalogEntry } from '../vtr-format';
import { Bytes, utf8 } from './bytes';
import { FLOW_END, FLOW_START, type Encoder, type Slice, type Track } from './records';

const FLUSH_AT = 4 << 20;
const CORR_KEYS = ['corr.req', 'corr.co', 'corr.job', 'corr.head', 'corr.fd'].map((k) => utf8(`"${k}":`));
const FLOW_PH = [utf8(',\n{"ph":"s"'), utf8(',\n{"ph":"t"'), utf8(',\n{"ph":"f"')];

/** Constant text of one tracepoint's events. */
interface Template {
  /** `,\n{"ph":"i",...,"name":"NAME","pid":PID,"tid":` */
  instant: Uint8Array;
  /** `"argname":` per argument. */
  keys: Uint8Array[];
}

export class ChromeJsonEncoder implements Encoder {
  readonly holdOpenSlices = true;
  private readonly out = new Bytes(FLUSH_AT + (1 << 20));
  private readonly templates: (Template | undefined)[] = [];
  private readonly pidText: string;
  /** Trace events written (metadata included). */
  events = 0;

  constructor(
    private readonly fd: number,
    private readonly pid: number,
    private readonly originNs: number,
    private readonly catalog: readonly VtrCatalogEntry[],
    otherData: Record<string, unknown>,
    processName: string,
  ) {
    this.pidText = String(pid);
    this.out.utf8(`{"displayTimeUnit":"ns","otherData":${JSON.stringify(otherData)},"traceEvents":[\n`);
    this.out.utf8(`{"ph":"M","name":"process_name","pid":${pid},"tid":0,"ts":0,"args":{"name":${JSON.stringify(processName)}}}`);
    this.events++;
  }

  private template(tpId: number): Template {
    let t = this.templates[tpId];
    if (t === undefined) {
      const c = this.catalog[tpId];
      t = {
        instant: utf8(`,\n{"ph":"i","s":"t","cat":"vtrace.event","name":${JSON.stringify(c.name)},"pid":${this.pidText},"tid":`),
        keys: c.argNames.map((n) => utf8(`${JSON.stringify(n)}:`)),
      };
      this.templates[tpId] = t;
    }
    return t;
  }

  private ts(b: Bytes, ns: number): void {
    b.micros(ns - this.originNs);
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
    if (t.kind !== 'thread') return;
    const p = this.pid;
    this.out.utf8(`,\n{"ph":"M","name":"thread_name","pid":${p},"tid":${t.tid},"ts":0,"args":{"name":${JSON.stringify(t.name)}}}`);
    this.out.utf8(`,\n{"ph":"M","name":"thread_sort_index","pid":${p},"tid":${t.tid},"ts":0,"args":{"sort_index":${t.sortIndex}}}`);
    this.events += 2;
    this.flushIfFull();
  }

  /** The args object's members (no braces) of the record in `v`. */
  args(a: Bytes, v: RecordView): void {
    const keys = this.template(v.tpId).keys;
    const kinds = v.kinds;
    let first = true;
    for (let i = 0; i < v.nargs; i++) {
      if (!first) a.u8(44);
      first = false;
      a.bytes(keys[i]);
      const k = kinds[i];
      if (k === K_STR) {
        const len = v.strLen(i);
        if (len < 0) a.ascii('null');
        else a.jsonBytes(v.buf, v.strStart(i), len);
      } else if (k === K_BOOL) a.ascii(v.bool(i) ? 'true' : 'false');
      else {
        const n = v.num(i);
        if (v.wide) {
          const x = v.int(i);
          a.utf8(k === K_PTR ? `"0x${x.toString(16)}"` : typeof x === 'bigint' ? `"${x}"` : String(x));
        } else if (k !== K_PTR) a.int(n);
        else {
          a.ascii(n < 0 ? '"0x-' : '"0x');
          a.hex(Math.abs(n));
          a.u8(34);
        }
      }
    }
    const mask = v.mask;
    if (mask !== 0) {
      for (let i = 0; i < 5; i++) {
        if ((mask & (1 << i)) === 0) continue;
        if (!first) a.u8(44);
        first = false;
        a.bytes(CORR_KEYS[i]);
        a.int(v.corr[i]);
      }
    }
  }

  extra(a: Bytes, hasArgs: boolean, key: string, v: RecordView, i: number): void {
    if (hasArgs) a.u8(44);
    a.json(key);
    a.u8(58);
    const len = v.strLen(i);
    if (len < 0) a.ascii('"null"');
    else a.jsonBytes(v.buf, v.strStart(i), len);
  }

  private argsMember(a: Bytes, v: RecordView): void {
    if (v.nargs === 0 && v.mask === 0) return;
    a.ascii(',"args":{');
    this.args(a, v);
    a.u8(125);
  }

  instant(a: Bytes, track: Track, v: RecordView): void {
    a.bytes(this.template(v.tpId).instant);
    a.uint(track.tid);
    a.ascii(',"ts":');
    this.ts(a, v.ns);
    this.argsMember(a, v);
    a.u8(125);
  }

  counter(a: Bytes, track: Track, ns: number, value: number): void {
    a.ascii(',\n{"ph":"C","name":');
    a.json(track.name);
    a.ascii(',"pid":');
    a.ascii(this.pidText);
    a.ascii(',"tid":0,"ts":');
    this.ts(a, ns);
    a.ascii(',"args":{"value":');
    a.int(value);
    a.ascii('}}');
  }

  asyncSlice(a: Bytes, begin: boolean, _lane: Track, id: number, name: string, tid: number, ns: number, v: RecordView | null): void {
    a.ascii(begin ? ',\n{"ph":"b","cat":"vtrace.coroutine","name":' : ',\n{"ph":"e","cat":"vtrace.coroutine","name":');
    a.json(name);
    a.ascii(',"id2":{"local":"0x');
    if (Number.isSafeInteger(id) && id >= 0) a.hex(id);
    else a.utf8(id.toString(16));
    a.ascii('"},"pid":');
    a.ascii(this.pidText);
    a.ascii(',"tid":');
    a.int(tid);
    a.ascii(',"ts":');
    this.ts(a, ns);
    if (v !== null) this.argsMember(a, v);
    a.u8(125);
  }

  writeRaw(src: Uint8Array, off: number, len: number, count: number): void {
    this.out.copy(src, off, off + len);
    this.events += count;
    this.flushIfFull();
  }

  writeSlice(s: Slice, arena: Uint8Array): void {
    const o = this.out;
    const complete = s.dur >= 0;
    o.ascii(complete ? ',\n{"ph":"X","cat":"vtrace","name":' : ',\n{"ph":"B","cat":"vtrace","name":');
    o.json(s.name);
    o.ascii(',"pid":');
    o.ascii(this.pidText);
    o.ascii(',"tid":');
    o.int(s.track.tid);
    o.ascii(',"ts":');
    const tsAt = o.pos;
    this.ts(o, s.ns);
    const tsEnd = o.pos;
    if (complete) {
      o.ascii(',"dur":');
      o.micros(s.dur);
    }
    if (s.argsOff >= 0 || s.extraOff >= 0) {
      o.ascii(',"args":{');
      if (s.argsOff >= 0) o.copy(arena, s.argsOff, s.argsOff + s.argsLen);
      if (s.extraOff >= 0) o.copy(arena, s.extraOff, s.extraOff + s.extraLen);
      o.u8(125);
    }
    o.u8(125);
    this.events++;
    s.written = complete ? 1 : 2;
    const flows = s.flows;
    if (flows !== null) {
      // The flow events repeat the slice's ts text: copy it from where it was just written.
      const ts = o.buf.slice(tsAt, tsEnd);
      for (let i = 0; i < flows.length; i += 2) {
        const ph = flows[i + 1];
        o.bytes(FLOW_PH[ph === FLOW_START ? 0 : ph === FLOW_END ? 2 : 1]);
        o.ascii(',"cat":"vtrace","name":"request","id":');
        o.uint(flows[i]);
        o.ascii(',"pid":');
        o.ascii(this.pidText);
        o.ascii(',"tid":');
        o.int(s.track.tid);
        o.ascii(',"ts":');
        o.bytes(ts);
        o.ascii(',"bp":"e"}');
        this.events++;
      }
    }
    this.flushIfFull();
  }

  writeSliceEnd(s: Slice, ns: number): void {
    if (s.written !== 2) return; // written as a complete (X) event
    const o = this.out;
    o.ascii(',\n{"ph":"E","cat":"vtrace","name":');
    o.json(s.name);
    o.ascii(',"pid":');
    o.ascii(this.pidText);
    o.ascii(',"tid":');
    o.int(s.track.tid);
    o.ascii(',"ts":');
    this.ts(o, ns);
    o.u8(125);
    this.events++;
    this.flushIfFull();
  }

  close(): void {
    this.out.ascii('\n]}\n');
    this.flush();
  }
}
