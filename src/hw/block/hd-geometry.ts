/**
 * Disk geometry for the virtio-blk config space (QEMU hw/block/hd-geometry.c, called through
 * blkconf_geometry when the device is realized and no cyls=/heads=/secs= were given).
 *
 * hd_geometry_guess reads the first sector (a real 512-byte read through the block layer: it is
 * the pread64 at offset 0 that strace shows right after QEMU opens an image) and, when it holds an
 * MS-DOS partition table whose first usable entry ends on a cylinder boundary with ≤ 16 heads,
 * takes that logical geometry; otherwise the standard physical one for the size.
 */
import { BDRV_SECTOR_SIZE } from './virtio-blk-config';

export interface DiskGeometry {
  cyls: number;
  heads: number;
  secs: number;
}

/** guess_chs_for_size: 16 heads, 63 sectors, cylinders clamped to 2..16383. */
export function guess_chs_for_size(length: number): DiskGeometry {
  const sectors = Math.floor(Math.max(0, length) / BDRV_SECTOR_SIZE);
  const cyls = Math.min(16383, Math.max(2, Math.floor(sectors / (16 * 63))));
  return { cyls, heads: 16, secs: 63 };
}

/**
 * guess_disk_lchs: the geometry an MBR's partition entries imply (struct partition at 0x1be,
 * 16 bytes each: end_head at +5, end_sector at +6 (low 6 bits), nr_sects at +12), or null when
 * there is no MS-DOS signature or no usable entry.
 */
export function guess_disk_lchs(mbr: Uint8Array, length: number): DiskGeometry | null {
  if (mbr.length < BDRV_SECTOR_SIZE || mbr[510] !== 0x55 || mbr[511] !== 0xaa) return null;
  const nb_sectors = Math.floor(length / BDRV_SECTOR_SIZE);
  const v = new DataView(mbr.buffer, mbr.byteOffset, mbr.byteLength);
  for (let i = 0; i < 4; i++) {
    const p = 0x1be + 16 * i;
    const nr_sects = v.getUint32(p + 12, true);
    const end_head = mbr[p + 5];
    if (nr_sects === 0 || end_head === 0) continue;
    const heads = end_head + 1;
    const secs = mbr[p + 6] & 63;
    if (secs === 0) continue;
    const cyls = Math.floor(nb_sectors / (heads * secs));
    if (cyls < 1 || cyls > 16383) continue;
    return { cyls, heads, secs };
  }
  return null;
}

/**
 * hd_geometry_guess: `mbr` is the disk's first sector, or null when it could not be read. An LCHS
 * guess with more than 16 heads means a BIOS translation was active: the physical guess is used.
 */
export function hd_geometry_guess(length: number, mbr: Uint8Array | null): DiskGeometry {
  const lchs = mbr === null ? null : guess_disk_lchs(mbr, length);
  if (lchs === null || lchs.heads > 16) return guess_chs_for_size(length);
  return lchs;
}
