/**
 * Observation points of the virtio core and the virtio-mmio transport, named after QEMU's
 * hw/virtio/trace-events (virtqueue_pop, virtqueue_fill, virtqueue_flush, virtio_queue_notify,
 * virtio_notify, virtio_set_status, virtio_mmio_*). src/trace attaches tracepoints here; nothing in
 * hw/virtio prints except virtio_error's report line.
 *
 * Contract (as src/util/trace-hooks.ts): every hook is null by default; call sites read the field
 * once and test it, so a disabled hook costs one branch and computes no argument. Hooks run
 * synchronously on the emulator thread before the step they announce, must not throw and must not
 * re-enter the device.
 */
import type { VirtIODevice } from './virtio';
import type { VirtQueue, VirtQueueElement } from './virtqueue';

export interface VirtioTraceHooks {
  /** virtio_queue_notify(vdev, n, vq): a queue kick reached the device (ioeventfd set or direct). */
  virtio_queue_notify: ((vdev: VirtIODevice, n: number, vq: VirtQueue) => void) | null;
  /** virtqueue_pop(vq, elem, in_num, out_num): a descriptor chain was mapped. */
  virtqueue_pop: ((vq: VirtQueue, elem: VirtQueueElement) => void) | null;
  /** virtqueue_fill(vq, elem, len, idx). */
  virtqueue_fill: ((vq: VirtQueue, elem: VirtQueueElement, len: number, idx: number) => void) | null;
  /** virtqueue_flush(vq, count). */
  virtqueue_flush: ((vq: VirtQueue, count: number) => void) | null;
  /** virtio_notify(vdev, vq): an interrupt is about to be raised for vq (not suppressed). */
  virtio_notify: ((vdev: VirtIODevice, vq: VirtQueue) => void) | null;
  /** virtio_set_status(vdev, val). */
  virtio_set_status: ((vdev: VirtIODevice, val: number) => void) | null;
  /** virtio_error: the device is broken (NEEDS_RESET). No QEMU tracepoint (error_report). */
  virtio_error: ((vdev: VirtIODevice, msg: string) => void) | null;
  /** virtio_mmio_read(offset) / virtio_mmio_write_offset(offset, value). */
  virtio_mmio_read: ((offset: number, size: number, value: number) => void) | null;
  virtio_mmio_write_offset: ((offset: number, size: number, value: number) => void) | null;
  /** virtio_mmio_setting_irq(level). */
  virtio_mmio_setting_irq: ((level: number) => void) | null;
  /** A virtio-mmio register write returned (vtrace-only: ends the store's slice). */
  virtio_mmio_write_end: ((offset: number) => void) | null;
  /** ioeventfd assignment: vq's host notifier is (assign) or is no longer watched by a context. */
  virtio_set_host_notifier: ((vdev: VirtIODevice, vq: VirtQueue, assign: boolean) => void) | null;
}

/** This thread's hook table. Mutate the fields; never replace the object. */
export const virtioTraceHooks: VirtioTraceHooks = {
  virtio_queue_notify: null,
  virtqueue_pop: null,
  virtqueue_fill: null,
  virtqueue_flush: null,
  virtio_notify: null,
  virtio_set_status: null,
  virtio_error: null,
  virtio_mmio_read: null,
  virtio_mmio_write_offset: null,
  virtio_mmio_setting_irq: null,
  virtio_mmio_write_end: null,
  virtio_set_host_notifier: null,
};

export function clearVirtioTraceHooks(): void {
  for (const k of Object.keys(virtioTraceHooks) as (keyof VirtioTraceHooks)[]) virtioTraceHooks[k] = null;
}
