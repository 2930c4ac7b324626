/**
 * Constants of the virtio specification (virtio 1.2; QEMU's include/standard-headers/linux/
 * virtio_config.h, virtio_ring.h, virtio_ids.h, virtio_mmio.h).
 *
 * Feature bits are bit numbers (0..63); feature sets are bigints (`1n << BigInt(bit)`), since the
 * set is 64 bits wide (virtio 1.2 §2.2).
 */

/* Device status field (virtio 1.2 §2.1). */
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
export const VIRTIO_CONFIG_S_DRIVER = 2;
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
export const VIRTIO_CONFIG_S_FEATURES_OK = 8;
export const VIRTIO_CONFIG_S_NEEDS_RESET = 0x40;
export const VIRTIO_CONFIG_S_FAILED = 0x80;

/* Reserved feature bits (virtio 1.2 §6). */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24; // legacy
export const VIRTIO_F_ANY_LAYOUT = 27; // legacy
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
export const VIRTIO_RING_F_EVENT_IDX = 29;
export const VIRTIO_F_BAD_FEATURE = 30; // legacy: QEMU's "guest did not negotiate" marker
export const VIRTIO_F_VERSION_1 = 32;
export const VIRTIO_F_ACCESS_PLATFORM = 33;
export const VIRTIO_F_RING_PACKED = 34;
export const VIRTIO_F_IN_ORDER = 35;
/** Spec name of VIRTIO_RING_F_INDIRECT_DESC. */
export const VIRTIO_F_INDIRECT_DESC = VIRTIO_RING_F_INDIRECT_DESC;
/** Spec name of VIRTIO_RING_F_EVENT_IDX. */
export const VIRTIO_F_EVENT_IDX = VIRTIO_RING_F_EVENT_IDX;

/** Features only a legacy (pre-1.0) driver may see (QEMU's VIRTIO_LEGACY_FEATURES). */
export const VIRTIO_LEGACY_FEATURES = bit(VIRTIO_F_BAD_FEATURE) | bit(VIRTIO_F_NOTIFY_ON_EMPTY) | bit(VIRTIO_F_ANY_LAYOUT);

/* Split virtqueue (virtio 1.2 §2.7). */
export const VRING_DESC_F_NEXT = 1;
export const VRING_DESC_F_WRITE = 2;
export const VRING_DESC_F_INDIRECT = 4;
export const VRING_USED_F_NO_NOTIFY = 1;
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** sizeof(VRingDesc): le64 addr, le32 len, le16 flags, le16 next. */
export const VRING_DESC_SIZE = 16;
/** sizeof(VRingUsedElem): le32 id, le32 len. */
export const VRING_USED_ELEM_SIZE = 8;
/** Legacy ring alignment (QEMU's VIRTIO_PCI_VRING_ALIGN / the legacy mmio default). */
export const VIRTIO_LEGACY_VRING_ALIGN = 4096;

/** QEMU's limits: queues per device and entries per queue. */
export const VIRTIO_QUEUE_MAX = 1024;
export const VIRTQUEUE_MAX_SIZE = 1024;
export const VIRTIO_NO_VECTOR = 0xffff;

/* ISR bits (virtio 1.2 §4.2.2: InterruptStatus). */
export const VIRTIO_MMIO_INT_VRING = 1;
export const VIRTIO_MMIO_INT_CONFIG = 2;

/* Device IDs (virtio 1.2 §5). */
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_RNG = 4;

/** The feature set holding only `b`. */
export function bit(b: number): bigint {
  return 1n << BigInt(b);
}

/** virtio_has_feature: is bit `b` in `features`? */
export function virtio_has_feature(features: bigint, b: number): boolean {
  return ((features >> BigInt(b)) & 1n) === 1n;
}

/** Names of the transport feature bits, for logs and the debugger. */
export const VIRTIO_TRANSPORT_FEATURE_NAMES: Readonly<Record<number, string>> = {
  [VIRTIO_F_NOTIFY_ON_EMPTY]: 'NOTIFY_ON_EMPTY',
  [VIRTIO_F_ANY_LAYOUT]: 'ANY_LAYOUT',
  [VIRTIO_RING_F_INDIRECT_DESC]: 'INDIRECT_DESC',
  [VIRTIO_RING_F_EVENT_IDX]: 'EVENT_IDX',
  [VIRTIO_F_BAD_FEATURE]: 'BAD_FEATURE',
  [VIRTIO_F_VERSION_1]: 'VERSION_1',
  [VIRTIO_F_ACCESS_PLATFORM]: 'ACCESS_PLATFORM',
  [VIRTIO_F_RING_PACKED]: 'RING_PACKED',
  [VIRTIO_F_IN_ORDER]: 'IN_ORDER',
};
