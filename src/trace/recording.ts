/**
 * A recording (`--trace-out FILE.vtr`) as its starter sees it: start the writer thread
 * (recorder-worker.ts), wait until it listens, publish the RecorderLink so every thread started
 * from now on records too, record this thread, and at the end close it all and get the summary.
 *
 * Contract: startRecording/close are called on one thread (the emulator thread, or a test), and
 * block it briefly (start: until the writer is up, ~50 ms; close: until the file is complete).
 * Memory is bounded: one ring per thread (RecorderLink.ringBytes) plus the writer's chunk buffer.
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { publishRecorderLink, startThreadRecorder, type RecorderLink, type ThreadKind, type ThreadRecorder } from './recorder';
import { encodeHeader, VTR_MAJOR, VTR_MINOR, type VtrHeader } from './vtr-format';
import { RING_DEFAULT_BYTES } from './ring';
import { workerModulePath } from '../util/worker-script';
import { realtimeOffsetNs } from '../host/record';
import { allTracepoints } from './generated/tracepoints';
import type { AnyTracepoint } from './tracepoint';
import type { WriterSummary } from './recorder-writer';
import { CONTROL_BYTES, C_DOORBELL, C_STATE, RecState, readSummary, type RecorderWorkerData } from './recorder-control';

export type RecordingSummary = WriterSummary | { failed: string };

export interface RecordingOptions {
  file: string;
  /** Ring size per thread (bytes); default RING_DEFAULT_BYTES. */
  ringBytes?: number;
  /** How often the writer drains when nobody kicks it (ms); default 20. */
  flushMs?: number;
  /** Name and kind of the starting thread's recorder. */
  threadName?: string;
  threadKind?: ThreadKind;
  argv?: string[];
}

export class RecordingError extends Error {}

export interface Recording {
  readonly link: RecorderLink;
  readonly file: string;
  /** Stop recording everywhere, finish the file; idempotent. */
  close(): WriterSummary;
}

function makeHeader(o: RecordingOptions, ringBytes: number): VtrHeader {
  const tps = allTracepoints as readonly AnyTracepoint[];
  return {
    format: 'vtrace-recording',
    version: `${VTR_MAJOR}.${VTR_MINOR}`,
    producer: `vtrace ${(require('../../package.json') as { version: string }).version}`,
    created: new Date().toISOString(),
    pid: process.pid,
    cwd: process.cwd(),
    argv: o.argv ?? process.argv.slice(1),
    realtimeOffsetNs: realtimeOffsetNs().toString(),
    clock: 'CLOCK_MONOTONIC',
    catalog: tps.map((tp) => ({ ...tp.info, argNames: [...tp.info.argNames], argTypes: [...tp.info.argTypes] })),
    enabled: tps.filter((tp) => tp.on).map((tp) => tp.name),
    ringBytes,
  };
}

/** Start recording to `o.file`. Throws RecordingError (one line) if the file cannot be written. */
export function startRecording(o: RecordingOptions): Recording {
  const ringBytes = o.ringBytes ?? RING_DEFAULT_BYTES;
  const controlSab = new SharedArrayBuffer(CONTROL_BYTES);
  const control = new Int32Array(controlSab);
  const channel = `vtrace-recording-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const data: RecorderWorkerData = {
    file: o.file,
    header: encodeHeader(makeHeader(o, ringBytes)),
    control: controlSab,
    channel,
    flushMs: o.flushMs ?? 20,
  };
  const script = workerModulePath(path.join(__dirname, `recorder-worker${path.extname(__filename)}`));
  const worker = new Worker(script, { workerData: data, name: 'vtrace-recorder' });
  worker.unref();
  let crashed: string | undefined;
  worker.on('error', (e) => (crashed = e instanceof Error ? e.message : String(e)));
  const deadline = Date.now() + 10_000;
  while (Atomics.load(control, C_STATE) === RecState.STARTING && Date.now() < deadline) {
    Atomics.wait(control, C_STATE, RecState.STARTING, 50);
  }
  const state = Atomics.load(control, C_STATE);
  if (state !== RecState.READY) {
    const s = readSummary<RecordingSummary>(control);
    void worker.terminate();
    throw new RecordingError(s && 'failed' in s ? s.failed : `the recording thread did not start${crashed ? `: ${crashed}` : ''}`);
  }
  const link: RecorderLink = { channel, control: controlSab, ringBytes };
  publishRecorderLink(link);
  const self: ThreadRecorder = startThreadRecorder(link, o.threadKind ?? 'emulator', o.threadName);
  let summary: WriterSummary | undefined;
  return {
    link,
    file: o.file,
    close(): WriterSummary {
      if (summary !== undefined) return summary;
      self.close();
      publishRecorderLink(null);
      Atomics.store(control, C_STATE, RecState.CLOSING);
      Atomics.add(control, C_DOORBELL, 1);
      Atomics.notify(control, C_DOORBELL);
      const end = Date.now() + 60_000;
      while (Atomics.load(control, C_STATE) === RecState.CLOSING && Date.now() < end) Atomics.wait(control, C_STATE, RecState.CLOSING, 100);
      const s = readSummary<RecordingSummary>(control);
      if (s === undefined || 'failed' in s) {
        summary = { events: 0, lost: 0, bytes: 0, lastNs: 0, file: o.file, threads: [], error: s && 'failed' in s ? s.failed : 'the recording thread did not finish the file' };
      } else summary = s;
      return summary;
    },
  };
}

/** The line printed at the end of a run (and lines for losses and errors). */
export function summaryLines(s: WriterSummary): string[] {
  const mb = (s.bytes / 1e6).toFixed(1);
  const lines = [`vtrace: --trace-out ${s.file}: ${s.events} events, ${mb} MB, ${s.lost} lost`];
  if (s.lost > 0) {
    const who = s.threads.filter((t) => t.lost > 0).map((t) => `${t.name}: ${t.lost}`).join(', ');
    lines.push(`vtrace: --trace-out ${s.file}: ${s.lost} events were lost (${who})${s.error ? '' : '; a larger --trace-buffer keeps them'}`);
  }
  if (s.error) lines.push(`vtrace: --trace-out ${s.file}: writing stopped: ${s.error}; the file holds what came before`);
  return lines;
}
