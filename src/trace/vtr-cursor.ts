/**
 * The allocation-free way through a recording's events (vtr-reader.ts builds `events()` on it; the
 * exporters use it directly): every thread's EVTS chunks, merged by time into one stream, each
 * record decoded in place into one reused RecordView (event-codec.ts).
 *
 *   const c = rec.scan({ fromNs, toNs, names });
 *   while (c.next()) use(c.view, c.thread);    // view and thread valid until the next next()
 *
 * Order: as vtr-reader.ts documents (ns, ties by thread index; a thread's own order kept).
 * Memory: one chunk buffer per recorded thread (chunks are ~1 MiB), reused. Filters: chunks wholly
 * outside [fromNs, toNs] are not read; records outside it or whose tracepoint fails `names` are
 * skipped once parsed (parsing does not decode arguments). Each record is parsed once.
 * A malformed record throws VtrError naming the chunk's byte offset.
 */
import * as fs from 'node:fs';
import { RecordView } from './record-view';
import { VarintError } from './varint';
import { CHUNK_HEADER, EVTS_HEADER, type VtrThread } from './vtr-format';

/** A recording that cannot be read: one line for the user (vtr-reader.ts re-exports it). */
export class VtrError extends Error {}

/** An EVTS chunk as the index found it. */
export interface ChunkRef {
  /** Byte offset of the records (after the EVTS header). */
  offset: number;
  length: number;
  thread: number;
  count: number;
  firstNs: number;
  lastNs: number;
}

export interface CursorQuery {
  fromNs?: number;
  toNs?: number;
  /** Per tracepoint index: keep (1) or skip (0); null keeps everything. */
  keep: Uint8Array | null;
}

class ThreadCursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  ci = 0;
  /** Time of the record at `pos` (the next one this thread yields). */
  ns = 0;
  chunkAt = 0;
  /** That record, parsed (each record is parsed once, when its thread reaches it). */
  readonly view = new RecordView();
  constructor(
    readonly thread: VtrThread,
    readonly chunks: readonly ChunkRef[],
  ) {}
}

export class EventCursor {
  /** The current record (one per thread underneath: re-read it after each next()). */
  view: RecordView = new RecordView();
  /** Thread of the record in `view`. */
  thread!: VtrThread;
  private readonly heap: ThreadCursor[] = [];
  private last: ThreadCursor | null = null;
  private readonly fromNs: number;
  private readonly toNs: number;

  constructor(
    private readonly fd: number,
    private readonly path: string,
    byThread: ReadonlyMap<number, readonly ChunkRef[]>,
    threads: ReadonlyMap<number, VtrThread>,
    private readonly kinds: readonly (Uint8Array | undefined)[],
    private readonly q: CursorQuery,
  ) {
    this.fromNs = q.fromNs ?? -Infinity;
    this.toNs = q.toNs ?? Infinity;
    for (const [idx, list] of byThread) {
      const c = new ThreadCursor(threads.get(idx)!, list);
      if (this.advance(c)) this.push(c);
    }
  }

  /** Decode the next event into `view`; false at the end. */
  next(): boolean {
    const heap = this.heap;
    if (this.last !== null) {
      const c = this.last;
      this.last = null;
      if (this.advance(c)) this.siftDown(0);
      else {
        const tail = heap.pop()!;
        if (heap.length > 0 && tail !== c) {
          heap[0] = tail;
          this.siftDown(0);
        }
      }
    }
    if (heap.length === 0) return false;
    const c = heap[0];
    this.view = c.view;
    c.pos = c.view.next;
    this.thread = c.thread;
    this.last = c;
    return true;
  }

  private corrupt(c: ThreadCursor, e: unknown): Error {
    if (!(e instanceof VarintError)) return e as Error;
    return new VtrError(`${this.path}: corrupt recording: bad event record in the chunk at byte ${c.chunkAt}: ${e.message}`);
  }

  /** Move `c` to its next wanted record, parsed into c.view (reading chunks as needed); false when it has none. */
  private advance(c: ThreadCursor): boolean {
    const keep = this.q.keep;
    const v = c.view;
    for (;;) {
      if (c.pos >= c.end && !this.load(c)) return false;
      try {
        v.parse(c.buf, c.pos, c.end, this.kinds);
      } catch (e) {
        throw this.corrupt(c, e);
      }
      const ns = v.ns;
      if (ns > this.toNs) return false;
      if (ns >= this.fromNs && (keep === null || keep[v.tpId] === 1)) {
        c.ns = ns;
        return true;
      }
      c.pos = v.next;
    }
  }

  /** Read `c`'s next chunk that may hold wanted records; false when there is none. */
  private load(c: ThreadCursor): boolean {
    while (c.ci < c.chunks.length) {
      const ref = c.chunks[c.ci++];
      if (ref.lastNs < this.fromNs) continue;
      if (ref.firstNs > this.toNs) return false;
      if (c.buf.length < ref.length) c.buf = Buffer.allocUnsafe(Math.max(ref.length, 2 * c.buf.length));
      let got = 0;
      while (got < ref.length) {
        const n = fs.readSync(this.fd, c.buf, got, ref.length - got, ref.offset + got);
        if (n === 0) break;
        got += n;
      }
      c.pos = 0;
      c.end = got;
      c.chunkAt = ref.offset - EVTS_HEADER - CHUNK_HEADER;
      if (got > 0) return true;
    }
    return false;
  }

  private less(a: ThreadCursor, b: ThreadCursor): boolean {
    return a.ns < b.ns || (a.ns === b.ns && a.thread.index < b.thread.index);
  }

  private push(c: ThreadCursor): void {
    const h = this.heap;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(h[l], h[m])) m = l;
      if (r < n && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      const t = h[i];
      h[i] = h[m];
      h[m] = t;
      i = m;
    }
  }
}
