/**
 * Bridges src/hw/virtio/trace-hooks.ts and src/hw/block/trace-hooks.ts to the virtio and
 * virtio-blk tracepoints (installed only while a fed tracepoint is on; emulator thread).
 * As in QEMU, a virtio-blk `req` prints as its VirtQueueElement (ptr kind `elem`).
 */
import { virtioTraceHooks } from '../hw/virtio/trace-hooks';
import { virtioBlkTraceHooks } from '../hw/block/trace-hooks';
import * as t from './generated/tracepoints';
import { ptr } from './ptr';
import { objectSerial } from './ptr';

export function installVirtioHooks(): void {
  const h = virtioTraceHooks;
  h.virtio_queue_notify = t.virtio_queue_notify.on ? (vdev, n, vq) => t.virtio_queue_notify.emit(ptr('vdev', vdev), n, ptr('vq', vq)) : null;
  h.virtqueue_pop = t.virtqueue_pop.on
    ? (vq, elem) => t.virtqueue_pop.emitCorr({ req: objectSerial('elem', elem), head: elem.index }, ptr('vq', vq), ptr('elem', elem), elem.in_num, elem.out_num)
    : null;
  h.virtqueue_fill = t.virtqueue_fill.on
    ? (vq, elem, len, idx) => t.virtqueue_fill.emitCorr({ req: objectSerial('elem', elem), head: elem.index }, ptr('vq', vq), ptr('elem', elem), len, idx)
    : null;
  h.virtqueue_flush = t.virtqueue_flush.on ? (vq, count) => t.virtqueue_flush.emit(ptr('vq', vq), count) : null;
  h.virtio_notify = t.virtio_notify.on ? (vdev, vq) => t.virtio_notify.emit(ptr('vdev', vdev), ptr('vq', vq)) : null;
  h.virtio_set_status = t.virtio_set_status.on ? (vdev, val) => t.virtio_set_status.emit(ptr('vdev', vdev), val) : null;
  h.virtio_error = t.virtio_error.on ? (vdev, msg) => t.virtio_error.emit(ptr('vdev', vdev), msg) : null;
  h.virtio_mmio_read = t.virtio_mmio_read.on ? (offset) => t.virtio_mmio_read.emit(offset) : null;
  h.virtio_mmio_write_offset = t.virtio_mmio_write_offset.on ? (offset, _size, value) => t.virtio_mmio_write_offset.emit(offset, value) : null;
  h.virtio_mmio_setting_irq = t.virtio_mmio_setting_irq.on ? (level) => t.virtio_mmio_setting_irq.emit(level) : null;
  h.virtio_mmio_write_end = t.virtio_mmio_write_end.on ? (offset) => t.virtio_mmio_write_end.emit(offset) : null;
  h.virtio_set_host_notifier = t.virtio_set_host_notifier.on
    ? (vdev, vq, assign) => t.virtio_set_host_notifier.emit(ptr('vdev', vdev), vq.queue_index, assign, vq.host_notifier.slot)
    : null;

  const b = virtioBlkTraceHooks;
  b.virtio_blk_handle_read = t.virtio_blk_handle_read.on
    ? (s, req, sector, n) => t.virtio_blk_handle_read.emitCorr({ req: objectSerial('elem', req.elem) }, ptr('vdev', s), ptr('elem', req.elem), sector, n)
    : null;
  b.virtio_blk_handle_write = t.virtio_blk_handle_write.on
    ? (s, req, sector, n) => t.virtio_blk_handle_write.emitCorr({ req: objectSerial('elem', req.elem) }, ptr('vdev', s), ptr('elem', req.elem), sector, n)
    : null;
  b.virtio_blk_submit_multireq = t.virtio_blk_submit_multireq.on
    ? (s, mrb, start, num, offset, size, w) => t.virtio_blk_submit_multireq.emit(ptr('vdev', s), ptr('mrb', mrb), start, num, offset, size, w)
    : null;
  b.virtio_blk_rw_complete = t.virtio_blk_rw_complete.on
    ? (s, req, ret) => t.virtio_blk_rw_complete.emitCorr({ req: objectSerial('elem', req.elem) }, ptr('vdev', s), ptr('elem', req.elem), ret)
    : null;
  b.virtio_blk_req_complete = t.virtio_blk_req_complete.on
    ? (s, req, status) => t.virtio_blk_req_complete.emitCorr({ req: objectSerial('elem', req.elem) }, ptr('vdev', s), ptr('elem', req.elem), status)
    : null;
}
