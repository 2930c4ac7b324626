import { expect, test } from 'vitest';
import * as path from 'node:path';
import { Worker, threadId } from 'node:worker_threads';
import {
  EVENT_NOTIFIER_FD_BASE,
  EventNotifier,
  event_notifier_cleanup,
  event_notifier_get_fd,
  event_notifier_init,
  event_notifier_set,
  event_notifier_test_and_clear,
  eventNotifierIsSet,
  eventNotifierNew,
  eventNotifierWait,
  openSharedEventNotifier,
  shareEventNotifier,
} from '../../src/util/event-notifier';
import { aio_context_new, aio_poll, aio_set_event_notifier } from '../../src/util/aio-context';
import { qemu_get_thread_id } from '../../src/util/qemu-thread';
import { FIXTURES, requireFreshDist } from './util-test-helpers';

test('set, test_and_clear, init active, fds', () => {
  const n = new EventNotifier();
  expect(event_notifier_init(n, false)).toBe(0);
  expect(event_notifier_test_and_clear(n)).toBe(false);
  event_notifier_set(n);
  event_notifier_set(n); // coalesces, like an eventfd read
  expect(eventNotifierIsSet(n)).toBe(true);
  expect(event_notifier_test_and_clear(n)).toBe(true);
  expect(event_notifier_test_and_clear(n)).toBe(false);

  const a = eventNotifierNew('a', true);
  expect(event_notifier_test_and_clear(a)).toBe(true);
  expect(event_notifier_get_fd(a)).toBeGreaterThanOrEqual(EVENT_NOTIFIER_FD_BASE);
  expect(event_notifier_get_fd(a)).not.toBe(event_notifier_get_fd(n));

  event_notifier_cleanup(a);
  expect(() => event_notifier_set(a)).toThrow(/before event_notifier_init or after cleanup/);
});

test('a shared descriptor of a cleaned-up notifier is rejected', () => {
  const n = eventNotifierNew('gone');
  const d = shareEventNotifier(n);
  expect(openSharedEventNotifier(d).slot).toBe(n.slot);
  event_notifier_cleanup(n);
  expect(() => openSharedEventNotifier(d)).toThrow(/cleaned up/);
});

function startSetter(n: EventNotifier, delayMs: number): { worker: Worker; report: Int32Array } {
  requireFreshDist();
  const report = new Int32Array(new SharedArrayBuffer(16));
  const worker = new Worker(path.join(FIXTURES, 'notifier-setter.js'), { workerData: { notifier: shareEventNotifier(n), delayMs, report } });
  return { worker, report };
}

test('another thread sets a notifier: a thread blocked on it wakes', async () => {
  const n = eventNotifierNew('x-thread');
  const { worker, report } = startSetter(n, 100);
  const t0 = Date.now();
  eventNotifierWait(n, 10_000);
  const waited = Date.now() - t0;
  expect(event_notifier_test_and_clear(n)).toBe(true);
  expect(waited).toBeLessThan(5_000);
  expect(report[0]).not.toBe(threadId); // set from another thread...
  expect(report[1]).not.toBe(qemu_get_thread_id()); // ...with its own kernel tid
  await worker.terminate();
});

test('a notifier set from another thread wakes a blocking aio_poll and dispatches its handler', async () => {
  const ctx = aio_context_new('x-thread-poll');
  const n = eventNotifierNew('vq0.host_notifier');
  const seen: EventNotifier[] = [];
  aio_set_event_notifier(ctx, n, (e) => {
    event_notifier_test_and_clear(e);
    seen.push(e);
  });
  expect(aio_poll(ctx, false)).toBe(false);
  const { worker } = startSetter(n, 150);
  const t0 = Date.now();
  while (seen.length === 0 && Date.now() - t0 < 10_000) aio_poll(ctx, true); // no timer: only the set can wake it
  expect(seen).toEqual([n]);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  await worker.terminate();
});
