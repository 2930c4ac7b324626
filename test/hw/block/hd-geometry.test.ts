/**
 * hd_geometry_guess (QEMU hw/block/hd-geometry.c): the MBR's partition entries, or the size. And
 * virtio-blk's realize really reads the first sector through the block layer to decide the
 * geometry its config space shows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { guess_chs_for_size, guess_disk_lchs, hd_geometry_guess } from '../../../src/hw/block/hd-geometry';
import { VirtIOBlock } from '../../../src/hw/block/virtio-blk';
import { blockBackendOps } from '../../../src/hw/block/block-backend-ops';
import { blockdevClose, blockdevOpen } from '../../../src/block/blockdev';
import { GuestRam } from '../../../src/system/memory';
import { requireFreshDist } from '../../util/util-test-helpers';

const MiB = 1 << 20;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-geom-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An MBR with one partition entry (slot `i`) ending at CHS (end_head, end_sector). */
function mbr(entries: Array<{ slot: number; end_head: number; end_sector: number; nr_sects: number }>, signature = true): Uint8Array {
  const b = new Uint8Array(512);
  const v = new DataView(b.buffer);
  for (const e of entries) {
    const p = 0x1be + 16 * e.slot;
    b[p + 4] = 0x83;
    b[p + 5] = e.end_head;
    b[p + 6] = e.end_sector;
    v.setUint32(p + 8, 2048, true);
    v.setUint32(p + 12, e.nr_sects, true);
  }
  if (signature) {
    b[510] = 0x55;
    b[511] = 0xaa;
  }
  return b;
}

test('no MS-DOS signature, or no readable first sector: the physical guess for the size', () => {
  const len = 64 * MiB;
  expect(hd_geometry_guess(len, null)).toEqual({ cyls: 130, heads: 16, secs: 63 });
  expect(hd_geometry_guess(len, mbr([{ slot: 0, end_head: 15, end_sector: 63, nr_sects: 1000 }], false))).toEqual(guess_chs_for_size(len));
  expect(guess_chs_for_size(512)).toEqual({ cyls: 2, heads: 16, secs: 63 }); // clamped up
  expect(guess_chs_for_size(16 * 1024 * MiB)).toEqual({ cyls: 16383, heads: 16, secs: 63 }); // and down
});

test('a partition ending on a cylinder boundary gives the logical geometry; unusable entries are skipped', () => {
  const len = 64 * MiB; // 131072 sectors
  const table = mbr([
    { slot: 0, end_head: 7, end_sector: 0, nr_sects: 100 }, // sector 0: skipped
    { slot: 1, end_head: 0, end_sector: 32, nr_sects: 100 }, // end_head 0: skipped
    { slot: 2, end_head: 7, end_sector: 0xc0 | 32, nr_sects: 100 }, // cylinder bits in the top two
  ]);
  expect(guess_disk_lchs(table, len)).toEqual({ cyls: Math.floor(131072 / (8 * 32)), heads: 8, secs: 32 });
  expect(hd_geometry_guess(len, table)).toEqual({ cyls: 512, heads: 8, secs: 32 });
  // More than 16 heads: a BIOS translation was active; the physical guess is used.
  expect(hd_geometry_guess(len, mbr([{ slot: 0, end_head: 254, end_sector: 63, nr_sects: 100 }]))).toEqual(guess_chs_for_size(len));
});

test('virtio-blk realize reads the MBR through the block layer and shows its geometry in config space', () => {
  requireFreshDist();
  const file = path.join(tmp, 'mbr.img');
  const img = Buffer.alloc(64 * MiB);
  img.set(mbr([{ slot: 0, end_head: 7, end_sector: 32, nr_sects: 4096 }]));
  fs.writeFileSync(file, img);
  const blk = blockdevOpen({ file, format: 'raw', id: 'geom0', readOnly: true });
  try {
    const s = new VirtIOBlock({ blk, ops: blockBackendOps, ram: new GuestRam(0x80000000, 1 * MiB), id: 'geom0' });
    expect({ cyls: s.conf.cyls, heads: s.conf.heads, secs: s.conf.secs }).toEqual({ cyls: 512, heads: 8, secs: 32 });
  } finally {
    blockdevClose(blk);
  }
});
