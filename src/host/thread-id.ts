/**
 * The calling thread's identity as the kernel and strace see it.
 *
 * `gettid()` is the Linux thread id (gettid(2)): what `strace -f` prints as `[pid TID]`, what gdb's
 * `info threads` shows as `LWP TID`. Node has no gettid binding, so it is read once per thread from
 * the /proc/thread-self symlink, whose target is `PID/task/TID` (proc(5)), and cached. Module state is
 * per JS thread (each worker_thread loads its own copy of this module), so the cache is too.
 *
 * `threadName()` is vtrace's name for the thread in records and traces (`main`, `emulator`,
 * `worker-3`); the thread's owner sets it with setThreadName. Callable from any thread; each call
 * concerns the calling thread only.
 */
import { readlinkSync, writeFileSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';

let cachedTid = 0;

/**
 * The global where a thread's tid is published once known, so a debugger paused in the thread
 * (src/debug/live-frames.ts, through the inspector) can tell which kernel thread it is.
 */
export const TID_GLOBAL = '__vtraceTid';
let name = isMainThread ? 'main' : `worker-${threadId}`;

/**
 * The calling thread's Linux tid. The first call in a thread costs one readlink(2) of
 * /proc/thread-self; later calls return the cached value. Falls back to process.pid where /proc is
 * not mounted (the main thread's tid is the pid; a worker's is then unknown and reported as the pid).
 */
export function gettid(): number {
  if (cachedTid !== 0) return cachedTid;
  try {
    const target = readlinkSync('/proc/thread-self'); // "PID/task/TID"
    const tid = Number(target.slice(target.lastIndexOf('/') + 1));
    cachedTid = Number.isInteger(tid) && tid > 0 ? tid : process.pid;
  } catch {
    cachedTid = process.pid;
  }
  (globalThis as Record<string, unknown>)[TID_GLOBAL] = cachedTid;
  return cachedTid;
}

/** The process id (the thread group id, which is the main thread's tid). */
export function getpid(): number {
  return process.pid;
}

/** vtrace's name for the calling thread; defaults to `main` or `worker-<threadId>`. */
export function threadName(): string {
  return name;
}

export interface SetThreadNameOptions {
  /**
   * Also set the kernel's name for the thread (what `ps -L`, `top -H` and gdb show), as QEMU's
   * `-name debug-threads=on` does with pthread_setname_np: writes /proc/thread-self/comm, which the
   * kernel truncates to 15 bytes (proc(5)). This opens, writes and closes a file (visible to strace).
   */
  comm?: boolean;
}

/** Names the calling thread (`emulator`, `worker-0`, `iothread-io0`); called by the thread's owner. */
export function setThreadName(newName: string, options: SetThreadNameOptions = {}): void {
  name = newName;
  if (options.comm) {
    try {
      writeFileSync('/proc/thread-self/comm', newName.slice(0, 15));
    } catch {
      // Not fatal: only the kernel-side name is missing.
    }
  }
}
