/**
 * Merging the tail's per-thread chunks into time order. A chunk of one thread can arrive after a
 * later chunk of another, so events are held back until they are older than the newest event seen
 * by `holdNs`, and released all at once when the source goes quiet (no new events in a poll: a
 * stopped or finished machine).
 *
 * Contract: release() returns events sorted by ns (ties: thread index, then arrival order);
 * memory is what is held (at most `holdNs` of events).
 */
import type { RecEvent } from '../../trace/vtr-reader';

export class Reorder {
  private held: RecEvent[] = [];
  private newest = -Infinity;

  constructor(private readonly holdNs = 100_000_000) {}

  push(events: readonly RecEvent[]): void {
    for (const e of events) {
      this.held.push(e);
      if (e.ns > this.newest) this.newest = e.ns;
    }
  }

  /** Events safe to show now; `all` releases everything (quiet source, end of the recording). */
  release(all: boolean): RecEvent[] {
    if (this.held.length === 0) return [];
    this.held.sort((a, b) => a.ns - b.ns || a.thread.index - b.thread.index);
    if (all) {
      const out = this.held;
      this.held = [];
      return out;
    }
    const horizon = this.newest - this.holdNs;
    let n = 0;
    while (n < this.held.length && this.held[n].ns <= horizon) n++;
    return this.held.splice(0, n);
  }

  get pending(): number {
    return this.held.length;
  }
}
