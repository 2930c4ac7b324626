/**
 * The thread pool (QEMU util/thread-pool.c): runs blocking work — the file-posix driver's
 * preadv/pwritev/fdatasync — on worker threads and completes it in the submitting AioContext.
 *
 * Workers are real worker_threads (thread-pool-worker.ts), named worker-N, created on demand up to
 * max_threads (vtrace default min(64, 4 × CPUs), see THREAD_POOL_MAX_DEFAULT; QEMU's is 64),
 * leaving after idle_timeout_ms (QEMU: 10 s) without work unless that would go under min_threads.
 *
 * Hand-off (shared memory; layout in thread-pool-funcs.ts). The submitting thread never returns
 * to its event loop, so nothing here may depend on it:
 * - Each in-flight element owns a job record in the pool's shared area: state word, ret, and for a
 *   *fast* function (one with an encoder here and a runner in the workers, e.g. file-posix's
 *   handle_aiocb_rw) its argument encoded as numbers; iov buffers are named by the id of a
 *   registered SharedArrayBuffer (threadPoolBufferId: guest RAM is registered with every worker
 *   once, on its second use, or explicitly with thread_pool_register_buffer). Submitting a fast
 *   job = encode, push (slot, gen) on the shared submission ring, and Atomics.notify only when a
 *   worker sleeps (P_IDLE). No postMessage, no structured clone.
 * - Anything else (arbitrary arguments, unregistered buffers) is a *message job*: the argument is
 *   posted (structured clone) to one idle worker's MessagePort, as before; the record still
 *   carries state and ret. Such jobs wait here (request_list) until a worker is idle.
 * - Workers take ring entries with a compareExchange on the ring head and claim the record
 *   QUEUED → ACTIVE; thread_pool_cancel claims QUEUED → DONE with -ECANCELED; whoever wins owns the
 *   element, so a cancelled job never runs and an active one completes normally, as in QEMU.
 * - Completion: the worker writes ret, then DONE, puts the slot in the shared completion ring and
 *   schedules the pool's completion BH (a shared BH: EventNotifier chained to the context's
 *   notifier) only if it is not pending already. thread_pool_completion_bh drains the ring and runs
 *   every finished element's callback in one run, in completion order.
 * - Growth: a first worker is started at once; another only when a job has waited longer than
 *   spawn_threshold_ms (default 10 ms) with no worker taking a job, i.e. while none is idle, one at a time (the next once the
 *   previous is up), up to max_threads. Page-cached 4 KiB reads take ~2.5 µs on a worker, so a
 *   deep queue on one worker drains long before that; a blocked worker (slow disk, a gate in a
 *   test) makes jobs wait and the pool grows. QEMU grows as soon as no thread is idle: with
 *   pthreads that is cheap, with Node isolates on few cores it only adds contention.
 *
 * Contract: a pool belongs to one AioContext (aio_get_thread_pool(ctx)); every function here runs
 * on that context's thread. Callbacks run from that context's aio_poll/main_loop_wait.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { AioContext, aio_timer_new } from './aio-context';
import { QEMUBH, SharedBHDescriptor, aio_bh_new, qemu_bh_cancel, qemu_bh_delete, qemu_bh_schedule, shareBH } from './aio-bh';
import { eventNotifierArena, utilSequenceNext } from './event-notifier';
import { aio_co_wake, qemu_coroutine_self, qemu_coroutine_yield_here, qemu_in_coroutine, CoroutineError, type Coroutine, type coroutine_fn } from './coroutine';
import { QEMU_CLOCK_REALTIME, SCALE_NS, QEMUTimer, timer_del, timer_free, timer_mod_ns, timer_pending, qemu_clock_get_ns } from './qemu-timer';
import { utilBacktraceHooks, utilTraceHooks } from './trace-hooks';
import { utilWorkerScript, workerModulePath } from './worker-script';
import {
  CQ_BASE,
  CQ_CAP,
  ECANCELED,
  EINPROGRESS,
  EINVAL,
  EIO,
  GEN_MASK,
  NSLOTS,
  P_CQ_HEAD,
  P_CQ_PENDING,
  P_CUR_THREADS,
  P_IDLE,
  P_MIN_THREADS,
  P_MSG_WAITING,
  P_SPIN,
  P_SQ_HEAD,
  P_SQ_SEQ,
  P_SQ_TAIL,
  POOL_AREA_WORDS,
  type PoolToWorker,
  R_ARGS,
  R_ERR,
  R_FUNC,
  R_ID,
  R_LINK_HI,
  R_LINK_LO,
  R_RET,
  R_STATE,
  R_WORKER,
  REC_BASE,
  REC_WORDS,
  SQ_BASE,
  SQ_CAP,
  THREAD_POOL_MAX_DEFAULT,
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

/** Where a fast encoder writes a job's argument (see FastJob in thread-pool-funcs.ts). */
export interface FastJobWriter {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /** Int32 index of the first argument word (REC_ARGS words available); Float64 index = base >> 1. */
  base: number;
  /** Id of a SharedArrayBuffer the workers know, or -1 (then the job must go as a message). */
  bufferId(sab: ArrayBufferLike): number;
}
/** Encode `arg` for the workers' fast runner of the same name; false = send it as a message job. */
export type ThreadPoolFastEncoder = (arg: any, w: FastJobWriter) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any

const fastEncoders = new Map<string, { id: number; encode: ThreadPoolFastEncoder }>();
const fastNames: string[] = [];

/**
 * Submitting side: jobs of `name` whose argument `encode` accepts are passed through shared memory.
 * The workers must have a runner (registerPoolFastFunction) under the same name.
 */
export function threadPoolRegisterFastEncoder(name: string, encode: ThreadPoolFastEncoder): void {
  const e = fastEncoders.get(name);
  if (e !== undefined) e.encode = encode;
  else {
    fastEncoders.set(name, { id: fastNames.length, encode });
    fastNames.push(name);
  }
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

/**
 * Idle spinning before Atomics.wait: measured on 2 CPUs it only slows things down (spin 2000:
 * -4%, 20000: -66%; the submitting thread needs the CPU), so workers sleep at once by default.
 */
function defaultSpin(): number {
  const env = process.env.VTRACE_POOL_SPIN;
  if (env !== undefined && env !== '') return Math.max(0, Number(env) | 0);
  return 0;
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

function post_to_worker(w: PoolWorker, msg: PoolToWorker): void {
  w.port.postMessage(msg);
  Atomics.add(w.block, W_DOORBELL, 1);
}

/** Wake every sleeping worker (after a message: the addressee is one of them). */
function wake_all(pool: ThreadPool): void {
  Atomics.add(pool.i32, P_SQ_SEQ, 1);
  Atomics.notify(pool.i32, P_SQ_SEQ);
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

/** Start a worker; it reports IDLE (and kicks the completion BH) once it runs. */
function spawn_thread(pool: ThreadPool): PoolWorker {
  const index = utilSequenceNext();
  const name = `worker-${index}`;
  const block = new Int32Array(new SharedArrayBuffer(W_WORDS * 4));
  block[W_CUR] = -1;
  block[W_STATUS] = WorkerStatus.STARTING;
  const ch = new MessageChannel();
  pool.fastKnown = fastNames.length;
  const data: ThreadPoolWorkerData = {
    kind: 'thread-pool-worker',
    name,
    index,
    block: block.buffer as SharedArrayBuffer,
    area: pool.area,
    port: ch.port2,
    arena: eventNotifierArena(),
    completion_bh: pool.completion_bh_shared,
    modules: pool.modules,
    idle_timeout_ms: pool.idle_timeout_ms,
    buffers: pool.bufferList.slice(),
    fast: fastNames.map((n, i) => [i, n] as [number, string]),
  };
  Atomics.add(pool.i32, P_CUR_THREADS, 1);
  const worker = new Worker(pool.script, { name, workerData: data, transferList: [ch.port2] });
  worker.unref();
  ch.port1.unref();
  // Seen only when this thread returns to its event loop (tests, the CLI); workers report through
  // shared memory otherwise. A crash still must not leave the worker counted as alive.
  worker.on('error', (e) => pool.fatal.push(`${name}: ${e instanceof Error ? e.message : String(e)}`));
  worker.on('exit', () => {
    if (Atomics.load(block, W_STATUS) !== WorkerStatus.EXITED) {
      Atomics.sub(pool.i32, P_CUR_THREADS, 1);
      Atomics.store(block, W_STATUS, WorkerStatus.EXITED);
    }
  });
  const w = new PoolWorker(index, name, worker, block, ch.port1);
  pool.workers.push(w);
  pool.starting = w;
  return w;
}

/** Fast-function ids registered after some workers started: tell them. */
function announce_fast(pool: ThreadPool): void {
  for (let id = pool.fastKnown; id < fastNames.length; id++) {
    for (const w of pool.workers) if (w.status !== WorkerStatus.EXITED) post_to_worker(w, { type: 'fast', id, name: fastNames[id] });
  }
  pool.fastKnown = fastNames.length;
}

/** Complete a still-QUEUED element here with `ret` (no worker will run it). */
function elem_fail(pool: ThreadPool, req: ThreadPoolElement, ret: number, error: string | null): boolean {
  if (req.done) return false;
  if (req.slot >= 0) {
    const g = req.gen << 2;
    const st = REC_BASE + req.slot * REC_WORDS + R_STATE;
    if (Atomics.compareExchange(pool.i32, st, g | ThreadState.THREAD_QUEUED, g | ThreadState.THREAD_DONE) !== (g | ThreadState.THREAD_QUEUED)) return false;
    pool.i32[REC_BASE + req.slot * REC_WORDS + R_RET] = ret;
  } else {
    req.ret = ret;
    req.done = true; // never had a record: completes from the list below
  }
  if (error !== null) req.error = error;
  // Left in request_list if it is there: dispatch skips finished elements.
  pool.done_list.push(req);
  qemu_bh_schedule(pool.completion_bh);
  return true;
}

function reap_workers(pool: ThreadPool): void {
  for (let i = pool.workers.length - 1; i >= 0; i--) {
    const w = pool.workers[i];
    if (w.status === WorkerStatus.EXITED) {
      pool.drainWorker(w);
      w.port.close();
      pool.workers.splice(i, 1);
      if (pool.starting === w) pool.starting = null;
    }
  }
}

/** Put a recorded fast job on the submission ring; false if the ring is full. */
function sq_push(pool: ThreadPool, req: ThreadPoolElement): boolean {
  const i32 = pool.i32;
  const t = i32[P_SQ_TAIL]; // only this thread writes it
  if (((t - Atomics.load(i32, P_SQ_HEAD)) | 0) >= SQ_CAP) return false;
  const e = SQ_BASE + 2 * (t & (SQ_CAP - 1));
  i32[e] = req.slot;
  i32[e + 1] = req.gen;
  Atomics.store(i32, P_SQ_TAIL, (t + 1) | 0);
  // Wake sleeping workers once per batch of submissions, not per job: a futex wake costs
  // microseconds on each side and a woken worker usually drains the ring before the next push.
  // The wake happens at the end of the completion BH (resubmissions from callbacks) or from
  // kick_bh, which runs before this context blocks again.
  if (!pool.kick_needed && Atomics.load(i32, P_IDLE) > 0) {
    pool.kick_needed = true;
    if (!pool.in_completion_bh) qemu_bh_schedule(pool.kick_bh);
  }
  return true;
}

/** Wake as many sleeping workers as there are queued jobs (at most). */
function thread_pool_kick(pool: ThreadPool): void {
  if (!pool.kick_needed) return;
  pool.kick_needed = false;
  const i32 = pool.i32;
  const queued = (i32[P_SQ_TAIL] - Atomics.load(i32, P_SQ_HEAD)) | 0;
  if (queued <= 0) return;
  Atomics.add(i32, P_SQ_SEQ, 1);
  Atomics.notify(i32, P_SQ_SEQ, queued);
}

/** Encode a job into its record: true if it is a fast job (R_FUNC set), false for a message job. */
function encode_job(pool: ThreadPool, req: ThreadPoolElement): boolean {
  const rec = REC_BASE + req.slot * REC_WORDS;
  const enc = fastEncoders.get(req.func);
  if (enc !== undefined) {
    pool.base = rec + R_ARGS;
    if (enc.encode(req.arg, pool)) {
      if (enc.id >= pool.fastKnown) announce_fast(pool);
      pool.i32[rec + R_FUNC] = enc.id;
      return true;
    }
  }
  pool.i32[rec + R_FUNC] = -1;
  return false;
}

/** Post a message job to an idle worker; false if none is idle. */
function post_message_job(pool: ThreadPool, req: ThreadPoolElement): boolean {
  let w: PoolWorker | undefined;
  for (const c of pool.workers) {
    if (Atomics.compareExchange(c.block, W_STATUS, WorkerStatus.IDLE, WorkerStatus.RESERVED) === WorkerStatus.IDLE) {
      w = c;
      break;
    }
  }
  if (w === undefined) return false;
  const msg: PoolToWorker = { type: 'job', id: req.id, gen: req.gen, slot: req.slot, func: req.func, arg: req.arg };
  try {
    w.port.postMessage(msg);
  } catch (e) {
    Atomics.compareExchange(w.block, W_STATUS, WorkerStatus.RESERVED, WorkerStatus.IDLE);
    elem_fail(pool, req, -EINVAL, `thread_pool_submit_aio(${req.func}): the argument cannot be sent to a worker: ${e instanceof Error ? e.message : String(e)}`);
    return true;
  }
  Atomics.store(pool.i32, REC_BASE + req.slot * REC_WORDS + R_WORKER, w.index);
  Atomics.add(w.block, W_DOORBELL, 1);
  pool.progress = true;
  wake_all(pool);
  return true;
}

/** Try to hand one element to the workers; false if it must keep waiting. */
function hand_off(pool: ThreadPool, req: ThreadPoolElement): boolean {
  if (req.slot < 0) {
    if (!pool.allocSlot(req)) return false;
    encode_job(pool, req);
  }
  if (pool.i32[REC_BASE + req.slot * REC_WORDS + R_FUNC] >= 0) return sq_push(pool, req);
  return post_message_job(pool, req);
}

/** Hand waiting elements to the workers (submitting thread). */
function thread_pool_dispatch(pool: ThreadPool): void {
  const list = pool.request_list;
  if (list.length === 0) return;
  let kept = 0;
  let messages = 0;
  for (let i = 0; i < list.length; i++) {
    const req = list[i];
    if (req.done || (req.slot >= 0 && req.state !== ThreadState.THREAD_QUEUED)) continue; // cancelled
    if (!hand_off(pool, req)) {
      list[kept++] = req;
      if (req.slot >= 0 && pool.i32[REC_BASE + req.slot * REC_WORDS + R_FUNC] < 0) messages++;
    }
  }
  list.length = kept;
  Atomics.store(pool.i32, P_MSG_WAITING, messages);
  if (kept > 0 && pool.fatal.length > 0 && pool.workers.every((c) => c.status === WorkerStatus.EXITED)) {
    // Workers cannot load their modules: starting more would fail the same way.
    for (const req of list.slice()) elem_fail(pool, req, -EIO, pool.fatal[pool.fatal.length - 1]);
    list.length = 0;
    Atomics.store(pool.i32, P_MSG_WAITING, 0);
  }
}

/** Oldest time a job has been waiting for a worker (performance.now() ms), or -1 if none waits. */
function oldest_waiting(pool: ThreadPool): number {
  const i32 = pool.i32;
  let t = -1;
  const h = Atomics.load(i32, P_SQ_HEAD);
  if (h !== i32[P_SQ_TAIL]) {
    const e = pool.slotElem[i32[SQ_BASE + 2 * (h & (SQ_CAP - 1))]];
    if (e !== null) t = e.queued_at;
  }
  for (const r of pool.request_list) if (r.state === ThreadState.THREAD_QUEUED && (t < 0 || r.queued_at < t)) t = r.queued_at;
  return t;
}

/**
 * Start another worker if jobs wait longer than spawn_threshold_ms and no worker is idle (or there
 * is no worker at all); else, if jobs wait, check again when the oldest reaches the threshold.
 */
function thread_pool_maybe_spawn(pool: ThreadPool): void {
  if (pool.starting !== null) {
    if (pool.starting.status === WorkerStatus.STARTING) return; // one at a time
    pool.starting = null;
    pool.progress = true;
  }
  const cur = pool.cur_threads;
  if (cur >= pool.max_threads) return;
  // A job that waited past the threshold found no idle worker (an idle one takes ring jobs at
  // once and is handed message jobs by dispatch). Waiting is counted from the job's submission or
  // the workers' last progress, whichever is later: a deep queue that workers drain steadily (or
  // that built up while the first worker started) is no reason for another thread.
  const oldest = oldest_waiting(pool);
  if (oldest < 0) return;
  if (pool.fatal.length > 0 && pool.workers.every((c) => c.status === WorkerStatus.EXITED)) return;
  const now = performance.now();
  const h = Atomics.load(pool.i32, P_SQ_HEAD);
  if (pool.progress || h !== pool.last_sq_head) {
    pool.progress = false;
    pool.last_sq_head = h;
    pool.progress_at = now;
  }
  const waited = now - Math.max(oldest, pool.progress_at);
  if (cur === 0 || waited >= pool.spawn_threshold_ms) {
    spawn_thread(pool);
    return;
  }
  if (pool.grow_timer === null) pool.grow_timer = aio_timer_new(pool.ctx, QEMU_CLOCK_REALTIME, SCALE_NS, thread_pool_grow_timer_cb, pool);
  if (!timer_pending(pool.grow_timer)) timer_mod_ns(pool.grow_timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + Math.ceil((pool.spawn_threshold_ms - waited) * 1e6) + 1000);
}

function thread_pool_grow_timer_cb(pool: ThreadPool): void {
  reap_workers(pool);
  thread_pool_dispatch(pool);
  thread_pool_maybe_spawn(pool);
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

/** Move what the workers finished (shared completion ring) to done_list. */
function drain_completions(pool: ThreadPool): void {
  const i32 = pool.i32;
  let h = i32[P_CQ_HEAD];
  for (;;) {
    const at = CQ_BASE + (h & (CQ_CAP - 1));
    const v = Atomics.load(i32, at);
    if (v === 0) break; // empty, or reserved by a worker that has not stored yet (it kicks us after)
    Atomics.store(i32, at, 0);
    h = (h + 1) | 0;
    const e = pool.slotElem[v - 1];
    if (e !== null && !e.done) pool.done_list.push(e);
    pool.progress = true;
  }
  Atomics.store(i32, P_CQ_HEAD, h);
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
