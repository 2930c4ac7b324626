import { afterEach, expect, test } from 'vitest';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  AioHandler,
  G_IO_IN,
  aio_context_new,
  aio_poll,
  aio_set_event_notifier,
  aio_set_fd_handler,
  aio_timer_new,
  registerFdPoller,
} from '../../src/util/aio-context';
import { aio_bh_new, aio_bh_poll, aio_bh_schedule_oneshot, qemu_bh_cancel, qemu_bh_delete, qemu_bh_schedule, shareBH } from '../../src/util/aio-bh';
import { EventNotifier, event_notifier_set, event_notifier_test_and_clear, eventNotifierNew } from '../../src/util/event-notifier';
import {
  QEMU_CLOCK_REALTIME,
  QEMU_CLOCK_VIRTUAL,
  SCALE_MS,
  SCALE_NS,
  qemuClockSetSource,
  qemu_clock_get_ms,
  timer_del,
  timer_mod,
  timer_pending,
} from '../../src/util/qemu-timer';
import { clearUtilTraceHooks, utilTraceHooks } from '../../src/util/trace-hooks';
import { FIXTURES, requireFreshDist } from './util-test-helpers';

afterEach(() => {
  clearUtilTraceHooks();
  qemuClockSetSource(QEMU_CLOCK_VIRTUAL, null);
});

test('bottom halves: once per schedule, newest first within a slice (as QEMU), next slice for BHs scheduled by BHs', () => {
  const ctx = aio_context_new('bh');
  const log: string[] = [];
  const a = aio_bh_new(ctx, () => log.push('a'));
  const b = aio_bh_new(ctx, () => {
    log.push('b');
    qemu_bh_schedule(c);
  });
  const c = aio_bh_new(ctx, () => log.push('c'));
  qemu_bh_schedule(a);
  qemu_bh_schedule(b);
  qemu_bh_schedule(a); // already pending: still runs once, keeps its place
  expect(aio_bh_poll(ctx)).toBe(true);
  expect(log).toEqual(['b', 'a']); // QEMU's BH list is LIFO
  expect(aio_bh_poll(ctx)).toBe(true);
  expect(log).toEqual(['b', 'a', 'c']);
  expect(aio_bh_poll(ctx)).toBe(false);
});

test('cancel, delete and oneshot', () => {
  const ctx = aio_context_new('bh2');
  const log: string[] = [];
  const a = aio_bh_new(ctx, () => log.push('a'));
  qemu_bh_schedule(a);
  qemu_bh_cancel(a);
  expect(aio_poll(ctx, false)).toBe(false);
  qemu_bh_schedule(a);
  qemu_bh_delete(a);
  aio_poll(ctx, false);
  expect(log).toEqual([]);
  expect(() => qemu_bh_schedule(a)).toThrow(/after qemu_bh_delete/);
  aio_bh_schedule_oneshot(ctx, (o: string) => log.push(o), 'once');
  expect(aio_poll(ctx, true)).toBe(true); // a pending BH: blocking poll does not wait
  aio_poll(ctx, false);
  expect(log).toEqual(['once']);
});

test('aio_poll(false) never blocks; aio_poll(true) with a pending BH returns at once', () => {
  const ctx = aio_context_new('nb');
  const far = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS, () => {});
  timer_mod(far, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 60_000);
  const t0 = Date.now();
  for (let i = 0; i < 100; i++) expect(aio_poll(ctx, false)).toBe(false);
  qemu_bh_schedule(aio_bh_new(ctx, () => {}));
  expect(aio_poll(ctx, true)).toBe(true);
  expect(Date.now() - t0).toBeLessThan(1_000);
  timer_del(far);
});

test('a BH scheduled from another thread wakes a blocking aio_poll', async () => {
  requireFreshDist();
  const ctx = aio_context_new('remote-bh');
  let ran = 0;
  const bh = aio_bh_new(ctx, function thread_pool_completion_bh() {
    ran++;
  });
  const worker = new Worker(path.join(FIXTURES, 'bh-scheduler.js'), { workerData: { bh: shareBH(bh), delayMs: 150, times: 1 } });
  const t0 = Date.now();
  while (ran === 0 && Date.now() - t0 < 10_000) aio_poll(ctx, true); // no timer: only the worker can wake it
  expect(ran).toBe(1);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  await worker.terminate();
});

test('timers fire in deadline order (FIFO on ties); deleted timers do not fire', () => {
  let now = 1_000;
  qemuClockSetSource(QEMU_CLOCK_VIRTUAL, () => now);
  const ctx = aio_context_new('timers');
  const log: string[] = [];
  const mk = (name: string) => aio_timer_new(ctx, QEMU_CLOCK_VIRTUAL, SCALE_NS, () => log.push(name));
  const t30 = mk('t30');
  const t10 = mk('t10');
  const t20 = mk('t20');
  const t10b = mk('t10b');
  const gone = mk('gone');
  timer_mod(t30, 1_030);
  timer_mod(t10, 1_010);
  timer_mod(t20, 1_020);
  timer_mod(t10b, 1_010);
  timer_mod(gone, 1_015);
  timer_del(gone);
  expect(aio_poll(ctx, false)).toBe(false);
  now = 1_025;
  expect(aio_poll(ctx, false)).toBe(true);
  expect(log).toEqual(['t10', 't10b', 't20']);
  expect(timer_pending(t30)).toBe(true);
  timer_mod(t30, 1_040); // re-arm later
  now = 1_035;
  aio_poll(ctx, false);
  expect(log).toEqual(['t10', 't10b', 't20']);
  now = 2_000;
  aio_poll(ctx, false);
  expect(log).toEqual(['t10', 't10b', 't20', 't30']);
  expect(log).not.toContain('gone');
});

test('a blocking aio_poll sleeps until the next timer deadline', () => {
  const ctx = aio_context_new('deadline');
  let fired = 0;
  const t = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS, () => fired++);
  const t0 = Date.now();
  timer_mod(t, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 80);
  while (fired === 0) aio_poll(ctx, true);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
  expect(Date.now() - t0).toBeLessThan(2_000);
});

test('fd handlers: notifier fds and polled fds; removal; the dispatch hook sees handler and notifier', () => {
  const ctx = aio_context_new('fds');
  const n = eventNotifierNew('n');
  const calls: unknown[] = [];
  const hooked: [AioHandler, number][] = [];
  utilTraceHooks.aio_dispatch_handler = (c, node, revents) => {
    if (node.notifier !== c.notifier) hooked.push([node, revents]);
  };
  aio_set_event_notifier(ctx, n, function virtio_queue_host_notifier_read(e: EventNotifier) {
    event_notifier_test_and_clear(e);
    calls.push(e);
  });
  event_notifier_set(n);
  expect(aio_poll(ctx, false)).toBe(true);
  expect(calls).toEqual([n]);
  expect(hooked).toHaveLength(1);
  expect(hooked[0][0].notifier).toBe(n);
  expect(hooked[0][0].io_read?.name).toBe('virtio_queue_host_notifier_read');
  expect(hooked[0][1] & G_IO_IN).toBe(G_IO_IN);

  let readable = true;
  registerFdPoller(7, () => (readable ? G_IO_IN : 0));
  aio_set_fd_handler(ctx, 7, (opaque: string) => {
    calls.push(opaque);
    readable = false;
  }, null, 'fd7');
  aio_poll(ctx, false);
  expect(calls).toEqual([n, 'fd7']);

  aio_set_event_notifier(ctx, n, null);
  aio_set_fd_handler(ctx, 7, null, null);
  event_notifier_set(n);
  readable = true;
  expect(aio_poll(ctx, false)).toBe(false);
  expect(calls).toHaveLength(2);
  registerFdPoller(7, null);
});

test('BH and timer hooks', () => {
  const ctx = aio_context_new('hooks');
  const seen: string[] = [];
  utilTraceHooks.aio_bh_call = (_c, bh) => seen.push(`bh:${bh.name}`);
  utilTraceHooks.timer_fire = (ts) => seen.push(`timer:${ts.name}`);
  qemu_bh_schedule(aio_bh_new(ctx, function virtio_blk_dma_restart_bh() {}));
  const t = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS, function virtio_blk_timer_cb() {});
  timer_mod(t, 0);
  aio_poll(ctx, false);
  expect(seen).toEqual(['bh:virtio_blk_dma_restart_bh', 'timer:virtio_blk_timer_cb']);
});
