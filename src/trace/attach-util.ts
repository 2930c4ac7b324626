/**
 * Bridges src/util/trace-hooks.ts to the util.trace-events tracepoints: a hook is installed only
 * while one of the tracepoints it feeds is on, so a disabled tracepoint costs the call site's one
 * null check. Per thread (hooks and tracepoints are per-thread module state).
 *
 * While any tracepoint is on, the coroutine, pool-submit/complete and worker-job hooks also keep the
 * ambient correlation (ambient.ts) that recorded events are stamped with, whether or not their own
 * tracepoints are on.
 */
import { utilTraceHooks } from '../util/trace-hooks';
import type { Coroutine } from '../util/coroutine';
import { threadName } from '../host/thread-id';
import * as t from './generated/tracepoints';
import { allTracepoints } from './generated/tracepoints';
import { ptr, ptrValue } from './ptr';
import {
  noteCoroutineCreated,
  noteCoroutineTerminated,
  noteJobCompleted,
  noteJobSubmitted,
  requestOfCoroutine,
  requestOfJob,
  setWorkerJob,
} from './ambient';

const coPtr = (co: Coroutine): number => ptrValue('co', co.id);
const opaquePtr = (o: unknown): number => (typeof o === 'object' && o !== null ? ptr('opaque', o) : 0);

/** Is any tracepoint of this thread on (then ambient correlation is kept)? */
function anyOn(): boolean {
  for (const tp of allTracepoints) if (tp.on) return true;
  return false;
}

export function installUtilHooks(): void {
  const h = utilTraceHooks;
  const ambient = anyOn();
  h.aio_co_schedule = t.aio_co_schedule.on
    ? (ctx, co) => t.aio_co_schedule.emitCorr({ co: co.id, req: requestOfCoroutine(co.id) }, ptrValue('ctx', ctx.id), coPtr(co))
    : null;
  h.thread_pool_submit_aio =
    t.thread_pool_submit.on || t.pool_queue_depth.on || ambient
      ? (pool, req) => {
          const r = noteJobSubmitted(req.id);
          if (t.thread_pool_submit.on) t.thread_pool_submit.emitCorr({ job: req.id, req: r }, ptr('pool', pool), ptrValue('poolreq', req.id), opaquePtr(req.opaque));
          if (t.pool_queue_depth.on) t.pool_queue_depth.emitCorr({ job: req.id, req: r }, ptr('pool', pool), pool.in_flight, pool.cur_threads);
        }
      : null;
  h.thread_pool_complete =
    t.thread_pool_complete.on || t.pool_queue_depth.on || ambient
      ? (pool, req, ret) => {
          const r = requestOfJob(req.id);
          if (t.thread_pool_complete.on) t.thread_pool_complete.emitCorr({ job: req.id, req: r }, ptr('pool', pool), ptrValue('poolreq', req.id), opaquePtr(req.opaque), ret);
          if (t.pool_queue_depth.on) t.pool_queue_depth.emitCorr({ job: req.id, req: r }, ptr('pool', pool), pool.in_flight, pool.cur_threads);
          noteJobCompleted(req.id);
        }
      : null;
  h.thread_pool_cancel = t.thread_pool_cancel.on
    ? (req) => t.thread_pool_cancel.emitCorr({ job: req.id, req: requestOfJob(req.id) }, ptrValue('poolreq', req.id), opaquePtr(req.opaque))
    : null;
  h.qemu_aio_coroutine_enter = t.qemu_aio_coroutine_enter.on
    ? (ctx, from, to) =>
        t.qemu_aio_coroutine_enter.emitCorr(
          { co: to.id, req: requestOfCoroutine(to.id) },
          ctx === null ? 0 : ptrValue('ctx', ctx.id),
          coPtr(from),
          coPtr(to),
          opaquePtr(to.entry_arg),
        )
    : null;
  h.qemu_coroutine_yield = t.qemu_coroutine_yield.on ? (from, to) => t.qemu_coroutine_yield.emitCorr({ co: from.id }, coPtr(from), coPtr(to)) : null;
  h.qemu_coroutine_terminate =
    t.qemu_coroutine_terminate.on || ambient
      ? (co) => {
          if (t.qemu_coroutine_terminate.on) t.qemu_coroutine_terminate.emitCorr({ co: co.id, req: requestOfCoroutine(co.id) }, coPtr(co));
          noteCoroutineTerminated(co.id);
        }
      : null;
  h.qemu_coroutine_create =
    t.coroutine_create.on || ambient
      ? (co, reused) => {
          noteCoroutineCreated(co.id, co.entry_arg);
          if (t.coroutine_create.on) t.coroutine_create.emitCorr({ co: co.id }, coPtr(co), co.name, reused);
        }
      : null;
  h.event_notifier_set = t.event_notifier_set.on ? (n) => t.event_notifier_set.emit(ptr('notifier', n), n.slot, threadName()) : null;
  h.aio_dispatch_handler = t.aio_dispatch_handler.on
    ? (ctx, node, revents) => t.aio_dispatch_handler.emit(ptrValue('ctx', ctx.id), ptr('handler', node), revents, node.notifierSlot)
    : null;
  h.aio_dispatch_handler_end = t.aio_dispatch_handler_end.on
    ? (ctx, node) => t.aio_dispatch_handler_end.emit(ptrValue('ctx', ctx.id), ptr('handler', node))
    : null;
  h.aio_bh_schedule = t.aio_bh_schedule.on ? (ctx, bh) => t.aio_bh_schedule.emit(ptrValue('ctx', ctx.id), ptr('bh', bh), bh.name) : null;
  h.aio_bh_call = t.aio_bh_call.on ? (ctx, bh) => t.aio_bh_call.emit(ptrValue('ctx', ctx.id), ptr('bh', bh), bh.name) : null;
  h.aio_bh_call_end = t.aio_bh_call_end.on ? (ctx, bh) => t.aio_bh_call_end.emit(ptrValue('ctx', ctx.id), ptr('bh', bh)) : null;
  h.main_loop_wait_begin = t.main_loop_wait_begin.on ? (nb, timeout) => t.main_loop_wait_begin.emit(nb, timeout) : null;
  h.main_loop_wait_end = t.main_loop_wait_end.on ? (progress) => t.main_loop_wait_end.emit(progress) : null;
  h.aio_poll_begin = t.aio_poll_begin.on ? (ctx, blocking) => t.aio_poll_begin.emit(ptrValue('ctx', ctx.id), blocking) : null;
  h.aio_poll_end = t.aio_poll_end.on ? (ctx, progress) => t.aio_poll_end.emit(ptrValue('ctx', ctx.id), progress) : null;
  h.timer_fire = t.timer_fire.on ? (ts, now) => t.timer_fire.emit(ptr('timer', ts), now) : null;
  h.container_of = t.container_of.on
    ? (ev) => t.container_of.emit(ev.memberType, ptr('notifier', ev.member), ev.containerType, ev.field, containerPtr(ev.container), describeContainer(ev.container))
    : null;
  const job = t.worker_thread_job_begin.on || t.worker_thread_job_end.on || ambient;
  h.worker_thread_job = job
    ? (phase, ev) => {
        if (phase === 'begin') {
          setWorkerJob(ev.id);
          if (t.worker_thread_job_begin.on) t.worker_thread_job_begin.emitCorr({ job: ev.id }, ev.worker, ptrValue('poolreq', ev.id), ev.func);
        } else {
          if (t.worker_thread_job_end.on) t.worker_thread_job_end.emitCorr({ job: ev.id }, ev.worker, ptrValue('poolreq', ev.id), ev.func, ev.ret ?? 0);
          setWorkerJob(-1);
        }
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
