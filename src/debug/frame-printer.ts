/**
 * How a thread with the console's printer shows the arguments of its live frames (live-frames.ts
 * evaluates `globalThis.__vtraceFrameArgs([param, ...])` in each paused frame): objects as the
 * pointer-shaped ids tracepoints print, with gdb's note (`0x21000002 <hd0>`), buffers by size,
 * numbers and strings as `print` shows them.
 *
 * Contract: install on the thread whose frames are read (the emulator thread, iothreads). The
 * printer runs inside a paused frame: it must not throw and reads state quietly (no read
 * watchpoint fires because the debugger looked).
 */
import { FRAME_ARGS_GLOBAL } from './frame-args';
import { quietly } from './taps';
import { formatValue, pointerText } from './values';

/** One argument value as a frame line shows it. */
export function formatArg(v: unknown): string {
  try {
    if (v !== null && typeof v === 'object') {
      if (ArrayBuffer.isView(v)) return `<${v.constructor.name} of ${v.byteLength} bytes>`;
      if (Array.isArray(v)) return `<array of ${v.length}>`;
      if (v instanceof Map || v instanceof Set) return `<${v.constructor.name} of ${v.size}>`;
      return pointerText(v);
    }
    return formatValue(v, {}, 1);
  } catch (e) {
    return `<error: ${e instanceof Error ? e.message : String(e)}>`;
  }
}

export function installFramePrinter(): void {
  (globalThis as Record<string, unknown>)[FRAME_ARGS_GLOBAL] = (values: unknown[]) => quietly(() => values.map(formatArg));
}
