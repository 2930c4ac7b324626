/**
 * Ambient correlation: the ids an event belongs to without saying so, tracked per thread so every
 * recorded event of a request carries them (DESIGN.md §4):
 *
 * - co:  the coroutine running when the event was emitted (qemu_coroutine_self), unless 0;
 * - req: the virtio request a coroutine works for: its entry argument is the block layer's
 *        BlkAioEmAIOCB whose `opaque` is the VirtIOBlockReq (QEMU: the acb's opaque), learnt at
 *        qemu_coroutine_create (attach-util.ts) and forgotten at termination; also the request of
 *        a pool job submitted from such a coroutine (until the job completes);
 * - job: the thread-pool job a worker is running (worker_thread_job begin..end).
 *
 * Explicit ids of an event win over ambient ones. Module state is per JS thread.
 */
import { qemu_coroutine_self, qemu_in_coroutine } from '../util/coroutine';
import { objectSerial } from './ptr';
import type { RecordedCorrelation } from './event-codec';
import type { Correlation } from './tracepoint';

const coReq = new Map<number, number>();
const jobReq = new Map<number, number>();
let workerJob = -1;

/** The request id behind a coroutine's entry argument (acb.opaque.elem), or undefined. */
export function requestOfEntryArg(arg: unknown): number | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const opaque = (arg as { opaque?: unknown }).opaque;
  if (typeof opaque !== 'object' || opaque === null) return undefined;
  const elem = (opaque as { elem?: unknown }).elem;
  return typeof elem === 'object' && elem !== null ? objectSerial('elem', elem) : undefined;
}

export function noteCoroutineCreated(co: number, entryArg: unknown): void {
  const req = requestOfEntryArg(entryArg);
  if (req !== undefined) coReq.set(co, req);
}

export function noteCoroutineTerminated(co: number): void {
  coReq.delete(co);
}

export function requestOfCoroutine(co: number): number | undefined {
  return coReq.get(co);
}

/** A pool job was submitted: remember the current coroutine's request for its completion. */
export function noteJobSubmitted(job: number): number | undefined {
  const req = qemu_in_coroutine() ? coReq.get(qemu_coroutine_self().id) : undefined;
  if (req !== undefined) jobReq.set(job, req);
  return req;
}

export function noteJobCompleted(job: number): number | undefined {
  const req = jobReq.get(job);
  jobReq.delete(job);
  return req;
}

export function requestOfJob(job: number): number | undefined {
  return jobReq.get(job);
}

/** Worker side: the job this thread runs (-1: none). */
export function setWorkerJob(job: number): void {
  workerJob = job;
}

/**
 * `corr` completed with the ambient ids; returns `corr` itself when nothing is added, else `scratch`
 * filled in (overwritten by the next call: encode before calling again).
 */
export function ambientCorrelation(corr: Correlation | null, scratch: RecordedCorrelation): RecordedCorrelation | null {
  const inCo = qemu_in_coroutine();
  const needCo = inCo && (corr === null || corr.co === undefined);
  const needJob = workerJob >= 0 && (corr === null || corr.job === undefined);
  if (!needCo && !needJob) {
    if (corr === null || corr.req !== undefined || corr.co === undefined) return corr;
    const req = coReq.get(corr.co);
    if (req === undefined) return corr;
    scratch.req = req;
    scratch.co = corr.co;
    scratch.job = corr.job;
    scratch.head = corr.head;
    scratch.fd = corr.fd;
    return scratch;
  }
  scratch.req = corr?.req;
  scratch.co = corr?.co;
  scratch.job = corr?.job;
  scratch.head = corr?.head;
  scratch.fd = corr?.fd;
  if (needCo) scratch.co = qemu_coroutine_self().id;
  if (needJob) scratch.job = workerJob;
  if (scratch.req === undefined && scratch.co !== undefined) scratch.req = coReq.get(scratch.co);
  if (scratch.req === undefined && scratch.job !== undefined) scratch.req = jobReq.get(scratch.job);
  return scratch;
}
