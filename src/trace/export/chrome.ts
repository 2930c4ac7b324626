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
 * (name, keys) is encoded once, on first use; values are written straight from the record's bytes,
 * after one bounds reservation per event (bytes.ts).
 */
import { K_BOOL, K_PTR, K_STR } from '../event-codec';
import type { RecordView } from '../record-view';
import type { VtrCatalogEntry } from '../vtr-format';
import { Bytes, putAsciiJson, putBytes, putHex, putHex64, putInt, putU64, putJsonBytes, putMicros, putUint, utf8 } from './bytes';
import type { OutFile } from './out-file';
import { FLOW_END, FLOW_START, type Encoder, type Slice, type Track } from './records';

const CORR_KEYS = ['corr.req', 'corr.co', 'corr.job', 'corr.head', 'corr.fd'].map((k) => utf8(`"${k}":`));
const TS = utf8(',"ts":');
const ARGS = utf8(',"args":{');
const NULL = utf8('null');
const TRUE = utf8('true');
const FALSE = utf8('false');
const PTR = utf8('"0x');
const NEG_PTR = utf8('"0x-');
/** Room for one argument's value besides string bytes (a 64-bit integer as text, quoted). */
const VALUE_ROOM = 28;

/** Constant text of one tracepoint's events. */
interface Template {
  /** `,\n{"ph":"i",...,"name":"NAME","pid":PID,"tid":` */
  instant: Uint8Array;
  /** `"argname":` per argument (`,"argname":` after the first). */
  keys: Uint8Array[];
  /** Bytes an event of it takes at most, besides 6 per byte of its record (escaped strings). */
  room: number;
}

export class ChromeJsonEncoder implements Encoder {
  readonly holdOpenSlices = true;
  private readonly out: Bytes;
  private readonly templates: (Template | undefined)[] = [];
  /** Instant heads per (track, tracepoint). */
  private readonly heads: (Uint8Array | undefined)[] = [];
  private readonly names: (Uint8Array | undefined)[] = [];
  private readonly tracks: ({ pidTidTs: Uint8Array; counter: Uint8Array } | undefined)[] = [];
  private readonly pidText: Uint8Array;
  /** Trace events written (metadata included). */
  events = 0;

  constructor(
    private readonly file: OutFile,
    private readonly pid: number,
    private readonly originNs: number,
    private readonly catalog: readonly VtrCatalogEntry[],
    otherData: Record<string, unknown>,
    processName: string,
  ) {
    this.out = file.out;
    this.pidText = utf8(String(pid));
    this.out.utf8(`{"displayTimeUnit":"ns","otherData":${JSON.stringify(otherData)},"traceEvents":[\n`);
    this.out.utf8(`{"ph":"M","name":"process_name","pid":${pid},"tid":0,"ts":0,"args":{"name":${JSON.stringify(processName)}}}`);
    this.events++;
  }

  private template(tpId: number): Template {
    let t = this.templates[tpId];
    if (t === undefined) {
      const c = this.catalog[tpId];
      const keys = c.argNames.map((n, i) => utf8(`${i > 0 ? ',' : ''}${JSON.stringify(n)}:`));
      const instant = utf8(`,\n{"ph":"i","s":"t","cat":"vtrace.event","name":${JSON.stringify(c.name)},"pid":${this.pid},"tid":`);
      const room = instant.length + 64 + keys.reduce((a, k) => a + k.length + 1 + VALUE_ROOM, 0) + 5 * (12 + 20);
      t = { instant, keys, room };
      this.templates[tpId] = t;
    }
    return t;
  }

  private flushIfFull(): void {
    this.file.flushIfFull();
  }

  track(t: Track): void {
    if (t.kind !== 'thread') return;
    const p = this.pid;
    this.out.utf8(`,\n{"ph":"M","name":"thread_name","pid":${p},"tid":${t.tid},"ts":0,"args":{"name":${JSON.stringify(t.name)}}}`);
    this.out.utf8(`,\n{"ph":"M","name":"thread_sort_index","pid":${p},"tid":${t.tid},"ts":0,"args":{"sort_index":${t.sortIndex}}}`);
    this.events += 2;
    this.flushIfFull();
  }

  /** The args object's members (no braces) of `v`, at `p` of `b` (room reserved); returns the end. */
  private putArgs(b: Uint8Array, p: number, v: RecordView, keys: readonly Uint8Array[]): number {
    const kinds = v.kinds;
    const n = v.nargs;
    for (let i = 0; i < n; i++) {
      p = putBytes(b, p, keys[i]); // `,"name":` but for the first
      const k = kinds[i];
      if (k === K_STR) {
        const at = v.strAt(i);
        p = v.slen < 0 ? putBytes(b, p, NULL) : putJsonBytes(b, p, v.buf, at, v.slen);
      } else if (k === K_BOOL) p = putBytes(b, p, v.bool(i) ? TRUE : FALSE);
      else {
        const x = v.num(i);
        if (v.wide) {
          // Beyond 7 varint bytes: exact from the halves (a string when not a safe integer).
          v.parts(i);
          if (k === K_PTR) {
            p = putHex64(b, putBytes(b, p, v.neg ? NEG_PTR : PTR), v.hi, v.lo);
            b[p++] = 34;
          } else if (v.hi < 0x200000) p = putInt(b, p, (v.neg ? -1 : 1) * (v.hi * 4294967296 + v.lo));
          else {
            b[p++] = 34;
            if (v.neg) b[p++] = 45;
            p = putU64(b, p, v.hi, v.lo);
            b[p++] = 34;
          }
        } else if (k !== K_PTR) p = putInt(b, p, x);
        else {
          p = putHex(b, putBytes(b, p, x < 0 ? NEG_PTR : PTR), Math.abs(x));
          b[p++] = 34;
        }
      }
    }
    const mask = v.mask;
    if (mask !== 0) {
      let first = n === 0;
      for (let i = 0; i < 5; i++) {
        if ((mask & (1 << i)) === 0) continue;
        if (!first) b[p++] = 44;
        first = false;
        p = putInt(b, putBytes(b, p, CORR_KEYS[i]), v.corr[i]);
      }
    }
    return p;
  }

  args(a: Bytes, v: RecordView): void {
    const t = this.template(v.tpId);
    a.ensure(t.room + 6 * (v.next - v.at));
    a.pos = this.putArgs(a.buf, a.pos, v, t.keys);
  }

  extra(a: Bytes, hasArgs: boolean, key: string, v: RecordView, i: number): void {
    if (hasArgs) a.u8(44);
    a.json(key);
    a.u8(58);
    const at = v.strAt(i);
    const len = v.slen;
    if (len < 0) a.utf8('"null"');
    else {
      a.ensure(6 * len + 2);
      a.pos = putJsonBytes(a.buf, a.pos, v.buf, at, len);
    }
  }

  /** `,"args":{...}` of `v` (nothing when it has no arguments and no correlation ids). */
  private putArgsMember(b: Uint8Array, p: number, v: RecordView, keys: readonly Uint8Array[]): number {
    if (v.nargs === 0 && v.mask === 0) return p;
    p = this.putArgs(b, putBytes(b, p, ARGS), v, keys);
    b[p++] = 125;
    return p;
  }

  /** `,\n{"ph":"i",...,"name":"NAME","pid":PID,"tid":TID,"ts":` of a tracepoint on a track. */
  private instantHead(t: Template, tpId: number, track: Track): Uint8Array {
    const k = track.index * this.catalog.length + tpId;
    let h = this.heads[k];
    if (h === undefined) {
      h = new Uint8Array(t.instant.length + 24);
      let p = putBytes(h, 0, t.instant);
      p = putBytes(h, putInt(h, p, track.tid), TS);
      this.heads[k] = h = h.slice(0, p);
    }
    return h;
  }

  instant(a: Bytes, track: Track, v: RecordView): void {
    const t = this.template(v.tpId);
    a.ensure(t.room + 6 * (v.next - v.at));
    const b = a.buf;
    let p = putBytes(b, a.pos, this.instantHead(t, v.tpId, track));
    p = putMicros(b, p, v.ns - this.originNs);
    p = this.putArgsMember(b, p, v, t.keys);
    b[p++] = 125;
    a.pos = p;
  }

  counter(a: Bytes, track: Track, ns: number, value: number): void {
    const head = this.trackText(track).counter;
    a.ensure(head.length + 64);
    const b = a.buf;
    let p = putMicros(b, putBytes(b, a.pos, head), ns - this.originNs);
    p = putInt(b, putBytes(b, p, VALUE), value);
    b[p++] = 125;
    b[p++] = 125;
    a.pos = p;
  }

  asyncSlice(a: Bytes, begin: boolean, _lane: Track, id: number, name: string, tid: number, ns: number, v: RecordView | null): void {
    a.ascii(begin ? ',\n{"ph":"b","cat":"vtrace.coroutine","name":' : ',\n{"ph":"e","cat":"vtrace.coroutine","name":');
    a.json(name);
    a.ascii(`,"id2":{"local":"0x${Number.isSafeInteger(id) && id >= 0 ? id.toString(16) : String(id)}"},"pid":`);
    a.bytes(this.pidText);
    a.ascii(',"tid":');
    const t = v !== null ? this.template(v.tpId) : null;
    a.ensure(64 + (t !== null && v !== null ? t.room + 6 * (v.next - v.at) : 0));
    const b = a.buf;
    let p = putInt(b, a.pos, tid);
    p = putMicros(b, putBytes(b, p, TS), ns - this.originNs);
    if (t !== null && v !== null) p = this.putArgsMember(b, p, v, t.keys);
    b[p++] = 125;
    a.pos = p;
  }

  writeRaw(src: Uint8Array, off: number, len: number, count: number): void {
    this.out.copy(src, off, off + len);
    this.events += count;
    this.flushIfFull();
  }

  writeSlice(s: Slice, arena: Uint8Array): void {
    const o = this.out;
    const complete = s.dur >= 0;
    const name = this.nameJson(s);
    const t = this.trackText(s.track);
    const flows = s.flows;
    o.ensure((name !== null ? name.length : 6 * s.name.length + 8) + t.pidTidTs.length + 96 + s.argsLen + s.extraLen + (flows !== null ? (flows.length / 2) * (FLOW_TEXT + t.pidTidTs.length) : 0));
    const b = o.buf;
    let p = putBytes(b, o.pos, complete ? X_HEAD : B_HEAD);
    p = name !== null ? putBytes(b, p, name) : this.putName(b, p, s);
    p = putBytes(b, p, t.pidTidTs);
    const tsAt = p;
    p = putMicros(b, p, s.ns - this.originNs);
    const tsEnd = p;
    if (complete) p = putMicros(b, putBytes(b, p, DUR), s.dur);
    if (s.argsOff >= 0 || s.extraOff >= 0) {
      p = putBytes(b, p, ARGS);
      if (s.argsOff >= 0) p = copyBytes(b, p, arena, s.argsOff, s.argsLen);
      if (s.extraOff >= 0) p = copyBytes(b, p, arena, s.extraOff, s.extraLen);
      b[p++] = 125;
    }
    b[p++] = 125;
    this.events++;
    s.written = complete ? 1 : 2;
    if (flows !== null) {
      // Flow events carry the slice's ts, tid and category (DevTools binds them by equality).
      for (let i = 0; i < flows.length; i += 2) {
        const ph = flows[i + 1];
        p = putBytes(b, p, FLOW_HEAD[ph === FLOW_START ? 0 : ph === FLOW_END ? 2 : 1]);
        p = putBytes(b, putUint(b, p, flows[i]), t.pidTidTs);
        p = putBytes(b, copyBytes(b, p, b, tsAt, tsEnd - tsAt), BP);
        this.events++;
      }
    }
    o.pos = p;
    this.flushIfFull();
  }

  /** An E is written only for a slice written open (known at flush): never now. */
  endNow(_a: Bytes, _s: Slice, _ns: number): boolean {
    return false;
  }

  /** Only a slice written open (ph B) needs its E; complete (X) events carry their end. */
  writesEnd(s: Slice): boolean {
    return s.written === 2;
  }

  writeSliceEnd(s: Slice, ns: number): void {
    const o = this.out;
    const name = this.nameJson(s);
    const t = this.trackText(s.track);
    o.ensure((name !== null ? name.length : 6 * s.name.length + 8) + t.pidTidTs.length + 64);
    const b = o.buf;
    let p = putBytes(b, o.pos, E_HEAD);
    p = putBytes(b, name !== null ? putBytes(b, p, name) : this.putName(b, p, s), t.pidTidTs);
    p = putMicros(b, p, ns - this.originNs);
    b[p++] = 125;
    o.pos = p;
    this.events++;
    this.flushIfFull();
  }

  /** A slice's name as a JSON literal (cached by name id: slices repeat a few names), or null: write it with putName. */
  private nameJson(s: Slice): Uint8Array | null {
    if (s.nameId < 0) return null;
    let j = this.names[s.nameId];
    if (j === undefined) this.names[s.nameId] = j = utf8(JSON.stringify(s.name));
    return j;
  }

  /** The name of a slice without a cached literal, at `p` (room reserved: 3 per UTF-16 unit + 8). */
  private putName(b: Uint8Array, p: number, s: Slice): number {
    const end = putAsciiJson(b, p, s.name);
    return end >= 0 ? end : putBytes(b, p, utf8(JSON.stringify(s.name)));
  }

  /** Constant text of a track's events: `,"pid":P,"tid":T,"ts":`, and a counter's head. */
  private trackText(t: Track): { pidTidTs: Uint8Array; counter: Uint8Array } {
    let x = this.tracks[t.index];
    if (x === undefined) {
      x = {
        pidTidTs: utf8(`,"pid":${this.pid},"tid":${t.tid},"ts":`),
        counter: utf8(`,\n{"ph":"C","name":${JSON.stringify(t.name)},"pid":${this.pid},"tid":0,"ts":`),
      };
      this.tracks[t.index] = x;
    }
    return x;
  }

  close(): void {
    this.out.ascii('\n]}\n');
    this.file.close();
  }
}

const VALUE = utf8(',"args":{"value":');
const DUR = utf8(',"dur":');
const BP = utf8(',"bp":"e"}');
const X_HEAD = utf8(',\n{"ph":"X","cat":"vtrace","name":');
const B_HEAD = utf8(',\n{"ph":"B","cat":"vtrace","name":');
const E_HEAD = utf8(',\n{"ph":"E","cat":"vtrace","name":');
const FLOW_HEAD = ['s', 't', 'f'].map((ph) => utf8(`,\n{"ph":"${ph}","cat":"vtrace","name":"request","id":`));
/** A flow event's length besides its pid/tid/ts text: head, id, ts, tail. */
const FLOW_TEXT = 48 + 16 + 24 + 12;

/** `len` bytes of `src` from `at` to `b` at `p` (room reserved); returns the end. */
function copyBytes(b: Uint8Array, p: number, src: Uint8Array, at: number, len: number): number {
  if (len < 48) for (let i = 0; i < len; i++) b[p + i] = src[at + i];
  else b.set(src.subarray(at, at + len), p);
  return p + len;
}
