/**
 * A call to an iothread that died fails at once with the thread's reason (aio-wait.ts checks
 * RemoteAioContext.stopped while it waits), instead of at the call's timeout: a oneshot of a
 * function the iothread does not have ends it (iothread-worker.ts), and a waited-for call sent
 * after it must say so.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as path from 'node:path';
import { AioWaitError, aio_wait_bh_oneshot } from '../../src/util/aio-wait';
import { iothread_create, iothread_destroy, iothread_get_aio_context, type IOThread } from '../../src/util/iothread';
import { FIXTURES, requireFreshDist } from './util-test-helpers';

let io: IOThread;

beforeAll(() => {
  requireFreshDist();
  io = iothread_create('io-death', { modules: [path.join(FIXTURES, 'iothread-order-funcs.js')] });
});
afterAll(() => {
  iothread_destroy(io);
});

test('a waited-for call to an iothread that died fails promptly, naming why it died', () => {
  const ctx = iothread_get_aio_context(io);
  const ran = new Int32Array(new SharedArrayBuffer(4));
  expect(aio_wait_bh_oneshot<number>(ctx, 'test_order_start', { ran }, 10_000)).toBe(0); // alive: it answers
  ctx.scheduleOneshot('no_such_function', {});
  const t0 = Date.now();
  let err: unknown;
  try {
    aio_wait_bh_oneshot(ctx, 'test_order_start', { ran }, 30_000);
  } catch (e) {
    err = e;
  }
  const ms = Date.now() - t0;
  expect(err).toBeInstanceOf(AioWaitError);
  expect((err as Error).message).toMatch(/^test_order_start in context 'iothread io-death': the context's thread stopped: .*no function registered as 'no_such_function'/s);
  expect(ms).toBeLessThan(10_000); // not the 30 s timeout
  expect(io.running).toBe(false);
});
