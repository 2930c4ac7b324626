/**
 * The thread pool (QEMU util/thread-pool.c): runs blocking work — the file-posix driver's
 * preadv/pwritev/fdatasync — on worker threads and completes it in the submitting AioContext.
 * This file is QEMU's interface (thread_pool_submit_aio/_co, thread_pool_cancel, the completion
 * BH, thread_pool_free) and the ThreadPool object; the rest of the submitting side is split by
 * concern:
 *   thread-pool-handoff.ts  how an element reaches a worker and comes back (shared rings, records,
 *                           message jobs, cancellation's claim)
 *   thread-pool-spawn.ts    starting, waking and reaping workers; when the pool grows
 *   thread-pool-worker.ts   the worker thread itself
 *   thread-pool-funcs.ts    what both sides share: the function registry and the memory layout
 *
 * Contract: a pool belongs to one AioContext (aio_get_thread_pool(ctx)); every function here runs
 * on that context's thread. Callbacks run from that context's aio_poll/main_loop_wait.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { AioContext } from './aio-context';
import {
  QEMUBH,
  SharedBHDescriptor,
  aio_bh_new,
  qemu_bh_cancel,
  qemu_bh_delete,
  qemu_bh_schedule,
  shareBH,
} from './aio-bh';
import {
  aio_co_wake,
  qemu_coroutine_self,
  qemu_coroutine_yield_here,
  qemu_in_coroutine,
  CoroutineError,
  type Coroutine,
  type coroutine_fn,
} from './coroutine';
import { QEMUTimer, timer_del, timer_free } from './qemu-timer';
import { utilBacktraceHooks, utilTraceHooks } from './trace-hooks';
import { utilWorkerScript, workerModulePath } from './worker-script';
import {
  ECANCELED,
  EINPROGRESS,
  GEN_MASK,
  NSLOTS,
  P_CQ_PENDING,
  P_CUR_THREADS,
  P_IDLE,
  P_MIN_THREADS,
  P_SPIN,
  POOL_AREA_WORDS,
  R_ERR,
  R_ID,
  R_LINK_HI,
  R_LINK_LO,
  R_RET,
  R_STATE,
  R_WORKER,
  REC_BASE,
  REC_WORDS,
  THREAD_POOL_MAX_DEFAULT,
  ThreadState,
  W_CUR,
  W_JOBS,
  W_STATUS,
  W_THREAD_ID,
  W_TID,
  WorkerStatus,
  type WorkerToPool,
} from './thread-pool-funcs';
import {
  drain_completions,
  elem_fail,
  hand_off,
  thread_pool_dispatch,
  thread_pool_kick,
  type FastJobWriter,
} from './thread-pool-handoff';
import {
  PoolWorker,
  defaultSpin,
  post_to_worker,
  reap_workers,
  spawn_thread,
  thread_pool_maybe_spawn,
  wake_all,
} from './thread-pool-spawn';

export { threadPoolRegisterFastEncoder, type FastJobWriter, type ThreadPoolFastEncoder } from './thread-pool-handoff';

export { ThreadState, WorkerStatus, THREAD_POOL_MAX_DEFAULT };
export type BlockCompletionFunc = (opaque: any, ret: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ThreadPoolOptions {
  max_threads?: number;
  min_threads?: number;
  /** QEMU's 10 s worker idle timeout. */
  idle_timeout_ms?: number;
  /**
   * Start another worker only when a job has waited this long with no worker making progress
   * (default 10; env VTRACE_POOL_SPAWN_MS). On a 2-CPU host scheduler stalls of 1-5 ms are common
   * under load, and each new isolate costs ~50 ms of CPU: 1 ms grew the pool to ~20 workers.
   */
  spawn_threshold_ms?: number;
  /** Idle workers poll the ring this many times before sleeping (default 0; env VTRACE_POOL_SPIN). */
  spin?: number;
  /** Modules each worker loads (they call registerPoolFunction); src/*.ts paths map to dist/. */
  modules?: readonly string[];
}

const defaultModules: string[] = [];

/** Add a module every pool created afterwards loads into its workers (e.g. file-posix's aiocb handlers). */
export function threadPoolAddModule(file: string): void {
  if (!defaultModules.includes(file)) defaultModules.push(file);
}

/** Buffers auto-registered per pool at most (explicit registrations are not limited). */
const AUTO_BUFFERS_MAX = 16;

const DEFAULT_SPAWN_THRESHOLD_MS = 10;

/** QEMU's ThreadPoolElement (its BlockAIOCB part: cb, opaque). */
export class ThreadPoolElement {
  /** Result; -EINPROGRESS until completed. */
  ret = -EINPROGRESS;
  /** Why it failed, when the worker reported it (function threw, unknown name, module load). */
  error: string | null = null;
  /** Job record slot while in flight (-1: not given one yet, or completed). */
  slot = -1;
  gen = 0;
  /** Completed (its callback ran or is running). */
  done = false;
  /** Worker index once known (-1 before). */
  workerIndex = -1;
  /** performance.now() when queued for a worker (growth decisions). */
  queued_at = 0;
  /** Backtraces: the submission's link id (src/trace/backtrace), passed to the worker in R_LINK_*; 0 when not armed. */
  bt_link = 0;
  constructor(
    readonly id: number,
    readonly pool: ThreadPool,
    readonly func: string,
    readonly arg: unknown,
    readonly cb: BlockCompletionFunc | null,
    readonly opaque: unknown,
  ) {}
  get state(): ThreadState {
    if (this.done) return ThreadState.THREAD_DONE;
    if (this.slot < 0) return ThreadState.THREAD_QUEUED;
    return Atomics.load(this.pool.i32, REC_BASE + this.slot * REC_WORDS + R_STATE) & 3;
  }
  /** Name of the worker running or that ran the job, once one took it. */
  get worker(): string | null {
    if (this.workerIndex < 0 && this.slot >= 0 && !this.done) {
      const w = Atomics.load(this.pool.i32, REC_BASE + this.slot * REC_WORDS + R_WORKER);
      if (w >= 0) this.workerIndex = w;
    }
    return this.workerIndex < 0 ? null : `worker-${this.workerIndex}`;
  }
}

export class ThreadPool implements FastJobWriter {
  /** Elements not handed to workers yet: no free record, ring full, or message jobs waiting for an idle worker. */
  readonly request_list: ThreadPoolElement[] = [];
  readonly workers: PoolWorker[] = [];
  readonly completion_bh: QEMUBH;
  readonly completion_bh_shared: SharedBHDescriptor;
  /** The shared area: header, rings, records (thread-pool-funcs.ts). */
  readonly area = new SharedArrayBuffer(POOL_AREA_WORDS * 4);
  readonly i32 = new Int32Array(this.area);
  readonly u32 = new Uint32Array(this.area);
  readonly f64 = new Float64Array(this.area);
  /** Kept for compatibility: the header words (P_*). */
  readonly shared: Int32Array = this.i32;
  base = 0;
  max_threads: number;
  idle_timeout_ms: number;
  spawn_threshold_ms: number;
  readonly modules: string[];
  readonly script: string;
  /** Messages of workers that failed to load their modules. */
  readonly fatal: string[] = [];
  readonly slotElem: (ThreadPoolElement | null)[] = new Array<ThreadPoolElement | null>(NSLOTS).fill(null);
  private readonly gens = new Int32Array(NSLOTS);
  private readonly freeSlots: number[] = [];
  private readonly errors = new Map<number, string>();
  /** Finished elements waiting for their callback (completion order), and the next to run. */
  readonly done_list: ThreadPoolElement[] = [];
  done_next = 0;
  /** Registered buffers: SharedArrayBuffer → id, and the list new workers get. */
  readonly buffers = new Map<ArrayBufferLike, number>();
  readonly bufferList: [number, SharedArrayBuffer, number][] = [];
  private readonly seen = new WeakSet<object>();
  private autoBuffers = 0;
  /** Fast-function ids the workers were told about. */
  fastKnown = 0;
  starting: PoolWorker | null = null;
  grow_timer: QEMUTimer | null = null;
  /** Growth: when workers last made progress (took a job, finished one, came up), and the ring head then. */
  progress_at = 0;
  progress = false;
  last_sq_head = 0;
  in_flight = 0;
  /** Jobs were queued while a worker slept: wake them before this context blocks (kick_bh). */
  kick_needed = false;
  in_completion_bh = false;
  /** performance.now() when the running completion BH started (see thread_pool_submit_aio). */
  bh_started_at = 0;
  readonly kick_bh: QEMUBH;
  private nextId = 1;
  completed = 0;

  constructor(
    readonly ctx: AioContext,
    opts: ThreadPoolOptions = {},
  ) {
    this.max_threads = opts.max_threads ?? ctx.thread_pool_max;
    this.i32[P_MIN_THREADS] = opts.min_threads ?? ctx.thread_pool_min;
    this.i32[P_SPIN] = opts.spin ?? defaultSpin();
    this.idle_timeout_ms = opts.idle_timeout_ms ?? 10_000;
    const envSpawn = process.env.VTRACE_POOL_SPAWN_MS;
    this.spawn_threshold_ms = opts.spawn_threshold_ms ?? (envSpawn ? Number(envSpawn) : DEFAULT_SPAWN_THRESHOLD_MS);
    this.script = utilWorkerScript('thread-pool-worker');
    this.modules = [...(opts.modules ?? defaultModules)].map((m) => workerModulePath(m));
    this.completion_bh = aio_bh_new(ctx, thread_pool_completion_bh, this, 'thread_pool_completion_bh');
    this.completion_bh_shared = shareBH(this.completion_bh);
    this.kick_bh = aio_bh_new(ctx, thread_pool_kick, this, 'thread_pool_kick');
    for (let i = NSLOTS - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  get min_threads(): number {
    return Atomics.load(this.i32, P_MIN_THREADS);
  }
  get cur_threads(): number {
    return Atomics.load(this.i32, P_CUR_THREADS);
  }
  /** All in-flight elements (debugging, tests): in a record or waiting for one. */
  get head(): ThreadPoolElement[] {
    const out: ThreadPoolElement[] = [];
    for (const e of this.slotElem) if (e !== null) out.push(e);
    for (const e of this.request_list) if (e.slot < 0 && !e.done) out.push(e);
    return out.sort((a, b) => a.id - b.id);
  }

  /** Give `req` a job record (QUEUED); false if all are in use. */
  allocSlot(req: ThreadPoolElement): boolean {
    const slot = this.freeSlots.pop();
    if (slot === undefined) return false;
    const gen = (this.gens[slot] = (this.gens[slot] + 1) & GEN_MASK);
    const rec = REC_BASE + slot * REC_WORDS;
    const i32 = this.i32;
    i32[rec + R_RET] = -EINPROGRESS;
    i32[rec + R_ERR] = 0;
    i32[rec + R_WORKER] = -1;
    i32[rec + R_ID] = req.id;
    i32[rec + R_LINK_LO] = req.bt_link | 0; // low 32 bits
    i32[rec + R_LINK_HI] = (req.bt_link / 0x100000000) | 0;
    Atomics.store(i32, rec + R_STATE, (gen << 2) | ThreadState.THREAD_QUEUED);
    req.slot = slot;
    req.gen = gen;
    this.slotElem[slot] = req;
    return true;
  }

  freeSlot(req: ThreadPoolElement): void {
    if (req.slot < 0) return;
    this.slotElem[req.slot] = null;
    this.freeSlots.push(req.slot);
    req.slot = -1;
  }

  newId(): number {
    return this.nextId++;
  }

  /** FastJobWriter.bufferId: the id workers know `sab` by; registers it on its second use. */
  bufferId(sab: ArrayBufferLike): number {
    const id = this.buffers.get(sab);
    if (id !== undefined) return id;
    if (!(sab instanceof SharedArrayBuffer)) return -1;
    if (!this.seen.has(sab)) {
      this.seen.add(sab); // a one-off buffer (e.g. a fresh bounce buffer) goes as a message
      return -1;
    }
    if (this.autoBuffers >= AUTO_BUFFERS_MAX) return -1;
    this.autoBuffers++;
    return thread_pool_register_buffer(this, sab);
  }

  /** Drain worker ports: error texts for elements, fatal messages. */
  collectMessages(): void {
    for (const w of this.workers) this.drainWorker(w);
  }

  drainWorker(w: PoolWorker): void {
    for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
      const msg = m.message as WorkerToPool;
      if (msg.type === 'error') this.errors.set(msg.id, msg.message);
      else this.fatal.push(msg.message);
    }
  }

  takeError(id: number): string | null {
    const e = this.errors.get(id);
    if (e === undefined) return null;
    this.errors.delete(id);
    return e;
  }
}

/** thread_pool_new: a pool completing in `ctx`. Throws if the worker script is missing or stale. */
export function thread_pool_new(ctx: AioContext, opts?: ThreadPoolOptions): ThreadPool {
  const pool = new ThreadPool(ctx, opts);
  for (let i = pool.cur_threads; i < pool.min_threads; i++) spawn_thread(pool);
  return pool;
}

/** aio_get_thread_pool: the context's pool, created on first use with the default modules. */
export function aio_get_thread_pool(ctx: AioContext): ThreadPool {
  if (ctx.thread_pool === null) ctx.thread_pool = thread_pool_new(ctx);
  return ctx.thread_pool;
}

/**
 * thread_pool_register_buffer: make `sab` known to every worker of `pool` (now and later), so fast
 * jobs can name it by id. Guest RAM is registered like this (file_posix_register_buffer), else on
 * its second use. `base`: the address the buffer's start stands for in syscall records (guest RAM:
 * its guest-physical base; host/record.ts setBufferBase). Returns the id. Idempotent.
 */
export function thread_pool_register_buffer(pool: ThreadPool, sab: SharedArrayBuffer, base = 0): number {
  const known = pool.buffers.get(sab);
  if (known !== undefined) return known;
  const id = pool.bufferList.length;
  pool.buffers.set(sab, id);
  pool.bufferList.push([id, sab, base]);
  for (const w of pool.workers) if (w.status !== WorkerStatus.EXITED) post_to_worker(w, { type: 'buffer', id, sab, base });
  return id;
}

/**
 * thread_pool_submit_aio: run func(arg) on a worker; cb(opaque, ret) runs later in the pool's
 * context (never synchronously from here). Returns the element (for thread_pool_cancel).
 */
export function thread_pool_submit_aio(pool: ThreadPool, func: string, arg: unknown, cb: BlockCompletionFunc | null, opaque?: unknown): ThreadPoolElement {
  const req = new ThreadPoolElement(pool.newId(), pool, func, arg, cb, opaque);
  pool.in_flight++;
  // Within the completion BH every submission shares the BH's timestamp (taken when it started,
  // microseconds ago; growth works in milliseconds): one clock read per batch, not per request.
  req.queued_at = pool.in_completion_bh ? pool.bh_started_at : performance.now();
  const h = utilTraceHooks.thread_pool_submit_aio;
  if (h !== null) h(pool, req);
  const bt = utilBacktraceHooks.thread_pool_submit_aio;
  if (bt !== null) bt(pool, req);
  if (pool.request_list.length > 0 || !hand_off(pool, req)) {
    pool.request_list.push(req);
    thread_pool_dispatch(pool);
  }
  if (Atomics.load(pool.i32, P_IDLE) === 0 || pool.request_list.length > 0) {
    if (pool.workers.length > 0 && pool.workers[pool.workers.length - 1].status === WorkerStatus.EXITED) reap_workers(pool);
    thread_pool_maybe_spawn(pool);
  }
  return req;
}

/** thread_pool_submit: fire and forget (no callback). */
export function thread_pool_submit(pool: ThreadPool, func: string, arg: unknown): void {
  thread_pool_submit_aio(pool, func, arg, null, undefined);
}

/** thread_pool_submit_co's callback: opaque is the submitting coroutine; ret is read from the element. */
function thread_pool_co_cb(co: Coroutine, _ret: number): void {
  aio_co_wake(co);
}

/**
 * thread_pool_submit_co: coroutine_fn. Submit, yield until the completion BH re-enters this
 * coroutine, return func's result. `const ret = yield* thread_pool_submit_co(pool, 'f', arg)`.
 * (It yields through qemu_coroutine_yield_here, i.e. qemu_coroutine_yield without a generator
 * level of its own: one level less on every request's way down and up.)
 */
export function* thread_pool_submit_co(pool: ThreadPool, func: string, arg: unknown): coroutine_fn<number> {
  if (!qemu_in_coroutine()) throw new CoroutineError('thread_pool_submit_co: not in a coroutine');
  const elem = thread_pool_submit_aio(pool, func, arg, thread_pool_co_cb, qemu_coroutine_self());
  yield qemu_coroutine_yield_here();
  return elem.ret;
}

/**
 * thread_pool_completion_bh: the pool's BH in its context. Collects everything the workers
 * finished since the last run, hands waiting work to workers, then runs each finished element's
 * callback here.
 */
function thread_pool_completion_bh(pool: ThreadPool): void {
  const i32 = pool.i32;
  Atomics.store(i32, P_CQ_PENDING, 0); // completions after this point schedule us again
  const nested = pool.in_completion_bh;
  pool.in_completion_bh = true;
  pool.bh_started_at = performance.now();
  try {
    thread_pool_completion_bh_run(pool);
  } finally {
    pool.in_completion_bh = nested;
    if (!nested && pool.kick_needed) thread_pool_kick(pool);
  }
}

function thread_pool_completion_bh_run(pool: ThreadPool): void {
  const i32 = pool.i32;
  drain_completions(pool);
  if (pool.workers.length > 0) {
    for (const w of pool.workers) {
      if (w.status === WorkerStatus.EXITED) {
        reap_workers(pool);
        break;
      }
    }
  }
  thread_pool_dispatch(pool);
  let collected = false;
  const list = pool.done_list;
  while (pool.done_next < list.length) {
    const elem = list[pool.done_next++];
    if (pool.done_next === list.length) {
      list.length = 0;
      pool.done_next = 0;
    }
    if (elem.slot >= 0) {
      const rec = REC_BASE + elem.slot * REC_WORDS;
      if ((Atomics.load(i32, rec + R_STATE) & 3) !== ThreadState.THREAD_DONE) continue; // not ours
      elem.ret = Atomics.load(i32, rec + R_RET);
      const w = i32[rec + R_WORKER];
      if (w >= 0) elem.workerIndex = w;
      if (i32[rec + R_ERR]) {
        if (!collected) pool.collectMessages();
        collected = true;
        elem.error = pool.takeError(elem.id) ?? elem.error;
      }
      pool.freeSlot(elem);
    }
    elem.done = true;
    pool.in_flight--;
    pool.completed++;
    const h = utilTraceHooks.thread_pool_complete;
    if (h !== null) h(pool, elem, elem.ret);
    const bt = utilBacktraceHooks.thread_pool_complete;
    if (bt !== null) bt(pool, elem);
    if (elem.cb !== null) {
      // In case cb() runs a nested aio_poll waiting for another element done at the same time.
      const more = pool.done_next < list.length;
      if (more) qemu_bh_schedule(pool.completion_bh);
      // A nested aio_poll in cb() may block: wake workers for what was queued so far.
      const cb = elem.cb; // no receiver: the frame shows the callback's own name
      if (pool.kick_needed) qemu_bh_schedule(pool.kick_bh);
      cb(elem.opaque, elem.ret);
      if (more) qemu_bh_cancel(pool.completion_bh);
    }
  }
  if (pool.request_list.length > 0) thread_pool_dispatch(pool);
  thread_pool_maybe_spawn(pool);
}

/**
 * thread_pool_cancel: a QUEUED element is dropped and completes with -ECANCELED (through the
 * completion BH, not synchronously); an ACTIVE one completes normally.
 */
export function thread_pool_cancel(elem: ThreadPoolElement): void {
  const h = utilTraceHooks.thread_pool_cancel;
  if (h !== null) h(elem);
  elem_fail(elem.pool, elem, -ECANCELED, null);
}

/** thread_pool_update_params: apply the context's thread_pool_min/max. */
export function thread_pool_update_params(pool: ThreadPool, ctx: AioContext): void {
  pool.max_threads = ctx.thread_pool_max;
  Atomics.store(pool.i32, P_MIN_THREADS, ctx.thread_pool_min);
  for (let i = pool.cur_threads; i < ctx.thread_pool_min; i++) spawn_thread(pool);
  let excess = pool.cur_threads - pool.max_threads;
  for (const w of pool.workers) {
    if (excess <= 0) break;
    if (Atomics.compareExchange(w.block, W_STATUS, WorkerStatus.IDLE, WorkerStatus.RESERVED) === WorkerStatus.IDLE) {
      post_to_worker(w, { type: 'exit' });
      excess--;
    }
  }
  wake_all(pool);
}

/**
 * thread_pool_free: stop every worker and wait for them (at most `timeoutMs` each, then
 * terminate). No element may be in flight, as in QEMU.
 */
export function thread_pool_free(pool: ThreadPool, timeoutMs = 5000): void {
  if (pool.in_flight > 0) throw new Error(`thread_pool_free: ${pool.in_flight} request(s) still in flight`);
  for (const w of pool.workers) {
    if (w.status === WorkerStatus.EXITED) continue;
    post_to_worker(w, { type: 'exit' });
  }
  wake_all(pool);
  for (const w of pool.workers) {
    const deadline = Date.now() + timeoutMs;
    for (let s = w.status; s !== WorkerStatus.EXITED; s = w.status) {
      const left = deadline - Date.now();
      if (left <= 0) {
        void w.worker.terminate();
        break;
      }
      Atomics.wait(w.block, W_STATUS, s, left);
    }
    w.port.close();
  }
  pool.workers.length = 0;
  if (pool.grow_timer !== null) {
    timer_del(pool.grow_timer);
    timer_free(pool.grow_timer);
    pool.grow_timer = null;
  }
  qemu_bh_delete(pool.completion_bh);
  qemu_bh_delete(pool.kick_bh);
  if (pool.ctx.thread_pool === pool) pool.ctx.thread_pool = null;
}

/** Counters for tracing and the debugger: thread counts, queue depth, per-worker state. */
export function threadPoolStats(pool: ThreadPool): {
  cur_threads: number;
  idle_threads: number;
  busy_threads: number;
  starting_threads: number;
  queued: number;
  in_flight: number;
  completed: number;
  workers: { name: string; index: number; threadId: number; tid: number; status: string; jobs: number; current: number }[];
} {
  const workers = pool.workers
    .filter((w) => w.status !== WorkerStatus.EXITED)
    .map((w) => ({
      name: w.name,
      index: w.index,
      threadId: Atomics.load(w.block, W_THREAD_ID),
      tid: Atomics.load(w.block, W_TID),
      status: WorkerStatus[w.status],
      jobs: Atomics.load(w.block, W_JOBS),
      current: Atomics.load(w.block, W_CUR),
    }));
  return {
    cur_threads: pool.cur_threads,
    idle_threads: workers.filter((w) => w.status === 'IDLE').length,
    busy_threads: workers.filter((w) => w.status === 'BUSY' || w.status === 'RESERVED').length,
    starting_threads: workers.filter((w) => w.status === 'STARTING').length,
    queued: pool.head.filter((r) => r.state === ThreadState.THREAD_QUEUED).length,
    in_flight: pool.in_flight,
    completed: pool.completed,
    workers,
  };
}
