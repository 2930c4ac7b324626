/**
 * Asking V8 to optimize a function now, for the few hot functions whose first optimization would
 * otherwise land in the middle of the work they are for (the interpreter loop: target/riscv/
 * warmup.ts). V8 offers no API for it; its `%OptimizeFunctionOnNextCall(f, "concurrent")`
 * intrinsic does it, once `--allow-natives-syntax` is on (set here at run time, for this process).
 * The compile runs on a V8 background thread and starts at the function's next call.
 *
 * Best effort: where the intrinsic is unavailable (another engine, a V8 that changed it) nothing
 * happens and V8's own tiering optimizes the function later, as it would have anyway.
 */
import { setFlagsFromString } from 'node:v8';

let request: ((f: unknown) => void) | null | undefined;

/** Mark `fn` for a concurrent optimizing compile at its next call; false if that is not possible. */
export function optimizeSoon(fn: (...args: never[]) => unknown): boolean {
  if (request === undefined) {
    try {
      setFlagsFromString('--allow-natives-syntax');
      request = new Function('f', '%OptimizeFunctionOnNextCall(f, "concurrent");') as (f: unknown) => void;
    } catch {
      request = null;
    }
  }
  if (request === null) return false;
  try {
    request(fn);
    return true;
  } catch {
    return false;
  }
}
