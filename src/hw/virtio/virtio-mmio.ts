/**
 * virtio-mmio transport (virtio 1.2 §4.2.2; QEMU hw/virtio/virtio-mmio.c, QEMU 7.2 behaviour).
 *
 * Two register layouts, chosen at construction (QEMU's `force-legacy` property):
 *  - legacy (Version 1, QEMU 7.2's default force-legacy=on): GuestPageSize, QueuePFN, QueueAlign;
 *    DriverFeatures applies immediately (selector 0 only); the rings follow the legacy layout.
 *  - modern (Version 2, `-global virtio-mmio.force-legacy=false`): 64-bit feature negotiation
 *    applied at FEATURES_OK, QueueReady, QueueDesc/Driver/Device Low/High, ConfigGeneration;
 *    VERSION_1 is offered.
 * Registers are declared as a register table (src/hw/core/register-table.ts); config space
 * (0x100+) takes 1/2/4-byte accesses. With no device plugged the transport answers only
 * MagicValue, Version and VendorID (DeviceID 0 = "no device").
 *
 * QueueNotify is an ioeventfd (option `ioeventfd`, default on): after DRIVER_OK the write only
 * sets the queue's host notifier and returns; the main loop dispatches it
 * (virtio_queue_host_notifier_read). InterruptStatus ≠ 0 holds the slot's IrqLine high
 * (virtio_mmio_update_irq); InterruptACK clears bits; Status = 0 resets the device.
 *
 * Contract: MMIO callbacks on the emulator thread (vCPU); guest mistakes are logged through
 * onGuestError (QEMU's LOG_GUEST_ERROR), never thrown.
 */
import type { IrqLine } from '../core/irq';
import { registerTableOps, type RegisterDef, type RegisterTable } from '../core/register-table';
import type { AccessSize, MemoryRegion } from '../../system/memory';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_QUEUE_MAX,
  VIRTQUEUE_MAX_SIZE,
  bit,
} from './virtio-constants';
import { VirtIODevice, type VirtioBus, virtio_legacy_features } from './virtio-device';
import {
  virtio_config_read,
  virtio_config_write,
  virtio_device_start_ioeventfd,
  virtio_device_stop_ioeventfd,
  virtio_queue_check_rings,
  virtio_queue_get_addr,
  virtio_queue_get_num,
  virtio_queue_notify,
  virtio_queue_set_addr,
  virtio_queue_set_align,
  virtio_queue_set_num,
  virtio_queue_set_rings,
  virtio_queue_update_rings,
  virtio_reset,
  virtio_set_features,
  virtio_set_status,
} from './virtio';
import { virtioTraceHooks } from './trace-hooks';

export const VIRT_MAGIC = 0x74726976; // "virt"
export const VIRT_VERSION = 2;
export const VIRT_VERSION_LEGACY = 1;
export const VIRT_VENDOR = 0x554d4551; // "QEMU"
/** Size of the register window (QEMU maps 0x200 in each 0x1000 slot). */
export const VIRTIO_MMIO_SIZE = 0x200;

/* Register offsets (virtio 1.2 §4.2.2, Linux include/uapi/linux/virtio_mmio.h). */
export const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
export const VIRTIO_MMIO_VERSION = 0x004;
export const VIRTIO_MMIO_DEVICE_ID = 0x008;
export const VIRTIO_MMIO_VENDOR_ID = 0x00c;
export const VIRTIO_MMIO_DEVICE_FEATURES = 0x010;
export const VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014;
export const VIRTIO_MMIO_DRIVER_FEATURES = 0x020;
export const VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024;
export const VIRTIO_MMIO_GUEST_PAGE_SIZE = 0x028;
export const VIRTIO_MMIO_QUEUE_SEL = 0x030;
export const VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034;
export const VIRTIO_MMIO_QUEUE_NUM = 0x038;
export const VIRTIO_MMIO_QUEUE_ALIGN = 0x03c;
export const VIRTIO_MMIO_QUEUE_PFN = 0x040;
export const VIRTIO_MMIO_QUEUE_READY = 0x044;
export const VIRTIO_MMIO_QUEUE_NOTIFY = 0x050;
export const VIRTIO_MMIO_INTERRUPT_STATUS = 0x060;
export const VIRTIO_MMIO_INTERRUPT_ACK = 0x064;
export const VIRTIO_MMIO_STATUS = 0x070;
export const VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080;
export const VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084;
export const VIRTIO_MMIO_QUEUE_AVAIL_LOW = 0x090;
export const VIRTIO_MMIO_QUEUE_AVAIL_HIGH = 0x094;
export const VIRTIO_MMIO_QUEUE_USED_LOW = 0x0a0;
export const VIRTIO_MMIO_QUEUE_USED_HIGH = 0x0a4;
export const VIRTIO_MMIO_SHM_SEL = 0x0ac;
export const VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0;
export const VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4;
export const VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8;
export const VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc;
export const VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc;
export const VIRTIO_MMIO_CONFIG = 0x100;

export interface VirtIOMMIOOptions {
  /** The slot's interrupt line (a PLIC input on virt). */
  irq: IrqLine;
  /** force-legacy: Version 1 layout. QEMU 7.2 defaults to true; the board decides. */
  legacy: boolean;
  /** Dispatch QueueNotify through the host notifier (ioeventfd). Default true. */
  ioeventfd?: boolean;
  /** LOG_GUEST_ERROR sink. Default: ignore. */
  onGuestError?: (msg: string) => void;
}

/** Modern per-queue registers, latched until QueueReady (QEMU's VirtIOMMIOQueue). */
class VirtIOMMIOQueue {
  num = 0;
  enabled = false;
  desc: [number, number] = [0, 0];
  avail: [number, number] = [0, 0];
  used: [number, number] = [0, 0];
}

const hi32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
const lo32 = (v: bigint) => Number(v & 0xffffffffn);
const addr64 = (p: [number, number]) => p[1] * 0x1_0000_0000 + p[0];

export class VirtIOMMIOProxy implements VirtioBus {
  readonly legacy: boolean;
  readonly ioeventfd: boolean;
  readonly region: MemoryRegion;
  readonly regs: RegisterTable;
  vdev: VirtIODevice | null = null;
  host_features_sel = 0;
  guest_features_sel = 0;
  guest_page_shift = 0;
  readonly guest_features: [number, number] = [0, 0];
  readonly vqs: VirtIOMMIOQueue[] = [];
  /** Level last driven on the IrqLine. */
  irqLevel = false;
  private readonly irq: IrqLine;
  private readonly guestError: (msg: string) => void;

  constructor(opts: VirtIOMMIOOptions) {
    this.legacy = opts.legacy;
    this.ioeventfd = opts.ioeventfd ?? true;
    this.irq = opts.irq;
    this.guestError = opts.onGuestError ?? (() => {});
    for (let i = 0; i < VIRTIO_QUEUE_MAX; i++) this.vqs.push(new VirtIOMMIOQueue());
    this.regs = registerTableOps('virtio-mmio', this.registerDefs(), this.guestError);
    const regs = this.regs.ops;
    this.region = {
      name: 'virtio-mmio',
      size: VIRTIO_MMIO_SIZE,
      ops: {
        read: (offset, size) => this.virtio_mmio_read(offset, size, regs.read),
        write: (offset, size, value) => {
          this.virtio_mmio_write(offset, size, value, regs.write);
          const h = virtioTraceHooks.virtio_mmio_write_end;
          if (h !== null) h(offset);
        },
      },
    };
  }

  /**
   * Plug `vdev` (virtio_bus_device_plugged): the transport offers VERSION_1 when modern, then the
   * device class completes the feature set (get_features).
   */
  plug(vdev: VirtIODevice): void {
    if (this.vdev !== null) throw new Error('virtio-mmio: a device is already plugged into this transport');
    this.vdev = vdev;
    vdev.bus = this;
    let features = vdev.host_features | bit(VIRTIO_F_NOTIFY_ON_EMPTY);
    if (!this.legacy) features |= bit(VIRTIO_F_VERSION_1);
    vdev.host_features = vdev.klass.get_features(vdev, features);
  }

  /** Name of the register at `offset` (config space: "config+0x8"). */
  nameAt(offset: number): string | undefined {
    if (offset >= VIRTIO_MMIO_CONFIG) return `config+0x${(offset - VIRTIO_MMIO_CONFIG).toString(16)}`;
    return this.regs.nameAt(offset);
  }

  /** virtio_mmio_update_irq: the line is high while InterruptStatus is non-zero. */
  notify(vdev: VirtIODevice, _vector: number): void {
    const level = vdev.isr !== 0;
    const h = virtioTraceHooks.virtio_mmio_setting_irq;
    if (h !== null) h(level ? 1 : 0);
    this.irqLevel = level;
    this.irq.set(level);
  }

  /** System reset (virtio_mmio_reset): device reset and every transport register back to 0. */
  reset(): void {
    const vdev = this.vdev;
    if (vdev !== null) {
      virtio_device_stop_ioeventfd(vdev);
      virtio_reset(vdev);
    }
    this.host_features_sel = this.guest_features_sel = this.guest_page_shift = 0;
    this.guest_features[0] = this.guest_features[1] = 0;
    for (let i = 0; i < this.vqs.length; i++) this.vqs[i] = new VirtIOMMIOQueue();
    if (vdev !== null) this.notify(vdev, 0);
  }

  /** Status = 0 (virtio_mmio_soft_reset): device reset; queues not ready. */
  private softReset(vdev: VirtIODevice): void {
    virtio_reset(vdev);
    for (const q of this.vqs) q.enabled = false;
    this.notify(vdev, 0);
  }

  private virtio_mmio_read(offset: number, size: AccessSize, regs: (o: number, s: AccessSize) => number): number {
    const vdev = this.vdev;
    let value: number;
    if (vdev === null) {
      value = offset === VIRTIO_MMIO_MAGIC_VALUE ? VIRT_MAGIC : offset === VIRTIO_MMIO_VERSION ? this.version() : offset === VIRTIO_MMIO_VENDOR_ID ? VIRT_VENDOR : 0;
      if (size !== 4 || (offset & 3) !== 0) value = 0;
    } else if (offset >= VIRTIO_MMIO_CONFIG) {
      value = virtio_config_read(vdev, offset - VIRTIO_MMIO_CONFIG, size);
    } else if (size !== 4) {
      this.guestError(`virtio-mmio: wrong size access to register 0x${offset.toString(16)} (size ${size})`);
      value = 0;
    } else {
      value = regs(offset, size);
    }
    const h = virtioTraceHooks.virtio_mmio_read;
    if (h !== null) h(offset, size, value);
    return value;
  }

  private virtio_mmio_write(offset: number, size: AccessSize, value: number, regs: (o: number, s: AccessSize, v: number) => void): void {
    const h = virtioTraceHooks.virtio_mmio_write_offset;
    if (h !== null) h(offset, size, value);
    const vdev = this.vdev;
    if (vdev === null) return;
    if (offset >= VIRTIO_MMIO_CONFIG) {
      virtio_config_write(vdev, offset - VIRTIO_MMIO_CONFIG, size, value);
      return;
    }
    if (size !== 4) {
      this.guestError(`virtio-mmio: wrong size access to register 0x${offset.toString(16)} (size ${size})`);
      return;
    }
    regs(offset, size, value);
  }

  private version(): number {
    return this.legacy ? VIRT_VERSION_LEGACY : VIRT_VERSION;
  }

  /** Register accessor helpers: the plugged device (the table only runs with one). */
  private get dev(): VirtIODevice {
    return this.vdev!;
  }

  private legacyOnly(name: string): boolean {
    if (!this.legacy) this.guestError(`virtio-mmio: access to legacy register ${name} in non-legacy mode`);
    return this.legacy;
  }

  private modernOnly(name: string): boolean {
    if (this.legacy) this.guestError(`virtio-mmio: access to non-legacy register ${name} in legacy mode`);
    return !this.legacy;
  }

  private queueAddr(name: string, field: 'desc' | 'avail' | 'used', half: 0 | 1): RegisterDef {
    const offset = { desc: VIRTIO_MMIO_QUEUE_DESC_LOW, avail: VIRTIO_MMIO_QUEUE_AVAIL_LOW, used: VIRTIO_MMIO_QUEUE_USED_LOW }[field] + 4 * half;
    return {
      offset,
      size: 4,
      name,
      write: (v) => {
        if (this.modernOnly(name)) this.vqs[this.dev.queue_sel][field][half] = v >>> 0;
      },
    };
  }

  private registerDefs(): RegisterDef[] {
    return [
      { offset: VIRTIO_MMIO_MAGIC_VALUE, size: 4, name: 'MagicValue', read: () => VIRT_MAGIC },
      { offset: VIRTIO_MMIO_VERSION, size: 4, name: 'Version', read: () => this.version() },
      { offset: VIRTIO_MMIO_DEVICE_ID, size: 4, name: 'DeviceID', read: () => this.dev.device_id },
      { offset: VIRTIO_MMIO_VENDOR_ID, size: 4, name: 'VendorID', read: () => VIRT_VENDOR },
      {
        offset: VIRTIO_MMIO_DEVICE_FEATURES,
        size: 4,
        name: 'DeviceFeatures',
        read: () => {
          const vdev = this.dev;
          if (this.legacy) return this.host_features_sel ? 0 : lo32(vdev.host_features);
          const f = vdev.host_features & ~virtio_legacy_features(vdev);
          return this.host_features_sel ? hi32(f) : lo32(f);
        },
      },
      { offset: VIRTIO_MMIO_DEVICE_FEATURES_SEL, size: 4, name: 'DeviceFeaturesSel', write: (v) => (this.host_features_sel = v ? 1 : 0) },
      {
        offset: VIRTIO_MMIO_DRIVER_FEATURES,
        size: 4,
        name: 'DriverFeatures',
        write: (v) => {
          if (!this.legacy) {
            this.guest_features[this.guest_features_sel] = v >>> 0;
          } else if (this.guest_features_sel) {
            this.guestError('virtio-mmio: attempt to write guest features with guest_features_sel > 0 in legacy mode');
          } else {
            virtio_set_features(this.dev, BigInt(v >>> 0));
          }
        },
      },
      { offset: VIRTIO_MMIO_DRIVER_FEATURES_SEL, size: 4, name: 'DriverFeaturesSel', write: (v) => (this.guest_features_sel = v ? 1 : 0) },
      {
        offset: VIRTIO_MMIO_GUEST_PAGE_SIZE,
        size: 4,
        name: 'GuestPageSize',
        write: (v) => {
          if (!this.legacyOnly('GuestPageSize')) return;
          const shift = v === 0 ? 32 : 31 - Math.clz32(v & -v);
          this.guest_page_shift = shift > 31 ? 0 : shift;
        },
      },
      { offset: VIRTIO_MMIO_QUEUE_SEL, size: 4, name: 'QueueSel', write: (v) => v >>> 0 < VIRTIO_QUEUE_MAX && (this.dev.queue_sel = v >>> 0) },
      {
        offset: VIRTIO_MMIO_QUEUE_NUM_MAX,
        size: 4,
        name: 'QueueNumMax',
        read: () => (virtio_queue_get_num(this.dev, this.dev.queue_sel) === 0 ? 0 : VIRTQUEUE_MAX_SIZE),
      },
      {
        offset: VIRTIO_MMIO_QUEUE_NUM,
        size: 4,
        name: 'QueueNum',
        write: (v) => {
          const vdev = this.dev;
          virtio_queue_set_num(vdev, vdev.queue_sel, v >>> 0);
          if (this.legacy) {
            virtio_queue_update_rings(vdev, vdev.queue_sel);
          } else {
            this.vqs[vdev.queue_sel].num = v >>> 0;
            virtio_queue_check_rings(vdev, vdev.queue_sel); // a live queue resized by a buggy driver
          }
        },
      },
      {
        offset: VIRTIO_MMIO_QUEUE_ALIGN,
        size: 4,
        name: 'QueueAlign',
        write: (v) => this.legacyOnly('QueueAlign') && virtio_queue_set_align(this.dev, this.dev.queue_sel, v >>> 0),
      },
      {
        offset: VIRTIO_MMIO_QUEUE_PFN,
        size: 4,
        name: 'QueuePFN',
        read: () => (this.legacyOnly('QueuePFN') ? Math.floor(virtio_queue_get_addr(this.dev, this.dev.queue_sel) / 2 ** this.guest_page_shift) : 0),
        write: (v) => {
          if (!this.legacyOnly('QueuePFN')) return;
          const vdev = this.dev;
          if (v === 0) this.softReset(vdev);
          else virtio_queue_set_addr(vdev, vdev.queue_sel, (v >>> 0) * 2 ** this.guest_page_shift);
        },
      },
      {
        offset: VIRTIO_MMIO_QUEUE_READY,
        size: 4,
        name: 'QueueReady',
        read: () => (this.modernOnly('QueueReady') && this.vqs[this.dev.queue_sel].enabled ? 1 : 0),
        write: (v) => {
          if (!this.modernOnly('QueueReady')) return;
          const vdev = this.dev;
          const q = this.vqs[vdev.queue_sel];
          if (v) {
            virtio_queue_set_num(vdev, vdev.queue_sel, q.num);
            virtio_queue_set_rings(vdev, vdev.queue_sel, addr64(q.desc), addr64(q.avail), addr64(q.used));
            q.enabled = true;
          } else {
            q.enabled = false;
          }
        },
      },
      { offset: VIRTIO_MMIO_QUEUE_NOTIFY, size: 4, name: 'QueueNotify', write: (v) => v >>> 0 < VIRTIO_QUEUE_MAX && virtio_queue_notify(this.dev, v >>> 0) },
      { offset: VIRTIO_MMIO_INTERRUPT_STATUS, size: 4, name: 'InterruptStatus', read: () => this.dev.isr },
      {
        offset: VIRTIO_MMIO_INTERRUPT_ACK,
        size: 4,
        name: 'InterruptACK',
        write: (v) => {
          const vdev = this.dev;
          vdev.isr &= ~v;
          this.notify(vdev, 0); // also when broken: an acknowledged line must drop
        },
      },
      { offset: VIRTIO_MMIO_STATUS, size: 4, name: 'Status', read: () => this.dev.status, write: (v) => this.writeStatus(v) },
      this.queueAddr('QueueDescLow', 'desc', 0),
      this.queueAddr('QueueDescHigh', 'desc', 1),
      this.queueAddr('QueueDriverLow', 'avail', 0),
      this.queueAddr('QueueDriverHigh', 'avail', 1),
      this.queueAddr('QueueDeviceLow', 'used', 0),
      this.queueAddr('QueueDeviceHigh', 'used', 1),
      { offset: VIRTIO_MMIO_SHM_SEL, size: 4, name: 'SHMSel', write: () => {} },
      /* No shared memory regions: length ~0 (what Linux's vm_get_shm_region tests for). */
      { offset: VIRTIO_MMIO_SHM_LEN_LOW, size: 4, name: 'SHMLenLow', read: () => 0xffffffff },
      { offset: VIRTIO_MMIO_SHM_LEN_HIGH, size: 4, name: 'SHMLenHigh', read: () => 0xffffffff },
      { offset: VIRTIO_MMIO_SHM_BASE_LOW, size: 4, name: 'SHMBaseLow', read: () => 0xffffffff },
      { offset: VIRTIO_MMIO_SHM_BASE_HIGH, size: 4, name: 'SHMBaseHigh', read: () => 0xffffffff },
      {
        offset: VIRTIO_MMIO_CONFIG_GENERATION,
        size: 4,
        name: 'ConfigGeneration',
        read: () => (this.modernOnly('ConfigGeneration') ? this.dev.generation : 0),
      },
    ];
  }

  private writeStatus(value: number): void {
    const vdev = this.dev;
    if (!(value & VIRTIO_CONFIG_S_DRIVER_OK)) virtio_device_stop_ioeventfd(vdev);
    if (!this.legacy && value & VIRTIO_CONFIG_S_FEATURES_OK && !(vdev.status & VIRTIO_CONFIG_S_FEATURES_OK)) {
      const want = (BigInt(this.guest_features[1]) << 32n) | BigInt(this.guest_features[0]);
      /* Refuse a feature set with unoffered bits: FEATURES_OK does not stick (virtio 1.2 §3.1.1). */
      if (virtio_set_features(vdev, want) !== 0) {
        this.guestError(`virtio-mmio: driver features 0x${want.toString(16)} include bits the device does not offer`);
        value &= ~VIRTIO_CONFIG_S_FEATURES_OK;
      }
    }
    if (virtio_set_status(vdev, value & 0xff) !== 0) return;
    if (value & VIRTIO_CONFIG_S_DRIVER_OK && this.ioeventfd) virtio_device_start_ioeventfd(vdev);
    if (vdev.status === 0) this.softReset(vdev);
  }
}
