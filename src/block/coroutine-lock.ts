/**
 * CoQueue and CoMutex (QEMU util/qemu-coroutine-lock.c), the subset the block layer needs:
 * tracked requests wait on each other with a CoQueue, qcow2 guards its metadata with a CoMutex.
 * (Kept in src/block/ because this developer owns only the block layer; it belongs in src/util/.)
 *
 * Contract: coroutine_fns run in a coroutine; wake-ups go through aio_co_wake, so a coroutine woken
 * from inside another one is entered when that one yields or terminates (QEMU's co_queue_wakeup).
 * Same thread only.
 */
import { aio_co_wake, qemu_coroutine_self, qemu_coroutine_yield, type Coroutine, type coroutine_fn } from '../util/coroutine';

export class CoQueue {
  entries: Coroutine[] = [];
}

/** qemu_co_queue_wait: coroutine_fn. Sleep until woken by next/restart_all. */
export function* qemu_co_queue_wait(queue: CoQueue): coroutine_fn<void> {
  queue.entries.push(qemu_coroutine_self());
  yield* qemu_coroutine_yield();
}

/** qemu_co_queue_next: wake the first waiter. Returns false if none. */
export function qemu_co_queue_next(queue: CoQueue): boolean {
  const co = queue.entries.shift();
  if (co === undefined) return false;
  aio_co_wake(co);
  return true;
}

/** qemu_co_queue_restart_all: wake every waiter, in order. */
export function qemu_co_queue_restart_all(queue: CoQueue): void {
  const list = queue.entries.splice(0);
  for (const co of list) aio_co_wake(co);
}

export function qemu_co_queue_empty(queue: CoQueue): boolean {
  return queue.entries.length === 0;
}

export class CoMutex {
  locked = false;
  holder: Coroutine | null = null;
  readonly queue = new CoQueue();
}

/** qemu_co_mutex_lock: coroutine_fn. FIFO; not recursive (QEMU asserts; we throw). */
export function* qemu_co_mutex_lock(m: CoMutex): coroutine_fn<void> {
  const self = qemu_coroutine_self();
  if (m.holder === self) throw new Error('qemu_co_mutex_lock: the coroutine already holds the mutex');
  while (m.locked) yield* qemu_co_queue_wait(m.queue);
  m.locked = true;
  m.holder = self;
}

/** qemu_co_mutex_unlock: coroutine_fn context; hands the mutex to the next waiter. */
export function qemu_co_mutex_unlock(m: CoMutex): void {
  m.locked = false;
  m.holder = null;
  qemu_co_queue_next(m.queue);
}
