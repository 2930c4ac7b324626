/**
 * Steering V8's tiering for the functions whose optimization timing matters: the interpreter loop
 * (target/riscv/warmup.ts optimizes it before the guest starts) and the compiled guest blocks
 * (target/riscv/jit-park.ts runs a block only once V8 has optimized it). V8 offers no API for this;
 * its test intrinsics do it (`%PrepareFunctionForOptimization`, `%OptimizeFunctionOnNextCall(f,
 * "concurrent")`, `%GetOptimizationStatus`), once `--allow-natives-syntax` is on (set here at run
 * time, for this process). An optimizing compile requested so runs on a V8 background thread and
 * starts at the function's next call.
 *
 * Best effort: where the intrinsics are unavailable (another engine, a V8 that changed them)
 * tieringAvailable() is false, the calls do nothing, and V8's own tiering decides as usual.
 */
import { setFlagsFromString } from 'node:v8';

interface Intrinsics {
  prepare(f: unknown): void;
  optimize(f: unknown): void;
  status(f: unknown): number;
}

/** %GetOptimizationStatus bit: the function has optimized code (V8's OptimizationStatus::kOptimized). */
const STATUS_OPTIMIZED = 1 << 4;
/** %GetOptimizationStatus bit: it is a function at all (always set for one). */
const STATUS_IS_FUNCTION = 1 << 0;

let intrinsics: Intrinsics | null | undefined;

function load(): Intrinsics | null {
  if (intrinsics !== undefined) return intrinsics;
  try {
    setFlagsFromString('--allow-natives-syntax');
    const i: Intrinsics = {
      prepare: new Function('f', '%PrepareFunctionForOptimization(f);') as Intrinsics['prepare'],
      optimize: new Function('f', '%OptimizeFunctionOnNextCall(f, "concurrent");') as Intrinsics['optimize'],
      status: new Function('f', 'return %GetOptimizationStatus(f);') as Intrinsics['status'],
    };
    // Sanity check on a function of our own: the status must say it is one.
    const probe = () => 0;
    intrinsics = (i.status(probe) & STATUS_IS_FUNCTION) !== 0 ? i : null;
  } catch {
    intrinsics = null;
  }
  return intrinsics;
}

/** Whether the intrinsics work in this process. */
export function tieringAvailable(): boolean {
  return load() !== null;
}

/** Give `fn` its feedback vector now, so its first calls already record type feedback. */
export function prepareForOptimization(fn: (...args: never[]) => unknown): void {
  load()?.prepare(fn);
}

/** Mark `fn` for a concurrent optimizing compile at its next call; false if that is not possible. */
export function optimizeSoon(fn: (...args: never[]) => unknown): boolean {
  const i = load();
  if (i === null) return false;
  try {
    i.optimize(fn);
    return true;
  } catch {
    return false;
  }
}

/** Whether `fn` runs optimized code now (false where that cannot be known). */
export function isOptimized(fn: (...args: never[]) => unknown): boolean {
  const i = load();
  return i !== null && (i.status(fn) & STATUS_OPTIMIZED) !== 0;
}
