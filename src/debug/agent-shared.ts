/**
 * The shared memory between the debug console (emulator thread) and the debug agent of one
 * iothread (iothread-agent.ts). JS threads share no heap, so the console cannot read a drive that
 * lives in an iothread (dataplane) or tap its fields; it asks the agent, synchronously, over one
 * SharedArrayBuffer — also while the iothread is paused or blocked in a watchpoint hit, when its
 * AioContext does not run.
 *
 * Int32 words:
 *   WAKE       bumped (and notified) by the console whenever it changes DOORBELL, PAUSE or RESUME:
 *              the agent's blocking waits sleep on it
 *   DOORBELL   sequence number of the last request written (REQ area, REQ_LEN bytes)
 *   DONE       sequence number of the last request answered (REPLY area, REPLY_LEN bytes, REPLY_OK)
 *   PAUSE      1 while the console wants the iothread paused (a stop: docs/stops.md)
 *   PAUSED     1 while the iothread runs nothing but the agent (paused, or blocked in a hit)
 *   HIT        1 while a hit report (HIT area, HIT_LEN bytes) waits for the console (a watchpoint
 *              or a tracepoint breakpoint that fired in the iothread)
 *   RESUME     bumped by the console when the iothread may leave its hit
 * Byte areas: REQ at 4096 (64 KiB), REPLY (256 KiB), HIT (64 KiB).
 *
 * Contract: requests come from one thread (the emulator thread), one at a time. Writers publish an
 * area's length after its bytes (Atomics.store), then the word that announces it.
 */
import type { SharedEventNotifier } from '../util/event-notifier';
import type { Frame } from './frames';

export const WAKE = 0;
export const DOORBELL = 1;
export const DONE = 2;
export const PAUSE = 3;
export const PAUSED = 4;
export const HIT = 5;
export const RESUME = 6;
export const REQ_LEN = 7;
export const REPLY_LEN = 8;
export const REPLY_OK = 9;
export const HIT_LEN = 10;

const REQ_AT = 4096;
const REQ_MAX = 64 * 1024;
const REPLY_AT = REQ_AT + REQ_MAX;
const REPLY_MAX = 256 * 1024;
const HIT_AT = REPLY_AT + REPLY_MAX;
const HIT_MAX = 64 * 1024;
export const AGENT_SHARED_BYTES = HIT_AT + HIT_MAX;

/** What the console hands the agent when the iothread has started (aio_wait_bh_oneshot 'debug_agent_attach'). */
export interface AgentAttachArg {
  id: string;
  sab: SharedArrayBuffer;
  /** Set by the console after a request or a PAUSE: wakes the iothread's aio_poll. Watched by the agent. */
  doorbell: SharedEventNotifier;
  /** Set by the agent after it wrote a hit: wakes the emulator thread's main loop. */
  hit: SharedEventNotifier;
  /** The command line's drives and devices that live in this iothread (plain data). */
  drives: Array<{ id: string; file: string; nodeName?: string }>;
  /** The -devices of those drives, with their QOM paths (as the console's state tree names them). */
  devices: Array<{ drive: string; id?: string; path: string }>;
}

/** A watchpoint the console placed on state of this iothread. */
export interface AgentWatchSpec {
  num: number;
  mode: 'watch' | 'rwatch' | 'awatch';
  expr: string;
  cond: string | null;
}

/** The state of one watchpoint in the agent, after a sync. */
export interface AgentWatchState {
  num: number;
  /** Why it is pending (its object does not exist yet), or null when armed. */
  pending: string | null;
  /** It can never work (syntax, untappable field): the console reports the text. */
  error: string | null;
}

/** A tracepoint breakpoint (`break TRACEPOINT [if COND]`) the console placed: it also stops in this iothread. */
export interface AgentBreakSpec {
  num: number;
  tracepoint: string;
  cond: string | null;
  /** tbreak: reported as "Temporary breakpoint N" (the console deletes it at its stop). */
  temporary: boolean;
  /**
   * `next-event PATTERN`: not a breakpoint but the one-shot stop at the next event matching
   * `tracepoint` (a glob); num is 0, and so is the hit's. Absent from the list: none armed.
   */
  step?: boolean;
}

/** What the agent reports at a hit, as it crosses (readHit). */
export interface AgentHitReport {
  num: number;
  header: string;
  frames: Frame[];
  thread: string;
  tid: number;
  /** Convenience variables of the stop ($sector, $vdev of a tracepoint): objects cross as handles. */
  vars?: Array<[string, AgentValue]>;
}

/** A hit as the console handles it (IOThreadAgent.takeHit): handles became live remote objects. */
export interface AgentHit extends Omit<AgentHitReport, 'vars'> {
  vars?: Array<[string, unknown]>;
}

/**
 * A path resolved in the agent: a primitive crosses as itself, an object as a handle (a number
 * the agent keeps it under; `$:HANDLE` is that object in the agent's state tree, so
 * `resolve {path: '$:7.vq[0]'}` reads its members) with its type name.
 */
export type AgentValue =
  | { ok: true; kind: 'number' | 'string' | 'boolean' | 'null' | 'undefined'; value: number | string | boolean | null }
  | { ok: true; kind: 'bigint'; value: string }
  | { ok: true; kind: 'object'; handle: number; type: string }
  | { ok: false; error: string; pending: boolean };

const enc = new TextEncoder();
const dec = new TextDecoder();

function writeArea(sab: SharedArrayBuffer, at: number, max: number, lenWord: number, text: string): void {
  let bytes = enc.encode(text);
  if (bytes.length > max) bytes = enc.encode(JSON.stringify({ error: `message of ${bytes.length} bytes does not fit in ${max}` }));
  new Uint8Array(sab, at, bytes.length).set(bytes);
  Atomics.store(new Int32Array(sab), lenWord, bytes.length);
}

function readArea(sab: SharedArrayBuffer, at: number, lenWord: number): string {
  const n = Atomics.load(new Int32Array(sab), lenWord);
  return dec.decode(new Uint8Array(sab, at, n).slice());
}

export const writeRequest = (sab: SharedArrayBuffer, req: { name: string; arg: unknown }): void => writeArea(sab, REQ_AT, REQ_MAX, REQ_LEN, JSON.stringify(req));
export const readRequest = (sab: SharedArrayBuffer): { name: string; arg: unknown } => JSON.parse(readArea(sab, REQ_AT, REQ_LEN)) as { name: string; arg: unknown };
export const writeReply = (sab: SharedArrayBuffer, value: unknown): void => writeArea(sab, REPLY_AT, REPLY_MAX, REPLY_LEN, JSON.stringify(value ?? null));
export const readReply = (sab: SharedArrayBuffer): unknown => JSON.parse(readArea(sab, REPLY_AT, REPLY_LEN)) as unknown;
export const writeHit = (sab: SharedArrayBuffer, hit: AgentHitReport): void => writeArea(sab, HIT_AT, HIT_MAX, HIT_LEN, JSON.stringify(hit));
export const readHit = (sab: SharedArrayBuffer): AgentHitReport => JSON.parse(readArea(sab, HIT_AT, HIT_LEN)) as AgentHitReport;

/** The module path of the agent (IOThreadOptions.modules). */
export function agentModulePath(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  return path.join(__dirname, `iothread-agent${path.extname(__filename)}`);
}
