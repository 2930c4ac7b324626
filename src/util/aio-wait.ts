/**
 * aio_wait_bh_oneshot (QEMU util/aio-wait.c): run a function in another thread's AioContext and
 * wait until it has run — how the main thread does something "inside" an iothread (start or stop
 * a dataplane, open or close its drive) and gets the answer back.
 *
 * QEMU passes a function pointer and waits with AIO_WAIT_WHILE. JS threads share no heap, so the
 * function is named (the target thread registers it with registerAioWaitFunction in a module it
 * loads), the argument is structured-cloned (aio-remote.ts), and the result comes back as JSON in
 * a SharedArrayBuffer the caller blocks on with Atomics.wait:
 *
 *   reply words: [0] state (0 pending, 1 done, 2 threw)  [1] byte length  then UTF-8 JSON
 *
 * Contract:
 * - Caller: any thread with a RemoteAioContext of the target; it blocks (nothing else runs on it)
 *   until the function returned or `timeoutMs` passed (AioWaitError). The target must not wait on
 *   the caller meanwhile (it would deadlock until the timeout).
 * - While the caller waits, the poll functions registered with setAioWaitPoll run every
 *   POLL_MS (QEMU's AIO_WAIT_WHILE polls the main context meanwhile): the debugger uses them to
 *   see a stop reported by the thread it waits for (a watchpoint hit in the iothread while the
 *   iothread opens a drive), which would otherwise wait for the caller as the caller waits for it.
 * - Target: `fn(arg, ctx)` runs as a oneshot BH of the context (it may aio_poll that context to
 *   drain its own requests, as QEMU's BHs may). What it returns must be JSON-serializable and fit
 *   in REPLY_BYTES; what it throws comes back as an AioWaitError with its message.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { AioContext } from './aio-context';
import { registerAioFunction } from './aio-remote';
import type { RemoteAioContext } from './aio-remote';

const REPLY_BYTES = 64 * 1024;
const HEADER = 8;
const PENDING = 0;
const DONE = 1;
const THREW = 2;

const POLL_MS = 5;
const polls: Array<() => void> = [];
let polling = false;

/** Run `fn` periodically while this thread waits in aio_wait_bh_oneshot (not re-entered). */
export function setAioWaitPoll(fn: () => void): void {
  if (!polls.includes(fn)) polls.push(fn);
}

function runPolls(): void {
  if (polling) return;
  polling = true;
  try {
    for (const f of polls) f();
  } finally {
    polling = false;
  }
}

export class AioWaitError extends Error {
  override name = 'AioWaitError';
}

interface WaitCall {
  arg: unknown;
  reply: SharedArrayBuffer;
}

function writeReply(reply: SharedArrayBuffer, state: number, value: unknown): void {
  const words = new Int32Array(reply, 0, 2);
  let bytes = new TextEncoder().encode(JSON.stringify(value ?? null));
  if (bytes.length > REPLY_BYTES - HEADER) {
    state = THREW;
    bytes = new TextEncoder().encode(JSON.stringify(`reply of ${bytes.length} bytes does not fit in ${REPLY_BYTES - HEADER}`));
  }
  new Uint8Array(reply, HEADER, bytes.length).set(bytes);
  words[1] = bytes.length;
  Atomics.store(words, 0, state);
  Atomics.notify(words, 0);
}

/** Target thread: make `fn` callable with aio_wait_bh_oneshot(ctx, name, arg). */
export function registerAioWaitFunction<A, R>(name: string, fn: (arg: A, ctx: AioContext) => R): void {
  registerAioFunction(name, (call: WaitCall, ctx) => {
    let result: R;
    try {
      result = fn(call.arg as A, ctx);
    } catch (e) {
      writeReply(call.reply, THREW, e instanceof Error ? e.message : String(e));
      return;
    }
    writeReply(call.reply, DONE, result);
  });
}

/** How often a wait checks that the context's thread still runs. */
const LIVENESS_MS = 200;

/**
 * Caller thread: run `name(arg)` in `ctx`'s thread and return its result (blocks). Throws
 * AioWaitError when the function threw there, when the thread stopped (ctx.stopped()), or at
 * `timeoutMs`.
 */
export function aio_wait_bh_oneshot<R>(ctx: RemoteAioContext, name: string, arg: unknown, timeoutMs = 30_000, transfer: readonly TransferListItem[] = []): R {
  const reply = new SharedArrayBuffer(REPLY_BYTES);
  const words = new Int32Array(reply, 0, 2);
  ctx.scheduleOneshot(name, { arg, reply } satisfies WaitCall, transfer);
  let deadline = Date.now() + timeoutMs;
  while (Atomics.load(words, 0) === PENDING) {
    const left = deadline - Date.now();
    if (left <= 0) throw new AioWaitError(`${name} in context '${ctx.name}' did not complete within ${timeoutMs} ms`);
    // A thread that died does not answer: say why now rather than at the deadline.
    const died = ctx.stopped();
    if (died !== null) throw new AioWaitError(`${name} in context '${ctx.name}': the context's thread stopped: ${died}`);
    if (polls.length === 0) {
      Atomics.wait(words, 0, PENDING, Math.min(left, LIVENESS_MS));
      continue;
    }
    if (Atomics.wait(words, 0, PENDING, Math.min(left, POLL_MS)) === 'timed-out') {
      // A stop in here blocks this thread: the wait's deadline starts again after it.
      const before = Date.now();
      runPolls();
      deadline += Date.now() - before;
    }
  }
  const text = new TextDecoder().decode(new Uint8Array(reply, HEADER, words[1]).slice());
  const value = JSON.parse(text) as unknown;
  if (Atomics.load(words, 0) === THREW) throw new AioWaitError(`${name} in context '${ctx.name}': ${String(value)}`);
  return value as R;
}
