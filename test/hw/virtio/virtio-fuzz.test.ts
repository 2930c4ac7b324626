/**
 * Fuzz: random descriptor tables, indirect tables and avail rings for a few thousand iterations.
 * The host must never throw or hang; after each kick the device either completed every published
 * chain or is broken (NEEDS_RESET on a virtio 1.x device).
 */
import { expect, test } from 'vitest';
import { main_loop_wait } from '../../../src/util/main-loop';
import {
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  bit,
} from '../../../src/hw/virtio/virtio';
import { blkHeader, makeBlkRig } from '../block/blk-driver';
import type { VirtioMmioTestDriver } from './qtest-virtio';

/** xorshift32: reproducible. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return {
    u32: next,
    int: (n: number) => next() % n,
    chance: (p: number) => next() / 0x1_0000_0000 < p,
  };
}

function runUntilIdle(d: VirtioMmioTestDriver, inflight: () => number): void {
  const deadline = Date.now() + 5000;
  let quiet = 0;
  while (quiet < 3 || inflight() > 0) {
    if (Date.now() > deadline) throw new Error('hang: device still busy after 5 s');
    quiet = main_loop_wait(false, inflight() > 0 ? 2_000_000 : 0) ? 0 : quiet + 1;
  }
}

for (const legacy of [false, true]) {
  test(`random rings and descriptor tables never throw or hang (legacy=${legacy})`, () => {
    const r = rng(legacy ? 0xbadc0de : 0x5eed1234);
    const { d, s, blk } = makeBlkRig({ legacy, size: 256 << 10 });
    blk.data.fill(0x5a);
    s.errorSink = () => {};
    const base = d.mark();
    const ITER = 2500;
    let broken = 0;
    let completed = 0;
    for (let it = 0; it < ITER; it++) {
      d.release(base);
      const useEventIdx = r.chance(0.5);
      const useIndirect = r.chance(0.7);
      d.negotiate((f) => {
        let w = f & ~(bit(VIRTIO_F_NOTIFY_ON_EMPTY) | bit(VIRTIO_F_ANY_LAYOUT));
        if (!useEventIdx) w &= ~bit(VIRTIO_RING_F_EVENT_IDX);
        if (!useIndirect) w &= ~bit(VIRTIO_RING_F_INDIRECT_DESC);
        return w;
      });
      const num = 1 << (2 + r.int(4)); // 4..32
      const q = d.setupQueue(0, num);
      d.driverOk();
      // Scratch buffers: headers of random types and sectors, data, status bytes.
      const scratch = d.alloc(64 << 10, 4096);
      const types = [0, 1, 4, 8, 11, 13, 2, 0x55];
      const hdrs = Array.from({ length: 8 }, () => blkHeader(d, types[r.int(types.length)], r.chance(0.8) ? r.int(600) : r.u32()));
      const pickAddr = (len: number): number => {
        const k = r.int(20);
        if (k < 14) return scratch + r.int((64 << 10) - Math.min(len, 64 << 10) + 1);
        if (k < 16) return hdrs[r.int(hdrs.length)];
        if (k === 16) return d.ram.base + d.ram.size - r.int(64);
        if (k === 17) return r.u32() * 0x1_0000_0000 + r.u32();
        if (k === 18) return 0x1000_1000 + r.int(0x200);
        return r.int(0x1000);
      };
      const pickLen = (): number => {
        const k = r.int(10);
        if (k < 5) return 1 + r.int(1024);
        if (k < 7) return 16;
        if (k < 8) return 512 * (1 + r.int(8));
        if (k < 9) return 0;
        return r.u32();
      };
      const pickFlags = (): number => {
        let f = 0;
        if (r.chance(0.6)) f |= VRING_DESC_F_NEXT;
        if (r.chance(0.5)) f |= VRING_DESC_F_WRITE;
        if (r.chance(0.08)) f |= VRING_DESC_F_INDIRECT;
        return f;
      };
      const fillTable = (table: number, n: number, nextRange: number) => {
        for (let i = 0; i < n; i++) {
          const len = pickLen();
          d.writeDesc(table, i, pickAddr(len), len, pickFlags(), r.chance(0.9) ? r.int(nextRange) : r.int(0x10000));
        }
      };
      /* Two kinds of iteration: noise everywhere, or well-formed chains with one random mutation. */
      const clean = r.chance(0.4);
      if (!clean) fillTable(q.desc, num, num);
      const good: number[] = [];
      // Well-formed chains (some indirect).
      for (let i = 0; i < num; i += 4) {
        if ((!clean && !r.chance(0.5)) || i + 2 >= num) continue;
        good.push(i);
        const st = scratch + r.int(64 << 10);
        const data = scratch + 512 * r.int(100);
        const writeData = r.chance(0.5);
        if (r.chance(0.3)) {
          const t = d.alloc(48);
          d.writeDesc(t, 0, hdrs[r.int(hdrs.length)], 16, VRING_DESC_F_NEXT, 1);
          d.writeDesc(t, 1, data, 512, VRING_DESC_F_NEXT | (writeData ? 0 : VRING_DESC_F_WRITE), 2);
          d.writeDesc(t, 2, st, 1, VRING_DESC_F_WRITE, 0);
          d.writeDesc(q.desc, i, t, r.chance(0.9) ? 48 : pickLen(), VRING_DESC_F_INDIRECT, 0);
        } else {
          d.writeDesc(q.desc, i, hdrs[r.int(hdrs.length)], 16, VRING_DESC_F_NEXT, i + 1);
          d.writeDesc(q.desc, i + 1, data, 512, VRING_DESC_F_NEXT | (writeData ? 0 : VRING_DESC_F_WRITE), i + 2);
          d.writeDesc(q.desc, i + 2, st, 1, VRING_DESC_F_WRITE, 0);
        }
      }
      if (clean && r.chance(0.5)) {
        const len = pickLen();
        d.writeDesc(q.desc, r.int(num), pickAddr(len), len, pickFlags(), r.int(num + 1));
      }
      // Random indirect tables pointed to by some descriptors.
      for (let k = 0; k < 2; k++) {
        if (clean || !r.chance(0.4)) continue;
        const n = 1 + r.int(8);
        const t = d.alloc(16 * n);
        fillTable(t, n, n + 1);
        d.writeDesc(q.desc, r.int(num), t, r.chance(0.8) ? 16 * n : pickLen(), VRING_DESC_F_INDIRECT | (r.chance(0.1) ? VRING_DESC_F_NEXT : 0), r.int(num));
      }
      // Avail ring: mostly valid heads; a count up to the queue size (rarely beyond).
      const count = r.chance(0.97) ? 1 + r.int(num) : num + 1 + r.int(100);
      for (let i = 0; i < count; i++) {
        const head = clean && good.length > 0 ? good[r.int(good.length)] : r.chance(0.95) ? r.int(num) : r.int(0x10000);
        d.setU16(q.avail + 4 + 2 * ((q.availIdx + i) % num), head);
      }
      if (r.chance(0.2)) d.setU16(q.avail, 1); // NO_INTERRUPT
      d.setU16(q.avail + 4 + 2 * num, r.int(num)); // used_event
      q.availIdx = (q.availIdx + count) & 0xffff;
      d.setU16(q.avail + 2, q.availIdx);

      expect(() => {
        d.kick(q);
        runUntilIdle(d, () => s.inflight);
      }).not.toThrow();
      if (s.broken) {
        broken++;
        if (!legacy) expect(d.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBeTruthy();
      } else {
        completed++;
        expect(d.usedIdx(q), `iteration ${it}: every published chain completed`).toBe(q.availIdx);
        expect(s.vq[0].inuse).toBe(0);
      }
    }
    // Both outcomes occur: the fuzzer reaches the request path and the error paths.
    expect(broken).toBeGreaterThan(ITER / 10);
    expect(completed).toBeGreaterThan(ITER / 20);
  }, 120_000);
}
