/**
 * Entry of a recording's writer thread (started by recording.ts on the emulator thread). Subscribes
 * to the ring registrations, tells its starter it is ready, then drains the rings every
 * `flushMs` (or sooner when a producer kicks the doorbell) until asked to finish.
 *
 * Control words (recorder-control.ts C_*): STATE goes STARTING → READY (or FAILED with the reason in the
 * summary area) → CLOSING (set by the starter) → CLOSED (summary JSON written, file closed).
 */
import { BroadcastChannel, workerData } from 'node:worker_threads';
import { RecordingWriter } from './recorder-writer';
import { C_DOORBELL, C_STATE, RecState, writeSummary, type RecorderWorkerData, type RingRegistration } from './recorder-control';

/** Atomics.waitAsync (V8, Node ≥ 16; not in TypeScript's ES2022 lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

async function main(): Promise<void> {
  const d = workerData as RecorderWorkerData;
  const control = new Int32Array(d.control);
  const setState = (s: RecState): void => {
    Atomics.store(control, C_STATE, s);
    Atomics.notify(control, C_STATE);
  };
  let writer: RecordingWriter;
  try {
    writer = new RecordingWriter(d.file, d.header);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    writeSummary(control, { failed: `cannot write ${d.file}: ${err.code ?? ''} ${err.message}`.trim() });
    setState(RecState.FAILED);
    return;
  }
  const bc = new BroadcastChannel(d.channel);
  bc.onmessage = (e: unknown) => {
    const m = (e as { data: RingRegistration }).data;
    if (m && m.type === 'ring') writer.addRing(m);
  };
  setState(RecState.READY);
  for (;;) {
    const seen = Atomics.load(control, C_DOORBELL);
    writer.drainAll(8);
    if (Atomics.load(control, C_STATE) === RecState.CLOSING) break;
    const r = waitAsync(control, C_DOORBELL, seen, d.flushMs);
    if (r.async) await r.value;
  }
  // Registrations posted just before the close request are delivered by the event loop: let it run once.
  await new Promise((resolve) => setImmediate(resolve));
  bc.close();
  const summary = writer.finish();
  writeSummary(control, summary);
  setState(RecState.CLOSED);
}

void main();
