/**
 * The control socket's protocol (`vtrace run --control-socket PATH` ↔ `vtrace dash PATH`): JSON
 * lines over a Unix stream socket, server to client only (a client's bytes are read and ignored).
 *
 *   {"type":"hello","protocol":1,"pid":N,"argv":[...],"intervalNs":1000000000}
 *   {"type":"sample","sample":Sample}        one per closed interval (the backlog first)
 *   {"type":"hist","hist":[n0,n1,...]}       the run's log2 latency histogram (µs), after samples
 *   {"type":"state","vm":"running"}          the machine's state, as the TUI's status bar says it
 *   {"type":"end"}                           the run is over; the server closes the connection
 *
 * Contract: a line is at most MAX_LINE bytes; a reader skips lines it cannot parse or does not
 * know (newer servers may add types).
 */
import type { Sample } from '../tui/model/io-stats';

export const PROTOCOL = 1;
export const MAX_LINE = 1 << 20;

export type ControlMessage =
  | { type: 'hello'; protocol: number; pid: number; argv: string[]; intervalNs: number }
  | { type: 'sample'; sample: Sample }
  | { type: 'hist'; hist: number[] }
  | { type: 'state'; vm: string }
  | { type: 'end' };

/** Parse one line; null for anything that is not a known, well-formed message. */
export function parseControlLine(line: string): ControlMessage | null {
  if (line.length === 0 || line.length > MAX_LINE) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as { type?: unknown; [k: string]: unknown };
  switch (m.type) {
    case 'hello':
      return typeof m.protocol === 'number' ? (m as ControlMessage) : null;
    case 'sample':
      return typeof m.sample === 'object' && m.sample !== null && typeof (m.sample as Sample).t === 'number' ? (m as ControlMessage) : null;
    case 'hist':
      return Array.isArray(m.hist) && m.hist.every((x) => typeof x === 'number') ? (m as ControlMessage) : null;
    case 'state':
      return typeof m.vm === 'string' ? (m as ControlMessage) : null;
    case 'end':
      return { type: 'end' };
    default:
      return null;
  }
}

/** Splits a byte stream into lines (a line longer than MAX_LINE is dropped). */
export class LineSplitter {
  private buf = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.onLine(line);
    }
    if (this.buf.length > MAX_LINE) this.buf = '';
  }
}
