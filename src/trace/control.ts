/**
 * Which tracepoints are on: QEMU's -trace semantics (trace/control.c). A pattern is a glob
 * (`*` any run, `?` one character: g_pattern_match_simple); a `-` prefix disables. Specs apply in
 * command-line order, so `-trace 'virtio_*' -trace events=F` with `-virtio_mmio_*` in F ends with
 * the virtio_mmio events off. Events files hold one pattern per line; `#` starts a comment.
 * Per thread: this changes this thread's tracepoints and notifies this thread's listeners (the
 * attach layer installs or clears hooks).
 */
import { allTracepoints } from './generated/tracepoints';
import type { AnyTracepoint } from './tracepoint';

export interface TraceSpec {
  pattern: string;
  enable: boolean;
}

/** Glob match as GLib's g_pattern_match_simple: `*` and `?`, nothing else special. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(name);
}

/** One line of an events file or one -trace pattern → spec (null for blank/comment lines). */
export function parseSpecLine(line: string): TraceSpec | null {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return null;
  return t.startsWith('-') ? { pattern: t.slice(1), enable: false } : { pattern: t, enable: true };
}

/** An events file's text → specs, in order. */
export function parseEventsFile(text: string): TraceSpec[] {
  return text.split('\n').map(parseSpecLine).filter((s): s is TraceSpec => s !== null);
}

export function tracepointsMatching(pattern: string): AnyTracepoint[] {
  return (allTracepoints as readonly AnyTracepoint[]).filter((tp) => globMatch(pattern, tp.name));
}

const listeners: Array<() => void> = [];

/** Called after every change of the enabled set (this thread). */
export function onTraceStateChange(fn: () => void): void {
  listeners.push(fn);
}

/** Apply specs in order; returns the patterns that matched no event (QEMU warns about those). */
export function applyTraceSpecs(specs: readonly TraceSpec[]): string[] {
  const unmatched: string[] = [];
  for (const s of specs) {
    const tps = tracepointsMatching(s.pattern);
    if (tps.length === 0) unmatched.push(s.pattern);
    for (const tp of tps) tp.on = s.enable;
  }
  for (const fn of listeners) fn();
  return unmatched;
}

/** Turn every tracepoint off (tests; detaching). */
export function disableAllTracepoints(): void {
  for (const tp of allTracepoints as readonly AnyTracepoint[]) tp.on = false;
  for (const fn of listeners) fn();
}

/** `-trace help`: QEMU prints "Possible trace events:" isn't used by 7.2; it lists one name per line. */
export function traceHelpText(): string {
  return (allTracepoints as readonly AnyTracepoint[]).map((tp) => tp.name).join('\n') + '\n';
}
