/**
 * A read-only memory region backed by bytes (QEMU's memory_region_init_rom, e.g. the board's mask
 * ROM "riscv_virt_board.mrom"): little-endian reads of 1, 2 or 4 bytes, writes ignored (as ROM in
 * QEMU). Harts fetch from it through MMIO (the decode cache does not cache MMIO pages).
 */
import type { MemoryRegion } from '../../system/memory';

export function romRegion(name: string, size: number, contents: Uint8Array): MemoryRegion & { bytes: Uint8Array } {
  if (contents.length > size) throw new Error(`${name}: ${contents.length} bytes do not fit in ${size}`);
  const bytes = new Uint8Array(size);
  bytes.set(contents);
  const dv = new DataView(bytes.buffer);
  return {
    name,
    size,
    bytes,
    ops: {
      read(offset, sz) {
        if (offset + sz > size) return 0;
        return sz === 1 ? bytes[offset] : sz === 2 ? dv.getUint16(offset, true) : dv.getUint32(offset, true);
      },
      write() {},
    },
  };
}
