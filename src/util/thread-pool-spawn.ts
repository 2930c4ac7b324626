/**
 * The thread pool's workers (QEMU util/thread-pool.c's spawn_thread and its growth rule), on the
 * submitting side: starting them, telling them about new fast functions and buffers, waking them,
 * reaping the ones that left, and deciding when the pool grows.
 *
 * Workers are real worker_threads (thread-pool-worker.ts), named worker-N, created on demand up to
 * max_threads (vtrace default min(64, 4 × CPUs), see THREAD_POOL_MAX_DEFAULT; QEMU's is 64),
 * leaving after idle_timeout_ms (QEMU: 10 s) without work unless that would go under min_threads.
 * Growth: a first worker is started at once; another only when a job has waited longer than
 * spawn_threshold_ms (default 10 ms) with no worker taking a job, i.e. while none is idle, one at
 * a time (the next once the previous is up), up to max_threads. Page-cached 4 KiB reads take
 * ~2.5 µs on a worker, so a deep queue on one worker drains long before that; a blocked worker
 * (slow disk, a gate in a test) makes jobs wait and the pool grows. QEMU grows as soon as no
 * thread is idle: with pthreads that is cheap, with Node isolates on few cores it only adds
 * contention.
 *
 * Contract: every function here runs on the pool's context's thread.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { aio_timer_new } from './aio-context';
import { eventNotifierArena, utilSequenceNext } from './event-notifier';
import { QEMU_CLOCK_REALTIME, SCALE_NS, timer_mod_ns, timer_pending, qemu_clock_get_ns } from './qemu-timer';
import {
  P_CUR_THREADS,
  P_SQ_HEAD,
  P_SQ_SEQ,
  P_SQ_TAIL,
  type PoolToWorker,
  SQ_BASE,
  SQ_CAP,
  ThreadState,
  W_CUR,
  W_DOORBELL,
  W_STATUS,
  W_WORDS,
  WorkerStatus,
} from './thread-pool-funcs';
import type { ThreadPoolWorkerData } from './thread-pool-worker';
import type { ThreadPool } from './thread-pool';
import { fastNames, thread_pool_dispatch } from './thread-pool-handoff';

/** The submitting side's handle on one worker: its Worker, shared status block (W_*) and port. */
export class PoolWorker {
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

/**
 * Idle spinning before Atomics.wait: measured on 2 CPUs it only slows things down (spin 2000:
 * -4%, 20000: -66%; the submitting thread needs the CPU), so workers sleep at once by default.
 */
export function defaultSpin(): number {
  const env = process.env.VTRACE_POOL_SPIN;
  if (env !== undefined && env !== '') return Math.max(0, Number(env) | 0);
  return 0;
}

/** Post `msg` to one worker and ring its doorbell (it drains its port when the doorbell changes). */
export function post_to_worker(w: PoolWorker, msg: PoolToWorker): void {
  w.port.postMessage(msg);
  Atomics.add(w.block, W_DOORBELL, 1);
}

/** Wake every sleeping worker (after a message: the addressee is one of them). */
export function wake_all(pool: ThreadPool): void {
  Atomics.add(pool.i32, P_SQ_SEQ, 1);
  Atomics.notify(pool.i32, P_SQ_SEQ);
}

/** Start a worker; it reports IDLE (and kicks the completion BH) once it runs. */
export function spawn_thread(pool: ThreadPool): PoolWorker {
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
export function announce_fast(pool: ThreadPool): void {
  for (let id = pool.fastKnown; id < fastNames.length; id++) {
    for (const w of pool.workers) if (w.status !== WorkerStatus.EXITED) post_to_worker(w, { type: 'fast', id, name: fastNames[id] });
  }
  pool.fastKnown = fastNames.length;
}

export function reap_workers(pool: ThreadPool): void {
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
export function thread_pool_maybe_spawn(pool: ThreadPool): void {
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
