/**
 * The dashboard's charts as data (pure; dash-screen.ts hands them to blessed-contrib):
 * time series of the last `points` samples, and the log2 latency histogram as bars
 * (bcc biolatency's buckets, µs: 0-1, 2-3, 4-7, ...; the empty ends trimmed).
 */
import type { Sample } from '../tui/model/io-stats';

export interface Series {
  x: string[];
  iops: number[];
  readMBps: number[];
  writeMBps: number[];
  queueDepth: number[];
  busyWorkers: number[];
  mips: number[];
  p99: number[];
}

export function timeLabel(t: number, intervalNs: number): string {
  const digits = intervalNs >= 1e9 ? 0 : intervalNs >= 1e8 ? 1 : intervalNs >= 1e7 ? 2 : 3;
  return `${t.toFixed(digits)}s`;
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export function seriesOf(samples: readonly Sample[], points: number, intervalNs: number): Series {
  const s = samples.slice(-Math.max(1, points));
  // blessed-contrib's line chart needs at least two points to draw.
  const pad = s.length === 1 ? [s[0], s[0]] : s;
  return {
    x: pad.map((p) => timeLabel(p.t, intervalNs)),
    iops: pad.map((p) => round(p.iops, 1)),
    readMBps: pad.map((p) => round(p.readMBps, 3)),
    writeMBps: pad.map((p) => round(p.writeMBps, 3)),
    queueDepth: pad.map((p) => p.queueDepth),
    busyWorkers: pad.map((p) => p.busyWorkers),
    mips: pad.map((p) => round(p.mips, 2)),
    p99: pad.map((p) => round(p.p99, 0)),
  };
}

/** A bucket by its lower bound in µs (biolatency's `2 -> 3` row is `2`): `0`, `2`, `4`, ... `1K`, `2M`. */
export function bucketLabel(i: number): string {
  const n = i === 0 ? 0 : 2 ** i;
  return n >= 1048576 ? `${n / 1048576}M` : n >= 1024 ? `${n / 1024}K` : `${n}`;
}

export function histBars(hist: readonly number[], maxBars: number): { titles: string[]; data: number[] } {
  let first = hist.findIndex((n) => n > 0);
  if (first < 0) return { titles: ['none'], data: [0] };
  let last = hist.length - 1;
  while (last > first && hist[last] === 0) last--;
  // Too many buckets for the width: keep the window around the mass (drop the lighter end).
  while (last - first + 1 > Math.max(1, maxBars)) {
    if (hist[first] <= hist[last]) first++;
    else last--;
  }
  const idx = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return { titles: idx.map(bucketLabel), data: idx.map((i) => hist[i]) };
}
