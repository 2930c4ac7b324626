/**
 * Loaded by every thread-pool worker (setup.ts adds it to the pool's modules) and by iothreads whose
 * creator lists tracingThreadModule(): reads the config the emulator thread left in the
 * environment, names the thread (worker-N, iothread-ID), enables the same specs on this thread,
 * appends to the same log and, when a recording runs, records into this thread's own ring.
 * Workers have no loop of their own to flush from, so the log is flushed after each job
 * (worker_thread_job 'end', synchronously, before the job's result is published) and at exit.
 */
import { workerData } from 'node:worker_threads';
import { WORKER_ENV, startTracing, tracingThreadModule, type TraceConfig } from './setup';
import { threadPoolAddModule } from '../util/thread-pool';
import { utilTraceHooks } from '../util/trace-hooks';
import { poolWorkerSelf } from '../util/thread-pool-funcs';
import { gettid, setThreadName } from '../host/thread-id';
import { inheritedRecorderLink, startThreadRecorder } from './recorder';
import { worker_thread_start } from './generated/tracepoints';

const text = process.env[WORKER_ENV];
if (text !== undefined) {
  const pool = poolWorkerSelf();
  const iothread = (workerData as { kind?: string; id?: string } | null)?.kind === 'iothread' ? (workerData as { id: string }).id : undefined;
  if (pool !== null) setThreadName(pool.name);
  else if (iothread !== undefined) setThreadName(`iothread-${iothread}`);
  const session = startTracing(JSON.parse(text) as TraceConfig, { truncate: false, startsRecording: false });
  const link = inheritedRecorderLink();
  const recorder = link !== undefined ? startThreadRecorder(link, pool !== null ? 'pool-worker' : iothread !== undefined ? 'iothread' : 'other') : null;
  if (pool !== null && worker_thread_start.on) worker_thread_start.emit(pool.name, gettid());
  const traced = utilTraceHooks.worker_thread_job;
  utilTraceHooks.worker_thread_job = (phase, ev) => {
    if (traced !== null) traced(phase, ev);
    if (phase === 'end') session.flush();
  };
  if (iothread !== undefined) {
    // The iothread's own pool (its drives' preads) records too: its workers load this module.
    threadPoolAddModule(tracingThreadModule());
    // An iothread runs its own loop: flush the log after each aio_poll round.
    const pollEnd = utilTraceHooks.aio_poll_end;
    utilTraceHooks.aio_poll_end = (...a) => {
      if (pollEnd !== null) pollEnd(...a);
      session.flush();
    };
  }
  process.on('exit', () => {
    session.close();
    recorder?.close();
  });
}
