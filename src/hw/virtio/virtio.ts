/**
 * The virtio core's lifecycle (QEMU hw/virtio/virtio.c): creating queues, feature negotiation,
 * device status, reset, config space access, queue setup by the transport, and the kick path:
 *
 *   virtio_mmio_write(QueueNotify) → virtio_queue_notify
 *     ioeventfd started (after DRIVER_OK): event_notifier_set(&vq->host_notifier) — the vCPU
 *     returns at once; the main loop later runs aio_dispatch_handler →
 *     virtio_queue_host_notifier_read(n) → container_of(n, VirtQueue, 'host_notifier') →
 *     virtio_queue_notify_vq → vq.handle_output (e.g. virtio_blk_handle_output)
 *     otherwise (before DRIVER_OK): handle_output runs synchronously, as in QEMU.
 *
 * Re-exports the device object (virtio-device.ts) and the ring data path (virtqueue.ts), so device
 * models import everything virtio from here.
 *
 * Contract: emulator thread. Guest mistakes never throw: they log (virtio_error) or are ignored.
 */
import { aio_set_event_notifier } from '../../util/aio-context';
import { container_of, embed } from '../../util/container-of';
import { event_notifier_set, event_notifier_test_and_clear, eventNotifierNew, type EventNotifier } from '../../util/event-notifier';
import { iohandler_get_aio_context } from '../../util/main-loop';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  VIRTIO_NO_VECTOR,
  VIRTIO_QUEUE_MAX,
  VIRTQUEUE_MAX_SIZE,
} from './virtio-constants';
import { VirtIODevice, virtio_error, virtio_notify_vector, virtio_vdev_has_feature } from './virtio-device';
import { VirtQueue, virtio_irq, virtio_queue_empty, type VirtIOHandleOutput } from './virtqueue';
import { vring_legacy_layout, vring_map_check } from './virtio-ring';
import { virtioTraceHooks } from './trace-hooks';

export * from './virtio-device';
export * from './virtqueue';
export * from './virtio-constants';

/**
 * virtio_add_queue: create queue `vdev.vq.length` with `queue_size` entries and its embedded
 * host/guest notifiers (QEMU embeds them in VirtQueue; container_of finds the queue back).
 */
export function virtio_add_queue(vdev: VirtIODevice, queue_size: number, handle_output: VirtIOHandleOutput): VirtQueue {
  const n = vdev.vq.length;
  if (n >= VIRTIO_QUEUE_MAX || queue_size <= 0 || queue_size > VIRTQUEUE_MAX_SIZE) {
    throw new Error(`virtio_add_queue: ${vdev.klass.name}: bad queue ${n} of size ${queue_size}`);
  }
  const vq = new VirtQueue(vdev, n, handle_output);
  vq.vring.num = queue_size;
  vq.vring.num_default = queue_size;
  vq.vring.align = 4096;
  embed(vq, 'host_notifier', eventNotifierNew(`${vdev.id}.vq${n}.host_notifier`));
  embed(vq, 'guest_notifier', eventNotifierNew(`${vdev.id}.vq${n}.guest_notifier`));
  vdev.vq.push(vq);
  return vq;
}

export function virtio_get_queue(vdev: VirtIODevice, n: number): VirtQueue | undefined {
  return vdev.vq[n];
}

/** virtio_queue_get_num: QueueNum of queue n, 0 if it does not exist. */
export function virtio_queue_get_num(vdev: VirtIODevice, n: number): number {
  return vdev.vq[n]?.vring.num ?? 0;
}

/**
 * virtio_queue_set_num: QueueNum (ignored for absent queues, 0, or > VIRTQUEUE_MAX_SIZE). The
 * caller re-derives (legacy: virtio_queue_update_rings) or re-checks (virtio_queue_check_rings)
 * rings that are already set, since their sizes depend on num.
 */
export function virtio_queue_set_num(vdev: VirtIODevice, n: number, num: number): void {
  const vq = vdev.vq[n];
  if (vq === undefined) return;
  if (num === 0 || num > VIRTQUEUE_MAX_SIZE) return;
  vq.vring.num = num;
}

/** Re-check that queue n's areas (if set) still lie in RAM, e.g. after QueueNum changed. */
export function virtio_queue_check_rings(vdev: VirtIODevice, n: number): void {
  const vq = vdev.vq[n];
  if (vq !== undefined) virtio_init_region_cache(vdev, vq);
}

/** virtio_queue_set_align (legacy QueueAlign): a power of two. */
export function virtio_queue_set_align(vdev: VirtIODevice, n: number, align: number): void {
  const vq = vdev.vq[n];
  if (vq === undefined) return;
  if (align === 0 || (align & (align - 1)) !== 0) {
    vdev.errorSink(`vtrace: ${vdev.klass.name} ${vdev.id}: QueueAlign ${align} is not a power of two; ignored`);
    return;
  }
  vq.vring.align = align;
  virtio_queue_update_rings(vdev, n);
}

/** Check the queue's areas lie in RAM (virtio_init_region_cache); unusable rings break the device. */
function virtio_init_region_cache(vdev: VirtIODevice, vq: VirtQueue): void {
  if (vq.vring.desc === 0) return;
  const bad = vring_map_check(vdev.ram, vq.vring);
  if (bad !== null) {
    vq.vring.desc = vq.vring.avail = vq.vring.used = 0;
    virtio_error(vdev, `Cannot map ${bad} ring of queue ${vq.queue_index} (not in guest RAM)`);
  }
}

/** virtio_queue_update_rings: legacy layout from the table address. */
export function virtio_queue_update_rings(vdev: VirtIODevice, n: number): void {
  const vq = vdev.vq[n];
  if (vq === undefined || vq.vring.num === 0 || vq.vring.desc === 0) return;
  vring_legacy_layout(vq.vring);
  virtio_init_region_cache(vdev, vq);
}

/** virtio_queue_set_addr (legacy QueuePFN): table at `addr`, other areas derived. */
export function virtio_queue_set_addr(vdev: VirtIODevice, n: number, addr: number): void {
  const vq = vdev.vq[n];
  if (vq === undefined || vq.vring.num === 0) return;
  vq.vring.desc = addr;
  virtio_queue_update_rings(vdev, n);
}

/** virtio_queue_get_addr: the table address (legacy QueuePFN reads). */
export function virtio_queue_get_addr(vdev: VirtIODevice, n: number): number {
  return vdev.vq[n]?.vring.desc ?? 0;
}

/** virtio_queue_set_rings (modern QueueReady=1): the three areas as the driver placed them. */
export function virtio_queue_set_rings(vdev: VirtIODevice, n: number, desc: number, avail: number, used: number): void {
  const vq = vdev.vq[n];
  if (vq === undefined || vq.vring.num === 0) return;
  vq.vring.desc = desc;
  vq.vring.avail = avail;
  vq.vring.used = used;
  virtio_init_region_cache(vdev, vq);
}

/** __virtio_queue_reset. */
function virtio_queue_reset(vq: VirtQueue): void {
  const r = vq.vring;
  r.desc = r.avail = r.used = 0;
  r.num = r.num_default;
  r.align = 4096;
  vq.last_avail_idx = vq.shadow_avail_idx = vq.used_idx = 0;
  vq.vector = VIRTIO_NO_VECTOR;
  vq.signalled_used = 0;
  vq.signalled_used_valid = false;
  vq.notification = true;
  vq.inuse = 0;
  vq.epoch++;
}

/**
 * virtio_set_features: the driver's accepted features (masked to what is offered). Returns 0,
 * -1 if the driver asked for unoffered bits, -22 (EINVAL) after FEATURES_OK.
 */
export function virtio_set_features(vdev: VirtIODevice, val: bigint): number {
  if (vdev.status & VIRTIO_CONFIG_S_FEATURES_OK) return -22;
  const bad = (val & ~vdev.host_features) !== 0n;
  val &= vdev.host_features;
  if (vdev.klass.set_features) vdev.klass.set_features(vdev, val);
  vdev.guest_features = val;
  return bad ? -1 : 0;
}

/** virtio_set_status: the driver wrote Status. Returns non-zero if FEATURES_OK was refused. */
export function virtio_set_status(vdev: VirtIODevice, val: number): number {
  const h = virtioTraceHooks.virtio_set_status;
  if (h !== null) h(vdev, val);
  if (virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1)) {
    if (!(vdev.status & VIRTIO_CONFIG_S_FEATURES_OK) && val & VIRTIO_CONFIG_S_FEATURES_OK) {
      const ret = vdev.klass.validate_features ? vdev.klass.validate_features(vdev) : 0;
      if (ret !== 0) return ret;
    }
  }
  if ((vdev.status & VIRTIO_CONFIG_S_DRIVER_OK) !== (val & VIRTIO_CONFIG_S_DRIVER_OK)) {
    vdev.started = (val & VIRTIO_CONFIG_S_DRIVER_OK) !== 0;
  }
  if (vdev.klass.set_status) vdev.klass.set_status(vdev, val);
  vdev.status = val & 0xff;
  return 0;
}

/**
 * virtio_reset: status 0, device reset (the device drains its requests), features and queues
 * back to their initial state, ISR cleared and the interrupt line lowered.
 */
export function virtio_reset(vdev: VirtIODevice): void {
  virtio_set_status(vdev, 0);
  if (vdev.klass.reset) vdev.klass.reset(vdev);
  vdev.start_on_kick = false;
  vdev.started = false;
  vdev.broken = false;
  vdev.last_error = null;
  vdev.guest_features = 0n;
  vdev.queue_sel = 0;
  vdev.status = 0;
  vdev.disabled = false;
  vdev.isr = 0;
  vdev.config_vector = VIRTIO_NO_VECTOR;
  virtio_notify_vector(vdev, vdev.config_vector);
  for (const vq of vdev.vq) virtio_queue_reset(vq);
}

/* ---- config space (virtio_config_read{b,w,l} / write{b,w,l}); little-endian on RISC-V ---- */

/** Read `size` bytes of config space at `addr`; all-ones beyond config_len, as QEMU. */
export function virtio_config_read(vdev: VirtIODevice, addr: number, size: 1 | 2 | 4): number {
  if (addr < 0 || addr + size > vdev.config_len) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  vdev.klass.get_config(vdev, vdev.config);
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + vdev.config[addr + i];
  return v >>> 0;
}

/** Write `size` bytes of config space at `addr` (ignored beyond config_len). */
export function virtio_config_write(vdev: VirtIODevice, addr: number, size: 1 | 2 | 4, value: number): void {
  if (addr < 0 || addr + size > vdev.config_len) return;
  for (let i = 0; i < size; i++) vdev.config[addr + i] = (value >>> (8 * i)) & 0xff;
  if (vdev.klass.set_config) vdev.klass.set_config(vdev, vdev.config);
}

/* ---- the kick path ---- */

/**
 * virtio_queue_notify: the guest kicked queue n (QueueNotify). With ioeventfd started this only
 * sets the queue's host notifier (never waits); otherwise it runs the handler now.
 */
export function virtio_queue_notify(vdev: VirtIODevice, n: number): void {
  const vq = vdev.vq[n];
  if (vq === undefined || vq.vring.desc === 0 || vdev.broken) return;
  if (vq.host_notifier_enabled) {
    event_notifier_set(vq.host_notifier);
    return;
  }
  const h = virtioTraceHooks.virtio_queue_notify;
  if (h !== null) h(vdev, n, vq);
  if (vq.handle_output !== null) vq.handle_output(vdev, vq);
}

/** virtio_queue_notify_vq: run the queue's handler (unless the device is broken). */
export function virtio_queue_notify_vq(vq: VirtQueue): void {
  if (vq.vring.desc === 0 || vq.handle_output === null) return;
  const vdev = vq.vdev;
  if (vdev.broken) return;
  const h = virtioTraceHooks.virtio_queue_notify;
  if (h !== null) h(vdev, vq.queue_index, vq);
  vq.handle_output(vdev, vq);
}

/**
 * virtio_queue_host_notifier_read: the host notifier's io_read handler, run by the AioContext
 * (aio_dispatch_handler) after the guest's kick. `n` is the notifier; the queue is its container.
 */
export function virtio_queue_host_notifier_read(n: EventNotifier): void {
  const vq = container_of(n, VirtQueue, 'host_notifier');
  if (event_notifier_test_and_clear(n)) virtio_queue_notify_vq(vq);
}

/**
 * virtio_queue_guest_notifier_read: the guest notifier's handler on the main loop (QEMU's
 * virtio-mmio without irqfd). A dataplane in an iothread completes requests there and sets the
 * queue's guest_notifier; here the queue is found from the notifier and its interrupt raised.
 */
export function virtio_queue_guest_notifier_read(n: EventNotifier): void {
  const vq = container_of(n, VirtQueue, 'guest_notifier');
  if (event_notifier_test_and_clear(n)) virtio_irq(vq);
}

/**
 * Kick a queue whose host notifier just started being watched, if it already holds requests
 * (queued before the switch). QEMU kicks every queue; an empty one would only cost a dispatch that
 * finds nothing, and make the first dispatch a race between this kick and the guest's first
 * QueueNotify. Used by the main loop's start and by the dataplane's start in its iothread.
 */
export function virtio_queue_kick_pending(vq: VirtQueue): void {
  if (vq.vring.num !== 0 && vq.vring.desc !== 0 && !virtio_queue_empty(vq)) event_notifier_set(vq.host_notifier);
}

/**
 * virtio_device_start_ioeventfd_impl (QEMU virtio_bus_start_ioeventfd on DRIVER_OK): register
 * every queue's host notifier with the ioeventfd context and kick each once, to pick up requests
 * queued before the switch.
 */
export function virtio_device_start_ioeventfd(vdev: VirtIODevice): void {
  if (vdev.ioeventfd_started) return;
  if (vdev.klass.start_ioeventfd?.(vdev) === true) {
    vdev.ioeventfd_started = true;
    return;
  }
  const ctx = vdev.ioeventfd_ctx ?? iohandler_get_aio_context();
  vdev.ioeventfd_ctx = ctx;
  for (const vq of vdev.vq) {
    if (vq.vring.num === 0) continue;
    vq.host_notifier_enabled = true;
    const h = virtioTraceHooks.virtio_set_host_notifier;
    if (h !== null) h(vdev, vq, true);
    aio_set_event_notifier(ctx, vq.host_notifier, virtio_queue_host_notifier_read);
  }
  vdev.ioeventfd_started = true;
  for (const vq of vdev.vq) virtio_queue_kick_pending(vq);
}

/**
 * virtio_device_stop_ioeventfd_impl: unregister the host notifiers, then handle a kick that was
 * set but not yet dispatched (QEMU's virtio_bus_cleanup_host_notifier does the same).
 */
export function virtio_device_stop_ioeventfd(vdev: VirtIODevice): void {
  if (!vdev.ioeventfd_started) return;
  if (vdev.klass.stop_ioeventfd?.(vdev) === true) {
    vdev.ioeventfd_started = false;
    return;
  }
  const ctx = vdev.ioeventfd_ctx!;
  vdev.ioeventfd_started = false;
  for (const vq of vdev.vq) {
    if (!vq.host_notifier_enabled) continue;
    const h = virtioTraceHooks.virtio_set_host_notifier;
    if (h !== null) h(vdev, vq, false);
    aio_set_event_notifier(ctx, vq.host_notifier, null);
    vq.host_notifier_enabled = false;
    virtio_queue_host_notifier_read(vq.host_notifier);
  }
}
