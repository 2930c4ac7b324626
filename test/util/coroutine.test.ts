import { afterEach, beforeAll, expect, test } from 'vitest';
import {
  COROUTINE_YIELD,
  CoroutineState,
  aio_co_schedule,
  aio_co_wake,
  coroutinePoolStats,
  qemu_coroutine_create,
  qemu_coroutine_enter,
  qemu_coroutine_self,
  qemu_coroutine_yield,
  qemu_coroutine_yield_here,
  qemu_in_coroutine,
  type Coroutine,
  type coroutine_fn,
} from '../../src/util/coroutine';
import { aio_context_new, aio_poll } from '../../src/util/aio-context';
import { aio_bh_new, qemu_bh_schedule } from '../../src/util/aio-bh';
import { clearUtilTraceHooks, utilTraceHooks } from '../../src/util/trace-hooks';

beforeAll(() => {
  Error.stackTraceLimit = 100;
});
afterEach(() => clearUtilTraceHooks());

test('create, enter, yield, re-enter where it left off, terminate', () => {
  const log: string[] = [];
  function* entry(opaque: { name: string }): coroutine_fn {
    let local = 1;
    log.push(`start ${opaque.name} ${qemu_in_coroutine()}`);
    yield* qemu_coroutine_yield();
    local += 1;
    log.push(`resumed ${local}`);
    yield* qemu_coroutine_yield();
    log.push('end');
  }
  const co = qemu_coroutine_create(entry, { name: 'x' });
  expect(co.state).toBe(CoroutineState.CREATED);
  qemu_coroutine_enter(co);
  expect(co.state).toBe(CoroutineState.SUSPENDED);
  expect(log).toEqual(['start x true']);
  expect(qemu_in_coroutine()).toBe(false);
  expect(qemu_coroutine_self().id).toBe(0); // the leader
  qemu_coroutine_enter(co);
  expect(log).toEqual(['start x true', 'resumed 2']);
  qemu_coroutine_enter(co);
  expect(log).toEqual(['start x true', 'resumed 2', 'end']);
  expect(co.state).toBe(CoroutineState.TERMINATED);
});

test('nested coroutine_fn calls with yield* pass values through suspension', () => {
  function* raw_co_prw(off: number): coroutine_fn<number> {
    yield* qemu_coroutine_yield();
    return off * 2;
  }
  function* bdrv_co_preadv(off: number): coroutine_fn<number> {
    const r = yield* raw_co_prw(off);
    return r + 1;
  }
  let result = -1;
  const co = qemu_coroutine_create(function* blk_aio_read_entry(): coroutine_fn {
    result = yield* bdrv_co_preadv(20);
  });
  qemu_coroutine_enter(co);
  expect(result).toBe(-1);
  qemu_coroutine_enter(co);
  expect(result).toBe(41);
});

test('ids increase per creation and are reported on create/enter/yield/terminate; the pool reuses objects', () => {
  const events: string[] = [];
  utilTraceHooks.qemu_coroutine_create = (co, reused) => events.push(`create ${co.id}${reused ? ' reused' : ''}`);
  utilTraceHooks.qemu_aio_coroutine_enter = (_ctx, from, to) => events.push(`enter ${from.id}->${to.id}`);
  utilTraceHooks.qemu_coroutine_yield = (from, to) => events.push(`yield ${from.id}->${to.id}`);
  utilTraceHooks.qemu_coroutine_terminate = (co) => events.push(`terminate ${co.id}`);
  function* once(): coroutine_fn {
    yield* qemu_coroutine_yield();
  }
  const a = qemu_coroutine_create(once);
  const idA = a.id;
  qemu_coroutine_enter(a);
  qemu_coroutine_enter(a);
  const stats0 = coroutinePoolStats();
  const b = qemu_coroutine_create(once);
  expect(b).toBe(a); // same object back from the pool...
  expect(b.id).toBe(idA + 1); // ...with a new id
  expect(b.reuse_count).toBeGreaterThanOrEqual(1);
  expect(coroutinePoolStats().reused).toBe(stats0.reused + 1);
  expect(events[0]).toMatch(new RegExp(`^create ${idA}( reused)?$`)); // earlier tests may have filled the pool
  expect(events.slice(1)).toEqual([`enter 0->${idA}`, `yield ${idA}->0`, `enter 0->${idA}`, `terminate ${idA}`, `create ${idA + 1} reused`]);
  qemu_coroutine_enter(b);
  qemu_coroutine_enter(b);
  const c1 = qemu_coroutine_create(once);
  const c2 = qemu_coroutine_create(once); // pool now empty: a fresh object
  expect(c2).not.toBe(c1);
  expect(c2.id).toBe(c1.id + 1);
});

test('JS stack traces inside a coroutine show the coroutine_fn frames by their QEMU names, before and after a yield', () => {
  const stacks: string[] = [];
  function* raw_co_prw(): coroutine_fn<number> {
    stacks.push(new Error().stack!);
    yield* qemu_coroutine_yield();
    stacks.push(new Error().stack!);
    return 0;
  }
  function* raw_co_preadv(): coroutine_fn<number> {
    return yield* raw_co_prw();
  }
  function* bdrv_co_preadv(): coroutine_fn<number> {
    return yield* raw_co_preadv();
  }
  function* blk_co_preadv(): coroutine_fn<number> {
    return yield* bdrv_co_preadv();
  }
  function* blk_aio_read_entry(): coroutine_fn {
    yield* blk_co_preadv();
  }
  const ctx = aio_context_new('stacks');
  const co = qemu_coroutine_create(blk_aio_read_entry);
  qemu_coroutine_enter(co);
  // Re-entered from a bottom half, as thread_pool_completion_bh does.
  qemu_bh_schedule(aio_bh_new(ctx, function thread_pool_completion_bh() {
    aio_co_wake(co);
  }));
  aio_poll(ctx, false);
  expect(stacks).toHaveLength(2);
  const frames = (s: string) =>
    s
      .split('\n')
      .map((l) => /^\s+at (?:Generator\.)?([\w$.]+)/.exec(l)?.[1])
      .filter((f): f is string => f !== undefined && !f.endsWith('.next'));
  const chain = ['raw_co_prw', 'raw_co_preadv', 'bdrv_co_preadv', 'blk_co_preadv', 'blk_aio_read_entry', 'qemu_aio_coroutine_enter'];
  for (const s of stacks) {
    const f = frames(s);
    const idx = chain.map((name) => f.indexOf(name));
    expect(idx.every((i) => i >= 0), `frames: ${f.join(' ← ')}`).toBe(true);
    expect([...idx].sort((x, y) => x - y)).toEqual(idx); // innermost first, in call order
  }
  const resumed = frames(stacks[1]);
  for (const f of ['aio_co_wake', 'thread_pool_completion_bh', 'aio_bh_call', 'aio_bh_poll', 'aio_poll']) expect(resumed).toContain(f);
});

test('re-entering a running coroutine, entering a terminated one, and bare yields are clear errors', () => {
  let self: Coroutine | null = null;
  const rec = qemu_coroutine_create(function* recursive(): coroutine_fn {
    self = qemu_coroutine_self();
    qemu_coroutine_enter(self);
  });
  expect(() => qemu_coroutine_enter(rec)).toThrow(/Co-routine re-entered recursively/);
  expect(self).toBe(rec);
  expect(rec.state).toBe(CoroutineState.TERMINATED);

  const done = qemu_coroutine_create(function* quick(): coroutine_fn {});
  qemu_coroutine_enter(done);
  expect(() => qemu_coroutine_enter(done)).toThrow(/has terminated and cannot be entered/);

  const bare = qemu_coroutine_create(function* bare_yield(): Generator<unknown, void, void> {
    yield 42;
  } as unknown as () => coroutine_fn);
  expect(() => qemu_coroutine_enter(bare)).toThrow(/yielded a value: use yield\* qemu_coroutine_yield\(\)/);

  expect(() => qemu_coroutine_yield().next()).toThrow(/not in a coroutine/);
  expect(COROUTINE_YIELD.toString()).toContain('COROUTINE_YIELD');
});

test('aio_co_wake from inside a coroutine queues the woken one until the waker yields', () => {
  const log: string[] = [];
  const b = qemu_coroutine_create(function* b_fn(): coroutine_fn {
    log.push('b1');
    yield* qemu_coroutine_yield();
    log.push('b2');
  });
  qemu_coroutine_enter(b);
  const a = qemu_coroutine_create(function* a_fn(): coroutine_fn {
    aio_co_wake(b);
    log.push('a after wake');
    yield* qemu_coroutine_yield();
  });
  qemu_coroutine_enter(a);
  expect(log).toEqual(['b1', 'a after wake', 'b2']);
});

test('wake-ups are entered depth first: the woken ones of a woken coroutine before the waker\'s later ones', () => {
  const log: string[] = [];
  const mk = (name: string, wake: () => Coroutine[]): Coroutine =>
    qemu_coroutine_create(function* waker(): coroutine_fn {
      yield* qemu_coroutine_yield();
      log.push(name);
      for (const c of wake()) aio_co_wake(c);
      log.push(`${name} done`);
    });
  const d = mk('d', () => []);
  const c = mk('c', () => []);
  const b = mk('b', () => [d]);
  const a = mk('a', () => [b, c]);
  for (const co of [a, b, c, d]) qemu_coroutine_enter(co); // each runs to its first yield
  qemu_coroutine_enter(a);
  expect(log).toEqual(['a', 'a done', 'b', 'b done', 'd', 'd done', 'c', 'c done']);
  for (const co of [a, b, c, d]) expect(co.co_queue_wakeup).toEqual([]);
});

test('a pooled coroutine starts with an empty wake-up queue, the same array reused', () => {
  const first = qemu_coroutine_create(function* once(): coroutine_fn {});
  const queue = first.co_queue_wakeup;
  const before = coroutinePoolStats().pooled;
  qemu_coroutine_enter(first); // terminates: back to the pool
  expect(coroutinePoolStats().pooled).toBe(before + 1);
  const again = qemu_coroutine_create(function* twice(): coroutine_fn {});
  expect(again).toBe(first); // recycled object (LIFO pool)
  expect(again.co_queue_wakeup).toBe(queue);
  expect(again.co_queue_wakeup).toEqual([]);
  qemu_coroutine_enter(again);
});

test('qemu_coroutine_yield_here: a plain `yield` of its token suspends like yield* qemu_coroutine_yield, with the same hook and checks', () => {
  const yields: number[] = [];
  utilTraceHooks.qemu_coroutine_yield = (from) => void yields.push(from.id);
  let resumed = false;
  const co = qemu_coroutine_create(function* direct(): coroutine_fn {
    yield qemu_coroutine_yield_here();
    resumed = true;
  });
  qemu_coroutine_enter(co);
  expect(co.state).toBe(CoroutineState.SUSPENDED);
  expect(yields).toEqual([co.id]);
  expect(resumed).toBe(false);
  qemu_coroutine_enter(co);
  expect(resumed).toBe(true);
  expect(() => qemu_coroutine_yield_here()).toThrow(/not in a coroutine/);
});

test('aio_co_schedule enters from the context\'s next aio_poll; double scheduling is an error', () => {
  const ctx = aio_context_new('sched');
  const log: string[] = [];
  const mk = (name: string) =>
    qemu_coroutine_create(function* scheduled(): coroutine_fn {
      log.push(name);
    });
  const x = mk('x');
  const y = mk('y');
  aio_co_schedule(ctx, x);
  aio_co_schedule(ctx, y);
  expect(() => aio_co_schedule(ctx, x)).toThrow(/already scheduled in 'aio_co_schedule'/);
  expect(() => qemu_coroutine_enter(x)).toThrow(/already scheduled/);
  expect(log).toEqual([]);
  aio_poll(ctx, false);
  expect(log).toEqual(['x', 'y']); // in scheduling order, as QEMU's co_schedule_bh_cb
  expect(x.ctx).toBe(ctx);
});
