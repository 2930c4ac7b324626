/**
 * virtio-blk dataplane (`-object iothread,id=io0 -device virtio-blk-device,drive=hd0,iothread=io0`):
 * the drive is opened and the requests are served in a real iothread (a worker_thread with its own
 * AioContext and thread pool) while this thread plays the emulator thread: it owns the virtio-mmio
 * transport and the main loop, which turns the iothread's guest notifications into interrupts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DATAPLANE_IOTHREAD_MODULE, DataPlaneError, dataPlaneBlockOps, virtio_blk_data_plane_create } from '../../../src/hw/block/dataplane/virtio-blk';
import { VirtIOBlock } from '../../../src/hw/block/virtio-blk';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_T_GET_ID } from '../../../src/hw/block/virtio-blk-config';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../src/hw/virtio/virtio';
import * as R from '../../../src/hw/virtio/virtio-mmio';
import { iothread_create, iothread_destroy, type IOThread } from '../../../src/util/iothread';
import { clearUtilTraceHooks, utilTraceHooks } from '../../../src/util/trace-hooks';
import type { GuestRam } from '../../../src/system/memory';
import { VirtioMmioTestDriver } from '../virtio/qtest-virtio';
import { requireFreshDist } from '../../util/util-test-helpers';
import { blkRequest, blkStart, pattern, readReq, statusOf, writeReq, imageFile } from './blk-driver';

let dir = '';
let io: IOThread;
let n = 0;

beforeAll(() => {
  requireFreshDist();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dataplane-'));
  io = iothread_create('io-test', { modules: [DATAPLANE_IOTHREAD_MODULE] });
});
afterAll(() => {
  iothread_destroy(io);
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => clearUtilTraceHooks());

const image = (size: number, fill?: (b: Buffer) => void): string => imageFile(path.join(dir, `disk${n++}.img`), size, fill);

function rig(legacy: boolean, file: string, serial = '') {
  const id = `dp${n++}`;
  let s!: VirtIOBlock;
  const errors: string[] = [];
  const d = new VirtioMmioTestDriver({
    legacy,
    device: (ram: GuestRam) => {
      const props = { id, serial };
      const handle = virtio_blk_data_plane_create(io, { file, format: 'raw', id, readOnly: false }, props, ram, (t) => errors.push(t));
      s = new VirtIOBlock({ ...props, blk: handle, ops: dataPlaneBlockOps, ram, geometry: handle.geometry, errorSink: (l) => errors.push(l) });
      s.dataplane = handle.dp;
      handle.dp.s = s;
      return s;
    },
  });
  return { d, s, errors };
}

describe.each([false, true])('virtio-blk dataplane in an iothread (legacy=%s)', (legacy) => {
  test('requests are served in the iothread; this thread only raises the interrupt from the guest notifier', () => {
    const file = image(1 << 20, (b) => b.set(pattern(1 << 20, 5)));
    const { d } = rig(legacy, file, 'DPSERIAL');
    expect(d.readConfig(0, 4)).toBe(2048); // capacity, as the iothread reported it
    const [q] = blkStart(d);
    const fields: string[] = [];
    utilTraceHooks.container_of = (ev) => fields.push(ev.field);

    const data = pattern(8192, 9);
    const w = writeReq(d, q, 16, data, { segs: 2 });
    d.kick(q);
    d.waitUsed(q);
    expect(statusOf(d, w)).toBe(VIRTIO_BLK_S_OK);
    // The used entry is published by the iothread; the interrupt follows once this thread's main
    // loop has run the guest notifier's handler.
    d.runUntil(() => d.irq.level);
    expect(d.ackInterrupt()).toBe(1);
    expect(new Uint8Array(fs.readFileSync(file).subarray(16 * 512, 16 * 512 + 8192))).toEqual(data);

    const r = readReq(d, q, 16, 8192, { segs: 3 });
    const id = blkRequest(d, q, { type: VIRTIO_BLK_T_GET_ID, readLen: 20 });
    d.kick(q);
    d.waitUsed(q, 2);
    expect(statusOf(d, r)).toBe(VIRTIO_BLK_S_OK);
    expect(d.bytes(r.data, 8192)).toEqual(data);
    expect(new TextDecoder().decode(d.bytes(id.data, 8))).toBe('DPSERIAL');
    // The host notifier's container_of ran in the iothread; here only the guest notifier's did.
    expect(fields).toContain('guest_notifier');
    expect(fields).not.toContain('host_notifier');
  });

  test('reset stops the dataplane (drained, queues taken back); after re-setup it serves again', () => {
    const file = image(1 << 20);
    const { d, s } = rig(legacy, file);
    const [q] = blkStart(d);
    const w = writeReq(d, q, 0, pattern(4096, 1));
    d.kick(q);
    d.waitUsed(q);
    expect(statusOf(d, w)).toBe(VIRTIO_BLK_S_OK);
    expect(s.dataplane!.started).toBe(true);
    d.w32(R.VIRTIO_MMIO_STATUS, 0);
    expect(s.dataplane!.started).toBe(false);
    expect(s.vq[0].host_notifier_enabled).toBe(false);
    const [q2] = blkStart(d);
    const r = readReq(d, q2, 0, 4096);
    d.kick(q2);
    d.waitUsed(q2);
    expect(statusOf(d, r)).toBe(VIRTIO_BLK_S_OK);
    expect(d.bytes(r.data, 4096)).toEqual(pattern(4096, 1));
  });

  test.skipIf(legacy)('a malformed chain in the iothread puts the guest-visible device in NEEDS_RESET with one line', () => {
    const { d, errors } = rig(legacy, image(1 << 20));
    const [q] = blkStart(d);
    // A chain with no device-writable status buffer: "virtio-blk missing headers".
    const hdr = d.alloc(16);
    d.addChain(q, [{ addr: hdr, len: 16, write: false }]);
    d.kick(q);
    d.runUntil(() => (d.status() & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0, 10_000);
    expect(errors.some((l) => /virtio-blk missing headers; device needs reset/.test(l))).toBe(true);
  });
});

test('a drive the iothread cannot open is a one-line DataPlaneError', () => {
  expect(() => rig(false, path.join(dir, 'missing.img'))).toThrow(DataPlaneError);
  expect(() => rig(false, path.join(dir, 'missing.img'))).toThrow(/Could not open .*missing\.img.*No such file or directory/);
});
