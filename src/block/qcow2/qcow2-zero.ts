/**
 * qcow2 write-zeroes and discard by L2 entries instead of data (QEMU block/qcow2.c
 * qcow2_co_pwrite_zeroes / qcow2_co_pdiscard, qcow2-cluster.c zero_in_l2_slice /
 * discard_in_l2_slice), for whole clusters of standard (non-extended) L2 tables:
 *
 *   write-zeroes (v3)  every cluster gets QCOW_OFLAG_ZERO. An allocated cluster keeps its host
 *                      cluster (ZERO_ALLOC, reused by the next write) unless the request may unmap
 *                      (BDRV_REQ_MAY_UNMAP, virtio-blk's WRITE_ZEROES with the unmap flag): then the
 *                      entry is the zero flag alone (ZERO_PLAIN) and the cluster is freed.
 *   discard            the cluster is freed; it reads as zeroes afterwards (v3: ZERO_PLAIN when there
 *                      is a backing file or it was allocated; v2: unallocated, and discard is refused
 *                      with a backing file, which would show through).
 *
 * What this does not do returns -ENOTSUP: requests not aligned to clusters (the generic layer
 * splits head and tail off, io.ts, and writes those as zeroed data unless their cluster already
 * reads as zeroes; a discard is advisory and is skipped), whole-cluster write-zeroes on v2
 * images. Clusters shared with an internal snapshot (no COPIED flag) make write-zeroes return
 * -ENOTSUP too (the fallback write refuses them, as any write); discard leaves them alone.
 * Compressed clusters are always unmapped, as QEMU: their data is freed, the entry reads as zeroes.
 * Order on the image, as QEMU: the L2 entries first, then the refcount decrements. A dirty image
 * (lazy refcounts, which vtrace leaves for QEMU to repair) may have refcounts that are too low:
 * nothing is freed there (write-zeroes keeps the clusters, discard is skipped).
 *
 * Contract: coroutine_fns in the node's AioContext, from bdrv_co_do_pwrite_zeroes / bdrv_co_pdiscard
 * (io.ts); they take s.lock. 0 or -errno.
 */
import type { coroutine_fn } from '../../util/coroutine';
import { BDRV_REQ_MAY_UNMAP, type BlockDriverState } from '../block-int';
import { qemu_co_mutex_lock, qemu_co_mutex_unlock } from '../coroutine-lock';
import { bdrv_co_pwrite } from '../io';
import { ENOTSUP } from './qcow2-errno';
import { get_cluster_table, qcow2_get_host_offset } from './qcow2-cluster';
import { QCOW2_INCOMPAT_DIRTY } from './qcow2-header';
import { qcow2_free_clusters } from './qcow2-refcount';
import { qcow2_parse_compressed_l2_entry } from './qcow2-threads';
import {
  QCOW_OFLAG_COPIED_HI,
  QCOW_OFLAG_ZERO_LO,
  QCow2ClusterType,
  entry_offset,
  get_entry,
  offset_into_cluster,
  offset_to_l2_index,
  qcow2_get_cluster_type,
  qcow2_state,
  set_entry,
  type BDRVQcow2State,
  type Entry,
} from './qcow2-state';

/** What to do with one cluster's entry: its new value, and the host range to free (none: size 0). */
type ClusterUpdate = { entry: Entry; free: number; size: number } | 'keep' | 'unsupported';

/** [offset, +bytes) covers whole clusters (the last one may end at the image's end). */
function whole_clusters(s: BDRVQcow2State, offset: number, bytes: number): boolean {
  if (offset_into_cluster(s, offset) !== 0) return false;
  return offset_into_cluster(s, bytes) === 0 || offset + bytes === s.header.size;
}

/**
 * Rewrite the L2 entries of the clusters of [offset, +bytes) (cluster aligned) as `update` says,
 * one L2 table at a time: entries written through, then the freed clusters' refcounts. s.lock held.
 */
function* update_l2_entries(bs: BlockDriverState, offset: number, bytes: number, update: (old: Entry) => ClusterUpdate): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const end = offset + bytes;
  let cur = offset;
  while (cur < end) {
    const l2_index = offset_to_l2_index(s, cur);
    const nb = Math.min(Math.ceil((end - cur) / s.cluster_size), s.l2_size - l2_index);
    const t = yield* get_cluster_table(bs, cur);
    if (typeof t === 'number') return t;
    const old = t.table.slice(l2_index * 8, (l2_index + nb) * 8);
    const freed: [number, number][] = [];
    let changed = false;
    for (let i = 0; i < nb; i++) {
      const u = update(get_entry(t.table, l2_index + i));
      if (u === 'unsupported') {
        t.table.set(old, l2_index * 8);
        return -ENOTSUP;
      }
      if (u === 'keep') continue;
      set_entry(t.table, l2_index + i, u.entry);
      if (u.size !== 0) freed.push([u.free, u.size]);
      changed = true;
    }
    if (changed) {
      const ret = yield* bdrv_co_pwrite(bs.file!, t.l2_offset + l2_index * 8, nb * 8, t.table.subarray(l2_index * 8, (l2_index + nb) * 8));
      if (ret < 0) {
        t.table.set(old, l2_index * 8); // the cache keeps what the image has
        return ret;
      }
      // A failed decrement leaks the cluster (refcount too high): qemu-img check repairs that.
      for (const [host, size] of freed) yield* qcow2_free_clusters(bs, host, size);
    }
    cur += nb * s.cluster_size;
  }
  return 0;
}

/**
 * An allocated cluster this image alone owns and may free: COPIED (not shared with a snapshot)
 * and cluster aligned (an unaligned one is corruption; the write path reports it).
 */
function owned(s: BDRVQcow2State, e: Entry): boolean {
  return (e.hi & QCOW_OFLAG_COPIED_HI) !== 0 && offset_into_cluster(s, entry_offset(e)) === 0;
}

/** The host bytes a compressed cluster's data occupies (freed with it: qcow2_free_any_cluster). */
function compressed_range(bs: BlockDriverState, e: Entry): { free: number; size: number } {
  const { coffset, csize } = qcow2_parse_compressed_l2_entry(bs, e);
  return { free: coffset, size: csize };
}

/** The dirty bit (lazy refcounts): the refcounts may be too low (see the header). */
function dirty(s: BDRVQcow2State): boolean {
  return (s.incompatible_features & QCOW2_INCOMPAT_DIRTY) !== 0n;
}

/** Run `body` with s.lock held. */
function* locked(bs: BlockDriverState, body: () => coroutine_fn<number>): coroutine_fn<number> {
  const s = qcow2_state(bs);
  yield* qemu_co_mutex_lock(s.lock);
  try {
    return yield* body();
  } finally {
    qemu_co_mutex_unlock(s.lock);
  }
}

/**
 * A piece of one cluster (the generic layer cuts heads and tails at cluster bounds): nothing to do
 * when the whole cluster already reads as zeroes — a zero cluster, or unallocated without a
 * backing file (a fresh image: mkfs's zeroing then allocates nothing) — else -ENOTSUP, and it is
 * written as data. (QEMU goes further: it zeroes the whole cluster by flag when the rest of it
 * reads as zeroes.) s.lock held.
 */
function* zeroes_in_zero_cluster(bs: BlockDriverState, offset: number, bytes: number): coroutine_fn<number> {
  const r = yield* qcow2_get_host_offset(bs, offset, bytes);
  if (r.ret < 0) return r.ret;
  if (r.bytes < bytes) return -ENOTSUP;
  const zero = r.type === QCow2ClusterType.ZERO_PLAIN || r.type === QCow2ClusterType.ZERO_ALLOC || (r.type === QCow2ClusterType.UNALLOCATED && bs.backing === null);
  return zero ? 0 : -ENOTSUP;
}

/** qcow2_co_pwrite_zeroes: coroutine_fn, from bdrv_co_do_pwrite_zeroes. */
export function* qcow2_co_pwrite_zeroes(bs: BlockDriverState, offset: number, bytes: number, flags: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  if (!whole_clusters(s, offset, bytes)) return yield* locked(bs, () => zeroes_in_zero_cluster(bs, offset, bytes));
  if (s.qcow_version < 3) return -ENOTSUP;
  const may_unmap = (flags & BDRV_REQ_MAY_UNMAP) !== 0 && !dirty(s);
  return yield* locked(bs, () =>
    update_l2_entries(bs, offset, bytes, (old) => {
      const type = qcow2_get_cluster_type(old);
      const allocated = type === QCow2ClusterType.NORMAL || type === QCow2ClusterType.ZERO_ALLOC;
      if (allocated && !owned(s, old)) return 'unsupported';
      // A compressed cluster is always unmapped (QEMU's zero_in_l2_slice), unless nothing may be freed.
      if (type === QCow2ClusterType.COMPRESSED) return dirty(s) ? 'unsupported' : { entry: { hi: 0, lo: QCOW_OFLAG_ZERO_LO }, ...compressed_range(bs, old) };
      if (may_unmap && allocated) return { entry: { hi: 0, lo: QCOW_OFLAG_ZERO_LO }, free: entry_offset(old), size: s.cluster_size };
      if (old.lo & QCOW_OFLAG_ZERO_LO) return 'keep';
      return { entry: { hi: old.hi, lo: (old.lo | QCOW_OFLAG_ZERO_LO) >>> 0 }, free: 0, size: 0 };
    }),
  );
}

/** qcow2_co_pdiscard: coroutine_fn, from bdrv_co_pdiscard (advisory: -ENOTSUP counts as done). */
export function* qcow2_co_pdiscard(bs: BlockDriverState, offset: number, bytes: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  if (!whole_clusters(s, offset, bytes)) return -ENOTSUP;
  const backing = bs.backing !== null;
  if (s.qcow_version < 3 && backing) return -ENOTSUP; // the backing file would show through
  if (dirty(s)) return -ENOTSUP;
  return yield* locked(bs, () =>
    update_l2_entries(bs, offset, bytes, (old) => {
      const type = qcow2_get_cluster_type(old);
      const allocated = type === QCow2ClusterType.NORMAL || type === QCow2ClusterType.ZERO_ALLOC;
      if (allocated && !owned(s, old)) return 'keep';
      if (type === QCow2ClusterType.ZERO_PLAIN || (type === QCow2ClusterType.UNALLOCATED && !backing)) return 'keep';
      const entry = s.qcow_version >= 3 ? { hi: 0, lo: QCOW_OFLAG_ZERO_LO } : { hi: 0, lo: 0 };
      if (type === QCow2ClusterType.COMPRESSED) return { entry, ...compressed_range(bs, old) };
      return allocated ? { entry, free: entry_offset(old), size: s.cluster_size } : { entry, free: 0, size: 0 };
    }),
  );
}
