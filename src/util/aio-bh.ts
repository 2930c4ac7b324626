/**
 * Bottom halves (QEMU util/async.c): callbacks an AioContext runs at its next aio_bh_poll, "timers
 * that expire as soon as possible". Also aio_notify, which async.c defines next to them.
 *
 * Same-thread use follows QEMU exactly: qemu_bh_schedule marks the BH scheduled and queues it once
 * (BH_PENDING); aio_bh_poll takes the whole pending list as one *slice* and runs it; a BH scheduled
 * while a slice runs lands in the next slice (the next aio_bh_poll, or a nested one). Within a
 * slice QEMU runs the most recently queued BH first (its list is a LIFO QSLIST), and so do we.
 * qemu_bh_cancel only clears BH_SCHEDULED; qemu_bh_delete frees at the next aio_bh_poll.
 *
 * Other threads: a QEMUBH is a JS object of its context's thread and cannot be touched from another
 * thread. To let another thread schedule it (a pool worker scheduling the pool's completion_bh,
 * QEMU's qemu_bh_schedule from a worker), the owner calls `shareBH(bh)` and posts the descriptor;
 * the other thread calls `openSharedBH(desc)` and `qemu_bh_schedule(shared)`, which sets an
 * EventNotifier owned by the context. The context moves such BHs into its list (as QEMU's atomic
 * insertion would) whenever it computes its timeout or polls BHs: `aioHarvestRemote`. The same
 * mechanism carries named oneshots from other threads (aio-remote.ts).
 *
 * Contract: every function here runs on the context's thread, except qemu_bh_schedule on a
 * SharedQEMUBH, which any thread may call.
 */
import {
  EventNotifier,
  event_notifier_set,
  event_notifier_test_and_clear,
  eventNotifierNew,
  eventNotifierSetOwner,
  openSharedEventNotifier,
  shareEventNotifier,
  type SharedEventNotifier,
} from './event-notifier';
import { utilTraceHooks } from './trace-hooks';
import type { TransferListItem } from 'node:worker_threads';
import type { AioContext } from './aio-context';

export const BH_PENDING = 1 << 0; // already queued, waiting for aio_bh_poll
export const BH_SCHEDULED = 1 << 1; // invoke the callback
export const BH_DELETED = 1 << 2; // delete without invoking the callback
export const BH_ONESHOT = 1 << 3; // delete after invoking the callback
export const BH_IDLE = 1 << 4; // scheduled with qemu_bh_schedule_idle

export type QEMUBHFunc = (opaque: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

let nextBhId = 1;

export class QEMUBH {
  flags = 0;
  /** Set once the BH was deleted and dropped: using it again is an error, not a use-after-free. */
  freed = false;
  /** Per-thread id for traces. */
  readonly id = nextBhId++;
  constructor(
    readonly ctx: AioContext,
    readonly name: string,
    readonly cb: QEMUBHFunc,
    readonly opaque: unknown,
  ) {}
}

/** Something another thread can trigger that turns into BHs of the context (see aioHarvestRemote). */
export interface RemoteBHSource {
  readonly notifier: EventNotifier;
  /** Called on the context's thread after `notifier` was found set (and cleared). */
  harvest(ctx: AioContext): void;
}

/** aio_notify: make the context's next (or current) blocking wait return. Context thread only. */
export function aio_notify(ctx: AioContext): void {
  ctx.notified = true;
}

/** aio_notify_accept: the event loop saw the notification (aio_poll calls it after waiting). */
export function aio_notify_accept(ctx: AioContext): void {
  ctx.notified = false;
}

/** aio_bh_new_full / aio_bh_new: a BH of `ctx` calling cb(opaque); not scheduled yet. */
export function aio_bh_new(ctx: AioContext, cb: QEMUBHFunc, opaque?: unknown, name?: string): QEMUBH {
  return new QEMUBH(ctx, name ?? (cb.name || 'bh'), cb, opaque);
}
export const aio_bh_new_full = aio_bh_new;

function aio_bh_enqueue(bh: QEMUBH, new_flags: number): void {
  if (bh.freed) throw new Error(`BH '${bh.name}' used after qemu_bh_delete`);
  const old = bh.flags;
  bh.flags = old | BH_PENDING | new_flags;
  if (!(old & BH_PENDING)) bh.ctx.bh_list.push(bh);
  const h = utilTraceHooks.aio_bh_schedule;
  if (h !== null) h(bh.ctx, bh);
  aio_notify(bh.ctx);
}

/**
 * aio_bh_schedule_oneshot: run cb(opaque) once in `ctx`, then forget it. For a context of another
 * thread (a RemoteAioContext, e.g. an iothread's), pass the name of a function registered there
 * with registerAioFunction and a structured-clonable argument (see aio-remote.ts).
 */
export function aio_bh_schedule_oneshot(ctx: AioContext, cb: QEMUBHFunc, opaque?: unknown, name?: string): void;
export function aio_bh_schedule_oneshot(ctx: RemoteOneshotTarget, fn: string, arg?: unknown, transfer?: readonly TransferListItem[]): void;
export function aio_bh_schedule_oneshot(ctx: AioContext | RemoteOneshotTarget, cb: QEMUBHFunc | string, opaque?: unknown, extra?: unknown): void {
  if ('remote' in ctx) {
    if (typeof cb !== 'string') throw new TypeError('aio_bh_schedule_oneshot: a context of another thread runs functions by registered name, not closures');
    ctx.scheduleOneshot(cb, opaque, (extra as readonly TransferListItem[] | undefined) ?? []);
    return;
  }
  if (typeof cb === 'string') throw new TypeError('aio_bh_schedule_oneshot: pass a callback for a context of this thread');
  aio_bh_enqueue(new QEMUBH(ctx, (extra as string | undefined) ?? (cb.name || 'oneshot'), cb, opaque), BH_SCHEDULED | BH_ONESHOT);
}
/** The part of RemoteAioContext (aio-remote.ts) that aio_bh_schedule_oneshot uses. */
export interface RemoteOneshotTarget {
  readonly remote: true;
  scheduleOneshot(fn: string, arg: unknown, transfer: readonly TransferListItem[]): void;
}

/** aio_bh_call: run one BH's callback (the observable "BH run" point). */
export function aio_bh_call(bh: QEMUBH): void {
  const h = utilTraceHooks.aio_bh_call;
  if (h !== null) h(bh.ctx, bh);
  const cb = bh.cb; // no receiver: the frame reads as the callback's own name, as in a gdb backtrace
  cb(bh.opaque);
  const e = utilTraceHooks.aio_bh_call_end;
  if (e !== null) e(bh.ctx, bh);
}

/**
 * aio_bh_poll: run the BHs scheduled so far (one slice; see above). Returns true if a non-idle BH
 * ran (progress). Not reentrant per context except through nested slices, as in QEMU.
 */
export function aio_bh_poll(ctx: AioContext): boolean {
  aioHarvestRemote(ctx);
  const slice = ctx.bh_list;
  ctx.bh_list = [];
  ctx.bh_slice_list.push(slice);
  let ret = false;
  while (ctx.bh_slice_list.length > 0) {
    const s = ctx.bh_slice_list[0];
    const bh = s.pop(); // most recently queued first, as QEMU's QSLIST
    if (bh === undefined) {
      ctx.bh_slice_list.shift();
      continue;
    }
    const flags = bh.flags;
    bh.flags = flags & ~(BH_PENDING | BH_SCHEDULED | BH_IDLE);
    if ((flags & (BH_SCHEDULED | BH_DELETED)) === BH_SCHEDULED) {
      if (!(flags & BH_IDLE)) ret = true;
      aio_bh_call(bh);
    }
    if (flags & (BH_DELETED | BH_ONESHOT)) bh.freed = true;
  }
  return ret;
}

/** qemu_bh_schedule: run the BH at the context's next aio_bh_poll (once, however often scheduled). */
export function qemu_bh_schedule(bh: QEMUBH | SharedQEMUBH): void {
  if (bh instanceof SharedQEMUBH) {
    event_notifier_set(bh.notifier);
    return;
  }
  aio_bh_enqueue(bh, BH_SCHEDULED);
}

/** qemu_bh_schedule_idle: schedule without counting as progress; polled at least every 10 ms. */
export function qemu_bh_schedule_idle(bh: QEMUBH): void {
  aio_bh_enqueue(bh, BH_SCHEDULED | BH_IDLE);
}

/** qemu_bh_cancel: the BH will not run unless scheduled again. */
export function qemu_bh_cancel(bh: QEMUBH): void {
  bh.flags &= ~BH_SCHEDULED;
}

/** qemu_bh_delete: cancel and free at the next aio_bh_poll. A shared BH's notifier is released too. */
export function qemu_bh_delete(bh: QEMUBH): void {
  const shared = sharedOf.get(bh);
  if (shared !== undefined) {
    const list = bh.ctx.remote_bh_sources;
    const i = list.indexOf(shared);
    if (i >= 0) list.splice(i, 1);
    eventNotifierSetOwner(shared.notifier.slot, null);
    sharedOf.delete(bh);
  }
  aio_bh_enqueue(bh, BH_DELETED);
}

/**
 * aio_compute_bh_timeout: 0 if a non-idle BH is scheduled, 10 ms if only idle ones are, else
 * `timeout` (ns; -1 = infinite).
 */
export function aio_compute_bh_timeout(ctx: AioContext, timeout: number): number {
  const scan = (list: readonly QEMUBH[]): number => {
    for (const bh of list) {
      if ((bh.flags & (BH_SCHEDULED | BH_DELETED)) === BH_SCHEDULED) {
        if (!(bh.flags & BH_IDLE)) return 0;
        timeout = 10_000_000;
      }
    }
    return timeout;
  };
  if (scan(ctx.bh_list) === 0) return 0;
  for (const s of ctx.bh_slice_list) if (scan(s) === 0) return 0;
  return timeout;
}

/**
 * Bring in what other threads scheduled: for every remote source whose notifier is set, clear it
 * and let it queue its BHs. Context thread; cheap when nothing is set (one atomic load each).
 */
export function aioHarvestRemote(ctx: AioContext): void {
  const sources = ctx.remote_bh_sources;
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i];
    if (event_notifier_test_and_clear(s.notifier)) s.harvest(ctx);
  }
}

/** Another thread's handle on a BH (see shareBH). Only qemu_bh_schedule applies to it. */
export class SharedQEMUBH {
  constructor(
    readonly notifier: EventNotifier,
    readonly name: string,
  ) {}
}

/** Structured-clonable description of a shared BH (post it to the thread that will schedule it). */
export interface SharedBHDescriptor {
  readonly kind: 'shared-bh';
  readonly notifier: SharedEventNotifier;
  readonly name: string;
}

const sharedOf = new WeakMap<QEMUBH, RemoteBHSource>();

/**
 * Context thread: let other threads schedule `bh`. The returned descriptor is plain data. Scheduling
 * from another thread wakes the context if it is blocked in aio_poll.
 */
export function shareBH(bh: QEMUBH): SharedBHDescriptor {
  let src = sharedOf.get(bh);
  if (src === undefined) {
    const notifier = eventNotifierNew(`bh:${bh.name}`);
    eventNotifierSetOwner(notifier.slot, bh.ctx.notifier);
    src = {
      notifier,
      harvest: () => {
        if (!bh.freed) aio_bh_enqueue(bh, BH_SCHEDULED);
      },
    };
    sharedOf.set(bh, src);
    bh.ctx.remote_bh_sources.push(src);
  }
  return { kind: 'shared-bh', notifier: shareEventNotifier(src.notifier), name: bh.name };
}

/** Other thread: open a shared BH to call qemu_bh_schedule on it. */
export function openSharedBH(d: SharedBHDescriptor): SharedQEMUBH {
  return new SharedQEMUBH(openSharedEventNotifier(d.notifier), d.name);
}
