import { afterEach, describe, expect, test } from 'vitest';
import {
  VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_MQ,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SCSI,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_TOPOLOGY,
  VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_WRITE_ZEROES,
} from '../../../src/hw/block/virtio-blk-config';
import { VirtioBlkConfigError } from '../../../src/hw/block/virtio-blk';
import { BDRV_REQ_MAY_UNMAP, BDRV_REQ_REGISTERED_BUF } from '../../../src/block/block-int';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  bit,
  virtio_has_feature,
} from '../../../src/hw/virtio/virtio';
import * as R from '../../../src/hw/virtio/virtio-mmio';
import { clearUtilTraceHooks, utilTraceHooks, type ContainerOfEvent } from '../../../src/util/trace-hooks';
import { blkRequest, blkStart, getIdReq, makeBlkRig, pattern, readReq, statusOf, writeReq } from './blk-driver';

afterEach(() => clearUtilTraceHooks());

const has = (f: bigint, b: number) => virtio_has_feature(f, b);

describe.each([false, true])('virtio-blk over virtio-mmio (legacy=%s)', (legacy) => {
  test('identification, features and config space', () => {
    const { d } = makeBlkRig({ legacy, size: 3 << 20, dev: { serial: 'SN1' } });
    expect(d.r32(R.VIRTIO_MMIO_MAGIC_VALUE)).toBe(0x74726976);
    expect(d.r32(R.VIRTIO_MMIO_VERSION)).toBe(legacy ? 1 : 2);
    expect(d.r32(R.VIRTIO_MMIO_DEVICE_ID)).toBe(2);
    expect(d.r32(R.VIRTIO_MMIO_VENDOR_ID)).toBe(0x554d4551);
    const f = d.deviceFeatures();
    for (const b of [VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_TOPOLOGY, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX]) {
      expect(has(f, b), `feature ${b}`).toBe(true);
    }
    expect(has(f, VIRTIO_BLK_F_RO)).toBe(false);
    expect(has(f, VIRTIO_BLK_F_MQ)).toBe(false);
    expect(has(f, VIRTIO_F_VERSION_1)).toBe(!legacy);
    expect(has(f, VIRTIO_BLK_F_SCSI)).toBe(legacy);
    expect(d.readConfig(0, 4)).toBe((3 << 20) / 512); // capacity low
    expect(d.readConfig(4, 4)).toBe(0);
    expect(d.readConfig(12, 4)).toBe(254); // seg_max = queue-size - 2
    expect(d.readConfig(20, 4)).toBe(512); // blk_size
    expect(d.readConfig(34, 2)).toBe(1); // num_queues
    expect(d.readConfig(36, 4)).toBe(0x3fffff); // max_discard_sectors
    expect(d.readConfig(40, 4)).toBe(1); // max_discard_seg
    expect(d.readConfig(44, 4)).toBe(1); // discard_sector_alignment (sectors)
    expect(d.readConfig(48, 4)).toBe(0x3fffff);
    expect(d.readConfig(56, 1)).toBe(1); // write_zeroes_may_unmap
    expect(d.readConfig(57, 1)).toBe(0xff); // beyond config_len (57 bytes)
    if (!legacy) expect(d.r32(R.VIRTIO_MMIO_CONFIG_GENERATION)).toBe(0);
  });

  test('write then read back through guest RAM; status, used len, level interrupt and ack', () => {
    const { d, blk } = makeBlkRig({ legacy });
    const [q] = blkStart(d);
    const data = pattern(4096, 1);
    const w = writeReq(d, q, 8, data, { segs: 3 });
    d.kick(q);
    const [u] = d.waitUsed(q);
    expect(u).toEqual({ id: w.head, len: 1 });
    expect(statusOf(d, w)).toBe(VIRTIO_BLK_S_OK);
    expect(blk.data.subarray(8 * 512, 8 * 512 + 4096)).toEqual(data);
    expect(d.irq.level).toBe(true);
    expect(d.ackInterrupt()).toBe(1);
    expect(d.irq.level).toBe(false);

    const r = readReq(d, q, 8, 4096, { segs: 2 });
    d.kick(q);
    const [u2] = d.waitUsed(q);
    expect(u2).toEqual({ id: r.head, len: 4097 });
    expect(statusOf(d, r)).toBe(VIRTIO_BLK_S_OK);
    expect(d.bytes(r.data, 4096)).toEqual(data);
    expect(d.irq.level).toBe(true);
  });

  test('completing a read unmaps its device-writable buffers: invalidate_and_set_dirty over exactly the bytes written', () => {
    const { d } = makeBlkRig({ legacy });
    const dirty: Array<[number, number]> = [];
    d.ram.codeInvalidator = (paddr, len) => dirty.push([paddr, len]);
    const [q] = blkStart(d);
    const w = writeReq(d, q, 0, pattern(2048, 3));
    d.kick(q);
    d.waitUsed(q);
    // A write's payload is device-readable: only its status byte was written by the device.
    expect(dirty).toEqual([[w.status, 1]]);
    dirty.length = 0;
    const r = readReq(d, q, 0, 2048, { segs: 2 });
    d.kick(q);
    d.waitUsed(q);
    // Two data segments of 1024 bytes, then the status byte: used len 2049, all of it dirtied.
    expect(dirty).toEqual([
      [r.data, 1024],
      [r.data + 1024, 1024],
      [r.status, 1],
    ]);
  });

  test('FLUSH, GET_ID, DISCARD, WRITE_ZEROES and unsupported requests', () => {
    const { d, blk } = makeBlkRig({ legacy, dev: { serial: 'vtrace-serial' } });
    const [q] = blkStart(d);
    blk.data.fill(0xaa);
    const dwz = (sector: number, n: number, flags: number) => {
      const b = new Uint8Array(16);
      const v = new DataView(b.buffer);
      v.setUint32(0, sector, true);
      v.setUint32(8, n, true);
      v.setUint32(12, flags, true);
      return b;
    };
    const reqs = [
      blkRequest(d, q, { type: VIRTIO_BLK_T_FLUSH }),
      getIdReq(d, q, 20),
      blkRequest(d, q, { type: VIRTIO_BLK_T_DISCARD, write: dwz(0, 2, 0) }),
      blkRequest(d, q, { type: VIRTIO_BLK_T_WRITE_ZEROES, write: dwz(4, 4, 1) }),
      blkRequest(d, q, { type: VIRTIO_BLK_T_DISCARD, write: dwz(0, 1, 1) }), // discard + UNMAP: UNSUPP
      blkRequest(d, q, { type: VIRTIO_BLK_T_WRITE_ZEROES, write: dwz(0, 1, 2) }), // unknown flag
      blkRequest(d, q, { type: 0x55, readLen: 8 }), // unknown type
      blkRequest(d, q, { type: 2, readLen: 8 }), // SCSI_CMD
    ];
    d.kick(q);
    d.waitUsed(q, reqs.length);
    expect(reqs.map((r) => statusOf(d, r))).toEqual([0, 0, 0, 0, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_S_UNSUPP]);
    expect(new TextDecoder().decode(d.bytes(reqs[1].data, 14))).toBe('vtrace-serial\0');
    expect(blk.data.subarray(0, 1024).every((b) => b === 0)).toBe(true);
    expect(blk.data.subarray(4 * 512, 8 * 512).every((b) => b === 0)).toBe(true);
    expect(blk.data[8 * 512]).toBe(0xaa);
    const wz = blk.calls.find((c) => c.op === 'write_zeroes')!;
    expect(wz).toMatchObject({ offset: 2048, bytes: 2048, flags: BDRV_REQ_MAY_UNMAP });
    expect(blk.calls.some((c) => c.op === 'flush')).toBe(true);
  });

  test('GET_ID: a 20-byte serial has no NUL; short buffers get a prefix', () => {
    const { d } = makeBlkRig({ legacy, dev: { serial: '01234567890123456789XYZ' } });
    const [q] = blkStart(d);
    const a = getIdReq(d, q, 20);
    const b = getIdReq(d, q, 5);
    d.kick(q);
    d.waitUsed(q, 2);
    expect(new TextDecoder().decode(d.bytes(a.data, 20))).toBe('01234567890123456789');
    expect(new TextDecoder().decode(d.bytes(b.data, 5))).toBe('01234');
  });

  test('out of range, unaligned and failing requests complete with IOERR; rerror=ignore completes OK', () => {
    const { d, blk } = makeBlkRig({ legacy, size: 64 << 10 });
    const [q] = blkStart(d);
    const beyond = readReq(d, q, 127, 1024); // last sector + 1 more
    const farBeyond = readReq(d, q, 2 ** 40, 512);
    const unaligned = writeReq(d, q, 0, new Uint8Array(100));
    d.kick(q);
    d.waitUsed(q, 3);
    expect([beyond, farBeyond, unaligned].map((r) => statusOf(d, r))).toEqual([1, 1, 1]);
    expect(blk.calls.length).toBe(0);
    blk.failNext.read = 5;
    const failing = readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(statusOf(d, failing)).toBe(VIRTIO_BLK_S_IOERR);

    const ign = makeBlkRig({ legacy, dev: { rerror: 'ignore' } });
    const [q2] = blkStart(ign.d);
    ign.blk.failNext.read = 5;
    const r = readReq(ign.d, q2, 0, 512);
    ign.d.kick(q2);
    ign.d.waitUsed(q2);
    expect(statusOf(ign.d, r)).toBe(VIRTIO_BLK_S_OK);
  });

  test('read-only drive: RO offered, writes fail with IOERR, reads work', () => {
    const blkRig = makeBlkRig({ legacy });
    blkRig.blk.readOnly = true;
    // Features are computed at plug time: build a fresh rig with a read-only backend.
    const { d, blk } = makeBlkRig({ legacy, blk: Object.assign(blkRig.blk, { readOnly: true }) });
    expect(has(d.deviceFeatures(), VIRTIO_BLK_F_RO)).toBe(true);
    const [q] = blkStart(d);
    const w = writeReq(d, q, 0, new Uint8Array(512).fill(1));
    const z = blkRequest(d, q, { type: VIRTIO_BLK_T_WRITE_ZEROES, write: new Uint8Array(16).fill(0).map((_, i) => (i === 8 ? 1 : 0)) });
    const r = readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q, 3);
    expect([statusOf(d, w), statusOf(d, z), statusOf(d, r)]).toEqual([1, 1, 0]);
    expect(blk.calls.filter((c) => c.op !== 'read')).toEqual([]);
  });

  test('indirect descriptors', () => {
    const { d, blk } = makeBlkRig({ legacy });
    const [q] = blkStart(d);
    const data = pattern(2048, 9);
    const w = writeReq(d, q, 2, data, { indirect: true, segs: 4 });
    d.kick(q);
    d.waitUsed(q);
    expect(statusOf(d, w)).toBe(0);
    expect(blk.data.subarray(1024, 1024 + 2048)).toEqual(data);
    const r = readReq(d, q, 2, 2048, { indirect: true, segs: 2 });
    d.kick(q);
    expect(d.waitUsed(q)[0]).toEqual({ id: r.head, len: 2049 });
    expect(d.bytes(r.data, 2048)).toEqual(data);
  });

  test('multireq: adjacent reads merge into one block request; gaps, direction changes and max transfer split', () => {
    const { d, blk } = makeBlkRig({ legacy });
    const [q] = blkStart(d, { num: 64 });
    blk.data.set(pattern(1 << 20, 3));
    // Published out of order: merging sorts by sector.
    const spec: [number, number, number][] = [[4, 1024, 1], [0, 1024, 2], [2, 1024, 1], [6, 512, 1]];
    const rs = spec.map(([sector, len, segs]) => ({ sector, r: readReq(d, q, sector, len, { segs }) }));
    d.kick(q);
    d.waitUsed(q, 4);
    expect(blk.calls).toEqual([{ op: 'read', offset: 0, bytes: 3584, niov: 5, flags: BDRV_REQ_REGISTERED_BUF }]);
    for (const { sector, r } of rs) {
      expect(statusOf(d, r)).toBe(0);
      expect(d.bytes(r.data, r.dataLen)).toEqual(blk.data.subarray(sector * 512, sector * 512 + r.dataLen));
    }

    // A gap and a direction change: read 0..1, read 3 (gap), write 4, read 5 → 4 submissions.
    blk.calls.length = 0;
    readReq(d, q, 0, 512);
    readReq(d, q, 1, 512);
    readReq(d, q, 3, 512);
    writeReq(d, q, 4, new Uint8Array(512));
    readReq(d, q, 5, 512);
    d.kick(q);
    d.waitUsed(q, 5);
    expect(blk.calls.map((c) => [c.op, c.offset, c.bytes])).toEqual([
      ['read', 0, 1024],
      ['read', 1536, 512],
      ['write', 2048, 512],
      ['read', 2560, 512],
    ]);

    // The backend's max transfer (2 KiB) bounds a merge.
    blk.calls.length = 0;
    blk.maxTransfer = 2048;
    for (let i = 0; i < 6; i++) readReq(d, q, 100 + 2 * i, 1024);
    d.kick(q);
    d.waitUsed(q, 6);
    expect(blk.calls.map((c) => c.bytes)).toEqual([2048, 2048, 2048]);
  });

  test('multi-queue: num-queues=2 offers MQ and serves both queues', () => {
    const { d, blk } = makeBlkRig({ legacy, dev: { num_queues: 2 } });
    expect(has(d.deviceFeatures(), VIRTIO_BLK_F_MQ)).toBe(true);
    expect(d.readConfig(34, 2)).toBe(2);
    const [q0, q1] = blkStart(d, { queues: 2 });
    const a = writeReq(d, q1, 0, pattern(512, 5));
    d.kick(q1);
    d.waitUsed(q1);
    const b = readReq(d, q0, 0, 512);
    d.kick(q0);
    d.waitUsed(q0);
    expect([statusOf(d, a), statusOf(d, b)]).toEqual([0, 0]);
    expect(d.bytes(b.data, 512)).toEqual(pattern(512, 5));
    expect(blk.calls.length).toBe(2);
  });

  test('EVENT_IDX: used_event suppresses interrupts until passed; the device publishes avail_event', () => {
    const { d } = makeBlkRig({ legacy });
    const [q] = blkStart(d);
    d.autoUsedEvent = false;
    // Interrupt only once used idx passes 2 (the 3rd completion). The very first completion always
    // signals (no interrupt has been sent yet: signalled_used not valid), as in QEMU.
    d.setU16(q.avail + 4 + 2 * q.num, 2);
    for (let i = 0; i < 2; i++) {
      readReq(d, q, i, 512);
      d.kick(q);
      d.waitUsed(q);
      expect(d.irq.raises, `after request ${i}`).toBe(1);
      d.ackInterrupt();
    }
    readReq(d, q, 2, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(d.irq.raises).toBe(2);
    expect(d.irq.level).toBe(true);
    // avail_event (after the used ring) = the avail idx the device has consumed.
    expect(d.u16(q.used + 4 + 8 * q.num)).toBe(3);
  });

  test('without EVENT_IDX: VRING_AVAIL_F_NO_INTERRUPT suppresses the interrupt', () => {
    const { d } = makeBlkRig({ legacy });
    const [q] = blkStart(d, { pick: (f) => f & ~(bit(VIRTIO_RING_F_EVENT_IDX) | bit(VIRTIO_F_NOTIFY_ON_EMPTY)) });
    d.setU16(q.avail, 1); // NO_INTERRUPT
    readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(d.irq.raises).toBe(0);
    expect(d.r32(R.VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(0);
    d.setU16(q.avail, 0);
    readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(d.irq.raises).toBe(1);
  });

  test('NOTIFY_ON_EMPTY (legacy drivers only) interrupts on an empty queue despite suppression', () => {
    const { d } = makeBlkRig({ legacy });
    if (!legacy) {
      expect(has(d.deviceFeatures(), VIRTIO_F_NOTIFY_ON_EMPTY)).toBe(false); // hidden from modern drivers
      return;
    }
    const [q] = blkStart(d, { pick: (f) => f & ~bit(VIRTIO_RING_F_EVENT_IDX) });
    d.setU16(q.avail, 1);
    readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(d.irq.raises).toBe(1);
  });

  test('QueueNotify is an ioeventfd: the vCPU write returns at once, the main loop dispatches through container_of', () => {
    const { d, s } = makeBlkRig({ legacy });
    const [q] = blkStart(d);
    d.settle(); // the DRIVER_OK kick
    const seen: ContainerOfEvent[] = [];
    utilTraceHooks.container_of = (ev) => {
      if (ev.field === 'host_notifier') seen.push(ev);
    };
    readReq(d, q, 0, 512);
    d.kick(q);
    expect(d.usedIdx(q)).toBe(0); // nothing ran inside the MMIO write
    expect(s.vq[0].inuse).toBe(0);
    d.waitUsed(q);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatchObject({ memberType: 'EventNotifier', field: 'host_notifier', containerType: 'VirtQueue' });
    expect(seen[0].container).toBe(s.vq[0]);
  });

  test('without ioeventfd the kick is handled inside the MMIO write (QEMU TCG behaviour)', () => {
    const { d, s } = makeBlkRig({ legacy, ioeventfd: false });
    const [q] = blkStart(d);
    readReq(d, q, 0, 512);
    d.kick(q);
    expect(s.inflight).toBe(1); // popped and submitted synchronously
    d.waitUsed(q);
  });

  test('Status=0 resets: status, ISR and the line drop; the device works again after re-setup', () => {
    const { d, s } = makeBlkRig({ legacy });
    const [q] = blkStart(d);
    readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q);
    expect(d.irq.level).toBe(true);
    d.w32(R.VIRTIO_MMIO_STATUS, 0);
    expect(d.status()).toBe(0);
    expect(d.r32(R.VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(0);
    expect(d.irq.level).toBe(false);
    expect(s.vq[0].vring.desc).toBe(0);
    if (!legacy) expect(d.r32(R.VIRTIO_MMIO_QUEUE_READY)).toBe(0);
    const [q2] = blkStart(d);
    const r = readReq(d, q2, 0, 512);
    d.kick(q2);
    d.waitUsed(q2);
    expect(statusOf(d, r)).toBe(0);
    expect(d.status() & VIRTIO_CONFIG_S_DRIVER_OK).toBeTruthy();
  });

  test('reset with requests in flight drains them first', () => {
    const { d, s } = makeBlkRig({ legacy });
    const [q] = blkStart(d);
    d.settle();
    readReq(d, q, 0, 512);
    readReq(d, q, 4, 512);
    d.kick(q);
    // Dispatch the kick only (the BH completions are not run yet): one main loop round.
    d.runUntil(() => s.inflight > 0 || d.usedIdx(q) > 0);
    d.w32(R.VIRTIO_MMIO_STATUS, 0);
    expect(s.inflight).toBe(0);
    expect(d.status()).toBe(0);
  });
});

test('property validation throws one-line VirtioBlkConfigError', () => {
  expect(() => makeBlkRig({ legacy: false, dev: { queue_size: 100 } })).toThrow(VirtioBlkConfigError);
  expect(() => makeBlkRig({ legacy: false, dev: { queue_size: 2 } })).toThrow(/must be > 2/);
  expect(() => makeBlkRig({ legacy: false, dev: { num_queues: 0 } })).toThrow(/num-queues/);
  expect(() => makeBlkRig({ legacy: false, dev: { logical_block_size: 1000 } })).toThrow(/power of 2/);
});

test('4 KiB logical blocks: blk_size 4096, 512-byte-aligned but 4K-misaligned requests fail', () => {
  const { d } = makeBlkRig({ legacy: false, dev: { logical_block_size: 4096 } });
  expect(d.readConfig(20, 4)).toBe(4096);
  const [q] = blkStart(d);
  const bad = readReq(d, q, 1, 4096);
  const good = readReq(d, q, 8, 4096);
  d.kick(q);
  d.waitUsed(q, 2);
  expect([statusOf(d, bad), statusOf(d, good)]).toEqual([1, 0]);
});
