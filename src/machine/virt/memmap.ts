/**
 * The `virt` board's physical memory map and interrupt numbers, as QEMU 7.2's hw/riscv/virt.c
 * (virt_memmap[]) and include/hw/riscv/virt.h define them. Entries we do not emulate yet are kept
 * so addresses stay QEMU's and later devices slot in.
 */
import { VIRT_PLIC_SIZE } from '../../hw/intc/sifive-plic';

export interface MemMapEntry {
  base: number;
  size: number;
}

/** QEMU's VIRT_CPUS_MAX (the PLIC aperture is sized for it even with fewer harts). */
export const VIRT_CPUS_MAX = 512;

export const virt_memmap = {
  VIRT_DEBUG: { base: 0x0, size: 0x100 },
  VIRT_MROM: { base: 0x1000, size: 0xf000 },
  VIRT_TEST: { base: 0x100000, size: 0x1000 },
  VIRT_RTC: { base: 0x101000, size: 0x1000 },
  VIRT_CLINT: { base: 0x2000000, size: 0x10000 },
  VIRT_ACLINT_SSWI: { base: 0x2f00000, size: 0x4000 },
  VIRT_PCIE_PIO: { base: 0x3000000, size: 0x10000 },
  VIRT_PLATFORM_BUS: { base: 0x4000000, size: 0x2000000 },
  VIRT_PLIC: { base: 0xc000000, size: VIRT_PLIC_SIZE(VIRT_CPUS_MAX * 2) },
  VIRT_UART0: { base: 0x10000000, size: 0x100 },
  VIRT_VIRTIO: { base: 0x10001000, size: 0x1000 },
  VIRT_FW_CFG: { base: 0x10100000, size: 0x18 },
  VIRT_FLASH: { base: 0x20000000, size: 0x4000000 },
  VIRT_PCIE_ECAM: { base: 0x30000000, size: 0x10000000 },
  VIRT_PCIE_MMIO: { base: 0x40000000, size: 0x40000000 },
  /** size 0: as large as -m says. */
  VIRT_DRAM: { base: 0x80000000, size: 0x0 },
} as const satisfies Record<string, MemMapEntry>;

// Interrupt sources on the PLIC (virt.h)
export const UART0_IRQ = 10;
export const RTC_IRQ = 11;
/** virtio-mmio slot i (0..7) uses source VIRTIO_IRQ + i. */
export const VIRTIO_IRQ = 1;
export const VIRTIO_COUNT = 8;
export const PCIE_IRQ = 0x20;

/** VIRT_IRQCHIP_NUM_SOURCES: sources including 0 (so 1..95 are usable). */
export const VIRT_IRQCHIP_NUM_SOURCES = 96;
/** VIRT_IRQCHIP_NUM_PRIO_BITS = 3 → priorities 0..7. */
export const VIRT_IRQCHIP_NUM_PRIORITIES = 7;

/** The CLINT's mtime frequency (RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ) and the FDT's timebase-frequency. */
export const VIRT_TIMEBASE_FREQ = 10_000_000;
/** serial_mm_init's baudbase on virt, and the FDT's clock-frequency for the UART (3.6864 MHz). */
export const VIRT_UART_BAUDBASE = 399193;
export const VIRT_UART_CLOCK_FREQ = 0x384000;
/** virtio-mmio register window inside each 0x1000 slot. */
export const VIRTIO_MMIO_REGION_SIZE = 0x200;
