/**
 * The qcow2 read path (QEMU block/qcow2.c qcow2_co_preadv_part / qcow2_co_preadv_task):
 * for each run of the request mapped one way —
 *   NORMAL        → bdrv_co_preadv_part(bs.file, host offset)
 *   ZERO_*        → zeroes
 *   UNALLOCATED   → bdrv_co_preadv_part(bs.backing) (the generic layer zero-fills past the backing
 *                   file's end), or zeroes without a backing file
 *   COMPRESSED    → the cluster read and inflated on a pool worker, the asked part copied out
 *                   (qcow2-threads.ts)
 * The mapping is looked up with s.lock held; data moves with the lock released, as QEMU.
 *
 * Contract: coroutine_fn in bs's AioContext, from bdrv_driver_preadv. 0 or -errno.
 */
import type { coroutine_fn } from '../../util/coroutine';
import { qemu_iovec_from_buf, qemu_iovec_memset, type QEMUIOVector } from '../../util/iov';
import type { BlockDriverState } from '../block-int';
import { qemu_co_mutex_lock, qemu_co_mutex_unlock } from '../coroutine-lock';
import { bdrv_co_preadv_part } from '../io';
import { qcow2_get_host_offset } from './qcow2-cluster';
import { QCow2ClusterType, offset_into_cluster, qcow2_state } from './qcow2-state';
import { qcow2_read_compressed_cluster } from './qcow2-threads';

export function* qcow2_co_preadv_part(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, qiov_offset: number): coroutine_fn<number> {
  const s = qcow2_state(bs);
  let done = 0;
  while (done < bytes) {
    yield* qemu_co_mutex_lock(s.lock);
    let r;
    try {
      r = yield* qcow2_get_host_offset(bs, offset + done, bytes - done);
    } finally {
      qemu_co_mutex_unlock(s.lock);
    }
    if (r.ret < 0) return r.ret;
    const n = r.bytes;
    let ret = 0;
    switch (r.type) {
      case QCow2ClusterType.NORMAL:
        ret = yield* bdrv_co_preadv_part(bs.file!, r.host_offset, n, qiov, qiov_offset + done, 0);
        break;
      case QCow2ClusterType.UNALLOCATED:
        if (bs.backing !== null) ret = yield* bdrv_co_preadv_part(bs.backing, offset + done, n, qiov, qiov_offset + done, 0);
        else qemu_iovec_memset(qiov, qiov_offset + done, 0, n);
        break;
      case QCow2ClusterType.ZERO_PLAIN:
      case QCow2ClusterType.ZERO_ALLOC:
        qemu_iovec_memset(qiov, qiov_offset + done, 0, n);
        break;
      case QCow2ClusterType.COMPRESSED: {
        const cluster = yield* qcow2_read_compressed_cluster(bs, r.l2_entry);
        if (typeof cluster === 'number') return cluster;
        const at = offset_into_cluster(s, offset + done);
        qemu_iovec_from_buf(qiov, qiov_offset + done, cluster.subarray(at, at + n), n);
        break;
      }
    }
    if (ret < 0) return ret;
    done += n;
  }
  return 0;
}
