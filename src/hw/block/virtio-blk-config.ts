/**
 * virtio-blk's guest-visible constants and config space (virtio 1.2 §5.2; QEMU
 * include/standard-headers/linux/virtio_blk.h, virtio_blk_update_config, virtio_blk_get_features).
 *
 * Config layout (virtio 1.2 §5.2.4), little-endian:
 *   0 capacity (le64, 512-byte sectors)  8 size_max  12 seg_max  16 geometry {le16 cylinders,
 *   u8 heads, u8 sectors}  20 blk_size  24 topology {u8 physical_block_exp, u8 alignment_offset,
 *   le16 min_io_size, le32 opt_io_size}  32 writeback  33 unused0  34 num_queues (le16)
 *   36 max_discard_sectors  40 max_discard_seg  44 discard_sector_alignment
 *   48 max_write_zeroes_sectors  52 max_write_zeroes_seg  56 write_zeroes_may_unmap
 * QEMU 7.2 exposes up to the end of the last field a feature needs (feature_sizes): 36 bytes
 * without DISCARD/WRITE_ZEROES, 48 with DISCARD, 57 with WRITE_ZEROES.
 */
import { VIRTIO_F_ANY_LAYOUT, VIRTIO_F_VERSION_1, bit, virtio_has_feature } from '../virtio/virtio-constants';

/* Feature bits (virtio 1.2 §5.2.3). */
export const VIRTIO_BLK_F_BARRIER = 0; // legacy
export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_GEOMETRY = 4;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_SCSI = 7; // legacy
export const VIRTIO_BLK_F_FLUSH = 9; // legacy name: WCE
export const VIRTIO_BLK_F_TOPOLOGY = 10;
export const VIRTIO_BLK_F_CONFIG_WCE = 11;
export const VIRTIO_BLK_F_MQ = 12;
export const VIRTIO_BLK_F_DISCARD = 13;
export const VIRTIO_BLK_F_WRITE_ZEROES = 14;

/* Request types (virtio 1.2 §5.2.6). */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_SCSI_CMD = 2;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
export const VIRTIO_BLK_T_BARRIER = 0x80000000;

/* Status byte. */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const VIRTIO_BLK_ID_BYTES = 20;
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
/** sizeof(struct virtio_blk_outhdr): le32 type, le32 ioprio, le64 sector. */
export const VIRTIO_BLK_OUTHDR_SIZE = 16;
/** sizeof(struct virtio_blk_discard_write_zeroes): le64 sector, le32 num_sectors, le32 flags. */
export const VIRTIO_BLK_DWZ_SIZE = 16;
/** VIRTIO_BLK_MAX_MERGE_REQS: requests merged into one at most. */
export const VIRTIO_BLK_MAX_MERGE_REQS = 32;
export const BDRV_SECTOR_BITS = 9;
export const BDRV_SECTOR_SIZE = 512;
/** BDRV_REQUEST_MAX_SECTORS: MIN(SIZE_MAX, INT_MAX) >> 9. */
export const BDRV_REQUEST_MAX_SECTORS = 0x7fffffff >>> BDRV_SECTOR_BITS;

export const VIRTIO_BLK_CFG_SIZE_MIN = 36;
export const VIRTIO_BLK_CFG_SIZE_DISCARD = 48;
export const VIRTIO_BLK_CFG_SIZE_WRITE_ZEROES = 57;

/** What the config space reports (QEMU's VirtIOBlkConf + BlockConf, resolved). */
export interface VirtIOBlkConfValues {
  num_queues: number;
  queue_size: number;
  seg_max_adjust: boolean;
  logical_block_size: number;
  physical_block_size: number;
  min_io_size: number;
  opt_io_size: number;
  max_discard_sectors: number;
  max_write_zeroes_sectors: number;
  discard_granularity: number;
  cyls: number;
  heads: number;
  secs: number;
}

/** Config bytes for the offered features (virtio_get_config_size with QEMU 7.2's feature_sizes). */
export function virtio_blk_config_size(host_features: bigint): number {
  if (virtio_has_feature(host_features, VIRTIO_BLK_F_WRITE_ZEROES)) return VIRTIO_BLK_CFG_SIZE_WRITE_ZEROES;
  if (virtio_has_feature(host_features, VIRTIO_BLK_F_DISCARD)) return VIRTIO_BLK_CFG_SIZE_DISCARD;
  return VIRTIO_BLK_CFG_SIZE_MIN;
}

/**
 * virtio_blk_get_features: the device's bits on top of the transport's `features`.
 * `device_bits` are the property-controlled ones (DISCARD, WRITE_ZEROES).
 */
export function virtio_blk_features(features: bigint, device_bits: bigint, o: { writeCache: boolean; readOnly: boolean; num_queues: number }): bigint {
  let f = features | device_bits;
  f |= bit(VIRTIO_BLK_F_SEG_MAX) | bit(VIRTIO_BLK_F_GEOMETRY) | bit(VIRTIO_BLK_F_TOPOLOGY) | bit(VIRTIO_BLK_F_BLK_SIZE);
  if (!virtio_has_feature(f, VIRTIO_F_VERSION_1)) {
    f &= ~bit(VIRTIO_F_ANY_LAYOUT);
    f |= bit(VIRTIO_BLK_F_SCSI); // legacy: offered, every SCSI request answers UNSUPP
  }
  if (o.writeCache) f |= bit(VIRTIO_BLK_F_FLUSH);
  // QEMU's config-wce=on (the default): the driver may toggle the write cache through `writeback`.
  f |= bit(VIRTIO_BLK_F_CONFIG_WCE);
  if (o.readOnly) f |= bit(VIRTIO_BLK_F_RO);
  if (o.num_queues > 1) f |= bit(VIRTIO_BLK_F_MQ);
  return f;
}

/** virtio_blk_update_config: write the config space for a disk of `length` bytes into `out`. */
export function virtio_blk_update_config(out: Uint8Array, length: number, conf: VirtIOBlkConfValues, host_features: bigint, writeCache: boolean): void {
  const full = new Uint8Array(64);
  const v = new DataView(full.buffer);
  const blk_size = conf.logical_block_size;
  const capacity = length > 0 ? Math.floor(length / BDRV_SECTOR_SIZE) : 0;
  v.setUint32(0, capacity % 0x1_0000_0000, true);
  v.setUint32(4, Math.floor(capacity / 0x1_0000_0000), true);
  v.setUint32(12, conf.seg_max_adjust ? conf.queue_size - 2 : 128 - 2, true);
  v.setUint16(16, conf.cyls, true);
  full[18] = conf.heads;
  const sector_mask = blk_size / BDRV_SECTOR_SIZE - 1;
  full[19] = length > 0 && Math.floor(Math.floor(length / conf.heads) / conf.secs) % blk_size ? conf.secs & ~sector_mask : conf.secs;
  v.setUint32(20, blk_size, true);
  full[24] = Math.max(0, Math.log2(conf.physical_block_size / blk_size)) | 0;
  full[25] = 0;
  v.setUint16(26, Math.floor(conf.min_io_size / blk_size), true);
  v.setUint32(28, Math.floor(conf.opt_io_size / blk_size), true);
  full[32] = writeCache ? 1 : 0;
  v.setUint16(34, conf.num_queues, true);
  if (virtio_has_feature(host_features, VIRTIO_BLK_F_DISCARD)) {
    const granularity = conf.discard_granularity > 0 ? conf.discard_granularity : blk_size;
    v.setUint32(36, conf.max_discard_sectors, true);
    v.setUint32(40, 1, true); // one segment per request, as QEMU
    v.setUint32(44, granularity >>> BDRV_SECTOR_BITS, true);
  }
  if (virtio_has_feature(host_features, VIRTIO_BLK_F_WRITE_ZEROES)) {
    v.setUint32(48, conf.max_write_zeroes_sectors, true);
    v.setUint32(52, 1, true);
    full[56] = 1;
  }
  out.set(full.subarray(0, out.length));
}
