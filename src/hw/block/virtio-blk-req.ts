/**
 * A virtio-blk request and its completion (QEMU hw/block/virtio-blk.c: VirtIOBlockReq,
 * MultiReqBuffer, virtio_blk_req_complete, virtio_blk_handle_rw_error, virtio_blk_rw_complete,
 * virtio_blk_flush_complete, virtio_blk_discard_write_zeroes_complete).
 *
 * Completion always ends in virtio_blk_req_complete: status byte into the chain's last writable
 * byte → virtqueue_push (used ring) → virtio_notify (interrupt unless suppressed).
 *
 * Contract: completions run on the emulator thread from the block layer's callback (main loop).
 */
import { ENOSPC } from '../../block/errno';
import type { QEMUIOVector } from '../../util/iov';
import { virtio_notify, virtqueue_push, type VirtQueue, type VirtQueueElement } from '../virtio/virtio';
import { VIRTIO_BLK_MAX_MERGE_REQS, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_T_OUT } from './virtio-blk-config';
import { virtioBlkTraceHooks } from './trace-hooks';
import type { VirtIOBlock } from './virtio-blk';

/** -drive rerror=/werror= (QEMU's BlockdevOnError). */
export type BlockdevOnError = 'report' | 'ignore' | 'stop' | 'enospc';

export class VirtIOBlockReq {
  /** struct virtio_blk_outhdr. */
  out_type = 0;
  out_ioprio = 0;
  out_sector = 0;
  sector_num = 0;
  /** The data buffers (out_sg minus the header for writes, in_sg minus the status for reads). */
  qiov: QEMUIOVector | null = null;
  /** One-byte view of the status byte (the last byte of the last device-writable buffer). */
  in: Uint8Array | null = null;
  /** Bytes of device-writable buffers, status included: the used ring's len. */
  in_len = 0;
  /** Next request of a merged submission (virtio_blk_rw_complete walks the list). */
  mr_next: VirtIOBlockReq | null = null;
  /** Set once virtio_blk_req_complete ran (a request is completed exactly once). */
  completed = false;
  constructor(
    readonly dev: VirtIOBlock,
    readonly vq: VirtQueue,
    readonly elem: VirtQueueElement,
  ) {}
}

/** Requests collected during one virtio_blk_handle_vq pass, submitted (merged) at its end. */
export class MultiReqBuffer {
  readonly reqs: VirtIOBlockReq[] = [];
  is_write = false;
  get num_reqs(): number {
    return this.reqs.length;
  }
  static readonly MAX = VIRTIO_BLK_MAX_MERGE_REQS;
}

/** virtio_blk_req_complete: status byte, used ring, interrupt. */
export function virtio_blk_req_complete(req: VirtIOBlockReq, status: number): void {
  const s = req.dev;
  const h = virtioBlkTraceHooks.virtio_blk_req_complete;
  if (h !== null) h(s, req, status);
  if (req.completed) return;
  req.completed = true;
  if (req.in !== null) req.in[0] = status;
  virtqueue_push(req.vq, req.elem, req.in_len);
  if (s.data_plane_notify !== null) s.data_plane_notify(req.vq);
  else virtio_notify(s, req.vq);
}

/**
 * virtio_blk_handle_rw_error: apply the drive's rerror/werror to a failed request (`error` is a
 * positive errno). Returns true when the request was dealt with (completed with IOERR); false
 * means ignore (the caller completes it as OK).
 * STOP (rerror/werror=stop, or enospc on ENOSPC) pauses the VM in QEMU and retries the request
 * on resume; vtrace cannot retry a request yet, so it reports the error instead and logs a line.
 */
export function virtio_blk_handle_rw_error(req: VirtIOBlockReq, error: number, is_read: boolean): boolean {
  const s = req.dev;
  let action: 'ignore' | 'report' | 'stop';
  if (s.ops.blk_get_error_action) {
    action = s.ops.blk_get_error_action(s.blk, is_read, error);
  } else {
    const on = is_read ? s.rerror : s.werror;
    action = on === 'enospc' ? (error === ENOSPC ? 'stop' : 'report') : on;
  }
  if (action === 'stop') {
    s.errorSink(`vtrace: ${s.klass.name} ${s.id}: ${is_read ? 'read' : 'write'} error ${error} with ${is_read ? 'rerror' : 'werror'} stop: stopping the VM for a retry is not supported; reporting the error`);
    action = 'report';
  }
  s.ops.blk_error_action?.(s.blk, action, is_read, error);
  if (action === 'ignore') return false;
  virtio_blk_req_complete(req, VIRTIO_BLK_S_IOERR);
  return true;
}

/** virtio_blk_rw_complete: the block layer finished a (possibly merged) read or write. */
export function virtio_blk_rw_complete(opaque: VirtIOBlockReq, ret: number): void {
  let next: VirtIOBlockReq | null = opaque;
  opaque.dev.inflight--;
  while (next !== null) {
    const req: VirtIOBlockReq = next;
    next = req.mr_next;
    const h = virtioBlkTraceHooks.virtio_blk_rw_complete;
    if (h !== null) h(req.dev, req, ret);
    if (ret !== 0) {
      const is_read = !(req.out_type & VIRTIO_BLK_T_OUT);
      if (virtio_blk_handle_rw_error(req, -ret, is_read)) continue;
    }
    virtio_blk_req_complete(req, VIRTIO_BLK_S_OK);
  }
}

/** virtio_blk_flush_complete. */
export function virtio_blk_flush_complete(req: VirtIOBlockReq, ret: number): void {
  req.dev.inflight--;
  if (ret !== 0 && virtio_blk_handle_rw_error(req, -ret, false)) return;
  virtio_blk_req_complete(req, VIRTIO_BLK_S_OK);
}

/** virtio_blk_discard_write_zeroes_complete. */
export function virtio_blk_discard_write_zeroes_complete(req: VirtIOBlockReq, ret: number): void {
  req.dev.inflight--;
  if (ret !== 0 && virtio_blk_handle_rw_error(req, -ret, false)) return;
  virtio_blk_req_complete(req, VIRTIO_BLK_S_OK);
}
