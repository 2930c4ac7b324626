/**
 * Frames and backtraces at a console stop, over the stitched backtraces of src/trace/backtrace:
 * the current thread's stack (`#0  raw_set_perm (...) at src/block/file-posix.ts:239`), and the
 * anchor a stop keeps so `bt` can stitch it across the coroutine, thread-pool, completion and
 * ioeventfd boundaries later, from inside the stop.
 *
 * The debugger's own machinery (src/debug/, the tracepoint dispatch and hook bridges of src/trace/,
 * the syscall recorder's delivery) is left out, so frame #0 is the emulator code that wrote the
 * watched field, emitted the tracepoint or made the system call.
 *
 * Contract: captureFrames/captureAnchor on the thread whose stack they describe; a live anchor is
 * stitched on that thread (stitchStop), a worker's arrives plain (JSON-safe) and is stitched on the
 * emulator thread, where the links are.
 */
import { anchorOf, captureHere, formatFrame as btFrame, stitch, toFrames, backtraceLinks, type Anchor, type Backtrace, type Frame } from '../trace/backtrace';

export type { Frame, Anchor, Backtrace };

/** Frames of the debugger and of the trace plumbing, hidden from backtraces. */
const HIDDEN = [/^src\/debug\//, /^src\/system\/debug-channel\.ts$/, /^src\/trace\/(tracepoint|attach-[a-z]+)\.ts$/, /^src\/host\/record\.ts$/];

export function visible(frames: readonly Frame[]): Frame[] {
  return frames.filter((f) => f.file === null || !HIDDEN.some((re) => re.test(f.file!)));
}

/** The caller's frames, innermost first, with the hidden ones removed. */
export function captureFrames(): Frame[] {
  return visible(toFrames(captureHere(captureFrames).resolve()));
}

/** An anchor for `bt` at a stop on this thread (emulator thread or iothread). */
export function captureAnchor(): Anchor {
  return anchorOf(captureHere(captureAnchor));
}

/** Stitch a stop's anchor (this thread's links), hiding the debugger's frames. */
export function stitchStop(anchor: Anchor): Backtrace {
  const bt = stitch(anchor, backtraceLinks());
  return { ...bt, segments: bt.segments.map((s) => ({ ...s, frames: visible(s.frames) })) };
}

/** `#N  fn (args) at file:line`, as gdb's frame lines. */
export function formatFrame(n: number, f: Frame): string {
  return btFrame(n, f);
}

/** The frame as the stop line shows it, without the number: `fn (args) at file:line`. */
export function frameText(f: Frame): string {
  return `${f.fn} (${f.args ?? '...'})${f.file !== null ? ` at ${f.file}:${f.line}` : ''}`;
}
