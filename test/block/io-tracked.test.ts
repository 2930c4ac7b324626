/**
 * Tracked requests (src/block/io.ts): the per-node list with O(1) removal (list_index), the
 * serialising_in_flight counter that lets aligned I/O skip bdrv_wait_serialising_requests, and
 * the lazily allocated wait queues. Real requests through a BlockBackend on a raw image.
 */
import { afterAll, afterEach, expect, test } from 'vitest';
import * as fs from 'node:fs';
import { qiovOf } from '../../src/util/iov';
import { qemu_get_aio_context } from '../../src/util/main-loop';
import { blockdevClose, blockdevOpen } from '../../src/block/blockdev';
import { blk_aio_preadv, blk_aio_pwritev, type BlockBackend } from '../../src/block/block-backend';
import type { BlockDriverState } from '../../src/block/block-int';
import { blockTraceHooks, clearBlockTraceHooks } from '../../src/block/trace-hooks';
import { cleanupTempDirs, guestRam, makeImage, pattern, pollUntil, tempDir } from './block-test-helpers';

afterAll(() => cleanupTempDirs());

const open: BlockBackend[] = [];
afterEach(() => {
  clearBlockTraceHooks();
  for (const b of open.splice(0)) blockdevClose(b);
});

function nodes(blk: BlockBackend): BlockDriverState[] {
  const raw = blk.root!.bs;
  return [raw, raw.file!.bs];
}

/** Every tracked request knows its own position; nothing else is in the list. */
function expectListConsistent(bs: BlockDriverState): void {
  bs.tracked_requests.forEach((r, i) => {
    expect(r.list_index).toBe(i);
    expect(r.bs).toBe(bs);
  });
  expect(new Set(bs.tracked_requests).size).toBe(bs.tracked_requests.length);
}

test('aligned reads: tracked while in flight, untracked in any completion order; never serialising, never waiting', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'list.img', 1 << 20, 3);
  const blk = blockdevOpen({ file: img, format: 'raw', id: 'list0' });
  open.push(blk);
  let waits = 0;
  blockTraceHooks.bdrv_wait_serialising = () => void waits++;
  const ram = guestRam(64 * 4096);
  const want = pattern(1 << 20, 3);
  const N = 24;
  const done: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < N; i++) {
    const off = ((i * 37) % 256) * 4096;
    const buf = new Uint8Array(ram, i * 4096, 4096);
    blk_aio_preadv(blk, off, qiovOf(buf), 0, (_o: unknown, ret: number) => {
      expect(ret).toBe(0);
      expect(buf).toEqual(want.subarray(off, off + 4096));
      // Completed ones are gone from both nodes; the others keep consistent positions.
      for (const bs of nodes(blk)) {
        expectListConsistent(bs);
        checks.push(bs.tracked_requests.length);
      }
      done.push(i);
    });
  }
  // All submitted: each node tracks every request (the coroutines wait for the workers).
  for (const bs of nodes(blk)) {
    expect(bs.tracked_requests.length).toBe(N);
    expectListConsistent(bs);
    expect(bs.serialising_in_flight ?? 0).toBe(0);
    expect(bs.tracked_requests.every((r) => r.wait_queue === null && !r.serialising)).toBe(true);
  }
  pollUntil(qemu_get_aio_context(), () => done.length === N);
  expect(checks.length).toBe(2 * N);
  expect(Math.max(...checks)).toBeLessThan(N);
  for (const bs of nodes(blk)) {
    expect(bs.tracked_requests).toEqual([]);
    expect(bs.serialising_in_flight ?? 0).toBe(0);
  }
  expect(waits).toBe(0);
});

test('an unaligned write is counted as serialising while in flight; an overlapping read waits for it and sees its data', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'ser.img', 1 << 16, 5);
  // No format given: probed raw, request_alignment 512 on the raw node, so a 10-byte write is a
  // serialising read-modify-write there.
  const blk = blockdevOpen({ file: img, id: 'ser1', logger: () => {} });
  open.push(blk);
  const raw = blk.root!.bs;
  const ram = guestRam(1 << 16);
  const data = new Uint8Array(ram, 0x1000, 10).fill(0xab);
  const readBuf = new Uint8Array(ram, 0x4000, 512);
  const farBuf = new Uint8Array(ram, 0x8000, 512);
  const waits: [string, number, string, number][] = [];
  blockTraceHooks.bdrv_wait_serialising = (self, other) => waits.push([self.type, self.offset, other.type, other.offset]);
  const order: string[] = [];
  let queuedOnWrite = -1;
  blk_aio_pwritev(blk, 1024 + 7, qiovOf(data), 0, (_o: unknown, ret: number) => {
    expect(ret).toBe(0);
    order.push('write');
  });
  // The write's coroutine is suspended in its head read: it is tracked and serialising.
  expect(raw.serialising_in_flight).toBe(1);
  const w = raw.tracked_requests.find((r) => r.type === 'write')!;
  expect(w.serialising).toBe(true);
  expect([w.overlap_offset, w.overlap_bytes]).toEqual([1024, 512]);

  blk_aio_preadv(blk, 1024, qiovOf(readBuf), 0, (_o: unknown, ret: number) => {
    expect(ret).toBe(0);
    order.push('read');
  });
  // The overlapping read found the write and queued itself on it (its wait queue now exists).
  expect(w.wait_queue).not.toBeNull();
  queuedOnWrite = w.wait_queue!.length;
  expect(queuedOnWrite).toBe(1);
  const r = raw.tracked_requests.find((x) => x.type === 'read')!;
  expect(r.waiting_for).toBe(w);

  // A read elsewhere does not wait, even though a serialising request is in flight.
  blk_aio_preadv(blk, 8192, qiovOf(farBuf), 0, (_o: unknown, ret: number) => {
    expect(ret).toBe(0);
    order.push('far');
  });
  pollUntil(qemu_get_aio_context(), () => order.length === 3);
  expect(order.indexOf('write')).toBeLessThan(order.indexOf('read'));
  expect(waits).toEqual([['read', 1024, 'write', 1024 + 7]]);
  const want = Buffer.from(pattern(1 << 16, 5));
  want.fill(0xab, 1024 + 7, 1024 + 17);
  expect(Buffer.from(readBuf)).toEqual(want.subarray(1024, 1536));
  expect(Buffer.from(farBuf)).toEqual(want.subarray(8192, 8192 + 512));
  expect(fs.readFileSync(img)).toEqual(want);
  // Counter back to 0, lists empty, the finished write's queue released.
  for (const bs of nodes(blk)) {
    expect(bs.serialising_in_flight ?? 0).toBe(0);
    expect(bs.tracked_requests).toEqual([]);
  }
  expect(w.wait_queue).toBeNull();
  expect(w.list_index).toBe(-1);
});
