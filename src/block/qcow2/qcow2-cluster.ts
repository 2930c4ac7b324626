/**
 * qcow2 guest → host mapping (QEMU block/qcow2-cluster.c; docs/interop/qcow2.txt "Cluster
 * mapping"): L1 table (in memory, written through) → L2 tables (cached, written through) →
 * standard L2 entries (no subclusters).
 *
 *   L1 entry: bits 9..55 L2 table offset, bit 63 COPIED (refcount 1).
 *   L2 entry: bit 63 COPIED, bit 62 compressed, bits 9..55 host cluster offset, bit 0 reads as
 *             zeroes (v3).
 *
 * Contract: coroutine_fns, called with s.lock held; results carry -errno in `ret`.
 */
import type { coroutine_fn } from '../../util/coroutine';
import type { BlockDriverState } from '../block-int';
import { bdrv_co_flush, bdrv_co_pwrite, qemu_blockalign } from '../io';
import { EIO } from './qcow2-errno';
import { qcow2_alloc_clusters, qcow2_cache_get, qcow2_cache_get_empty, qcow2_free_clusters, qcow2_signal_corruption } from './qcow2-refcount';
import {
  QCOW_OFLAG_COPIED_HI,
  QCow2ClusterType,
  entry_offset,
  get_entry,
  make_entry,
  offset_into_cluster,
  offset_to_l1_index,
  offset_to_l2_index,
  qcow2_get_cluster_type,
  qcow2_state,
  set_entry,
  type Entry,
} from './qcow2-state';

/** What qcow2_get_host_offset found for the start of a range. */
export interface HostOffsetResult {
  ret: number;
  type: QCow2ClusterType;
  /** Host offset of the first byte (NORMAL, ZERO_ALLOC), else 0. */
  host_offset: number;
  /** Bytes from the start mapped the same way (contiguous on the host), ≤ the asked bytes. */
  bytes: number;
  /** The first cluster's L2 entry (0 when there is no L2 table). */
  l2_entry: Entry;
}

/** l2_load: the L2 table at l2_offset, through the cache. */
export function* l2_load(bs: BlockDriverState, l2_offset: number): coroutine_fn<Uint8Array | number> {
  return yield* qcow2_cache_get(bs, qcow2_state(bs).l2_cache, l2_offset);
}

/**
 * qcow2_get_host_offset: map guest [offset, offset + bytes) as far as it stays within one L2 table
 * and one kind of mapping (for NORMAL/ZERO_ALLOC: contiguous host clusters with the same flags).
 */
export function* qcow2_get_host_offset(bs: BlockDriverState, offset: number, bytes: number): coroutine_fn<HostOffsetResult> {
  const s = qcow2_state(bs);
  const in_cluster = offset_into_cluster(s, offset);
  const l2_index = offset_to_l2_index(s, offset);
  // never beyond this L2 table's range
  const max = Math.min(bytes, (s.l2_size - l2_index) * s.cluster_size - in_cluster);
  const none: HostOffsetResult = { ret: 0, type: QCow2ClusterType.UNALLOCATED, host_offset: 0, bytes: max, l2_entry: { hi: 0, lo: 0 } };
  const l1_index = offset_to_l1_index(s, offset);
  if (l1_index >= s.l1_size) return none;
  const l1e = get_entry(s.l1_table, l1_index);
  const l2_offset = entry_offset(l1e);
  if (l2_offset === 0) return none;
  if (offset_into_cluster(s, l2_offset) !== 0) {
    return { ...none, ret: qcow2_signal_corruption(bs, `L2 table offset 0x${l2_offset.toString(16)} unaligned (L1 index: 0x${l1_index.toString(16)})`) };
  }
  const l2 = yield* l2_load(bs, l2_offset);
  if (typeof l2 === 'number') return { ...none, ret: l2 };
  const first = get_entry(l2, l2_index);
  const type = qcow2_get_cluster_type(first);
  const host = entry_offset(first);
  if (type === QCow2ClusterType.COMPRESSED) return { ret: 0, type, host_offset: 0, bytes: Math.min(max, s.cluster_size - in_cluster), l2_entry: first };
  if ((type === QCow2ClusterType.ZERO_PLAIN || type === QCow2ClusterType.ZERO_ALLOC) && s.qcow_version < 3) {
    return { ...none, ret: qcow2_signal_corruption(bs, `Zero cluster entry found in pre-v3 image (L2 offset: 0x${l2_offset.toString(16)}, L2 index: 0x${l2_index.toString(16)})`) };
  }
  if ((type === QCow2ClusterType.NORMAL || type === QCow2ClusterType.ZERO_ALLOC) && offset_into_cluster(s, host) !== 0) {
    return { ...none, ret: qcow2_signal_corruption(bs, `Cluster allocation offset 0x${host.toString(16)} unaligned (L2 offset: 0x${l2_offset.toString(16)}, L2 index: 0x${l2_index.toString(16)})`) };
  }
  const nb_clusters = Math.ceil((in_cluster + max) / s.cluster_size);
  let n = 1;
  for (; n < nb_clusters; n++) {
    const e = get_entry(l2, l2_index + n);
    if (qcow2_get_cluster_type(e) !== type) break;
    if (type === QCow2ClusterType.NORMAL || type === QCow2ClusterType.ZERO_ALLOC) {
      if (entry_offset(e) !== host + n * s.cluster_size || (e.hi & QCOW_OFLAG_COPIED_HI) !== (first.hi & QCOW_OFLAG_COPIED_HI)) break;
    }
  }
  return {
    ret: 0,
    type,
    host_offset: type === QCow2ClusterType.NORMAL || type === QCow2ClusterType.ZERO_ALLOC ? host + in_cluster : 0,
    bytes: Math.min(max, n * s.cluster_size - in_cluster),
    l2_entry: first,
  };
}

/** qcow2_write_l1_entry: write L1 entry l1_index through to the image. */
export function* qcow2_write_l1_entry(bs: BlockDriverState, l1_index: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  return yield* bdrv_co_pwrite(bs.file!, s.l1_table_offset + l1_index * 8, 8, s.l1_table.subarray(l1_index * 8, l1_index * 8 + 8));
}

/**
 * l2_allocate: a new, zeroed L2 table for L1 index l1_index. Order: refcount, table contents,
 * flush, then the L1 entry that makes it reachable. Returns the table or -errno.
 */
function* l2_allocate(bs: BlockDriverState, l1_index: number): coroutine_fn<Uint8Array | number> {
  const s = qcow2_state(bs);
  const l2_offset = yield* qcow2_alloc_clusters(bs, s.cluster_size);
  if (l2_offset < 0) return l2_offset;
  const table = qemu_blockalign(bs, s.cluster_size);
  let ret = yield* bdrv_co_pwrite(bs.file!, l2_offset, s.cluster_size, table);
  if (ret === 0) ret = yield* bdrv_co_flush(bs.file!.bs);
  if (ret < 0) {
    yield* qcow2_free_clusters(bs, l2_offset, s.cluster_size);
    return ret;
  }
  const old = get_entry(s.l1_table, l1_index);
  set_entry(s.l1_table, l1_index, make_entry(l2_offset, QCOW_OFLAG_COPIED_HI));
  ret = yield* qcow2_write_l1_entry(bs, l1_index);
  if (ret < 0) {
    set_entry(s.l1_table, l1_index, old);
    return ret;
  }
  const cached = qcow2_cache_get_empty(bs, s.l2_cache, l2_offset);
  cached.set(table);
  return cached;
}

/**
 * get_cluster_table: the L2 table covering guest `offset`, ready to be modified (allocated if
 * missing). Refuses tables shared with a snapshot (no COPIED flag). {table, l2_offset} or -errno.
 */
export function* get_cluster_table(bs: BlockDriverState, offset: number): coroutine_fn<{ table: Uint8Array; l2_offset: number } | number> {
  const s = qcow2_state(bs);
  const l1_index = offset_to_l1_index(s, offset);
  if (l1_index >= s.l1_size) return -EIO; // the L1 table covers the virtual size (checked at open)
  const l1e = get_entry(s.l1_table, l1_index);
  const l2_offset = entry_offset(l1e);
  if (l2_offset === 0) {
    const t = yield* l2_allocate(bs, l1_index);
    return typeof t === 'number' ? t : { table: t, l2_offset: entry_offset(get_entry(s.l1_table, l1_index)) };
  }
  if (offset_into_cluster(s, l2_offset) !== 0) return qcow2_signal_corruption(bs, `L2 table offset 0x${l2_offset.toString(16)} unaligned (L1 index: 0x${l1_index.toString(16)})`);
  if (!(l1e.hi & QCOW_OFLAG_COPIED_HI)) return qcow2_signal_corruption(bs, `L2 table at 0x${l2_offset.toString(16)} is shared (no COPIED flag); writing to images with internal snapshots is not supported by vtrace`);
  const t = yield* l2_load(bs, l2_offset);
  return typeof t === 'number' ? t : { table: t, l2_offset };
}

/**
 * qcow2_alloc_cluster_link_l2: point the L2 entries of the nb clusters from guest `offset` (cluster
 * aligned) at host_offset.. (COPIED, zero flag cleared) and write them through. 0 or -errno.
 */
export function* qcow2_alloc_cluster_link_l2(bs: BlockDriverState, offset: number, host_offset: number, nb: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const t = yield* get_cluster_table(bs, offset);
  if (typeof t === 'number') return t;
  const l2_index = offset_to_l2_index(s, offset);
  const old = t.table.slice(l2_index * 8, (l2_index + nb) * 8);
  for (let i = 0; i < nb; i++) set_entry(t.table, l2_index + i, make_entry(host_offset + i * s.cluster_size, QCOW_OFLAG_COPIED_HI));
  const ret = yield* bdrv_co_pwrite(bs.file!, t.l2_offset + l2_index * 8, nb * 8, t.table.subarray(l2_index * 8, (l2_index + nb) * 8));
  if (ret < 0) t.table.set(old, l2_index * 8); // the cache keeps what the image has
  return ret;
}
