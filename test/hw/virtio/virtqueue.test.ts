/** Split-ring arithmetic: vring_need_event and 16-bit index wrap-around. */
import { expect, test } from 'vitest';
import { vring_need_event } from '../../../src/hw/virtio/virtio-ring';
import { blkStart, makeBlkRig, readReq, statusOf } from '../block/blk-driver';

test('vring_need_event (virtio 1.2 §2.7.10), including wrap-around', () => {
  expect(vring_need_event(0, 1, 0)).toBe(true);
  expect(vring_need_event(1, 1, 0)).toBe(false);
  expect(vring_need_event(2, 5, 2)).toBe(true);
  expect(vring_need_event(5, 5, 2)).toBe(false);
  expect(vring_need_event(0xffff, 0x0001, 0xfffe)).toBe(true);
  expect(vring_need_event(0x0000, 0x0001, 0xfffe)).toBe(true);
  expect(vring_need_event(0x0001, 0x0001, 0xfffe)).toBe(false);
});

test.each([false, true])('avail and used indices wrap past 65535 (EVENT_IDX on, legacy=%s)', (legacy) => {
  const { d, s } = makeBlkRig({ legacy });
  const [q] = blkStart(d, { num: 8 });
  d.settle();
  const start = 0xfffd;
  const vq = s.vq[0];
  vq.last_avail_idx = vq.shadow_avail_idx = vq.used_idx = start;
  d.setU16(q.avail + 2, start);
  d.setU16(q.used + 2, start);
  q.availIdx = q.lastUsed = start;
  d.setU16(q.avail + 4 + 2 * q.num, start);
  let irqs = d.irq.raises;
  for (let i = 0; i < 6; i++) {
    const r = readReq(d, q, i, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(statusOf(d, r)).toBe(0);
    expect(d.irq.raises, `request ${i} interrupted`).toBe(irqs + 1);
    irqs = d.irq.raises;
    d.ackInterrupt();
  }
  expect(d.usedIdx(q)).toBe((start + 6) & 0xffff);
  expect(s.broken).toBe(false);
});
