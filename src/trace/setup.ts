/**
 * Turning tracing on for a run (the emulator thread calls startTracing once, before the machine is
 * built): enables the -trace specs, attaches the tracepoints to the subsystems' hooks, opens the
 * log backend on -D FILE (or stderr), starts the recording (--trace-out FILE.vtr), and — when an
 * enabled event happens on other threads (syscall_*, worker_thread_*, or anything while recording)
 * — makes every pool worker load worker-init.ts, which does the same on that thread (appending to
 * the same log, recording into its own ring). An iothread records when its creator adds
 * `tracingThreadModule()` to its modules.
 *
 * Log vs recording: with --trace-out and no -D, events go to the recording only (stderr stays
 * quiet, as QEMU's simple backend writes only its trace file); with both, to both. With
 * --trace-out and no enabling -trace pattern, every event is recorded (`-trace '*'`).
 */
import * as path from 'node:path';
import { applyTraceSpecs, onTraceStateChange, tracepointsMatching, type TraceSpec } from './control';
import { LogBackend } from './log-backend';
import { installUtilHooks } from './attach-util';
import { installVirtioHooks } from './attach-virtio';
import { installBlockHooks } from './attach-block';
import { installHostHooks } from './attach-host';
import { attachMachineTracing, installCpuHooks } from './attach-machine';
import { attachBacktraceMachine, updateBacktraceRecording } from './backtrace';
import { startRecording, summaryLines, type Recording } from './recording';
import type { WriterSummary } from './recorder-writer';
import { threadPoolAddModule } from '../util/thread-pool';
import { setThreadName } from '../host/thread-id';

/** What the command line asked for (-trace, -D, -d trace:, -msg timestamp=, --trace-out). Serializable. */
export interface TraceConfig {
  specs: TraceSpec[];
  /** -D FILE; undefined → stderr. */
  logFile?: string;
  /** -msg timestamp=on. */
  timestamp: boolean;
  /** --trace-out FILE.vtr: record enabled events to FILE. */
  traceOut?: string;
  /** --trace-buffer SIZE: ring bytes per thread. */
  traceBuffer?: number;
  /** Do not print the recording's summary line (lost events and errors are still printed). */
  quietRecording?: boolean;
}

/** Environment variable that hands the config to pool workers (they inherit the emulator thread's env). */
export const WORKER_ENV = 'VTRACE_TRACE_CONFIG';

/** Events that fire on pool workers. */
const WORKER_EVENTS = ['syscall_*', 'worker_thread_*'];

export interface TracingSession {
  flush(): void;
  /** Finish the log and the recording; idempotent. Returns the recording's summary, if any. */
  close(): WriterSummary | undefined;
  /** Attach the machine-level tracepoints (vCPU slices, MMIO) once the board exists. */
  attachMachine(machine: Parameters<typeof attachMachineTracing>[0]): void;
}

/** Does this configuration need a tracing session at all? */
export function traceSessionNeeded(cfg: Pick<TraceConfig, 'specs' | 'logFile' | 'traceOut'>): boolean {
  return cfg.specs.length > 0 || cfg.logFile !== undefined || cfg.traceOut !== undefined;
}

function installAll(): void {
  installUtilHooks();
  installVirtioHooks();
  installBlockHooks();
  installHostHooks();
  installCpuHooks();
  updateBacktraceRecording(); // backtrace_*: arms link recording on this thread while they are on
}

/** The module a thread loads to trace like the emulator thread (pool workers, iothreads). */
export function tracingThreadModule(): string {
  return path.join(__dirname, `worker-init${path.extname(__filename)}`);
}

let hooked = false;

export interface StartOptions {
  /** Start a fresh -D file (the first thread to open it). Default true. */
  truncate?: boolean;
  /** This thread starts the recording (the emulator thread); others join it. Default: truncate. */
  startsRecording?: boolean;
}

/** Enable, attach, open the log, start the recording. */
export function startTracing(cfg: TraceConfig, options: StartOptions | boolean = {}): TracingSession {
  const o: StartOptions = typeof options === 'boolean' ? { truncate: options } : options;
  const truncate = o.truncate ?? true;
  const starts = o.startsRecording ?? truncate;
  if (!hooked) {
    onTraceStateChange(installAll);
    hooked = true;
  }
  const specs = cfg.traceOut !== undefined && !cfg.specs.some((s) => s.enable) ? [{ pattern: '*', enable: true }, ...cfg.specs] : cfg.specs;
  applyTraceSpecs(specs);
  const log = cfg.logFile !== undefined || cfg.traceOut === undefined ? new LogBackend({ file: cfg.logFile, timestamp: cfg.timestamp, truncate }) : null;
  let recording: Recording | null = null;
  if (starts && cfg.traceOut !== undefined) {
    setThreadName('emulator');
    recording = startRecording({ file: cfg.traceOut, ringBytes: cfg.traceBuffer, threadName: 'emulator', threadKind: 'emulator' });
  }
  const workerSide = WORKER_EVENTS.some((p) => tracepointsMatching(p).some((tp) => tp.on));
  // Iothreads find the config here whenever tracing is on (their creator loads tracingThreadModule);
  // pool workers load it only when events happen on them.
  if (starts && specs.some((s) => s.enable)) process.env[WORKER_ENV] = JSON.stringify({ ...cfg, specs });
  if (starts && (workerSide || recording !== null)) threadPoolAddModule(tracingThreadModule());
  let summary: WriterSummary | undefined;
  let closed = false;
  const session: TracingSession = {
    flush: () => log?.flush(),
    close() {
      if (closed) return summary;
      closed = true;
      log?.close();
      if (recording !== null) {
        summary = recording.close();
        const lines = summaryLines(summary);
        const show = cfg.quietRecording ? lines.slice(1) : lines;
        if (show.length > 0) process.stderr.write(show.join('\n') + '\n');
      }
      return summary;
    },
    attachMachine: (machine) => {
      attachMachineTracing(machine);
      attachBacktraceMachine(machine);
    },
  };
  if (recording !== null) process.on('exit', () => session.close());
  return session;
}
