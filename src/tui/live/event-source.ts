/**
 * The live event source: follows a growing .vtr recording (the run records to a temporary file,
 * or to the user's --trace-out) with the recording module's tail reader (src/trace/vtr-tail.ts),
 * and hands the model batches: threads as they are announced, events in the tail's order (for
 * the backtrace index) and then in time order (reorder.ts).
 *
 * Sampling, not streaming: it polls every `intervalMs` (default 100 ms) and reads whatever the
 * recorder's writer thread has flushed since (whole, checksummed chunks), so the TUI's cost does
 * not grow with the event rate beyond decoding; the emulator thread never waits for it.
 *
 * Contract: start()/stop() on the main thread; a corrupt recording stops the source with its
 * error on `onError` (the TUI says so and goes on without events).
 */
import { VtrTail } from '../../trace/vtr-tail';
import type { RecEvent } from '../../trace/vtr-reader';
import type { VtrHeader, VtrThread } from '../../trace/vtr-format';
import { Reorder } from './reorder';

export interface EventSink {
  header?(h: VtrHeader): void;
  addThread(t: VtrThread): void;
  ingestRaw(events: readonly RecEvent[]): void;
  ingest(events: readonly RecEvent[]): void;
  lost?(total: number): void;
}

export class EventSource {
  private readonly tail: VtrTail;
  private readonly reorder = new Reorder();
  private readonly announced = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private headerSeen = false;
  private failed = false;
  /** True once the recording's end record was read. */
  ended = false;

  constructor(
    readonly path: string,
    private readonly sink: EventSink,
    private readonly onError: (message: string) => void = () => {},
    private readonly intervalMs = 100,
  ) {
    this.tail = new VtrTail(path);
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.poll(false), this.intervalMs);
    this.timer.unref();
  }

  /** Read what is there now; `final` releases every held event (the run is over). */
  poll(final: boolean): void {
    if (this.failed) return;
    let events: RecEvent[];
    try {
      events = this.tail.poll();
    } catch (e) {
      this.failed = true;
      this.onError(e instanceof Error ? e.message : String(e));
      return;
    }
    if (this.tail.header !== null && !this.headerSeen) {
      this.headerSeen = true;
      this.sink.header?.(this.tail.header);
    }
    for (const t of this.tail.threads.values()) {
      if (!this.announced.has(t.index)) {
        this.announced.add(t.index);
        this.sink.addThread(t);
      }
    }
    this.ended = this.tail.ended;
    if (this.tail.lost > 0) this.sink.lost?.(this.tail.lost);
    this.sink.ingestRaw(events);
    this.reorder.push(events);
    this.sink.ingest(this.reorder.release(final || this.ended || events.length === 0));
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
    this.tail.close();
  }
}
