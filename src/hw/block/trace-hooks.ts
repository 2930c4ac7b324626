/**
 * Observation points of virtio-blk, named after QEMU's hw/block/trace-events (virtio_blk_req_complete,
 * virtio_blk_rw_complete, virtio_blk_handle_write, virtio_blk_handle_read,
 * virtio_blk_submit_multireq). src/trace attaches tracepoints here.
 *
 * Contract: as src/hw/virtio/trace-hooks.ts (null by default, called before the step, must not
 * throw or re-enter the device).
 */
import type { VirtIOBlock } from './virtio-blk';
import type { MultiReqBuffer, VirtIOBlockReq } from './virtio-blk-req';

export interface VirtioBlkTraceHooks {
  /** virtio_blk_handle_read(vdev, req, sector, nsectors). */
  virtio_blk_handle_read: ((s: VirtIOBlock, req: VirtIOBlockReq, sector: number, nsectors: number) => void) | null;
  /** virtio_blk_handle_write(vdev, req, sector, nsectors). */
  virtio_blk_handle_write: ((s: VirtIOBlock, req: VirtIOBlockReq, sector: number, nsectors: number) => void) | null;
  /** virtio_blk_submit_multireq(vdev, mrb, start, num_reqs, offset, size, is_write): a merge. */
  virtio_blk_submit_multireq:
    | ((s: VirtIOBlock, mrb: MultiReqBuffer, start: number, num_reqs: number, offset: number, size: number, is_write: boolean) => void)
    | null;
  /** virtio_blk_rw_complete(vdev, req, ret). */
  virtio_blk_rw_complete: ((s: VirtIOBlock, req: VirtIOBlockReq, ret: number) => void) | null;
  /** virtio_blk_req_complete(vdev, req, status). */
  virtio_blk_req_complete: ((s: VirtIOBlock, req: VirtIOBlockReq, status: number) => void) | null;
}

export const virtioBlkTraceHooks: VirtioBlkTraceHooks = {
  virtio_blk_handle_read: null,
  virtio_blk_handle_write: null,
  virtio_blk_submit_multireq: null,
  virtio_blk_rw_complete: null,
  virtio_blk_req_complete: null,
};

export function clearVirtioBlkTraceHooks(): void {
  for (const k of Object.keys(virtioBlkTraceHooks) as (keyof VirtioBlkTraceHooks)[]) virtioBlkTraceHooks[k] = null;
}
