/**
 * Malformed and unsupported qcow2 images fail to open with one clear line (QEMU's text where QEMU
 * has one) — never a crash, never a guess of raw.
 */
import { afterAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BDRV_REQ_MAY_UNMAP, BlockError } from '../../../src/block/block-int';
import { blk_aio_pwrite_zeroes } from '../../../src/block/block-backend';
import { blockdevOpen } from '../../../src/block/blockdev';
import { aio, aioWait, cleanupTempDirs, run, tempDir } from '../block-test-helpers';
import { blockdevClose, createQcow2, requireQemu } from './qcow2-test-helpers';

afterAll(() => cleanupTempDirs());

function openError(file: string, o: { format?: 'qcow2'; readOnly?: boolean } = {}): string {
  try {
    const blk = blockdevOpen({ file, id: `bad${Math.random().toString(36).slice(2, 8)}`, logger: () => {}, ...o });
    blockdevClose(blk);
  } catch (e) {
    expect(e).toBeInstanceOf(BlockError);
    const msg = (e as BlockError).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error(`${file} opened`);
}

function poke(file: string, offset: number, bytes: number[]): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from(bytes), 0, bytes.length, offset);
  fs.closeSync(fd);
}

function fresh(dir: string, name: string, opts: string[] = []): string {
  const img = path.join(dir, name);
  createQcow2(img, '8M', opts);
  return img;
}

test('truncated header', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = fresh(dir, 't.qcow2');
  fs.truncateSync(img, 90);
  expect(openError(img)).toBe('qcow2 header truncated: a version 3 header needs 104 bytes, the image file has 90');
  fs.truncateSync(img, 6); // too short to probe as qcow2: with the format given, it is not qcow2
  expect(openError(img, { format: 'qcow2' })).toBe('Image is not in qcow2 format');
});

test('L1 table offset beyond the end of the file, or unaligned', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = fresh(dir, 'l1.qcow2');
  poke(img, 40, [0, 0, 0, 0, 0x40, 0, 0, 0]); // 1 GiB
  expect(openError(img)).toMatch(/^Invalid L1 table offset: it lies beyond the end of the image file \(0x40000000 \+ 8 bytes > \d+ bytes\)$/);
  poke(img, 40, [0, 0, 0, 0, 0, 0, 0x02, 0x01]);
  expect(openError(img)).toBe('Invalid L1 table offset: it is not aligned to the cluster size (65536)');
  const img2 = fresh(dir, 'l1small.qcow2');
  poke(img2, 36, [0, 0, 0, 0]);
  expect(openError(img2)).toBe('L1 table is too small');
  const img3 = fresh(dir, 'rt.qcow2');
  poke(img3, 48, [0, 0, 0, 0x10, 0, 0, 0, 0]);
  expect(openError(img3)).toMatch(/^Invalid reference count table offset: it lies beyond the end of the image file/);
});

test('unknown incompatible feature bit: QEMU\'s message; known-but-unsupported ones named', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = fresh(dir, 'feat.qcow2');
  poke(img, 72, [0, 0, 0, 0, 0, 0, 0x01, 0]); // bit 8
  expect(openError(img)).toBe('Unsupported qcow2 feature(s): Unknown incompatible feature: 100');
  expect(openError(img, { readOnly: true })).toBe('Unsupported qcow2 feature(s): Unknown incompatible feature: 100');
  const ext = fresh(dir, 'extl2.qcow2', ['-o', 'extended_l2=on']);
  expect(openError(ext)).toBe('qcow2: images with extended L2 entries (subclusters) are not supported by vtrace');
  const corrupt = fresh(dir, 'corrupt.qcow2');
  poke(corrupt, 72, [0, 0, 0, 0, 0, 0, 0, 2]);
  expect(openError(corrupt)).toBe('qcow2: Image is corrupt; cannot be opened read/write');
  blockdevClose(blockdevOpen({ file: corrupt, id: 'corrupt-ro', readOnly: true, logger: () => {} }));
});

test('cluster_bits out of range, bad version, refcount order, encryption', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = fresh(dir, 'cb.qcow2');
  poke(img, 20, [0, 0, 0, 22]);
  expect(openError(img)).toBe('Unsupported cluster size: 2^22');
  poke(img, 20, [0, 0, 0, 8]);
  expect(openError(img)).toBe('Unsupported cluster size: 2^8');
  poke(img, 20, [0, 0, 0, 16]);
  poke(img, 96, [0, 0, 0, 7]);
  expect(openError(img)).toBe('Reference count entry width too large; may not exceed 64 bits');
  poke(img, 96, [0, 0, 0, 4]);
  poke(img, 32, [0, 0, 0, 1]);
  expect(openError(img)).toBe('qcow2: encrypted images are not supported by vtrace');
  poke(img, 32, [0, 0, 0, 0]);
  poke(img, 4, [0, 0, 0, 4]);
  expect(openError(img)).toBe('Unsupported qcow2 version 4');
});

test('internal snapshots: read-only works, read/write is refused', (ctx) => {
  requireQemu(ctx);
  const dir = tempDir();
  const img = fresh(dir, 'snap.qcow2');
  expect(run('qemu-img', ['snapshot', '-c', 's1', img]).status).toBe(0);
  expect(openError(img)).toMatch(/has 1 internal snapshot\(s\); vtrace opens such images read-only only$/);
  blockdevClose(blockdevOpen({ file: img, id: 'snap-ro', readOnly: true, logger: () => {} }));
});

/**
 * A 4 KiB-cluster image with `bytes` of data written by qemu-io, and a generator of copies of it
 * with 1-3 random bytes changed (deterministic: an LCG from `seed`) at offsets `pick` chooses
 * (given the image, its L1 and first L2 table offsets, and the random source).
 */
function fuzzer(dir: string, name: string, bytes: string, seed: number, pick: (t: { l1: number; l2: number; orig: Buffer }, rnd: (n: number) => number) => number) {
  const good = fresh(dir, `${name}-src.qcow2`, ['-o', 'cluster_size=4096']);
  expect(run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x11 0 ${bytes}`, good]).status).toBe(0);
  const orig = fs.readFileSync(good);
  let x = seed;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  const t = { orig, l1: Number(orig.readBigUInt64BE(40)), l2: 0 };
  t.l2 = Number(orig.readBigUInt64BE(t.l1) & 0x00fffffffffffe00n);
  const next = (): string => {
    const img = path.join(dir, `${name}.qcow2`);
    const b = Buffer.from(orig);
    for (let k = 0; k < 1 + rnd(3); k++) b[pick(t, rnd)] = rnd(256);
    fs.writeFileSync(img, b);
    return img;
  };
  return { rnd, next };
}

test('fuzzed headers and L1/L2 entries: open fails with a BlockError or reads return 0/-errno, never a crash', (ctx) => {
  requireQemu(ctx);
  const f = fuzzer(tempDir(), 'fuzz', '64k', 12345, ({ l1, l2 }, rnd) => {
    const region = rnd(3);
    return region === 0 ? rnd(112) : region === 1 ? l1 + rnd(8) : l2 + rnd(128);
  });
  let opened = 0;
  for (let iter = 0; iter < 150; iter++) {
    const img = f.next();
    let blk;
    try {
      blk = blockdevOpen({ file: img, id: `fz${iter}`, format: 'qcow2', readOnly: true, logger: () => {} });
    } catch (e) {
      expect(e).toBeInstanceOf(BlockError);
      continue;
    }
    opened++;
    const buf = new Uint8Array(new SharedArrayBuffer(128 * 1024));
    const ret = aio.read(blk, 0, buf);
    expect(ret <= 0).toBe(true);
    blockdevClose(blk);
  }
  expect(opened).toBeGreaterThan(0);
});

test('fuzzed L1/L2 entries and refcounts, opened read/write: writes, write-zeroes (unmap) and discards return 0/-errno, never a crash', (ctx) => {
  requireQemu(ctx);
  const f = fuzzer(tempDir(), 'fuzzrw', '96k', 777, ({ l1, l2, orig }, rnd) => {
    const rb = Number(orig.readBigUInt64BE(Number(orig.readBigUInt64BE(48)))); // the first refcount block
    const region = rnd(3);
    return region === 0 ? l1 + rnd(8) : region === 1 ? l2 + rnd(8 * 24) : rb + rnd(64);
  });
  const rnd = f.rnd;
  let opened = 0;
  for (let iter = 0; iter < 120; iter++) {
    const img = f.next();
    let blk;
    try {
      blk = blockdevOpen({ file: img, id: `fzrw${iter}`, format: 'qcow2', discard: 'unmap', logger: () => {} });
    } catch (e) {
      expect(e).toBeInstanceOf(BlockError);
      continue;
    }
    opened++;
    const buf = new Uint8Array(new SharedArrayBuffer(16 * 1024));
    buf.fill(0x33);
    const rets = [
      aioWait((cb) => blk_aio_pwrite_zeroes(blk, 4096 * rnd(24), 4096 * (1 + rnd(4)), BDRV_REQ_MAY_UNMAP, cb)),
      aio.discard(blk, 4096 * rnd(24), 4096 * (1 + rnd(4))),
      aio.write(blk, 4096 * rnd(24) + rnd(100), buf),
      aio.read(blk, 0, new Uint8Array(new SharedArrayBuffer(96 * 1024))),
    ];
    for (const r of rets) expect(r <= 0, `iteration ${iter}: ${rets.join(', ')}`).toBe(true);
    blockdevClose(blk);
  }
  expect(opened).toBeGreaterThan(0);
});
