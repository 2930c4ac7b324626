/**
 * Named oneshots sent to a running iothread run in the order sent (aio-remote.ts), also when the
 * iothread drains several of them in one poll. The relay of plugins depends on it: it sends
 * 'iothread_require' (load a module, which registers a function) and then a call of that function,
 * and the dataplane's start follows. aio_bh_poll runs one slice's BHs newest first, so calls that
 * were turned into BHs together used to run in reverse: the call of the not yet registered function
 * threw, the iothread died, and the start that followed was never answered.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as path from 'node:path';
import { aio_wait_bh_oneshot } from '../../src/util/aio-wait';
import { iothread_create, iothread_destroy, iothread_get_aio_context, type IOThread } from '../../src/util/iothread';
import { FIXTURES, requireFreshDist } from './util-test-helpers';

let io: IOThread;

beforeAll(() => {
  requireFreshDist();
  io = iothread_create('io-order', { modules: [path.join(FIXTURES, 'iothread-order-funcs.js')] });
});
afterAll(() => {
  expect(iothread_destroy(io)).toBeNull(); // the thread never stopped on its own
});

test('oneshots posted back to back run in the order they were posted', () => {
  const ctx = iothread_get_aio_context(io);
  const N = 200;
  const log = new Int32Array(new SharedArrayBuffer(4 * (N + 1)));
  for (let i = 0; i < N; i++) ctx.scheduleOneshot('test_order_append', { log, i });
  const ran = new Int32Array(new SharedArrayBuffer(4));
  aio_wait_bh_oneshot(ctx, 'test_order_start', { ran }, 10_000); // posted last, so it runs last
  expect(log[0]).toBe(N);
  expect([...log.subarray(1)]).toEqual(Array.from({ length: N }, (_, i) => i));
});

test('iothread_require, then a call of the function it registers, then a waited-for start: all answered, in order', () => {
  const file = path.join(FIXTURES, 'iothread-late-module.js');
  for (let round = 0; round < 50; round++) {
    const ctx = iothread_get_aio_context(io);
    const ran = new Int32Array(new SharedArrayBuffer(4));
    const name = `test_late_link_${round}`; // a function no iothread had before this round's require
    ctx.scheduleOneshot('iothread_require', { file, arg: { name } });
    ctx.scheduleOneshot(name, { ran });
    expect(aio_wait_bh_oneshot<number>(ctx, 'test_order_start', { ran }, 10_000), `round ${round}`).toBe(1);
    if (!io.running) io.collectErrors(); // why it stopped, for the message
    expect(io.running, `round ${round}: ${io.error ?? ''}`).toBe(true);
  }
});
