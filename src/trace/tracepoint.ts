/**
 * The tracepoint object and the event record (DESIGN.md §4 "Tracepoints are declared, not printed").
 *
 * One Tracepoint per catalog entry, created by the generated module (generated/tracepoints.ts)
 * with a typed `emit`. A call site pays one field load and one branch when the tracepoint is off
 * and computes no argument:
 *
 *   if (virtio_blk_rw_complete.on) virtio_blk_rw_complete.emit(vdev, req, ret);
 *
 * `emit` stamps the event (host monotonic ns, thread name and Linux tid) and hands it to this
 * thread's sinks: the record sink (a recording, without an event object) and the others (the log
 * backend, the debugger, plugins). Module state is per JS thread: each thread enables its own
 * tracepoints and has its own sinks. Sinks run synchronously on the emitting thread; they must not
 * throw (a throwing sink is removed and reported once).
 */
import { gettid, threadName } from '../host/thread-id';
import type { FormatValue } from './format';

/** A `void *` argument: a vtrace object id (src/trace/ptr.ts), printed by %p; 0/null is (nil). */
export type TracePtr = number | bigint | null;

/** Correlation ids that let flows be drawn across threads and coroutines (all optional). */
export interface Correlation {
  /** The virtio request: its VirtQueueElement id (= QEMU's req/elem pointer). */
  req?: number;
  /** The coroutine running when the event happened (0: not in a coroutine). */
  co?: number;
  /** The thread-pool element id. */
  job?: number;
  /** The descriptor chain's head index in the virtqueue. */
  head?: number;
  /** The host fd a system call operated on (or returned, for openat). */
  fd?: number;
}

export interface TraceEvent {
  name: string;
  /** Index in the catalog (stable within one build). */
  id: number;
  /** Host monotonic time, ns (process.hrtime.bigint()). */
  ns: bigint;
  thread: string;
  tid: number;
  args: readonly FormatValue[];
  corr: Correlation | null;
}

export type TraceSink = (ev: TraceEvent, tp: AnyTracepoint) => void;

/**
 * The recorder's sink (recorder.ts): called first, with the event's parts instead of a TraceEvent,
 * so a thread that only records allocates no event object and no bigint per event. `ns` is the
 * host monotonic time in ns (a number: exact below 2^53 ns, 104 days). Same rules as TraceSink.
 */
export type RecordSink = (tp: AnyTracepoint, args: readonly FormatValue[], corr: Correlation | null, ns: number) => void;

export interface TracepointInfo {
  name: string;
  argNames: readonly string[];
  argTypes: readonly string[];
  /** printf format, macros expanded (see parse.ts). */
  format: string;
  /** Catalog file the event is declared in. */
  file: string;
}

const sinks: TraceSink[] = [];
let recordSink: RecordSink | null = null;

export class Tracepoint<A extends readonly FormatValue[]> {
  /** Enabled? Read by call sites before computing arguments. */
  on = false;
  constructor(
    readonly id: number,
    readonly info: TracepointInfo,
  ) {}
  get name(): string {
    return this.info.name;
  }
  emit(...args: A): void {
    dispatch(this, args, null);
  }
  /** As emit, with correlation ids. */
  emitCorr(corr: Correlation, ...args: A): void {
    dispatch(this, args, corr);
  }
  /** As emitCorr, stamped with an earlier monotonic time (an event reported after the fact). */
  emitAt(ns: bigint, corr: Correlation | null, ...args: A): void {
    dispatch(this, args, corr, ns);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTracepoint = Tracepoint<any>;

function dispatch(tp: AnyTracepoint, args: readonly FormatValue[], corr: Correlation | null, ns?: bigint): void {
  const rs = recordSink;
  if (rs !== null) {
    try {
      rs(tp, args, corr, ns === undefined ? Number(process.hrtime.bigint()) : Number(ns));
    } catch (e) {
      recordSink = null;
      process.emitWarning(`vtrace: trace sink removed after it threw: ${String(e)}`);
    }
  }
  if (sinks.length === 0) return;
  const ev: TraceEvent = { name: tp.info.name, id: tp.id, ns: ns ?? process.hrtime.bigint(), thread: threadName(), tid: gettid(), args, corr };
  for (let i = 0; i < sinks.length; i++) {
    const s = sinks[i];
    try {
      s(ev, tp);
    } catch (e) {
      sinks.splice(sinks.indexOf(s), 1);
      i--;
      process.emitWarning(`vtrace: trace sink removed after it threw: ${String(e)}`);
    }
  }
}

/** Set (or with null clear) this thread's record sink; returns a remover that clears it if still set. */
export function setRecordSink(sink: RecordSink | null): () => void {
  recordSink = sink;
  return () => {
    if (recordSink === sink) recordSink = null;
  };
}

/** Add a sink for this thread's events; returns its remover. */
export function addTraceSink(sink: TraceSink): () => void {
  sinks.push(sink);
  return () => {
    const i = sinks.indexOf(sink);
    if (i >= 0) sinks.splice(i, 1);
  };
}
