/**
 * The thread pool's hand-off (QEMU util/thread-pool.c's request_list and its signalling), on the
 * submitting side: how a ThreadPoolElement reaches a worker and how its completion comes back.
 * The workers' side is thread-pool-worker.ts; the shared layout is in thread-pool-funcs.ts.
 *
 * The submitting thread never returns to its event loop, so nothing here may depend on it:
 * - Each in-flight element owns a job record in the pool's shared area: state word, ret, and for a
 *   *fast* function (one with an encoder here and a runner in the workers, e.g. file-posix's
 *   handle_aiocb_rw) its argument encoded as numbers; iov buffers are named by the id of a
 *   registered SharedArrayBuffer (ThreadPool.bufferId: guest RAM is registered with every worker
 *   once, on its second use, or explicitly with thread_pool_register_buffer). Submitting a fast
 *   job = encode, push (slot, gen) on the shared submission ring, and Atomics.notify only when a
 *   worker sleeps (P_IDLE). No postMessage, no structured clone.
 * - Anything else (arbitrary arguments, unregistered buffers) is a *message job*: the argument is
 *   posted (structured clone) to one idle worker's MessagePort; the record still carries state
 *   and ret. Such jobs wait in request_list until a worker is idle.
 * - Workers take ring entries with a compareExchange on the ring head and claim the record
 *   QUEUED → ACTIVE; thread_pool_cancel claims QUEUED → DONE with -ECANCELED (elem_fail); whoever
 *   wins owns the element, so a cancelled job never runs and an active one completes normally, as
 *   in QEMU.
 * - Completion: the worker writes ret, then DONE, puts the slot in the shared completion ring and
 *   schedules the pool's completion BH (a shared BH: EventNotifier chained to the context's
 *   notifier) only if it is not pending already. drain_completions moves the ring's entries to
 *   done_list for thread_pool_completion_bh (thread-pool.ts).
 *
 * Contract: every function here runs on the pool's context's thread.
 */
import { qemu_bh_schedule } from './aio-bh';
import {
  CQ_BASE,
  CQ_CAP,
  EINVAL,
  EIO,
  P_CQ_HEAD,
  P_IDLE,
  P_MSG_WAITING,
  P_SQ_HEAD,
  P_SQ_SEQ,
  P_SQ_TAIL,
  type PoolToWorker,
  R_ARGS,
  R_FUNC,
  R_RET,
  R_STATE,
  R_WORKER,
  REC_BASE,
  REC_WORDS,
  SQ_BASE,
  SQ_CAP,
  ThreadState,
  W_DOORBELL,
  W_STATUS,
  WorkerStatus,
} from './thread-pool-funcs';
import type { ThreadPool, ThreadPoolElement } from './thread-pool';
import type { PoolWorker } from './thread-pool-spawn';
import { announce_fast, wake_all } from './thread-pool-spawn';

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

export const fastNames: string[] = [];

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

/** Complete a still-QUEUED element here with `ret` (no worker will run it). */
export function elem_fail(pool: ThreadPool, req: ThreadPoolElement, ret: number, error: string | null): boolean {
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
export function thread_pool_kick(pool: ThreadPool): void {
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
export function hand_off(pool: ThreadPool, req: ThreadPoolElement): boolean {
  if (req.slot < 0) {
    if (!pool.allocSlot(req)) return false;
    encode_job(pool, req);
  }
  if (pool.i32[REC_BASE + req.slot * REC_WORDS + R_FUNC] >= 0) return sq_push(pool, req);
  return post_message_job(pool, req);
}

/** Hand waiting elements to the workers (submitting thread). */
export function thread_pool_dispatch(pool: ThreadPool): void {
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

/** Move what the workers finished (shared completion ring) to done_list. */
export function drain_completions(pool: ThreadPool): void {
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
