import { afterAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { qcow2_probe, qcow2_read_header } from '../../../src/block/qcow2/qcow2-header';
import { blockdevClose, blockdevOpen } from '../../../src/block/blockdev';
import { makeImage, qemuImg, run, tempDir, cleanupTempDirs } from '../block-test-helpers';

afterAll(() => cleanupTempDirs());

test('qemu-img create -f qcow2 images: probed as qcow2, header fields match qemu-img info', (ctx) => {
  if (qemuImg() === null) {
    console.log('skipped: qemu-img is missing (Debian package qemu-utils)');
    ctx.skip();
  }
  const dir = tempDir();
  const base = makeImage(dir, 'base.raw', 1 << 20);
  const img = path.join(dir, 'top.qcow2');
  expect(run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', img, '64M']).status).toBe(0);
  const info = JSON.parse(run('qemu-img', ['info', '--output=json', img]).stdout) as Record<string, unknown>;
  const buf = new Uint8Array(fs.readFileSync(img).subarray(0, 65536));
  expect(qcow2_probe(buf, 512)).toBe(100);
  const h = qcow2_read_header(buf);
  if (typeof h === 'string') throw new Error(h);
  expect(h.version).toBe(3);
  expect(h.size).toBe(info['virtual-size']);
  expect(1 << h.cluster_bits).toBe(info['cluster-size']);
  expect(h.backing_file).toBe(base);
  expect(h.backing_format).toBe('raw');
  expect(h.refcount_order).toBe(4);
  // never guessed raw: probing finds qcow2, and the node opens with its backing file
  const blk = blockdevOpen({ file: img, id: 'q0', readOnly: true, logger: () => {} });
  expect(blk.root!.bs.drv.format_name).toBe('qcow2');
  expect(blk.root!.bs.backing!.bs.filename).toBe(base);
  blockdevClose(blk);
});

test('qcow2_read_header rejects what is not a qcow2 header', () => {
  expect(qcow2_read_header(new Uint8Array(512))).toBe('Image is not in qcow2 format');
  const b = new Uint8Array(512);
  new DataView(b.buffer).setUint32(0, 0x514649fb);
  new DataView(b.buffer).setUint32(4, 4);
  expect(qcow2_read_header(b)).toBe('Unsupported qcow2 version 4');
  expect(qcow2_probe(b, 512)).toBe(100);
});
