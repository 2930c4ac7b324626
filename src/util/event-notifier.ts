/**
 * EventNotifier (QEMU util/event_notifier-posix.c): a wake-up flag one side sets and the other
 * tests and clears. QEMU backs it with an eventfd; vtrace backs it with one word of a process-wide
 * SharedArrayBuffer, so any thread can set it and a thread blocked in Atomics.wait wakes.
 *
 * The arena ("our eventfd table"): one SharedArrayBuffer of fixed-size slots, shared by every thread
 * of the util world. It is created lazily by the first thread that needs it (the emulator thread)
 * and handed to every worker util spawns (iothreads, pool workers) in its workerData; a notifier
 * can also be handed to any other thread with `shareEventNotifier` (the descriptor carries the
 * arena). Slot layout, four Int32 words:
 *   STATE  0 free / 1 allocated (CAS-allocated from any thread)
 *   VALUE  eventfd counter: event_notifier_set adds 1, test_and_clear exchanges 0. Waiters
 *          Atomics.wait on this word while it is 0.
 *   OWNER  slot (+1) of the AioContext notifier to kick as well when this one goes 0 → non-zero,
 *          0 if none. aio_set_event_notifier/aio_set_fd_handler set it: that is how setting a
 *          VirtQueue's host_notifier wakes the AioContext blocked in aio_poll, like an eventfd in
 *          its poll set. Chains (iohandler ctx → main ctx) are followed a few levels deep.
 *   GEN    bumped on each free, so stale shared descriptors are rejected.
 *
 * fds: each slot has an fd number, EVENT_NOTIFIER_FD_BASE + slot, for the fd-based interfaces
 * (aio_set_fd_handler, qemu_set_fd_handler). They are not kernel fds; they are far above any real
 * one so the two never collide.
 *
 * Contracts:
 * - event_notifier_set: any thread, never blocks, never allocates (the vCPU's ioeventfd path).
 * - event_notifier_test_and_clear: the thread that polls the notifier (its AioContext's thread).
 * - event_notifier_init/cleanup: the owning thread. A shared view (openSharedEventNotifier) must not
 *   be cleaned up by the thread that opened it; `event_notifier_cleanup` only detaches it there.
 */
import { randomInt } from 'node:crypto';
import { utilBacktraceHooks, utilTraceHooks } from './trace-hooks';

const STATE = 0;
const VALUE = 1;
const OWNER = 2;
const GEN = 3;
const SLOT_WORDS = 4;

/* Header: slots 0 and 1 (8 words). */
const H_MAGIC = 0;
const H_ID = 1;
const H_NSLOTS = 2;
const H_HINT = 3;
const H_SEQ = 4; // process-wide counter for names (worker-N, ctx ids)
const HEADER_SLOTS = 2;
const MAGIC = 0x56544e46; // "VTNF"

export const EVENT_NOTIFIER_FD_BASE = 1 << 20;
const DEFAULT_SLOTS = 16384;
const OWNER_CHAIN_MAX = 4;
const EMFILE = 24;

let arenaSab: SharedArrayBuffer | null = null;
let A: Int32Array = new Int32Array(0);

/** This thread's arena, created on first use. */
function arena(): Int32Array {
  if (arenaSab === null) createArena(DEFAULT_SLOTS);
  return A;
}

function createArena(nslots: number): void {
  const sab = new SharedArrayBuffer((HEADER_SLOTS + nslots) * SLOT_WORDS * 4);
  const a = new Int32Array(sab);
  a[H_MAGIC] = MAGIC;
  a[H_ID] = randomInt(1, 0x7fffffff);
  a[H_NSLOTS] = nslots;
  a[H_HINT] = HEADER_SLOTS;
  arenaSab = sab;
  A = a;
}

/** The arena to hand to a new worker (creates it if needed). Structured-clonable. */
export function eventNotifierArena(): SharedArrayBuffer {
  arena();
  return arenaSab!;
}

/**
 * Worker side: adopt the arena of the thread that spawned us. Idempotent for the same arena; a
 * thread that already made its own arena cannot join another one (notifier fds would clash).
 */
export function attachEventNotifierArena(sab: SharedArrayBuffer): void {
  const a = new Int32Array(sab);
  if (a[H_MAGIC] !== MAGIC) throw new Error('attachEventNotifierArena: not an EventNotifier arena');
  if (arenaSab !== null) {
    if (A[H_ID] === a[H_ID]) return;
    throw new Error('attachEventNotifierArena: this thread already uses a different EventNotifier arena');
  }
  arenaSab = sab;
  A = a;
}

/** A process-wide increasing number (shared by all threads of the arena): worker-N, context ids. */
export function utilSequenceNext(): number {
  return Atomics.add(arena(), H_SEQ, 1);
}

export class EventNotifier {
  /** Arena slot; -1 before event_notifier_init and after event_notifier_cleanup. */
  slot = -1;
  /** Generation of the slot when this view was made (stale-descriptor check). */
  gen = 0;
  /** True if this thread allocated the slot (cleanup frees it); false for shared views. */
  owned = false;
  /** Optional label for traces ("vq0.host_notifier"). */
  name = '';
}

/** Plain, structured-clonable description of a notifier, for handing it to another thread. */
export interface SharedEventNotifier {
  readonly kind: 'event-notifier';
  readonly arena: SharedArrayBuffer;
  readonly slot: number;
  readonly gen: number;
  readonly name: string;
}

function base(e: EventNotifier): number {
  if (e.slot < 0) throw new Error(`EventNotifier${e.name ? ` ${e.name}` : ''} used before event_notifier_init or after cleanup`);
  return e.slot * SLOT_WORDS;
}

/**
 * event_notifier_init: allocate the notifier's slot. `active` starts it set. Returns 0, or
 * -EMFILE when the arena is full (QEMU returns -errno from eventfd()).
 */
export function event_notifier_init(e: EventNotifier, active: boolean | number): number {
  const a = arena();
  const n = a[H_NSLOTS];
  const hint = Atomics.load(a, H_HINT);
  for (let i = 0; i < n; i++) {
    const slot = HEADER_SLOTS + ((hint - HEADER_SLOTS + i) % n);
    const b = slot * SLOT_WORDS;
    if (Atomics.compareExchange(a, b + STATE, 0, 1) === 0) {
      Atomics.store(a, b + OWNER, 0);
      Atomics.store(a, b + VALUE, active ? 1 : 0);
      Atomics.store(a, H_HINT, HEADER_SLOTS + ((slot + 1 - HEADER_SLOTS) % n));
      e.slot = slot;
      e.gen = Atomics.load(a, b + GEN);
      e.owned = true;
      return 0;
    }
  }
  return -EMFILE;
}

/** Convenience: a new, initialised notifier (throws if the arena is full). */
export function eventNotifierNew(name = '', active = false): EventNotifier {
  const e = new EventNotifier();
  e.name = name;
  if (event_notifier_init(e, active) < 0) throw new Error('event_notifier_init: EventNotifier arena exhausted (EMFILE)');
  return e;
}

/** event_notifier_cleanup: free the slot (owner) or detach this view (shared view). */
export function event_notifier_cleanup(e: EventNotifier): void {
  if (e.slot < 0) return;
  if (e.owned) {
    const b = e.slot * SLOT_WORDS;
    Atomics.store(A, b + OWNER, 0);
    Atomics.store(A, b + VALUE, 0);
    Atomics.add(A, b + GEN, 1);
    Atomics.store(A, b + STATE, 0);
  }
  e.slot = -1;
  e.owned = false;
}

/**
 * event_notifier_set: any thread. Adds 1 to the counter; on the 0 → non-zero transition wakes
 * threads waiting on it and kicks the AioContext that polls it (OWNER chain). Returns 0.
 * A set while already signalled only adds: the first set already woke the poller, and the poller
 * checks its notifiers before it sleeps again.
 */
export function event_notifier_set(e: EventNotifier): number {
  const h = utilTraceHooks.event_notifier_set;
  if (h !== null) h(e);
  const bt = utilBacktraceHooks.event_notifier_set;
  if (bt !== null) bt(e);
  let b = base(e);
  for (let depth = 0; depth < OWNER_CHAIN_MAX; depth++) {
    if (Atomics.add(A, b + VALUE, 1) !== 0) return 0;
    Atomics.notify(A, b + VALUE);
    const owner = Atomics.load(A, b + OWNER);
    if (owner === 0) return 0;
    b = (owner - 1) * SLOT_WORDS;
  }
  return 0;
}

/** event_notifier_test_and_clear: true if it was set since the last clear (the counter is reset). */
export function event_notifier_test_and_clear(e: EventNotifier): boolean {
  return Atomics.exchange(A, base(e) + VALUE, 0) !== 0;
}

/** event_notifier_get_fd: the notifier's (virtual) fd, for fd-based registration. */
export function event_notifier_get_fd(e: EventNotifier): number {
  return EVENT_NOTIFIER_FD_BASE + (base(e) / SLOT_WORDS);
}

/** event_notifier_get_wfd: same fd (an eventfd is read and written through one fd). */
export function event_notifier_get_wfd(e: EventNotifier): number {
  return event_notifier_get_fd(e);
}

/** Peek without clearing: is it set? (Readiness check of the poller; no side effect.) */
export function eventNotifierIsSet(e: EventNotifier): boolean {
  return Atomics.load(A, base(e) + VALUE) !== 0;
}

/** The arena slot behind one of our fds, or -1 if `fd` is not an EventNotifier fd of this arena. */
export function eventNotifierSlotOfFd(fd: number): number {
  const slot = fd - EVENT_NOTIFIER_FD_BASE;
  if (arenaSab === null || slot < HEADER_SLOTS || slot >= HEADER_SLOTS + A[H_NSLOTS]) return -1;
  return Atomics.load(A, slot * SLOT_WORDS + STATE) === 1 ? slot : -1;
}

/** Readiness of an fd-identified slot (see eventNotifierSlotOfFd). */
export function eventNotifierSlotIsSet(slot: number): boolean {
  return Atomics.load(A, slot * SLOT_WORDS + VALUE) !== 0;
}

/**
 * Make setting `slot` also kick `owner` (another notifier, normally an AioContext's own), or stop
 * doing so (`owner` null). Used by aio_set_fd_handler / aio_set_event_notifier.
 */
export function eventNotifierSetOwner(slot: number, owner: EventNotifier | null): void {
  Atomics.store(arena(), slot * SLOT_WORDS + OWNER, owner === null ? 0 : owner.slot + 1);
}

/**
 * Block this thread until `e` is set or `timeoutMs` passes (Infinity: no limit). Returns at once
 * if it is already set. Does not clear it. This is the only blocking primitive of the event loop
 * (qemu_poll_ns on the AioContext's notifier).
 */
export function eventNotifierWait(e: EventNotifier, timeoutMs: number): void {
  const b = base(e);
  if (timeoutMs <= 0) return;
  Atomics.wait(A, b + VALUE, 0, timeoutMs);
}

/** Describe `e` for another thread (postMessage it; the receiver calls openSharedEventNotifier). */
export function shareEventNotifier(e: EventNotifier): SharedEventNotifier {
  base(e);
  return { kind: 'event-notifier', arena: arenaSab!, slot: e.slot, gen: e.gen, name: e.name };
}

/** Another thread: a view of a shared notifier (attaches the arena if this thread has none yet). */
export function openSharedEventNotifier(d: SharedEventNotifier): EventNotifier {
  attachEventNotifierArena(d.arena);
  const b = d.slot * SLOT_WORDS;
  if (Atomics.load(A, b + STATE) !== 1 || Atomics.load(A, b + GEN) !== d.gen) {
    throw new Error(`openSharedEventNotifier: notifier ${d.name || d.slot} was cleaned up by its owner`);
  }
  const e = new EventNotifier();
  e.slot = d.slot;
  e.gen = d.gen;
  e.owned = false;
  e.name = d.name;
  return e;
}
