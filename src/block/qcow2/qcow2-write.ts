/**
 * The qcow2 write path (QEMU block/qcow2.c qcow2_co_pwritev_part, qcow2-cluster.c
 * qcow2_alloc_host_offset / perform_cow, qcow2_alloc_cluster_link_l2). For each run of the request
 * mapped one way:
 *   NORMAL with COPIED  → written in place (s.lock released during the data write, as QEMU)
 *   UNALLOCATED, ZERO_PLAIN → new host clusters at the end of the image (refcounts first); the
 *                 parts of the first and last cluster the guest does not write are copied from
 *                 the backing file (UNALLOCATED) or zeroed (ZERO_PLAIN, or no backing file) —
 *                 perform_cow — and go out in the same write as the guest data; then the L2
 *                 entries are linked (L2 table allocated first if missing: l2_allocate)
 *   ZERO_ALLOC with COPIED → its preallocated clusters are reused: zero COW, data, L2 relinked
 *   COMPRESSED → as UNALLOCATED, the COW parts from the decompressed cluster; then the compressed
 *                 data's clusters are freed (qcow2_free_any_cluster)
 *   shared clusters (no COPIED: internal snapshots) → -EIO
 * Allocating runs keep s.lock for the whole allocation, so two writes to one new cluster never
 * allocate it twice (QEMU tracks in-flight allocations instead; this is the simple, serialising form).
 * Order on the image: refcounts → data → L2 entry → (L1 entry for a new L2 table, after a flush).
 *
 * Contract: coroutine_fn in bs's AioContext, from bdrv_driver_pwritev. 0 or -errno.
 */
import type { coroutine_fn } from '../../util/coroutine';
import { qemu_iovec_init_extended, QEMUIOVector } from '../../util/iov';
import type { BlockDriverState } from '../block-int';
import { qemu_co_mutex_lock, qemu_co_mutex_unlock } from '../coroutine-lock';
import { bdrv_co_pread, bdrv_co_pwritev, bdrv_co_pwritev_part, qemu_blockalign } from '../io';
import { qcow2_alloc_cluster_link_l2, qcow2_get_host_offset, get_cluster_table, type HostOffsetResult } from './qcow2-cluster';
import { qcow2_parse_compressed_l2_entry, qcow2_read_compressed_cluster } from './qcow2-threads';
import { qcow2_alloc_clusters, qcow2_free_clusters, qcow2_signal_corruption } from './qcow2-refcount';
import { QCOW_OFLAG_COPIED_HI, QCow2ClusterType, offset_into_cluster, qcow2_state, start_of_cluster } from './qcow2-state';

/**
 * perform_cow's read half (do_perform_cow_read): guest bytes [guest_offset, +bytes) of a cluster
 * about to be (re)allocated, as they read before the write: backing file data or zeroes.
 */
function* do_perform_cow_read(bs: BlockDriverState, type: QCow2ClusterType, guest_offset: number, bytes: number): coroutine_fn<Uint8Array | number> {
  const buf = qemu_blockalign(bs, bytes);
  if (bytes === 0 || type !== QCow2ClusterType.UNALLOCATED || bs.backing === null) return buf; // zeroes
  const ret = yield* bdrv_co_pread(bs.backing, guest_offset, bytes, buf);
  return ret < 0 ? ret : buf;
}

/**
 * qcow2_alloc_host_offset + perform_cow + qcow2_alloc_cluster_link_l2 for one run `r` of guest
 * [offset, +r.bytes) that needs (re)allocation. s.lock held. 0 or -errno.
 */
function* qcow2_co_pwritev_alloc(bs: BlockDriverState, offset: number, r: HostOffsetResult, qiov: QEMUIOVector, qiov_offset: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  const bytes = r.bytes;
  const guest_start = start_of_cluster(s, offset);
  const guest_end = start_of_cluster(s, offset + bytes - 1) + s.cluster_size;
  const nb = (guest_end - guest_start) / s.cluster_size;
  // the L2 table first (l2_allocate when missing), so its cluster precedes the data's
  const t = yield* get_cluster_table(bs, guest_start);
  if (typeof t === 'number') return t;
  const reuse = r.type === QCow2ClusterType.ZERO_ALLOC;
  // A compressed cluster (a run is never more than one): what it held is the COW data.
  const old = r.type === QCow2ClusterType.COMPRESSED ? yield* qcow2_read_compressed_cluster(bs, r.l2_entry) : null;
  if (typeof old === 'number') return old;
  const host = reuse ? start_of_cluster(s, r.host_offset) : yield* qcow2_alloc_clusters(bs, nb * s.cluster_size);
  if (host < 0) return host;
  const head = old !== null ? old.subarray(0, offset - guest_start) : yield* do_perform_cow_read(bs, r.type, guest_start, offset - guest_start);
  const tail = old !== null ? old.subarray(offset + bytes - guest_start) : typeof head === 'number' ? head : yield* do_perform_cow_read(bs, r.type, offset + bytes, guest_end - offset - bytes);
  let ret = typeof head === 'number' ? head : typeof tail === 'number' ? tail : 0;
  if (ret === 0) {
    const local = new QEMUIOVector();
    qemu_iovec_init_extended(local, head as Uint8Array, qiov, qiov_offset, bytes, tail as Uint8Array);
    ret = yield* bdrv_co_pwritev(bs.file!, host, nb * s.cluster_size, local, 0);
  }
  if (ret === 0) ret = yield* qcow2_alloc_cluster_link_l2(bs, guest_start, host, nb);
  if (ret < 0 && !reuse) yield* qcow2_free_clusters(bs, host, nb * s.cluster_size); // leak rather than corrupt if this fails too
  if (ret === 0 && old !== null) {
    const { coffset, csize } = qcow2_parse_compressed_l2_entry(bs, r.l2_entry);
    yield* qcow2_free_clusters(bs, coffset, csize); // a failure leaks them (qemu-img check repairs that)
  }
  return ret;
}

export function* qcow2_co_pwritev_part(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, qiov_offset: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  let done = 0;
  while (done < bytes) {
    const cur = offset + done;
    yield* qemu_co_mutex_lock(s.lock);
    let locked = true;
    let ret = 0;
    let n = 0;
    try {
      const r = yield* qcow2_get_host_offset(bs, cur, bytes - done);
      ret = r.ret;
      n = r.bytes;
      const copied = (r.l2_entry.hi & QCOW_OFLAG_COPIED_HI) !== 0;
      if (ret < 0) {
        // reported by the lookup
      } else if ((r.type === QCow2ClusterType.NORMAL || r.type === QCow2ClusterType.ZERO_ALLOC) && !copied) {
        ret = qcow2_signal_corruption(bs, `cluster at host offset 0x${(r.host_offset - offset_into_cluster(s, r.host_offset)).toString(16)} is shared (no COPIED flag); writing to images with internal snapshots is not supported by vtrace`);
      } else if (r.type === QCow2ClusterType.NORMAL) {
        qemu_co_mutex_unlock(s.lock);
        locked = false;
        ret = yield* bdrv_co_pwritev_part(bs.file!, r.host_offset, n, qiov, qiov_offset + done, 0);
      } else {
        ret = yield* qcow2_co_pwritev_alloc(bs, cur, r, qiov, qiov_offset + done);
      }
    } finally {
      if (locked) qemu_co_mutex_unlock(s.lock);
    }
    if (ret < 0) return ret;
    done += n;
  }
  return 0;
}
