/**
 * Entry of an iothread (QEMU iothread.c, iothread_run): a worker_thread that owns one AioContext
 * and polls it, blocking, until stopped. Loaded from dist/ (see worker-script.ts).
 *
 * Start-up (QEMU: iothread_run signals init_done_sem; iothread_complete waits for it): create the
 * context, make it this thread's current one, load the modules (they registerAioFunction the work
 * the main thread may send), share the context (aio-remote.ts) and post the descriptor on the boot
 * port, then set I_STATUS = RUNNING and notify. The main thread waits for that synchronously.
 * Stop: the main thread sends the built-in 'iothread_stop_bh'; it clears `running`, aio_poll
 * returns, the thread marks I_STATUS = EXITED and ends (QEMU: qemu_thread_join on the main side).
 * A throw from the loop (a BH or handler bug, an unknown function name) ends the thread too; its
 * message goes to the boot port and I_STATUS = FAILED.
 * Built-in functions: 'iothread_stop_bh' (above) and 'iothread_require' {file, arg}: load one more
 * module into the running thread (a module it did not start with: the plugin relay when a plugin
 * subscribes after the machine started), then call its export `iothread_module_init(arg)` if it
 * has one (the environment data it would have read at start is this thread's copy from its
 * creation). A module that fails to load or init is reported on stderr as a warning; the thread
 * goes on.
 */
import { threadId, workerData, type MessagePort } from 'node:worker_threads';
import { attachEventNotifierArena } from './event-notifier';
import { AioContext, aio_context_new, aio_poll, qemu_set_current_aio_context } from './aio-context';
import { registerAioFunction, shareAioContext } from './aio-remote';
import { qemu_get_thread_id } from './qemu-thread';

/* Status block shared with the main side (iothread.ts). */
export const I_STATUS = 0;
export const I_THREAD_ID = 1;
export const I_TID = 2;
export const I_WORDS = 4;
export enum IOThreadStatus {
  STARTING = 0,
  RUNNING = 1,
  EXITED = 2,
  FAILED = 3,
}

export interface IOThreadWorkerData {
  kind: 'iothread';
  id: string;
  status: SharedArrayBuffer;
  boot: MessagePort;
  arena: SharedArrayBuffer;
  modules: string[];
}

export type IOThreadBootMessage =
  | { type: 'ready'; ctx: import('./aio-remote').AioContextShare }
  | { type: 'fatal'; message: string };

let running = true;

/** iothread_stop_bh: runs in the iothread's context; ends iothread_run's loop. */
function iothread_stop_bh(): void {
  running = false;
}

/** iothread_run: poll the context until stopped. */
function iothread_run(ctx: AioContext): void {
  while (running) aio_poll(ctx, true);
}

function setStatus(status: Int32Array, s: IOThreadStatus): void {
  Atomics.store(status, I_STATUS, s);
  Atomics.notify(status, I_STATUS);
}

function main(): void {
  const d = workerData as IOThreadWorkerData;
  process.setSourceMapsEnabled(true); // stacks of this thread point at src/*.ts (dist has .map files)
  const status = new Int32Array(d.status);
  attachEventNotifierArena(d.arena);
  Atomics.store(status, I_THREAD_ID, threadId);
  Atomics.store(status, I_TID, qemu_get_thread_id());
  const ctx = aio_context_new(`iothread ${d.id}`);
  qemu_set_current_aio_context(ctx);
  registerAioFunction('iothread_stop_bh', iothread_stop_bh);
  registerAioFunction('iothread_require', (arg: { file: string; arg?: unknown }) => {
    try {
      const m = require(arg.file) as { iothread_module_init?: (a: unknown) => void };
      if (typeof m.iothread_module_init === 'function') m.iothread_module_init(arg.arg);
    } catch (e) {
      process.emitWarning(`iothread ${d.id}: loading ${arg.file} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  try {
    for (const m of d.modules) require(m);
  } catch (e) {
    d.boot.postMessage({ type: 'fatal', message: `iothread ${d.id}: loading modules failed: ${e instanceof Error ? e.message : String(e)}` } satisfies IOThreadBootMessage);
    setStatus(status, IOThreadStatus.FAILED);
    return;
  }
  const { desc, transfer } = shareAioContext(ctx);
  d.boot.postMessage({ type: 'ready', ctx: desc } satisfies IOThreadBootMessage, transfer);
  setStatus(status, IOThreadStatus.RUNNING);
  try {
    iothread_run(ctx);
  } catch (e) {
    d.boot.postMessage({ type: 'fatal', message: `iothread ${d.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` } satisfies IOThreadBootMessage);
    setStatus(status, IOThreadStatus.FAILED);
    return;
  }
  setStatus(status, IOThreadStatus.EXITED);
}

if ((workerData as { kind?: string } | null)?.kind === 'iothread') main();
