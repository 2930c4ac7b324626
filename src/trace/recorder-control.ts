/**
 * The control words a recording's starter (recording.ts), its producers (recorder.ts) and its
 * writer thread (recorder-worker.ts) share, in one small module so the writer thread loads only
 * what it uses (it starts while the emulator thread waits for it).
 *
 * Int32 words of RecorderLink.control: [C_DOORBELL] bumped and notified to wake the writer;
 * [C_STATE] the writer's RecState; [C_SUMMARY_LEN] then, from byte SUMMARY_AT, the summary JSON.
 */
import type { VtrThread } from './vtr-format';

export const C_DOORBELL = 0;
export const C_STATE = 1;
const C_SUMMARY_LEN = 2;
const SUMMARY_AT = 64;
export const CONTROL_BYTES = 64 * 1024;

export enum RecState {
  STARTING = 0,
  READY = 1,
  CLOSING = 2,
  CLOSED = 3,
  FAILED = 4,
}

/** A ring registration as the writer receives it. */
export interface RingRegistration {
  type: 'ring';
  ring: SharedArrayBuffer;
  tid: number;
  name: string;
  kind: VtrThread['kind'];
}

export interface RecorderWorkerData {
  file: string;
  header: Uint8Array;
  control: SharedArrayBuffer;
  channel: string;
  flushMs: number;
}

export function writeSummary(control: Int32Array, s: unknown): void {
  const bytes = Buffer.from(JSON.stringify(s), 'utf8').subarray(0, CONTROL_BYTES - SUMMARY_AT);
  new Uint8Array(control.buffer, SUMMARY_AT, bytes.length).set(bytes);
  Atomics.store(control, C_SUMMARY_LEN, bytes.length);
}

export function readSummary<T>(control: Int32Array): T | undefined {
  const n = Atomics.load(control, C_SUMMARY_LEN);
  if (n <= 0) return undefined;
  return JSON.parse(Buffer.from(new Uint8Array(control.buffer, SUMMARY_AT, n)).toString('utf8')) as T;
}
