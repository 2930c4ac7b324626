/**
 * `vtrace strace [options] FILE.vtr` — the syscall records of a recording, printed as strace prints
 * them — and `vtrace strace [options] -- <run arguments>`, which runs the machine (as `vtrace run`)
 * recording its syscalls and prints them as they happen (on stderr, or -o FILE; the guest console
 * keeps stdout).
 *
 * Options (strace's): -f, -t, -tt, -ttt, -T, -y, -c, -C, -e trace=NAME[,NAME...] (or !NAME...),
 * -o FILE, -k; short flags combine (-fT, -ftt). -k needs a backtrace provider
 * (setStraceBacktraceSupport, installed by src/trace/backtrace); without one it is refused.
 * Bad arguments and bad recordings end with one line on stderr and a non-zero exit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliError, parseQemuArgs } from './qemu-options';
import { runCommand } from './run';
import { openRecording, VtrError, type RecEvent } from '../trace/vtr-reader';
import { VtrTail } from '../trace/vtr-tail';
import { parseTraceExpr, StraceView, type StraceBacktraceProvider, type StraceViewOptions } from '../trace/strace-view';
import type { VtrHeader } from '../trace/vtr-format';
import { straceBacktraceSupport } from '../trace/backtrace/strace-k';

/** What -k needs: the events a live run must record, and a provider per recording. */
export interface StraceBacktraceSupport {
  /** -trace patterns a live run enables besides syscall_* (e.g. 'backtrace_*'). */
  liveTraceSpecs: string[];
  create(header: VtrHeader): StraceBacktraceProvider;
}

let backtraceSupport: StraceBacktraceSupport | null = straceBacktraceSupport;

/** Installed by the backtraces module; `-k` is refused while none is set. */
export function setStraceBacktraceSupport(s: StraceBacktraceSupport | null): void {
  backtraceSupport = s;
}

export interface StraceArgs {
  view: Omit<StraceViewOptions, 'backtrace' | 'toFile'>;
  output?: string;
  stack: boolean;
  /** The recording to read, or the run arguments after `--`. */
  file?: string;
  run?: string[];
}

/** Parse strace-style arguments. Throws CliError. */
export function parseStraceArgs(argv: string[]): StraceArgs {
  const a: StraceArgs = { view: { follow: false, durations: false, fdPaths: false, summary: 'none', trace: null }, stack: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      a.run = argv.slice(i + 1);
      break;
    }
    if (!tok.startsWith('-') || tok === '-') {
      positional.push(tok);
      continue;
    }
    const need = (opt: string): string => {
      if (i + 1 >= argv.length) throw new CliError(`strace: option -${opt} requires an argument`);
      return argv[++i];
    };
    const letters = tok.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const c = letters[j];
      const rest = letters.slice(j + 1);
      switch (c) {
        case 'f': a.view.follow = true; break;
        case 't': a.view.time = a.view.time === undefined ? 't' : a.view.time === 't' ? 'tt' : 'ttt'; break;
        case 'T': a.view.durations = true; break;
        case 'y': a.view.fdPaths = true; break;
        case 'c': a.view.summary = 'only'; break;
        case 'C': a.view.summary = 'also'; break;
        case 'k': a.stack = true; break;
        case 'q': break; // no attach/detach messages to silence
        case 'o':
        case 'e': {
          const v = rest !== '' ? rest : need(c);
          if (c === 'o') a.output = v;
          else {
            try {
              a.view.trace = parseTraceExpr(v);
            } catch (e) {
              throw new CliError(`strace: ${(e as Error).message}`);
            }
          }
          j = letters.length;
          break;
        }
        case 's':
          throw new CliError('strace: -s: recordings keep buffers as strace shows them by default (32 bytes); -s cannot change that');
        default:
          throw new CliError(`strace: unknown option -${c} (supported: -f -t -tt -ttt -T -y -c -C -e trace=... -o FILE -k)`);
      }
    }
  }
  if (a.run !== undefined) {
    if (positional.length > 0) throw new CliError(`strace: unexpected argument '${positional[0]}' before --`);
    if (a.run.length === 0) throw new CliError('strace: nothing to run after -- (give vtrace run arguments, e.g. -- -kernel Image)');
  } else if (positional.length !== 1) {
    throw new CliError(positional.length === 0 ? 'strace: give a recording (FILE.vtr) or -- <run arguments>' : `strace: one recording at a time (got ${positional.join(' ')})`);
  } else a.file = positional[0];
  if (a.stack && backtraceSupport === null) throw new CliError('strace: -k: stitched backtraces are not available in this build');
  return a;
}

function openOutput(file: string | undefined): { write: (s: string) => void; close: () => void } {
  if (file === undefined) return { write: (s) => process.stderr.write(s), close: () => {} };
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (e) {
    throw new CliError(`strace: -o ${file}: ${(e as NodeJS.ErrnoException).code ?? ''} cannot write`);
  }
  let buf = '';
  return {
    write(s) {
      buf += s;
      if (buf.length > 65536) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    },
    close() {
      fs.writeSync(fd, buf);
      fs.closeSync(fd);
    },
  };
}

function makeView(a: StraceArgs, header: VtrHeader, write: (s: string) => void): StraceView {
  const backtrace = a.stack && backtraceSupport !== null ? backtraceSupport.create(header) : undefined;
  return new StraceView({ ...a.view, toFile: a.output !== undefined, backtrace }, header, write);
}

/** `vtrace strace FILE.vtr`. */
function straceFile(a: StraceArgs): number {
  let rec;
  try {
    rec = openRecording(a.file!);
  } catch (e) {
    if (e instanceof VtrError) throw new CliError(e.message);
    throw e;
  }
  const out = openOutput(a.output);
  try {
    const view = makeView(a, rec.header, out.write);
    const names = new Set(['syscall_entry', 'syscall_exit']);
    for (const ev of rec.events(a.stack ? {} : { names: (n) => names.has(n) })) view.feed(ev);
    view.finish();
    if (!rec.header.enabled.includes('syscall_exit')) process.stderr.write(`vtrace: strace: ${a.file}: syscall_exit was not recorded (record with -trace 'syscall_*')\n`);
    if (!rec.end.complete) process.stderr.write(`vtrace: strace: ${a.file}: ${rec.end.reason}\n`);
    if (rec.lost.total > 0) process.stderr.write(`vtrace: strace: ${a.file}: ${rec.lost.total} events were lost while recording\n`);
  } catch (e) {
    if (e instanceof VtrError) throw new CliError(e.message);
    throw e;
  } finally {
    out.close();
    rec.close();
  }
  return 0;
}

/** How long a live record may wait for an earlier one of another thread before it is printed. */
const REORDER_NS = 150_000_000;

/** `vtrace strace -- <run arguments>`. */
async function straceLive(a: StraceArgs): Promise<number> {
  const opts = parseQemuArgs(a.run!);
  if (opts.trace.help) throw new CliError('strace: -trace help lists events; use vtrace run -trace help');
  let tmp: string | undefined;
  if (opts.trace.traceOut === undefined) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-strace-'));
    opts.trace.traceOut = path.join(tmp, 'live.vtr');
    opts.trace.quietRecording = true;
  }
  for (const p of ['syscall_*', ...(a.stack ? backtraceSupport!.liveTraceSpecs : [])]) opts.trace.specs.push({ pattern: p, enable: true });
  const out = openOutput(a.output);
  const tail = new VtrTail(opts.trace.traceOut);
  let view: StraceView | null = null;
  const pending: RecEvent[] = [];
  const pump = (final: boolean): void => {
    const evs = tail.poll();
    if (tail.header !== null && view === null) view = makeView(a, tail.header, out.write);
    pending.push(...evs);
    if (view === null || pending.length === 0) return;
    pending.sort((x, y) => x.ns - y.ns);
    const horizon = final ? Infinity : Math.max(...pending.map((e) => e.ns)) - REORDER_NS;
    let n = 0;
    while (n < pending.length && pending[n].ns <= horizon) view.feed(pending[n++]);
    pending.splice(0, n);
  };
  const timer = setInterval(() => pump(false), 50);
  let code: number;
  try {
    code = await runCommand(opts);
  } finally {
    clearInterval(timer);
  }
  pump(true);
  (view as StraceView | null)?.finish();
  out.close();
  tail.close();
  if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  return code;
}

export async function straceCommand(argv: string[]): Promise<number> {
  const a = parseStraceArgs(argv);
  return a.run !== undefined ? straceLive(a) : straceFile(a);
}
