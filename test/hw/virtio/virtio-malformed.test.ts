/**
 * Every malformed-chain case of virtqueue_pop (and virtio-blk's request parsing): the device logs
 * one line, sets DEVICE_NEEDS_RESET (virtio 1.x; legacy devices only break, as QEMU), raises a
 * config-change interrupt, processes nothing more until reset — never throws, never hangs.
 */
import { describe, expect, test } from 'vitest';
import {
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
} from '../../../src/hw/virtio/virtio';
import * as R from '../../../src/hw/virtio/virtio-mmio';
import { VIRTIO_BLK_T_IN } from '../../../src/hw/block/virtio-blk-config';
import { blkHeader, blkStart, makeBlkRig, readReq, statusOf } from '../block/blk-driver';
import type { TestQueue, VirtioMmioTestDriver } from './qtest-virtio';

const R_ = 0; // device-readable
const W = VRING_DESC_F_WRITE;
const NX = VRING_DESC_F_NEXT;

type Case = [name: string, pattern: RegExp, build: (d: VirtioMmioTestDriver, q: TestQueue) => void];

function parts(d: VirtioMmioTestDriver) {
  return { hdr: blkHeader(d, VIRTIO_BLK_T_IN, 0), data: d.alloc(512), st: d.alloc(1) };
}

const cases: Case[] = [
  ['descriptor loop', /Looped descriptor/, (d, q) => {
    const { hdr, data, st } = parts(d);
    d.writeDesc(q.desc, 0, hdr, 16, R_ | NX, 1);
    d.writeDesc(q.desc, 1, data, 512, W | NX, 2);
    d.writeDesc(q.desc, 2, st, 1, W | NX, 1);
    d.publish(q, 0);
  }],
  ['next index beyond the table', /Desc next is 70/, (d, q) => {
    const { hdr } = parts(d);
    d.writeDesc(q.desc, 0, hdr, 16, NX, 70);
    d.publish(q, 0);
  }],
  ['head index beyond the table', /Guest says index 99 is available/, (d, q) => d.publish(q, 99)],
  ['buffer in MMIO space', /outside guest RAM/, (d, q) => {
    const { st } = parts(d);
    d.writeDesc(q.desc, 0, 0x1000_1000, 16, NX, 1);
    d.writeDesc(q.desc, 1, st, 1, W, 0);
    d.publish(q, 0);
  }],
  ['buffer crossing the end of RAM', /outside guest RAM/, (d, q) => {
    const end = d.ram.base + d.ram.size;
    d.writeDesc(q.desc, 0, end - 8, 16, 0, 0);
    d.publish(q, 0);
  }],
  ['buffer at a 64-bit address', /outside guest RAM/, (d, q) => {
    d.writeDesc(q.desc, 0, 2 ** 63, 16, 0, 0);
    d.publish(q, 0);
  }],
  ['writable descriptor before a readable one', /Incorrect order/, (d, q) => {
    const { hdr, data, st } = parts(d);
    d.writeDesc(q.desc, 0, data, 512, W | NX, 1);
    d.writeDesc(q.desc, 1, hdr, 16, R_ | NX, 2);
    d.writeDesc(q.desc, 2, st, 1, W, 0);
    d.publish(q, 0);
  }],
  ['zero-length buffer', /zero sized buffers/, (d, q) => {
    const { hdr, st } = parts(d);
    d.writeDesc(q.desc, 0, hdr, 16, NX, 1);
    d.writeDesc(q.desc, 1, st, 0, W, 0);
    d.publish(q, 0);
  }],
  ['indirect table of length 0', /Invalid size for indirect/, (d, q) => {
    d.writeDesc(q.desc, 0, d.alloc(64), 0, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['indirect table length not a multiple of 16', /Invalid size for indirect/, (d, q) => {
    d.writeDesc(q.desc, 0, d.alloc(64), 24, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['indirect table outside RAM', /Cannot map indirect/, (d, q) => {
    d.writeDesc(q.desc, 0, 0x2000_0000, 64, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['nested indirect descriptor', /Nested indirect/, (d, q) => {
    const t = d.alloc(32);
    d.writeDesc(t, 0, d.alloc(32), 32, VRING_DESC_F_INDIRECT, 0);
    d.writeDesc(q.desc, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['loop inside an indirect table', /Looped descriptor/, (d, q) => {
    const { hdr, st } = parts(d);
    const t = d.alloc(32);
    d.writeDesc(t, 0, hdr, 16, NX, 1);
    d.writeDesc(t, 1, st, 1, W | NX, 1);
    d.writeDesc(q.desc, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['indirect next beyond its table', /Desc next is 2 \(table of 2\)/, (d, q) => {
    const { hdr, st } = parts(d);
    const t = d.alloc(32);
    d.writeDesc(t, 0, hdr, 16, NX, 2);
    d.writeDesc(t, 1, st, 1, W, 0);
    d.writeDesc(q.desc, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['more than 1024 buffers in one chain', /more than 1024 buffers/, (d, q) => {
    const n = 1100;
    const t = d.alloc(16 * n);
    const buf = d.alloc(n);
    for (let i = 0; i < n; i++) d.writeDesc(t, i, buf + i, 1, i + 1 < n ? NX : W, i + 1);
    d.writeDesc(q.desc, 0, t, 16 * n, VRING_DESC_F_INDIRECT, 0);
    d.publish(q, 0);
  }],
  ['avail index moved beyond the queue size', /Guest moved avail index/, (d, q) => {
    readReq(d, q, 0, 512, { publish: false });
    q.availIdx = (q.availIdx + q.num + 5) & 0xffff;
    d.setU16(q.avail + 2, q.availIdx);
  }],
  ['virtio-blk request without a status buffer', /missing headers/, (d, q) => {
    const { hdr } = parts(d);
    d.writeDesc(q.desc, 0, hdr, 16, 0, 0);
    d.publish(q, 0);
  }],
  ['virtio-blk header too short', /outhdr too short/, (d, q) => {
    const { hdr, st } = parts(d);
    d.writeDesc(q.desc, 0, hdr, 8, NX, 1);
    d.writeDesc(q.desc, 1, st, 1, W, 0);
    d.publish(q, 0);
  }],
  ['virtio-blk write-zeroes header too short', /discard\/write_zeroes header too short/, (d, q) => {
    const hdr = blkHeader(d, 13, 0);
    const { st } = parts(d);
    d.writeDesc(q.desc, 0, hdr, 16, NX, 1);
    d.writeDesc(q.desc, 1, d.alloc(8), 8, NX, 2);
    d.writeDesc(q.desc, 2, st, 1, W, 0);
    d.publish(q, 0);
  }],
];

describe.each([false, true])('malformed chains (legacy=%s)', (legacy) => {
  test.each(cases)('%s → device needs reset', (_name, pattern, build) => {
    const { d, s, errors } = makeBlkRig({ legacy });
    const [q] = blkStart(d, { num: 64 });
    d.settle();
    // A good request first: it completes.
    const good = readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(statusOf(d, good)).toBe(0);
    d.ackInterrupt();
    const gen = legacy ? 0 : d.r32(R.VIRTIO_MMIO_CONFIG_GENERATION);
    expect(() => {
      build(d, q);
      d.kick(q);
      d.settle();
    }).not.toThrow();
    expect(s.broken).toBe(true);
    expect(s.last_error).toMatch(pattern);
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/^vtrace: virtio-blk-device hd0: .*; device needs reset$/);
    if (!legacy) {
      expect(d.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBeTruthy();
      expect(d.r32(R.VIRTIO_MMIO_INTERRUPT_STATUS) & 2).toBe(2); // config change
      expect(d.irq.level).toBe(true);
      expect(d.r32(R.VIRTIO_MMIO_CONFIG_GENERATION)).toBe(gen + 1);
      d.ackInterrupt();
      expect(d.irq.level).toBe(false);
    } else {
      expect(d.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(0);
    }
    // Broken: further kicks do nothing.
    const used = d.usedIdx(q);
    readReq(d, q, 0, 512);
    d.kick(q);
    d.settle();
    expect(d.usedIdx(q)).toBe(used);
    // Reset recovers.
    const [q2] = blkStart(d);
    expect(s.broken).toBe(false);
    const again = readReq(d, q2, 0, 512);
    d.kick(q2);
    d.waitUsed(q2);
    expect(statusOf(d, again)).toBe(0);
  });

  test('rings outside guest RAM are refused when the queue is set up', () => {
    const { d, s } = makeBlkRig({ legacy });
    d.negotiate();
    d.w32(R.VIRTIO_MMIO_QUEUE_SEL, 0);
    d.w32(R.VIRTIO_MMIO_QUEUE_NUM, 64);
    if (legacy) {
      d.w32(R.VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
      d.w32(R.VIRTIO_MMIO_QUEUE_PFN, (d.ram.base + d.ram.size - 4096) / 4096); // used ring past the end
    } else {
      d.w32(R.VIRTIO_MMIO_QUEUE_DESC_LOW, d.ram.base + 0x10000);
      d.w32(R.VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x1000_1000); // MMIO
      d.w32(R.VIRTIO_MMIO_QUEUE_USED_LOW, d.ram.base + 0x20000);
      d.w32(R.VIRTIO_MMIO_QUEUE_READY, 1);
    }
    expect(s.broken).toBe(true);
    expect(s.last_error).toMatch(/Cannot map (avail|used) ring/);
    expect(s.vq[0].vring.desc).toBe(0);
    if (!legacy) expect(d.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBeTruthy();
    expect(() => {
      d.driverOk();
      d.w32(R.VIRTIO_MMIO_QUEUE_NOTIFY, 0);
      d.settle();
    }).not.toThrow();
  });
});

test('modern: growing QueueNum of a live queue past the end of RAM breaks the device instead of reading outside RAM', () => {
  const { d, s } = makeBlkRig({ legacy: false });
  d.negotiate();
  const end = d.ram.base + d.ram.size;
  d.w32(R.VIRTIO_MMIO_QUEUE_SEL, 0);
  d.w32(R.VIRTIO_MMIO_QUEUE_NUM, 8);
  d.w32(R.VIRTIO_MMIO_QUEUE_DESC_LOW, end - 0x1000);
  d.w32(R.VIRTIO_MMIO_QUEUE_AVAIL_LOW, end - 0x800);
  d.w32(R.VIRTIO_MMIO_QUEUE_USED_LOW, end - 0x400);
  d.w32(R.VIRTIO_MMIO_QUEUE_READY, 1);
  d.driverOk();
  expect(s.broken).toBe(false);
  d.w32(R.VIRTIO_MMIO_QUEUE_NUM, 1024);
  expect(s.broken).toBe(true);
  expect(() => {
    d.w32(R.VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    d.settle();
  }).not.toThrow();
});
