/**
 * Feeding the dashboard from a .vtr recording, through the same model as the TUI (the request
 * pipeline and the statistics over event time):
 *   - a finished recording (it has its end record) is read once, in time order, in batches
 *     (bounded memory whatever its size: the reader holds one chunk per thread);
 *   - one still being written is followed with the tail reader, every 250 ms, as it grows.
 *
 * The interval: given (--interval), else chosen so a finished recording spans about 60 samples
 * (1-2-5 steps, at least 1 ms), else (a growing file) 1 s.
 *
 * Contract: start() throws VtrError for a file that is not a readable recording (one line for the
 * user); later errors land in data.error.
 */
import { openRecording, VtrError, type RecEvent } from '../trace/vtr-reader';
import { TuiModel } from '../tui/model/tui-model';
import { EventSource } from '../tui/live/event-source';
import type { DashData } from './dash-data';

/** A 1-2-5 step at least `ns` (and at least 1 ms). */
export function niceInterval(ns: number): number {
  let step = 1e6;
  for (;;) {
    for (const m of [1, 2, 5]) if (step * m >= ns) return step * m;
    step *= 10;
  }
}

const BATCH = 8192;

export class RecordingFeed {
  private source: EventSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private model: TuiModel | null = null;
  private sent = 0;

  constructor(
    readonly file: string,
    private readonly data: DashData,
    private readonly intervalNs?: number,
  ) {}

  start(): void {
    const rec = openRecording(this.file);
    const complete = rec.end.complete;
    const interval = this.intervalNs ?? (complete ? niceInterval((rec.end.lastNs - rec.end.firstNs) / 60) : 1e9);
    const m = (this.model = new TuiModel(interval));
    this.data.intervalNs = interval;
    this.data.title = this.file;
    if (complete) {
      try {
        for (const t of rec.threads.values()) m.addThread(t);
        let batch: RecEvent[] = [];
        for (const ev of rec.events()) {
          batch.push(ev);
          if (batch.length >= BATCH) {
            m.ingest(batch);
            batch = [];
          }
        }
        m.ingest(batch);
      } catch (e) {
        if (!(e instanceof VtrError)) throw e;
        this.data.error = e.message;
      } finally {
        rec.close();
      }
      m.stats.flush();
      this.data.state = `recording complete: ${rec.end.events} events${rec.lost.total > 0 ? `, ${rec.lost.total} lost` : ''}`;
      this.data.ended = true;
      this.publish();
      return;
    }
    rec.close();
    this.data.state = 'recording in progress (following)';
    this.source = new EventSource(this.file, { addThread: (t) => m.addThread(t), ingestRaw: () => {}, ingest: (e) => m.ingest(e) }, (msg) => {
      this.data.error = msg;
      this.data.changed();
    });
    this.follow();
    this.timer = setInterval(() => this.follow(), 250);
    this.timer.unref();
  }

  private follow(): void {
    const src = this.source!;
    src.poll(false);
    if (src.ended) {
      src.poll(true);
      this.model!.stats.flush();
      this.data.ended = true;
      this.data.state = 'recording complete';
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
    }
    this.publish();
  }

  private publish(): void {
    const m = this.model!;
    const { samples, version } = m.stats;
    for (let i = Math.max(0, samples.length - (version - this.sent)); i < samples.length; i++) this.data.addSample(samples[i]);
    this.sent = version;
    this.data.hist = [...m.stats.hist];
    this.data.changed();
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.source?.close();
  }
}
