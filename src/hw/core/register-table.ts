/**
 * Devices declare their MMIO registers as tables (DESIGN.md §4): offset, size, name, read, write.
 * `registerTableOps` turns a table into MemoryRegionOps, so one dispatcher knows every register's
 * name (for MMIO tracing and watchpoints) and handles unknown offsets uniformly.
 *
 * A row may describe an array of registers (`count` > 1, `stride` bytes apart): the callbacks
 * then receive the index. Access rules: an access whose offset and size equal a register's is
 * passed through; a narrower read inside a register returns the selected bytes; anything else
 * (a write narrower than the register, an unknown offset) reads as 0 / is ignored and is
 * reported through `onGuestError` (QEMU's LOG_GUEST_ERROR), never thrown.
 */
import type { AccessSize, MemoryRegionOps } from '../../system/memory';

export interface RegisterDef {
  offset: number;
  size: AccessSize;
  /** Register name as the device's spec spells it (e.g. "QueueNotify", "RBR", "mtimecmp"). */
  name: string;
  /** For arrays of registers: number of elements and distance between them (default: size). */
  count?: number;
  stride?: number;
  /** Absent = write-only register (reads as 0). `index` is the array element (0 for scalars). */
  read?: (index: number) => number;
  /** Absent = read-only register (writes ignored). */
  write?: (value: number, index: number) => void;
}

export interface RegisterTable {
  ops: MemoryRegionOps;
  /** Register name at `offset` ("name[3]" for array elements), or undefined. */
  nameAt(offset: number): string | undefined;
}

interface Slot {
  def: RegisterDef;
  index: number;
  start: number;
}

export function registerTableOps(
  device: string,
  defs: RegisterDef[],
  onGuestError: (msg: string) => void = () => {},
): RegisterTable {
  // Word-granular lookup: every 4-byte-aligned word of every register maps to its slot.
  // Registers here are at most 4 bytes and naturally aligned (true of every device we model).
  const byWord = new Map<number, Slot[]>();
  for (const def of defs) {
    const count = def.count ?? 1;
    const stride = def.stride ?? def.size;
    for (let i = 0; i < count; i++) {
      const start = def.offset + i * stride;
      if (start % def.size !== 0) throw new Error(`${device}: register ${def.name} misaligned`);
      const word = start & ~3;
      let list = byWord.get(word);
      if (list === undefined) byWord.set(word, (list = []));
      list.push({ def, index: i, start });
    }
  }
  const find = (offset: number): Slot | undefined => {
    const list = byWord.get(offset & ~3);
    if (list === undefined) return undefined;
    for (const s of list) if (offset >= s.start && offset < s.start + s.def.size) return s;
    return undefined;
  };
  const label = (s: Slot) => ((s.def.count ?? 1) > 1 ? `${s.def.name}[${s.index}]` : s.def.name);
  const hex = (n: number) => '0x' + n.toString(16);

  const ops: MemoryRegionOps = {
    read(offset, size) {
      const s = find(offset);
      if (s === undefined) {
        onGuestError(`${device}: read of unknown register at ${hex(offset)} (size ${size})`);
        return 0;
      }
      if (offset + size > s.start + s.def.size) {
        onGuestError(`${device}: read of ${label(s)} crosses the register (offset ${hex(offset)}, size ${size})`);
        return 0;
      }
      const full = s.def.read ? s.def.read(s.index) >>> 0 : 0;
      if (size === s.def.size) return full;
      const shift = (offset - s.start) * 8;
      const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      return (full >>> shift) & mask;
    },
    write(offset, size, value) {
      const s = find(offset);
      if (s === undefined) {
        onGuestError(`${device}: write of unknown register at ${hex(offset)} (size ${size}, value ${hex(value)})`);
        return;
      }
      if (offset !== s.start || size !== s.def.size) {
        onGuestError(`${device}: ${size}-byte write to ${label(s)} at ${hex(offset)} not supported`);
        return;
      }
      if (s.def.write) s.def.write(value, s.index);
    },
  };
  return {
    ops,
    nameAt(offset) {
      const s = find(offset);
      return s === undefined ? undefined : label(s);
    },
  };
}
