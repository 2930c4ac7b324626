/**
 * Entry of a thread-pool worker (QEMU util/thread-pool.c, worker_thread). Runs on its own
 * worker_thread, named worker-N; loaded from dist/ (see worker-script.ts).
 *
 * Hand-off (see thread-pool.ts for the submitting side and thread-pool-funcs.ts for the layout of
 * the pool's shared area):
 * - Jobs are taken from the pool's shared submission ring (a compareExchange on its head, as
 *   QEMU's workers pop request_list under the pool lock). A ring entry names a job record (slot,
 *   gen); the record holds the function id and, for fast jobs, the encoded argument. Message jobs
 *   (arguments that need a structured clone) come instead on this worker's MessagePort, posted to
 *   it while it was idle; the pool adds 1 to W_DOORBELL, so the port is read only when needed.
 * - Idle: spin a little (P_SPIN), then announce ourselves in P_IDLE and Atomics.wait on P_SQ_SEQ;
 *   the submitter bumps it and notifies only when P_IDLE says someone sleeps.
 * - Claiming a job is a compareExchange QUEUED → ACTIVE on the record's state word; it fails if the
 *   submitter cancelled the job meanwhile (the job is then skipped, as QEMU's cancelled request is
 *   never picked up).
 * - Completion: write ret, then state DONE (QEMU: ret, smp_wmb, state), put the slot in the shared
 *   completion ring, and schedule the pool's completion BH only if it is not already pending
 *   (P_CQ_PENDING): one wake-up of the submitting AioContext per batch, not per job.
 * - Idle exit: after idle_timeout_ms (QEMU: 10 s) without a job, if the pool has more than
 *   min_threads workers, leave (decrement the pool's count, status EXITED, kick the BH).
 * A worker never returns to its own event loop while working; it leaves it only by finishing.
 */
import { receiveMessageOnPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { attachEventNotifierArena } from './event-notifier';
import { openSharedBH, qemu_bh_schedule, type SharedBHDescriptor, type SharedQEMUBH } from './aio-bh';
import { qemu_get_thread_id } from './qemu-thread';
import { setBufferBase } from '../host/record';
import { utilBacktraceHooks, utilTraceHooks } from './trace-hooks';
import {
  CQ_BASE,
  CQ_CAP,
  EIO,
  ENOSYS,
  type FastJob,
  GEN_MASK,
  P_CQ_PENDING,
  P_CQ_TAIL,
  P_CUR_THREADS,
  P_IDLE,
  P_MIN_THREADS,
  P_MSG_WAITING,
  P_SPIN,
  P_SQ_HEAD,
  P_SQ_SEQ,
  P_SQ_TAIL,
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
  type ThreadPoolFastFunc,
  ThreadState,
  W_CUR,
  W_DOORBELL,
  W_JOBS,
  W_STATUS,
  W_THREAD_ID,
  W_TID,
  WorkerStatus,
  type WorkerToPool,
  lookupPoolFastFunction,
  lookupPoolFunction,
  registeredPoolFunctions,
  setPoolWorkerSelf,
} from './thread-pool-funcs';

export interface ThreadPoolWorkerData {
  kind: 'thread-pool-worker';
  name: string;
  index: number;
  block: SharedArrayBuffer;
  /** The pool's shared area (header, rings, job records). */
  area: SharedArrayBuffer;
  port: MessagePort;
  arena: SharedArrayBuffer;
  completion_bh: SharedBHDescriptor;
  modules: string[];
  idle_timeout_ms: number;
  /** Registered buffers and fast-function ids known when the worker was started. */
  buffers: [number, SharedArrayBuffer, number][];
  fast: [number, string][];
}

type JobMsg = Extract<PoolToWorker, { type: 'job' }>;

class WorkerState implements FastJob {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  base = 0;
  readonly block: Int32Array;
  readonly bh: SharedQEMUBH;
  readonly buffers = new Map<number, SharedArrayBuffer>();
  /** Fast-function id → [name, runner or undefined when this worker has none]. */
  readonly fast = new Map<number, [string, ThreadPoolFastFunc | undefined]>();
  readonly msgJobs: JobMsg[] = [];
  exitRequested = false;
  bell = 0;
  constructor(readonly d: ThreadPoolWorkerData) {
    this.i32 = new Int32Array(d.area);
    this.u32 = new Uint32Array(d.area);
    this.f64 = new Float64Array(d.area);
    this.block = new Int32Array(d.block);
    this.bh = openSharedBH(d.completion_bh);
    for (const [id, sab, base] of d.buffers) {
      this.buffers.set(id, sab);
      setBufferBase(sab, base);
    }
    for (const [id, name] of d.fast) this.fast.set(id, [name, lookupPoolFastFunction(name)]);
  }
  buffer(id: number): SharedArrayBuffer {
    let b = this.buffers.get(id);
    if (b === undefined) {
      this.drainPort(); // registered before the job was queued: the message is already in our port
      b = this.buffers.get(id);
      if (b === undefined) throw new Error(`${this.d.name}: unknown registered buffer ${id}`);
    }
    return b;
  }
  fastFunc(id: number): [string, ThreadPoolFastFunc | undefined] {
    let f = this.fast.get(id);
    if (f === undefined) {
      this.drainPort();
      f = this.fast.get(id) ?? [`#${id}`, undefined];
    }
    return f;
  }
  /** Read every message waiting on our port (buffers, fast ids, message jobs, exit). */
  drainPort(): void {
    this.bell = Atomics.load(this.block, W_DOORBELL);
    for (let m = receiveMessageOnPort(this.d.port); m !== undefined; m = receiveMessageOnPort(this.d.port)) {
      const msg = m.message as PoolToWorker;
      if (msg.type === 'job') this.msgJobs.push(msg);
      else if (msg.type === 'buffer') {
        this.buffers.set(msg.id, msg.sab);
        setBufferBase(msg.sab, msg.base);
      }
      else if (msg.type === 'fast') this.fast.set(msg.id, [msg.name, lookupPoolFastFunction(msg.name)]);
      else this.exitRequested = true;
    }
  }
}

function post(port: MessagePort, m: WorkerToPool): void {
  port.postMessage(m);
}

function claim(i32: Int32Array, rec: number, gen: number): boolean {
  const g = (gen & GEN_MASK) << 2;
  return Atomics.compareExchange(i32, rec + R_STATE, g | ThreadState.THREAD_QUEUED, g | ThreadState.THREAD_ACTIVE) === (g | ThreadState.THREAD_QUEUED);
}

/** Publish ret, then DONE, then hand the slot to the completion BH (scheduled once per batch). */
function finish(w: WorkerState, slot: number, gen: number, ret: number): void {
  const i32 = w.i32;
  const rec = REC_BASE + slot * REC_WORDS;
  Atomics.store(i32, rec + R_RET, ret | 0);
  Atomics.store(i32, rec + R_STATE, ((gen & GEN_MASK) << 2) | ThreadState.THREAD_DONE); // ret before state
  const at = Atomics.add(i32, P_CQ_TAIL, 1) & (CQ_CAP - 1);
  Atomics.store(i32, CQ_BASE + at, slot + 1);
  if (Atomics.exchange(i32, P_CQ_PENDING, 1) === 0) qemu_bh_schedule(w.bh);
}

/** Run one claimed job: look the function up, call it, publish ret. */
function worker_run(w: WorkerState, slot: number, gen: number, msg: JobMsg | null): void {
  const d = w.d;
  const i32 = w.i32;
  const block = w.block;
  const rec = REC_BASE + slot * REC_WORDS;
  const id = i32[rec + R_ID];
  Atomics.store(i32, rec + R_WORKER, d.index);
  Atomics.store(block, W_CUR, id);
  let func: string;
  let ret: number;
  let error: string | null = null;
  const h = utilTraceHooks.worker_thread_job;
  const bt = utilBacktraceHooks.worker_thread_job;
  const link = bt === null ? 0 : i32[rec + R_LINK_HI] * 0x100000000 + (i32[rec + R_LINK_LO] >>> 0);
  if (msg === null) {
    const [name, fn] = w.fastFunc(i32[rec + R_FUNC]);
    func = name;
    if (h !== null) h('begin', { worker: d.name, id, func });
    if (bt !== null) bt('begin', link, { worker: d.name, id, func });
    if (fn === undefined) {
      ret = -ENOSYS;
      error = `no fast pool function named '${func}' in ${d.name} (modules: ${d.modules.join(', ') || 'none'})`;
    } else {
      try {
        w.base = rec + R_ARGS;
        const r = fn(w);
        ret = typeof r === 'number' ? r | 0 : 0;
      } catch (e) {
        ret = -EIO;
        error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      }
    }
  } else {
    func = msg.func;
    if (h !== null) h('begin', { worker: d.name, id, func });
    if (bt !== null) bt('begin', link, { worker: d.name, id, func });
    const fn = lookupPoolFunction(func);
    if (fn === undefined) {
      ret = -ENOSYS;
      error = `no pool function named '${func}' in ${d.name} (registered: ${registeredPoolFunctions().join(', ') || 'none'}; modules: ${d.modules.join(', ') || 'none'})`;
    } else {
      try {
        const r = fn(msg.arg);
        ret = typeof r === 'number' ? r | 0 : 0;
      } catch (e) {
        ret = -EIO;
        error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      }
    }
  }
  if (error !== null) {
    post(d.port, { type: 'error', id, message: error });
    Atomics.store(i32, rec + R_ERR, 1);
  }
  if (h !== null) h('end', { worker: d.name, id, func, ret });
  if (bt !== null) bt('end', link, { worker: d.name, id, func, ret });
  Atomics.store(block, W_CUR, -1);
  Atomics.add(block, W_JOBS, 1);
  finish(w, slot, gen, ret);
}

/** Take one entry of the submission ring: (slot << 0) in out[0], gen in out[1]; false if empty. */
function sq_take(i32: Int32Array, out: Int32Array): boolean {
  for (;;) {
    const h = Atomics.load(i32, P_SQ_HEAD);
    if (h === Atomics.load(i32, P_SQ_TAIL)) return false;
    const e = SQ_BASE + 2 * (h & (SQ_CAP - 1));
    const slot = Atomics.load(i32, e);
    const gen = Atomics.load(i32, e + 1);
    if (Atomics.compareExchange(i32, P_SQ_HEAD, h, (h + 1) | 0) === h) {
      out[0] = slot;
      out[1] = gen;
      return true;
    }
  }
}

/** Leave the pool: count ourselves out, mark EXITED, tell the submitting context. */
function worker_exit(w: WorkerState, counted: boolean): void {
  if (!counted) Atomics.sub(w.i32, P_CUR_THREADS, 1);
  Atomics.store(w.block, W_STATUS, WorkerStatus.EXITED);
  Atomics.notify(w.block, W_STATUS);
  qemu_bh_schedule(w.bh);
}

/** Idle timeout: leave unless the pool would drop under min_threads or a job is being posted. */
function try_idle_exit(w: WorkerState): boolean {
  const pool = w.i32;
  for (;;) {
    const cur = Atomics.load(pool, P_CUR_THREADS);
    if (cur <= Atomics.load(pool, P_MIN_THREADS)) return false;
    if (Atomics.compareExchange(pool, P_CUR_THREADS, cur, cur - 1) === cur) break;
  }
  if (Atomics.compareExchange(w.block, W_STATUS, WorkerStatus.IDLE, WorkerStatus.EXITED) !== WorkerStatus.IDLE) {
    Atomics.add(pool, P_CUR_THREADS, 1); // reserved meanwhile: a message job is coming
    return false;
  }
  worker_exit(w, true);
  return true;
}

function setStatus(block: Int32Array, s: WorkerStatus): void {
  // RESERVED (a message job is being posted to us) is left alone until we read the port.
  const cur = Atomics.load(block, W_STATUS);
  if (cur !== WorkerStatus.RESERVED && cur !== s) Atomics.compareExchange(block, W_STATUS, cur, s);
}

/** worker_thread: take jobs until told to exit or idle for too long. */
function worker_thread(w: WorkerState): void {
  const d = w.d;
  const i32 = w.i32;
  const block = w.block;
  const out = new Int32Array(2);
  if (Atomics.compareExchange(block, W_STATUS, WorkerStatus.STARTING, WorkerStatus.IDLE) === WorkerStatus.STARTING) {
    qemu_bh_schedule(w.bh); // an idle worker appeared: let the pool dispatch message jobs to it
  }
  for (;;) {
    if (Atomics.load(block, W_DOORBELL) !== w.bell) w.drainPort();
    if (w.msgJobs.length > 0) {
      const m = w.msgJobs.shift()!;
      Atomics.store(block, W_STATUS, WorkerStatus.BUSY);
      if (claim(i32, REC_BASE + m.slot * REC_WORDS, m.gen)) worker_run(w, m.slot, m.gen, m);
      continue;
    }
    if (w.exitRequested) {
      worker_exit(w, false);
      return;
    }
    if (sq_take(i32, out)) {
      const slot = out[0];
      const gen = out[1];
      if (!claim(i32, REC_BASE + slot * REC_WORDS, gen)) continue; // cancelled while queued
      setStatus(block, WorkerStatus.BUSY);
      worker_run(w, slot, gen, null);
      continue;
    }
    // Nothing to do. Spin briefly (a job often follows within microseconds), then sleep.
    setStatus(block, WorkerStatus.IDLE);
    if (Atomics.load(i32, P_MSG_WAITING) > 0) qemu_bh_schedule(w.bh); // message jobs wait for an idle worker
    const spin = Atomics.load(i32, P_SPIN);
    let found = false;
    for (let i = 0; i < spin; i++) {
      if (Atomics.load(i32, P_SQ_HEAD) !== Atomics.load(i32, P_SQ_TAIL) || Atomics.load(block, W_DOORBELL) !== w.bell) {
        found = true;
        break;
      }
    }
    if (found) continue;
    const seq = Atomics.load(i32, P_SQ_SEQ);
    Atomics.add(i32, P_IDLE, 1);
    if (Atomics.load(i32, P_SQ_HEAD) !== Atomics.load(i32, P_SQ_TAIL) || Atomics.load(block, W_DOORBELL) !== w.bell) {
      Atomics.sub(i32, P_IDLE, 1);
      continue;
    }
    const idle = Atomics.load(block, W_STATUS) === WorkerStatus.IDLE;
    const r = Atomics.wait(i32, P_SQ_SEQ, seq, idle ? d.idle_timeout_ms : Infinity);
    Atomics.sub(i32, P_IDLE, 1);
    if (r === 'timed-out' && Atomics.load(i32, P_SQ_HEAD) === Atomics.load(i32, P_SQ_TAIL) && try_idle_exit(w)) return;
  }
}

/** A module failed to load: fail every job that reaches us, report, leave. */
function worker_fatal(d: ThreadPoolWorkerData, message: string): void {
  const w = new WorkerState(d);
  post(d.port, { type: 'fatal', message });
  const fail = (slot: number, gen: number, id: number): void => {
    if (!claim(w.i32, REC_BASE + slot * REC_WORDS, gen)) return;
    post(d.port, { type: 'error', id, message });
    Atomics.store(w.i32, REC_BASE + slot * REC_WORDS + R_ERR, 1);
    finish(w, slot, gen, -EIO);
  };
  w.drainPort();
  for (const m of w.msgJobs.splice(0)) fail(m.slot, m.gen, m.id);
  // Leave first (so the pool stops counting on us), then fail what is queued: the pool fails the
  // rest itself once it sees every worker gone with a fatal message.
  const out = new Int32Array(2);
  worker_exit(w, false);
  while (sq_take(w.i32, out)) fail(out[0], out[1], w.i32[REC_BASE + out[0] * REC_WORDS + R_ID]);
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
    worker_thread(new WorkerState(d));
  } finally {
    d.port.close();
  }
}

if ((workerData as { kind?: string } | null)?.kind === 'thread-pool-worker') main();
