/**
 * Backtraces across coroutine and thread boundaries (DESIGN.md §1 and §4, issue 4; docs/backtraces.md).
 *
 * A backtrace here is a real JS stack, mapped through source maps to `src/...ts:line`, continued
 * at each `══` boundary of the I/O path through a link the child side recorded: ioeventfd (vCPU →
 * main loop), coroutine creation, thread-pool submission (coroutine → worker), completion (worker
 * → main loop); down to the vCPU's MMIO store and the guest's pc. Printed like gdb's `bt`.
 *
 * Live use, on the emulator thread (or an iothread), e.g. from a debugger at a stop:
 *
 *   armBacktraces(true)                  record links from now on (before the first block I/O, so
 *                                        pool workers load worker.ts); false stops. Zero cost when
 *                                        disarmed: every boundary hook is null.
 *   attachBacktraceMachine(machine)      which hart executes (QEMU's current_cpu), for guest frames
 *                                        (or setGuestCpuProvider(() => hart))
 *   captureHere(): RawStack              this thread's stack now (≈3 µs; formatted only when used)
 *   stitchedBacktraceHere(): Backtrace   the stitched backtrace of the current point (inside a
 *                                        coroutine, a handler, a completion, or a vCPU callback)
 *   stitchAnchor(anchor): Backtrace      an anchor captured earlier on this thread, or one a worker
 *                                        sent (plainAnchor): a syscall record's `backtrace`
 *   stitchedForWorkerJob(jobLink, frames, worker)  a worker's stack (frames) for its job's link
 *   formatBacktrace(bt, {three?, symbols?})  gdb's `bt` text; `three`: the separate stacks view
 *                                        (`bt -three`), each thread/coroutine its own backtrace
 *   loadGuestSymbols(System.map | vmlinux)   guest symbols for the guest frames
 *
 * On a pool worker (worker.ts, loaded automatically once armed): workerAnchorHere(),
 * currentJobLink(); every syscall record gets `backtrace` (an Anchor) while a recorder is installed.
 *
 * Recordings: while the backtrace_* tracepoints are on (-trace 'backtrace_*'; call
 * updateBacktraceRecording() after the enabled set changes), links and syscall anchors are emitted
 * as events (traces/backtrace.trace-events). Offline: RecordedBacktraces (offline.ts) rebuilds the
 * links from the events and stitches every backtrace_here — strace -k on a .vtr.
 *
 * Contract: all of this is per JS thread; stitching never throws (a missing link ends the walk
 * with a note); a Backtrace is plain data.
 */
import { captureHere } from './frames';
import { anchorOf, backtraceLinks } from './arm';
import { stitch, type Anchor, type Backtrace } from './stitch';
import type { Frame } from './frame';

export { captureHere, RawStack, type ResolvedFrame } from './frames';
export { toFrames, type Frame } from './frame';
export { sourcePosition, type SourcePos } from './source-map';
export {
  armBacktraces,
  updateBacktraceRecording,
  backtracesArmed,
  backtraceLinks,
  backtraceThreadName,
  setGuestCpuProvider,
  clearBacktraceLinks,
  anchorOf,
  type ArmOptions,
} from './arm';
export { stitch, anchorFrames, type Anchor, type Backtrace, type Segment, type Boundary } from './stitch';
export { formatBacktrace, formatFrame, backtraceFunctions, type FormatOptions } from './format';
export { loadGuestSymbols, parseSystemMap, GuestSymbols, GuestSymbolsError } from './symbols';
export { guestContextOf, type GuestCpu } from './guest';
export { attachBacktraceMachine } from './machine';
export { RecordedBacktraces } from './offline';
export type { Link, LinkKind, LinkSource, GuestContext } from './links';

/** The stitched backtrace of the caller's point on this (armed) thread. */
export function stitchedBacktraceHere(): Backtrace {
  return stitch(anchorOf(captureHere(stitchedBacktraceHere)), backtraceLinks());
}

/** Stitch an anchor through this thread's links (see stitch.ts). */
export function stitchAnchor(anchor: Anchor): Backtrace {
  return stitch(anchor, backtraceLinks());
}

/** A pool worker's stack (innermost first) for the job submitted under `jobLink`. */
export function stitchedForWorkerJob(jobLink: number, frames: Frame[], worker: string, what?: string, args?: string): Backtrace {
  const a: Anchor = { thread: worker, role: worker, stack: frames, co: 0, coLink: 0, ctxLink: 0, jobLink };
  if (what !== undefined) a.what = what;
  if (args !== undefined) a.args = args;
  return stitch(a, backtraceLinks());
}
