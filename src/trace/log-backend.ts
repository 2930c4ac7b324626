/**
 * QEMU's "log" trace backend (scripts/tracetool/backend/log.py, QEMU 7.2): each enabled event is one
 * line written with qemu_log to the -D file, or stderr without -D:
 *
 *   name args-formatted-by-the-format-string                  (default)
 *   TID@SECONDS.USECONDS:name args...                          (-msg timestamp=on)
 *
 * TID is qemu_get_thread_id() of the emitting thread (the pid on the main thread), the time is
 * gettimeofday() (wall clock), µs zero-padded to 6 digits. Lines are buffered per thread and
 * written with O_APPEND (one write(2) of whole lines), so every thread — the emulator thread and
 * pool workers alike — appends to the same file without interleaving inside a line. Ordering:
 * per thread, in emission order; across threads, by flush.
 */
import * as fs from 'node:fs';
import { cFormat, unescapeC } from './format';
import { addTraceSink, type AnyTracepoint, type TraceEvent } from './tracepoint';
import { realtimeOffsetNs } from '../host/record';

export interface LogBackendOptions {
  /** -D FILE; undefined → stderr. */
  file?: string;
  /** -msg timestamp=on: the TID@sec.usec: prefix. */
  timestamp: boolean;
  /** Truncate the file first (QEMU opens -D with "w"; workers append). Default false. */
  truncate?: boolean;
}

/** The line QEMU's log backend prints for an event (without the newline). */
export function formatLogLine(ev: TraceEvent, tp: AnyTracepoint, timestamp: boolean, realtimeOffset = 0n): string {
  const body = `${ev.name} ${cFormat(unescapeC(tp.info.format), ev.args)}`;
  if (!timestamp) return body;
  const wallNs = ev.ns + realtimeOffset;
  const sec = wallNs / 1_000_000_000n;
  const usec = (wallNs % 1_000_000_000n) / 1000n;
  return `${ev.tid}@${sec}.${usec.toString().padStart(6, '0')}:${body}`;
}

const FLUSH_BYTES = 64 * 1024;

export class LogBackend {
  private fd: number;
  private buf: string[] = [];
  private bytes = 0;
  private readonly offset: bigint;
  private readonly remove: () => void;

  constructor(readonly opts: LogBackendOptions) {
    this.fd = opts.file === undefined ? 2 : fs.openSync(opts.file, opts.truncate ? 'w' : 'a');
    if (opts.file !== undefined && opts.truncate) {
      fs.closeSync(this.fd);
      this.fd = fs.openSync(opts.file, 'a');
    }
    this.offset = opts.timestamp ? realtimeOffsetNs() : 0n;
    this.remove = addTraceSink((ev, tp) => this.write(formatLogLine(ev, tp, opts.timestamp, this.offset)));
  }

  write(line: string): void {
    this.buf.push(line);
    this.bytes += line.length + 1;
    if (this.bytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.bytes = 0;
    fs.writeSync(this.fd, text);
  }

  close(): void {
    this.flush();
    this.remove();
    if (this.fd !== 2) fs.closeSync(this.fd);
    this.fd = 2;
  }
}
