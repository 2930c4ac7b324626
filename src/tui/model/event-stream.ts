/**
 * The live event stream's state: a bounded ring of the most recent events, the filter, and the
 * "paused stream" — a frozen, filtered snapshot the user scrolls and selects in while the guest
 * (and the ring) go on. Pausing the stream never pauses the guest.
 *
 * Contract: push() costs O(1) (the oldest event is dropped past `capacity`); the view functions
 * cost O(rows) while following and O(1) per call while paused (the snapshot is taken once).
 * Sequence numbers (`seq`) are unique and increasing; a selection is kept by seq.
 */
import type { RecEvent } from '../../trace/vtr-reader';
import { categoryOf, type Category } from './categories';
import { EventFilter } from './event-filter';

export interface StreamEvent {
  seq: number;
  ev: RecEvent;
  cat: Category;
}

export const STREAM_CAPACITY = 20_000;

export class EventStream {
  private readonly ring: (StreamEvent | undefined)[];
  private head = 0; // index of the next write
  private count = 0;
  private nextSeq = 1;
  /** Events ever pushed (the ring keeps the last `capacity`). */
  total = 0;
  /** ns of the first event: times are shown relative to it. */
  originNs: number | null = null;
  filter = EventFilter.parse('');
  /** Frozen, filtered list while the stream is paused; null while following. */
  private snapshot: StreamEvent[] | null = null;
  /** Index into the snapshot of the selected event. */
  private cursor = -1;

  constructor(readonly capacity = STREAM_CAPACITY) {
    this.ring = new Array(capacity);
  }

  push(ev: RecEvent): StreamEvent {
    const e: StreamEvent = { seq: this.nextSeq++, ev, cat: categoryOf(ev.name) };
    if (this.originNs === null) this.originNs = ev.ns;
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.total++;
    return e;
  }

  get size(): number {
    return this.count;
  }

  /** The i-th newest event (0 = newest). */
  private newest(i: number): StreamEvent {
    return this.ring[(this.head - 1 - i + this.capacity * 2) % this.capacity]!;
  }

  get paused(): boolean {
    return this.snapshot !== null;
  }

  setFilter(f: EventFilter): void {
    const selected = this.selected();
    this.filter = f;
    if (this.snapshot !== null) {
      this.snapshot = this.collect();
      this.cursor = selected === null ? this.snapshot.length - 1 : this.indexAtOrBefore(selected.seq);
    }
  }

  /** Freeze the filtered view; the newest matching event is selected. */
  pause(): void {
    if (this.snapshot !== null) return;
    this.snapshot = this.collect();
    this.cursor = this.snapshot.length - 1;
  }

  /** Follow the newest events again (the selection is dropped). */
  resume(): void {
    this.snapshot = null;
    this.cursor = -1;
  }

  togglePause(): void {
    if (this.paused) this.resume();
    else this.pause();
  }

  /** Move the selection by `delta` (pauses the stream first). */
  move(delta: number): void {
    this.pause();
    const n = this.snapshot!.length;
    if (n === 0) return;
    this.cursor = Math.max(0, Math.min(n - 1, (this.cursor < 0 ? n - 1 : this.cursor) + delta));
  }

  /** Jump to the oldest (`'first'`) or newest (`'last'`) event of the snapshot. */
  jump(to: 'first' | 'last'): void {
    this.pause();
    const n = this.snapshot!.length;
    this.cursor = n === 0 ? -1 : to === 'first' ? 0 : n - 1;
  }

  selected(): StreamEvent | null {
    if (this.snapshot === null || this.cursor < 0) return null;
    return this.snapshot[this.cursor] ?? null;
  }

  /** Matching events shown in the pane: at most `rows`, oldest first, and the selected row (-1: none). */
  view(rows: number): { rows: StreamEvent[]; selected: number; matching: number | null } {
    if (rows <= 0) return { rows: [], selected: -1, matching: null };
    if (this.snapshot === null) {
      const out: StreamEvent[] = [];
      for (let i = 0; i < this.count && out.length < rows; i++) {
        const e = this.newest(i);
        if (this.filter.test(e.ev.name)) out.push(e);
      }
      return { rows: out.reverse(), selected: -1, matching: null };
    }
    const n = this.snapshot.length;
    // Keep the cursor in view, biased to show what follows it.
    let start = Math.max(0, Math.min(this.cursor - Math.floor(rows / 2), n - rows));
    if (start < 0) start = 0;
    return { rows: this.snapshot.slice(start, start + rows), selected: this.cursor - start, matching: n };
  }

  private collect(): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (let i = this.count - 1; i >= 0; i--) {
      const e = this.newest(i);
      if (this.filter.test(e.ev.name)) out.push(e);
    }
    return out;
  }

  private indexAtOrBefore(seq: number): number {
    const s = this.snapshot!;
    let i = s.length - 1;
    while (i > 0 && s[i].seq > seq) i--;
    return i;
  }
}
