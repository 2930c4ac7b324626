/**
 * Observation points of the util/ layer: where the event loop dispatches, a bottom half or timer
 * runs, a coroutine is created/entered/yields/terminates, `container_of` resolves, and where the
 * thread pool submits, completes or cancels. The instrumentation layer (src/trace) attaches its
 * tracepoints here; nothing in util/ prints or records by itself.
 *
 * Contract:
 * - Every hook is `null` by default. Call sites read the field once and test it
 *   (`const h = utilTraceHooks.x; if (h !== null) h(...)`): a disabled hook costs one load and one
 *   predictable branch, and no argument is computed.
 * - Hooks are per thread (each JS thread loads its own copy of this module): to observe an iothread
 *   or a pool worker, install the hooks from a module that thread loads (its `modules` option).
 * - Hooks run synchronously on the thread of the event, *before* the callback they announce. They
 *   must not throw and must not re-enter the event loop.
 * - Names follow QEMU's trace-events where QEMU has one (e.g. qemu_aio_coroutine_enter,
 *   thread_pool_submit_aio, thread_pool_complete, thread_pool_cancel, aio_co_schedule).
 */
import type { AioContext, AioHandler } from './aio-context';
import type { QEMUBH } from './aio-bh';
import type { QEMUTimer } from './qemu-timer';
import type { Coroutine } from './coroutine';
import type { ThreadPool, ThreadPoolElement } from './thread-pool';
import type { EventNotifier } from './event-notifier';

/** Details of one resolved `container_of` step (for "n → VirtQueue.host_notifier → vq" lines). */
export interface ContainerOfEvent {
  member: object;
  /** Constructor name of the member, e.g. "EventNotifier". */
  memberType: string;
  /** The field the member is embedded as, e.g. "host_notifier". */
  field: string;
  /** Constructor name of the container type asked for, e.g. "VirtQueue". */
  containerType: string;
  container: object;
}

/** Payload the pool worker reports around each job (worker side; see thread-pool-worker.ts). */
export interface WorkerJobEvent {
  /** Worker name, e.g. "worker-3". */
  worker: string;
  /** Pool element id (ThreadPoolElement.id on the submitting side). */
  id: number;
  func: string;
  /** Set on 'end': the int the function returned (negative errno on failure). */
  ret?: number;
}

export interface UtilTraceHooks {
  /** event_notifier_set: any thread; `n` is this thread's view of the notifier (ioeventfd kick). */
  event_notifier_set: ((n: EventNotifier) => void) | null;
  /**
   * aio_dispatch_handler: a ready fd/notifier handler is about to run (`revents`: G_IO_* mask).
   * Includes the context's own notifier (aio_context_notifier_cb: `node.notifier === ctx.notifier`).
   */
  aio_dispatch_handler: ((ctx: AioContext, node: AioHandler, revents: number) => void) | null;
  /** aio_bh_call: a bottom half is about to run. */
  aio_bh_call: ((ctx: AioContext, bh: QEMUBH) => void) | null;
  /** timerlist_run_timers: an expired timer is about to fire. */
  timer_fire: ((ts: QEMUTimer, now_ns: number) => void) | null;
  /** container_of resolved a member to its container. */
  container_of: ((ev: ContainerOfEvent) => void) | null;
  /** qemu_coroutine_create (no QEMU tracepoint; ids are assigned here). `reused`: from the pool. */
  qemu_coroutine_create: ((co: Coroutine, reused: boolean) => void) | null;
  /** qemu_aio_coroutine_enter(ctx, from, to, opaque). `from` is the leader (id 0) outside coroutines. */
  qemu_aio_coroutine_enter: ((ctx: AioContext | null, from: Coroutine, to: Coroutine) => void) | null;
  /** qemu_coroutine_yield(from, to). */
  qemu_coroutine_yield: ((from: Coroutine, to: Coroutine) => void) | null;
  /** qemu_coroutine_terminate(co). */
  qemu_coroutine_terminate: ((co: Coroutine) => void) | null;
  /** aio_co_schedule(ctx, co). */
  aio_co_schedule: ((ctx: AioContext, co: Coroutine) => void) | null;
  /** thread_pool_submit_aio(pool, req, opaque). */
  thread_pool_submit_aio: ((pool: ThreadPool, req: ThreadPoolElement) => void) | null;
  /** thread_pool_complete(pool, req, opaque, ret): before the element's callback runs. */
  thread_pool_complete: ((pool: ThreadPool, req: ThreadPoolElement, ret: number) => void) | null;
  /** thread_pool_cancel(req, opaque). */
  thread_pool_cancel: ((req: ThreadPoolElement) => void) | null;
  /** Worker side: around each job a pool worker runs (phase 'begin' before func, 'end' after). */
  worker_thread_job: ((phase: 'begin' | 'end', ev: WorkerJobEvent) => void) | null;
  /** After a handler announced by aio_dispatch_handler returned (the end of the dispatch slice). */
  aio_dispatch_handler_end: ((ctx: AioContext, node: AioHandler) => void) | null;
  /** qemu_bh_schedule / aio_bh_schedule_oneshot: a bottom half of this thread was queued. */
  aio_bh_schedule: ((ctx: AioContext, bh: QEMUBH) => void) | null;
  /** After a BH's callback announced by aio_bh_call returned. */
  aio_bh_call_end: ((ctx: AioContext, bh: QEMUBH) => void) | null;
  /** main_loop_wait entered (`timeout_ns`: the bound asked for, -1 none) and left (`progress`). */
  main_loop_wait_begin: ((nonblocking: boolean, timeout_ns: number) => void) | null;
  main_loop_wait_end: ((progress: boolean) => void) | null;
  /** aio_poll(ctx, blocking) entered and left (iothreads; nested polls of the main context). */
  aio_poll_begin: ((ctx: AioContext, blocking: boolean) => void) | null;
  aio_poll_end: ((ctx: AioContext, progress: boolean) => void) | null;
}

/** This thread's hook table. Mutate the fields; never replace the object. */
export const utilTraceHooks: UtilTraceHooks = {
  event_notifier_set: null,
  aio_dispatch_handler: null,
  aio_bh_call: null,
  timer_fire: null,
  container_of: null,
  qemu_coroutine_create: null,
  qemu_aio_coroutine_enter: null,
  qemu_coroutine_yield: null,
  qemu_coroutine_terminate: null,
  aio_co_schedule: null,
  thread_pool_submit_aio: null,
  thread_pool_complete: null,
  thread_pool_cancel: null,
  worker_thread_job: null,
  aio_dispatch_handler_end: null,
  aio_bh_schedule: null,
  aio_bh_call_end: null,
  main_loop_wait_begin: null,
  main_loop_wait_end: null,
  aio_poll_begin: null,
  aio_poll_end: null,
};

/**
 * Where backtraces are stitched (DESIGN.md §1, the four `══` boundaries; src/trace/backtrace). A
 * separate table from utilTraceHooks so tracing and backtraces never replace each other's hooks.
 * Same contract: null by default, one load and one branch at each call site when off; per thread;
 * synchronous, before the announced action; must not throw.
 */
export interface UtilBacktraceHooks {
  /** event_notifier_set: the setter's side of an ioeventfd (the vCPU's QueueNotify store). */
  event_notifier_set: ((n: EventNotifier) => void) | null;
  /** aio_dispatch_handler: a ready handler is about to run (the poller's side of a notifier). */
  aio_dispatch_handler: ((ctx: AioContext, node: AioHandler) => void) | null;
  /** qemu_coroutine_create: `co` has its new id; the hook may set co.bt_link. */
  qemu_coroutine_create: ((co: Coroutine) => void) | null;
  /** thread_pool_submit_aio: `req` has its id; the hook may set req.bt_link (handed to the worker in the job record). */
  thread_pool_submit_aio: ((pool: ThreadPool, req: ThreadPoolElement) => void) | null;
  /** thread_pool_completion_bh: `req` finished (ret set) and its callback is about to run. */
  thread_pool_complete: ((pool: ThreadPool, req: ThreadPoolElement) => void) | null;
  /** Worker side, around each job: `link` is the submitting side's req.bt_link (0: none). */
  worker_thread_job: ((phase: 'begin' | 'end', link: number, ev: WorkerJobEvent) => void) | null;
}

/** This thread's backtrace hook table. Mutate the fields; never replace the object. */
export const utilBacktraceHooks: UtilBacktraceHooks = {
  event_notifier_set: null,
  aio_dispatch_handler: null,
  qemu_coroutine_create: null,
  thread_pool_submit_aio: null,
  thread_pool_complete: null,
  worker_thread_job: null,
};

/** Reset every hook to null (tests; detaching the tracer). */
export function clearUtilTraceHooks(): void {
  for (const k of Object.keys(utilTraceHooks) as (keyof UtilTraceHooks)[]) {
    (utilTraceHooks as unknown as Record<string, null>)[k] = null;
  }
}
