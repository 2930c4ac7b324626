/**
 * Creating an empty qcow2 image (QEMU block/qcow2.c qcow2_co_create, the parts a temporary snapshot
 * overlay needs): version 3, 64 KiB clusters, 16-bit refcounts, no backing file in the header (the
 * caller links one in memory, as bdrv_append_temp_snapshot does), no lazy refcounts.
 *
 *   cluster 0   header (104 bytes, then the end-of-extensions marker)
 *   cluster 1   refcount table: one entry, the refcount block at cluster 2
 *   cluster 2   refcount block: clusters 0 .. 3 + L1 clusters - 1 have refcount 1
 *   cluster 3.. L1 table, all zero (nothing allocated)
 *
 * Written with one pwrite64 through the syscall layer (strace shows it), as `qemu-img create` lays
 * out an image of the same options (qemu-img check finds it clean; test/block/temp-snapshot.test.ts).
 *
 * Contract: any thread; synchronous. 0 or -errno.
 */
import { AT_FDCWD, O_CREAT, O_RDWR } from '../../host/flags';
import { close, openat, pwrite64 } from '../../host/syscalls';
import { EINVAL, EIO } from '../errno';
import { QCOW_MAGIC } from './qcow2-header';

const CLUSTER_BITS = 16;
const CLUSTER = 1 << CLUSTER_BITS;
const REFCOUNT_ORDER = 4; // 16-bit refcounts, QEMU's default

/** qcow2_co_create for `size` guest bytes at `filename` (created or truncated-by-overwrite, mode 0644). */
export function qcow2_create(filename: string, size: number): number {
  const l2_entries = CLUSTER / 8;
  const l1_size = Math.ceil(size / (CLUSTER * l2_entries));
  const l1_clusters = Math.max(1, Math.ceil((l1_size * 8) / CLUSTER));
  const clusters = 3 + l1_clusters;
  if (clusters > CLUSTER / 2) return -EINVAL; // more than one refcount block: a disk of ~16 PiB
  const img = new Uint8Array(clusters * CLUSTER);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, QCOW_MAGIC);
  dv.setUint32(4, 3); // version
  // 8 backing_file_offset, 16 backing_file_size: 0 (none)
  dv.setUint32(20, CLUSTER_BITS);
  dv.setBigUint64(24, BigInt(size));
  // 32 crypt_method: 0
  dv.setUint32(36, l1_size);
  dv.setBigUint64(40, BigInt(3 * CLUSTER)); // l1_table_offset
  dv.setBigUint64(48, BigInt(CLUSTER)); // refcount_table_offset
  dv.setUint32(56, 1); // refcount_table_clusters
  // 60 nb_snapshots, 64 snapshots_offset, 72/80/88 feature bits: 0
  dv.setUint32(96, REFCOUNT_ORDER);
  dv.setUint32(100, 104); // header_length; the extension list ends at once (8 zero bytes at 104)
  dv.setBigUint64(CLUSTER, BigInt(2 * CLUSTER)); // refcount table[0] → the refcount block
  for (let i = 0; i < clusters; i++) dv.setUint16(2 * CLUSTER + 2 * i, 1);
  const fd = openat(AT_FDCWD, filename, O_RDWR | O_CREAT, 0o644);
  if (fd < 0) return fd;
  const n = pwrite64(fd, img, 0);
  const c = close(fd);
  if (n < 0) return n;
  if (n !== img.length) return -EIO; // short write
  return c;
}
