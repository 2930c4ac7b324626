/** Shared helpers of the util/ tests (not a test file). */
import * as path from 'node:path';
import { AioContext, aio_poll, aio_timer_new } from '../../src/util/aio-context';
import { QEMU_CLOCK_REALTIME, SCALE_MS, qemu_clock_get_ms, timer_del, timer_mod } from '../../src/util/qemu-timer';
import { workerModulePath } from '../../src/util/worker-script';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** Fixtures load dist/util: fail clearly if it is missing or older than src/util. */
export function requireFreshDist(): void {
  workerModulePath(path.join(__dirname, '..', '..', 'src', 'util', 'event-notifier.ts'));
}

/**
 * Run blocking aio_poll iterations until `cond()` holds. Each wait is bounded by a 50 ms timer so a
 * missed wake-up shows as a slow test, not a hang; throws after `timeoutMs`.
 */
export function pollUntil(ctx: AioContext, cond: () => boolean, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  const t = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS, () => {});
  try {
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`pollUntil: condition not met within ${timeoutMs} ms`);
      timer_mod(t, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 50);
      aio_poll(ctx, true);
    }
  } finally {
    timer_del(t);
  }
}

/** Block the thread for `ms` without the event loop. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
