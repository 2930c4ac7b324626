/**
 * Turning tracing on for a run (the emulator thread calls startTracing once, before the machine is
 * built): enables the -trace specs, attaches the tracepoints to the subsystems' hooks, opens the
 * log backend on -D FILE (or stderr), and — when an enabled event happens on pool workers
 * (syscall_*, worker_thread_job_*) — makes every pool worker load worker-init.ts, which does the
 * same on that thread and appends to the same file.
 */
import * as path from 'node:path';
import { applyTraceSpecs, onTraceStateChange, type TraceSpec } from './control';
import { LogBackend } from './log-backend';
import { installUtilHooks } from './attach-util';
import { installVirtioHooks } from './attach-virtio';
import { installBlockHooks } from './attach-block';
import { installHostHooks } from './attach-host';
import { threadPoolAddModule } from '../util/thread-pool';
import { tracepointsMatching } from './control';

/** What the command line asked for (-trace, -D, -d trace:, -msg timestamp=). Serializable. */
export interface TraceConfig {
  specs: TraceSpec[];
  /** -D FILE; undefined → stderr. */
  logFile?: string;
  /** -msg timestamp=on. */
  timestamp: boolean;
}

/** Environment variable that hands the config to pool workers (they inherit the emulator thread's env). */
export const WORKER_ENV = 'VTRACE_TRACE_CONFIG';

/** Events that fire on pool workers. */
const WORKER_EVENTS = ['syscall_*', 'worker_thread_job_*'];

export interface TracingSession {
  flush(): void;
  close(): void;
}

function installAll(): void {
  installUtilHooks();
  installVirtioHooks();
  installBlockHooks();
  installHostHooks();
}

let hooked = false;

/** Enable, attach and open the log. `truncate`: start a fresh -D file (the first thread to open it). */
export function startTracing(cfg: TraceConfig, truncate = true): TracingSession {
  if (!hooked) {
    onTraceStateChange(installAll);
    hooked = true;
  }
  applyTraceSpecs(cfg.specs);
  const log = new LogBackend({ file: cfg.logFile, timestamp: cfg.timestamp, truncate });
  if (WORKER_EVENTS.some((p) => tracepointsMatching(p).some((tp) => tp.on))) {
    process.env[WORKER_ENV] = JSON.stringify(cfg);
    threadPoolAddModule(path.join(__dirname, 'worker-init.js'));
  }
  return { flush: () => log.flush(), close: () => log.close() };
}
