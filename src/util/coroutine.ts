/**
 * Coroutines (QEMU util/qemu-coroutine.c, include/qemu/coroutine.h; docs/devel/block-coroutine-wrapper.rst
 * and the "Coroutines" section of docs/devel/multiple-iothreads.rst), plus aio_co_schedule /
 * aio_co_wake / aio_co_enter from util/async.c.
 *
 * Mechanism: generator functions. A coroutine_fn is a `function*` returning coroutine_fn<T>; it
 * calls other coroutine_fns with `yield*` (`const r = yield* bdrv_co_preadv(...)`) and yields with
 * `yield* qemu_coroutine_yield()`. A coroutine is a generator created from its entry function;
 * qemu_coroutine_enter resumes it with `next()`, synchronously, on the caller's stack.
 * Why generators, against the requirements:
 * 1. Synchronous: next() runs the coroutine on the caller's thread and returns when it yields or
 *    terminates — no Promise, no microtask, so the emulator thread never returns to Node's event
 *    loop. (async functions would resume from the microtask queue: ruled out.)
 * 2. Stack traces: V8 keeps a suspended generator's frames and, when it resumes through nested
 *    yield*, puts every delegating generator on the stack. An Error created in the innermost
 *    coroutine_fn shows, innermost first:
 *      qemu_coroutine_yield ← raw_co_prw ← ... ← bdrv_co_preadv ← blk_co_preadv ← blk_aio_read_entry
 *      ← qemu_aio_coroutine_enter ← (whoever entered: thread_pool_completion_bh ← aio_bh_poll ← aio_poll)
 *    with a `<name>.next (<anonymous>)` frame between each pair (test/util/coroutine.test.ts
 *    asserts this). Note Error.stackTraceLimit (default 10) must be raised to see deep chains.
 * 3. Exact resumption: a generator resumes after the `yield` it stopped at, with all its locals.
 * 4. Errors: entering a running coroutine (its `caller` is set) throws CoroutineError("Co-routine
 *    re-entered recursively"), entering a terminated one throws too, as does yielding outside a
 *    coroutine or yielding a bare value (only qemu_coroutine_yield's token may be yielded).
 *    QEMU aborts in these cases; we throw, so the emulator can stop with a clear message.
 * The cost: coroutine_fns must be written as `function*` and called with `yield*` — a coroutine
 * cannot yield from inside an ordinary function (the same rule as QEMU's coroutine_fn annotation,
 * enforced by the language instead of a static checker). Calling `qemu_coroutine_yield()` without
 * `yield*` does nothing: always write `yield* qemu_coroutine_yield()`.
 *
 * Ids: every qemu_coroutine_create assigns a new id (1, 2, 3, ... per thread; 0 is the thread's
 * leader, i.e. "not in a coroutine"), reported to the create/enter/yield/terminate hooks.
 * Pool: terminated Coroutine objects are kept (up to pool_max_size, 64 like QEMU's
 * POOL_INITIAL_MAX_SIZE) and handed out again by qemu_coroutine_create with a fresh id. As in QEMU,
 * a stale reference to a recycled coroutine refers to the new one; ids tell them apart in traces.
 *
 * Contract: per thread. A coroutine runs only on the thread that created it (JS objects cannot
 * move); aio_co_wake/aio_co_schedule between contexts of one thread work as in QEMU.
 */
import { AioContext, qemu_get_current_aio_context } from './aio-context';
import { aio_bh_new, aio_bh_schedule_oneshot, qemu_bh_schedule } from './aio-bh';
import { utilBacktraceHooks, utilTraceHooks } from './trace-hooks';

/** The only value a coroutine may yield (qemu_coroutine_yield yields it). */
export const COROUTINE_YIELD: unique symbol = Symbol('COROUTINE_YIELD');
export type CoroutineYield = typeof COROUTINE_YIELD;
/** What a coroutine_fn returns: `function* f(): coroutine_fn<number> { ... return 0; }`. */
export type coroutine_fn<T = void> = Generator<CoroutineYield, T, void>;
/** A coroutine's entry point (QEMU's CoroutineEntry), called with the opaque on first enter. */
export type CoroutineEntry = (opaque: any) => coroutine_fn<void>; // eslint-disable-line @typescript-eslint/no-explicit-any

export enum CoroutineState {
  CREATED = 'created',
  RUNNING = 'running',
  SUSPENDED = 'suspended',
  TERMINATED = 'terminated',
}

export class CoroutineError extends Error {
  override name = 'CoroutineError';
}

export class Coroutine {
  /** Id of the current incarnation (a new one per qemu_coroutine_create). */
  id = 0;
  entry: CoroutineEntry | null = null;
  entry_arg: unknown = undefined;
  /** The entry's generator: made on first enter, dropped on termination. */
  gen: coroutine_fn<void> | null = null;
  /** Who entered it and gets control back when it yields; null while not running. */
  caller: Coroutine | null = null;
  /** The context it last ran in (aio_co_wake re-enters it there). */
  ctx: AioContext | null = null;
  /** Name of the function that scheduled it, while it waits in a context's list. */
  scheduled: string | null = null;
  /** Coroutines woken while this one ran, entered when it yields or terminates. */
  co_queue_wakeup: Coroutine[] = [];
  state = CoroutineState.CREATED;
  /** How many times this object came back from the pool. */
  reuse_count = 0;
  /** Backtraces (src/trace/backtrace): id of the link recorded at creation, 0 when not armed. */
  bt_link = 0;
  /** For traces: the entry function's name. */
  get name(): string {
    return this.entry?.name || 'coroutine';
  }
}

const leader = new Coroutine(); // id 0: the thread's own stack ("not in a coroutine")
leader.state = CoroutineState.RUNNING;
let current: Coroutine | null = null;
let nextId = 1;

const pool: Coroutine[] = [];
let pool_max_size = 64;
let poolCreated = 0;
let poolReused = 0;

/** qemu_coroutine_create: a coroutine that will run entry(opaque) when first entered. */
export function qemu_coroutine_create(entry: CoroutineEntry, opaque?: unknown): Coroutine {
  const reused = pool.length > 0;
  const co = reused ? pool.pop()! : new Coroutine();
  if (reused) {
    co.reuse_count++;
    poolReused++;
  } else {
    poolCreated++;
  }
  co.id = nextId++;
  co.entry = entry;
  co.entry_arg = opaque;
  co.gen = null;
  co.caller = null;
  co.ctx = null;
  co.scheduled = null;
  // Kept across incarnations (one array per pooled object); setting length is a runtime call, so only when needed.
  if (co.co_queue_wakeup.length !== 0) co.co_queue_wakeup.length = 0;
  co.state = CoroutineState.CREATED;
  co.bt_link = 0;
  const h = utilTraceHooks.qemu_coroutine_create;
  if (h !== null) h(co, reused);
  const bt = utilBacktraceHooks.qemu_coroutine_create;
  if (bt !== null) bt(co);
  return co;
}

function coroutine_delete(co: Coroutine): void {
  co.caller = null;
  co.gen = null;
  co.entry_arg = undefined;
  if (pool.length < pool_max_size) pool.push(co);
}

/**
 * qemu_aio_coroutine_enter: run `co` in `ctx` until it yields or terminates, then run the
 * coroutines it woke (depth first, as QEMU). Throws CoroutineError on misuse (see header).
 */
export function qemu_aio_coroutine_enter(ctx: AioContext | null, co: Coroutine): void {
  const from = current ?? leader;
  // Coroutines still to enter after `to`: allocated only when one wakes another (rare).
  let pending: Coroutine[] | null = null;
  for (let to: Coroutine | undefined = co; to !== undefined; to = pending === null ? undefined : pending.shift()) {
    const h = utilTraceHooks.qemu_aio_coroutine_enter;
    if (h !== null) h(ctx, from, to);
    if (to.scheduled !== null) {
      throw new CoroutineError(`qemu_aio_coroutine_enter: Co-routine was already scheduled in '${to.scheduled}' (coroutine ${to.id})`);
    }
    if (to.state === CoroutineState.TERMINATED) {
      throw new CoroutineError(`qemu_aio_coroutine_enter: coroutine ${to.id} (${to.name}) has terminated and cannot be entered`);
    }
    if (to.caller !== null || to === leader) {
      throw new CoroutineError(`Co-routine re-entered recursively (coroutine ${to.id}, ${to.name})`);
    }
    to.caller = from;
    to.ctx = ctx;
    to.state = CoroutineState.RUNNING;
    const prev = current;
    current = to;
    let r: IteratorResult<CoroutineYield, void>;
    try {
      if (to.gen === null) {
        const entry = to.entry!; // called without a receiver: the frame reads "blk_aio_read_entry", not "Coroutine.…"
        to.gen = entry(to.entry_arg);
      }
      r = to.gen.next();
    } catch (e) {
      current = prev;
      terminate(to);
      throw e;
    }
    current = prev;
    const woken: Coroutine[] = to.co_queue_wakeup;
    if (woken.length > 0) {
      if (pending === null) pending = woken.slice();
      else pending.unshift(...woken); // woken ones run before previously pending ones
      woken.length = 0;
    }
    if (r.done) {
      terminate(to);
    } else if (r.value !== COROUTINE_YIELD) {
      terminate(to);
      throw new CoroutineError(`coroutine ${to.id} (${to.name}) yielded a value: use yield* qemu_coroutine_yield()`);
    } else {
      to.state = CoroutineState.SUSPENDED;
    }
  }
}

function terminate(co: Coroutine): void {
  co.state = CoroutineState.TERMINATED;
  const h = utilTraceHooks.qemu_coroutine_terminate;
  if (h !== null) h(co);
  coroutine_delete(co);
}

/** qemu_coroutine_enter: enter `co` in this thread's current AioContext. */
export function qemu_coroutine_enter(co: Coroutine): void {
  qemu_aio_coroutine_enter(qemu_get_current_aio_context(), co);
}

/** qemu_coroutine_enter_if_inactive: enter unless it is already running. */
export function qemu_coroutine_enter_if_inactive(co: Coroutine): void {
  if (!qemu_coroutine_entered(co)) qemu_coroutine_enter(co);
}

/**
 * qemu_coroutine_yield: coroutine_fn. Give control back to whoever entered this coroutine; the
 * coroutine continues here when entered again. Use as `yield* qemu_coroutine_yield()`.
 */
export function* qemu_coroutine_yield(): coroutine_fn<void> {
  yield qemu_coroutine_yield_here();
}

/**
 * qemu_coroutine_yield_here: qemu_coroutine_yield's bookkeeping for a coroutine_fn that yields
 * itself, on a hot path, without the extra generator: `yield qemu_coroutine_yield_here();` is
 * `yield* qemu_coroutine_yield();` (same checks, same trace hook, same token). Not a coroutine_fn;
 * call it only directly in a `yield` expression of a coroutine_fn.
 */
export function qemu_coroutine_yield_here(): CoroutineYield {
  const self = current;
  if (self === null) throw new CoroutineError('qemu_coroutine_yield: not in a coroutine');
  const to = self.caller;
  if (to === null) throw new CoroutineError('Co-routine is yielding to no one');
  const h = utilTraceHooks.qemu_coroutine_yield;
  if (h !== null) h(self, to);
  self.caller = null;
  return COROUTINE_YIELD;
}

/** qemu_coroutine_self: the running coroutine, or the thread's leader (id 0) outside coroutines. */
export function qemu_coroutine_self(): Coroutine {
  return current ?? leader;
}

/** qemu_in_coroutine: true inside a coroutine_fn's execution. */
export function qemu_in_coroutine(): boolean {
  return current !== null;
}

/** qemu_coroutine_entered: true while `co` runs (entered and not yet yielded). */
export function qemu_coroutine_entered(co: Coroutine): boolean {
  return co.caller !== null;
}

export function qemu_coroutine_get_aio_context(co: Coroutine): AioContext | null {
  return co.ctx;
}

/** qemu_coroutine_inc_pool_size / dec: grow or shrink the pool's bound. */
export function qemu_coroutine_inc_pool_size(n: number): void {
  pool_max_size += n;
}
export function qemu_coroutine_dec_pool_size(n: number): void {
  pool_max_size = Math.max(0, pool_max_size - n);
  if (pool.length > pool_max_size) pool.length = pool_max_size;
}

/** Pool statistics (for counters): objects made, reused, and kept now. */
export function coroutinePoolStats(): { created: number; reused: number; pooled: number; maxSize: number; lastId: number } {
  return { created: poolCreated, reused: poolReused, pooled: pool.length, maxSize: pool_max_size, lastId: nextId - 1 };
}

/**
 * aio_co_schedule: enter `co` from `ctx`'s next aio_bh_poll (via its co_schedule_bh). A coroutine
 * can be scheduled once at a time.
 */
export function aio_co_schedule(ctx: AioContext, co: Coroutine): void {
  const h = utilTraceHooks.aio_co_schedule;
  if (h !== null) h(ctx, co);
  if (co.scheduled !== null) {
    throw new CoroutineError(`aio_co_schedule: Co-routine was already scheduled in '${co.scheduled}' (coroutine ${co.id})`);
  }
  co.scheduled = 'aio_co_schedule';
  ctx.scheduled_coroutines.push(co);
  if (ctx.co_schedule_bh === null) ctx.co_schedule_bh = aio_bh_new(ctx, co_schedule_bh_cb, ctx);
  qemu_bh_schedule(ctx.co_schedule_bh);
}

function co_schedule_bh_cb(ctx: AioContext): void {
  const list = ctx.scheduled_coroutines;
  ctx.scheduled_coroutines = [];
  for (const co of list) {
    co.scheduled = null;
    qemu_aio_coroutine_enter(ctx, co);
  }
}

/**
 * aio_co_wake: re-enter `co` in the context it last ran in: directly if that is this thread's
 * current context, else via aio_co_schedule. From inside another coroutine it is queued and
 * entered when that one yields (QEMU's co_queue_wakeup).
 */
export function aio_co_wake(co: Coroutine): void {
  aio_co_enter(co.ctx, co);
}

/** aio_co_enter: enter `co` in `ctx` (see aio_co_wake). */
export function aio_co_enter(ctx: AioContext | null, co: Coroutine): void {
  if (ctx !== null && ctx !== qemu_get_current_aio_context()) {
    aio_co_schedule(ctx, co);
    return;
  }
  if (current !== null) {
    if (current === co) throw new CoroutineError(`aio_co_enter: coroutine ${co.id} wakes itself`);
    current.co_queue_wakeup.push(co);
  } else {
    qemu_aio_coroutine_enter(ctx, co);
  }
}

/**
 * aio_co_reschedule_self: coroutine_fn. Move the running coroutine to `new_ctx`: it yields here and
 * continues from new_ctx's next aio_bh_poll.
 */
export function* aio_co_reschedule_self(new_ctx: AioContext): coroutine_fn<void> {
  const old_ctx = qemu_get_current_aio_context();
  if (old_ctx !== new_ctx) {
    const co = qemu_coroutine_self();
    // Schedule from a BH of the old context, so new_ctx cannot enter it before it has yielded.
    if (old_ctx === null) throw new CoroutineError('aio_co_reschedule_self: this thread has no current AioContext');
    aio_bh_schedule_oneshot(old_ctx, () => aio_co_schedule(new_ctx, co), undefined, 'aio_co_reschedule_self_bh');
    yield* qemu_coroutine_yield();
  }
}
