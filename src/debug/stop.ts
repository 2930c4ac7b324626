/**
 * What a breakpoint, watchpoint or catchpoint hands the console when it wants to stop, and the
 * console's side of it. `Stopper.stop` blocks the calling thread until the user continues (it
 * calls the debug channel's stopHere), so it may be called from any emulator-thread context: a
 * property setter inside a coroutine, a tracepoint sink, a syscall wrapper, a main-loop handler.
 *
 * Contract: emulator thread. `stop` returns after the stop ended, or at once when the console
 * decided not to stop (a `commands` list ending in `continue`, or a stop already in progress).
 */
import type { Anchor, Frame } from './frames';
import type { Point } from './points';

/** A host thread as `info threads` and the `[Switching to thread ...]` line name it. */
export interface ThreadRef {
  name: string;
  tid: number;
}

export interface StopRequest {
  /** The report's first lines, gdb's wording, without the frame (e.g. "Hardware watchpoint 2: x\n\nOld value = 1\nNew value = 2"). */
  header: string;
  /** Innermost first; frame #0 is printed after the header. */
  frames: Frame[];
  /** The point that hit (for its `commands` and tbreak deletion); none for a plain stop. */
  point?: Point;
  /** Convenience variables of this stop ($fd, $member, ...). */
  vars?: Map<string, unknown>;
  /** The thread that stopped when it is not the emulator thread (a pool worker). */
  thread?: ThreadRef;
  /**
   * The stack to stitch for `bt`: a pool worker's plain anchor. Absent for stops on the emulator
   * thread, where the console captures the anchor itself.
   */
  anchor?: Anchor;
  /** The stop happened on another thread whose stack is `frames` (an iothread): `bt` prints them, nothing is stitched here. */
  remote?: boolean;
  /** Frame #0 is printed as part of the header line (catchpoints: "Catchpoint 1 (call to syscall x), pread64 (...) at ..."). */
  frameInHeader?: boolean;
}

export interface Stopper {
  stop(req: StopRequest): void;
}
