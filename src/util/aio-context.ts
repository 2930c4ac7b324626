/**
 * AioContext and aio_poll (QEMU util/async.c, util/aio-posix.c; docs/devel/multiple-iothreads.rst).
 *
 * An AioContext is one event loop: fd/EventNotifier handlers, bottom halves (aio-bh.ts), a timer
 * list group (qemu-timer.ts), scheduled coroutines and, on demand, a thread pool. Each context
 * belongs to one thread, which is the only one that polls it: the emulator thread owns the main
 * loop's contexts (main-loop.ts), each iothread owns its own (iothread.ts). As in QEMU's TCG
 * round-robin mode, the emulator thread runs vCPU slices and the main loop on one JS thread, so
 * the main loop is polled between vCPU rounds (main_loop_wait(nonblocking)) and blocks only when
 * every vCPU idles.
 *
 * Waiting: QEMU polls fds; we have no kernel fds to poll. Every handler here watches an
 * EventNotifier (or an fd whose readiness a registered poller reports), and every notifier a
 * context watches is chained to the context's own notifier (`ctx.notifier`), so a context blocks
 * with one Atomics.wait on that word and any set — from any thread — wakes it. aio_poll:
 *   1. blocking: timeout = aio_compute_timeout (0 if a BH is pending or aio_notify was called,
 *      else the next timer deadline, else infinite); non-blocking: 0;
 *   2. collect ready handlers; if none and timeout ≠ 0, wait on ctx.notifier, then collect again;
 *   3. aio_bh_poll; 4. aio_dispatch_handler for each ready handler; 5. run expired timers.
 * The same order as QEMU's aio_poll (BHs, then handlers, then timers).
 *
 * Contract: everything here runs on the context's thread. Other threads reach a context only
 * through EventNotifiers it watches, shared BHs (aio-bh.ts) and named oneshots (aio-remote.ts).
 */
import {
  EventNotifier,
  eventNotifierNew,
  event_notifier_cleanup,
  event_notifier_get_fd,
  event_notifier_test_and_clear,
  eventNotifierSetOwner,
  eventNotifierSlotIsSet,
  eventNotifierSlotOfFd,
  eventNotifierWait,
  utilSequenceNext,
} from './event-notifier';
import { QEMUBH, RemoteBHSource, aio_bh_poll, aio_compute_bh_timeout, aio_notify, aio_notify_accept, aioHarvestRemote } from './aio-bh';
import {
  QEMUClockType,
  QEMUTimer,
  QEMUTimerCB,
  QEMUTimerListGroup,
  qemu_soonest_timeout,
  timerlistgroup_deadline_ns,
  timerlistgroup_deinit,
  timerlistgroup_init,
  timerlistgroup_run_timers,
} from './qemu-timer';
import { container_of, embed } from './container-of';
import { utilBacktraceHooks, utilTraceHooks } from './trace-hooks';
import type { Coroutine } from './coroutine';
import type { ThreadPool } from './thread-pool';
import { THREAD_POOL_MAX_DEFAULT } from './thread-pool-funcs';

export { aio_notify, aio_notify_accept };

/* glib's GIOCondition bits, as QEMU uses them. */
export const G_IO_IN = 1;
export const G_IO_PRI = 2;
export const G_IO_OUT = 4;
export const G_IO_ERR = 8;
export const G_IO_HUP = 16;

export type IOHandler = (opaque: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
export type EventNotifierHandler = (e: EventNotifier) => void;

/** One registered fd (QEMU's AioHandler node). */
export class AioHandler {
  deleted = false;
  constructor(
    readonly fd: number,
    public io_read: IOHandler | null,
    public io_write: IOHandler | null,
    public opaque: unknown,
    /** Arena slot if `fd` is one of our EventNotifier fds, else -1. */
    readonly notifierSlot: number,
  ) {}
  /** The EventNotifier registered with aio_set_event_notifier (it is the opaque), if any. */
  get notifier(): EventNotifier | null {
    return this.opaque instanceof EventNotifier ? this.opaque : null;
  }
}

export class AioContext {
  /** Per-process id and a name for traces ("main", "iohandler", "iothread io0"). */
  readonly id: number;
  /** The context's own notifier: the word aio_poll blocks on. Embedded (container_of target). */
  notifier!: EventNotifier;
  /** aio_notify was called and no poll has seen it yet. */
  notified = false;
  aio_handlers: AioHandler[] = [];
  walking_handlers = 0;
  bh_list: QEMUBH[] = [];
  bh_slice_list: QEMUBH[][] = [];
  readonly remote_bh_sources: RemoteBHSource[] = [];
  readonly tlg = new QEMUTimerListGroup();
  scheduled_coroutines: Coroutine[] = [];
  co_schedule_bh: QEMUBH | null = null;
  thread_pool: ThreadPool | null = null;
  /** Upper bound for the pool of this context (QEMU's thread_pool_max; vtrace's default min(64, 4 × CPUs)). */
  thread_pool_max = THREAD_POOL_MAX_DEFAULT;
  thread_pool_min = 0;
  destroyed = false;
  constructor(readonly name: string) {
    this.id = utilSequenceNext();
  }
}

/** aio_context_new: a context with its notifier registered and its timer lists. */
export function aio_context_new(name = 'aio'): AioContext {
  const ctx = new AioContext(name);
  embed(ctx, 'notifier', eventNotifierNew(`${name}.notifier`));
  timerlistgroup_init(ctx.tlg, aio_timerlist_notify, ctx);
  aio_set_event_notifier(ctx, ctx.notifier, aio_context_notifier_cb);
  return ctx;
}

function aio_timerlist_notify(opaque: unknown): void {
  aio_notify(opaque as AioContext);
}

/** The handler of ctx.notifier: just clear it; being woken was the point. */
function aio_context_notifier_cb(e: EventNotifier): void {
  const ctx = container_of(e, AioContext, 'notifier');
  event_notifier_test_and_clear(ctx.notifier);
}

/** aio_context_unref (last reference): tear down. Handlers, BHs and timers must be gone. */
export function aio_context_unref(ctx: AioContext): void {
  if (ctx.destroyed) return;
  ctx.destroyed = true;
  aio_set_event_notifier(ctx, ctx.notifier, null);
  timerlistgroup_deinit(ctx.tlg);
  event_notifier_cleanup(ctx.notifier);
}

/* The thread's home context (QEMU's my_aiocontext TLS; module state is per thread in JS). */
let my_aiocontext: AioContext | null = null;

/** qemu_get_current_aio_context: the context this thread runs (null if none was set). */
export function qemu_get_current_aio_context(): AioContext | null {
  return my_aiocontext;
}

/** qemu_set_current_aio_context: once per thread (main loop init, iothread_run). */
export function qemu_set_current_aio_context(ctx: AioContext): void {
  if (my_aiocontext !== null && my_aiocontext !== ctx) {
    throw new Error(`qemu_set_current_aio_context: this thread already runs context '${my_aiocontext.name}'`);
  }
  my_aiocontext = ctx;
}

/* Readiness of fds that are not EventNotifiers: reported by pollers registered per fd. */
const fdPollers = new Map<number, () => number>();

/**
 * Report the readiness (G_IO_* mask) of a non-notifier fd to aio_poll. Whoever makes it ready
 * must also wake the context (set a notifier it watches, or aio_notify from its thread).
 */
export function registerFdPoller(fd: number, poll: (() => number) | null): void {
  if (poll === null) fdPollers.delete(fd);
  else fdPollers.set(fd, poll);
}

/**
 * aio_set_fd_handler: (re)register or, with both handlers null, remove the handlers of `fd`.
 * io_read/io_write get `opaque`. For EventNotifier fds the notifier is chained to the context so
 * setting it wakes aio_poll. A notifier is watched by one context at a time.
 */
export function aio_set_fd_handler(ctx: AioContext, fd: number, io_read: IOHandler | null, io_write: IOHandler | null, opaque?: unknown): void {
  const i = ctx.aio_handlers.findIndex((n) => n.fd === fd && !n.deleted);
  const old = i >= 0 ? ctx.aio_handlers[i] : undefined;
  const slot = eventNotifierSlotOfFd(fd);
  if (io_read === null && io_write === null) {
    if (old === undefined) return;
    old.deleted = true;
    if (ctx.walking_handlers === 0) ctx.aio_handlers.splice(i, 1);
    if (slot >= 0 && slot !== ctx.notifier.slot) eventNotifierSetOwner(slot, null);
    return;
  }
  const node = new AioHandler(fd, io_read, io_write, opaque, slot);
  if (old !== undefined) {
    old.deleted = true;
    ctx.aio_handlers[i] = node;
  } else {
    ctx.aio_handlers.push(node);
  }
  if (slot >= 0 && slot !== ctx.notifier.slot) eventNotifierSetOwner(slot, ctx.notifier);
  aio_notify(ctx);
}

/** aio_set_event_notifier: io_read(notifier) runs when `notifier` is set; null removes it. */
export function aio_set_event_notifier(ctx: AioContext, notifier: EventNotifier, io_read: EventNotifierHandler | null): void {
  aio_set_fd_handler(ctx, event_notifier_get_fd(notifier), io_read as IOHandler | null, null, notifier);
}

function node_revents(node: AioHandler): number {
  let revents = 0;
  if (node.notifierSlot >= 0) {
    if (eventNotifierSlotIsSet(node.notifierSlot)) revents |= G_IO_IN;
    revents |= G_IO_OUT; // an eventfd is always writable
  } else {
    const p = fdPollers.get(node.fd);
    if (p !== undefined) revents = p();
  }
  if (node.io_read === null) revents &= ~(G_IO_IN | G_IO_HUP | G_IO_ERR);
  if (node.io_write === null) revents &= ~G_IO_OUT;
  return revents;
}

/** Ready handlers and their revents, in registration order (aio_prepare/fdmon wait's output). */
export interface ReadyList {
  nodes: AioHandler[];
  revents: number[];
}

export function aioCollectReady(ctx: AioContext, out: ReadyList): ReadyList {
  out.nodes.length = 0;
  out.revents.length = 0;
  for (const node of ctx.aio_handlers) {
    if (node.deleted) continue;
    const r = node_revents(node);
    if (r !== 0) {
      out.nodes.push(node);
      out.revents.push(r);
    }
  }
  return out;
}

/**
 * aio_compute_timeout: ns the context may sleep: 0 if BHs are pending or it was notified, else
 * until its next timer, -1 = no limit. Brings in BHs scheduled by other threads first.
 */
export function aio_compute_timeout(ctx: AioContext): number {
  aioHarvestRemote(ctx);
  if (ctx.notified) return 0;
  const timeout = aio_compute_bh_timeout(ctx, -1);
  if (timeout === 0) return 0;
  return qemu_soonest_timeout(timeout, timerlistgroup_deadline_ns(ctx.tlg));
}

/**
 * qemu_poll_ns: block on the context's notifier for at most `timeout_ns` (-1: no limit).
 * Returns at once if the notifier is already set.
 */
export function qemu_poll_ns(ctx: AioContext, timeout_ns: number): void {
  if (timeout_ns === 0) return;
  eventNotifierWait(ctx.notifier, timeout_ns < 0 ? Infinity : timeout_ns / 1e6);
}

/**
 * aio_dispatch_handler: run one ready handler (the observable dispatch point). Returns true if
 * this was progress (a wake-up of the context's own notifier is not, as in QEMU).
 */
export function aio_dispatch_handler(ctx: AioContext, node: AioHandler, revents: number): boolean {
  if (node.deleted) return false;
  let progress = false;
  if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR) && node.io_read !== null) {
    const h = utilTraceHooks.aio_dispatch_handler;
    if (h !== null) h(ctx, node, revents);
    const bt = utilBacktraceHooks.aio_dispatch_handler;
    if (bt !== null) bt(ctx, node);
    const io_read = node.io_read; // no receiver: the frame shows the handler's own name
    io_read(node.opaque);
    if (node.opaque !== ctx.notifier) progress = true;
    const e = utilTraceHooks.aio_dispatch_handler_end;
    if (e !== null) e(ctx, node);
  }
  if (!node.deleted && revents & (G_IO_OUT | G_IO_ERR) && node.io_write !== null) {
    const h = utilTraceHooks.aio_dispatch_handler;
    if (h !== null) h(ctx, node, revents);
    const io_write = node.io_write;
    io_write(node.opaque);
    progress = true;
    const e = utilTraceHooks.aio_dispatch_handler_end;
    if (e !== null) e(ctx, node);
  }
  return progress;
}

function aio_dispatch_ready_handlers(ctx: AioContext, ready: ReadyList): boolean {
  let progress = false;
  for (let i = 0; i < ready.nodes.length; i++) {
    if (aio_dispatch_handler(ctx, ready.nodes[i], ready.revents[i])) progress = true;
  }
  return progress;
}

function aio_free_deleted_handlers(ctx: AioContext): void {
  if (ctx.walking_handlers === 0 && ctx.aio_handlers.some((n) => n.deleted)) {
    ctx.aio_handlers = ctx.aio_handlers.filter((n) => !n.deleted);
  }
}

/**
 * The dispatch half of an event loop iteration, after the wait: BHs, the ready handlers, timers.
 * (QEMU's aio_dispatch, used when glib drives the context — here main_loop_wait.)
 */
export function aio_dispatch(ctx: AioContext, ready?: ReadyList): boolean {
  aio_notify_accept(ctx);
  const r = ready ?? aioCollectReady(ctx, { nodes: [], revents: [] });
  let progress = false;
  ctx.walking_handlers++;
  if (aio_bh_poll(ctx)) progress = true;
  if (aio_dispatch_ready_handlers(ctx, r)) progress = true;
  ctx.walking_handlers--;
  aio_free_deleted_handlers(ctx);
  if (timerlistgroup_run_timers(ctx.tlg)) progress = true;
  return progress;
}

/**
 * aio_poll: one event loop iteration; `blocking` waits until something happens (a watched
 * notifier set from any thread, a BH scheduled, a timer due). Returns true if progress was made
 * (a handler, non-idle BH or timer ran). Context thread only.
 */
export function aio_poll(ctx: AioContext, blocking: boolean): boolean {
  const hb = utilTraceHooks.aio_poll_begin;
  if (hb !== null) hb(ctx, blocking);
  const timeout = blocking ? aio_compute_timeout(ctx) : 0;
  const ready = aioCollectReady(ctx, { nodes: [], revents: [] });
  if (ready.nodes.length === 0 && timeout !== 0) {
    qemu_poll_ns(ctx, timeout);
    aioCollectReady(ctx, ready);
  }
  const progress = aio_dispatch(ctx, ready);
  const he = utilTraceHooks.aio_poll_end;
  if (he !== null) he(ctx, progress);
  return progress;
}

/** aio_timer_new: a timer in this context's list group (fires from aio_poll). */
export function aio_timer_new(ctx: AioContext, type: QEMUClockType, scale: number, cb: QEMUTimerCB, opaque?: unknown): QEMUTimer {
  return new QEMUTimer(ctx.tlg.tl[type], scale, cb, opaque);
}

