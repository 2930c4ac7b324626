/**
 * VirtIODevice (QEMU include/hw/virtio/virtio.h): the state every virtio device shares — device
 * status, feature sets, config space, ISR, the queues — and what a device model supplies
 * (VirtioDeviceClass: its features, its config space, its request handlers, reset). The transport
 * (virtio-mmio) binds itself as `vdev.bus` and turns notifications into interrupts. As in TinyEMU's
 * split, a device only supplies request handling and config space; rings, negotiation, status and
 * interrupts are done here and in the transport.
 *
 * This file holds the device object and the error/interrupt primitives (virtio_error,
 * virtio_set_isr, virtio_notify_vector, virtio_notify_config); lifecycle is in virtio.ts and the
 * rings in virtqueue.ts.
 *
 * Contract: emulator thread only (vCPU MMIO handlers and the main loop share it).
 */
import type { GuestRam } from '../../system/memory';
import type { AioContext } from '../../util/aio-context';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_VERSION_1,
  VIRTIO_LEGACY_FEATURES,
  VIRTIO_NO_VECTOR,
  virtio_has_feature,
} from './virtio-constants';
import { virtioTraceHooks } from './trace-hooks';
import type { VirtQueue } from './virtqueue';

/** What a device model implements (QEMU's VirtioDeviceClass). Called on the emulator thread. */
export interface VirtioDeviceClass {
  /** QOM type name, e.g. "virtio-blk-device". */
  readonly name: string;
  /** get_features: the device features to offer, given the transport's (`features`). */
  get_features(vdev: VirtIODevice, features: bigint): bigint;
  /** get_config: fill `config` (vdev.config_len bytes) with the current config space. */
  get_config(vdev: VirtIODevice, config: Uint8Array): void;
  /** set_config: the driver wrote `config`; apply writable fields. */
  set_config?(vdev: VirtIODevice, config: Uint8Array): void;
  /** set_features: the accepted features (a subset of the offered ones). */
  set_features?(vdev: VirtIODevice, features: bigint): void;
  /** validate_features: at FEATURES_OK; non-zero refuses the feature set. */
  validate_features?(vdev: VirtIODevice): number;
  /** set_status: before vdev.status takes `val`. */
  set_status?(vdev: VirtIODevice, val: number): void;
  /** reset: device-specific reset (drain in-flight requests first). */
  reset?(vdev: VirtIODevice): void;
  /**
   * start_ioeventfd: at DRIVER_OK, before the generic host notifier registration. Return true
   * when the device took the queues' notifiers itself (a dataplane in an iothread: QEMU's
   * virtio_blk_data_plane_start); false to let the main loop handle them.
   */
  start_ioeventfd?(vdev: VirtIODevice): boolean;
  /** stop_ioeventfd: undo start_ioeventfd (drain first); true when it had taken the notifiers. */
  stop_ioeventfd?(vdev: VirtIODevice): boolean;
  /** Features only legacy drivers may see (default VIRTIO_LEGACY_FEATURES). */
  readonly legacy_features?: bigint;
}

/** What the transport implements for the device (QEMU's VirtioBusClass, the part we need). */
export interface VirtioBus {
  /** notify (virtio_mmio_update_irq): recompute the interrupt line from vdev.isr. */
  notify(vdev: VirtIODevice, vector: number): void;
}

/** Where virtio_error's report line goes (QEMU's error_report → stderr). */
export type VirtioErrorSink = (line: string) => void;

const defaultErrorSink: VirtioErrorSink = (line) => {
  process.stderr.write(line + '\n');
};

export class VirtIODevice {
  /** Device status byte (virtio 1.2 §2.1). */
  status = 0;
  /** InterruptStatus: bit 0 used buffer, bit 1 config change. */
  isr = 0;
  queue_sel = 0;
  /** Features the device offers (after the transport and the device class added theirs). */
  host_features = 0n;
  /** Features the driver accepted. */
  guest_features = 0n;
  readonly config: Uint8Array;
  config_vector = VIRTIO_NO_VECTOR;
  /** ConfigGeneration: bumped on every config change notification. */
  generation = 0;
  /** The queues, by index (virtio_add_queue order). */
  readonly vq: VirtQueue[] = [];
  /** virtio_error ran: nothing more is processed until reset (reported as NEEDS_RESET). */
  broken = false;
  disabled = false;
  started = false;
  start_on_kick = false;
  /** The transport; null until plugged. */
  bus: VirtioBus | null = null;
  /** Where host notifiers are dispatched (QEMU: iohandler_ctx, or an iothread's context). */
  ioeventfd_ctx: AioContext | null = null;
  /** True while the queues' host notifiers are registered (DRIVER_OK, QEMU's ioeventfd_started). */
  ioeventfd_started = false;
  /** The last virtio_error message (for the debugger and tests); null if none since reset. */
  last_error: string | null = null;
  errorSink: VirtioErrorSink = defaultErrorSink;

  constructor(
    readonly klass: VirtioDeviceClass,
    /** Guest RAM the rings and buffers live in (DMA address space = system memory on virt). */
    readonly ram: GuestRam,
    readonly device_id: number,
    readonly config_len: number,
    /** Instance id for logs and traces (e.g. the drive id "hd0"). */
    readonly id: string,
  ) {
    this.config = new Uint8Array(config_len);
  }
}

/** virtio_vdev_has_feature: did the driver accept feature bit `b`? */
export function virtio_vdev_has_feature(vdev: VirtIODevice, b: number): boolean {
  return virtio_has_feature(vdev.guest_features, b);
}

/** virtio_host_has_feature: does the device offer feature bit `b`? */
export function virtio_host_has_feature(vdev: VirtIODevice, b: number): boolean {
  return virtio_has_feature(vdev.host_features, b);
}

/** The legacy-only feature set of the device's class. */
export function virtio_legacy_features(vdev: VirtIODevice): bigint {
  return vdev.klass.legacy_features ?? VIRTIO_LEGACY_FEATURES;
}

/** virtio_device_disabled: broken or disabled devices touch no ring. */
export function virtio_device_disabled(vdev: VirtIODevice): boolean {
  return vdev.disabled || vdev.broken;
}

/** virtio_set_isr: OR bits into InterruptStatus. */
export function virtio_set_isr(vdev: VirtIODevice, value: number): void {
  if ((vdev.isr & value) !== value) vdev.isr |= value;
}

/** virtio_notify_vector: ask the transport to update the interrupt (nothing when broken). */
export function virtio_notify_vector(vdev: VirtIODevice, vector: number): void {
  if (vdev.broken) return;
  if (vdev.bus !== null) vdev.bus.notify(vdev, vector);
}

/** virtio_update_irq: re-evaluate the interrupt line (after an ISR acknowledge). */
export function virtio_update_irq(vdev: VirtIODevice): void {
  virtio_notify_vector(vdev, VIRTIO_NO_VECTOR);
}

/** virtio_notify_config: a config change interrupt (only once the driver is up: DRIVER_OK). */
export function virtio_notify_config(vdev: VirtIODevice): void {
  if (!(vdev.status & VIRTIO_CONFIG_S_DRIVER_OK)) return;
  virtio_set_isr(vdev, 0x3);
  vdev.generation = (vdev.generation + 1) >>> 0;
  virtio_notify_vector(vdev, vdev.config_vector);
}

/**
 * virtio_error (virtio 1.2 §2.1.2): the driver broke the protocol. Report one line, set
 * DEVICE_NEEDS_RESET and send a config change interrupt (virtio 1.x drivers; a legacy device has
 * no such bit, as in QEMU), and mark the device broken: no queue is processed until the driver
 * resets it. Never throws.
 */
export function virtio_error(vdev: VirtIODevice, msg: string): void {
  const h = virtioTraceHooks.virtio_error;
  if (h !== null) h(vdev, msg);
  vdev.last_error = msg;
  vdev.errorSink(`vtrace: ${vdev.klass.name} ${vdev.id}: ${msg}; device needs reset`);
  if (virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1)) {
    vdev.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    virtio_notify_config(vdev);
  }
  vdev.broken = true;
}
