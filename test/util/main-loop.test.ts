import { expect, test } from 'vitest';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  iohandler_get_aio_context,
  main_loop_wait,
  qemu_bh_new,
  qemu_get_aio_context,
  qemuIOHandlerRecords,
  qemu_set_fd_handler,
} from '../../src/util/main-loop';
import { aio_poll, qemu_get_current_aio_context } from '../../src/util/aio-context';
import { qemu_bh_schedule } from '../../src/util/aio-bh';
import { event_notifier_get_fd, event_notifier_set, event_notifier_test_and_clear, eventNotifierNew, shareEventNotifier, type EventNotifier } from '../../src/util/event-notifier';
import { QEMU_CLOCK_REALTIME, qemu_clock_get_ms, timer_mod, timer_new_ms } from '../../src/util/qemu-timer';
import { FIXTURES, requireFreshDist } from './util-test-helpers';

test('the main loop context is this thread\'s current context; main_loop_wait(true) runs its BHs', () => {
  const main = qemu_get_aio_context(); // qemu_init_main_loop on first use
  expect(qemu_get_current_aio_context()).toBe(main);
  let ran = 0;
  qemu_bh_schedule(qemu_bh_new(() => ran++));
  expect(main_loop_wait(true)).toBe(true);
  expect(ran).toBe(1);
  const t0 = Date.now();
  expect(main_loop_wait(true)).toBe(false); // nothing to do, and it does not block
  expect(Date.now() - t0).toBeLessThan(500);
});

test('legacy qemu_set_fd_handler: IOHandlerRecord, dispatch from main_loop_wait only, removal', () => {
  const n = eventNotifierNew('chardev');
  const fd = event_notifier_get_fd(n);
  const got: unknown[] = [];
  const fd_read = (opaque: EventNotifier) => {
    event_notifier_test_and_clear(opaque);
    got.push(opaque);
  };
  qemu_set_fd_handler(fd, fd_read, null, n);
  expect(qemuIOHandlerRecords().map((r) => r.fd)).toContain(fd);
  expect(iohandler_get_aio_context().aio_handlers.some((h) => h.fd === fd)).toBe(true);

  event_notifier_set(n);
  aio_poll(qemu_get_aio_context(), false); // a nested block-layer loop does not run legacy handlers
  expect(got).toEqual([]);
  expect(main_loop_wait(false)).toBe(true); // readable: no wait
  expect(got).toEqual([n]);

  qemu_set_fd_handler(fd, null, null);
  expect(qemuIOHandlerRecords().map((r) => r.fd)).not.toContain(fd);
  event_notifier_set(n);
  main_loop_wait(true);
  expect(got).toEqual([n]);
});

test('main-loop timers (timer_new_ms) fire from a blocking main_loop_wait at their deadline', () => {
  let fired = 0;
  const t = timer_new_ms(QEMU_CLOCK_REALTIME, () => fired++);
  const t0 = Date.now();
  timer_mod(t, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 60);
  while (fired === 0) main_loop_wait(false);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
});

test('main_loop_wait(false, timeout_ns) returns after the bound', () => {
  const t0 = Date.now();
  expect(main_loop_wait(false, 30e6)).toBe(false);
  const dt = Date.now() - t0;
  expect(dt).toBeGreaterThanOrEqual(25);
  expect(dt).toBeLessThan(2_000);
});

test('a legacy fd handler\'s notifier set by another thread wakes main_loop_wait', async () => {
  requireFreshDist();
  const n = eventNotifierNew('from-worker');
  const got: unknown[] = [];
  qemu_set_fd_handler(event_notifier_get_fd(n), (o: EventNotifier) => {
    event_notifier_test_and_clear(o);
    got.push(o);
  }, null, n);
  const report = new Int32Array(new SharedArrayBuffer(16));
  const worker = new Worker(path.join(FIXTURES, 'notifier-setter.js'), { workerData: { notifier: shareEventNotifier(n), delayMs: 100, report } });
  const t0 = Date.now();
  while (got.length === 0 && Date.now() - t0 < 10_000) main_loop_wait(false); // iohandler ctx chained to the main one
  expect(got).toEqual([n]);
  qemu_set_fd_handler(event_notifier_get_fd(n), null, null);
  await worker.terminate();
});
