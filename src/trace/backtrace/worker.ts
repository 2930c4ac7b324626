/**
 * The pool-worker side of backtraces, loaded into every thread-pool worker once backtraces are
 * armed on the submitting thread (arm.ts adds it with threadPoolAddModule).
 *
 * - Tracks the job being run and its submission link (the job record's R_LINK_*, handed over by
 *   thread-pool-worker.ts through utilBacktraceHooks.worker_thread_job).
 * - Gives every syscall record of this thread its anchor (recorderState.backtrace): the worker's
 *   stack at the call (pread64 ← handle_aiocb_rw_linear ← handle_aiocb_rw ← ... ← worker_thread)
 *   plus the job's link, and emits it as backtrace_here while that tracepoint is on.
 * - workerAnchorHere() for anything else that wants the worker's stack (a debugger stop).
 *
 * A worker's stack cannot be stitched here (the links live on the submitting thread): send
 * plainAnchor(anchor) there and call stitchAnchor / stitchedForWorkerJob, or stitch a recording.
 * Contract: worker thread only; never throws into the job.
 */
import { utilBacktraceHooks } from '../../util/trace-hooks';
import { poolWorkerSelf } from '../../util/thread-pool-funcs';
import { recorderState, type SyscallRecord } from '../../host/record';
import { threadName } from '../../host/thread-id';
import { captureHere, type RawStack } from './frames';
import { recordAnchor } from './record';
import { anchorFrames, type Anchor } from './stitch';
import { syscallArgs } from './syscall-args';

let jobLink = 0;
let jobId = -1;

/** The submission link of the job this worker runs now (0: none or not linked). */
export function currentJobLink(): number {
  return jobLink;
}

/** The pool element id of the job this worker runs now (-1: none). */
export function currentJobId(): number {
  return jobId;
}

function workerName(): string {
  return poolWorkerSelf()?.name ?? threadName();
}

function anchorOf(stack: RawStack, what?: string, args?: string): Anchor {
  const name = workerName();
  const a: Anchor = { thread: name, role: name, stack, co: 0, coLink: 0, ctxLink: 0, jobLink };
  if (what !== undefined) a.what = what;
  if (args !== undefined) a.args = args;
  return a;
}

/** This worker's stack now, with its job's link. */
export function workerAnchorHere(what?: string, args?: string): Anchor {
  return anchorOf(captureHere(workerAnchorHere), what, args);
}

/** The anchor with its stack resolved to frames: plain data, to post to the submitting thread. */
export function plainAnchor(a: Anchor): Anchor {
  return { ...a, stack: anchorFrames(a) };
}

function workerSyscallAnchor(rec: SyscallRecord): Anchor | undefined {
  try {
    const a = anchorOf(captureHere(workerSyscallAnchor), rec.name, syscallArgs(rec));
    recordAnchor(a);
    return a;
  } catch {
    return undefined;
  }
}

utilBacktraceHooks.worker_thread_job = (phase, link, ev) => {
  if (phase === 'begin') {
    jobLink = link;
    jobId = ev.id;
  } else {
    jobLink = 0;
    jobId = -1;
  }
};
recorderState.backtrace = workerSyscallAnchor;
