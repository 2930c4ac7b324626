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
 * Contract: pure functions over a byte buffer; any thread. Errors are returned as one-line strings
 * (QEMU's text where QEMU has one).
 */

export const QCOW_MAGIC = 0x514649fb;
export const QCOW2_EXT_MAGIC_END = 0;
export const QCOW2_EXT_MAGIC_BACKING_FORMAT = 0xe2792aca;
export const QCOW2_EXT_MAGIC_FEATURE_TABLE = 0x6803f857;
export const QCOW2_EXT_MAGIC_CRYPTO_HEADER = 0x0537be77;
export const QCOW2_EXT_MAGIC_BITMAPS = 0x23852875;
export const QCOW2_EXT_MAGIC_DATA_FILE = 0x44415441;

/** Header field offsets the driver rewrites in place. */
export const QCOW2_HDR_REFCOUNT_TABLE_OFFSET = 48;
export const QCOW2_HDR_INCOMPATIBLE_FEATURES = 72;
export const QCOW2_HDR_AUTOCLEAR_FEATURES = 88;

/* Incompatible feature bits. */
export const QCOW2_INCOMPAT_DIRTY = 1n << 0n;
export const QCOW2_INCOMPAT_CORRUPT = 1n << 1n;
export const QCOW2_INCOMPAT_DATA_FILE = 1n << 2n;
export const QCOW2_INCOMPAT_COMPRESSION = 1n << 3n;
export const QCOW2_INCOMPAT_EXTL2 = 1n << 4n;
/** The incompatible bits QEMU knows (QCOW2_INCOMPAT_MASK); others are refused with QEMU's text. */
export const QCOW2_INCOMPAT_MASK = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DATA_FILE | QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2;
/* Compatible feature bits. */
export const QCOW2_COMPAT_LAZY_REFCOUNTS = 1n << 0n;
/* Autoclear feature bits. */
export const QCOW2_AUTOCLEAR_BITMAPS = 1n << 0n;
export const QCOW2_AUTOCLEAR_DATA_FILE_RAW = 1n << 1n;

export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;

/** A feature name table entry (type 0 incompatible, 1 compatible, 2 autoclear). */
export interface Qcow2Feature {
  type: number;
  bit: number;
  name: string;
}

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
  feature_table: Qcow2Feature[];
  /** Types of every extension seen (unknown ones included). */
  extensions: number[];
}

/** qcow2_probe: 100 for a qcow2 magic with version ≥ 2, else 0. */
export function qcow2_probe(buf: Uint8Array, buf_size: number): number {
  if (buf_size < 8) return 0;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf_size);
  return dv.getUint32(0) === QCOW_MAGIC && dv.getUint32(4) >= 2 ? 100 : 0;
}

function u64(dv: DataView, off: number, name: string): number | string {
  const v = dv.getBigUint64(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return `qcow2 header: ${name} 0x${v.toString(16)} is too large`;
  return Number(v);
}

/** Header bytes a version needs before its extensions. */
export function qcow2_min_header_length(version: number): number {
  return version === 2 ? 72 : 104;
}

/**
 * Parse and validate the header from the image's first cluster (or as much of it as the file has).
 * Returns the header or an error text. Does not judge feature bits (qcow2_check_features does).
 */
export function qcow2_read_header(buf: Uint8Array): QCowHeader | string {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 8 || dv.getUint32(0) !== QCOW_MAGIC) return 'Image is not in qcow2 format';
  const version = dv.getUint32(4);
  if (version < 2 || version > 3) return `Unsupported qcow2 version ${version}`;
  const need = qcow2_min_header_length(version);
  if (buf.byteLength < need) return `qcow2 header truncated: a version ${version} header needs ${need} bytes, the image file has ${buf.byteLength}`;
  const fields: Record<string, number | string> = {
    backing_file_offset: u64(dv, 8, 'backing_file_offset'),
    size: u64(dv, 24, 'size'),
    l1_table_offset: u64(dv, 40, 'l1_table_offset'),
    refcount_table_offset: u64(dv, 48, 'refcount_table_offset'),
    snapshots_offset: u64(dv, 64, 'snapshots_offset'),
  };
  for (const v of Object.values(fields)) if (typeof v === 'string') return v;
  const h: QCowHeader = {
    version,
    backing_file_offset: fields.backing_file_offset as number,
    backing_file_size: dv.getUint32(16),
    cluster_bits: dv.getUint32(20),
    size: fields.size as number,
    crypt_method: dv.getUint32(32),
    l1_size: dv.getUint32(36),
    l1_table_offset: fields.l1_table_offset as number,
    refcount_table_offset: fields.refcount_table_offset as number,
    refcount_table_clusters: dv.getUint32(56),
    nb_snapshots: dv.getUint32(60),
    snapshots_offset: fields.snapshots_offset as number,
    incompatible_features: 0n,
    compatible_features: 0n,
    autoclear_features: 0n,
    refcount_order: 4,
    header_length: 72,
    compression_type: 0,
    backing_format: '',
    backing_file: '',
    feature_table: [],
    extensions: [],
  };
  if (version === 3) {
    h.incompatible_features = dv.getBigUint64(72);
    h.compatible_features = dv.getBigUint64(80);
    h.autoclear_features = dv.getBigUint64(88);
    h.refcount_order = dv.getUint32(96);
    h.header_length = dv.getUint32(100);
    if (h.header_length < 104) return 'qcow2 header too short';
    if (h.header_length > 104 && buf.byteLength > 104) h.compression_type = dv.getUint8(104);
  }
  if (h.cluster_bits < MIN_CLUSTER_BITS || h.cluster_bits > MAX_CLUSTER_BITS) return `Unsupported cluster size: 2^${h.cluster_bits}`;
  const cluster_size = 2 ** h.cluster_bits;
  if (h.header_length > cluster_size) return 'qcow2 header exceeds cluster size';
  if (h.backing_file_offset > cluster_size) return 'Invalid backing file offset';
  if (h.refcount_order > 6) return 'Reference count entry width too large; may not exceed 64 bits';
  // qcow2_read_extensions: from header_length to the end of the first cluster (or the backing file name)
  let off = h.header_length;
  const end = Math.min(buf.byteLength, cluster_size, h.backing_file_offset > 0 ? h.backing_file_offset : cluster_size);
  while (off + 8 <= end) {
    const type = dv.getUint32(off);
    const len = dv.getUint32(off + 4);
    if (type === QCOW2_EXT_MAGIC_END) break;
    if (off + 8 + len > end) return `Invalid header extension 0x${type.toString(16)}: it reaches beyond the first cluster`;
    const data = buf.subarray(off + 8, off + 8 + len);
    h.extensions.push(type);
    if (type === QCOW2_EXT_MAGIC_BACKING_FORMAT) {
      if (len >= 16) return `ERROR: ext_backing_format: len=${len} too large (>=16)`;
      h.backing_format = new TextDecoder().decode(data);
    } else if (type === QCOW2_EXT_MAGIC_FEATURE_TABLE) {
      for (let i = 0; i + 48 <= len; i += 48) {
        const name = data.subarray(i + 2, i + 48);
        const nul = name.indexOf(0);
        h.feature_table.push({ type: data[i], bit: data[i + 1], name: new TextDecoder().decode(nul >= 0 ? name.subarray(0, nul) : name) });
      }
    }
    off += 8 + ((len + 7) & ~7);
  }
  if (h.backing_file_offset > 0) {
    if (h.backing_file_size > 1023 || h.backing_file_size > cluster_size - h.backing_file_offset) return 'Backing file name too long';
    if (h.backing_file_offset + h.backing_file_size > buf.byteLength) return `qcow2 header truncated: the backing file name ends at ${h.backing_file_offset + h.backing_file_size}, the image file has ${buf.byteLength} bytes`;
    h.backing_file = new TextDecoder().decode(buf.subarray(h.backing_file_offset, h.backing_file_offset + h.backing_file_size));
  }
  return h;
}

/** report_unsupported_feature: QEMU's text, naming bits from the image's feature table. */
export function report_unsupported_feature(table: readonly Qcow2Feature[], mask: bigint): string {
  const names: string[] = [];
  for (const f of table) {
    if (f.type === 0 && mask & (1n << BigInt(f.bit))) {
      names.push(f.name.slice(0, 46));
      mask &= ~(1n << BigInt(f.bit));
    }
  }
  if (mask) names.push(`Unknown incompatible feature: ${mask.toString(16)}`);
  return `Unsupported qcow2 feature(s): ${names.join(', ')}`;
}

/**
 * The feature checks of qcow2_do_open that do not depend on the open mode: unknown incompatible
 * bits (QEMU's message), then the features QEMU has and vtrace does not. Returns an error or null.
 */
export function qcow2_check_features(h: QCowHeader): string | null {
  const unknown = h.incompatible_features & ~QCOW2_INCOMPAT_MASK;
  if (unknown) return report_unsupported_feature(h.feature_table, unknown);
  if (h.crypt_method !== 0) return h.crypt_method > 2 ? `Unsupported encryption method: ${h.crypt_method}` : 'qcow2: encrypted images are not supported by vtrace';
  if (h.incompatible_features & QCOW2_INCOMPAT_DATA_FILE || h.extensions.includes(QCOW2_EXT_MAGIC_DATA_FILE)) return 'qcow2: images with an external data file are not supported by vtrace';
  if (h.incompatible_features & QCOW2_INCOMPAT_EXTL2) return 'qcow2: images with extended L2 entries (subclusters) are not supported by vtrace';
  if (h.incompatible_features & QCOW2_INCOMPAT_COMPRESSION || h.compression_type !== 0) return `qcow2: compression type ${h.compression_type} (zstd) is not supported by vtrace`;
  return null;
}
