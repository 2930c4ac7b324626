import { afterEach, beforeAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { AioContext, aio_context_new } from '../../src/util/aio-context';
import {
  ThreadPool,
  ThreadPoolElement,
  ThreadState,
  thread_pool_cancel,
  thread_pool_free,
  thread_pool_new,
  thread_pool_submit_aio,
  thread_pool_submit_co,
  threadPoolStats,
  threadPoolRegisterFastEncoder,
  thread_pool_register_buffer,
} from '../../src/util/thread-pool';
import { ECANCELED, EINVAL, EIO, ENOSYS, THREAD_POOL_MAX_DEFAULT } from '../../src/util/thread-pool-funcs';
import { qemu_coroutine_create, qemu_coroutine_enter, type coroutine_fn } from '../../src/util/coroutine';
import { qemu_get_thread_id } from '../../src/util/qemu-thread';
import { clearUtilTraceHooks, utilTraceHooks } from '../../src/util/trace-hooks';
import { WorkerScriptError, workerModulePath } from '../../src/util/worker-script';
import { FIXTURES, pollUntil, requireFreshDist } from './util-test-helpers';

const FUNCS = path.join(FIXTURES, 'pool-funcs.js');
const pools: ThreadPool[] = [];

function newPool(ctx: AioContext, opts: Parameters<typeof thread_pool_new>[1] = {}): ThreadPool {
  const p = thread_pool_new(ctx, { modules: [FUNCS], ...opts });
  pools.push(p);
  return p;
}

beforeAll(() => {
  requireFreshDist();
  Error.stackTraceLimit = 100;
});
afterEach(() => {
  clearUtilTraceHooks();
  for (const p of pools.splice(0)) if (p.head.length === 0) thread_pool_free(p);
});

test('work runs on a real worker thread; completion runs via the completion BH in the submitting context', () => {
  const ctx = aio_context_new('submitter');
  const pool = newPool(ctx);
  expect(pool.max_threads).toBe(THREAD_POOL_MAX_DEFAULT); // min(64, 4 × CPUs): QEMU's 64 is for pthreads
  expect(THREAD_POOL_MAX_DEFAULT).toBe(Math.min(64, 4 * os.availableParallelism()));
  const out = new Int32Array(new SharedArrayBuffer(16));
  const done: { ret: number; tid: number; threadId: number; stack: string }[] = [];
  const elem = thread_pool_submit_aio(pool, 'test_whoami', { out }, (opaque: string, ret: number) => {
    expect(opaque).toBe('opaque-1');
    done.push({ ret, tid: qemu_get_thread_id(), threadId, stack: new Error().stack! });
  }, 'opaque-1');
  expect(done).toHaveLength(0); // never synchronously from submit
  expect(elem.worker).toBeNull(); // queued until a worker is up
  pollUntil(ctx, () => done.length > 0);
  expect(elem.worker).toMatch(/^worker-\d+$/);

  expect(out[0]).not.toBe(threadId); // another Node thread...
  expect(out[0]).toBeGreaterThan(0);
  expect(out[1]).toBeGreaterThan(0);
  expect(out[1]).not.toBe(qemu_get_thread_id()); // ...with its own kernel tid
  expect(done[0].ret).toBe(out[0]);
  expect(done[0].tid).toBe(qemu_get_thread_id()); // the callback runs on the submitting thread
  expect(done[0].stack).toContain('thread_pool_completion_bh');
  expect(done[0].stack).toContain('aio_bh_poll');
  expect(elem.state).toBe(ThreadState.THREAD_DONE);
  const st = threadPoolStats(pool);
  expect(st.cur_threads).toBe(1);
  expect(st.workers[0]).toMatchObject({ name: elem.worker, threadId: out[0], tid: out[1], jobs: 1 });
});

test('workers read and write SharedArrayBuffer views (guest RAM) in place', () => {
  const ctx = aio_context_new('rw');
  const pool = newPool(ctx);
  const ram = new SharedArrayBuffer(1 << 16);
  const src = new Uint8Array(ram, 0x1000, 512);
  const dst = new Uint8Array(ram, 0x8000, 512);
  for (let i = 0; i < src.length; i++) src[i] = (i * 7) & 0xff;
  let ret = -1;
  thread_pool_submit_aio(pool, 'handle_test_rw', { src, dst }, (_o: unknown, r: number) => (ret = r), null);
  pollUntil(ctx, () => ret !== -1);
  expect(ret).toBe(src.reduce((a, b) => a + b, 0));
  for (let i = 0; i < dst.length; i++) expect(dst[i]).toBe(src[i] ^ 0xff);
});

test('grows on demand up to max_threads, queues beyond, and idle workers exit', () => {
  const ctx = aio_context_new('grow');
  const pool = newPool(ctx, { max_threads: 3, idle_timeout_ms: 300 });
  const gate = new Int32Array(new SharedArrayBuffer(64));
  const results: number[] = [];
  const elems: ThreadPoolElement[] = [];
  let maxThreads = 0;
  const sample = () => (maxThreads = Math.max(maxThreads, pool.cur_threads));
  for (let i = 1; i <= 6; i++) {
    elems.push(thread_pool_submit_aio(pool, 'test_gate', { gate, index: i }, (_o: unknown, r: number) => results.push(r), null));
    sample();
  }
  expect(pool.cur_threads).toBe(1); // workers start one at a time, while requests wait
  pollUntil(ctx, () => (sample(), Atomics.load(gate, 0) === 3)); // three workers are inside test_gate
  let st = threadPoolStats(pool);
  expect(st.cur_threads).toBe(3);
  expect(st.busy_threads).toBe(3);
  expect(st.queued).toBe(3);
  expect(st.in_flight).toBe(6);
  expect(new Set(elems.slice(0, 3).map((e) => e.worker)).size).toBe(3);
  expect(elems[3].state).toBe(ThreadState.THREAD_QUEUED);
  for (let i = 1; i <= 6; i++) {
    Atomics.store(gate, i, 1);
    Atomics.notify(gate, i);
  }
  pollUntil(ctx, () => (sample(), results.length === 6));
  expect(results.sort()).toEqual([1, 2, 3, 4, 5, 6]);
  expect(maxThreads).toBe(3);
  st = threadPoolStats(pool);
  expect(st.workers.every((w) => w.status === 'IDLE')).toBe(true);
  pollUntil(ctx, () => pool.cur_threads === 0, 5_000); // idle timeout: 300 ms
  expect(threadPoolStats(pool).workers).toHaveLength(0);
});

test('cancellation: a queued element completes with -ECANCELED and never runs; an active one completes normally', () => {
  const ctx = aio_context_new('cancel');
  const pool = newPool(ctx, { max_threads: 1 });
  const gate = new Int32Array(new SharedArrayBuffer(16));
  const out = new Int32Array(new SharedArrayBuffer(16));
  const rets = new Map<string, number>();
  const cancelled: number[] = [];
  utilTraceHooks.thread_pool_cancel = (req) => cancelled.push(req.id);
  const active = thread_pool_submit_aio(pool, 'test_gate', { gate, index: 1 }, (o: string, r: number) => rets.set(o, r), 'active');
  const queued = thread_pool_submit_aio(pool, 'test_whoami', { out }, (o: string, r: number) => rets.set(o, r), 'queued');
  thread_pool_submit_aio(pool, 'test_add', { a: 2, b: 3 }, (o: string, r: number) => rets.set(o, r), 'after');
  pollUntil(ctx, () => Atomics.load(gate, 0) === 1);
  expect(active.state).toBe(ThreadState.THREAD_ACTIVE);
  expect(queued.state).toBe(ThreadState.THREAD_QUEUED);

  thread_pool_cancel(queued);
  thread_pool_cancel(active); // too late: runs to completion
  expect(cancelled).toEqual([queued.id, active.id]);
  expect(rets.size).toBe(0); // completion comes from the BH, not from cancel
  pollUntil(ctx, () => rets.has('queued'));
  expect(rets.get('queued')).toBe(-ECANCELED);
  expect(rets.has('active')).toBe(false);
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  pollUntil(ctx, () => rets.size === 3);
  expect(rets.get('active')).toBe(1);
  expect(rets.get('after')).toBe(5);
  expect(out[0]).toBe(0); // the cancelled job never ran
});

test('thread_pool_submit_co: the coroutine yields and is re-entered from the completion BH with the result', () => {
  const ctx = aio_context_new('co');
  const pool = newPool(ctx);
  let result: number | undefined;
  let stack = '';
  function* raw_thread_pool_submit(): coroutine_fn<number> {
    const ret = yield* thread_pool_submit_co(pool, 'test_add', { a: 40, b: 2 });
    stack = new Error().stack!;
    return ret;
  }
  const co = qemu_coroutine_create(function* blk_aio_read_entry(): coroutine_fn {
    result = yield* raw_thread_pool_submit();
  });
  qemu_coroutine_enter(co);
  expect(result).toBeUndefined();
  pollUntil(ctx, () => result !== undefined);
  expect(result).toBe(42);
  for (const f of ['raw_thread_pool_submit', 'blk_aio_read_entry', 'qemu_aio_coroutine_enter', 'aio_co_wake', 'thread_pool_co_cb', 'thread_pool_completion_bh', 'aio_poll']) {
    expect(stack).toContain(f);
  }
});

test('failures are reported: unknown function, a throwing function, an unclonable argument, a module that fails to load', () => {
  const ctx = aio_context_new('errors');
  const pool = newPool(ctx);
  const rets: number[] = [];
  const cb = (_o: unknown, r: number) => rets.push(r);
  const unknown = thread_pool_submit_aio(pool, 'no_such_function', {}, cb, null);
  const thrower = thread_pool_submit_aio(pool, 'test_throw', {}, cb, null);
  const unclonable = thread_pool_submit_aio(pool, 'test_add', { f: () => 1 }, cb, null);
  pollUntil(ctx, () => rets.length === 3);
  expect(unknown.ret).toBe(-ENOSYS);
  expect(unknown.error).toMatch(/no pool function named 'no_such_function'/);
  expect(thrower.ret).toBe(-EIO);
  expect(thrower.error).toMatch(/boom from the worker/);
  expect(unclonable.ret).toBe(-EINVAL);
  expect(unclonable.error).toMatch(/cannot be sent to a worker/);

  expect(() => newPool(aio_context_new('missing'), { modules: [path.join(FIXTURES, 'does-not-exist.js')] })).toThrow(/no such worker module/);
  const bctx = aio_context_new('bad');
  const bad = newPool(bctx, { modules: [path.join(FIXTURES, 'bad-module.js')] });
  const elem = thread_pool_submit_aio(bad, 'test_add', { a: 1, b: 1 }, cb, null);
  pollUntil(bctx, () => rets.length === 4);
  expect(elem.ret).toBe(-EIO);
  expect(elem.error).toMatch(/loading pool modules failed: this module is broken/);
  pollUntil(bctx, () => bad.cur_threads === 0); // the broken worker left the pool
  expect(bad.fatal.join('\n')).toMatch(/this module is broken/);
});

test('worker scripts come from dist/: a clear error when it is missing or older than src/', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-ws-'));
  try {
    fs.mkdirSync(path.join(root, 'src', 'util'), { recursive: true });
    fs.mkdirSync(path.join(root, 'dist', 'util'), { recursive: true });
    const ts = path.join(root, 'src', 'util', 'w.ts');
    const js = path.join(root, 'dist', 'util', 'w.js');
    fs.writeFileSync(ts, '');
    expect(() => workerModulePath(ts, root)).toThrow(/dist\/util\/w\.js is missing.*npx tsc -p/);
    fs.writeFileSync(js, '');
    fs.utimesSync(js, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(() => workerModulePath(ts, root)).toThrow(WorkerScriptError);
    expect(() => workerModulePath(ts, root)).toThrow(/older than src\/util\/w\.ts/);
    fs.utimesSync(js, new Date(), new Date(Date.now() + 60_000));
    expect(workerModulePath(ts, root)).toBe(js);
    expect(() => workerModulePath('/elsewhere/x.ts', root)).toThrow(/only load TypeScript modules from/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('fast jobs: arguments encoded in shared memory, registered buffers, batched completion, hooks and cancellation', () => {
  let encoded = 0;
  threadPoolRegisterFastEncoder('test_fast_fill', (arg: { view: Uint8Array; value: number }, w) => {
    const id = w.bufferId(arg.view.buffer);
    if (id < 0) return false;
    w.i32[w.base] = id;
    w.i32[w.base + 1] = arg.view.byteOffset;
    w.i32[w.base + 2] = arg.view.byteLength;
    w.i32[w.base + 3] = arg.value;
    encoded++;
    return true;
  });
  const ctx = aio_context_new('fast');
  const pool = newPool(ctx, { max_threads: 1 });
  const ram = new SharedArrayBuffer(1 << 16);
  thread_pool_register_buffer(pool, ram);
  const once = new Uint8Array(new SharedArrayBuffer(64)); // unregistered, first use: a message job
  const submitted: number[] = [];
  const completed: number[] = [];
  utilTraceHooks.thread_pool_submit_aio = (_p, req) => submitted.push(req.id);
  utilTraceHooks.thread_pool_complete = (_p, req) => completed.push(req.id);
  const rets: number[] = [];
  const elems: ThreadPoolElement[] = [];
  for (let i = 0; i < 64; i++) {
    elems.push(thread_pool_submit_aio(pool, 'test_fast_fill', { view: new Uint8Array(ram, i * 1024, 1024), value: i + 1 }, (_o: unknown, r: number) => rets.push(r), null));
  }
  const cancelled = elems[63];
  thread_pool_cancel(cancelled); // still QUEUED: the only worker is starting
  thread_pool_submit_aio(pool, 'test_fast_fill', { view: once, value: 7 }, (_o: unknown, r: number) => rets.push(r), null);
  pollUntil(ctx, () => rets.length === 65);
  expect(encoded).toBe(64);
  expect(cancelled.ret).toBe(-ECANCELED);
  expect(rets.filter((r) => r === 1024)).toHaveLength(63);
  expect(rets).toContain(64);
  for (let i = 0; i < 63; i++) expect(new Uint8Array(ram, i * 1024, 1024).every((b) => b === i + 1)).toBe(true);
  expect(new Uint8Array(ram, 63 * 1024, 1024).every((b) => b === 0)).toBe(true); // never ran
  expect(once.every((b) => b === 7)).toBe(true);
  expect(completed.sort((a, b) => a - b)).toEqual(submitted.sort((a, b) => a - b));
  expect(elems[0].worker).toMatch(/^worker-\d+$/);
  const st = threadPoolStats(pool);
  expect(st.cur_threads).toBe(1);
  expect(st.workers[0].jobs).toBe(64); // 63 fast + 1 message job, one worker
  expect(st.in_flight).toBe(0);
});
