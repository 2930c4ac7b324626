/**
 * Loaded by every thread-pool worker when tracing needs worker-side events (setup.ts adds it to the
 * pool's modules). Reads the config the emulator thread left in the environment, enables the same
 * specs on this thread, and appends to the same log. Workers have no loop of their own to flush
 * from, so the log is flushed after each job (worker_thread_job 'end', synchronously, before the job's
 * result is published) and at exit.
 */
import { WORKER_ENV, startTracing, type TraceConfig } from './setup';
import { utilTraceHooks } from '../util/trace-hooks';

const text = process.env[WORKER_ENV];
if (text !== undefined) {
  const session = startTracing(JSON.parse(text) as TraceConfig, false);
  const traced = utilTraceHooks.worker_thread_job;
  utilTraceHooks.worker_thread_job = (phase, ev) => {
    if (traced !== null) traced(phase, ev);
    if (phase === 'end') session.flush();
  };
  process.on('exit', () => session.close());
}
