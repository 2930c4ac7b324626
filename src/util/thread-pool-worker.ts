/**
 * Entry of a thread-pool worker (QEMU util/thread-pool.c, worker_thread). Runs on its own
 * worker_thread, named worker-N; loaded from dist/ (see worker-script.ts).
 *
 * Hand-off (see thread-pool.ts for the submitting side):
 * - Jobs arrive as messages on this worker's MessagePort, read with receiveMessageOnPort; the pool
 *   rings W_DOORBELL (Atomics.notify) after posting, so an idle worker sleeps in Atomics.wait.
 * - Claiming a job is a compareExchange QUEUED → ACTIVE on the element's shared state word; it
 *   fails if the submitter cancelled the job meanwhile (the job is then skipped, as QEMU's
 *   cancelled request is never picked up).
 * - Completion: write ret, then state DONE (QEMU: ret, smp_wmb, state), become IDLE if no job is
 *   waiting, then qemu_bh_schedule(completion_bh) — a shared BH of the submitting AioContext, which
 *   wakes it if it is blocked in aio_poll.
 * - Idle exit: after idle_timeout_ms (QEMU: 10 s) without a job, if the pool has more than
 *   min_threads workers, leave (decrement the pool's count, status EXITED, kick the BH).
 * A worker never returns to its own event loop while working; it leaves it only by finishing.
 */
import { receiveMessageOnPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { attachEventNotifierArena } from './event-notifier';
import { openSharedBH, qemu_bh_schedule, type SharedBHDescriptor, type SharedQEMUBH } from './aio-bh';
import { qemu_get_thread_id } from './qemu-thread';
import { utilTraceHooks } from './trace-hooks';
import {
  E_ERR,
  E_RET,
  E_STATE,
  EIO,
  ENOSYS,
  GEN_MASK,
  P_CUR_THREADS,
  P_MIN_THREADS,
  type PoolToWorker,
  ThreadState,
  W_CUR,
  W_DOORBELL,
  W_JOBS,
  W_STATUS,
  W_THREAD_ID,
  W_TID,
  WorkerStatus,
  type WorkerToPool,
  lookupPoolFunction,
  registeredPoolFunctions,
  setPoolWorkerSelf,
} from './thread-pool-funcs';

export interface ThreadPoolWorkerData {
  kind: 'thread-pool-worker';
  name: string;
  index: number;
  block: SharedArrayBuffer;
  poolBlock: SharedArrayBuffer;
  port: MessagePort;
  arena: SharedArrayBuffer;
  completion_bh: SharedBHDescriptor;
  modules: string[];
  idle_timeout_ms: number;
}

function post(port: MessagePort, m: WorkerToPool): void {
  port.postMessage(m);
}

function claim(st: Int32Array, gen: number): boolean {
  const g = (gen & GEN_MASK) << 2;
  return Atomics.compareExchange(st, E_STATE, g | ThreadState.THREAD_QUEUED, g | ThreadState.THREAD_ACTIVE) === (g | ThreadState.THREAD_QUEUED);
}

function finish(st: Int32Array, gen: number, ret: number): void {
  Atomics.store(st, E_RET, ret | 0);
  Atomics.store(st, E_STATE, ((gen & GEN_MASK) << 2) | ThreadState.THREAD_DONE); // ret before state
}

/** Run one job: look the function up, call it, publish ret. */
function worker_run(d: ThreadPoolWorkerData, block: Int32Array, job: Extract<PoolToWorker, { type: 'job' }>): void {
  if (!claim(job.st, job.gen)) return; // cancelled while queued
  Atomics.store(block, W_CUR, job.id);
  const h = utilTraceHooks.worker_thread_job;
  if (h !== null) h('begin', { worker: d.name, id: job.id, func: job.func });
  let ret: number;
  let error: string | null = null;
  const fn = lookupPoolFunction(job.func);
  if (fn === undefined) {
    ret = -ENOSYS;
    error = `no pool function named '${job.func}' in ${d.name} (registered: ${registeredPoolFunctions().join(', ') || 'none'}; modules: ${d.modules.join(', ') || 'none'})`;
  } else {
    try {
      const r = fn(job.arg);
      ret = typeof r === 'number' ? r | 0 : 0;
    } catch (e) {
      ret = -EIO;
      error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
  }
  if (error !== null) {
    post(d.port, { type: 'error', id: job.id, message: error });
    Atomics.store(job.st, E_ERR, 1);
  }
  if (h !== null) h('end', { worker: d.name, id: job.id, func: job.func, ret });
  finish(job.st, job.gen, ret);
  Atomics.store(block, W_CUR, -1);
  Atomics.add(block, W_JOBS, 1);
}

/** Leave the pool: count ourselves out, mark EXITED, tell the submitting context. */
function worker_exit(pool: Int32Array, block: Int32Array, bh: SharedQEMUBH, counted: boolean): void {
  if (!counted) Atomics.sub(pool, P_CUR_THREADS, 1);
  Atomics.store(block, W_STATUS, WorkerStatus.EXITED);
  Atomics.notify(block, W_STATUS);
  qemu_bh_schedule(bh);
}

/** Idle timeout: leave unless the pool would drop under min_threads or a job is being posted. */
function try_idle_exit(pool: Int32Array, block: Int32Array, bh: SharedQEMUBH): boolean {
  for (;;) {
    const cur = Atomics.load(pool, P_CUR_THREADS);
    if (cur <= Atomics.load(pool, P_MIN_THREADS)) return false;
    if (Atomics.compareExchange(pool, P_CUR_THREADS, cur, cur - 1) === cur) break;
  }
  if (Atomics.compareExchange(block, W_STATUS, WorkerStatus.IDLE, WorkerStatus.EXITED) !== WorkerStatus.IDLE) {
    Atomics.add(pool, P_CUR_THREADS, 1); // reserved meanwhile: a job is coming
    return false;
  }
  worker_exit(pool, block, bh, true);
  return true;
}

/** worker_thread: take jobs until told to exit or idle for too long. */
function worker_thread(d: ThreadPoolWorkerData): void {
  const block = new Int32Array(d.block);
  const pool = new Int32Array(d.poolBlock);
  const bh = openSharedBH(d.completion_bh);
  let next = receiveMessageOnPort(d.port);
  if (next === undefined && Atomics.compareExchange(block, W_STATUS, WorkerStatus.STARTING, WorkerStatus.IDLE) === WorkerStatus.STARTING) {
    qemu_bh_schedule(bh); // an idle worker appeared: let the pool dispatch to it
  }
  for (;;) {
    if (next === undefined) {
      const seq = Atomics.load(block, W_DOORBELL);
      next = receiveMessageOnPort(d.port);
      if (next !== undefined) continue;
      const idle = Atomics.load(block, W_STATUS) === WorkerStatus.IDLE;
      const r = Atomics.wait(block, W_DOORBELL, seq, idle ? d.idle_timeout_ms : Infinity);
      if (r === 'timed-out' && try_idle_exit(pool, block, bh)) return;
      next = receiveMessageOnPort(d.port);
      continue;
    }
    const msg = next.message as PoolToWorker;
    if (msg.type === 'exit') {
      worker_exit(pool, block, bh, false);
      return;
    }
    Atomics.store(block, W_STATUS, WorkerStatus.BUSY);
    worker_run(d, block, msg);
    next = receiveMessageOnPort(d.port);
    if (next === undefined) Atomics.store(block, W_STATUS, WorkerStatus.IDLE);
    qemu_bh_schedule(bh);
  }
}

/** A module failed to load: fail every job sent to us, report, leave. */
function worker_fatal(d: ThreadPoolWorkerData, message: string): void {
  const block = new Int32Array(d.block);
  const pool = new Int32Array(d.poolBlock);
  const bh = openSharedBH(d.completion_bh);
  post(d.port, { type: 'fatal', message });
  for (let m = receiveMessageOnPort(d.port); m !== undefined; m = receiveMessageOnPort(d.port)) {
    const msg = m.message as PoolToWorker;
    if (msg.type === 'job' && claim(msg.st, msg.gen)) {
      post(d.port, { type: 'error', id: msg.id, message });
      Atomics.store(msg.st, E_ERR, 1);
      finish(msg.st, msg.gen, -EIO);
    }
  }
  worker_exit(pool, block, bh, false);
}

function main(): void {
  const d = workerData as ThreadPoolWorkerData;
  process.setSourceMapsEnabled(true); // stacks of this thread point at src/*.ts (dist has .map files)
  attachEventNotifierArena(d.arena);
  const block = new Int32Array(d.block);
  const tid = qemu_get_thread_id();
  Atomics.store(block, W_THREAD_ID, threadId);
  Atomics.store(block, W_TID, tid);
  setPoolWorkerSelf({ name: d.name, index: d.index, threadId, tid });
  try {
    for (const m of d.modules) require(m);
  } catch (e) {
    worker_fatal(d, `${d.name}: loading pool modules failed: ${e instanceof Error ? e.message : String(e)}`);
    d.port.close();
    return;
  }
  try {
    worker_thread(d);
  } finally {
    d.port.close();
  }
}

if ((workerData as { kind?: string } | null)?.kind === 'thread-pool-worker') main();
