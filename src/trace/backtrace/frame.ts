/**
 * The frames a backtrace shows: resolved V8 frames mapped to source positions, with the glue a
 * reader does not want dropped (DESIGN.md §4):
 *   - native frames (a generator's `next` between every pair of coroutine_fns, Array builtins);
 *   - Node's own code (`node:internal/...`) and anything under node_modules (test runners);
 *   - eval'd code: the CPU's JIT blocks (`new Function`), which the guest segment replaces with
 *     the guest pc;
 *   - anonymous frames at the bottom of a stack (a module's body, a test runner's callback), and
 *     this backtrace module's own frames (capture plumbing).
 * Everything else is kept, named as the code names it (QEMU's names by the project's convention).
 *
 * Contract: pure; Frame is plain data (structured-clonable, JSON-safe).
 */
import type { ResolvedFrame } from './frames';
import { sourcePosition } from './source-map';

export interface Frame {
  /** Function name (`raw_co_prw`), `??` when the code has none. */
  fn: string;
  /** `src/block/file-posix.ts` (repository-relative when inside vtrace), null if unknown. */
  file: string | null;
  line: number;
  col: number;
  /** Argument text for gdb's `fn (args)`, when a boundary recorded it (`fd=18, count=4096`). */
  args?: string;
}

const OWN_DIR = 'src/trace/backtrace/';

/** Whether a resolved frame is glue (see header). */
function isGlue(f: ResolvedFrame): boolean {
  if (f.native || f.eval || f.file === null) return true;
  return f.file.startsWith('node:') || f.file.includes('/node_modules/') || f.file.startsWith('internal/');
}

/** Map and filter: innermost first. */
export function toFrames(resolved: readonly ResolvedFrame[]): Frame[] {
  const out: Frame[] = [];
  for (const r of resolved) {
    if (isGlue(r)) continue;
    const pos = sourcePosition(r);
    if (pos !== null && (pos.file.startsWith(OWN_DIR) || pos.file.startsWith(`dist/trace/backtrace/`))) continue;
    out.push({ fn: r.fn ?? '??', file: pos?.file ?? null, line: pos?.line ?? 0, col: pos?.col ?? 0 });
  }
  while (out.length > 1 && out[out.length - 1].fn === '??') out.pop();
  return out;
}

/** Drop leading frames named in `names` (e.g. the syscall layer's `emit` above `pread64`). */
export function trimTop(frames: Frame[], names: ReadonlySet<string>): Frame[] {
  let i = 0;
  while (i < frames.length - 1 && names.has(frames[i].fn)) i++;
  return i === 0 ? frames : frames.slice(i);
}

/** Index of the first (innermost) frame named `fn`, or -1. */
export function findFrame(frames: readonly Frame[], fn: string, from = 0): number {
  for (let i = from; i < frames.length; i++) if (frames[i].fn === fn) return i;
  return -1;
}

/** Compact text for recordings: `fn@file:line:col` per frame, `;`-separated (innermost first). */
export function framesToText(frames: readonly Frame[]): string {
  return frames.map((f) => `${f.fn}@${f.file ?? '?'}:${f.line}:${f.col}`).join(';');
}

/** Inverse of framesToText; malformed entries become `??` frames, never an exception. */
export function framesFromText(text: string): Frame[] {
  if (text === '') return [];
  return text.split(';').map((e) => {
    const at = e.indexOf('@');
    const fn = at > 0 ? e.slice(0, at) : '??';
    const loc = at >= 0 ? e.slice(at + 1) : e;
    const m = /^(.*):(\d+):(\d+)$/.exec(loc);
    if (m === null) return { fn, file: null, line: 0, col: 0 };
    return { fn, file: m[1] === '?' ? null : m[1], line: Number(m[2]), col: Number(m[3]) };
  });
}
