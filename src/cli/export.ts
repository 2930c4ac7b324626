/**
 * `vtrace export FILE.vtr --format chrome|perfetto -o OUT [--from TIME] [--to TIME] [-trace SPEC]...`
 * Converts a recording (src/trace/export/export.ts). TIME is from the recording's first event:
 * a number with an optional unit ns, us, ms or s (default s). -trace takes QEMU's patterns
 * (PATTERN, -PATTERN, events=FILE). Errors are one line (CliError).
 */
import { CliError } from './qemu-options';
import { parseKeyValues } from './qemu-options';
import { openRecording, VtrError } from '../trace/vtr-reader';
import { exportRecording, type ExportFormat } from '../trace/export/export';
import { defaultTraceOptions, parseTraceOption, TraceOptionError } from '../trace/cli-options';
import type { TraceSpec } from '../trace/control';

export interface ExportArgs {
  file: string;
  format: ExportFormat;
  out: string;
  fromNs?: number;
  toNs?: number;
  filters: TraceSpec[];
  quiet: boolean;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, '': 1e9 };

/** "1.5", "200ms", "10us" → ns. */
export function parseTime(text: string, opt: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)?$/.exec(text.trim());
  if (m === null) throw new CliError(`export: ${opt} ${text}: expected a time such as 1.5, 200ms, 10us or 500ns`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? '']);
}

export function parseExportArgs(argv: string[]): ExportArgs {
  let file: string | undefined;
  let format: string | undefined;
  let out: string | undefined;
  let fromNs: number | undefined;
  let toNs: number | undefined;
  let quiet = false;
  const trace = defaultTraceOptions();
  for (let i = 0; i < argv.length; i++) {
    let tok = argv[i];
    let value: string | undefined;
    const eq = tok.indexOf('=');
    if (tok.startsWith('--') && eq > 0) {
      value = tok.slice(eq + 1);
      tok = tok.slice(0, eq);
    }
    const need = (): string => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) throw new CliError(`export: option ${tok} requires an argument`);
      return argv[++i];
    };
    switch (tok) {
      case '--format':
      case '-f':
        format = need();
        break;
      case '-o':
      case '--output':
        out = need();
        break;
      case '--from':
        fromNs = parseTime(need(), '--from');
        break;
      case '--to':
        toNs = parseTime(need(), '--to');
        break;
      case '-trace':
      case '--trace': {
        const v = need();
        try {
          parseTraceOption(v, trace, parseKeyValues(v, 'enable'));
        } catch (e) {
          if (e instanceof TraceOptionError) throw new CliError(`export: -trace ${v}: ${e.message}`);
          throw e;
        }
        break;
      }
      case '-q':
      case '--quiet':
        quiet = true;
        break;
      default:
        if (tok.startsWith('-')) throw new CliError(`export: unknown option '${tok}' (see vtrace export --help)`);
        if (file !== undefined) throw new CliError(`export: one recording at a time (got ${file} and ${tok})`);
        file = tok;
    }
  }
  if (file === undefined) throw new CliError('export: give a recording: vtrace export FILE.vtr --format chrome -o OUT.json');
  if (format === undefined) throw new CliError('export: --format chrome|perfetto is required');
  if (format !== 'chrome' && format !== 'perfetto') throw new CliError(`export: unknown format '${format}' (chrome or perfetto)`);
  if (out === undefined) throw new CliError('export: -o OUT is required');
  if (fromNs !== undefined && toNs !== undefined && toNs < fromNs) throw new CliError('export: --to is before --from');
  if (trace.help) throw new CliError('export: -trace help: list the events with vtrace run -trace help');
  return { file, format, out, fromNs, toNs, filters: trace.specs, quiet };
}

export function exportCommand(argv: string[]): number {
  const a = parseExportArgs(argv);
  let rec;
  try {
    rec = openRecording(a.file);
  } catch (e) {
    if (e instanceof VtrError) throw new CliError(e.message);
    throw e;
  }
  try {
    const s = exportRecording(rec, { format: a.format, out: a.out, fromNs: a.fromNs, toNs: a.toNs, filters: a.filters });
    if (!rec.end.complete) process.stderr.write(`vtrace: export: ${a.file}: ${rec.end.reason}; exported what precedes\n`);
    if (!a.quiet) {
      const rate = s.seconds > 0 ? ` (${Math.round(s.events / s.seconds)} events/s)` : '';
      process.stderr.write(`vtrace: export: ${s.events} events → ${s.written} ${a.format === 'chrome' ? 'trace events' : 'packets'}, ${s.flows} request flows in ${a.out}${rate}\n`);
    }
  } catch (e) {
    if (e instanceof VtrError) throw new CliError(e.message);
    const err = e as NodeJS.ErrnoException;
    if (err.code !== undefined && err.syscall !== undefined) throw new CliError(`export: ${a.out}: ${err.code} (${err.syscall})`);
    throw e;
  } finally {
    rec.close();
  }
  return 0;
}
