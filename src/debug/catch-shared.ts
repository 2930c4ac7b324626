/**
 * The shared memory between the emulator thread and the pool workers for `catch syscall` (one
 * SharedArrayBuffer, handed to workers through worker_threads environment data, which every worker
 * the emulator thread spawns inherits).
 *
 * Int32 words:
 *   VERSION    bumped when the catch set (JSON in CATCH area) changes
 *   COUNT      number of enabled syscall catchpoints (0: workers pay one load per syscall)
 *   STOPPED    1 while the emulator thread is in a stop: a worker with catchpoints set blocks at
 *              its next syscall until it is 0 (all-stop)
 *   OWNER      tid of the worker whose hit is being reported (0: free); claimed by compareExchange
 *   RESUME     bumped (and notified) when the owner may go on
 *   REPORT_LEN bytes of the report JSON
 *   CATCH_LEN  bytes of the catch set JSON
 * Byte areas: CATCH at 4096 (16 KiB), REPORT at 20480 (44 KiB).
 *
 * Contract: any thread. Writers of an area publish its length after the bytes (Atomics.store).
 */
import type { SharedEventNotifier } from '../util/event-notifier';
import type { Anchor, Frame } from './frames';
import type { CatchSpec } from './syscall-info';

export const VERSION = 0;
export const COUNT = 1;
export const STOPPED = 2;
export const OWNER = 3;
export const RESUME = 4;
export const REPORT_LEN = 5;
export const CATCH_LEN = 6;

const CATCH_AT = 4096;
const CATCH_MAX = 16 * 1024;
const REPORT_AT = CATCH_AT + CATCH_MAX;
const REPORT_MAX = 44 * 1024;
export const SHARED_BYTES = REPORT_AT + REPORT_MAX;

/** The environment-data key under which the emulator thread leaves CatchEnv for its workers. */
export const CATCH_ENV_KEY = 'vtrace.debug.catch';

export interface CatchEnv {
  sab: SharedArrayBuffer;
  /** Set by a worker to make the emulator thread's main loop look at the report. */
  notifier: SharedEventNotifier;
}

/** What a worker reports at a hit. */
export interface WorkerHit {
  kind: 'call' | 'return';
  name: string;
  raw: unknown;
  ret?: number;
  /** Catchpoints whose name and condition matched (condition errors included, with the text). */
  nums: number[];
  condErrors: Array<[number, string]>;
  thread: string;
  tid: number;
  frames: Frame[];
  /** The worker's stack with its job's submission link (plain), for the stitched `bt`; absent if backtraces are not armed. */
  anchor?: Anchor;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function writeArea(sab: SharedArrayBuffer, at: number, max: number, lenWord: number, text: string): void {
  let bytes = enc.encode(text);
  if (bytes.length > max) bytes = enc.encode(JSON.stringify({ truncated: true }));
  new Uint8Array(sab, at, bytes.length).set(bytes);
  Atomics.store(new Int32Array(sab), lenWord, bytes.length);
}

function readArea(sab: SharedArrayBuffer, at: number, lenWord: number): string {
  const n = Atomics.load(new Int32Array(sab), lenWord);
  return dec.decode(new Uint8Array(sab, at, n).slice());
}

export function writeCatchSet(sab: SharedArrayBuffer, specs: readonly CatchSpec[]): void {
  writeArea(sab, CATCH_AT, CATCH_MAX, CATCH_LEN, JSON.stringify(specs));
  const w = new Int32Array(sab);
  Atomics.store(w, COUNT, specs.length);
  Atomics.add(w, VERSION, 1);
}

export function readCatchSet(sab: SharedArrayBuffer): CatchSpec[] {
  const t = readArea(sab, CATCH_AT, CATCH_LEN);
  return t === '' ? [] : (JSON.parse(t) as CatchSpec[]);
}

export function writeReport(sab: SharedArrayBuffer, hit: WorkerHit): void {
  let text = JSON.stringify(hit);
  if (enc.encode(text).length > REPORT_MAX) text = JSON.stringify({ ...hit, frames: hit.frames.slice(0, 8), raw: null, anchor: undefined });
  writeArea(sab, REPORT_AT, REPORT_MAX, REPORT_LEN, text);
}

export function readReport(sab: SharedArrayBuffer): WorkerHit | null {
  const t = readArea(sab, REPORT_AT, REPORT_LEN);
  return t === '' ? null : (JSON.parse(t) as WorkerHit);
}

export function clearReport(sab: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(sab), REPORT_LEN, 0);
}
