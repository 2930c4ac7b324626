/**
 * The qcow2 header (QEMU docs/interop/qcow2.txt "Header", block/qcow2.h QCowHeader), big-endian:
 *
 *    0 magic 'QFI\xfb'        4 version (2|3)           8 backing_file_offset   16 backing_file_size
 *   20 cluster_bits          24 size (guest bytes)     32 crypt_method         36 l1_size
 *   40 l1_table_offset       48 refcount_table_offset  56 refcount_table_clusters
 *   60 nb_snapshots          64 snapshots_offset
 *   v3: 72 incompatible_features  80 compatible_features  88 autoclear_features
 *       96 refcount_order    100 header_length          104 compression_type (if header_length > 104)
 * then header extensions (type u32, length u32, data padded to 8; type 0 ends), e.g. the backing
 * format (0xe2792aca) and the feature name table (0x6803f857).
 *
 * Contract: pure functions over a byte buffer; any thread.
 */

export const QCOW_MAGIC = 0x514649fb;
export const QCOW2_EXT_MAGIC_END = 0;
export const QCOW2_EXT_MAGIC_BACKING_FORMAT = 0xe2792aca;
export const QCOW2_EXT_MAGIC_FEATURE_TABLE = 0x6803f857;

/* Incompatible feature bits. */
export const QCOW2_INCOMPAT_DIRTY = 1n << 0n;
export const QCOW2_INCOMPAT_CORRUPT = 1n << 1n;
export const QCOW2_INCOMPAT_DATA_FILE = 1n << 2n;
export const QCOW2_INCOMPAT_COMPRESSION = 1n << 3n;
export const QCOW2_INCOMPAT_EXTL2 = 1n << 4n;

export interface QCowHeader {
  version: number;
  backing_file_offset: number;
  backing_file_size: number;
  cluster_bits: number;
  size: number;
  crypt_method: number;
  l1_size: number;
  l1_table_offset: number;
  refcount_table_offset: number;
  refcount_table_clusters: number;
  nb_snapshots: number;
  snapshots_offset: number;
  incompatible_features: bigint;
  compatible_features: bigint;
  autoclear_features: bigint;
  refcount_order: number;
  header_length: number;
  compression_type: number;
  /** From the header extensions. */
  backing_format: string;
  backing_file: string;
}

/** qcow2_probe: 100 for a qcow2 magic with version ≥ 2, else 0. */
export function qcow2_probe(buf: Uint8Array, buf_size: number): number {
  if (buf_size < 8) return 0;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf_size);
  return dv.getUint32(0) === QCOW_MAGIC && dv.getUint32(4) >= 2 ? 100 : 0;
}

function u64(dv: DataView, off: number): number {
  const v = dv.getBigUint64(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`qcow2 header: 64-bit field at ${off} too large`);
  return Number(v);
}

/**
 * Parse and validate the header from the image's first cluster (or at least its first 4 KiB).
 * Returns the header or QEMU's error text.
 */
export function qcow2_read_header(buf: Uint8Array): QCowHeader | string {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 72 || dv.getUint32(0) !== QCOW_MAGIC) return 'Image is not in qcow2 format';
  const version = dv.getUint32(4);
  if (version < 2 || version > 3) return `Unsupported qcow2 version ${version}`;
  const h: QCowHeader = {
    version,
    backing_file_offset: u64(dv, 8),
    backing_file_size: dv.getUint32(16),
    cluster_bits: dv.getUint32(20),
    size: u64(dv, 24),
    crypt_method: dv.getUint32(32),
    l1_size: dv.getUint32(36),
    l1_table_offset: u64(dv, 40),
    refcount_table_offset: u64(dv, 48),
    refcount_table_clusters: dv.getUint32(56),
    nb_snapshots: dv.getUint32(60),
    snapshots_offset: u64(dv, 64),
    incompatible_features: 0n,
    compatible_features: 0n,
    autoclear_features: 0n,
    refcount_order: 4,
    header_length: 72,
    compression_type: 0,
    backing_format: '',
    backing_file: '',
  };
  if (version === 3) {
    h.incompatible_features = dv.getBigUint64(72);
    h.compatible_features = dv.getBigUint64(80);
    h.autoclear_features = dv.getBigUint64(88);
    h.refcount_order = dv.getUint32(96);
    h.header_length = dv.getUint32(100);
    if (h.header_length > 104) h.compression_type = dv.getUint8(104);
  }
  if (h.cluster_bits < 9 || h.cluster_bits > 21) return `Unsupported cluster size: 2^${h.cluster_bits}`;
  if (h.crypt_method !== 0) return 'Encrypted images are not supported by vtrace';
  if (h.refcount_order > 6) return 'Reference count entry width too large; may not exceed 64 bits';
  // extensions: from header_length to the first cluster's end (or the backing file name)
  let off = version === 3 ? h.header_length : 72;
  const end = Math.min(buf.byteLength, h.backing_file_offset > 0 ? h.backing_file_offset : buf.byteLength);
  while (off + 8 <= end) {
    const type = dv.getUint32(off);
    const len = dv.getUint32(off + 4);
    if (type === QCOW2_EXT_MAGIC_END) break;
    if (off + 8 + len > buf.byteLength) return 'Invalid header extension';
    if (type === QCOW2_EXT_MAGIC_BACKING_FORMAT) h.backing_format = new TextDecoder().decode(buf.subarray(off + 8, off + 8 + len));
    off += 8 + ((len + 7) & ~7);
  }
  if (h.backing_file_offset > 0) {
    if (h.backing_file_size > 1023 || h.backing_file_offset + h.backing_file_size > buf.byteLength) return 'Backing file name too long';
    h.backing_file = new TextDecoder().decode(buf.subarray(h.backing_file_offset, h.backing_file_offset + h.backing_file_size));
  }
  return h;
}
