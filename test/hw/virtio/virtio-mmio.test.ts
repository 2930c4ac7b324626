/** The virtio-mmio transport's registers (virtio 1.2 §4.2.2), legacy and modern, with no CPU. */
import { expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import * as R from '../../../src/hw/virtio/virtio-mmio';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  bit,
  virtio_notify_config,
} from '../../../src/hw/virtio/virtio';
import { MMIO_BASE, RAM_BASE, TestIrq } from './qtest-virtio';
import { blkStart, makeBlkRig } from '../block/blk-driver';

test('an empty slot answers Magic, Version and VendorID, DeviceID 0, and ignores writes', () => {
  for (const legacy of [false, true]) {
    const as = new AddressSpace(new GuestRam(RAM_BASE, 1 << 20));
    const p = new R.VirtIOMMIOProxy({ irq: new TestIrq(), legacy });
    as.addRegion(MMIO_BASE, p.region);
    expect(as.ioRead(MMIO_BASE, 4)).toBe(0x74726976);
    expect(as.ioRead(MMIO_BASE + 4, 4)).toBe(legacy ? 1 : 2);
    expect(as.ioRead(MMIO_BASE + 8, 4)).toBe(0);
    expect(as.ioRead(MMIO_BASE + 0xc, 4)).toBe(0x554d4551);
    as.ioWrite(MMIO_BASE + 0x70, 4, 0xf);
    expect(as.ioRead(MMIO_BASE + 0x70, 4)).toBe(0);
  }
});

test('registers are named by the table; config space by offset', () => {
  const { d } = makeBlkRig({ legacy: false });
  expect(d.proxy.nameAt(0x50)).toBe('QueueNotify');
  expect(d.proxy.nameAt(0x80)).toBe('QueueDescLow');
  expect(d.proxy.nameAt(0xfc)).toBe('ConfigGeneration');
  expect(d.proxy.nameAt(0x108)).toBe('config+0x8');
});

test('modern: 64-bit features; unoffered bits keep FEATURES_OK from sticking; legacy registers are refused', () => {
  const { d, s } = makeBlkRig({ legacy: false });
  const f = d.deviceFeatures();
  expect(f & bit(VIRTIO_F_VERSION_1)).toBeTruthy();
  d.w32(R.VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  d.w32(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  d.w32(R.VIRTIO_MMIO_DRIVER_FEATURES, 0x8000_0001); // bit 63: not offered
  d.w32(R.VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  expect(d.status() & VIRTIO_CONFIG_S_FEATURES_OK).toBe(0);
  expect(d.guestErrors.some((m) => /do not offer|does not offer/.test(m))).toBe(true);
  // A proper set sticks and is what the device uses.
  const accepted = d.negotiate((x) => x & ~bit(VIRTIO_RING_F_EVENT_IDX));
  expect(d.status() & VIRTIO_CONFIG_S_FEATURES_OK).toBeTruthy();
  expect(s.guest_features).toBe(accepted & f);
  d.guestErrors.length = 0;
  d.w32(R.VIRTIO_MMIO_QUEUE_PFN, 5);
  d.w32(R.VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
  expect(d.r32(R.VIRTIO_MMIO_QUEUE_PFN)).toBe(0);
  expect(d.guestErrors.length).toBe(3);
  expect(s.vq[0].vring.desc).toBe(0);
});

test('legacy: features apply at once (selector 0 only); QueuePFN, QueueAlign, GuestPageSize; modern registers refused', () => {
  const { d, s } = makeBlkRig({ legacy: true });
  d.w32(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  expect(d.r32(R.VIRTIO_MMIO_DEVICE_FEATURES)).toBe(0);
  d.w32(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  d.w32(R.VIRTIO_MMIO_DRIVER_FEATURES, 1 << VIRTIO_RING_F_EVENT_IDX);
  expect(s.guest_features).toBe(bit(VIRTIO_RING_F_EVENT_IDX));
  d.w32(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  d.w32(R.VIRTIO_MMIO_DRIVER_FEATURES, 1);
  expect(d.guestErrors.some((m) => /guest_features_sel > 0 in legacy mode/.test(m))).toBe(true);
  d.w32(R.VIRTIO_MMIO_QUEUE_SEL, 0);
  expect(d.r32(R.VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(1024);
  d.w32(R.VIRTIO_MMIO_QUEUE_NUM, 128);
  d.w32(R.VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
  d.w32(R.VIRTIO_MMIO_QUEUE_ALIGN, 4096);
  d.w32(R.VIRTIO_MMIO_QUEUE_PFN, (RAM_BASE + 0x10000) / 4096);
  expect(d.r32(R.VIRTIO_MMIO_QUEUE_PFN)).toBe((RAM_BASE + 0x10000) / 4096);
  const vr = s.vq[0].vring;
  expect([vr.num, vr.desc, vr.avail, vr.used]).toEqual([128, RAM_BASE + 0x10000, RAM_BASE + 0x10000 + 2048, RAM_BASE + 0x10000 + 4096]);
  d.guestErrors.length = 0;
  d.w32(R.VIRTIO_MMIO_QUEUE_READY, 1);
  expect(d.r32(R.VIRTIO_MMIO_CONFIG_GENERATION)).toBe(0);
  expect(d.guestErrors.length).toBe(2);
  // QueuePFN = 0 resets the device (Linux's legacy del_vq).
  d.w32(R.VIRTIO_MMIO_QUEUE_PFN, 0);
  expect(s.vq[0].vring.desc).toBe(0);
  expect(s.guest_features).toBe(0n);
});

test('QueueNumMax is 0 for queues the device does not have; QueueSel beyond the limit is ignored', () => {
  const { d } = makeBlkRig({ legacy: false });
  d.w32(R.VIRTIO_MMIO_QUEUE_SEL, 1);
  expect(d.r32(R.VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(0);
  d.w32(R.VIRTIO_MMIO_QUEUE_SEL, 5000);
  expect(d.r32(R.VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(0); // still queue 1
  // Notifying a queue that does not exist is harmless.
  expect(() => d.w32(R.VIRTIO_MMIO_QUEUE_NOTIFY, 7)).not.toThrow();
});

test('non-32-bit register accesses are refused; config space takes 1, 2 and 4 bytes', () => {
  const { d } = makeBlkRig({ legacy: false, size: 0x12345 * 512 });
  expect(d.as.ioRead(MMIO_BASE + 0x70, 1)).toBe(0);
  expect(d.guestErrors.some((m) => /wrong size/.test(m))).toBe(true);
  expect(d.readConfig(0, 1)).toBe(0x45);
  expect(d.readConfig(1, 2)).toBe(0x0123);
  expect(d.readConfig(0, 4)).toBe(0x12345);
});

test('config change notification bumps ConfigGeneration and sets ISR bit 1 (after DRIVER_OK)', () => {
  const { d, s } = makeBlkRig({ legacy: false });
  virtio_notify_config(s); // before DRIVER_OK: nothing
  expect(d.r32(R.VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(0);
  blkStart(d);
  d.settle();
  virtio_notify_config(s);
  expect(d.r32(R.VIRTIO_MMIO_CONFIG_GENERATION)).toBe(1);
  expect(d.r32(R.VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(3);
  expect(d.irq.level).toBe(true);
  d.w32(R.VIRTIO_MMIO_INTERRUPT_ACK, 2);
  expect(d.irq.level).toBe(true); // bit 0 still set
  d.w32(R.VIRTIO_MMIO_INTERRUPT_ACK, 1);
  expect(d.irq.level).toBe(false);
});

test('system reset clears the transport and the device', () => {
  const { d, s } = makeBlkRig({ legacy: false });
  blkStart(d);
  d.proxy.reset();
  expect(d.status()).toBe(0);
  expect(d.r32(R.VIRTIO_MMIO_QUEUE_READY)).toBe(0);
  expect(s.ioeventfd_started).toBe(false);
  expect(d.irq.level).toBe(false);
});
