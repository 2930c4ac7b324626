/**
 * A qtest-style virtio-mmio driver for tests (no CPU): builds descriptor tables and rings in a
 * GuestRam, pokes the transport's registers through the AddressSpace, and runs the main loop until
 * the device answers. Both register layouts (legacy Version 1, modern Version 2).
 */
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import type { IrqLine } from '../../../src/hw/core/irq';
import { main_loop_wait } from '../../../src/util/main-loop';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  type VirtIODevice,
} from '../../../src/hw/virtio/virtio';
import * as R from '../../../src/hw/virtio/virtio-mmio';

export const RAM_BASE = 0x8000_0000;
export const MMIO_BASE = 0x1000_1000;

/** An IrqLine that records its level and every change. */
export class TestIrq implements IrqLine {
  level = false;
  raises = 0;
  set(level: boolean): void {
    if (level && !this.level) this.raises++;
    this.level = level;
  }
}

export interface Buf {
  addr: number;
  len: number;
  /** Device-writable. */
  write?: boolean;
}

export class TestQueue {
  nextDesc = 0;
  availIdx = 0;
  lastUsed = 0;
  constructor(
    readonly index: number,
    readonly num: number,
    readonly desc: number,
    readonly avail: number,
    readonly used: number,
  ) {}
}

export interface DriverOptions {
  legacy: boolean;
  ramSize?: number;
  /** Build the device over the harness's RAM. */
  device: (ram: GuestRam) => VirtIODevice;
  ioeventfd?: boolean;
}

export class VirtioMmioTestDriver {
  readonly ram: GuestRam;
  readonly as: AddressSpace;
  readonly irq = new TestIrq();
  readonly proxy: R.VirtIOMMIOProxy;
  readonly vdev: VirtIODevice;
  readonly guestErrors: string[] = [];
  private brk: number;

  constructor(readonly opts: DriverOptions) {
    this.ram = new GuestRam(RAM_BASE, opts.ramSize ?? 8 << 20);
    this.as = new AddressSpace(this.ram);
    this.proxy = new R.VirtIOMMIOProxy({ irq: this.irq, legacy: opts.legacy, ioeventfd: opts.ioeventfd, onGuestError: (m) => this.guestErrors.push(m) });
    this.as.addRegion(MMIO_BASE, this.proxy.region);
    this.vdev = opts.device(this.ram);
    this.proxy.plug(this.vdev);
    this.brk = RAM_BASE + 0x1000;
  }

  r32(off: number): number {
    return this.as.ioRead(MMIO_BASE + off, 4) >>> 0;
  }
  w32(off: number, v: number): void {
    this.as.ioWrite(MMIO_BASE + off, 4, v >>> 0);
  }
  readConfig(off: number, size: 1 | 2 | 4): number {
    return this.as.ioRead(MMIO_BASE + R.VIRTIO_MMIO_CONFIG + off, size) >>> 0;
  }

  /** Bump allocator in guest RAM (zeroed). */
  alloc(size: number, align = 16): number {
    this.brk = Math.ceil(this.brk / align) * align;
    const a = this.brk;
    this.brk += size;
    if (this.brk > RAM_BASE + this.ram.size) throw new Error('test RAM exhausted');
    this.ram.u8.fill(0, a - RAM_BASE, this.brk - RAM_BASE);
    return a;
  }
  /** Allocation mark / release (reuse RAM across iterations). */
  mark(): number {
    return this.brk;
  }
  release(mark: number): void {
    this.brk = mark;
  }
  bytes(addr: number, len: number): Uint8Array {
    return this.ram.u8.subarray(addr - RAM_BASE, addr - RAM_BASE + len);
  }
  put(addr: number, data: Uint8Array): void {
    this.ram.u8.set(data, addr - RAM_BASE);
  }
  u16(addr: number): number {
    return this.ram.view.getUint16(addr - RAM_BASE, true);
  }
  setU16(addr: number, v: number): void {
    this.ram.view.setUint16(addr - RAM_BASE, v & 0xffff, true);
  }
  u32(addr: number): number {
    return this.ram.view.getUint32(addr - RAM_BASE, true);
  }

  status(): number {
    return this.r32(R.VIRTIO_MMIO_STATUS);
  }

  /** Device features (64 bits). */
  deviceFeatures(): bigint {
    this.w32(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    const lo = this.r32(R.VIRTIO_MMIO_DEVICE_FEATURES);
    this.w32(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    const hi = this.r32(R.VIRTIO_MMIO_DEVICE_FEATURES);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reset, ACKNOWLEDGE, DRIVER, accept `pick(offered)`, FEATURES_OK. Returns accepted features. */
  negotiate(pick: (offered: bigint) => bigint = (f) => f): bigint {
    this.w32(R.VIRTIO_MMIO_STATUS, 0);
    this.w32(R.VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    this.w32(R.VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    const offered = this.deviceFeatures();
    const want = pick(offered);
    this.w32(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    this.w32(R.VIRTIO_MMIO_DRIVER_FEATURES, Number(want & 0xffffffffn));
    if (!this.opts.legacy) {
      this.w32(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
      this.w32(R.VIRTIO_MMIO_DRIVER_FEATURES, Number(want >> 32n));
      this.w32(R.VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    }
    return want;
  }

  /** Set up queue `index` with `num` entries (legacy: QueuePFN layout; modern: three areas). */
  setupQueue(index: number, num: number): TestQueue {
    this.w32(R.VIRTIO_MMIO_QUEUE_SEL, index);
    if (this.r32(R.VIRTIO_MMIO_QUEUE_NUM_MAX) < num) throw new Error(`queue ${index}: QueueNumMax < ${num}`);
    this.w32(R.VIRTIO_MMIO_QUEUE_NUM, num);
    if (this.opts.legacy) {
      this.w32(R.VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
      const availEnd = 16 * num + 4 + 2 * num + 2;
      const usedOff = Math.ceil((16 * num + 4 + 2 * num) / 4096) * 4096;
      const size = usedOff + 4 + 8 * num + 2;
      const desc = this.alloc(Math.max(size, availEnd), 4096);
      this.w32(R.VIRTIO_MMIO_QUEUE_ALIGN, 4096);
      this.w32(R.VIRTIO_MMIO_QUEUE_PFN, (desc - 0) / 4096);
      return new TestQueue(index, num, desc, desc + 16 * num, desc + usedOff);
    }
    const desc = this.alloc(16 * num, 16);
    const avail = this.alloc(6 + 2 * num, 2);
    const used = this.alloc(6 + 8 * num, 4);
    this.w32(R.VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
    this.w32(R.VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    this.w32(R.VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
    this.w32(R.VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
    this.w32(R.VIRTIO_MMIO_QUEUE_USED_LOW, used);
    this.w32(R.VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
    this.w32(R.VIRTIO_MMIO_QUEUE_READY, 1);
    return new TestQueue(index, num, desc, avail, used);
  }

  driverOk(): void {
    this.w32(R.VIRTIO_MMIO_STATUS, this.status() | VIRTIO_CONFIG_S_DRIVER_OK);
  }

  /** Write descriptor i of a table. */
  writeDesc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    const o = table - RAM_BASE + 16 * i;
    const v = this.ram.view;
    v.setUint32(o, addr % 0x1_0000_0000, true);
    v.setUint32(o + 4, Math.floor(addr / 0x1_0000_0000), true);
    v.setUint32(o + 8, len, true);
    v.setUint16(o + 12, flags, true);
    v.setUint16(o + 14, next, true);
  }

  /** Publish `head` in the avail ring (idx++). */
  publish(q: TestQueue, head: number): void {
    this.setU16(q.avail + 4 + 2 * (q.availIdx % q.num), head);
    q.availIdx = (q.availIdx + 1) & 0xffff;
    this.setU16(q.avail + 2, q.availIdx);
  }

  /**
   * Put a chain in the table (direct, consecutive free descriptors) or as one indirect descriptor
   * pointing to a fresh table; publish it. Returns the head.
   */
  addChain(q: TestQueue, bufs: Buf[], opts: { indirect?: boolean; publish?: boolean } = {}): number {
    const head = q.nextDesc;
    if (opts.indirect) {
      const table = this.alloc(16 * bufs.length, 16);
      bufs.forEach((b, i) => this.writeDesc(table, i, b.addr, b.len, (b.write ? VRING_DESC_F_WRITE : 0) | (i + 1 < bufs.length ? VRING_DESC_F_NEXT : 0), i + 1));
      this.writeDesc(q.desc, head, table, 16 * bufs.length, VRING_DESC_F_INDIRECT, 0);
      q.nextDesc = (head + 1) % q.num;
    } else {
      let d = head;
      bufs.forEach((b, i) => {
        const next = (d + 1) % q.num;
        this.writeDesc(q.desc, d, b.addr, b.len, (b.write ? VRING_DESC_F_WRITE : 0) | (i + 1 < bufs.length ? VRING_DESC_F_NEXT : 0), next);
        d = next;
      });
      q.nextDesc = d;
    }
    if (opts.publish ?? true) this.publish(q, head);
    return head;
  }

  kick(q: TestQueue): void {
    this.w32(R.VIRTIO_MMIO_QUEUE_NOTIFY, q.index);
  }

  usedIdx(q: TestQueue): number {
    return this.u16(q.used + 2);
  }
  usedElem(q: TestQueue, i: number): { id: number; len: number } {
    const o = q.used + 4 + 8 * (i % q.num);
    return { id: this.u32(o), len: this.u32(o + 4) };
  }

  /** Run the main loop until `cond()` (bounded waits; throws after `timeoutMs`). */
  runUntil(cond: () => boolean, timeoutMs = 10_000): void {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`runUntil: condition not met within ${timeoutMs} ms`);
      main_loop_wait(false, 20_000_000);
    }
  }

  /**
   * After consuming used entries the driver asks for an interrupt on the next one, as Linux's
   * virtqueue_enable_cb does (EVENT_IDX: used_event = last seen used idx). Off: tests set
   * used_event themselves.
   */
  autoUsedEvent = true;

  /** Run the main loop until `n` more used entries appear; returns them. */
  waitUsed(q: TestQueue, n = 1, timeoutMs = 10_000): { id: number; len: number }[] {
    const target = (q.lastUsed + n) & 0xffff;
    this.runUntil(() => ((this.usedIdx(q) - q.lastUsed) & 0xffff) >= n, timeoutMs);
    const out: { id: number; len: number }[] = [];
    while (q.lastUsed !== target) {
      out.push(this.usedElem(q, q.lastUsed));
      q.lastUsed = (q.lastUsed + 1) & 0xffff;
    }
    if (this.autoUsedEvent) this.setU16(q.avail + 4 + 2 * q.num, q.lastUsed);
    return out;
  }

  /** Let the main loop run `rounds` non-blocking iterations plus short waits (for "nothing happens" checks). */
  settle(rounds = 20): void {
    for (let i = 0; i < rounds; i++) main_loop_wait(false, 1_000_000);
  }

  ackInterrupt(): number {
    const isr = this.r32(R.VIRTIO_MMIO_INTERRUPT_STATUS);
    this.w32(R.VIRTIO_MMIO_INTERRUPT_ACK, isr);
    return isr;
  }
}
