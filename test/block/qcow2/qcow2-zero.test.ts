/**
 * qcow2 write-zeroes and discard by L2 entries (src/block/qcow2/qcow2-zero.ts), checked with
 * qemu-img: `map` shows zero clusters where QEMU would make them (kept host clusters without
 * unmap, none with it), `check` finds no errors or leaks, `compare`/`convert` agree with a model
 * disk; a backing file does not show through zeroed or discarded clusters; v2 images fall back to
 * writing zeroed data. Real files, real thread-pool workers.
 */
import { expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { blk_aio_pwrite_zeroes, type BlockBackend } from '../../../src/block/block-backend';
import { BDRV_REQ_MAY_UNMAP } from '../../../src/block/block-int';
import { blockdevOpen } from '../../../src/block/blockdev';
import { aio, aioWait, makeImage, pattern, tempDir } from '../block-test-helpers';
import { ModelDisk, createQcow2, driveTracker, qemuImg, requireQemu, sha256, verifyWithQemu } from './qcow2-test-helpers';

const KiB = 1024;
const MiB = 1 << 20;
const drives = driveTracker();
const close = drives.close;

/** Opened with discard=unmap (QEMU's default, ignore, lets no discard or unmap through). */
function openImg(file: string, discard: 'ignore' | 'unmap' = 'unmap'): BlockBackend {
  return drives.track(blockdevOpen({ file, id: `z${drives.count()}`, discard, logger: () => {} }));
}

function zeroes(d: ModelDisk, offset: number, bytes: number, flags = 0): void {
  expect(aioWait((cb) => blk_aio_pwrite_zeroes(d.blk, offset, bytes, flags, cb)), `write-zeroes ${offset}+${bytes}`).toBe(0);
  d.expected.fill(0, offset, offset + bytes);
}

interface MapEntry {
  start: number;
  length: number;
  depth: number;
  zero: boolean;
  data: boolean;
  offset?: number;
}

/** qemu-img map's view of guest [start, start + length): the entries overlapping it. */
function mapOf(img: string, start: number, length: number): MapEntry[] {
  const r = qemuImg('map', '--output=json', '-f', 'qcow2', img);
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as MapEntry[]).filter((e) => e.start < start + length && e.start + e.length > start);
}

/** The range is covered by zero entries of depth 0 that keep (true) or have no (false) host clusters. */
function expectZeroClusters(img: string, start: number, length: number, kept: boolean): void {
  const entries = mapOf(img, start, length);
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) {
    expect(e, JSON.stringify(e)).toMatchObject({ depth: 0, zero: true, data: false });
    expect(e.offset !== undefined, `host cluster kept: ${JSON.stringify(e)}`).toBe(kept);
  }
  expect(entries[0].start).toBeLessThanOrEqual(start);
  expect(entries[entries.length - 1].start + entries[entries.length - 1].length).toBeGreaterThanOrEqual(start + length);
}

test('v3: write-zeroes sets zero flags (host clusters kept, or freed with MAY_UNMAP), discard frees; unaligned ends are written as data; qemu-img agrees', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'z.qcow2');
  createQcow2(img, '4M');
  const d = new ModelDisk(openImg(img), 4 * MiB);
  d.write(0, MiB, 1); // 16 allocated clusters
  const allocatedSize = fs.statSync(img).size;

  zeroes(d, 64 * KiB, 128 * KiB); // two allocated clusters: ZERO_ALLOC
  zeroes(d, 256 * KiB, 128 * KiB, BDRV_REQ_MAY_UNMAP); // freed: ZERO_PLAIN
  zeroes(d, 512 * KiB + 100, 200 * KiB); // head and tail partial: data; the middle cluster zero
  zeroes(d, 2 * MiB, 128 * KiB); // unallocated: ZERO_PLAIN, nothing allocated
  expect(aio.discard(d.blk, 768 * KiB, 64 * KiB)).toBe(0); // allocated, discarded: reads as zeroes
  d.expected.fill(0, 768 * KiB, 832 * KiB);
  expect(aio.discard(d.blk, 900 * KiB, 1000)).toBe(0); // not cluster aligned: advisory, nothing changes
  d.checkAll();
  expect(fs.statSync(img).size).toBe(allocatedSize); // no data cluster was allocated for zeroes
  d.write(64 * KiB + 4096, 8192, 2); // into a ZERO_ALLOC cluster: its host cluster is reused
  d.write(256 * KiB + 100, 100, 3); // into a ZERO_PLAIN cluster: allocated again, the rest zero
  d.checkAll();
  close(d.blk);

  expectZeroClusters(img, 64 * KiB + 64 * KiB, 64 * KiB, true); // the one not rewritten
  expectZeroClusters(img, 320 * KiB, 64 * KiB, false);
  expectZeroClusters(img, 576 * KiB, 64 * KiB, true); // 512K+100 .. 712K+100: the cluster at 576K
  expectZeroClusters(img, 2 * MiB, 128 * KiB, false);
  expectZeroClusters(img, 768 * KiB, 64 * KiB, false);
  verifyWithQemu(img, d.expected, dir);
  const chk = qemuImg('check', img);
  expect(chk.stdout).not.toMatch(/leaked/);
});

test('overlay on a raw base: zeroed and discarded clusters read as zeroes, not as the backing file; the base is untouched', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const base = makeImage(dir, 'base.raw', 4 * MiB, 7);
  const baseHash = sha256(base);
  const ov = path.join(dir, 'ov.qcow2');
  createQcow2(ov, '4M', ['-b', 'base.raw', '-F', 'raw']);
  const d = new ModelDisk(openImg(ov), 4 * MiB, pattern(4 * MiB, 7));
  zeroes(d, 0, 256 * KiB, BDRV_REQ_MAY_UNMAP); // unallocated over the base
  d.write(MiB, 128 * KiB, 8);
  zeroes(d, MiB, 64 * KiB); // allocated in the overlay
  expect(aio.discard(d.blk, MiB + 64 * KiB, 64 * KiB)).toBe(0);
  d.expected.fill(0, MiB + 64 * KiB, MiB + 128 * KiB);
  expect(aio.discard(d.blk, 3 * MiB, 128 * KiB)).toBe(0); // unallocated over the base
  d.expected.fill(0, 3 * MiB, 3 * MiB + 128 * KiB);
  zeroes(d, 600 * KiB + 10, 1000); // part of an unallocated cluster over the base: written as data
  d.checkAll();
  close(d.blk);
  expectZeroClusters(ov, 0, 256 * KiB, false);
  expectZeroClusters(ov, MiB, 64 * KiB, true);
  expectZeroClusters(ov, MiB + 64 * KiB, 64 * KiB, false);
  expectZeroClusters(ov, 3 * MiB, 128 * KiB, false);
  verifyWithQemu(ov, d.expected, dir);
  expect(sha256(base)).toBe(baseHash);
});

test('v2 (compat=0.10): no zero flag, so write-zeroes writes zeroed data; discard frees clusters without a backing file', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'v2.qcow2');
  createQcow2(img, '2M', ['-o', 'compat=0.10']);
  const d = new ModelDisk(openImg(img), 2 * MiB);
  d.write(0, MiB, 4);
  zeroes(d, 64 * KiB, 128 * KiB, BDRV_REQ_MAY_UNMAP);
  zeroes(d, 1536 * KiB, 64 * KiB); // unallocated: allocated as zeroed data
  expect(aio.discard(d.blk, 512 * KiB, 128 * KiB)).toBe(0);
  d.expected.fill(0, 512 * KiB, 640 * KiB);
  d.checkAll();
  close(d.blk);
  const map = mapOf(img, 512 * KiB, 128 * KiB);
  for (const e of map) expect(e.data, JSON.stringify(e)).toBe(false); // unallocated again
  expect(mapOf(img, 64 * KiB, 128 * KiB).every((e) => e.data)).toBe(true); // zeroed data, still allocated
  verifyWithQemu(img, d.expected, dir);
});

test('discard=ignore (QEMU\'s default): discards do nothing and write-zeroes never unmaps (clusters kept, zero flag set)', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'ign.qcow2');
  createQcow2(img, '2M');
  const d = new ModelDisk(openImg(img, 'ignore'), 2 * MiB);
  d.write(0, MiB, 5);
  expect(aio.discard(d.blk, 128 * KiB, 128 * KiB)).toBe(0); // success, but the data stays
  zeroes(d, 512 * KiB, 128 * KiB, BDRV_REQ_MAY_UNMAP);
  d.checkAll();
  close(d.blk);
  expect(mapOf(img, 128 * KiB, 128 * KiB).every((e) => e.data && !e.zero)).toBe(true);
  expectZeroClusters(img, 512 * KiB, 128 * KiB, true);
  verifyWithQemu(img, d.expected, dir);
});

test('detect-zeroes=on: a write of zeroes becomes zero clusters (kept); =unmap with discard=unmap frees them; data writes are unaffected', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  for (const mode of ['on', 'unmap'] as const) {
    const img = path.join(dir, `dz-${mode}.qcow2`);
    createQcow2(img, '2M');
    const blk = drives.track(blockdevOpen({ file: img, id: `dz-${mode}`, discard: 'unmap', detectZeroes: mode, logger: () => {} }));
    const d = new ModelDisk(blk, 2 * MiB);
    d.write(0, MiB, 6);
    const zero = new Uint8Array(new SharedArrayBuffer(128 * KiB));
    expect(aio.write(blk, 256 * KiB, zero)).toBe(0); // two whole clusters of zeroes
    d.expected.fill(0, 256 * KiB, 384 * KiB);
    expect(aio.write(blk, 512 * KiB + 100, new Uint8Array(new SharedArrayBuffer(200)))).toBe(0); // inside a cluster: data
    d.expected.fill(0, 512 * KiB + 100, 512 * KiB + 300);
    d.checkAll();
    close(blk);
    expectZeroClusters(img, 256 * KiB, 128 * KiB, mode === 'on');
    expect(mapOf(img, 512 * KiB, 64 * KiB).every((e) => e.data)).toBe(true);
    verifyWithQemu(img, d.expected, dir);
  }
});

test('zeroes into part of a cluster that already reads as zeroes (fresh image, zero cluster) allocate nothing', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'fresh.qcow2');
  createQcow2(img, '2M');
  const d = new ModelDisk(openImg(img), 2 * MiB);
  zeroes(d, 100, 1000); // unallocated, no backing file
  zeroes(d, 200 * KiB + 5, 10 * KiB);
  zeroes(d, 512 * KiB, 64 * KiB); // a whole cluster: zero flag
  zeroes(d, 512 * KiB + 7, 300); // then part of that zero cluster
  d.write(MiB, 64 * KiB, 9);
  zeroes(d, MiB + 100, 100); // part of an allocated cluster: written as data
  d.checkAll();
  close(d.blk);
  // The one data cluster is the one written; the zeroes allocated none.
  expect(mapOf(img, 0, 2 * MiB).filter((e) => e.data).map((e) => [e.start, e.length])).toEqual([[MiB, 64 * KiB]]);
  verifyWithQemu(img, d.expected, dir);
});
