/**
 * Tracepoints of other threads for plugins on the emulator thread. Pool workers emit syscall_* and
 * worker_thread_* on their own threads, and an iothread (virtio-blk dataplane) runs a device's
 * whole request path (virtqueue_pop, virtio_blk_*, blk_*, bdrv_*, thread_pool_*, coroutines); plugins
 * run on the emulator thread. The relay publishes which tracepoints to observe — every name a
 * plugin subscribed to (worker_threads environment data, read by threads created afterwards) — and
 * adds relay-worker.ts to the modules of pool workers and of iothreads; each of those threads
 * registers a ring (ring.ts, a single-producer byte ring in a SharedArrayBuffer) over a
 * BroadcastChannel; `drain()` — called by the plugin host once per run-loop round and at exit —
 * takes the registrations (receiveMessageOnPort: the emulator thread never returns to its event
 * loop while the machine runs) and decodes every ring's records into events for `deliver`.
 *
 * Later subscriptions: iothreads already running get the new list at once (their context runs
 * 'plugin_relay_link'; one that started without the relay (none does once prepare() ran, which the
 * plugin host calls before the machine exists) first loads it with 'iothread_require').
 * Pool workers already running keep the list they started with (`reachesRunningThreads`).
 *
 * Order: per thread, in emission order; threads are drained one after the other. Events arrive at
 * most one round late (a round is up to 100k instructions or one idle sleep).
 *
 * Contract: emulator thread. `start` before the thread pool and the iothreads exist (before the
 * machine is built) reaches every thread; later starts reach running iothreads and pool workers
 * created afterwards.
 */
import * as path from 'node:path';
import { BroadcastChannel, receiveMessageOnPort, setEnvironmentData } from 'node:worker_threads';
import { RingConsumer } from '../trace/ring';
import { ByteReader } from '../trace/varint';
import { argKinds, decodeRecord, type RecordedCorrelation } from '../trace/event-codec';
import { allTracepoints } from '../trace/generated/tracepoints';
import type { AnyTracepoint } from '../trace/tracepoint';
import type { TraceArgKind } from '../trace/parse';
import type { FormatValue } from '../trace/format';
import { threadPoolAddModule } from '../util/thread-pool';
import { iothreadAddModule, iothreadList, type IOThread } from '../util/iothread';
import { workerModulePath } from '../util/worker-script';
import { RELAY_KEY, RELAY_LINK_FN, type RelayLink, type RelayRegistration } from './relay-shared';

export { RELAY_KEY, type RelayLink, type RelayRegistration };

/** Tracepoints that fire on pool workers (their running workers do not take later subscriptions). */
export const WORKER_SIDE = /^(syscall_|worker_thread_)/;

export interface RelayedEvent {
  tp: AnyTracepoint;
  ns: number;
  thread: string;
  tid: number;
  args: FormatValue[];
  corr: RecordedCorrelation;
}

const RELAY_WORKER = path.join(__dirname, `relay-worker${path.extname(__filename)}`);

const RING_BYTES = 1024 * 1024;
const catalog = allTracepoints as readonly AnyTracepoint[];

interface Source {
  reg: RelayRegistration;
  ring: RingConsumer;
  lost: number;
}

export class PluginRelay {
  private bc: BroadcastChannel | null = null;
  private channel = '';
  private readonly sources: Source[] = [];
  private readonly kinds: Array<readonly TraceArgKind[] | undefined> = [];
  private buf = new Uint8Array(64 * 1024);
  private names: string[] = [];
  /** Running iothreads that were sent the relay module after they started. */
  private readonly loadedLate = new WeakSet<IOThread>();

  /**
   * Relay `names` from every pool worker and iothread started from now on, and from the running
   * iothreads.
   */
  start(names: readonly string[]): void {
    const fresh = names.filter((n) => !this.names.includes(n));
    if (fresh.length === 0) return;
    this.names.push(...fresh);
    this.prepare();
    const link = this.publish();
    const file = workerModulePath(RELAY_WORKER);
    for (const t of iothreadList()) {
      if (!t.running || t.ctx === null) continue;
      if (t.modules.includes(file) || this.loadedLate.has(t)) t.ctx.scheduleOneshot(RELAY_LINK_FN, link);
      else {
        this.loadedLate.add(t);
        t.ctx.scheduleOneshot('iothread_require', { file, arg: link });
      }
    }
  }

  /**
   * Load the relay into every pool worker and iothread started from now on, before any plugin
   * subscribes (the plugin host calls this once plugins are installed, before the machine exists):
   * a subscription made later reaches a running iothread through RELAY_LINK_FN, with no module to
   * load into it then. (Loading it into a running iothread with 'iothread_require' once left the
   * dataplane start unanswered under load: the iothread ran two calls picked up together in reverse
   * order, so the link came before the module that registers it; aio-remote.ts now keeps the
   * order.) A relay with no names costs nothing: no ring, no observer.
   */
  prepare(): void {
    if (this.bc !== null) return;
    this.channel = `vtrace-plugin-relay-${process.pid}-${Math.random().toString(36).slice(2)}`;
    this.bc = new BroadcastChannel(this.channel);
    this.bc.unref();
    threadPoolAddModule(RELAY_WORKER);
    iothreadAddModule(RELAY_WORKER);
    this.publish();
  }

  /** The current link, also as environment data for threads started from now on. */
  private publish(): RelayLink {
    const link: RelayLink = { channel: this.channel, names: [...this.names], ringBytes: RING_BYTES };
    setEnvironmentData(RELAY_KEY, link);
    return link;
  }

  /** Would a subscription to `tp` now reach every thread it fires on? (Not running pool workers'.) */
  static reachesRunningThreads(tp: AnyTracepoint): boolean {
    return !WORKER_SIDE.test(tp.name);
  }

  get active(): boolean {
    return this.bc !== null;
  }

  /** Deliver everything the workers emitted so far. */
  drain(deliver: (ev: RelayedEvent) => void): void {
    if (this.bc === null) return;
    for (let m = receiveMessageOnPort(this.bc as never); m !== undefined; m = receiveMessageOnPort(this.bc as never)) {
      const reg = m.message as RelayRegistration;
      this.sources.push({ reg, ring: new RingConsumer(reg.ring), lost: 0 });
    }
    for (const s of this.sources) {
      for (;;) {
        const n = s.ring.peek(this.buf, this.buf.length);
        if (n === 0) break;
        const r = new ByteReader(this.buf, 0, n);
        while (r.pos < n) {
          const rec = decodeRecord(r, (id) => (this.kinds[id] ??= catalog[id] === undefined ? undefined : argKinds(catalog[id].info.argTypes)));
          deliver({ tp: catalog[rec.tpId], ns: rec.ns, thread: s.reg.name, tid: s.reg.tid, args: rec.args, corr: rec.corr ?? {} });
        }
        s.ring.consume(n);
      }
      s.lost += s.ring.takeLost();
    }
  }

  /** Events workers could not relay (their ring was full), by thread. */
  lost(): Array<{ thread: string; lost: number }> {
    return this.sources.filter((s) => s.lost > 0).map((s) => ({ thread: s.reg.name, lost: s.lost }));
  }

  close(): void {
    this.bc?.close();
    this.bc = null;
  }
}
