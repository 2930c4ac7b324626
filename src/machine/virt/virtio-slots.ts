/**
 * The eight virtio-mmio transports of `virt` (0x10001000 + 0x1000*i, PLIC sources 1..8) with no
 * device behind them yet. QEMU always creates the transports; with nothing plugged in, a transport
 * answers only MagicValue, Version and VendorID, and DeviceID 0 tells the driver "no device"
 * (virtio 1.2 §4.2.2; QEMU's virtio_mmio_read with !vdev). Writes are ignored.
 *
 * The real transport (src/hw/virtio/) replaces these regions; the slots' IRQ lines (PLIC inputs)
 * are kept on the machine for it.
 */
import type { MemoryRegion } from '../../system/memory';
import { registerTableOps } from '../../hw/core/register-table';

export const VIRT_MAGIC = 0x74726976; // "virt"
/** Modern transport (virtio 1.x). QEMU 7.2's default is force-legacy=on, i.e. Version 1. */
export const VIRT_VERSION = 2;
export const VIRT_VERSION_LEGACY = 1;
export const VIRT_VENDOR = 0x554d4551; // "QEMU"

export function emptyVirtioMmioRegion(size: number, opts: { legacy?: boolean; onGuestError?: (msg: string) => void } = {}): MemoryRegion {
  const version = opts.legacy ? VIRT_VERSION_LEGACY : VIRT_VERSION;
  const t = registerTableOps(
    'virtio-mmio',
    [
      { offset: 0x000, size: 4, name: 'MagicValue', read: () => VIRT_MAGIC },
      { offset: 0x004, size: 4, name: 'Version', read: () => version },
      { offset: 0x008, size: 4, name: 'DeviceID', read: () => 0 },
      { offset: 0x00c, size: 4, name: 'VendorID', read: () => VIRT_VENDOR },
    ],
    opts.onGuestError,
  );
  // Without a device every other register reads 0 and ignores writes, silently (as QEMU does).
  return {
    name: 'virtio-mmio',
    size,
    ops: {
      read: (off, sz) => (off < 0x10 ? t.ops.read(off, sz) : 0),
      write: () => {},
    },
  };
}
