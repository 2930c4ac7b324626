/**
 * The producer half of a recording (`--trace-out FILE.vtr`), one per thread that emits events:
 * the emulator thread, every thread-pool worker, every iothread. Each has its own ring
 * (ring.ts) that a trace sink fills with encoded records (event-codec.ts); the writer thread
 * (recorder-writer.ts) drains all rings into the file.
 *
 * Discovery: the emulator thread publishes a RecorderLink with worker_threads.setEnvironmentData
 * before any worker starts, so every thread started afterwards (pool workers, iothreads, and their
 * children) finds it with getEnvironmentData and registers its ring on the link's
 * BroadcastChannel: {ring, tid, name, kind}. The writer subscribed before the link was published
 * (recording.ts waits for it), so no registration is missed.
 *
 * Cost per event: one encode into a reused buffer, one copy into the ring, one Atomics.store; no
 * object is made (tracepoint.ts hands the record sink the event's parts).
 * Correlation ids the event does not carry are filled from the thread's ambient state
 * (ambient.ts: the running coroutine, its request, the pool job a worker runs).
 */
import { BroadcastChannel, getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { setRecordSink, type AnyTracepoint, type Correlation } from './tracepoint';
import { createRingBuffer, RingProducer } from './ring';
import { ByteWriter } from './varint';
import { argKinds, encodeEvent, kindCodes, type RecordedCorrelation } from './event-codec';
import { ambientCorrelation } from './ambient';
import { gettid, threadName } from '../host/thread-id';
import type { FormatValue } from './format';
import { C_DOORBELL, type RingRegistration } from './recorder-control';

/** Shared with every thread of the process (structured-cloned; the SharedArrayBuffer stays shared). */
export interface RecorderLink {
  /** BroadcastChannel name for ring registrations. */
  channel: string;
  /** Control words (recorder-control.ts C_*); word C_DOORBELL wakes the writer. */
  control: SharedArrayBuffer;
  /** Ring size for each thread, bytes. */
  ringBytes: number;
}

export const ENV_KEY = 'vtrace:recorder';

export type ThreadKind = 'emulator' | 'pool-worker' | 'iothread' | 'other';

export function publishRecorderLink(link: RecorderLink | null): void {
  setEnvironmentData(ENV_KEY, link ?? undefined);
}

export function inheritedRecorderLink(): RecorderLink | undefined {
  return getEnvironmentData(ENV_KEY) as RecorderLink | undefined;
}

export interface ThreadRecorder {
  readonly producer: RingProducer;
  /** Events this thread could not record (ring full). */
  lost(): number;
  /** Stop recording this thread's events (the ring stays readable until drained). */
  close(): void;
}

let current: ThreadRecorder | null = null;

/** This thread's recorder, if it records. */
export function threadRecorder(): ThreadRecorder | null {
  return current;
}

/**
 * Start recording this thread's events into a new ring registered with the link's writer.
 * Idempotent per thread (returns the existing recorder).
 */
export function startThreadRecorder(link: RecorderLink, kind: ThreadKind, name = threadName()): ThreadRecorder {
  if (current !== null) return current;
  const control = new Int32Array(link.control);
  const sab = createRingBuffer(link.ringBytes);
  const producer = new RingProducer(sab, () => {
    Atomics.add(control, C_DOORBELL, 1);
    Atomics.notify(control, C_DOORBELL);
  });
  const reg: RingRegistration = { type: 'ring', ring: sab, tid: gettid(), name, kind };
  const bc = new BroadcastChannel(link.channel);
  bc.postMessage(reg);
  bc.close();

  const w = new ByteWriter(64 * 1024);
  const kindsCache: (Uint8Array | undefined)[] = [];
  const corrScratch: RecordedCorrelation = {};
  const sink = (tp: AnyTracepoint, args: readonly FormatValue[], corr: Correlation | null, ns: number): void => {
    let kinds = kindsCache[tp.id];
    if (kinds === undefined) kindsCache[tp.id] = kinds = kindCodes(argKinds(tp.info.argTypes));
    w.pos = 0;
    const at = encodeEvent(w, tp.id, kinds, ns, ambientCorrelation(corr, corrScratch), args);
    producer.push(w.buf, w.pos - at, at);
  };
  const remove = setRecordSink(sink);
  const rec: ThreadRecorder = {
    producer,
    lost: () => Atomics.load(producer.hdr, 2) >>> 0,
    close() {
      remove();
      producer.close();
      if (current === rec) current = null;
    },
  };
  current = rec;
  return rec;
}
