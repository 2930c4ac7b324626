/**
 * Loaded by every thread-pool worker while plugins subscribe to worker-side tracepoints
 * (syscall_*, worker_thread_*): observes those tracepoints on this worker and encodes each event
 * (event-codec.ts, the recording's record format, ambient correlation filled in) into a ring of
 * its own (ring.ts), registered with the emulator thread over the relay's BroadcastChannel. The
 * emulator thread drains the rings (relay.ts) once per run-loop round.
 *
 * Discovery: worker_threads environment data RELAY_KEY, published by the emulator thread before
 * the pool starts. A full ring drops events and counts them (the worker never blocks).
 *
 * Contract: pool worker thread only; loads nothing when the relay is not published.
 */
import { BroadcastChannel, getEnvironmentData } from 'node:worker_threads';
import { createRingBuffer, RingProducer } from '../trace/ring';
import { ByteWriter } from '../trace/varint';
import { argKinds, encodeRecord } from '../trace/event-codec';
import { gettid, setThreadName, threadName } from '../host/thread-id';
import { poolWorkerSelf } from '../util/thread-pool-funcs';
import type { TraceArgKind } from '../trace/parse';
import { matchTracepoints, observe } from './observe';
import { RELAY_KEY, type RelayLink, type RelayRegistration } from './relay';

const link = getEnvironmentData(RELAY_KEY) as RelayLink | undefined;
if (link !== undefined) {
  const pool = poolWorkerSelf();
  if (pool !== null) setThreadName(pool.name);
  const sab = createRingBuffer(link.ringBytes);
  const producer = new RingProducer(sab, () => {});
  const w = new ByteWriter(16 * 1024);
  const kinds: Array<readonly TraceArgKind[] | undefined> = [];
  observe(matchTracepoints(link.names), (ev, tp, corr) => {
    const k = (kinds[tp.id] ??= argKinds(tp.info.argTypes));
    w.reset();
    const len = encodeRecord(w, tp.id, k, Number(ev.ns), corr, ev.args);
    producer.push(w.buf, len);
  });
  const reg: RelayRegistration = { ring: sab, tid: gettid(), name: threadName() };
  const bc = new BroadcastChannel(link.channel);
  bc.postMessage(reg);
  bc.close();
}
