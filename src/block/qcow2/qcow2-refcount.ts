/**
 * qcow2 host cluster allocation and reference counts (QEMU block/qcow2-refcount.c;
 * docs/interop/qcow2.txt "Host cluster management").
 *
 * refcount table (refcount_table_offset, clusters) → refcount blocks → one refcount per host
 * cluster, refcount_bits = 1 << refcount_order wide (big-endian; below 8 bits packed from the
 * least significant bit of each byte, as QEMU's get_refcount_ro0..2).
 *
 * Allocation only grows the image: clusters are taken from s.free_cluster_index on (the first
 * cluster past the file's end at open), skipping any with a non-zero refcount. A new refcount block
 * goes at the end too; when it lies in the range it covers it counts itself, otherwise its own
 * refcount is recorded in the next block (alloc_refcount_block). A full refcount table is replaced
 * by a larger copy at the end of the image (qcow2_refcount_area): new table written, file flushed,
 * header switched with one write, old table's clusters freed.
 * Everything is write-through and ordered refcount → referencing metadata, so a crash can leak
 * clusters (refcount without a reference; `qemu-img check -r leaks` fixes) but never lose data.
 *
 * Contract: coroutine_fns, called with s.lock held; 0/offset or -errno.
 */
import type { coroutine_fn } from '../../util/coroutine';
import type { BlockDriverState } from '../block-int';
import { EINVAL, EIO, ERANGE } from './qcow2-errno';
import { bdrv_co_flush, bdrv_co_pread, bdrv_co_pwrite, qemu_blockalign } from '../io';
import { block_warn } from '../warn';
import { QCOW2_CACHE_MAX, qcow2_state, type BDRVQcow2State } from './qcow2-state';
import { QCOW2_HDR_REFCOUNT_TABLE_OFFSET } from './qcow2-header';

/** The refcount of entry `i` of a refcount block. */
export function get_refcount(s: BDRVQcow2State, block: Uint8Array, i: number): number {
  const bits = s.refcount_bits;
  if (bits < 8) return (block[(i * bits) >> 3] >> ((i * bits) & 7)) & ((1 << bits) - 1);
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  switch (bits) {
    case 8:
      return block[i];
    case 16:
      return dv.getUint16(i * 2);
    case 32:
      return dv.getUint32(i * 4);
    default:
      return dv.getUint32(i * 8) * 0x100000000 + dv.getUint32(i * 8 + 4);
  }
}

function set_refcount(s: BDRVQcow2State, block: Uint8Array, i: number, v: number): void {
  const bits = s.refcount_bits;
  if (bits < 8) {
    const byte = (i * bits) >> 3;
    const shift = (i * bits) & 7;
    const mask = ((1 << bits) - 1) << shift;
    block[byte] = (block[byte] & ~mask) | ((v << shift) & mask);
    return;
  }
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (bits === 8) block[i] = v;
  else if (bits === 16) dv.setUint16(i * 2, v);
  else if (bits === 32) dv.setUint32(i * 4, v);
  else {
    dv.setUint32(i * 8, Math.floor(v / 0x100000000));
    dv.setUint32(i * 8 + 4, v >>> 0);
  }
}

/** The largest refcount an entry holds (capped to a safe integer for 64-bit refcounts). */
function refcount_max(s: BDRVQcow2State): number {
  return s.refcount_bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** s.refcount_bits - 1;
}

/** Byte range [start, end) of the refcount block holding entries [first, last]. */
function refcount_byte_range(s: BDRVQcow2State, first: number, last: number): [number, number] {
  return [Math.floor((first * s.refcount_bits) / 8), Math.ceil(((last + 1) * s.refcount_bits) / 8)];
}

function cache_put(cache: Map<number, Uint8Array>, offset: number, t: Uint8Array): void {
  cache.delete(offset);
  cache.set(offset, t);
  if (cache.size > QCOW2_CACHE_MAX) cache.delete(cache.keys().next().value as number);
}

/** Load a whole cluster-sized table through the cache (qcow2_cache_get). */
export function* qcow2_cache_get(bs: BlockDriverState, cache: Map<number, Uint8Array>, offset: number): coroutine_fn<Uint8Array | number> {
  const s = qcow2_state(bs);
  const hit = cache.get(offset);
  if (hit !== undefined) {
    cache_put(cache, offset, hit); // most recently used
    return hit;
  }
  const t = qemu_blockalign(bs, s.cluster_size);
  const ret = yield* bdrv_co_pread(bs.file!, offset, s.cluster_size, t);
  if (ret < 0) return ret;
  cache_put(cache, offset, t);
  return t;
}

/** A fresh zeroed cluster-sized table put into the cache (qcow2_cache_get_empty). */
export function qcow2_cache_get_empty(bs: BlockDriverState, cache: Map<number, Uint8Array>, offset: number): Uint8Array {
  const t = qemu_blockalign(bs, qcow2_state(bs).cluster_size);
  cache_put(cache, offset, t);
  return t;
}

/** qcow2_signal_corruption (without marking the image corrupt): warn once, -EIO. */
export function qcow2_signal_corruption(bs: BlockDriverState, msg: string): number {
  const s = qcow2_state(bs);
  if (!s.warned.has(msg)) {
    s.warned.add(msg);
    block_warn(`qcow2: Image '${bs.filename}' is corrupt: ${msg}`);
  }
  return -EIO;
}

/** qcow2_get_refcount: refcount of host cluster `cluster_index` (0 when no block covers it). */
export function* qcow2_get_refcount(bs: BlockDriverState, cluster_index: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const rt_index = Math.floor(cluster_index / s.refcount_block_size);
  if (rt_index >= s.refcount_table_size) return 0;
  const block_offset = s.refcount_table[rt_index];
  if (block_offset === 0) return 0;
  if (block_offset % s.cluster_size !== 0) return qcow2_signal_corruption(bs, `Refblock offset 0x${block_offset.toString(16)} unaligned (reftable index: 0x${rt_index.toString(16)})`);
  const block = yield* qcow2_cache_get(bs, s.refcount_block_cache, block_offset);
  if (typeof block === 'number') return block;
  return get_refcount(s, block, cluster_index % s.refcount_block_size);
}

/** alloc_clusters_noref: the first run of `nb` free clusters from free_cluster_index; reserves it. */
function* alloc_clusters_noref(bs: BlockDriverState, nb: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  for (;;) {
    const start = s.free_cluster_index;
    let i = 0;
    for (; i < nb; i++) {
      const r = yield* qcow2_get_refcount(bs, start + i);
      if (r < 0) return r;
      if (r !== 0) break;
    }
    if (i === nb) {
      s.free_cluster_index = start + nb;
      return start;
    }
    s.free_cluster_index = start + i + 1;
  }
}

/** Write one refcount table entry in place. */
function* write_reftable_entry(bs: BlockDriverState, rt_index: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const buf = qemu_blockalign(bs, 8);
  const dv = new DataView(buf.buffer);
  const v = s.refcount_table[rt_index];
  dv.setUint32(0, Math.floor(v / 0x100000000));
  dv.setUint32(4, v >>> 0);
  return yield* bdrv_co_pwrite(bs.file!, s.refcount_table_offset + rt_index * 8, 8, buf);
}

/**
 * qcow2_refcount_area (the table-growing part of alloc_refcount_block): move the refcount table to
 * a larger copy at the end of the image that covers refcount table index `min_rt_index`.
 */
function* qcow2_refcount_area(bs: BlockDriverState, min_rt_index: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const per_cluster = s.cluster_size / 8;
  let clusters = Math.ceil(Math.max(min_rt_index + 1, s.refcount_table_size) * 1.5 / per_cluster) + 1;
  // the new table and the refcount blocks describing it must themselves be covered
  while ((s.free_cluster_index + clusters + 2 * clusters + 2) / s.refcount_block_size >= clusters * per_cluster) clusters *= 2;
  const old_offset = s.refcount_table_offset;
  const old_clusters = Math.ceil((s.refcount_table_size * 8) / s.cluster_size);
  const start = yield* alloc_clusters_noref(bs, clusters);
  if (start < 0) return start;
  const new_offset = start * s.cluster_size;
  const old_table = s.refcount_table;
  const old_size = s.refcount_table_size;
  s.refcount_table = [...old_table, ...new Array<number>(clusters * per_cluster - old_size).fill(0)];
  s.refcount_table_size = clusters * per_cluster;
  s.refcount_table_offset = new_offset;
  const fail = (ret: number): number => {
    s.refcount_table = old_table;
    s.refcount_table_size = old_size;
    s.refcount_table_offset = old_offset;
    return ret;
  };
  // refcounts of the new table's clusters (may add refcount blocks: entries land in the new table)
  let ret = yield* update_refcount(bs, new_offset, clusters * s.cluster_size, 1);
  if (ret < 0) return fail(ret);
  const buf = qemu_blockalign(bs, clusters * s.cluster_size);
  const dv = new DataView(buf.buffer);
  s.refcount_table.forEach((v, i) => {
    dv.setUint32(i * 8, Math.floor(v / 0x100000000));
    dv.setUint32(i * 8 + 4, v >>> 0);
  });
  ret = yield* bdrv_co_pwrite(bs.file!, new_offset, buf.byteLength, buf);
  if (ret === 0) ret = yield* bdrv_co_flush(bs.file!.bs);
  if (ret < 0) return fail(ret);
  // switch the header: refcount_table_offset (u64) and refcount_table_clusters (u32), one write
  const hdr = qemu_blockalign(bs, 12);
  const hv = new DataView(hdr.buffer);
  hv.setUint32(0, Math.floor(new_offset / 0x100000000));
  hv.setUint32(4, new_offset >>> 0);
  hv.setUint32(8, clusters);
  ret = yield* bdrv_co_pwrite(bs.file!, QCOW2_HDR_REFCOUNT_TABLE_OFFSET, 12, hdr);
  if (ret < 0) return fail(ret);
  s.header.refcount_table_offset = new_offset;
  s.header.refcount_table_clusters = clusters;
  // the old table is free now (its clusters read as leaked if this fails: harmless)
  return yield* update_refcount(bs, old_offset, old_clusters * s.cluster_size, -1);
}

/**
 * alloc_refcount_block: the refcount block covering host cluster `cluster_index`, allocated (at
 * the end of the image) if missing. Returns the block, or -errno.
 */
function* alloc_refcount_block(bs: BlockDriverState, cluster_index: number): coroutine_fn<Uint8Array | number> {
  const s = qcow2_state(bs);
  const rt_index = Math.floor(cluster_index / s.refcount_block_size);
  if (rt_index < s.refcount_table_size && s.refcount_table[rt_index] !== 0) {
    const off = s.refcount_table[rt_index];
    if (off % s.cluster_size !== 0) return qcow2_signal_corruption(bs, `Refblock offset 0x${off.toString(16)} unaligned (reftable index: 0x${rt_index.toString(16)})`);
    return yield* qcow2_cache_get(bs, s.refcount_block_cache, off);
  }
  if (rt_index >= s.refcount_table_size) {
    const ret = yield* qcow2_refcount_area(bs, rt_index);
    if (ret < 0) return ret;
    return yield* alloc_refcount_block(bs, cluster_index);
  }
  const new_index = yield* alloc_clusters_noref(bs, 1);
  if (new_index < 0) return new_index;
  const new_offset = new_index * s.cluster_size;
  const block = qemu_blockalign(bs, s.cluster_size);
  if (Math.floor(new_index / s.refcount_block_size) === rt_index) {
    set_refcount(s, block, new_index % s.refcount_block_size, 1); // describes itself
  } else {
    const ret = yield* update_refcount(bs, new_offset, s.cluster_size, 1);
    if (ret < 0) return ret;
  }
  let ret = yield* bdrv_co_pwrite(bs.file!, new_offset, s.cluster_size, block);
  if (ret < 0) return ret;
  s.refcount_table[rt_index] = new_offset;
  ret = yield* write_reftable_entry(bs, rt_index);
  if (ret < 0) {
    s.refcount_table[rt_index] = 0;
    return ret;
  }
  cache_put(s.refcount_block_cache, new_offset, block);
  return block;
}

/**
 * update_refcount: add `addend` to the refcount of every host cluster overlapping
 * [offset, offset + length). Writes each touched refcount block range through. 0 or -errno.
 */
export function* update_refcount(bs: BlockDriverState, offset: number, length: number, addend: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  if (length <= 0) return 0;
  const first = Math.floor(offset / s.cluster_size);
  const last = Math.floor((offset + length - 1) / s.cluster_size);
  for (let ci = first; ci <= last; ) {
    const block = yield* alloc_refcount_block(bs, ci);
    if (typeof block === 'number') return block;
    const rt_index = Math.floor(ci / s.refcount_block_size);
    const block_offset = s.refcount_table[rt_index];
    const block_end = Math.min(last, (rt_index + 1) * s.refcount_block_size - 1);
    const i0 = ci % s.refcount_block_size;
    for (let c = ci; c <= block_end; c++) {
      const i = c % s.refcount_block_size;
      const v = get_refcount(s, block, i) + addend;
      if (v < 0) return -EINVAL;
      if (v > refcount_max(s)) return -ERANGE;
      set_refcount(s, block, i, v);
    }
    const [b0, b1] = refcount_byte_range(s, i0, block_end % s.refcount_block_size);
    const ret = yield* bdrv_co_pwrite(bs.file!, block_offset + b0, b1 - b0, block.subarray(b0, b1));
    if (ret < 0) return ret;
    ci = block_end + 1;
  }
  return 0;
}

/** qcow2_alloc_clusters: `size` bytes of contiguous new host clusters, refcount 1. Offset or -errno. */
export function* qcow2_alloc_clusters(bs: BlockDriverState, size: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const nb = Math.ceil(size / s.cluster_size);
  const start = yield* alloc_clusters_noref(bs, nb);
  if (start < 0) return start;
  const ret = yield* update_refcount(bs, start * s.cluster_size, nb * s.cluster_size, 1);
  return ret < 0 ? ret : start * s.cluster_size;
}

/** qcow2_free_clusters: drop one reference from each cluster of [offset, +size). 0 or -errno. */
export function* qcow2_free_clusters(bs: BlockDriverState, offset: number, size: number): coroutine_fn<number> {
  return yield* update_refcount(bs, offset, size, -1);
}
