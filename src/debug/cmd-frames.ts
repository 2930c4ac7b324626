/**
 * Console commands over the stopped thread's stack: backtrace (`bt`: the stitched backtrace across
 * the coroutine, thread-pool, completion and ioeventfd boundaries down to the guest; `bt -three`:
 * the separate stacks, as gdb shows them on real QEMU), frame, up, down, info frame, info args.
 * Frames of the stopped thread's own stack show their live arguments when the front end read them
 * (live-frames.ts, 'console.live'); the others show what their boundary recorded, or `(...)`.
 */
import { formatBacktrace, type Backtrace, type Frame } from '../trace/backtrace';
import type { CommandFn, DebugConsole } from './console';
import { ConsoleError } from './info';
import { formatFrame } from './frames';
import { applyLiveFrames, type LiveFrame } from './frame-args';

/** The current console stop's frames, with the live arguments on the stopped thread's own stack. */
interface StopFrames {
  /** The stitched backtrace, when the stop has one. */
  bt: Backtrace | null;
  /** Otherwise the stop's own frames (a stop in an iothread, a stack without boundaries). */
  plain: Frame[];
  /** Per numbered frame: its live arguments, or null where none were read (frame-args.ts). */
  args: Array<LiveFrame['args']>;
}

/** Frames a backtrace segment numbers: a guest segment's pc and callers, else its JS frames. */
function segmentFrames(seg: Backtrace['segments'][number]): number {
  return seg.guest !== undefined ? 1 + seg.guest.callers.length : seg.frames.length;
}

function stopFrames(c: DebugConsole): StopFrames {
  const cur = c.current!;
  const bt = c.backtrace();
  if (bt !== null && bt.segments.length > 0) {
    const count = bt.segments.reduce((n, seg) => n + segmentFrames(seg), 0);
    const args: Array<LiveFrame['args']> = new Array(count).fill(null);
    if (cur.live === null || bt.segments[0].guest !== undefined) return { bt, plain: [], args };
    const [first, ...rest] = bt.segments;
    const applied = applyLiveFrames(first.frames, cur.live);
    applied.args.forEach((a, i) => (args[i] = a));
    return { bt: { ...bt, segments: [{ ...first, frames: applied.frames }, ...rest] }, plain: [], args };
  }
  if (cur.live === null) return { bt: null, plain: cur.req.frames, args: cur.req.frames.map(() => null) };
  const applied = applyLiveFrames(cur.req.frames, cur.live);
  return { bt: null, plain: applied.frames, args: applied.args };
}

/** The backtrace text of the current stop (all of it; `three`: the separate stacks); `sf`: its frames when already computed. */
function btText(c: DebugConsole, three: boolean, sf: StopFrames | null = null): string {
  if (c.current !== null) {
    const { bt, plain } = sf ?? stopFrames(c);
    if (bt !== null) return formatBacktrace(bt, { three });
    if (plain.length === 0) throw new ConsoleError('No stack.');
    return plain.map((f, i) => formatFrame(i, f)).join('\n') + '\n';
  }
  if (c.hartStop !== null) {
    const pc = c.machine()?.harts[c.hartStop.hart]?.getPc() ?? 0n;
    return `#0  0x${pc.toString(16).padStart(16, '0')} in ?? ()\n`;
  }
  if (c.phase === 'not-started' || c.phase === 'exited') throw new ConsoleError('No stack.');
  throw new ConsoleError('No stack: the machine is running (interrupt it first).');
}

interface NumberedFrame {
  /** `#N  fn (args) at file:line` as bt prints it. */
  line: string;
  /** Which stack the frame is on: `worker-2`, `coroutine 5 on emulator thread`, `guest hart 0`. */
  where: string;
  /** Its live arguments (name, value), null where none were read. */
  args: LiveFrame['args'];
}

/** The frames of the current stop's backtrace, numbered as `bt` numbers them. */
function numberedFrames(c: DebugConsole): NumberedFrame[] {
  const sf = c.current !== null ? stopFrames(c) : null;
  const lines = btText(c, false, sf)
    .split('\n')
    .filter((l) => /^#\d+\s/.test(l));
  if (sf === null) return lines.map((line) => ({ line, where: 'hart', args: null }));
  const { bt, args } = sf;
  if (bt === null) return lines.map((line, i) => ({ line, where: c.current?.thread.name ?? 'hart', args: args[i] ?? null }));
  const where: string[] = [];
  for (const seg of bt.segments) {
    const w = seg.guest !== undefined ? `the guest (${seg.thread})` : seg.co !== 0 ? `coroutine ${seg.co} on ${seg.thread}` : seg.role !== '' && seg.role !== seg.thread ? `${seg.thread} (${seg.role})` : seg.thread;
    for (let i = 0, n = segmentFrames(seg); i < n; i++) where.push(w);
  }
  return lines.map((line, i) => ({ line, where: where[i] ?? '', args: args[i] ?? null }));
}

/** info args: the selected frame's arguments, one per line (gdb's format). */
export function infoArgs(c: DebugConsole): string {
  const f = numberedFrames(c)[c.frameSel];
  if (f === undefined) throw new ConsoleError('No frame selected.');
  if (f.args === null) return 'No symbol table info available.\n';
  if (f.args.length === 0) return 'No arguments.\n';
  return f.args.map(([n, v]) => `${n} = ${v}\n`).join('');
}

function showFrame(c: DebugConsole, n: number): string {
  const frames = numberedFrames(c);
  if (frames.length === 0) throw new ConsoleError('No stack.');
  if (n < 0) throw new ConsoleError('Bottom (innermost) frame selected; you cannot go down.');
  if (n >= frames.length) throw new ConsoleError('Initial frame selected; you cannot go up.');
  c.frameSel = n;
  return frames[n].line + '\n';
}

/** info frame: the selected frame and the stack it belongs to. */
export function infoFrame(c: DebugConsole): string {
  const frames = numberedFrames(c);
  const f = frames[c.frameSel];
  if (f === undefined) throw new ConsoleError('No stack.');
  return `Stack level ${c.frameSel}, in ${f.where}:\n${f.line.replace(/^#\d+\s+/, ' ')}\n`;
}

function count(args: string): number {
  if (args.trim() === '') return 1;
  const n = Number(args.trim());
  if (!Number.isInteger(n)) throw new ConsoleError(`Invalid number "${args.trim()}".`);
  return n;
}

export const frameCommands: Array<[string, string, CommandFn]> = [
  [
    'backtrace',
    'backtrace [-three] [N]: the stitched backtrace of the stop (-three: the separate stacks; N: innermost N frames)',
    (c, cmd) => {
      const words = cmd.args.split(/\s+/).filter((w) => w !== '');
      const three = words.includes('-three');
      const rest = words.filter((w) => w !== '-three' && w !== 'full');
      const text = btText(c, three);
      if (rest.length === 0 || three) return text;
      const n = Number(rest[0]);
      if (!Number.isInteger(n) || n <= 0) throw new ConsoleError(`Invalid number "${rest[0]}".`);
      const lines = text.split('\n');
      let frames = 0;
      const out: string[] = [];
      for (const l of lines) {
        if (/^#\d+\s/.test(l)) {
          if (frames === n) {
            out.push('(More stack frames follow...)');
            break;
          }
          frames++;
        }
        out.push(l);
      }
      return out.join('\n').replace(/\n*$/, '\n');
    },
  ],
  ['frame', 'frame [N]: select and show frame N of the backtrace', (c, cmd) => showFrame(c, cmd.args.trim() === '' ? c.frameSel : count(cmd.args))],
  ['up', 'up [N]: select an outer frame', (c, cmd) => showFrame(c, c.frameSel + count(cmd.args))],
  ['down', 'down [N]: select an inner frame', (c, cmd) => showFrame(c, c.frameSel - count(cmd.args))],
];
