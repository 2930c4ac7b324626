/** virtio-blk on top of the qtest-style virtio-mmio driver: device setup and request builders. */
import * as fs from 'node:fs';
import { VirtIOBlock, type VirtIOBlkOptions } from '../../../src/hw/block/virtio-blk';
import type { BlockBackendOps } from '../../../src/hw/block/block-backend-ops';
import { VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../../../src/hw/block/virtio-blk-config';
import { VIRTIO_F_ANY_LAYOUT, VIRTIO_F_NOTIFY_ON_EMPTY, bit } from '../../../src/hw/virtio/virtio';
import { VirtioMmioTestDriver, type Buf, type TestQueue } from '../virtio/qtest-virtio';
import { MemBlk, memBlockOps } from './mem-block-backend';

export interface BlkRig {
  d: VirtioMmioTestDriver;
  s: VirtIOBlock;
  blk: MemBlk;
  errors: string[];
}

export function makeBlkRig(o: { legacy: boolean; size?: number; dev?: Partial<VirtIOBlkOptions>; blk?: unknown; ops?: BlockBackendOps; ioeventfd?: boolean }): BlkRig {
  const blk = new MemBlk(new Uint8Array(o.size ?? 1 << 20));
  const errors: string[] = [];
  let s!: VirtIOBlock;
  const d = new VirtioMmioTestDriver({
    legacy: o.legacy,
    ioeventfd: o.ioeventfd,
    device: (ram) =>
      (s = new VirtIOBlock({ blk: o.blk ?? blk, ops: o.ops ?? memBlockOps, ram, id: 'hd0', errorSink: (l) => errors.push(l), ...o.dev })),
  });
  return { d, s, blk, errors };
}

/**
 * Negotiate (by default what Linux accepts: every offered feature except the legacy-only
 * NOTIFY_ON_EMPTY and ANY_LAYOUT), set up `queues` queues of `num` (default 64), DRIVER_OK.
 */
export function blkStart(d: VirtioMmioTestDriver, o: { num?: number; queues?: number; pick?: (f: bigint) => bigint } = {}): TestQueue[] {
  d.negotiate(o.pick ?? ((f) => f & ~(bit(VIRTIO_F_NOTIFY_ON_EMPTY) | bit(VIRTIO_F_ANY_LAYOUT))));
  const qs: TestQueue[] = [];
  for (let i = 0; i < (o.queues ?? 1); i++) qs.push(d.setupQueue(i, o.num ?? 64));
  d.driverOk();
  return qs;
}

export interface BlkReq {
  head: number;
  hdr: number;
  data: number;
  dataLen: number;
  status: number;
}

/** Header buffer (type, ioprio 0, sector) in guest RAM. */
export function blkHeader(d: VirtioMmioTestDriver, type: number, sector: number): number {
  const a = d.alloc(16);
  const v = d.ram.view;
  const o = a - d.ram.base;
  v.setUint32(o, type >>> 0, true);
  v.setUint32(o + 4, 0, true);
  v.setUint32(o + 8, sector % 0x1_0000_0000, true);
  v.setUint32(o + 12, Math.floor(sector / 0x1_0000_0000), true);
  return a;
}

/**
 * Build a request chain: header (readable), data (readable for OUT/DISCARD/WRITE_ZEROES payloads,
 * writable for IN/GET_ID) split into `segs` buffers, status byte (writable, preset 0xff).
 */
export function blkRequest(
  d: VirtioMmioTestDriver,
  q: TestQueue,
  o: { type: number; sector?: number; write?: Uint8Array; readLen?: number; segs?: number; indirect?: boolean; publish?: boolean },
): BlkReq {
  const hdr = blkHeader(d, o.type, o.sector ?? 0);
  const isOut = o.write !== undefined;
  const dataLen = isOut ? o.write!.length : (o.readLen ?? 0);
  const data = dataLen > 0 ? d.alloc(dataLen) : 0;
  if (isOut && dataLen > 0) d.put(data, o.write!);
  const status = d.alloc(1);
  d.put(status, Uint8Array.of(0xff));
  const bufs: Buf[] = [{ addr: hdr, len: 16 }];
  const segs = Math.max(1, Math.min(o.segs ?? 1, dataLen));
  if (dataLen > 0) {
    const per = Math.ceil(dataLen / segs);
    for (let off = 0; off < dataLen; off += per) bufs.push({ addr: data + off, len: Math.min(per, dataLen - off), write: !isOut });
  }
  bufs.push({ addr: status, len: 1, write: true });
  const head = d.addChain(q, bufs, { indirect: o.indirect, publish: o.publish });
  return { head, hdr, data, dataLen, status };
}

export const readReq = (d: VirtioMmioTestDriver, q: TestQueue, sector: number, len: number, extra: { segs?: number; indirect?: boolean; publish?: boolean } = {}) =>
  blkRequest(d, q, { type: VIRTIO_BLK_T_IN, sector, readLen: len, ...extra });
export const writeReq = (d: VirtioMmioTestDriver, q: TestQueue, sector: number, data: Uint8Array, extra: { segs?: number; indirect?: boolean; publish?: boolean } = {}) =>
  blkRequest(d, q, { type: VIRTIO_BLK_T_OUT, sector, write: data, ...extra });
export const getIdReq = (d: VirtioMmioTestDriver, q: TestQueue, len = 20) => blkRequest(d, q, { type: VIRTIO_BLK_T_GET_ID, readLen: len });

export function statusOf(d: VirtioMmioTestDriver, r: BlkReq): number {
  return d.bytes(r.status, 1)[0];
}

export function pattern(len: number, seed: number): Uint8Array {
  const a = new Uint8Array(len);
  for (let i = 0; i < len; i++) a[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return a;
}

/** A raw image file of `size` zero bytes at `file`, `fill` applied first. Returns the path. */
export function imageFile(file: string, size: number, fill?: (b: Buffer) => void): string {
  const b = Buffer.alloc(size);
  fill?.(b);
  fs.writeFileSync(file, b);
  return file;
}
