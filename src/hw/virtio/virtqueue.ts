/**
 * VirtQueue and the split-ring data path (QEMU hw/virtio/virtio.c): virtqueue_pop walks a
 * descriptor chain and maps its buffers as Uint8Array views of guest RAM (zero copy: a worker's
 * preadv into them writes guest memory); virtqueue_fill/flush/push return buffers through the used
 * ring; virtio_notify raises the interrupt unless the driver suppressed it (VRING_AVAIL_F_NO_INTERRUPT
 * or, with EVENT_IDX, used_event); virtio_queue_set_notification suppresses kicks
 * (VRING_USED_F_NO_NOTIFY or avail_event).
 *
 * Malformed chains (virtio 1.2 §2.7.5.x "driver MUST" rules) are never thrown: virtqueue_pop calls
 * virtio_error (NEEDS_RESET, device broken) and returns null. Every walk is bounded: at most the
 * table's entry count, and at most VIRTQUEUE_MAX_SIZE mapped buffers.
 *
 * Contract: emulator thread.
 */
import type { EventNotifier } from '../../util/event-notifier';
import {
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_RING_F_EVENT_IDX,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_USED_F_NO_NOTIFY,
  VIRTQUEUE_MAX_SIZE,
} from './virtio-constants';
import {
  VRing,
  VRingDesc,
  vring_avail_flags,
  vring_avail_idx,
  vring_avail_ring,
  vring_get_used_event,
  vring_need_event,
  vring_set_avail_event,
  vring_split_desc_read,
  vring_used_flags_set_bit,
  vring_used_flags_unset_bit,
  vring_used_idx_set,
  vring_used_write,
} from './virtio-ring';
import {
  VirtIODevice,
  virtio_device_disabled,
  virtio_error,
  virtio_notify_vector,
  virtio_set_isr,
  virtio_vdev_has_feature,
} from './virtio-device';
import { virtioTraceHooks } from './trace-hooks';

export type VirtIOHandleOutput = (vdev: VirtIODevice, vq: VirtQueue) => void;

export class VirtQueue {
  readonly vring = new VRing();
  /** Next avail ring slot the device will consume (free-running mod 2^16). */
  last_avail_idx = 0;
  /** Last avail idx read from guest memory. */
  shadow_avail_idx = 0;
  /** Next used idx the device will publish (free-running mod 2^16). */
  used_idx = 0;
  /** Used idx at the last interrupt (EVENT_IDX). */
  signalled_used = 0;
  signalled_used_valid = false;
  /** Kicks wanted (virtio_queue_set_notification). */
  notification = true;
  /** Elements popped and not yet pushed. */
  inuse = 0;
  vector = 0xffff;
  /** Bumped by every queue reset: elements of an older epoch are dropped, never written back. */
  epoch = 0;
  /** ioeventfd: the guest's kick (QueueNotify write) sets it; the main loop dispatches it. */
  host_notifier!: EventNotifier;
  /** irqfd counterpart (embedded for the QEMU shape; interrupts go through the transport). */
  guest_notifier!: EventNotifier;
  host_notifier_enabled = false;

  constructor(
    readonly vdev: VirtIODevice,
    readonly queue_index: number,
    public handle_output: VirtIOHandleOutput | null,
  ) {}
}

/** A popped chain (QEMU's VirtQueueElement): device-readable `out_sg`, then device-writable `in_sg`. */
export class VirtQueueElement {
  /** Head descriptor index: the used ring's id. */
  index = 0;
  len = 0;
  ndescs = 1;
  /** Guest physical address of each mapped buffer. */
  readonly out_addr: number[] = [];
  readonly in_addr: number[] = [];
  /** Views of guest RAM (QEMUIOVector entries). */
  readonly out_sg: Uint8Array[] = [];
  readonly in_sg: Uint8Array[] = [];
  /** The queue's epoch when popped. */
  epoch = 0;
  /** Chain came from an indirect table. */
  indirect = false;
  get out_num(): number {
    return this.out_sg.length;
  }
  get in_num(): number {
    return this.in_sg.length;
  }
}

/** virtio_queue_empty (split): no new avail entry (or the queue cannot be used). */
export function virtio_queue_empty(vq: VirtQueue): boolean {
  if (virtio_device_disabled(vq.vdev)) return true;
  if (vq.vring.avail === 0) return true;
  if (vq.shadow_avail_idx !== vq.last_avail_idx) return false;
  vq.shadow_avail_idx = vring_avail_idx(vq.vdev.ram, vq.vring);
  return vq.shadow_avail_idx === vq.last_avail_idx;
}

const scratch = new VRingDesc();

/**
 * virtqueue_pop (virtqueue_split_pop): take the next available chain and map it, or return null
 * (queue empty, device broken, or a malformed chain — then virtio_error has run).
 */
export function virtqueue_pop(vq: VirtQueue): VirtQueueElement | null {
  const vdev = vq.vdev;
  if (vdev.broken) return null;
  if (virtio_queue_empty(vq)) return null;
  const ram = vdev.ram;
  const vring = vq.vring;
  const num = vring.num;
  const pending = (vq.shadow_avail_idx - vq.last_avail_idx) & 0xffff;
  if (pending > num) {
    virtio_error(vdev, `Guest moved avail index from ${vq.last_avail_idx} to ${vq.shadow_avail_idx} (queue size ${num})`);
    return null;
  }
  if (vq.inuse >= num) {
    virtio_error(vdev, 'Virtqueue size exceeded');
    return null;
  }
  const head = vring_avail_ring(ram, vring, vq.last_avail_idx % num);
  vq.last_avail_idx = (vq.last_avail_idx + 1) & 0xffff;
  if (head >= num) {
    virtio_error(vdev, `Guest says index ${head} is available (queue size ${num})`);
    return null;
  }
  if (virtio_vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) vring_set_avail_event(ram, vring, vq.last_avail_idx);

  const elem = new VirtQueueElement();
  elem.index = head;
  elem.epoch = vq.epoch;
  const desc = scratch;
  let table = vring.desc;
  let max = num;
  let i = head;
  vring_split_desc_read(ram, table, i, desc);
  if (desc.flags & VRING_DESC_F_INDIRECT) {
    if (desc.len === 0 || desc.len % VRING_DESC_SIZE !== 0) {
      virtio_error(vdev, `Invalid size for indirect buffer table (${desc.len} bytes at descriptor ${head})`);
      return null;
    }
    if (!ram.contains(desc.addr, desc.len)) {
      virtio_error(vdev, `Cannot map indirect buffer table [0x${desc.addr.toString(16)}, +${desc.len}) outside guest RAM`);
      return null;
    }
    table = desc.addr;
    max = desc.len / VRING_DESC_SIZE;
    i = 0;
    elem.indirect = true;
    vring_split_desc_read(ram, table, i, desc);
  }

  let entries = 0;
  for (;;) {
    if (desc.flags & VRING_DESC_F_INDIRECT) {
      virtio_error(vdev, elem.indirect ? `Nested indirect descriptor ${i} in an indirect table` : `Indirect descriptor ${i} inside a chain`);
      return null;
    }
    if (desc.len === 0) {
      virtio_error(vdev, `virtio: zero sized buffers are not allowed (descriptor ${i})`);
      return null;
    }
    if (!ram.contains(desc.addr, desc.len)) {
      virtio_error(vdev, `virtio: descriptor ${i} buffer [0x${desc.addr.toString(16)}, +${desc.len}) is outside guest RAM`);
      return null;
    }
    if (elem.out_sg.length + elem.in_sg.length >= VIRTQUEUE_MAX_SIZE) {
      virtio_error(vdev, `virtio: chain has more than ${VIRTQUEUE_MAX_SIZE} buffers`);
      return null;
    }
    const off = desc.addr - ram.base;
    const view = ram.u8.subarray(off, off + desc.len);
    if (desc.flags & VRING_DESC_F_WRITE) {
      elem.in_sg.push(view);
      elem.in_addr.push(desc.addr);
    } else {
      if (elem.in_sg.length !== 0) {
        virtio_error(vdev, `Incorrect order for descriptors: device-readable descriptor ${i} after a device-writable one`);
        return null;
      }
      elem.out_sg.push(view);
      elem.out_addr.push(desc.addr);
    }
    /* More descriptors than the table holds implies a loop. */
    if (++entries > max) {
      virtio_error(vdev, `Looped descriptor chain (more than ${max} descriptors from head ${head})`);
      return null;
    }
    if (!(desc.flags & VRING_DESC_F_NEXT)) break;
    const next = desc.next;
    if (next >= max) {
      virtio_error(vdev, `Desc next is ${next} (table of ${max})`);
      return null;
    }
    i = next;
    vring_split_desc_read(ram, table, i, desc);
  }
  vq.inuse++;
  const h = virtioTraceHooks.virtqueue_pop;
  if (h !== null) h(vq, elem);
  return elem;
}

/** virtqueue_detach_element: forget a popped element without returning it to the driver. */
export function virtqueue_detach_element(vq: VirtQueue, elem: VirtQueueElement, _len: number): void {
  if (elem.epoch === vq.epoch && vq.inuse > 0) vq.inuse--;
}

/** virtqueue_unpop: put the element back (the next pop returns it again). */
export function virtqueue_unpop(vq: VirtQueue, elem: VirtQueueElement, len: number): void {
  if (elem.epoch !== vq.epoch) return;
  vq.last_avail_idx = (vq.last_avail_idx - 1) & 0xffff;
  virtqueue_detach_element(vq, elem, len);
}

/**
 * virtqueue_unmap_sg: the device is done with the element's buffers. The first `len` bytes of the
 * device-writable buffers (in_sg) were written behind the vCPUs' back (by this thread or a pool
 * worker's preadv): dma_memory_unmap → invalidate_and_set_dirty, so no stale decoded code for them
 * survives. Called before the used entry becomes visible to the driver. In an iothread (dataplane)
 * the pages are marked for the emulator thread, which drops their code before its next vCPU round
 * (memory.ts CodeDirtyMap): marked here, before the used element is written and notified.
 */
function virtqueue_unmap_sg(vq: VirtQueue, elem: VirtQueueElement, len: number): void {
  const ram = vq.vdev.ram;
  if (!ram.tracksCode) return;
  for (let i = 0; i < elem.in_sg.length && len > 0; i++) {
    const v = elem.in_sg[i];
    const n = Math.min(len, v.byteLength);
    ram.invalidate_and_set_dirty(v, n);
    len -= n;
  }
}

/** virtqueue_fill: write used ring entry `idx` slots past used_idx (not yet visible to the driver). */
export function virtqueue_fill(vq: VirtQueue, elem: VirtQueueElement, len: number, idx: number): void {
  const h = virtioTraceHooks.virtqueue_fill;
  if (h !== null) h(vq, elem, len, idx);
  if (virtio_device_disabled(vq.vdev) || elem.epoch !== vq.epoch) return;
  virtqueue_unmap_sg(vq, elem, len);
  if (vq.vring.used === 0) return;
  const slot = (idx + vq.used_idx) % vq.vring.num;
  vring_used_write(vq.vdev.ram, vq.vring, slot, elem.index, len);
}

/** virtqueue_flush: publish `count` filled entries (used idx += count). */
export function virtqueue_flush(vq: VirtQueue, count: number): void {
  if (virtio_device_disabled(vq.vdev)) {
    vq.inuse = Math.max(0, vq.inuse - count);
    return;
  }
  if (vq.vring.used === 0) return;
  const h = virtioTraceHooks.virtqueue_flush;
  if (h !== null) h(vq, count);
  const old = vq.used_idx;
  const nw = (old + count) & 0xffff;
  vring_used_idx_set(vq.vdev.ram, vq.vring, nw);
  vq.used_idx = nw;
  vq.inuse = Math.max(0, vq.inuse - count);
  /* signalled_used fell out of the window we compare against: always notify next time. */
  if (((nw - vq.signalled_used) << 16 >> 16) < ((nw - old) & 0xffff)) vq.signalled_used_valid = false;
}

/** virtqueue_push: fill + flush one element. Elements from before a queue reset are dropped. */
export function virtqueue_push(vq: VirtQueue, elem: VirtQueueElement, len: number): void {
  if (elem.epoch !== vq.epoch) return;
  virtqueue_fill(vq, elem, len, 0);
  virtqueue_flush(vq, 1);
}

/**
 * virtio_queue_set_notification: enable or suppress kicks. With EVENT_IDX the device publishes
 * avail_event = current avail idx; otherwise it toggles VRING_USED_F_NO_NOTIFY.
 */
export function virtio_queue_set_notification(vq: VirtQueue, enable: boolean): void {
  vq.notification = enable;
  if (vq.vring.desc === 0 || virtio_device_disabled(vq.vdev)) return;
  const ram = vq.vdev.ram;
  if (virtio_vdev_has_feature(vq.vdev, VIRTIO_RING_F_EVENT_IDX)) {
    vq.shadow_avail_idx = vring_avail_idx(ram, vq.vring);
    vring_set_avail_event(ram, vq.vring, vq.shadow_avail_idx);
  } else if (enable) {
    vring_used_flags_unset_bit(ram, vq.vring, VRING_USED_F_NO_NOTIFY);
  } else {
    vring_used_flags_set_bit(ram, vq.vring, VRING_USED_F_NO_NOTIFY);
  }
}

export function virtio_queue_get_notification(vq: VirtQueue): boolean {
  return vq.notification;
}

/** virtio_split_should_notify: does the driver want an interrupt for what was just published? */
export function virtio_should_notify(vdev: VirtIODevice, vq: VirtQueue): boolean {
  if (vq.vring.avail === 0) return false;
  const ram = vdev.ram;
  if (virtio_vdev_has_feature(vdev, VIRTIO_F_NOTIFY_ON_EMPTY) && vq.inuse === 0 && virtio_queue_empty(vq)) return true;
  if (!virtio_vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
    return !(vring_avail_flags(ram, vq.vring) & VRING_AVAIL_F_NO_INTERRUPT);
  }
  const v = vq.signalled_used_valid;
  vq.signalled_used_valid = true;
  const old = vq.signalled_used;
  const nw = (vq.signalled_used = vq.used_idx);
  return !v || vring_need_event(vring_get_used_event(ram, vq.vring), nw, old);
}

/** virtio_notify: raise the used-buffer interrupt for `vq` unless the driver suppressed it. */
export function virtio_notify(vdev: VirtIODevice, vq: VirtQueue): void {
  if (virtio_device_disabled(vdev)) return;
  if (!virtio_should_notify(vdev, vq)) return;
  const h = virtioTraceHooks.virtio_notify;
  if (h !== null) h(vdev, vq);
  virtio_irq(vq);
}

/** virtio_irq: ISR bit 0 and the transport's interrupt. */
export function virtio_irq(vq: VirtQueue): void {
  virtio_set_isr(vq.vdev, 0x1);
  virtio_notify_vector(vq.vdev, vq.vector);
}

/** Bytes the chain offers in each direction (virtqueue_get_avail_bytes for one element). */
export function virtqueue_elem_sizes(elem: VirtQueueElement): { out: number; in: number } {
  let o = 0;
  let n = 0;
  for (const v of elem.out_sg) o += v.byteLength;
  for (const v of elem.in_sg) n += v.byteLength;
  return { out: o, in: n };
}
