/**
 * Printing backtraces the way gdb's `bt` does:
 *
 *   #0  pread64 (fd=18, count=512, offset=0) at src/host/syscalls.ts:199
 *   #1  handle_aiocb_rw_linear (...) at src/block/file-posix-worker.ts:59
 *   --- thread-pool submission: coroutine 7 on emulator thread (main-loop) → worker-2 ---
 *   #4  thread_pool_submit_aio (func="handle_aiocb_rw", req=12) at src/util/thread-pool.ts:353
 *   ...
 *   --- guest: hart 0 (S-mode) store at pc 0xffffffff8040a1b2 ---
 *   #31 0xffffffff8040a1b2 in vm_notify ()
 *
 * Frame numbers run on across separators (one separator line per boundary crossed). `(...)` marks
 * arguments nobody recorded (JS stacks carry no argument values); boundaries fill in what they
 * know. Guest addresses are symbolized when symbols are given (symbols.ts), else `?? ()`.
 *
 * `three: true` is the "separate stacks" view, as gdb shows them on real QEMU where each thread and
 * the coroutine is its own backtrace (vCPU → … ; main loop → blk_aio_prwv; coroutine →
 * thread_pool_submit_aio; worker → preadv): one block per segment, numbered from #0, headed by
 * the thread (and coroutine), without stitching.
 *
 * Contract: pure; output ends with a newline.
 */
import type { Frame } from './frame';
import type { GuestSymbols } from './symbols';
import type { Backtrace, Segment } from './stitch';

export interface FormatOptions {
  /** The separate-stacks view (see header). */
  three?: boolean;
  /** Guest symbols for the guest frames. */
  symbols?: GuestSymbols | null;
}

function num(n: number): string {
  return `#${n}`.padEnd(3) + ' ';
}

export function formatFrame(n: number, f: Frame): string {
  const at = f.file !== null ? ` at ${f.file}:${f.line}` : '';
  return `${num(n)}${f.fn} (${f.args ?? '...'})${at}`;
}

function hex64(v: bigint): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}

function guestLines(seg: Segment, first: number, symbols: GuestSymbols | null | undefined): string[] {
  const g = seg.guest;
  if (g === undefined) return [];
  return [g.pc, ...g.callers].map((addr, i) => {
    const s = symbols?.lookup(addr) ?? null;
    return `${num(first + i)}${hex64(addr)} in ${s !== null ? s.name : '??'} ()`;
  });
}

function segmentLines(seg: Segment, first: number, symbols: GuestSymbols | null | undefined): string[] {
  if (seg.guest !== undefined) return guestLines(seg, first, symbols);
  return seg.frames.map((f, i) => formatFrame(first + i, f));
}

function segmentSize(seg: Segment): number {
  return seg.guest !== undefined ? 1 + seg.guest.callers.length : seg.frames.length;
}

function header(seg: Segment): string {
  if (seg.guest !== undefined) return `Guest hart ${seg.guest.hart} (${seg.thread}, ${seg.guest.priv}-mode):`;
  if (seg.co !== 0) return `Coroutine ${seg.co} (on ${seg.thread}):`;
  // `emulator thread` → `Emulator thread`, `worker-2` → `Thread worker-2`
  const t = / thread$/.test(seg.thread) ? seg.thread[0].toUpperCase() + seg.thread.slice(1) : `Thread ${seg.thread}`;
  return seg.role !== '' && seg.role !== seg.thread ? `${t} (${seg.role}):` : `${t}:`;
}

/** The backtrace as text (see header). */
export function formatBacktrace(bt: Backtrace, opts: FormatOptions = {}): string {
  const out: string[] = [];
  if (opts.three) {
    bt.segments.forEach((seg, i) => {
      if (i > 0) out.push('');
      out.push(header(seg));
      out.push(...segmentLines(seg, 0, opts.symbols));
    });
  } else {
    let n = 0;
    for (const seg of bt.segments) {
      if (seg.boundary !== undefined) out.push(`--- ${seg.boundary.text} ---`);
      out.push(...segmentLines(seg, n, opts.symbols));
      n += segmentSize(seg);
    }
  }
  if (bt.note !== undefined) out.push(`(backtrace stopped: ${bt.note})`);
  return out.join('\n') + '\n';
}

/** The functions of the stitched backtrace, innermost first (guest frames as `0x…`). */
export function backtraceFunctions(bt: Backtrace): string[] {
  return bt.segments.flatMap((s) => (s.guest !== undefined ? [s.guest.pc, ...s.guest.callers].map((a) => `0x${a.toString(16)}`) : s.frames.map((f) => f.fn)));
}
