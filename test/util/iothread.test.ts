import { afterAll, beforeAll, expect, test } from 'vitest';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { aio_bh_new, aio_bh_schedule_oneshot, shareBH } from '../../src/util/aio-bh';
import { aio_context_new } from '../../src/util/aio-context';
import { event_notifier_set, eventNotifierNew, shareEventNotifier } from '../../src/util/event-notifier';
import { IOThreadStatus, iothread_by_id, iothread_create, iothread_destroy, iothread_get_aio_context, iothread_stop, type IOThread } from '../../src/util/iothread';
import { qemu_get_thread_id } from '../../src/util/qemu-thread';
import { FIXTURES, pollUntil, requireFreshDist } from './util-test-helpers';

const MODULES = [path.join(FIXTURES, 'iothread-funcs.js')];
let io0: IOThread;

beforeAll(() => {
  requireFreshDist();
  io0 = iothread_create('io0', { modules: MODULES }); // returns once the thread polls its context
});
afterAll(() => {
  if (iothread_by_id('io0')) iothread_destroy(io0);
});

test('iothread_create starts a thread running its own AioContext', () => {
  expect(io0.running).toBe(true);
  expect(io0.threadId).not.toBe(threadId);
  expect(io0.thread_id).toBeGreaterThan(0);
  expect(io0.thread_id).not.toBe(qemu_get_thread_id());
  expect(iothread_by_id('io0')).toBe(io0);
  expect(iothread_get_aio_context(io0).name).toBe('iothread io0');
  expect(() => iothread_create('io0')).toThrow(/already exists/);
});

test('aio_bh_schedule_oneshot on the iothread context runs the named function there, which signals back', () => {
  const main = aio_context_new('main-side');
  let back = 0;
  const done = aio_bh_new(main, () => back++);
  const out = new Int32Array(new SharedArrayBuffer(16));
  aio_bh_schedule_oneshot(iothread_get_aio_context(io0), 'test_probe', { out, done: shareBH(done) });
  pollUntil(main, () => back > 0);
  expect(out[0]).toBe(io0.threadId); // ran on the iothread...
  expect(out[1]).toBe(io0.thread_id);
  expect(out[2]).toBe(1); // ...in its current AioContext
  expect(out[3]).toBe(iothread_get_aio_context(io0).id);
  expect(() => aio_bh_schedule_oneshot(iothread_get_aio_context(io0), (() => {}) as never)).toThrow(/by registered name/);
});

test('dataplane shape: a notifier set on this thread (ioeventfd) is dispatched in the iothread', () => {
  const main = aio_context_new('vcpu-side');
  let acks = 0;
  const done = aio_bh_new(main, () => acks++);
  const host_notifier = eventNotifierNew('vq0.host_notifier');
  const counter = new Int32Array(new SharedArrayBuffer(16));
  aio_bh_schedule_oneshot(iothread_get_aio_context(io0), 'test_watch_notifier', {
    notifier: shareEventNotifier(host_notifier),
    counter,
    done: shareBH(done),
  });
  pollUntil(main, () => acks === 1); // registered
  event_notifier_set(host_notifier); // the vCPU's QueueNotify store: does not wait
  pollUntil(main, () => Atomics.load(counter, 0) === 1);
  expect(counter[1]).toBe(io0.threadId);
  event_notifier_set(host_notifier);
  pollUntil(main, () => Atomics.load(counter, 0) === 2);
});

test('iothread_stop joins the thread; a failing iothread reports why', () => {
  const io1 = iothread_create('io1', { modules: MODULES });
  expect(iothread_stop(io1)).toBeNull();
  expect(io1.state).toBe(IOThreadStatus.EXITED);
  expect(() => iothread_get_aio_context(io1)).toThrow(/not running/);
  iothread_destroy(io1);
  expect(iothread_by_id('io1')).toBeUndefined();

  const io2 = iothread_create('io2', { modules: MODULES });
  aio_bh_schedule_oneshot(iothread_get_aio_context(io2), 'test_throw', null);
  io2.waitWhile(IOThreadStatus.RUNNING, 10_000);
  expect(io2.state).toBe(IOThreadStatus.FAILED);
  expect(iothread_destroy(io2)).toMatch(/iothread boom/);

  expect(() => iothread_create('io3', { modules: [path.join(FIXTURES, 'bad-module.js')] })).toThrow(/iothread_create\(io3\): iothread io3: loading modules failed: this module is broken/);
});
