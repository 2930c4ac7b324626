import { expect, test } from 'vitest';
import { VirtualClock } from '../../../src/machine/virt/virtual-clock';

test('virtual time starts at 0, follows the host clock and stands still while paused', () => {
  let host = 5000; // ms
  const c = new VirtualClock(() => host);
  expect(c.nowNs()).toBe(0);
  host += 2;
  expect(c.nowNs()).toBe(2e6);
  c.pause();
  host += 100;
  expect(c.paused).toBe(true);
  expect(c.nowNs()).toBe(2e6);
  c.resume();
  expect(c.nowNs()).toBe(2e6);
  host += 1;
  expect(c.nowNs()).toBe(3e6);
});
