/**
 * Live frame arguments (live-frames.ts reads them on the main thread) and how the console puts them
 * on the frames of a stop's backtrace.
 *
 * Which frames get them: the stopped thread's own stack, the first segment of the stitched
 * backtrace (or the frames of a stop in another thread). Frames across a coroutine, thread-pool,
 * completion or ioeventfd boundary were recorded when the boundary was crossed, their functions
 * have returned or are suspended, and they keep the arguments the boundary recorded, if any, as
 * gdb on real QEMU cannot show them at all.
 *
 * Contract: pure; LiveFrame is plain data (it crosses the debug channel).
 */
import type { Frame } from '../trace/backtrace';

/** The global a thread installs to print argument values its own way (frame-printer.ts). */
export const FRAME_ARGS_GLOBAL = '__vtraceFrameArgs';

/** A live frame, at its source position, with its arguments (name, printed value); null if unread. */
export interface LiveFrame {
  fn: string;
  file: string;
  line: number;
  args: Array<[string, string]> | null;
}

/** gdb's argument text: `bs=0x21000002 <#block123>, offset=0, bytes=4096`. */
export function argsText(args: ReadonlyArray<[string, string]>): string {
  return args.map(([n, v]) => `${n}=${v}`).join(', ');
}

/**
 * The frames with the live arguments of the frames that match, in order (same source file and
 * line; the function name too when both have one). Frames without a match, or with arguments a
 * boundary recorded, keep what they had.
 */
export function applyLiveFrames(frames: readonly Frame[], live: readonly LiveFrame[]): { frames: Frame[]; args: Array<LiveFrame['args']> } {
  const out: Frame[] = [];
  const args: Array<LiveFrame['args']> = [];
  let j = 0;
  for (const f of frames) {
    let k = j;
    while (k < live.length && !same(f, live[k])) k++;
    if (k < live.length) {
      const a = live[k].args;
      // A boundary's record (a syscall's strace-formatted arguments) reads better than the live values.
      out.push(a !== null && f.args === undefined ? { ...f, args: argsText(a) } : f);
      args.push(a);
      j = k + 1;
    } else {
      out.push(f);
      args.push(null);
    }
  }
  return { frames: out, args };
}

/** A stop's frame #0 with its live arguments when they were read (the report line, `info program`). */
export function liveFrameZero(frames: readonly Frame[], live: readonly LiveFrame[] | null): Frame | undefined {
  if (frames.length === 0 || live === null) return frames[0];
  return applyLiveFrames(frames.slice(0, 1), live).frames[0];
}

function same(f: Frame, l: LiveFrame): boolean {
  if (f.file !== l.file || f.line !== l.line) return false;
  return f.fn === '??' || l.fn === '' || f.fn === l.fn || f.fn.endsWith(`.${l.fn}`);
}
