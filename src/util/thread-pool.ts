/**
 * The thread pool (QEMU util/thread-pool.c): runs blocking work — the file-posix driver's
 * preadv/pwritev/fdatasync — on worker threads and completes it in the submitting AioContext.
 *
 * Workers are real worker_threads (thread-pool-worker.ts), created on demand up to max_threads
 * (64, QEMU's default thread_pool_max), named worker-N, leaving after idle_timeout_ms (QEMU: 10 s)
 * without work unless that would go under min_threads.
 *
 * Hand-off design (the submitting thread never returns to its event loop):
 * - request_list (QUEUED elements) lives on the submitting thread. A job goes to a worker as a
 *   MessagePort message {id, func, arg, st}: structured clone keeps SharedArrayBuffer-backed views
 *   (guest RAM) shared, so the worker reads and writes guest memory in place. Then the worker's
 *   doorbell word is rung (Atomics.notify). A job is handed to an idle worker (claimed with a
 *   compareExchange IDLE → RESERVED on its status word). A worker that becomes idle (after a job,
 *   or once started) schedules the completion BH, which hands it the next queued job. (One shared
 *   queue popped by the workers themselves, as in QEMU, would need the arguments in shared memory;
 *   a hand-written v8 serializer for them measured about 6x slower than postMessage, so the
 *   submitting thread dispatches.)
 * - Growth: while requests wait and no worker is idle, the pool starts workers one at a time, up
 *   to max_threads: a new one is started when the previous one is up (QEMU chains thread creation
 *   the same way: each new worker_thread spawns the next pending one). Unlike QEMU, a pending
 *   creation is dropped when no request waits any more: a Node worker is an isolate (~100 ms to
 *   start, several MB), not a cheap pthread.
 * - Element state (QUEUED/ACTIVE/DONE) and ret live in a shared slot the job message carries: the
 *   worker claims QUEUED → ACTIVE, writes ret then DONE. thread_pool_cancel claims QUEUED → DONE
 *   with -ECANCELED; whoever wins the compareExchange owns the element, so a cancelled job never
 *   runs and an active one completes normally, as in QEMU.
 * - Completion: the worker calls qemu_bh_schedule on the pool's completion_bh through a shared BH
 *   (aio-bh.ts): an EventNotifier chained to the context's notifier, so the context wakes if it is
 *   blocked in aio_poll. thread_pool_completion_bh then runs each DONE element's callback, newest
 *   first as QEMU's list does. Errors (a throwing function, an unknown name) come back as
 *   messages on the worker's port, drained with receiveMessageOnPort only when an element says so.
 *
 * Contract: a pool belongs to one AioContext (aio_get_thread_pool(ctx)); every function here runs
 * on that context's thread. Callbacks run from that context's aio_poll/main_loop_wait.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { AioContext } from './aio-context';
import { QEMUBH, SharedBHDescriptor, aio_bh_new, qemu_bh_cancel, qemu_bh_delete, qemu_bh_schedule, shareBH } from './aio-bh';
import { eventNotifierArena, utilSequenceNext } from './event-notifier';
import { aio_co_wake, qemu_coroutine_self, qemu_coroutine_yield, qemu_in_coroutine, CoroutineError, type Coroutine, type coroutine_fn } from './coroutine';
import { utilTraceHooks } from './trace-hooks';
import { utilWorkerScript, workerModulePath } from './worker-script';
import {
  E_ERR,
  E_RET,
  E_STATE,
  ECANCELED,
  EINPROGRESS,
  EINVAL,
  EIO,
  ELEM_WORDS,
  GEN_MASK,
  P_CUR_THREADS,
  P_MIN_THREADS,
  P_WORDS,
  type PoolToWorker,
  ThreadState,
  W_CUR,
  W_DOORBELL,
  W_JOBS,
  W_STATUS,
  W_THREAD_ID,
  W_TID,
  W_WORDS,
  WorkerStatus,
  type WorkerToPool,
} from './thread-pool-funcs';
import type { ThreadPoolWorkerData } from './thread-pool-worker';

export { ThreadState, WorkerStatus };
export type BlockCompletionFunc = (opaque: any, ret: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ThreadPoolOptions {
  max_threads?: number;
  min_threads?: number;
  /** QEMU's 10 s worker idle timeout. */
  idle_timeout_ms?: number;
  /** Modules each worker loads (they call registerPoolFunction); src/*.ts paths map to dist/. */
  modules?: readonly string[];
}

const defaultModules: string[] = [];

/** Add a module every pool created afterwards loads into its workers (e.g. file-posix's aiocb handlers). */
export function threadPoolAddModule(file: string): void {
  if (!defaultModules.includes(file)) defaultModules.push(file);
}

const SLOTS_PER_CHUNK = 256;

/** QEMU's ThreadPoolElement (its BlockAIOCB part: cb, opaque). */
export class ThreadPoolElement {
  /** Result; -EINPROGRESS until completed. */
  ret = -EINPROGRESS;
  /** Why it failed, when the worker reported it (function threw, unknown name, module load). */
  error: string | null = null;
  /** Name of the worker the job was handed to, once handed. */
  worker: string | null = null;
  /** Shared state slot while in flight (null after completion). */
  st: Int32Array | null;
  constructor(
    readonly id: number,
    readonly pool: ThreadPool,
    readonly func: string,
    readonly arg: unknown,
    readonly cb: BlockCompletionFunc | null,
    readonly opaque: unknown,
    st: Int32Array,
    readonly slot: number,
    readonly gen: number,
  ) {
    this.st = st;
  }
  get state(): ThreadState {
    return this.st === null ? ThreadState.THREAD_DONE : Atomics.load(this.st, E_STATE) & 3;
  }
}

class PoolWorker {
  constructor(
    readonly index: number,
    readonly name: string,
    readonly worker: Worker,
    readonly block: Int32Array,
    readonly port: MessagePort,
  ) {}
  get status(): WorkerStatus {
    return Atomics.load(this.block, W_STATUS);
  }
}

export class ThreadPool {
  readonly head: ThreadPoolElement[] = []; // all in-flight elements, oldest first
  readonly request_list: ThreadPoolElement[] = []; // QUEUED, not handed to a worker yet
  readonly workers: PoolWorker[] = [];
  readonly completion_bh: QEMUBH;
  readonly completion_bh_shared: SharedBHDescriptor;
  readonly shared: Int32Array = new Int32Array(new SharedArrayBuffer(P_WORDS * 4));
  max_threads: number;
  idle_timeout_ms: number;
  readonly modules: string[];
  readonly script: string;
  /** Messages of workers that failed to load their modules. */
  readonly fatal: string[] = [];
  private readonly chunks: Int32Array[] = [];
  private readonly views: Int32Array[] = [];
  private readonly gens: number[] = [];
  private readonly freeSlots: number[] = [];
  private readonly errors = new Map<number, string>();
  private nextId = 1;
  completed = 0;

  constructor(
    readonly ctx: AioContext,
    opts: ThreadPoolOptions = {},
  ) {
    this.max_threads = opts.max_threads ?? ctx.thread_pool_max;
    this.shared[P_MIN_THREADS] = opts.min_threads ?? ctx.thread_pool_min;
    this.idle_timeout_ms = opts.idle_timeout_ms ?? 10_000;
    this.script = utilWorkerScript('thread-pool-worker');
    this.modules = [...(opts.modules ?? defaultModules)].map((m) => workerModulePath(m));
    this.completion_bh = aio_bh_new(ctx, thread_pool_completion_bh, this, 'thread_pool_completion_bh');
    this.completion_bh_shared = shareBH(this.completion_bh);
  }

  get min_threads(): number {
    return Atomics.load(this.shared, P_MIN_THREADS);
  }
  get cur_threads(): number {
    return Atomics.load(this.shared, P_CUR_THREADS);
  }

  allocSlot(): { st: Int32Array; slot: number; gen: number } {
    if (this.freeSlots.length === 0) {
      const base = this.chunks.length * SLOTS_PER_CHUNK;
      const chunk = new Int32Array(new SharedArrayBuffer(SLOTS_PER_CHUNK * ELEM_WORDS * 4));
      this.chunks.push(chunk);
      for (let i = SLOTS_PER_CHUNK - 1; i >= 0; i--) {
        this.views[base + i] = chunk.subarray(i * ELEM_WORDS, (i + 1) * ELEM_WORDS);
        this.gens[base + i] = 0;
        this.freeSlots.push(base + i);
      }
    }
    const slot = this.freeSlots.pop()!;
    const gen = (this.gens[slot] = (this.gens[slot] + 1) & GEN_MASK);
    const st = this.views[slot];
    st[E_RET] = -EINPROGRESS;
    st[E_ERR] = 0;
    Atomics.store(st, E_STATE, (gen << 2) | ThreadState.THREAD_QUEUED);
    return { st, slot, gen };
  }

  freeSlot(slot: number): void {
    this.freeSlots.push(slot);
  }

  newId(): number {
    return this.nextId++;
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

/** Start a worker; it reports IDLE (and kicks the completion BH) once it runs. */
function spawn_thread(pool: ThreadPool): PoolWorker {
  const index = utilSequenceNext();
  const name = `worker-${index}`;
  const block = new Int32Array(new SharedArrayBuffer(W_WORDS * 4));
  block[W_CUR] = -1;
  block[W_STATUS] = WorkerStatus.STARTING;
  const ch = new MessageChannel();
  const data: ThreadPoolWorkerData = {
    kind: 'thread-pool-worker',
    name,
    index,
    block: block.buffer as SharedArrayBuffer,
    poolBlock: pool.shared.buffer as SharedArrayBuffer,
    port: ch.port2,
    arena: eventNotifierArena(),
    completion_bh: pool.completion_bh_shared,
    modules: pool.modules,
    idle_timeout_ms: pool.idle_timeout_ms,
  };
  Atomics.add(pool.shared, P_CUR_THREADS, 1);
  const worker = new Worker(pool.script, { name, workerData: data, transferList: [ch.port2] });
  worker.unref();
  ch.port1.unref();
  // Seen only when this thread returns to its event loop (tests, the CLI); workers report through
  // shared memory otherwise. A crash still must not leave the worker counted as alive.
  worker.on('error', (e) => pool.fatal.push(`${name}: ${e instanceof Error ? e.message : String(e)}`));
  worker.on('exit', () => {
    if (Atomics.load(block, W_STATUS) !== WorkerStatus.EXITED) {
      Atomics.sub(pool.shared, P_CUR_THREADS, 1);
      Atomics.store(block, W_STATUS, WorkerStatus.EXITED);
    }
  });
  const w = new PoolWorker(index, name, worker, block, ch.port1);
  pool.workers.push(w);
  return w;
}

function post_job(pool: ThreadPool, w: PoolWorker, req: ThreadPoolElement): void {
  const msg: PoolToWorker = { type: 'job', id: req.id, gen: req.gen, func: req.func, arg: req.arg, st: req.st! };
  try {
    w.port.postMessage(msg);
  } catch (e) {
    Atomics.compareExchange(w.block, W_STATUS, WorkerStatus.RESERVED, WorkerStatus.IDLE);
    elem_fail(pool, req, -EINVAL, `thread_pool_submit_aio(${req.func}): the argument cannot be sent to a worker: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  req.worker = w.name;
  Atomics.add(w.block, W_DOORBELL, 1);
  Atomics.notify(w.block, W_DOORBELL);
}

/** Complete a still-QUEUED element here with `ret` (no worker will run it). */
function elem_fail(pool: ThreadPool, req: ThreadPoolElement, ret: number, error: string): void {
  const g = req.gen << 2;
  if (Atomics.compareExchange(req.st!, E_STATE, g | ThreadState.THREAD_QUEUED, g | ThreadState.THREAD_DONE) === (g | ThreadState.THREAD_QUEUED)) {
    req.st![E_RET] = ret;
    req.error = error;
    qemu_bh_schedule(pool.completion_bh);
  }
}

function reap_workers(pool: ThreadPool): void {
  for (let i = pool.workers.length - 1; i >= 0; i--) {
    const w = pool.workers[i];
    if (w.status === WorkerStatus.EXITED) {
      pool.drainWorker(w);
      w.port.close();
      pool.workers.splice(i, 1);
    }
  }
}

/** Hand queued requests to idle workers (submitting thread). */
function thread_pool_dispatch(pool: ThreadPool): void {
  const list = pool.request_list;
  while (list.length > 0) {
    const req = list[0];
    if (req.state !== ThreadState.THREAD_QUEUED) {
      list.shift(); // cancelled
      continue;
    }
    let w: PoolWorker | undefined;
    for (const c of pool.workers) {
      if (Atomics.compareExchange(c.block, W_STATUS, WorkerStatus.IDLE, WorkerStatus.RESERVED) === WorkerStatus.IDLE) {
        w = c;
        break;
      }
    }
    if (w === undefined) break;
    list.shift();
    post_job(pool, w, req);
  }
  if (list.length === 0) return;
  if (pool.fatal.length > 0 && pool.workers.every((c) => c.status === WorkerStatus.EXITED)) {
    // Workers cannot load their modules: starting more would fail the same way.
    for (const req of list.splice(0)) elem_fail(pool, req, -EIO, pool.fatal[pool.fatal.length - 1]);
    return;
  }
  if (pool.cur_threads < pool.max_threads && !pool.workers.some((c) => c.status === WorkerStatus.STARTING)) spawn_thread(pool);
}

/**
 * thread_pool_submit_aio: run func(arg) on a worker; cb(opaque, ret) runs later in the pool's
 * context (never synchronously from here). Returns the element (for thread_pool_cancel).
 */
export function thread_pool_submit_aio(pool: ThreadPool, func: string, arg: unknown, cb: BlockCompletionFunc | null, opaque?: unknown): ThreadPoolElement {
  const { st, slot, gen } = pool.allocSlot();
  const req = new ThreadPoolElement(pool.newId(), pool, func, arg, cb, opaque, st, slot, gen);
  pool.head.push(req);
  const h = utilTraceHooks.thread_pool_submit_aio;
  if (h !== null) h(pool, req);
  reap_workers(pool);
  pool.request_list.push(req);
  thread_pool_dispatch(pool);
  return req;
}

/** thread_pool_submit: fire and forget (no callback). */
export function thread_pool_submit(pool: ThreadPool, func: string, arg: unknown): void {
  thread_pool_submit_aio(pool, func, arg, null, undefined);
}

interface ThreadPoolCo {
  co: Coroutine;
  ret: number;
}

function thread_pool_co_cb(opaque: ThreadPoolCo, ret: number): void {
  opaque.ret = ret;
  aio_co_wake(opaque.co);
}

/**
 * thread_pool_submit_co: coroutine_fn. Submit, yield until the completion BH re-enters this
 * coroutine, return func's result. `const ret = yield* thread_pool_submit_co(pool, 'f', arg)`.
 */
export function* thread_pool_submit_co(pool: ThreadPool, func: string, arg: unknown): coroutine_fn<number> {
  if (!qemu_in_coroutine()) throw new CoroutineError('thread_pool_submit_co: not in a coroutine');
  const tpc: ThreadPoolCo = { co: qemu_coroutine_self(), ret: -EINPROGRESS };
  thread_pool_submit_aio(pool, func, arg, thread_pool_co_cb, tpc);
  yield* qemu_coroutine_yield();
  return tpc.ret;
}

/**
 * thread_pool_completion_bh: the pool's BH in its context. Dispatches queued work to workers
 * that became idle, then completes every DONE element (its callback runs here).
 */
function thread_pool_completion_bh(pool: ThreadPool): void {
  reap_workers(pool);
  thread_pool_dispatch(pool);
  let collected = false;
  restart: for (;;) {
    for (let i = pool.head.length - 1; i >= 0; i--) {
      const elem = pool.head[i];
      const st = elem.st!;
      if ((Atomics.load(st, E_STATE) & 3) !== ThreadState.THREAD_DONE) continue;
      elem.ret = Atomics.load(st, E_RET);
      if (st[E_ERR]) {
        if (!collected) pool.collectMessages();
        collected = true;
        elem.error = pool.takeError(elem.id) ?? elem.error;
      }
      pool.head.splice(i, 1);
      elem.st = null;
      pool.freeSlot(elem.slot);
      pool.completed++;
      const h = utilTraceHooks.thread_pool_complete;
      if (h !== null) h(pool, elem, elem.ret);
      if (elem.cb !== null) {
        // In case cb() runs a nested aio_poll waiting for another element done at the same time.
        qemu_bh_schedule(pool.completion_bh);
        const cb = elem.cb; // no receiver: the frame shows the callback's own name
        cb(elem.opaque, elem.ret);
        qemu_bh_cancel(pool.completion_bh);
        continue restart;
      }
    }
    return;
  }
}

/**
 * thread_pool_cancel: a QUEUED element is dropped and completes with -ECANCELED (through the
 * completion BH, not synchronously); an ACTIVE one completes normally.
 */
export function thread_pool_cancel(elem: ThreadPoolElement): void {
  const h = utilTraceHooks.thread_pool_cancel;
  if (h !== null) h(elem);
  const st = elem.st;
  if (st === null) return;
  const g = elem.gen << 2;
  if (Atomics.compareExchange(st, E_STATE, g | ThreadState.THREAD_QUEUED, g | ThreadState.THREAD_DONE) === (g | ThreadState.THREAD_QUEUED)) {
    st[E_RET] = -ECANCELED;
    const pool = elem.pool;
    const i = pool.request_list.indexOf(elem);
    if (i >= 0) pool.request_list.splice(i, 1);
    qemu_bh_schedule(pool.completion_bh);
  }
}

/** thread_pool_update_params: apply the context's thread_pool_min/max. */
export function thread_pool_update_params(pool: ThreadPool, ctx: AioContext): void {
  pool.max_threads = ctx.thread_pool_max;
  Atomics.store(pool.shared, P_MIN_THREADS, ctx.thread_pool_min);
  for (let i = pool.cur_threads; i < ctx.thread_pool_min; i++) spawn_thread(pool);
  let excess = pool.cur_threads - pool.max_threads;
  for (const w of pool.workers) {
    if (excess <= 0) break;
    if (Atomics.compareExchange(w.block, W_STATUS, WorkerStatus.IDLE, WorkerStatus.RESERVED) === WorkerStatus.IDLE) {
      w.port.postMessage({ type: 'exit' } satisfies PoolToWorker);
      Atomics.add(w.block, W_DOORBELL, 1);
      Atomics.notify(w.block, W_DOORBELL);
      excess--;
    }
  }
}

/**
 * thread_pool_free: stop every worker and wait for them (at most `timeoutMs` each, then
 * terminate). No element may be in flight, as in QEMU.
 */
export function thread_pool_free(pool: ThreadPool, timeoutMs = 5000): void {
  if (pool.head.length > 0) throw new Error(`thread_pool_free: ${pool.head.length} request(s) still in flight`);
  for (const w of pool.workers) {
    if (w.status === WorkerStatus.EXITED) continue;
    w.port.postMessage({ type: 'exit' } satisfies PoolToWorker);
    Atomics.add(w.block, W_DOORBELL, 1);
    Atomics.notify(w.block, W_DOORBELL);
  }
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
  qemu_bh_delete(pool.completion_bh);
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
    queued: pool.request_list.filter((r) => r.state === ThreadState.THREAD_QUEUED).length,
    in_flight: pool.head.length,
    completed: pool.completed,
    workers,
  };
}
