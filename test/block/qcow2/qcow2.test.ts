/**
 * The qcow2 driver against qemu-img/qemu-io: images qemu-img creates open here, writes through a
 * BlockBackend (real files, real thread-pool workers) leave images qemu-img checks clean and
 * compares identical to a raw model; backing files; images qemu-io wrote read back right.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { blk_getlength, type BlockBackend } from '../../../src/block/block-backend';
import { blockdevOpen } from '../../../src/block/blockdev';
import { qcow2_state } from '../../../src/block/qcow2/qcow2';
import { cleanupTempDirs, installWorkerRecorder, makeImage, pattern, run, tempDir } from '../block-test-helpers';
import { ModelDisk, blockdevClose, concurrentWrites, createQcow2, open, qemuImg, readAll, requireQemu, sha256, verifyWithQemu } from './qcow2-test-helpers';

const MiB = 1 << 20;
const opened: BlockBackend[] = [];
function track(blk: BlockBackend): BlockBackend {
  opened.push(blk);
  return blk;
}
function close(blk: BlockBackend): void {
  opened.splice(opened.indexOf(blk), 1);
  blockdevClose(blk);
}

beforeAll(() => installWorkerRecorder());
afterEach(() => {
  for (const b of opened.splice(0)) blockdevClose(b);
});
afterAll(() => cleanupTempDirs());

/** The writes every layout gets: aligned, unaligned, spanning clusters and L2 ranges, the end. */
function exercise(d: ModelDisk, size: number, cluster_size: number): void {
  const cluster = Math.min(cluster_size, size / 16); // offsets stay inside the disk for 2 MiB clusters
  const w = (o: number, n: number, seed: number): void => {
    d.write(o, n, seed);
    d.check(Math.max(0, o - cluster_size), Math.min(size, o + n + cluster_size) - Math.max(0, o - cluster_size));
  };
  w(0, 4096, 1); // header-adjacent guest offset 0, partial cluster (unless 4 KiB clusters)
  w(cluster, cluster, 2); // exactly one cluster
  w(5 * cluster + 100, 3000, 3); // unaligned inside a cluster
  w(9 * cluster - 700, 2 * cluster + 1400, 4); // spanning three clusters, unaligned both ends
  w(5 * cluster + 50, 200, 5); // overwrite inside an allocated cluster (in place)
  w(size / 2 - 5000, 10000, 6); // across the middle
  w(size - 1000, 1000, 7); // the last bytes
  w(3 * MiB + 17, MiB + 33, 8); // a big unaligned write spanning many clusters
  w(0, 512, 9); // rewrite the first sector
}

const layouts: { name: string; opts: string[]; cluster: number; version: number }[] = [
  { name: 'default (v3, 64 KiB clusters)', opts: [], cluster: 65536, version: 3 },
  { name: 'cluster_size=4096', opts: ['-o', 'cluster_size=4096'], cluster: 4096, version: 3 },
  { name: 'compat=0.10 (v2)', opts: ['-o', 'compat=0.10'], cluster: 65536, version: 2 },
  { name: 'cluster_size=512, refcount_bits=1', opts: ['-o', 'cluster_size=512,refcount_bits=1'], cluster: 512, version: 3 },
  { name: 'cluster_size=2M, refcount_bits=64', opts: ['-o', 'cluster_size=2M,refcount_bits=64'], cluster: 2 * MiB, version: 3 },
];

for (const l of layouts) {
  test(`qemu-img create -f qcow2 ${l.opts.join(' ')} 8M [${l.name}]: zeroes, writes read back, qemu-img check/compare/convert agree`, (ctx) => {
    requireQemu(ctx);
    const dir = tempDir();
    const img = path.join(dir, 'img.qcow2');
    const size = 8 * MiB;
    createQcow2(img, '8M', l.opts);
    const blk = track(blockdevOpen({ file: img, format: 'qcow2', id: 'qc0', logger: () => {} }));
    const s = qcow2_state(blk.root!.bs);
    expect(s.qcow_version).toBe(l.version);
    expect(s.cluster_size).toBe(l.cluster);
    expect(blk_getlength(blk)).toBe(size);
    expect(readAll(blk, size).every((b) => b === 0)).toBe(true);
    const d = new ModelDisk(blk, size);
    exercise(d, size, l.cluster);
    d.checkAll();
    close(blk);
    verifyWithQemu(img, d.expected, dir);
    // reopened (probed), the data is still there
    const again = track(open({ file: img }));
    expect(again.root!.bs.drv.format_name).toBe('qcow2');
    expect(Buffer.from(readAll(again, size)).equals(Buffer.from(d.expected))).toBe(true);
  });
}

test('refcount table growth: 512-byte clusters, 64-bit refcounts, 6 MiB of writes move the refcount table; qemu-img check clean', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'grow.qcow2');
  createQcow2(img, '8M', ['-o', 'cluster_size=512,refcount_bits=64']); // one reftable cluster covers 2 MiB
  const blk = track(open({ file: img, format: 'qcow2' }));
  const s = qcow2_state(blk.root!.bs);
  const table0 = s.refcount_table_offset;
  const d = new ModelDisk(blk, 8 * MiB);
  for (let i = 0; i < 6; i++) d.write(i * MiB + 333 * i, MiB - 1000, 20 + i);
  expect(s.refcount_table_offset).not.toBe(table0);
  d.checkAll();
  close(blk);
  verifyWithQemu(img, d.expected, dir);
  const info = JSON.parse(qemuImg('check', '--output=json', img).stdout) as Record<string, number>;
  expect(info['corruptions'] ?? 0).toBe(0);
  expect(info['leaks'] ?? 0).toBe(0);
});

test('concurrent writes into the same new clusters and L2 table are serialised by s->lock', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'conc.qcow2');
  createQcow2(img, '8M', ['-o', 'cluster_size=4096']);
  const blk = track(open({ file: img, format: 'qcow2' }));
  const d = new ModelDisk(blk, 8 * MiB);
  concurrentWrites(d, [
    { offset: 100, bytes: 1000, seed: 1 },
    { offset: 2000, bytes: 1000, seed: 2 },
    { offset: 3500, bytes: 5000, seed: 3 },
    { offset: 4 * MiB + 1, bytes: 70000, seed: 4 },
    { offset: 4 * MiB + 80000, bytes: 100, seed: 5 },
    { offset: 8 * MiB - 4096, bytes: 4096, seed: 6 },
  ]);
  d.checkAll();
  close(blk);
  verifyWithQemu(img, d.expected, dir);
});

test('overlay on a raw base (-b base.raw -F raw): probed qcow2, reads fall through, partial writes copy from base, base untouched', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const size = 4 * MiB;
  const base = makeImage(dir, 'base.raw', 3 * MiB, 42); // shorter than the overlay: the rest reads as zeroes
  const baseHash = sha256(base);
  const ov = path.join(dir, 'ov.qcow2');
  createQcow2(ov, '4M', ['-b', 'base.raw', '-F', 'raw']);
  const warnings: string[] = [];
  const blk = track(blockdevOpen({ file: ov, id: 'ov0', logger: (t) => warnings.push(t) }));
  const bs = blk.root!.bs;
  expect(bs.drv.format_name).toBe('qcow2');
  expect(bs.backing_file).toBe('base.raw');
  expect(bs.backing_format).toBe('raw');
  expect(bs.backing!.bs.drv.format_name).toBe('raw');
  expect(bs.backing!.bs.filename).toBe(base);
  expect(warnings).toEqual([]);
  const initial = new Uint8Array(size);
  initial.set(pattern(3 * MiB, 42));
  const d = new ModelDisk(blk, size, initial);
  d.checkAll();
  d.write(1000, 10, 1); // COW head and tail from the base
  d.write(65536 * 3 + 65000, 1000, 2); // spans two clusters: head of one, tail of the other
  d.write(3 * MiB - 100, 200, 3); // across the base's end: COW tail is beyond the base (zeroes)
  d.write(2 * MiB, 65536, 4); // a full cluster: no COW needed
  d.write(1000, 5, 5); // in place in an allocated cluster
  d.checkAll();
  close(blk);
  expect(sha256(base)).toBe(baseHash);
  verifyWithQemu(ov, d.expected, dir);
});

test('qcow2 overlay on a qcow2 base (-F qcow2): reads through two qcow2 layers, COW from the qcow2 base', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const base = path.join(dir, 'base.qcow2');
  createQcow2(base, '2M');
  expect(run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5c 0 1M', base]).status).toBe(0);
  const ov = path.join(dir, 'ov.qcow2');
  createQcow2(ov, '2M', ['-b', base, '-F', 'qcow2']);
  const blk = track(open({ file: ov }));
  const want = new Uint8Array(2 * MiB);
  want.fill(0x5c, 0, MiB);
  const d = new ModelDisk(blk, 2 * MiB, want);
  d.checkAll();
  d.write(MiB - 10, 20, 1);
  d.checkAll();
  close(blk);
  verifyWithQemu(ov, d.expected, dir);
  expect(qemuImg('check', base).status).toBe(0);
});

test('images written by qemu-io read back the right bytes (data, zero clusters, unallocated)', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'io.qcow2');
  createQcow2(img, '8M');
  const io = (cmd: string): void => {
    const r = run('qemu-io', ['-f', 'qcow2', '-c', cmd, img]);
    expect(r.status, r.stderr).toBe(0);
  };
  io('write -P 0xab 64k 128k');
  io('write -P 0xcd 1000k 3k');
  io('write -P 0xee 2M 192k');
  io('write -z 2M 64k'); // a v3 zero cluster over data (ZERO_ALLOC or ZERO_PLAIN)
  io('write -z -u 2176k 64k'); // unmapped zero cluster (ZERO_PLAIN)
  const want = new Uint8Array(8 * MiB);
  want.fill(0xab, 64 * 1024, 192 * 1024);
  want.fill(0xcd, 1000 * 1024, 1003 * 1024);
  want.fill(0xee, 2 * MiB + 64 * 1024, 2 * MiB + 128 * 1024);
  // qemu-img map confirms the image has data, zero and unallocated ranges
  const map = JSON.parse(qemuImg('map', '--output=json', img).stdout) as { start: number; zero: boolean; data: boolean }[];
  expect(map.some((m) => m.zero && !m.data && m.start >= 2 * MiB && m.start < 2 * MiB + 192 * 1024)).toBe(true);
  expect(map.some((m) => m.data)).toBe(true);
  const blk = track(open({ file: img, format: 'qcow2' }));
  expect(Buffer.from(readAll(blk, 8 * MiB)).equals(Buffer.from(want))).toBe(true);
  // writes into the zero clusters: zero COW around them
  const d = new ModelDisk(blk, 8 * MiB, want);
  d.write(2 * MiB + 100, 100, 1);
  d.write(2176 * 1024 + 60000, 9000, 2);
  d.checkAll();
  close(blk);
  verifyWithQemu(img, d.expected, dir);
});

test('v3 image with an autoclear bit set: opened read/write, the bit is cleared; read-only leaves it', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'ac.qcow2');
  createQcow2(img, '1M');
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]), 0, 8, 88); // an unknown autoclear bit
  fs.closeSync(fd);
  const ro = track(open({ file: img, readOnly: true }));
  close(ro);
  expect(fs.readFileSync(img).readBigUInt64BE(88)).toBe(0x80n);
  const rw = track(open({ file: img }));
  close(rw);
  expect(fs.readFileSync(img).readBigUInt64BE(88)).toBe(0n);
  expect(qemuImg('check', img).status).toBe(0);
});

test('dirty image: warns when opened read/write, keeps the dirty bit, data written is there', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = path.join(dir, 'dirty.qcow2');
  createQcow2(img, '1M', ['-o', 'lazy_refcounts=on']);
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), 0, 8, 72);
  fs.closeSync(fd);
  const warnings: string[] = [];
  const blk = track(blockdevOpen({ file: img, id: 'dirty0', logger: (t) => warnings.push(t) }));
  expect(warnings.join('')).toMatch(/is marked dirty .* 'qemu-img check -r all' repairs/);
  const d = new ModelDisk(blk, MiB);
  d.write(12345, 5000, 3);
  d.checkAll();
  close(blk);
  expect(fs.readFileSync(img).readBigUInt64BE(72) & 1n).toBe(1n);
  expect(run('qemu-img', ['check', '-r', 'all', img]).status).toBe(0);
  verifyWithQemu(img, d.expected, dir);
});
