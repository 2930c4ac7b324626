/**
 * The strace view of a recording: syscall_entry/syscall_exit events back into SyscallRecords
 * (src/host/record.ts), printed with strace's own formatting (src/host/strace-format.ts) and its
 * -c table (src/host/strace-summary.ts). Shared by `vtrace strace FILE.vtr` and the live
 * `vtrace strace -- <run arguments>`; feed events in time order, then finish().
 *
 * What a recording gives strace's options:
 * - -f: `[pid TID]` (to a terminal/stderr) or `TID ` (-o FILE) before every line, as strace 6.1.
 *   Without -f the lines carry no prefix (a recording only holds vtrace's I/O threads).
 * - -t/-tt/-ttt: the call's start (syscall_entry's time) + the header's realtime offset.
 * - -T: the duration measured around the call. -y: the fd's path from the record, else followed
 *   through openat/close (FdPathTable). -e trace=NAME,... (or !NAME,...) selects calls.
 * - Buffers keep strace's default -s 32: the recording stored them formatted.
 * - -k: a StraceBacktraceProvider (backtraces) sees every event (observe) and may add lines after
 *   each syscall's line (backtrace); without one, -k is refused by the CLI.
 */
import { FdPathTable, formatStraceLine, type PidPrefixStyle } from '../host/strace-format';
import { formatSummary } from '../host/strace-summary';
import type { SyscallName, SyscallRecord } from '../host/record';
import { arg, type RecEvent } from './vtr-reader';

export interface StraceViewOptions {
  /** -f */
  follow: boolean;
  /** -t / -tt / -ttt */
  time?: 't' | 'tt' | 'ttt';
  /** -T */
  durations: boolean;
  /** -y */
  fdPaths: boolean;
  /** -c: the summary table only; -C: lines and the table. */
  summary: 'none' | 'only' | 'also';
  /** -e trace=: the names to show (null: all), negated with `!`. */
  trace: { names: Set<string>; negate: boolean } | null;
  /** -o FILE changes the -f prefix style, as in strace. */
  toFile: boolean;
  backtrace?: StraceBacktraceProvider;
}

/** What -k plugs in (see the header). */
export interface StraceBacktraceProvider {
  /** Every event, in time order, before the syscall line it may explain. */
  observe?(ev: RecEvent): void;
  /** Lines (no trailing newline) to print after `rec`'s line, or undefined. */
  backtrace(rec: SyscallRecord, exit: RecEvent): string | undefined;
}

/** Parse strace's -e expression: `trace=a,b`, `t=a,b`, `a,b`, `trace=!a`, `trace=all`. */
export function parseTraceExpr(expr: string): StraceViewOptions['trace'] {
  let v = expr;
  const m = /^(trace|t)=(.*)$/.exec(expr);
  if (m !== null) v = m[2];
  else if (/^\w+=/.test(expr)) throw new Error(`-e ${expr}: only trace= is supported`);
  const negate = v.startsWith('!');
  if (negate) v = v.slice(1);
  if (v === 'all' || v === '') return negate ? { names: new Set(), negate: false } : null;
  return { names: new Set(v.split(',').filter((s) => s !== '')), negate };
}

interface SummaryRow {
  name: SyscallName;
  ret: number;
  durationNs: number;
}

export class StraceView {
  private readonly fdTable = new FdPathTable();
  private readonly entries = new Map<number, number>();
  private readonly summaryRows: SummaryRow[] = [];
  private readonly pid: PidPrefixStyle;
  private readonly realtimeOffset: bigint;

  constructor(
    private readonly opts: StraceViewOptions,
    header: { realtimeOffsetNs: string; cwd: string },
    private readonly out: (text: string) => void,
  ) {
    this.pid = opts.follow ? (opts.toFile ? 'column' : 'bracket') : 'none';
    this.realtimeOffset = BigInt(header.realtimeOffsetNs);
    this.cwd = header.cwd;
  }
  private readonly cwd: string;

  private selected(name: string): boolean {
    const t = this.opts.trace;
    if (t === null) return true;
    return t.names.has(name) !== t.negate;
  }

  /** The SyscallRecord a syscall_exit event stands for. */
  recordOf(ev: RecEvent): SyscallRecord {
    const tid = Number(arg(ev, 'tid'));
    const name = String(arg(ev, 'name')) as SyscallName;
    const argText = String(arg(ev, 'args') ?? '');
    const comma = argText.indexOf(', ');
    const args = comma < 0 ? [argText] : [argText.slice(0, comma), argText.slice(comma + 2)];
    const durationNs = Number(arg(ev, 'duration_ns') ?? 0);
    const ret = Number(arg(ev, 'retval') ?? 0);
    const fd = Number(arg(ev, 'fd') ?? -1);
    const path = String(arg(ev, 'path') ?? '');
    const entry = this.entries.get(tid);
    const startNs = BigInt(Math.round(entry ?? ev.ns - durationNs));
    const raw = name === 'openat' ? { dirfd: -100, path: '', flags: 0, mode: 0, cwd: this.cwd } : { fd };
    return {
      name,
      args,
      ret,
      tid,
      threadName: ev.thread.name,
      startNs,
      durationNs,
      fd: fd >= 0 ? fd : undefined,
      path: path === '' ? undefined : path,
      raw,
    } as SyscallRecord;
  }

  feed(ev: RecEvent): void {
    this.opts.backtrace?.observe?.(ev);
    if (ev.name === 'syscall_entry') {
      this.entries.set(Number(arg(ev, 'tid')), ev.ns);
      return;
    }
    if (ev.name !== 'syscall_exit') return;
    const rec = this.recordOf(ev);
    this.entries.delete(rec.tid);
    const show = this.selected(rec.name);
    if (show && this.opts.summary !== 'none') this.summaryRows.push({ name: rec.name, ret: rec.ret, durationNs: rec.durationNs });
    if (show && this.opts.summary !== 'only') {
      let line = formatStraceLine(rec, {
        pid: this.pid,
        time: this.opts.time,
        realtimeOffsetNs: this.realtimeOffset,
        T: this.opts.durations,
        y: this.opts.fdPaths,
        fdPaths: this.fdTable,
      });
      const bt = this.opts.backtrace?.backtrace(rec, ev);
      if (bt !== undefined) line += `\n${bt}`;
      this.out(line + '\n');
    }
    this.fdTable.observe(rec);
  }

  /** -c/-C: print the table. */
  finish(): void {
    if (this.opts.summary === 'none') return;
    this.out(formatSummary(this.summaryRows as unknown as SyscallRecord[]));
  }
}
