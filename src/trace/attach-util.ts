/**
 * Bridges src/util/trace-hooks.ts to the util.trace-events tracepoints: a hook is installed only
 * while one of the tracepoints it feeds is on, so a disabled tracepoint costs the call site's one
 * null check. Per thread (hooks and tracepoints are per-thread module state).
 */
import { utilTraceHooks } from '../util/trace-hooks';
import type { Coroutine } from '../util/coroutine';
import { threadName } from '../host/thread-id';
import * as t from './generated/tracepoints';
import { ptr, ptrValue } from './ptr';

const coPtr = (co: Coroutine): number => ptrValue('co', co.id);
const opaquePtr = (o: unknown): number => (typeof o === 'object' && o !== null ? ptr('opaque', o) : 0);

export function installUtilHooks(): void {
  const h = utilTraceHooks;
  h.aio_co_schedule = t.aio_co_schedule.on
    ? (ctx, co) => t.aio_co_schedule.emitCorr({ co: co.id }, ptrValue('ctx', ctx.id), coPtr(co))
    : null;
  h.thread_pool_submit_aio = t.thread_pool_submit.on
    ? (pool, req) => t.thread_pool_submit.emitCorr({ job: req.id }, ptr('pool', pool), ptrValue('poolreq', req.id), opaquePtr(req.opaque))
    : null;
  h.thread_pool_complete = t.thread_pool_complete.on
    ? (pool, req, ret) => t.thread_pool_complete.emitCorr({ job: req.id }, ptr('pool', pool), ptrValue('poolreq', req.id), opaquePtr(req.opaque), ret)
    : null;
  h.thread_pool_cancel = t.thread_pool_cancel.on
    ? (req) => t.thread_pool_cancel.emitCorr({ job: req.id }, ptrValue('poolreq', req.id), opaquePtr(req.opaque))
    : null;
  h.qemu_aio_coroutine_enter = t.qemu_aio_coroutine_enter.on
    ? (ctx, from, to) =>
        t.qemu_aio_coroutine_enter.emitCorr({ co: to.id }, ctx === null ? 0 : ptrValue('ctx', ctx.id), coPtr(from), coPtr(to), opaquePtr(to.entry_arg))
    : null;
  h.qemu_coroutine_yield = t.qemu_coroutine_yield.on ? (from, to) => t.qemu_coroutine_yield.emitCorr({ co: from.id }, coPtr(from), coPtr(to)) : null;
  h.qemu_coroutine_terminate = t.qemu_coroutine_terminate.on ? (co) => t.qemu_coroutine_terminate.emitCorr({ co: co.id }, coPtr(co)) : null;
  h.qemu_coroutine_create = t.coroutine_create.on
    ? (co, reused) => t.coroutine_create.emitCorr({ co: co.id }, coPtr(co), co.name, reused)
    : null;
  h.event_notifier_set = t.event_notifier_set.on ? (n) => t.event_notifier_set.emit(ptr('notifier', n), threadName()) : null;
  h.aio_dispatch_handler = t.aio_dispatch_handler.on
    ? (ctx, node, revents) => t.aio_dispatch_handler.emit(ptrValue('ctx', ctx.id), ptr('handler', node), revents)
    : null;
  h.aio_bh_call = t.aio_bh_call.on ? (ctx, bh) => t.aio_bh_call.emit(ptrValue('ctx', ctx.id), ptr('bh', bh), bh.name) : null;
  h.timer_fire = t.timer_fire.on ? (ts, now) => t.timer_fire.emit(ptr('timer', ts), now) : null;
  h.container_of = t.container_of.on
    ? (ev) => t.container_of.emit(ev.memberType, ptr('notifier', ev.member), ev.containerType, ev.field, containerPtr(ev.container), describeContainer(ev.container))
    : null;
  const job = t.worker_thread_job_begin.on || t.worker_thread_job_end.on;
  h.worker_thread_job = job
    ? (phase, ev) => {
        if (phase === 'begin') {
          if (t.worker_thread_job_begin.on) t.worker_thread_job_begin.emitCorr({ job: ev.id }, ev.worker, ptrValue('poolreq', ev.id), ev.func);
        } else if (t.worker_thread_job_end.on) t.worker_thread_job_end.emitCorr({ job: ev.id }, ev.worker, ptrValue('poolreq', ev.id), ev.func, ev.ret ?? 0);
      }
    : null;
}

interface VqLike {
  queue_index: number;
  vdev: { klass?: { name?: string }; id?: string };
}

function isVq(o: object): o is VqLike {
  return 'queue_index' in o && 'vdev' in o;
}

function containerPtr(o: object): number {
  return isVq(o) ? ptr('vq', o) : ptr('opaque', o);
}

/** "vq 0 of virtio-blk hd0" for a VirtQueue; the constructor name otherwise. */
export function describeContainer(o: object): string {
  if (!isVq(o)) return o.constructor?.name ?? 'object';
  const d = o.vdev;
  return `vq ${o.queue_index} of ${d.klass?.name ?? 'virtio'}${d.id !== undefined ? ` ${d.id}` : ''}`;
}
