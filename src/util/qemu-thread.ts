/**
 * Thread identity (QEMU util/qemu-thread-posix.c, util/oslib-posix.c).
 *
 * qemu_get_thread_id is the kernel tid (gettid), what `strace -f`, /proc and gdb show for the
 * thread; Node's worker_threads.threadId is a per-process counter (0 = main thread). Traces
 * carry both.
 */
import { readlinkSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

let cachedTid: number | undefined;

/** qemu_get_thread_id: the calling thread's kernel tid (Linux: via /proc/thread-self), or -1. */
export function qemu_get_thread_id(): number {
  if (cachedTid === undefined) {
    try {
      // "/proc/thread-self" → "<pid>/task/<tid>" for the calling thread.
      cachedTid = Number(readlinkSync('/proc/thread-self').split('/').pop());
      if (!Number.isInteger(cachedTid)) cachedTid = -1;
    } catch {
      cachedTid = process.platform === 'linux' ? -1 : process.pid;
    }
  }
  return cachedTid;
}

/** Node's id of the calling thread (0 on the process's main thread). */
export function nodeThreadId(): number {
  return threadId;
}
