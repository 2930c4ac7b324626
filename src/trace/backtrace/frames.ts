/**
 * JS stack frames: cheap capture now, resolution later (DESIGN.md §4 "Backtraces are real").
 *
 * captureHere() asks V8 for the current stack with Error.captureStackTrace on a private holder:
 * V8 records the structured frames (function, script, position) and formats nothing until the
 * holder's `stack` is read (measured ~3 µs for a 30-frame stack, against ~10 µs with formatting).
 * resolveStack() reads it once with a temporary Error.prepareStackTrace that receives V8's CallSite
 * objects, so the frames come back as data, not text, whatever formatter the thread has installed.
 *
 * Positions are the running script's (dist/*.js, or a loader's transform of src/*.ts). Mapping to
 * `src/...ts:line` is source-map.ts's job, also deferred: a ResolvedFrame keeps the raw position
 * and, when the thread's own formatter mapped it (vitest/vite-node, source-map-support), that text
 * too, so mapping works for code the thread's loader transformed in memory.
 *
 * Contract: a RawStack is resolved on the thread that captured it (V8 frames do not cross
 * threads); resolution is idempotent and cached. ResolvedFrame is plain data (structured-clonable).
 */

/** Frames V8 collects per capture: deep enough for vCPU → MMIO → virtio → block layer → pool. */
export const STACK_LIMIT = 128;

/** One frame as V8 reported it (positions 1-based, unmapped). */
export interface ResolvedFrame {
  /** Function name as the code spells it (`blk_aio_prwv`), or null for anonymous code. */
  fn: string | null;
  /** Receiver type for methods (`VirtIOMMIOProxy`), when V8 knows it. */
  type: string | null;
  /** Script path or URL (`/…/dist/block/io.js`, `node:internal/…`), null for native frames. */
  file: string | null;
  line: number;
  col: number;
  /** Native (builtin) frame, e.g. a generator's `next`. */
  native: boolean;
  /** Code from eval / new Function (the CPU's JIT blocks). */
  eval: boolean;
  /** Module top-level code. */
  toplevel: boolean;
  /** `file:line:col` as the thread's own stack formatter printed it (a loader's mapping), if it did. */
  formatted?: string;
}

/** A stack captured with captureHere: V8's frames, formatted only when resolved. */
export class RawStack {
  private frames: ResolvedFrame[] | null = null;
  constructor(
    private readonly holder: { stack?: unknown },
    /** process.hrtime.bigint() at capture. */
    readonly ns: bigint,
  ) {}
  /** The frames, innermost first (cached). Must run on the capturing thread. */
  resolve(): ResolvedFrame[] {
    if (this.frames === null) this.frames = resolveHolder(this.holder);
    return this.frames;
  }
}

/**
 * captureHere: the calling thread's stack now, innermost first. `above`: a function on the stack
 * whose frame and everything above it are left out (default: captureHere itself), so hooks can
 * hide their own frames.
 */
export function captureHere(above?: Function): RawStack {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_LIMIT;
  Error.captureStackTrace(holder, above ?? captureHere);
  Error.stackTraceLimit = limit;
  return new RawStack(holder, process.hrtime.bigint());
}

interface CallSiteLike {
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getTypeName(): string | null;
  getFileName(): string | null | undefined;
  getScriptNameOrSourceURL?(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isNative(): boolean;
  isEval(): boolean;
  isToplevel(): boolean;
}

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

function frameOf(cs: CallSiteLike): ResolvedFrame {
  try {
    const isEval = cs.isEval();
    let file = cs.getFileName() ?? null;
    if (file === null && !isEval && cs.getScriptNameOrSourceURL !== undefined) file = cs.getScriptNameOrSourceURL() ?? null;
    return {
      fn: cs.getFunctionName() || cs.getMethodName() || null,
      type: file === null ? null : safe(() => cs.getTypeName(), null), // throws for some receivers
      file,
      line: cs.getLineNumber() ?? 0,
      col: cs.getColumnNumber() ?? 0,
      native: cs.isNative(),
      eval: isEval,
      toplevel: cs.isToplevel(),
    };
  } catch {
    return { fn: null, type: null, file: null, line: 0, col: 0, native: true, eval: false, toplevel: false };
  }
}

/** `    at fn (file:1:2)` / `    at file:1:2` → "file:1:2" (the formatter's mapped position). */
const AT_LINE = /^\s*at (?:.*? \()?(.+?:\d+:\d+)\)?$/;

function resolveHolder(holder: { stack?: unknown }): ResolvedFrame[] {
  let frames: ResolvedFrame[] = [];
  const prev = Error.prepareStackTrace;
  Error.prepareStackTrace = (err: Error, sites: CallSiteLike[]): string => {
    frames = sites.map(frameOf);
    // A loader that transformed sources in memory (vite-node in tests) maps through its own
    // formatter: keep its text per frame so source-map.ts can use it for non-dist scripts.
    if (typeof prev === 'function' && frames.some((f) => f.file !== null && !f.file.endsWith('.js') && !f.file.startsWith('node:'))) {
      const text = safe(() => String(prev(err, sites as never)), '');
      const lines = text.split('\n').filter((l) => /^\s*at /.test(l));
      if (lines.length === frames.length) {
        lines.forEach((l, i) => {
          const m = AT_LINE.exec(l);
          if (m !== null) frames[i].formatted = m[1];
        });
      }
    }
    return '';
  };
  try {
    void holder.stack;
  } finally {
    Error.prepareStackTrace = prev;
  }
  return frames;
}
