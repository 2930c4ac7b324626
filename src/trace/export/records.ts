/**
 * What the exporters produce, format-neutral, and the window that puts it in time order.
 *
 * The timeline builder (timeline.ts) turns events into tracks, slices, instants, async slices,
 * counters and flow bindings; a format's Encoder (chrome.ts, perfetto.ts) turns each into bytes.
 * Everything but a slice's begin is final when made, so it is encoded at once into the window's
 * arena. A slice's begin stays a Slice object until written, because what is written depends on
 * what happens later: its end (Chrome writes a complete event, ph X, with dur), request flows
 * bound to it (a request's id is known only at virtqueue_pop, after the vCPU's QueueNotify store
 * began), and the syscall result added at syscall_exit.
 *
 * OrderWindow keeps the last `windowNs` of output (at most `maxItems` records) and writes older
 * records in (ns, emission) order. With `holdOpenSlices` (Chrome), an open slice's begin holds
 * back everything after it until the slice ends, so it can be written complete — unless the window
 * overflows `maxItems`, which forces the oldest records out as they are. Bounded memory: the
 * window's records (typed arrays plus the byte arena) and the open slices.
 */
import { Bytes } from './bytes';
import type { RecordView } from '../record-view';

export type TrackKind = 'thread' | 'counter' | 'async';

export interface Track {
  /** Dense index, also the base of the Perfetto uuid. */
  index: number;
  kind: TrackKind;
  name: string;
  /** Thread tracks: the (real or synthetic) tid; async/counter tracks: 0. */
  tid: number;
  /** Display order among threads. */
  sortIndex: number;
  /** Open slices, innermost last (timeline.ts). */
  stack: Slice[];
  /** Async lanes: a coroutine is using it. */
  busy: boolean;
}

/** Flow binding phases (Chrome's s/t/f; Perfetto: flow_ids, or terminating_flow_ids for f). */
export const FLOW_START = 0;
export const FLOW_STEP = 1;
export const FLOW_END = 2;

export class Slice {
  /** -1 while open. */
  dur = -1;
  /** Flow bindings: id, phase (FLOW_*), id, phase... */
  flows: number[] | null = null;
  /** 0: not written yet; 1: written complete; 2: written open (its end is written separately). */
  written = 0;
  /** The arguments, encoded by the Encoder into the window's arena (-1: none). */
  argsOff = -1;
  argsLen = 0;
  /** Arguments added later (syscall_exit's ret and path), likewise. */
  extraOff = -1;
  extraLen = 0;

  constructor(
    readonly ns: number,
    readonly track: Track,
    readonly name: string,
    /** What closes it (timeline.ts keys: kind and id). */
    readonly key: number,
    /** The name's index among the export's recurring names (encoders cache their bytes), or -1. */
    readonly nameId: number,
  ) {}
}

/** A format: encodes records into the arena and writes what the window releases. */
export interface Encoder {
  /** Chrome: complete events need the end before the begin is written. */
  readonly holdOpenSlices: boolean;
  /** A new track's metadata, written at once (ahead of everything in the window). */
  track(t: Track): void;
  instant(a: Bytes, track: Track, v: RecordView): void;
  counter(a: Bytes, track: Track, ns: number, value: number): void;
  /** A coroutine lifetime's begin (b, with the record's args) or end (e, v null). */
  asyncSlice(a: Bytes, begin: boolean, lane: Track, id: number, name: string, tid: number, ns: number, v: RecordView | null): void;
  /** The record's arguments as a slice's args (appendable: extra() adds more after). */
  args(a: Bytes, v: RecordView): void;
  /** One more string argument `key` = argument `i` of `v`, after the slice's args. */
  extra(a: Bytes, hasArgs: boolean, key: string, v: RecordView, i: number): void;
  /** Write a slice's begin (complete if s.dur >= 0) with its flows; `arena` holds its args. */
  writeSlice(s: Slice, arena: Uint8Array): void;
  /**
   * Encode a slice's end into the arena now, if the format's end does not depend on how the begin
   * gets written (Perfetto's SLICE_END): true if it did (then it is an ordinary encoded record).
   */
  endNow(a: Bytes, s: Slice, ns: number): boolean;
  /** Does the slice's end write anything (given how its begin was written)? */
  writesEnd(s: Slice): boolean;
  /** Write a slice's end (at `ns`); called only when writesEnd(s). */
  writeSliceEnd(s: Slice, ns: number): void;
  /** Write `count` encoded records (`len` bytes at `off`) as they are. */
  writeRaw(src: Uint8Array, off: number, len: number, count: number): void;
}

const BEGIN = -1;
const END = -2;
const COMPACT_AT = 8 << 20;

export class OrderWindow {
  readonly arena = new Bytes(1 << 20);
  private ns = new Float64Array(1024);
  private off = new Int32Array(1024);
  private len = new Int32Array(1024);
  private obj: (Slice | null)[] = new Array<Slice | null>(1024).fill(null);
  private mask = 1023;
  private head = 0;
  private count = 0;
  private newest = -Infinity;
  private compactAt = COMPACT_AT;
  /** The open slice that stopped the last flush (Chrome); flushing waits for its end. */
  private blocked: Slice | null = null;
  /** Flows that could not be attached because their slice had left the window. */
  missedFlows = 0;

  constructor(
    private readonly enc: Encoder,
    private readonly windowNs = 250_000_000,
    private readonly maxItems = 200_000,
  ) {}

  /** Where the next encoded record starts in the arena (give it to pushBytes). */
  mark(): number {
    return this.arena.pos;
  }

  /** The bytes encoded since `mark` are one record at time `ns`. */
  pushBytes(ns: number, mark: number): void {
    this.insert(ns, mark, this.arena.pos - mark, null);
  }

  pushSlice(s: Slice): void {
    this.insert(s.ns, 0, BEGIN, s);
  }

  pushEnd(s: Slice, ns: number): void {
    this.insert(ns, 0, END, s);
  }

  /** Can `s` still be changed (its begin not written yet)? */
  holds(s: Slice): boolean {
    return s.written === 0;
  }

  private insert(ns: number, off: number, len: number, obj: Slice | null): void {
    if (this.count === this.mask + 1) this.grow();
    const m = this.mask;
    let i = this.count;
    // Records come nearly in time order: walk back from the newest past later ones.
    while (i > 0 && this.ns[(this.head + i - 1) & m] > ns) {
      const from = (this.head + i - 1) & m;
      const to = (this.head + i) & m;
      this.ns[to] = this.ns[from];
      this.off[to] = this.off[from];
      this.len[to] = this.len[from];
      this.obj[to] = this.obj[from];
      i--;
    }
    const at = (this.head + i) & m;
    this.ns[at] = ns;
    this.off[at] = off;
    this.len[at] = len;
    this.obj[at] = obj;
    this.count++;
    if (ns > this.newest) this.newest = ns;
    if (this.count > this.maxItems) this.flush(Infinity, this.count >> 2, true);
    else if (this.newest - this.ns[this.head] > this.windowNs + (this.windowNs >> 3) && (this.blocked === null || this.blocked.dur >= 0)) {
      // Older than the window by an eighth more: write down to the window (in batches, so that
      // runs of encoded records go out together) — unless an open slice still holds the head.
      this.flush(this.newest - this.windowNs, Infinity, false);
    }
  }

  private grow(): void {
    const n = (this.mask + 1) * 2;
    const ns = new Float64Array(n);
    const off = new Int32Array(n);
    const len = new Int32Array(n);
    const obj = new Array<Slice | null>(n).fill(null);
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) & this.mask;
      ns[i] = this.ns[j];
      off[i] = this.off[j];
      len[i] = this.len[j];
      obj[i] = this.obj[j];
    }
    this.ns = ns;
    this.off = off;
    this.len = len;
    this.obj = obj;
    this.mask = n - 1;
    this.head = 0;
  }

  /** Write records up to time `upTo` (at most `max`); `force` writes open slices' begins too. */
  private flush(upTo: number, max: number, force: boolean): void {
    const hold = this.enc.holdOpenSlices && !force;
    this.blocked = null;
    const arena = this.arena.buf;
    // Encoded records that follow each other in the arena are written as one run.
    let runOff = 0;
    let runLen = 0;
    let runCount = 0;
    let n = 0;
    while (this.count > 0 && n < max && this.ns[this.head] <= upTo) {
      const h = this.head;
      const len = this.len[h];
      if (len >= 0) {
        const off = this.off[h];
        if (runCount > 0 && off !== runOff + runLen) {
          this.enc.writeRaw(arena, runOff, runLen, runCount);
          runCount = 0;
        }
        if (runCount === 0) {
          runOff = off;
          runLen = 0;
        }
        runLen += len;
        runCount++;
      } else {
        const s = this.obj[h]!;
        if (len === BEGIN && hold && s.dur < 0) {
          this.blocked = s;
          break;
        }
        if (len === END && !this.enc.writesEnd(s)) {
          // Nothing to write (the slice went out complete): the run of encoded records goes on.
          this.obj[h] = null;
          this.head = (h + 1) & this.mask;
          this.count--;
          n++;
          continue;
        }
        if (runCount > 0) {
          this.enc.writeRaw(arena, runOff, runLen, runCount);
          runCount = 0;
        }
        if (len === BEGIN) this.enc.writeSlice(s, arena);
        else this.enc.writeSliceEnd(s, this.ns[h]);
        this.obj[h] = null;
      }
      this.head = (h + 1) & this.mask;
      this.count--;
      n++;
    }
    if (runCount > 0) this.enc.writeRaw(arena, runOff, runLen, runCount);
    if (this.arena.pos > this.compactAt) this.compact();
  }

  /** Drop the arena bytes nothing in the window refers to any more. */
  private compact(): void {
    let min = this.arena.pos;
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) & this.mask;
      const len = this.len[j];
      if (len >= 0) min = Math.min(min, this.off[j]);
      else if (len === BEGIN) {
        const s = this.obj[j]!;
        if (s.argsOff >= 0) min = Math.min(min, s.argsOff);
        if (s.extraOff >= 0) min = Math.min(min, s.extraOff);
      }
    }
    const a = this.arena;
    if (min < a.pos / 2) {
      this.compactAt = 2 * a.pos; // too little to gain yet: let the arena grow first
      return;
    }
    a.buf.copyWithin(0, min, a.pos);
    a.pos -= min;
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) & this.mask;
      const len = this.len[j];
      if (len >= 0) this.off[j] -= min;
      else if (len === BEGIN) {
        const s = this.obj[j]!;
        if (s.argsOff >= 0) s.argsOff -= min;
        if (s.extraOff >= 0) s.extraOff -= min;
      }
    }
    this.compactAt = Math.max(COMPACT_AT, 2 * a.pos);
  }

  /** Write everything (open slices' begins as they are). */
  flushAll(): void {
    this.flush(Infinity, Infinity, true);
    this.arena.pos = 0;
  }
}
