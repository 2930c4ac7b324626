/**
 * QEMU's tracing and logging options (qemu-options.hx, trace/control.c, util/log.c), parsed into a
 * TraceOptions:
 *
 *   -trace [enable=]PATTERN   enable events matching a glob (repeatable; `-PATTERN` disables)
 *   -trace events=FILE        patterns from FILE, one per line (`-` disables, `#` comments)
 *   -trace file=FILE          QEMU's simple backend's output file: vtrace has the log backend
 *                             only, so it is taken as -D FILE (with a note)
 *   -trace help               list every event and exit 0
 *   -D FILE                   log (trace lines) to FILE instead of stderr
 *   -d trace:PATTERN[,...]    as -trace PATTERN; other -d items are refused with a reason
 *   -msg timestamp=on|off     prefix each trace line with TID@SECONDS.USECONDS: (QEMU 7.2)
 *   --trace-out FILE.vtr      record the enabled events (all of them when no -trace enables any)
 *                             to a .vtr recording (docs/vtr-format.md); no log lines unless -D
 *   --trace-buffer SIZE       per-thread recording buffer (default 4M; K/M/G suffixes)
 *
 * Errors are TraceOptionError (one line; the caller turns it into its CLI error).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseEventsFile, type TraceSpec } from './control';

export class TraceOptionError extends Error {}

export interface TraceOptions {
  specs: TraceSpec[];
  logFile?: string;
  timestamp: boolean;
  /** -trace help was given. */
  help: boolean;
  /** --trace-out FILE.vtr */
  traceOut?: string;
  /** --trace-buffer SIZE, bytes. */
  traceBuffer?: number;
  /** Set by `vtrace strace -- ...` (its recording is internal): no summary line at the end. */
  quietRecording?: boolean;
  notes: string[];
}

export function defaultTraceOptions(): TraceOptions {
  return { specs: [], timestamp: false, help: false, notes: [] };
}

/** Is tracing asked for at all (any enabled spec)? */
export function tracingRequested(t: TraceOptions): boolean {
  return t.specs.some((s) => s.enable);
}

function pushPattern(t: TraceOptions, pattern: string): void {
  if (pattern === '') throw new TraceOptionError('empty trace event pattern');
  t.specs.push(pattern.startsWith('-') ? { pattern: pattern.slice(1), enable: false } : { pattern, enable: true });
}

/** -trace VALUE (QEMU's keyval: the implied key is `enable`; `,,` escapes a comma). */
export function parseTraceOption(value: string, t: TraceOptions, kv: Map<string, string>): void {
  for (const [k, v] of kv) {
    switch (k) {
      case 'enable':
        if (v === 'help') t.help = true;
        else pushPattern(t, v);
        break;
      case 'events': {
        let text: string;
        try {
          text = fs.readFileSync(v, 'utf8');
        } catch (e) {
          throw new TraceOptionError(`events=${v}: cannot read the events file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        t.specs.push(...parseEventsFile(text));
        break;
      }
      case 'file':
        t.logFile = v;
        t.notes.push(`-trace file=${v}: vtrace has QEMU's log backend only; trace lines go to ${v} as with -D ${v}`);
        break;
      default:
        throw new TraceOptionError(`Invalid parameter '${k}'`);
    }
  }
}

/** What -d items vtrace does not log yet, with the reason. */
const D_UNSUPPORTED: Record<string, string> = {
  guest_errors: 'guest error logging is not routed to -D yet',
  in_asm: 'per-block guest code logging is not supported (VTRACE_JIT_DUMP=DIR writes the compiled regions; plugins/execlog.js logs executed instructions)',
  out_asm: 'vtrace compiles to JavaScript, not host code (VTRACE_JIT_DUMP=DIR writes it)',
  op: 'vtrace has no TCG ops to log',
  exec: 'per-block execution logging is not supported (use --plugin execlog)',
  cpu: 'CPU state logging is not supported yet',
  unimp: 'unimplemented-feature logging is not routed to -D yet',
  mmu: 'MMU logging is not supported yet',
  pcall: 'not supported',
  strace: 'not supported (use vtrace strace)',
  page: 'not supported',
  nochain: 'vtrace has no TB chaining to turn off',
};

/** -d ITEM[,ITEM...]: `trace:PATTERN`, and `int` (interrupts and exceptions: the riscv_trap tracepoint). */
export function parseDebugOption(value: string, t: TraceOptions): void {
  for (const item of value.split(',')) {
    if (item.startsWith('trace:')) pushPattern(t, item.slice('trace:'.length));
    else if (item === 'int') pushPattern(t, 'riscv_trap');
    else if (item === 'help') throw new TraceOptionError('vtrace logs trace:PATTERN and int items only');
    else if (item in D_UNSUPPORTED) throw new TraceOptionError(`item '${item}': ${D_UNSUPPORTED[item]} (vtrace supports -d trace:PATTERN and -d int)`);
    else throw new TraceOptionError(`unknown log item '${item}' (vtrace supports -d trace:PATTERN and -d int)`);
  }
}

/** -msg timestamp=on|off[,guest-name=on|off] */
export function parseMsgOption(kv: Map<string, string>, t: TraceOptions): void {
  for (const [k, v] of kv) {
    if (k !== 'timestamp' && k !== 'guest-name') throw new TraceOptionError(`Invalid parameter '${k}'`);
    if (v !== 'on' && v !== 'off') throw new TraceOptionError(`parameter '${k}' expects 'on' or 'off'`);
    if (k === 'timestamp') t.timestamp = v === 'on';
  }
}

/** --trace-out FILE: the file must be creatable (checked now, so a typo is one line, not a crash later). */
export function parseTraceOutOption(file: string, t: TraceOptions): void {
  if (file === '') throw new TraceOptionError('a file name is required');
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw new TraceOptionError(`${file} is a directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceOptionError(`cannot create ${file}: ${code === 'ENOENT' ? `no directory ${dir}` : `${dir} is not writable`}`);
  }
  t.traceOut = file;
}

const MIN_BUFFER = 64 * 1024;
const MAX_BUFFER = 1024 * 1024 * 1024;

/** --trace-buffer SIZE: bytes with an optional K/M/G suffix (binary units). */
export function parseTraceBufferOption(value: string, t: TraceOptions): void {
  const m = /^(\d+)([kKmMgG]?)[bB]?$/.exec(value.trim());
  if (m === null) throw new TraceOptionError(`invalid size '${value}' (e.g. 4M)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * unit;
  if (n < MIN_BUFFER || n > MAX_BUFFER) throw new TraceOptionError(`the buffer must be between 64K and 1G, got ${value}`);
  t.traceBuffer = n;
}
