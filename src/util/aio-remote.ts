/**
 * Handing work to an AioContext of another thread (QEMU: aio_bh_schedule_oneshot(iothread_ctx, cb,
 * opaque) from the main thread; docs/devel/multiple-iothreads.rst, "How to synchronize with an
 * IOThread").
 *
 * In QEMU both threads share one heap, so the main thread passes a function pointer and a pointer
 * to its data. JS threads share no heap, so:
 * - the function is named: the target thread registers it with registerAioFunction(name, fn), in
 *   a module it loads (IOThreadOptions.modules);
 * - the argument is structured-cloned: plain data, SharedArrayBuffer-backed views (guest RAM — the
 *   same memory on both sides), and, in the transfer list, MessagePorts. Objects of the sending
 *   thread travel as descriptors the receiver opens: shareEventNotifier/openSharedEventNotifier (a
 *   VirtQueue's host_notifier, to watch in the iothread), shareBH/openSharedBH (to signal
 *   completion back), shareAioContext/openRemoteAioContext (to send named work back).
 * Delivery: the call is posted on the context's MessagePort, then the context's inbox notifier is
 * set (waking it from aio_poll); the context drains the port into a FIFO when it computes its
 * timeout or polls BHs, and runs each call as a oneshot BH named after the function, in the order
 * sent: only the oldest call not yet run has a BH scheduled, and its BH schedules the next one
 * before calling the function (aio_bh_poll runs the BHs of one slice newest first, as QEMU does, so
 * one BH per call drained in the same poll would run them in reverse: a call that needs a function
 * a preceding 'iothread_require' registers would find it missing). fn(arg, ctx) runs on the
 * context's thread; an unknown name throws there (an iothread then stops and reports it).
 *
 * Contract: shareAioContext on the context's thread, once per sending thread (a MessagePort has one
 * sender); RemoteAioContext methods on the thread that opened it.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { AioContext } from './aio-context';
import { aio_bh_schedule_oneshot, type RemoteOneshotTarget } from './aio-bh';
import {
  EventNotifier,
  event_notifier_set,
  eventNotifierNew,
  eventNotifierSetOwner,
  openSharedEventNotifier,
  shareEventNotifier,
  type SharedEventNotifier,
} from './event-notifier';

export type AioFunction = (arg: any, ctx: AioContext) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const registry = new Map<string, AioFunction>();

/** Make `fn` callable by name from other threads in this thread's contexts. */
export function registerAioFunction(name: string, fn: AioFunction): void {
  registry.set(name, fn);
}

interface RemoteCall {
  fn: string;
  arg: unknown;
}

/** Structured-clonable description of a context for another thread. Transfer `port`. */
export interface AioContextShare {
  readonly kind: 'aio-context';
  readonly name: string;
  readonly id: number;
  readonly inbox: SharedEventNotifier;
  readonly port: MessagePort;
}

/** The calls one sending thread posted that have not started yet, oldest first (context thread). */
interface RemoteCallQueue {
  readonly ctx: AioContext;
  readonly calls: RemoteCall[];
  /** A BH for the oldest call is scheduled and has not run yet (then that call left `calls`). */
  scheduled: boolean;
}

/** Schedule the oldest waiting call of `q` as a oneshot BH named after its function. */
function aio_remote_schedule_next(q: RemoteCallQueue): void {
  const call = q.calls.shift();
  if (call === undefined) return;
  q.scheduled = true;
  aio_bh_schedule_oneshot(q.ctx, aio_remote_call, { q, call }, call.fn);
}

/**
 * The oneshot BH that runs one remote call (its name in traces is the function's). The next call
 * is scheduled first, so a function that polls its context (a drain) lets later calls run inside,
 * as their BHs would have before; they still start in the order sent.
 */
function aio_remote_call(opaque: { q: RemoteCallQueue; call: RemoteCall }): void {
  const { q, call } = opaque;
  q.scheduled = false;
  aio_remote_schedule_next(q);
  const fn = registry.get(call.fn);
  if (fn === undefined) {
    throw new Error(`context '${q.ctx.name}': no function registered as '${call.fn}' (registerAioFunction; registered: ${[...registry.keys()].join(', ') || 'none'})`);
  }
  fn(call.arg, q.ctx);
}

/**
 * Context thread: open `ctx` to one other thread. Post `desc` there with `transfer` as transfer
 * list; the other thread calls openRemoteAioContext(desc).
 */
export function shareAioContext(ctx: AioContext): { desc: AioContextShare; transfer: TransferListItem[] } {
  const inbox = eventNotifierNew(`${ctx.name}.inbox`);
  eventNotifierSetOwner(inbox.slot, ctx.notifier);
  const ch = new MessageChannel();
  const port = ch.port1;
  port.unref();
  const q: RemoteCallQueue = { ctx, calls: [], scheduled: false };
  ctx.remote_bh_sources.push({
    notifier: inbox,
    harvest() {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) q.calls.push(m.message as RemoteCall);
      if (!q.scheduled) aio_remote_schedule_next(q);
    },
  });
  const desc: AioContextShare = { kind: 'aio-context', name: ctx.name, id: ctx.id, inbox: shareEventNotifier(inbox), port: ch.port2 };
  return { desc, transfer: [ch.port2] };
}

/** Another thread's handle on a context: aio_bh_schedule_oneshot(remote, 'name', arg) works on it. */
export class RemoteAioContext implements RemoteOneshotTarget {
  readonly remote = true as const;
  private closed = false;
  /**
   * Why the context's thread stopped on its own, or null while it runs (set by the thread's owner,
   * iothread.ts; null for contexts whose thread nobody watches). aio_wait_bh_oneshot checks it so a
   * call to a thread that died fails at once instead of at its timeout.
   */
  stopped: () => string | null = () => null;
  constructor(
    readonly name: string,
    readonly id: number,
    private readonly port: MessagePort,
    private readonly inbox: EventNotifier,
  ) {}

  /** Post a call and wake the context. Never blocks. */
  scheduleOneshot(fn: string, arg: unknown, transfer: readonly TransferListItem[] = []): void {
    if (this.closed) throw new Error(`context '${this.name}' is closed`);
    this.port.postMessage({ fn, arg } satisfies RemoteCall, transfer);
    event_notifier_set(this.inbox);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
  }
}

/** Other thread: open a shared context (attaches the notifier arena if needed). */
export function openRemoteAioContext(desc: AioContextShare): RemoteAioContext {
  const inbox = openSharedEventNotifier(desc.inbox);
  desc.port.unref();
  return new RemoteAioContext(desc.name, desc.id, desc.port, inbox);
}
