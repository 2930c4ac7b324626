/**
 * Compressed qcow2 clusters (src/block/qcow2/qcow2-threads.ts): images `qemu-img convert -c` made
 * read back byte for byte (the clusters inflated on pool workers); writes into compressed clusters
 * rewrite them uncompressed with the rest of the cluster kept, free the compressed data, and leave
 * an image qemu-img checks clean and compares identical to a raw model; a snapshot=on drive over a
 * compressed image leaves it untouched. Real files, real workers; qemu-img as the oracle.
 */
import { expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { blockdevOpen } from '../../../src/block/blockdev';
import { aio, aioWait, pattern, tempDir } from '../block-test-helpers';
import { blk_aio_pwrite_zeroes } from '../../../src/block/block-backend';
import { ModelDisk, driveTracker, qemuImg, requireQemu, sha256, verifyWithQemu } from './qcow2-test-helpers';

const KiB = 1024;
const MiB = 1 << 20;
const drives = driveTracker();

/** A raw model with compressible text, incompressible bytes and zeroes, and its `qemu-img convert -c` qcow2. */
function compressedImage(dir: string, name: string, opts: string[]): { img: string; model: Uint8Array } {
  const size = 4 * MiB;
  const model = new Uint8Array(size);
  const text = Buffer.from('vtrace compressed cluster test line\n'.repeat(40_000));
  model.set(text.subarray(0, 1536 * KiB), 0); // compresses
  model.set(pattern(MiB, 5), 2 * MiB); // does not (qemu-img stores it uncompressed)
  model.set(text.subarray(0, 300 * KiB), 3 * MiB + 100 * KiB); // compresses; the rest stays zero
  const raw = path.join(dir, `${name}.raw`);
  fs.writeFileSync(raw, model);
  const img = path.join(dir, `${name}.qcow2`);
  const r = qemuImg('convert', '-c', '-f', 'raw', '-O', 'qcow2', ...opts, raw, img);
  expect(r.status, r.stderr).toBe(0);
  const map = JSON.parse(qemuImg('map', '--output=json', img).stdout) as { start: number; data: boolean; offset?: number }[];
  expect(map.some((e) => e.data && e.offset === undefined)).toBe(true); // compressed extents have no plain offset
  return { img, model };
}

for (const [label, opts] of [
  ['64 KiB clusters', []],
  ['4 KiB clusters', ['-o', 'cluster_size=4096']],
] as const) {
  test(`qemu-img convert -c image (${label}): reads match; writes into compressed clusters rewrite them; qemu-img check clean`, (ctx) => {
    requireQemu(ctx);
    const dir = tempDir();
    const { img, model } = compressedImage(dir, 'c', [...opts]);
    const blk = drives.track(blockdevOpen({ file: img, id: `cmp-${opts.length}`, logger: () => {} }));
    const d = new ModelDisk(blk, model.length, model);
    d.checkAll();
    d.write(100, 200, 1); // inside the first compressed cluster
    d.write(60 * KiB, 10 * KiB, 2); // across a cluster boundary (two compressed clusters with 4 KiB ones)
    d.write(3 * MiB + 100 * KiB, 64 * KiB, 3); // a whole cluster's worth, unaligned
    d.checkAll();
    drives.close(blk);
    const chk = qemuImg('check', img);
    expect(chk.stdout + chk.stderr).not.toMatch(/leaked|ERROR/);
    verifyWithQemu(img, d.expected, dir);
  });
}

test('snapshot=on over a compressed image: reads inflate from it, writes go to the overlay, the image is untouched', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const { img, model } = compressedImage(dir, 'base', []);
  const before = sha256(img);
  const blk = drives.track(blockdevOpen({ file: img, format: 'qcow2', id: 'cmp-snap', snapshot: true, logger: () => {} }));
  const d = new ModelDisk(blk, model.length, model);
  d.write(5 * KiB, 3 * KiB, 4);
  d.checkAll();
  drives.close(blk);
  expect(sha256(img)).toBe(before);
});

test('write-zeroes and discard over compressed clusters unmap them (zero clusters), freeing the compressed data; qemu-img check clean', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const { img, model } = compressedImage(dir, 'zd', []);
  const blk = drives.track(blockdevOpen({ file: img, id: 'cmp-zd', discard: 'unmap', logger: () => {} }));
  const d = new ModelDisk(blk, model.length, model);
  expect(aioWait((cb) => blk_aio_pwrite_zeroes(blk, 128 * KiB, 128 * KiB, 0, cb))).toBe(0);
  d.expected.fill(0, 128 * KiB, 256 * KiB);
  expect(aio.discard(blk, 512 * KiB, 64 * KiB)).toBe(0);
  d.expected.fill(0, 512 * KiB, 576 * KiB);
  d.checkAll();
  drives.close(blk);
  const chk = qemuImg('check', img);
  expect(chk.stdout + chk.stderr).not.toMatch(/leaked|ERROR/);
  const map = JSON.parse(qemuImg('map', '--output=json', img).stdout) as { start: number; length: number; zero: boolean; data: boolean }[];
  for (const at of [128 * KiB, 255 * KiB, 512 * KiB]) expect(map.find((e) => e.start <= at && at < e.start + e.length)).toMatchObject({ zero: true, data: false });
  verifyWithQemu(img, d.expected, dir);
});
