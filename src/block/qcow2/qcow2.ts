/**
 * The qcow2 format driver (QEMU block/qcow2.c; docs/interop/qcow2.txt), versions 2 and 3:
 * standard L2 entries, 512 B..2 MiB clusters, refcount widths 1..64 bits, backing files,
 * compressed clusters (zlib: read, and rewritten uncompressed when written, as QEMU).
 * Not supported, refused with a clear message: encryption, external data files, extended L2
 * entries, zstd compression type, writing to images with internal snapshots (read-only open
 * works), writing to images marked corrupt (QEMU's rule).
 *
 * Pieces: qcow2-header.ts (header and extensions), qcow2-state.ts (state, entry encoding),
 * qcow2-cluster.ts (L1/L2 mapping), qcow2-refcount.ts (allocation, refcounts), qcow2-read.ts,
 * qcow2-write.ts, qcow2-zero.ts (write-zeroes and discard by L2 entries), qcow2-threads.ts
 * (compressed clusters, inflated on pool workers), qcow2-create.ts; this file opens and closes.
 *
 * Dirty bit (v3 incompatible bit 0, lazy refcounts): vtrace never uses lazy refcounts, so it never
 * sets it. An image that has it may have refcounts that are too low; vtrace opens it (read/write
 * too: it allocates only past the end of the file, which is free whatever the refcounts say), warns
 * when opening it read/write, and leaves the bit set so QEMU repairs the refcounts on its next open.
 * Autoclear bits: cleared when opening read/write, as the spec asks of a writer that does not
 * maintain the features they stand for (bitmaps: vtrace does not).
 *
 * Contract: main loop thread; metadata reads during open run in a coroutine polled to completion.
 */
import type { coroutine_fn } from '../../util/coroutine';
import type { QEMUIOVector } from '../../util/iov';
import { BDRV_O_NO_BACKING, BDRV_O_RDWR, BlockError, type BlockDriver, type BlockDriverState, type BlockOptions } from '../block-int';
import { bdrv_open_backing_file, bdrv_poll_co } from '../block';
import { CoMutex } from '../coroutine-lock';
import { bdrv_register } from '../driver-registry';
import { bdrv_co_flush, bdrv_co_pread, bdrv_co_pwrite, bdrv_getlength, qemu_blockalign } from '../io';
import { block_warn } from '../warn';
import { EACCES, EFBIG, EINVAL, ENOTSUP } from './qcow2-errno';
import {
  QCOW2_HDR_AUTOCLEAR_FEATURES,
  QCOW2_INCOMPAT_CORRUPT,
  QCOW2_INCOMPAT_DIRTY,
  qcow2_check_features,
  qcow2_probe,
  qcow2_read_header,
  type QCowHeader,
} from './qcow2-header';
import { qcow2_co_preadv_part } from './qcow2-read';
import { qcow2_co_pwritev_part } from './qcow2-write';
import { qcow2_co_pdiscard, qcow2_co_pwrite_zeroes } from './qcow2-zero';
import { entry_offset, get_entry, qcow2_state, size_to_l1, type BDRVQcow2State } from './qcow2-state';

export type { BDRVQcow2State } from './qcow2-state';

/** QCOW_MAX_REFTABLE_SIZE, QCOW_MAX_L1_SIZE (bytes), QCOW_MAX_SNAPSHOTS. */
const QCOW_MAX_REFTABLE_SIZE = 8 * 1024 * 1024;
const QCOW_MAX_L1_SIZE = 32 * 1024 * 1024;
const QCOW_MAX_SNAPSHOTS = 65536;

type Errp = { error?: BlockError };

function fail(errp: Errp, msg: string, errno: number): number {
  errp.error = new BlockError(msg, undefined, errno);
  return -errno;
}

/** validate_table_offset: cluster aligned, no overflow, and (vtrace's addition) inside the file. */
function validate_table_offset(s: { cluster_size: number }, file_len: number, offset: number, entries: number, entry_len: number): string | null {
  const size = entries * entry_len;
  if (offset % s.cluster_size !== 0) return `is not aligned to the cluster size (${s.cluster_size})`;
  if (!Number.isSafeInteger(offset + size)) return 'is out of range';
  if (entries > 0 && offset + size > file_len) return `lies beyond the end of the image file (0x${offset.toString(16)} + ${size} bytes > ${file_len} bytes)`;
  return null;
}

function* qcow2_read_at(bs: BlockDriverState, offset: number, bytes: number): coroutine_fn<Uint8Array | number> {
  const buf = qemu_blockalign(bs, bytes);
  if (bytes === 0) return buf;
  const ret = yield* bdrv_co_pread(bs.file!, offset, bytes, buf);
  return ret < 0 ? ret : buf;
}

/** qcow2_do_open: header, feature checks, tables. 0 or -errno with errp set. */
function qcow2_do_open(bs: BlockDriverState, flags: number, errp: Errp): number {
  const file = bs.file!;
  const file_len = bdrv_getlength(file.bs);
  if (file_len < 0) return fail(errp, 'Could not determine the size of the qcow2 image file', -file_len);
  const read = (off: number, n: number): Uint8Array | number => bdrv_poll_co(bs.aio_context, () => qcow2_read_at(bs, off, n));
  let buf = read(0, Math.min(file_len, 64 * 1024));
  if (typeof buf === 'number') return fail(errp, 'Could not read qcow2 header', -buf);
  let h: QCowHeader | string = qcow2_read_header(buf);
  if (typeof h !== 'string' && 2 ** h.cluster_bits > buf.byteLength && file_len > buf.byteLength) {
    // header extensions may fill the whole first cluster
    buf = read(0, Math.min(file_len, 2 ** h.cluster_bits));
    if (typeof buf === 'number') return fail(errp, 'Could not read qcow2 header', -buf);
    h = qcow2_read_header(buf);
  }
  if (typeof h === 'string') return fail(errp, h, EINVAL);
  const feat = qcow2_check_features(h);
  if (feat !== null) return fail(errp, feat, ENOTSUP);
  const rdwr = (flags & BDRV_O_RDWR) !== 0;
  if (h.incompatible_features & QCOW2_INCOMPAT_CORRUPT && rdwr) return fail(errp, 'qcow2: Image is corrupt; cannot be opened read/write', EACCES);
  if (h.nb_snapshots > 0 && rdwr) return fail(errp, `qcow2: '${bs.filename}' has ${h.nb_snapshots} internal snapshot(s); vtrace opens such images read-only only`, ENOTSUP);

  const cluster_bits = h.cluster_bits;
  const cluster_size = 2 ** cluster_bits;
  const cs = { cluster_size };
  const refcount_table_size = (h.refcount_table_clusters * cluster_size) / 8;
  if (h.refcount_table_clusters > QCOW_MAX_REFTABLE_SIZE / cluster_size) return fail(errp, 'Reference count table too large', EINVAL);
  let bad = validate_table_offset(cs, file_len, h.refcount_table_offset, refcount_table_size, 8);
  if (bad !== null) return fail(errp, `Invalid reference count table offset: it ${bad}`, EINVAL);
  if (h.nb_snapshots > QCOW_MAX_SNAPSHOTS) return fail(errp, 'Too many snapshots', EINVAL);
  if (h.l1_size > QCOW_MAX_L1_SIZE / 8) return fail(errp, 'Active L1 table too large', EFBIG);
  if (h.l1_size < size_to_l1(cluster_bits, h.size)) return fail(errp, 'L1 table is too small', EINVAL);
  bad = validate_table_offset(cs, file_len, h.l1_table_offset, h.l1_size, 8);
  if (bad !== null) return fail(errp, `Invalid L1 table offset: it ${bad}`, EINVAL);

  const l1 = read(h.l1_table_offset, h.l1_size * 8);
  if (typeof l1 === 'number') return fail(errp, 'Could not read L1 table', -l1);
  const rt = read(h.refcount_table_offset, refcount_table_size * 8);
  if (typeof rt === 'number') return fail(errp, 'Could not read refcount table', -rt);
  const refcount_table: number[] = [];
  for (let i = 0; i < refcount_table_size; i++) refcount_table.push(entry_offset(get_entry(rt, i)));

  const s: BDRVQcow2State = {
    header: h,
    qcow_version: h.version,
    cluster_bits,
    cluster_size,
    l2_bits: cluster_bits - 3,
    l2_size: cluster_size / 8,
    l1_size: h.l1_size,
    l1_table_offset: h.l1_table_offset,
    l1_table: l1,
    refcount_order: h.refcount_order,
    refcount_bits: 1 << h.refcount_order,
    refcount_block_bits: cluster_bits + 3 - h.refcount_order,
    refcount_block_size: 2 ** (cluster_bits + 3 - h.refcount_order),
    refcount_table_offset: h.refcount_table_offset,
    refcount_table_size,
    refcount_table,
    free_cluster_index: Math.ceil(file_len / cluster_size),
    l2_cache: new Map(),
    refcount_block_cache: new Map(),
    incompatible_features: h.incompatible_features,
    compatible_features: h.compatible_features,
    autoclear_features: h.autoclear_features,
    lock: new CoMutex(),
    warned: new Set(),
  };
  bs.opaque = s;
  bs.backing_file = h.backing_file;
  bs.backing_format = h.backing_format;

  if (rdwr && h.incompatible_features & QCOW2_INCOMPAT_DIRTY) {
    block_warn(`qcow2: '${bs.filename}' is marked dirty (lazy refcounts were in use): vtrace keeps the mark; 'qemu-img check -r all' repairs its refcounts`);
  }
  if (rdwr && s.qcow_version >= 3 && s.autoclear_features !== 0n) {
    const v = qemu_blockalign(bs, 8); // zero: clear every autoclear bit
    const ret = bdrv_poll_co(bs.aio_context, () => bdrv_co_pwrite(file, QCOW2_HDR_AUTOCLEAR_FEATURES, 8, v));
    if (ret < 0) return fail(errp, 'Could not update qcow2 header', -ret);
    s.autoclear_features = 0n;
    h.autoclear_features = 0n;
  }
  return 0;
}

function qcow2_open(bs: BlockDriverState, _options: BlockOptions, flags: number, errp: Errp): number {
  if (bs.file === null) return fail(errp, 'qcow2: no file child', EINVAL);
  const ret = qcow2_do_open(bs, flags, errp);
  if (ret < 0) {
    bs.opaque = null;
    return ret;
  }
  if (!(flags & BDRV_O_NO_BACKING) && bs.backing_file !== '') {
    if (bdrv_open_backing_file(bs, errp) < 0) {
      bs.opaque = null;
      return -EINVAL;
    }
  }
  return 0;
}

/** qcow2_close: everything is written through; drop the caches. */
function qcow2_close(bs: BlockDriverState): void {
  const s = bs.opaque as BDRVQcow2State | null;
  if (s === null) return;
  s.l2_cache.clear();
  s.refcount_block_cache.clear();
}

function* qcow2_co_preadv(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, _flags: number): coroutine_fn<number> {
  return yield* qcow2_co_preadv_part(bs, offset, bytes, qiov, 0);
}

function* qcow2_co_pwritev(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, _flags: number): coroutine_fn<number> {
  return yield* qcow2_co_pwritev_part(bs, offset, bytes, qiov, 0);
}

/** qcow2_co_flush_to_disk: metadata is written through, so flushing the file makes it all stable. */
function* qcow2_co_flush_to_disk(bs: BlockDriverState): coroutine_fn<number> {
  return yield* bdrv_co_flush(bs.file!.bs);
}

function qcow2_co_getlength(bs: BlockDriverState): number {
  const s = bs.opaque as BDRVQcow2State | null;
  return s === null ? 0 : s.header.size;
}

function qcow2_refresh_limits(bs: BlockDriverState): void {
  const s = bs.opaque as BDRVQcow2State | null;
  bs.bl.request_alignment = 1;
  if (s !== null) {
    bs.bl.pwrite_zeroes_alignment = s.cluster_size;
    bs.bl.pdiscard_alignment = s.cluster_size;
  }
}

export { qcow2_state };

export const bdrv_qcow2: BlockDriver = {
  format_name: 'qcow2',
  kind: 'format',
  supports_backing: true,
  bdrv_probe: (buf, buf_size) => qcow2_probe(buf, buf_size),
  bdrv_open: qcow2_open,
  bdrv_close: qcow2_close,
  bdrv_co_preadv: qcow2_co_preadv,
  bdrv_co_pwritev: qcow2_co_pwritev,
  bdrv_co_flush_to_disk: qcow2_co_flush_to_disk,
  bdrv_co_pwrite_zeroes: qcow2_co_pwrite_zeroes,
  bdrv_co_pdiscard: qcow2_co_pdiscard,
  bdrv_co_getlength: qcow2_co_getlength,
  bdrv_refresh_limits: qcow2_refresh_limits,
};

bdrv_register(bdrv_qcow2);
