/**
 * What the dashboard shows, whatever feeds it (a recording, or a live run's control socket):
 * the samples (IOPS, MB/s, latency percentiles, queue depth, busy workers, MIPS per interval),
 * the run's log2 latency histogram, the machine's state, a title, and whether the feed ended.
 *
 * Contract: plain data; feeds call `changed()` after updating, the screen redraws on it (sampled
 * by the screen's own timer, never per message).
 */
import { HIST_BUCKETS, type Sample } from '../tui/model/io-stats';

export class DashData {
  samples: Sample[] = [];
  hist: number[] = new Array<number>(HIST_BUCKETS).fill(0);
  state = '';
  title = '';
  intervalNs = 1e9;
  ended = false;
  /** A problem to show (a corrupt recording, a lost connection). */
  error = '';
  version = 0;
  private readonly max: number;

  constructor(max = 3600) {
    this.max = max;
  }

  addSample(s: Sample): void {
    this.samples.push(s);
    if (this.samples.length > this.max) this.samples.shift();
  }

  changed(): void {
    this.version++;
  }

  peaks(): { iops: number; mbps: number; queueDepth: number; busy: number; mips: number } {
    const p = { iops: 0, mbps: 0, queueDepth: 0, busy: 0, mips: 0 };
    for (const s of this.samples) {
      p.iops = Math.max(p.iops, s.iops);
      p.mbps = Math.max(p.mbps, s.readMBps + s.writeMBps);
      p.queueDepth = Math.max(p.queueDepth, s.queueDepth);
      p.busy = Math.max(p.busy, s.busyWorkers);
      p.mips = Math.max(p.mips, s.mips);
    }
    return p;
  }

  totals(): { requests: number; seconds: number } {
    let requests = 0;
    let seconds = 0;
    for (const s of this.samples) {
      requests += s.iops * s.seconds;
      seconds += s.seconds;
    }
    return { requests: Math.round(requests), seconds };
  }
}
