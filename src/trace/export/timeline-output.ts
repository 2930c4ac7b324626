/**
 * The output side of the timeline builder (timeline.ts extends it): tracks (threads, vCPUs,
 * counters, coroutine lanes), slices opened and closed on a track's stack, and records handed to
 * the order window — encoded at once by the format's Encoder, or, for a slice's begin, kept as a
 * Slice until written (records.ts). Track metadata goes out when a track is first used.
 */
import type { RecordView } from '../record-view';
import type { VtrThread } from '../vtr-format';
import { Slice, type Encoder, type OrderWindow, type Track, type TrackKind } from './records';

const VCPU_TID_BASE = 0x7ff00000;
/** Distinct recurring slice names remembered (bounded memory; beyond, names are not cached). */
const MAX_NAMES = 4096;
/** Slots of the string-argument cache (strArg): a power of two. */
const STR_SLOTS = 1024;
/** Longer string arguments are not cached. */
const STR_CACHED_MAX = 64;

export interface ThreadState {
  mainTrack: Track;
  vcpu: Track | null;
  lastMmioName: string;
}

export class TimelineOutput {
  private readonly tracks = new Map<string, Track>();
  private readonly threads: (ThreadState | undefined)[] = [];
  private readonly counterTracks = new Map<string, Track>();
  private readonly names = new Map<string, number>();
  private readonly lanes: Track[] = [];
  protected readonly laneOf = new Map<number, { track: Track; name: string; tid: number }>();
  private readonly strBytes: (Uint8Array | null)[] = new Array<Uint8Array | null>(STR_SLOTS).fill(null);
  private readonly strText: string[] = new Array<string>(STR_SLOTS).fill('');

  constructor(
    protected readonly out: OrderWindow,
    protected readonly enc: Encoder,
  ) {}

  protected track(k: string, kind: TrackKind, name: string, tid: number, sortIndex: number): Track {
    let t = this.tracks.get(k);
    if (t === undefined) {
      t = { index: this.tracks.size, kind, name, tid, sortIndex, stack: [], busy: false };
      this.tracks.set(k, t);
      this.enc.track(t);
    }
    return t;
  }

  protected threadState(th: VtrThread): ThreadState {
    let s = this.threads[th.index];
    if (s === undefined) {
      const name = th.kind === 'emulator' ? 'main-loop' : th.name;
      const sort = th.kind === 'emulator' ? 10 : th.kind === 'iothread' ? 20 + th.index : 100 + th.index;
      s = { mainTrack: this.track(`t${th.index}`, 'thread', name, th.tid, sort), vcpu: null, lastMmioName: '' };
      this.threads[th.index] = s;
    }
    return s;
  }

  /** The index of a recurring slice name (at most MAX_NAMES of them; later ones get -1). */
  protected nameId(name: string): number {
    let id = this.names.get(name);
    if (id === undefined) {
      if (this.names.size >= MAX_NAMES) return -1;
      this.names.set(name, (id = this.names.size));
    }
    return id;
  }

  /**
   * String argument `i` of `v` as String(v.str(i)) gives it ("null" for NULL), without making a
   * new string when the same bytes came recently (slice names repeat: bottom halves, pool job
   * functions, syscalls): a direct-mapped cache by a hash of the bytes, checked byte for byte.
   */
  protected strArg(v: RecordView, i: number): string {
    const at = v.strAt(i);
    const len = v.slen;
    if (len < 0 || len > STR_CACHED_MAX) return String(v.str(i));
    const buf = v.buf;
    let h = len;
    for (let k = 0; k < len; k++) h = Math.imul(h ^ buf[at + k], 16777619);
    const slot = (h ^ (h >>> 13)) & (STR_SLOTS - 1);
    const c = this.strBytes[slot];
    if (c !== null && c.length === len) {
      let k = 0;
      while (k < len && c[k] === buf[at + k]) k++;
      if (k === len) return this.strText[slot];
    }
    const text = String(v.str(i));
    this.strBytes[slot] = buf.slice(at, at + len);
    this.strText[slot] = text;
    return text;
  }

  protected begin(track: Track, k: number, name: string, v: RecordView, ns = v.ns, recurring = true): Slice {
    const s = new Slice(ns, track, name, k, recurring ? this.nameId(name) : -1);
    if (v.nargs > 0 || v.mask !== 0) {
      const a = this.out.arena;
      s.argsOff = a.pos;
      this.enc.args(a, v);
      s.argsLen = a.pos - s.argsOff;
    }
    this.out.pushSlice(s);
    track.stack.push(s);
    return s;
  }

  /** Close the slice `k` on `track` (and any opened inside it); ignored if it is not open. */
  protected end(track: Track, k: number, ns: number): Slice | undefined {
    const st = track.stack;
    let i = st.length - 1;
    while (i >= 0 && st[i].key !== k) i--;
    if (i < 0) return undefined;
    let found: Slice | undefined;
    while (st.length > i) {
      const s = st.pop()!;
      s.dur = ns - s.ns;
      const m = this.out.mark();
      if (this.enc.endNow(this.out.arena, s, ns)) this.out.pushBytes(ns, m);
      else this.out.pushEnd(s, ns);
      found = s;
    }
    return found;
  }

  protected top(track: Track): Slice | undefined {
    const st = track.stack;
    return st.length > 0 ? st[st.length - 1] : undefined;
  }

  protected counter(name: string, ns: number, value: number): void {
    let t = this.counterTracks.get(name);
    if (t === undefined) this.counterTracks.set(name, (t = this.track(`c:${name}`, 'counter', name, 0, 0)));
    const m = this.out.mark();
    this.enc.counter(this.out.arena, t, ns, value);
    this.out.pushBytes(ns, m);
  }

  protected instant(track: Track, v: RecordView): void {
    const m = this.out.mark();
    this.enc.instant(this.out.arena, track, v);
    this.out.pushBytes(v.ns, m);
  }

  protected asyncSlice(begin: boolean, lane: Track, id: number, name: string, tid: number, ns: number, v: RecordView | null): void {
    const m = this.out.mark();
    this.enc.asyncSlice(this.out.arena, begin, lane, id, name, tid, ns, v);
    this.out.pushBytes(ns, m);
  }

  /** A free async lane for coroutine `co` (Perfetto wants nested async slices per track). */
  protected lane(co: number, name: string, tid: number): Track {
    const prev = this.laneOf.get(co);
    if (prev !== undefined) prev.track.busy = false;
    let t = this.lanes.find((l) => !l.busy);
    if (t === undefined) {
      t = this.track(`lane${this.lanes.length}`, 'async', `coroutines #${this.lanes.length}`, 0, 0);
      this.lanes.push(t);
    }
    t.busy = true;
    this.laneOf.set(co, { track: t, name, tid });
    return t;
  }

  /** vCPU `cpu`'s track: a synthetic thread (the emulator thread runs every vCPU in turn). */
  protected vcpuTrack(cpu: number): Track {
    return this.track(`vcpu${cpu}`, 'thread', `vcpu${cpu}`, VCPU_TID_BASE + cpu, cpu);
  }

  /** Every track made so far. */
  protected allTracks(): IterableIterator<Track> {
    return this.tracks.values();
  }
}
