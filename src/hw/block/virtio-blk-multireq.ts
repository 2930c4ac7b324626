/**
 * Request merging (QEMU hw/block/virtio-blk.c: virtio_blk_submit_multireq, submit_requests):
 * reads (or writes) collected in one virtio_blk_handle_vq pass are sorted by sector and runs of
 * adjacent requests go to the block layer as one blk_aio_preadv/pwritev over the concatenated
 * buffers, as long as the run stays within the backend's max transfer and IOV_MAX entries. The
 * merged requests are chained by mr_next; virtio_blk_rw_complete completes each of them.
 */
import { QEMUIOVector, qemu_iovec_add } from '../../util/iov';
import { BDRV_REQUEST_MAX_BYTES, BDRV_REQ_REGISTERED_BUF } from '../../block/block-int';
import { EIO } from '../../block/errno';
import { IOV_MAX } from './block-backend-ops';
import { BDRV_SECTOR_BITS, BDRV_SECTOR_SIZE } from './virtio-blk-config';
import { MultiReqBuffer, VirtIOBlockReq, virtio_blk_rw_complete } from './virtio-blk-req';
import { virtioBlkTraceHooks } from './trace-hooks';
import type { VirtIOBlock } from './virtio-blk';

/** blk_get_max_transfer (bytes, a multiple of the sector size). */
export function virtio_blk_max_transfer(s: VirtIOBlock): number {
  const m = s.ops.blk_get_max_transfer?.(s.blk) ?? 0;
  const max = m > 0 ? Math.min(m, BDRV_REQUEST_MAX_BYTES) : BDRV_REQUEST_MAX_BYTES;
  return max - (max % BDRV_SECTOR_SIZE);
}

/** submit_requests: one block-layer request for mrb.reqs[start .. start+num_reqs). */
export function submit_requests(s: VirtIOBlock, mrb: MultiReqBuffer, start: number, num_reqs: number, niov: number): void {
  const first = mrb.reqs[start];
  let qiov = first.qiov!;
  const sector_num = first.sector_num;
  const is_write = mrb.is_write;
  if (num_reqs > 1) {
    const merged = new QEMUIOVector();
    for (const v of qiov.iov) qemu_iovec_add(merged, v);
    for (let i = start + 1; i < start + num_reqs; i++) {
      for (const v of mrb.reqs[i].qiov!.iov) qemu_iovec_add(merged, v);
      mrb.reqs[i - 1].mr_next = mrb.reqs[i];
    }
    qiov = merged;
    const h = virtioBlkTraceHooks.virtio_blk_submit_multireq;
    if (h !== null) h(s, mrb, start, num_reqs, sector_num * BDRV_SECTOR_SIZE, qiov.size, is_write);
  }
  void niov;
  s.inflight++;
  const offset = sector_num * 2 ** BDRV_SECTOR_BITS;
  try {
    // Guest RAM is registered with the block layer (QEMU 7.2 passes BDRV_REQ_REGISTERED_BUF here).
    if (is_write) s.ops.blk_aio_pwritev(s.blk, offset, qiov, BDRV_REQ_REGISTERED_BUF, virtio_blk_rw_complete, first);
    else s.ops.blk_aio_preadv(s.blk, offset, qiov, BDRV_REQ_REGISTERED_BUF, virtio_blk_rw_complete, first);
  } catch (e) {
    /* A backend bug must not reach the vCPU: fail the requests (EIO) and say why. */
    s.errorSink(`vtrace: ${s.klass.name} ${s.id}: block backend threw on ${is_write ? 'write' : 'read'} at ${offset}: ${(e as Error).message}`);
    virtio_blk_rw_complete(first, -EIO);
  }
}

/** virtio_blk_submit_multireq: sort, merge adjacent runs, submit; empties mrb. */
export function virtio_blk_submit_multireq(s: VirtIOBlock, mrb: MultiReqBuffer): void {
  if (mrb.num_reqs === 0) return;
  if (mrb.num_reqs === 1) {
    submit_requests(s, mrb, 0, 1, -1);
    mrb.reqs.length = 0;
    return;
  }
  const max_transfer = virtio_blk_max_transfer(s);
  const max_iov = s.ops.blk_get_max_iov?.(s.blk) ?? IOV_MAX;
  mrb.reqs.sort((a, b) => a.sector_num - b.sector_num);
  let start = 0;
  let num_reqs = 0;
  let niov = 0;
  let nb_sectors = 0;
  let sector_num = 0;
  for (let i = 0; i < mrb.num_reqs; i++) {
    const req: VirtIOBlockReq = mrb.reqs[i];
    const size = req.qiov!.size;
    const n = req.qiov!.niov;
    if (num_reqs > 0) {
      /* Not mergeable: not sequential, too many iovecs, or beyond the backend's max transfer. */
      if (sector_num + nb_sectors !== req.sector_num || niov > max_iov - n || size > max_transfer || nb_sectors > (max_transfer - size) / BDRV_SECTOR_SIZE) {
        submit_requests(s, mrb, start, num_reqs, niov);
        num_reqs = 0;
      }
    }
    if (num_reqs === 0) {
      sector_num = req.sector_num;
      nb_sectors = niov = 0;
      start = i;
    }
    nb_sectors += size / BDRV_SECTOR_SIZE;
    niov += n;
    num_reqs++;
  }
  submit_requests(s, mrb, start, num_reqs, niov);
  mrb.reqs.length = 0;
}
