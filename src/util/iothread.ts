/**
 * IOThreads (QEMU iothread.c; docs/devel/multiple-iothreads.rst): `-object iothread,id=io0` is an
 * event loop on its own thread — here a worker_thread running iothread-worker.ts — whose
 * AioContext devices can use instead of the main loop's (virtio-blk dataplane).
 *
 * The context lives in the iothread (JS threads share no heap), so the main thread holds a
 * RemoteAioContext (iothread_get_aio_context) and hands it work as QEMU does with
 * aio_bh_schedule_oneshot — by registered function name with a structured-clonable argument:
 *   const io0 = iothread_create('io0', { modules: [require.resolve('./my-dataplane')] });
 *   aio_bh_schedule_oneshot(iothread_get_aio_context(io0), 'virtio_blk_data_plane_start', {
 *     host_notifier: shareEventNotifier(vq.host_notifier),   // watched by the iothread
 *     ram: guestRamView,                                     // SharedArrayBuffer view: same memory
 *     done: shareBH(completionBh),                           // signalled back to the main loop
 *   });
 * What must cross: names (functions registered in the iothread's modules), plain data,
 * SharedArrayBuffer views, MessagePorts (transfer list), and descriptors of EventNotifiers, BHs and
 * contexts (see aio-remote.ts). Device state that lives in JS objects does not cross: a dataplane
 * device must keep what both sides need in shared memory, or live in the iothread.
 *
 * Contract: created, stopped and used from one thread (the emulator thread). iothread_create
 * returns once the thread runs its loop (QEMU waits on init_done_sem); iothread_stop returns once
 * the thread has left its loop (qemu_thread_join).
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { eventNotifierArena } from './event-notifier';
import { RemoteAioContext, openRemoteAioContext } from './aio-remote';
import { utilWorkerScript, workerModulePath } from './worker-script';
import { I_STATUS, I_THREAD_ID, I_TID, I_WORDS, IOThreadStatus, type IOThreadBootMessage, type IOThreadWorkerData } from './iothread-worker';

export { IOThreadStatus };

export interface IOThreadOptions {
  /** Modules the iothread loads before polling (they call registerAioFunction). src/*.ts → dist/. */
  modules?: readonly string[];
  /** How long iothread_create waits for the thread to start (default 10 s). */
  startTimeoutMs?: number;
}

export class IOThread {
  /** Kernel tid (QEMU's iothread->thread_id) and Node threadId of the iothread. */
  thread_id = -1;
  threadId = -1;
  /** Why the thread stopped on its own, if it did. */
  error: string | null = null;
  /** The modules it loaded at start (resolved paths, in order); 'iothread_require' adds none here. */
  modules: readonly string[] = [];
  constructor(
    readonly id: string,
    readonly worker: Worker,
    private readonly status: Int32Array,
    private readonly boot: import('node:worker_threads').MessagePort,
    public ctx: RemoteAioContext | null,
  ) {}

  get state(): IOThreadStatus {
    return Atomics.load(this.status, I_STATUS);
  }
  get running(): boolean {
    return this.state === IOThreadStatus.RUNNING;
  }

  /** Read what the thread reported on its boot port (fatal errors). */
  collectErrors(): void {
    for (let m = receiveMessageOnPort(this.boot); m !== undefined; m = receiveMessageOnPort(this.boot)) {
      const msg = m.message as IOThreadBootMessage;
      if (msg.type === 'fatal') this.error = msg.message;
    }
  }

  /** Block until the status leaves `from` or `timeoutMs` passes. */
  waitWhile(from: IOThreadStatus, timeoutMs: number): IOThreadStatus {
    const deadline = Date.now() + timeoutMs;
    for (let s = this.state; s === from; s = this.state) {
      const left = deadline - Date.now();
      if (left <= 0) return s;
      Atomics.wait(this.status, I_STATUS, from, left);
    }
    return this.state;
  }

  closePorts(): void {
    this.ctx?.close();
    this.boot.close();
  }
}

const iothreads = new Map<string, IOThread>();
/** Modules every iothread created from now on loads first (iothreadAddModule). */
const defaultModules: string[] = [];

/**
 * Load `file` in every iothread created from now on, before the creator's own modules (as
 * threadPoolAddModule does for pool workers): observers of this thread's subsystems that must
 * also see the iothreads' (the plugin relay). Threads already running are not affected: send
 * them 'iothread_require' (iothread-worker.ts) for that.
 */
export function iothreadAddModule(file: string): void {
  if (!defaultModules.includes(file)) defaultModules.push(file);
}

/** iothread_create: start iothread `id` and wait until it polls its context. Throws on failure. */
export function iothread_create(id: string, opts: IOThreadOptions = {}): IOThread {
  if (iothreads.has(id)) throw new Error(`iothread_create: an iothread with id '${id}' already exists`);
  const script = utilWorkerScript('iothread-worker');
  const modules = [...new Set([...defaultModules, ...(opts.modules ?? [])])].map((m) => workerModulePath(m));
  const status = new Int32Array(new SharedArrayBuffer(I_WORDS * 4));
  const boot = new MessageChannel();
  const data: IOThreadWorkerData = { kind: 'iothread', id, status: status.buffer as SharedArrayBuffer, boot: boot.port2, arena: eventNotifierArena(), modules };
  const worker = new Worker(script, { name: `IO ${id}`, workerData: data, transferList: [boot.port2] });
  worker.unref();
  boot.port1.unref();
  const t = new IOThread(id, worker, status, boot.port1, null);
  t.modules = modules;
  worker.on('error', (e) => {
    t.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    Atomics.store(status, I_STATUS, IOThreadStatus.FAILED);
  });
  const s = t.waitWhile(IOThreadStatus.STARTING, opts.startTimeoutMs ?? 10_000);
  const m = receiveMessageOnPort(boot.port1)?.message as IOThreadBootMessage | undefined;
  if (s !== IOThreadStatus.RUNNING || m?.type !== 'ready') {
    t.collectErrors();
    const why = m?.type === 'fatal' ? m.message : (t.error ?? (s === IOThreadStatus.STARTING ? 'did not start in time' : 'failed to start'));
    void worker.terminate();
    t.closePorts();
    throw new Error(`iothread_create(${id}): ${why}`);
  }
  t.ctx = openRemoteAioContext(m.ctx);
  t.ctx.stopped = () => {
    if (t.state !== IOThreadStatus.FAILED) return null;
    t.collectErrors();
    return t.error ?? 'the thread failed';
  };
  t.thread_id = Atomics.load(status, I_TID);
  t.threadId = Atomics.load(status, I_THREAD_ID);
  iothreads.set(id, t);
  return t;
}

/** iothread_get_aio_context: the iothread's context, as this thread can reach it. */
export function iothread_get_aio_context(t: IOThread): RemoteAioContext {
  if (t.ctx === null || !t.running) {
    t.collectErrors();
    throw new Error(`iothread ${t.id} is not running${t.error ? `: ${t.error}` : ''}`);
  }
  return t.ctx;
}

/**
 * iothread_stop: make the loop return and wait for the thread (at most timeoutMs, then it is
 * terminated). Returns the thread's error if it had stopped on its own.
 */
export function iothread_stop(t: IOThread, timeoutMs = 10_000): string | null {
  if (t.running) {
    t.ctx!.scheduleOneshot('iothread_stop_bh', null);
    if (t.waitWhile(IOThreadStatus.RUNNING, timeoutMs) === IOThreadStatus.RUNNING) {
      void t.worker.terminate();
      t.error = `did not stop within ${timeoutMs} ms; terminated`;
    }
  }
  t.collectErrors();
  t.closePorts();
  return t.error;
}

/** iothread_destroy: stop it and forget its id. */
export function iothread_destroy(t: IOThread): string | null {
  const err = iothread_stop(t);
  iothreads.delete(t.id);
  return err;
}

export function iothread_by_id(id: string): IOThread | undefined {
  return iothreads.get(id);
}

export function iothreadList(): IOThread[] {
  return [...iothreads.values()];
}
