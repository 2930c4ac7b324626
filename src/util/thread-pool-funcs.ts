/**
 * What the thread pool (thread-pool.ts, submitting side) and its workers (thread-pool-worker.ts)
 * agree on: the registry of functions a worker can run, and the shared-memory layouts.
 *
 * Functions: QEMU submits a C function pointer; functions cannot cross JS threads, so a job names
 * a function registered on the worker side. A module the worker loads (ThreadPoolOptions.modules,
 * threadPoolAddModule) calls `registerPoolFunction('handle_aiocb_rw', handle_aiocb_rw)` at load
 * time. The function gets the job's argument (structured-cloned; SharedArrayBuffer-backed views
 * such as guest RAM arrive as views of the same memory, so it reads and writes them in place) and
 * returns an int, as QEMU's ThreadPoolFunc: >= 0 on success, a negative errno on failure. A throw
 * completes the job with -EIO and the message is reported to the submitter (elem.error).
 *
 * Contract: registerPoolFunction runs on the worker thread, at module load; functions run on the
 * worker thread, synchronously (a real syscall per call, e.g. fs.readvSync = preadv).
 */

import { availableParallelism } from 'node:os';

export type ThreadPoolFunc = (arg: any) => number; // eslint-disable-line @typescript-eslint/no-explicit-any

const registry = new Map<string, ThreadPoolFunc>();

/** Worker side: make `fn` runnable as `name` by this thread's pool worker. */
export function registerPoolFunction(name: string, fn: ThreadPoolFunc): void {
  registry.set(name, fn);
}

export function lookupPoolFunction(name: string): ThreadPoolFunc | undefined {
  return registry.get(name);
}

export function registeredPoolFunctions(): string[] {
  return [...registry.keys()];
}

/** Who is running the current job (worker side; null outside a pool worker). */
export interface PoolWorkerInfo {
  readonly name: string;
  readonly index: number;
  readonly threadId: number;
  readonly tid: number;
}
let self: PoolWorkerInfo | null = null;
export function poolWorkerSelf(): PoolWorkerInfo | null {
  return self;
}
export function setPoolWorkerSelf(info: PoolWorkerInfo): void {
  self = info;
}

/* Linux errno values used by the pool. */
export const EIO = 5;
export const EINVAL = 22;
export const ENOSYS = 38;
export const EINPROGRESS = 115;
export const ECANCELED = 125;

/* ThreadPoolElement states (QEMU's enum ThreadState). */
export enum ThreadState {
  THREAD_QUEUED = 0,
  THREAD_ACTIVE = 1,
  THREAD_DONE = 2,
}

/*
 * Shared pool area: ONE SharedArrayBuffer per pool, made by the submitting side and handed to
 * each worker in its workerData. Int32 word offsets:
 *
 *   header (P_*)    counters and flags (below)
 *   submission ring SQ_CAP entries of 2 words (slot, gen): single producer (the submitting
 *                   thread advances P_SQ_TAIL), many consumers (workers CAS P_SQ_HEAD)
 *   completion ring CQ_CAP words, slot+1 (0 = empty): many producers (workers reserve an index
 *                   with Atomics.add on P_CQ_TAIL and store), one consumer (the completion BH)
 *   records         NSLOTS job records of REC_WORDS words (below)
 *
 * Job record (REC_WORDS Int32 words, 8-byte aligned so its args can hold Float64s):
 *   R_STATE  (gen << 2) | ThreadState. `gen` changes each time the slot is reused, so a worker
 *            claiming a stale (cancelled, recycled) job fails its compareExchange.
 *   R_RET    the function's return value (written before R_STATE becomes DONE).
 *   R_ERR    1 if the worker posted an error message for this job.
 *   R_WORKER index of the worker that claimed it (-1 before).
 *   R_FUNC   fast-function id (see registerPoolFastFunction), or -1: a message job (its function
 *            name and argument were posted to one worker's MessagePort).
 *   R_ID     ThreadPoolElement.id (for W_CUR, trace hooks, error messages).
 *   R_LINK_LO/HI  ThreadPoolElement.bt_link, low and high 32 bits (a backtrace link id, 0: none;
 *            read by the worker only while its backtrace hook is installed).
 *   R_ARGS.. REC_ARGS words of encoded arguments (fast jobs; layout owned by the function).
 */
export const R_STATE = 0;
export const R_RET = 1;
export const R_ERR = 2;
export const R_WORKER = 3;
export const R_FUNC = 4;
export const R_ID = 5;
export const R_LINK_LO = 6;
export const R_LINK_HI = 7;
export const R_ARGS = 8;
export const REC_WORDS = 64;
export const REC_ARGS = REC_WORDS - R_ARGS;
export const GEN_MASK = 0x1fffffff;
export const NSLOTS = 1024;
export const SQ_CAP = NSLOTS; // power of two
export const CQ_CAP = NSLOTS; // power of two; ≥ slots in flight, so it never overflows

/* Header words. */
export const P_CUR_THREADS = 0;
export const P_MIN_THREADS = 1;
export const P_SQ_HEAD = 2; // next submission-ring entry to take (workers, CAS)
export const P_SQ_TAIL = 3; // next free submission-ring entry (submitter)
export const P_SQ_SEQ = 4; // futex word idle workers Atomics.wait on; bumped when waking them
export const P_IDLE = 5; // workers about to sleep / sleeping on P_SQ_SEQ
export const P_CQ_TAIL = 6; // completion ring: next index to reserve (workers)
export const P_CQ_HEAD = 7; // completion ring: next index to consume (completion BH)
export const P_CQ_PENDING = 8; // 1 while the completion BH is scheduled and has not started draining
export const P_MSG_WAITING = 9; // message jobs waiting on the submitting side for an idle worker
export const P_SPIN = 10; // idle spin iterations before Atomics.wait (0: none)
export const P_HEADER_WORDS = 16;

export const SQ_BASE = P_HEADER_WORDS;
export const CQ_BASE = SQ_BASE + 2 * SQ_CAP;
export const REC_BASE = CQ_BASE + CQ_CAP; // multiple of 2 → records are 8-byte aligned
export const POOL_AREA_WORDS = REC_BASE + NSLOTS * REC_WORDS;

/* Worker block: one small SharedArrayBuffer per worker. */
export const W_STATUS = 0;
export const W_DOORBELL = 1; // the pool adds 1 after posting this worker a message
export const W_THREAD_ID = 2;
export const W_TID = 3;
export const W_JOBS = 4;
export const W_CUR = 5; // id of the job being run, -1 if none
export const W_WORDS = 8;

export enum WorkerStatus {
  STARTING = 0,
  IDLE = 1,
  RESERVED = 2, // the pool picked this idle worker and is posting it a message job
  BUSY = 3,
  EXITED = 4,
}

/**
 * Fast jobs: a function whose argument the submitting side encodes into the job record as numbers
 * (no postMessage, no structured clone). The worker side registers the decoding runner under the
 * same name as the ordinary function; the pool tells workers which id a name has. Buffers the
 * encoded argument refers to are registered SharedArrayBuffers (ids, see threadPoolBufferId on
 * the submitting side); `buffer(id)` returns the worker's view of one.
 */
export interface FastJob {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /** Int32 index of the record's first argument word (R_ARGS); Float64 index = base >> 1. */
  readonly base: number;
  buffer(id: number): SharedArrayBuffer;
}
export type ThreadPoolFastFunc = (job: FastJob) => number;
const fastRegistry = new Map<string, ThreadPoolFastFunc>();

/** Worker side: run `name` jobs that arrive encoded (see FastJob). */
export function registerPoolFastFunction(name: string, fn: ThreadPoolFastFunc): void {
  fastRegistry.set(name, fn);
}
export function lookupPoolFastFunction(name: string): ThreadPoolFastFunc | undefined {
  return fastRegistry.get(name);
}

/** Messages from the pool to a worker. */
export type PoolToWorker =
  | { type: 'job'; id: number; gen: number; slot: number; func: string; arg: unknown }
  | { type: 'buffer'; id: number; sab: SharedArrayBuffer; base: number }
  | { type: 'fast'; id: number; name: string }
  | { type: 'exit' };

/** Messages from a worker to the pool (read with receiveMessageOnPort). */
export type WorkerToPool = { type: 'error'; id: number; message: string } | { type: 'fatal'; message: string };

/**
 * vtrace's default thread_pool_max: min(64, 4 × CPUs). QEMU's 64 suits pthreads; a Node worker is
 * a whole isolate (~10 MB, ~50-100 ms to start), and with the page cache serving reads a worker is
 * CPU-bound, so threads beyond a few per core only thrash (measured: 22 workers on 2 cores gave
 * less than 1 worker does). 4 × CPUs still covers requests that block in the kernel (slow disks,
 * fdatasync). Settable per context (AioContext.thread_pool_max, QEMU's thread-pool-max).
 */
export const THREAD_POOL_MAX_DEFAULT = Math.min(64, 4 * availableParallelism());
