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
 * set (waking it from aio_poll); the context moves pending calls into BHs when it polls BHs, so
 * each runs as a oneshot BH named after the function, in the order sent. fn(arg, ctx) runs on the
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

/** The oneshot BH that runs one remote call (its name in traces is the function's). */
function aio_remote_call(opaque: { ctx: AioContext; call: RemoteCall }): void {
  const fn = registry.get(opaque.call.fn);
  if (fn === undefined) {
    throw new Error(`context '${opaque.ctx.name}': no function registered as '${opaque.call.fn}' (registerAioFunction; registered: ${[...registry.keys()].join(', ') || 'none'})`);
  }
  fn(opaque.call.arg, opaque.ctx);
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
  ctx.remote_bh_sources.push({
    notifier: inbox,
    harvest(c: AioContext) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const call = m.message as RemoteCall;
        aio_bh_schedule_oneshot(c, aio_remote_call, { ctx: c, call }, call.fn);
      }
    },
  });
  const desc: AioContextShare = { kind: 'aio-context', name: ctx.name, id: ctx.id, inbox: shareEventNotifier(inbox), port: ch.port2 };
  return { desc, transfer: [ch.port2] };
}

/** Another thread's handle on a context: aio_bh_schedule_oneshot(remote, 'name', arg) works on it. */
export class RemoteAioContext implements RemoteOneshotTarget {
  readonly remote = true as const;
  private closed = false;
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
