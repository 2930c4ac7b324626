/**
 * Loaded by every thread-pool worker and every iothread while plugins subscribe to tracepoints
 * (relay.ts): observes the subscribed tracepoints on this thread and encodes each event
 * (event-codec.ts, the recording's record format, ambient correlation filled in) into a ring of
 * its own (ring.ts), registered with the emulator thread over the relay's BroadcastChannel. The
 * emulator thread drains the rings (relay.ts) once per run-loop round.
 *
 * Pool workers see syscall_* and worker_thread_*; an iothread (virtio-blk dataplane) sees the
 * device's whole request path (virtqueue_pop, virtio_blk_*, blk_*, bdrv_*, thread_pool_*,
 * qemu_coroutine_*, its AioContext's events): whatever a plugin subscribed to.
 *
 * Discovery: worker_threads environment data RELAY_KEY, published by the emulator thread before
 * the thread starts. An iothread also takes later updates (a plugin subscribing after the start:
 * relay.ts sends 'plugin_relay_link' to its context, and first 'iothread_require' of this module
 * if the iothread started without it); its pool workers load this module too (from pools created
 * after it loaded). A full ring drops events and counts them (the thread never blocks).
 *
 * Contract: pool worker or iothread; loads nothing when the relay is not published.
 */
import { BroadcastChannel, getEnvironmentData, workerData } from 'node:worker_threads';
import * as path from 'node:path';
import { createRingBuffer, RingProducer } from '../trace/ring';
import { ByteWriter } from '../trace/varint';
import { argKinds, encodeRecord } from '../trace/event-codec';
import { gettid, setThreadName, threadName } from '../host/thread-id';
import { poolWorkerSelf } from '../util/thread-pool-funcs';
import type { TraceArgKind } from '../trace/parse';
import { matchTracepoints, observe } from './observe';
import { RELAY_KEY, RELAY_LINK_FN, type RelayLink, type RelayRegistration } from './relay-shared';

const iothreadId = (workerData as { kind?: string; id?: string } | null)?.kind === 'iothread' ? (workerData as { id: string }).id : undefined;

interface Relay {
  link: RelayLink;
  /** Created at this thread's first relayed event (a thread where none fires costs no ring). */
  producer: RingProducer | null;
  names: string[];
  remove: () => void;
}

let relay: Relay | null = null;

function producerOf(r: Relay): RingProducer {
  if (r.producer !== null) return r.producer;
  const sab = createRingBuffer(r.link.ringBytes);
  r.producer = new RingProducer(sab, () => {});
  const reg: RelayRegistration = { ring: sab, tid: gettid(), name: threadName() };
  const bc = new BroadcastChannel(r.link.channel);
  bc.postMessage(reg);
  bc.close();
  return r.producer;
}

/** Start relaying `link.names` from this thread, or switch to a newer list of names. */
function relayLink(link: RelayLink): void {
  if (relay === null) {
    const pool = poolWorkerSelf();
    if (pool !== null) setThreadName(pool.name);
    else if (iothreadId !== undefined) setThreadName(`iothread-${iothreadId}`);
    relay = { link, producer: null, names: [], remove: () => {} };
    // This iothread's pools relay their workers' events too.
    if (iothreadId !== undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { threadPoolAddModule } = require('../util/thread-pool') as typeof import('../util/thread-pool');
      threadPoolAddModule(path.join(__dirname, `relay-worker${path.extname(__filename)}`));
    }
  }
  const r = relay;
  if (r.names.length === link.names.length && r.names.every((n, i) => n === link.names[i])) return;
  const w = new ByteWriter(16 * 1024);
  const kinds: Array<readonly TraceArgKind[] | undefined> = [];
  const remove = observe(matchTracepoints(link.names), (ev, tp, corr) => {
    const k = (kinds[tp.id] ??= argKinds(tp.info.argTypes));
    w.reset();
    const len = encodeRecord(w, tp.id, k, Number(ev.ns), corr, ev.args);
    producerOf(r).push(w.buf, len);
  });
  // The new observer first, then the old one goes: no event of a kept name falls in between.
  r.remove();
  r.remove = remove;
  r.names = [...link.names];
}

if (iothreadId !== undefined) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { registerAioFunction } = require('../util/aio-remote') as typeof import('../util/aio-remote');
  registerAioFunction(RELAY_LINK_FN, (l: RelayLink) => relayLink(l));
}

/** 'iothread_require' of this module into a running iothread: the link comes with the call. */
export function iothread_module_init(l: RelayLink): void {
  relayLink(l);
}

const link = getEnvironmentData(RELAY_KEY) as RelayLink | undefined;
if (link !== undefined) relayLink(link);
