/**
 * Reading recorded events: arguments by name, numbers out of FormatValues, object ids out of the
 * pointer-shaped `void *` values (src/trace/ptr.ts: 0xKK00NNNN → NNNN).
 *
 * Contract: pure and total — a missing or mistyped argument reads as undefined / NaN-free
 * defaults, never a throw (a recording from another version may differ).
 */
import type { RecEvent } from '../../trace/vtr-reader';
import type { FormatValue } from '../../trace/format';

export function argOf(ev: RecEvent, name: string): FormatValue {
  const i = ev.info.argNames.indexOf(name);
  return i < 0 ? undefined : ev.args[i];
}

export function num(v: FormatValue, dflt = 0): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : dflt;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return dflt;
}

export function str(v: FormatValue): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v);
}

/** The object id inside a pointer-shaped value. */
export function objId(v: FormatValue): number {
  return num(v) % 0x1000000;
}

export function numArg(ev: RecEvent, name: string, dflt = 0): number {
  return num(argOf(ev, name), dflt);
}

export function strArg(ev: RecEvent, name: string): string {
  return str(argOf(ev, name));
}
