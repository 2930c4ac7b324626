/**
 * virtio-blk over the real block layer: -drive file=IMG,format=raw (src/block BlockBackend, raw
 * format, file-posix, the thread pool's workers doing preadv/pwritev on the image) and the
 * virtio-mmio transport, driven through guest RAM with no CPU.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { blockdevClose, blockdevOpen } from '../../../src/block/blockdev';
import type { BlockBackend } from '../../../src/block/block-backend';
import { blockBackendOps } from '../../../src/hw/block/block-backend-ops';
import { VIRTIO_BLK_F_RO, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_WRITE_ZEROES } from '../../../src/hw/block/virtio-blk-config';
import { virtio_has_feature } from '../../../src/hw/virtio/virtio';
import { clearVirtioBlkTraceHooks, virtioBlkTraceHooks } from '../../../src/hw/block/trace-hooks';
import { requireFreshDist } from '../../util/util-test-helpers';
import { blkRequest, blkStart, makeBlkRig, pattern, readReq, statusOf, writeReq, imageFile } from './blk-driver';

let dir = '';
const drives: BlockBackend[] = [];
let n = 0;

beforeAll(() => {
  requireFreshDist();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-vblk-'));
});
afterAll(() => {
  for (const b of drives) blockdevClose(b);
  clearVirtioBlkTraceHooks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const image = (size: number, fill?: (b: Buffer) => void): string => imageFile(path.join(dir, `disk${n++}.img`), size, fill);

function open(file: string, readOnly = false): BlockBackend {
  const blk = blockdevOpen({ file, format: 'raw', id: `vblk${n++}`, readOnly });
  drives.push(blk);
  return blk;
}

describe.each([false, true])('virtio-blk on a raw image file (legacy=%s)', (legacy) => {
  test('reads and writes reach the file; merged reads; flush and write-zeroes', () => {
    const file = image(1 << 20, (b) => b.set(pattern(1 << 20, 7)));
    const blk = open(file);
    const { d } = makeBlkRig({ legacy, blk, ops: blockBackendOps });
    expect(d.readConfig(0, 4)).toBe(2048);
    const [q] = blkStart(d);
    const merges: number[] = [];
    virtioBlkTraceHooks.virtio_blk_submit_multireq = (_s, _mrb, _start, num) => merges.push(num);

    const reads = [0, 8, 16].map((sector) => ({ sector, r: readReq(d, q, sector, 4096, { segs: 2 }) }));
    d.kick(q);
    d.waitUsed(q, 3);
    const img = fs.readFileSync(file);
    for (const { sector, r } of reads) {
      expect(statusOf(d, r)).toBe(0);
      expect(Buffer.from(d.bytes(r.data, 4096))).toEqual(img.subarray(sector * 512, sector * 512 + 4096));
    }
    expect(merges).toEqual([3]);

    const data = pattern(8192, 99);
    const w = writeReq(d, q, 100, data, { indirect: true, segs: 3 });
    const f = blkRequest(d, q, { type: VIRTIO_BLK_T_FLUSH });
    d.kick(q);
    d.waitUsed(q, 2);
    expect([statusOf(d, w), statusOf(d, f)]).toEqual([0, 0]);
    expect(fs.readFileSync(file).subarray(100 * 512, 100 * 512 + 8192)).toEqual(Buffer.from(data));

    const dwz = new Uint8Array(16);
    new DataView(dwz.buffer).setUint32(0, 100, true);
    new DataView(dwz.buffer).setUint32(8, 4, true);
    const z = blkRequest(d, q, { type: VIRTIO_BLK_T_WRITE_ZEROES, write: dwz });
    const beyond = readReq(d, q, 2047, 1024);
    d.kick(q);
    d.waitUsed(q, 2);
    expect([statusOf(d, z), statusOf(d, beyond)]).toEqual([0, 1]);
    const after = fs.readFileSync(file);
    expect(after.subarray(100 * 512, 104 * 512).every((b) => b === 0)).toBe(true);
    expect(after.subarray(104 * 512, 116 * 512)).toEqual(Buffer.from(data.subarray(2048)));
    expect(d.irq.level).toBe(true);
    clearVirtioBlkTraceHooks();
  });

  test('a read-only drive offers RO and fails writes with IOERR; the file is unchanged', () => {
    const file = image(64 << 10, (b) => b.fill(0x33));
    const blk = open(file, true);
    const { d } = makeBlkRig({ legacy, blk, ops: blockBackendOps });
    expect(virtio_has_feature(d.deviceFeatures(), VIRTIO_BLK_F_RO)).toBe(true);
    const [q] = blkStart(d);
    const w = writeReq(d, q, 0, new Uint8Array(512));
    const r = readReq(d, q, 0, 512);
    d.kick(q);
    d.waitUsed(q, 2);
    expect([statusOf(d, w), statusOf(d, r)]).toEqual([1, 0]);
    expect(d.bytes(r.data, 512).every((b) => b === 0x33)).toBe(true);
    expect(fs.readFileSync(file).every((b) => b === 0x33)).toBe(true);
  });

  test('Status=0 while reads are in flight drains them through the block layer', () => {
    const file = image(1 << 20);
    const blk = open(file);
    const { d, s } = makeBlkRig({ legacy, blk, ops: blockBackendOps });
    const [q] = blkStart(d);
    d.settle();
    for (let i = 0; i < 8; i++) readReq(d, q, i * 64, 32 << 10);
    d.kick(q);
    d.runUntil(() => s.inflight > 0 || d.usedIdx(q) === 8);
    d.w32(0x70, 0);
    expect(s.inflight).toBe(0);
    expect(d.status()).toBe(0);
    expect(d.irq.level).toBe(false);
  });
});
