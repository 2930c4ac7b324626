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
 * Element slot: 4 Int32 words in a shared chunk; the job message carries a view of it.
 *   E_STATE = (gen << 2) | ThreadState. `gen` changes each time the slot is reused, so a worker
 *             claiming a stale (cancelled, recycled) job fails its compareExchange.
 *   E_RET   = the function's return value (written before E_STATE becomes DONE).
 *   E_ERR   = 1 if the worker posted an error message for this job.
 */
export const E_STATE = 0;
export const E_RET = 1;
export const E_ERR = 2;
export const ELEM_WORDS = 4;
export const GEN_MASK = 0x1fffffff;

/* Worker block: one small SharedArrayBuffer per worker. */
export const W_STATUS = 0;
export const W_DOORBELL = 1; // the pool adds 1 and notifies after posting a message
export const W_THREAD_ID = 2;
export const W_TID = 3;
export const W_JOBS = 4;
export const W_CUR = 5; // id of the job being run, -1 if none
export const W_WORDS = 8;

export enum WorkerStatus {
  STARTING = 0,
  IDLE = 1,
  RESERVED = 2, // the pool picked this idle worker and is posting it a job
  BUSY = 3,
  EXITED = 4,
}

/* Pool block: shared by the pool and all its workers. */
export const P_CUR_THREADS = 0;
export const P_MIN_THREADS = 1;
export const P_WORDS = 4;

/** Messages from the pool to a worker. */
export type PoolToWorker =
  | { type: 'job'; id: number; gen: number; func: string; arg: unknown; st: Int32Array }
  | { type: 'exit' };

/** Messages from a worker to the pool (read with receiveMessageOnPort). */
export type WorkerToPool = { type: 'error'; id: number; message: string } | { type: 'fatal'; message: string };
