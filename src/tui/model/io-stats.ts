/**
 * I/O and CPU statistics over event time, shared by the TUI's stats pane and `vtrace dash`:
 * per-interval samples (IOPS, MB/s read and written, latency percentiles, queue depth, busy pool
 * workers, guest MIPS) and a log2 latency histogram over the whole run (bcc biolatency's buckets:
 * usecs 0-1, 2-3, 4-7, ...).
 *
 * Time is the events' own (host monotonic ns), not the wall clock of whoever reads them, so a
 * finished recording replayed at any speed gives the same samples as the live run did.
 * A sample closes when an event at least one interval past its end is seen (`advance`), or at
 * `flush()` (end of the recording).
 *
 * Contract: bounded memory (the last MAX_SAMPLES samples; latencies of the last LATENCY_WINDOW
 * requests for percentiles); never throws on odd input (negative latencies count as 0).
 */
export interface Sample {
  /** Start of the interval, seconds since the first event. */
  t: number;
  seconds: number;
  iops: number;
  readMBps: number;
  writeMBps: number;
  /** Latency percentiles of the requests completed in the interval, µs (0 when none). */
  p50: number;
  p90: number;
  p99: number;
  /** Requests in flight: the most during the interval. */
  queueDepth: number;
  /** Busy pool workers: the most during the interval, and the workers known. */
  busyWorkers: number;
  workers: number;
  mips: number;
}

export const MAX_SAMPLES = 3600;
const LATENCY_WINDOW = 4096;
export const HIST_BUCKETS = 32;

interface Open {
  start: number;
  reqs: number;
  readBytes: number;
  writeBytes: number;
  lat: number[];
  queueDepth: number;
  busy: number;
  instructions: number;
}

/** Percentile `p` (0..1) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

/** biolatency's bucket of a latency in µs: 0 for 0-1, 1 for 2-3, 2 for 4-7, ... */
export function log2Bucket(us: number): number {
  if (!(us >= 2)) return 0;
  return Math.min(HIST_BUCKETS - 1, Math.floor(Math.log2(us)));
}

export class IoStats {
  readonly samples: Sample[] = [];
  /** Whole-run log2 histogram of request latencies (µs). */
  readonly hist = new Array<number>(HIST_BUCKETS).fill(0);
  /** Latencies (µs) of the most recent requests, for whole-run percentiles. */
  private readonly recentLat: number[] = [];
  private origin: number | null = null;
  private open: Open | null = null;
  private depthNow = 0;
  private busyNow = 0;
  workersKnown = 0;
  totalRequests = 0;
  totalRead = 0;
  totalWritten = 0;
  totalInstructions = 0;
  /** Event time of the last event seen, ns. */
  lastNs = 0;
  /** Bumped whenever a sample closes. */
  version = 0;

  constructor(readonly intervalNs = 1e9) {}

  /** Event time moved to `ns`: close the intervals that ended before it. */
  advance(ns: number): void {
    if (this.origin === null) {
      this.origin = ns;
      this.open = this.newOpen(ns);
    }
    if (ns > this.lastNs) this.lastNs = ns;
    const o = this.open!;
    if (ns - o.start > MAX_SAMPLES * this.intervalNs) {
      // A long quiet gap (a paused machine): skip ahead instead of closing every empty interval.
      this.close(o.start + this.intervalNs);
      this.open = this.newOpen(o.start + Math.floor((ns - o.start) / this.intervalNs) * this.intervalNs);
    }
    while (this.open !== null && ns >= this.open.start + this.intervalNs) {
      this.close(this.open.start + this.intervalNs);
      this.open = this.newOpen(this.open!.start + this.intervalNs);
    }
  }

  completed(ns: number, op: string, bytes: number, latencyNs: number): void {
    this.advance(ns);
    const o = this.open!;
    const us = Math.max(0, latencyNs) / 1000;
    o.reqs++;
    if (op === 'read') o.readBytes += bytes;
    else if (op === 'write') o.writeBytes += bytes;
    if (o.lat.length < LATENCY_WINDOW) o.lat.push(us);
    this.hist[log2Bucket(us)]++;
    this.recentLat.push(us);
    if (this.recentLat.length > LATENCY_WINDOW) this.recentLat.shift();
    this.totalRequests++;
    if (op === 'read') this.totalRead += bytes;
    else if (op === 'write') this.totalWritten += bytes;
  }

  queueDepth(ns: number, depth: number): void {
    this.advance(ns);
    this.depthNow = depth;
    if (depth > this.open!.queueDepth) this.open!.queueDepth = depth;
  }

  busyWorkers(ns: number, busy: number, workers: number): void {
    this.advance(ns);
    this.busyNow = busy;
    this.workersKnown = Math.max(this.workersKnown, workers);
    if (busy > this.open!.busy) this.open!.busy = busy;
  }

  instructions(ns: number, n: number): void {
    this.advance(ns);
    this.open!.instructions += n;
    this.totalInstructions += n;
  }

  /** Close the interval in progress (the recording ended), pro rata for its length. */
  flush(): void {
    if (this.open === null || this.lastNs <= this.open.start) return;
    this.close(this.lastNs);
    this.open = this.newOpen(this.lastNs);
  }

  /** Percentiles over the latest requests (µs). */
  runPercentiles(): { p50: number; p90: number; p99: number; n: number } {
    const s = [...this.recentLat].sort((a, b) => a - b);
    return { p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), n: this.totalRequests };
  }

  /** The last closed sample, if any. */
  last(): Sample | undefined {
    return this.samples[this.samples.length - 1];
  }

  private newOpen(start: number): Open {
    return { start, reqs: 0, readBytes: 0, writeBytes: 0, lat: [], queueDepth: this.depthNow, busy: this.busyNow, instructions: 0 };
  }

  private close(end: number): void {
    const o = this.open!;
    const seconds = (end - o.start) / 1e9;
    if (seconds <= 0) return;
    const lat = o.lat.sort((a, b) => a - b);
    this.samples.push({
      t: (o.start - this.origin!) / 1e9,
      seconds,
      iops: o.reqs / seconds,
      readMBps: o.readBytes / 1e6 / seconds,
      writeMBps: o.writeBytes / 1e6 / seconds,
      p50: percentile(lat, 0.5),
      p90: percentile(lat, 0.9),
      p99: percentile(lat, 0.99),
      queueDepth: o.queueDepth,
      busyWorkers: o.busy,
      workers: this.workersKnown,
      mips: o.instructions / 1e6 / seconds,
    });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    this.version++;
  }
}
