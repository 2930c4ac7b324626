/**
 * Guest physical memory: one RAM block (a SharedArrayBuffer, so worker threads can DMA into it)
 * plus MMIO regions, as QEMU's system/memory.c models the `system` AddressSpace.
 *
 * Physical addresses are plain JS numbers: QEMU's virt board places everything below 2^34, far
 * inside the 2^53 range doubles represent exactly.
 *
 * Contract for MMIO accesses (QEMU's MemoryRegionOps with valid/impl max_access_size = 4):
 * a 1, 2 or 4 byte access reaches the region's ops once; an 8 byte access is split into two
 * 4 byte accesses, low word first (little-endian), as memory_region_dispatch_read/write do
 * when the region implements at most 4 bytes. Callers are the vCPU (loads/stores that missed
 * RAM) and device models doing DMA to MMIO (rare).
 */

export type AccessSize = 1 | 2 | 4;

/** What a device implements for its MMIO window. Called on the thread that owns the machine. */
export interface MemoryRegionOps {
  /** Read `size` bytes at `offset` (from the region's start). Returns the unsigned value. */
  read(offset: number, size: AccessSize): number;
  /** Write the low `size` bytes of `value` at `offset`. */
  write(offset: number, size: AccessSize, value: number): void;
}

export interface MemoryRegion {
  /** QEMU's name for the region, e.g. "riscv.sifive.plic", "serial", "virtio-mmio". */
  readonly name: string;
  readonly size: number;
  readonly ops: MemoryRegionOps;
}

/** One MMIO access as seen by observers (tracing, watchpoints). */
export interface MmioAccess {
  region: MemoryRegion;
  /** Guest physical address of the access. */
  addr: number;
  offset: number;
  size: AccessSize;
  value: number;
  isWrite: boolean;
}

/**
 * Pages of guest RAM written by DMA on a thread that has no CPU (an iothread: virtio-blk
 * dataplane), for the emulator thread to drop their decoded code (QEMU's iothreads reach
 * tb_invalidate_phys_range directly; JS threads share no heap, so the decode cache cannot be
 * reached from there). One SharedArrayBuffer, Int32 words:
 *   [0]      generation: bumped (Atomics.add) after every mark
 *   [1 + i]  bits of pages 32i .. 32i+31 (page = 4 KiB of RAM offset), set with Atomics.or
 * Marker (iothread): set the bits, then bump the generation — before the used ring entry or the
 * guest notification that tells the guest the data is there (virtqueue_fill marks before it
 * writes the used element). Consumer (emulator thread, before every vCPU round, cpus.ts, and at
 * every FENCE.I, target/riscv/code-cache.ts): one Atomics.load of the generation when nothing
 * changed; otherwise each non-zero word is taken with Atomics.exchange(word, 0) and its pages
 * invalidated. A mark made while the consumer scans bumps the generation after its bits are set,
 * so the next take (round or FENCE.I) sees it.
 */
export class CodeDirtyMap {
  readonly words: Int32Array;
  /** The generation the consumer handled last. */
  private seen = 0;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  /** Bytes of the map for `ramSize` bytes of RAM. */
  static bytesFor(ramSize: number): number {
    return 4 * (1 + Math.ceil(ramSize / 4096 / 32));
  }

  get generation(): number {
    return Atomics.load(this.words, 0);
  }

  /** Mark the pages of RAM offsets [off, off+len), then publish (bump the generation). */
  mark(off: number, len: number): void {
    if (len <= 0) return;
    const w = this.words;
    const last = (off + len - 1) >>> 12;
    for (let p = off >>> 12; p <= last; p++) Atomics.or(w, 1 + (p >>> 5), 1 << (p & 31));
    Atomics.add(w, 0, 1);
  }

  /** True when a mark was published since the last take (one Atomics.load). */
  pending(): boolean {
    return Atomics.load(this.words, 0) !== this.seen;
  }

  /**
   * Clear every marked page and call `inv(ramOffset, len)` once per run of consecutive marked
   * pages. Returns the number of pages taken.
   */
  take(inv: (ramOff: number, len: number) => void): number {
    const w = this.words;
    this.seen = Atomics.load(w, 0);
    let n = 0;
    let runStart = -1;
    let runEnd = -1;
    for (let i = 1; i < w.length; i++) {
      if (w[i] === 0) continue; // a plain read to skip clean words; the exchange below is atomic
      let bits = Atomics.exchange(w, i, 0);
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const page = ((i - 1) << 5) + b;
        n++;
        if (page === runEnd) runEnd++;
        else {
          if (runStart >= 0) inv(runStart * 4096, (runEnd - runStart) * 4096);
          runStart = page;
          runEnd = page + 1;
        }
      }
    }
    if (runStart >= 0) inv(runStart * 4096, (runEnd - runStart) * 4096);
    return n;
  }
}

/** Guest RAM: little-endian, directly addressable typed-array views over one SharedArrayBuffer. */
export class GuestRam {
  readonly buffer: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  /**
   * invalidate_and_set_dirty (QEMU's physmem.c): called with [paddr, paddr+len) after RAM was
   * written behind the vCPUs' back — DMA completions (virtqueue_fill unmapping a device-writable
   * buffer), loaders, debuggers writing physical memory — so decoded/compiled code for those bytes
   * is dropped before the guest executes them. Set by the board to the harts' `invalidateCode`;
   * null (tests without a CPU) costs one check. Runs on the thread that owns the machine.
   */
  codeInvalidator: ((paddr: number, len: number) => void) | null = null;
  /**
   * Pages written by DMA in other threads (an iothread's GuestRam over the same buffers marks
   * them; this thread's run loop takes them: takeRemoteInvalidations). Shared with those threads.
   */
  readonly codeDirty: CodeDirtyMap;
  /** This is another thread's view (built over a given code-dirty map): DMA marks the map. */
  private readonly marksRemote: boolean;

  /**
   * `buffer`: another thread's RAM (an iothread's view of the same guest memory); a new one
   * when absent. Its length must be `size`. `codeDirty`: that RAM's CodeDirtyMap buffer; when
   * given, DMA through this view (invalidate_and_set_dirty, with no codeInvalidator here) marks
   * the pages for the thread that owns the CPUs.
   */
  constructor(
    readonly base: number,
    readonly size: number,
    buffer?: SharedArrayBuffer,
    codeDirty?: SharedArrayBuffer,
  ) {
    if (size <= 0 || size % 4096 !== 0) throw new Error(`RAM size must be a positive multiple of 4 KiB, got ${size}`);
    if (buffer !== undefined && buffer.byteLength !== size) throw new Error(`RAM buffer of ${buffer.byteLength} bytes given for ${size} bytes of RAM`);
    const dirtyBytes = CodeDirtyMap.bytesFor(size);
    if (codeDirty !== undefined && codeDirty.byteLength !== dirtyBytes) throw new Error(`code-dirty map of ${codeDirty.byteLength} bytes given for ${size} bytes of RAM (needs ${dirtyBytes})`);
    this.buffer = buffer ?? new SharedArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.codeDirty = new CodeDirtyMap(codeDirty ?? new SharedArrayBuffer(dirtyBytes));
    this.marksRemote = codeDirty !== undefined;
  }

  /** True when [addr, addr+len) lies inside RAM. */
  contains(addr: number, len = 1): boolean {
    const off = addr - this.base;
    return off >= 0 && off + len <= this.size;
  }

  /** DMA writes to this RAM must be reported (a CPU here, or one behind the code-dirty map). */
  get tracksCode(): boolean {
    return this.codeInvalidator !== null || this.marksRemote;
  }

  /**
   * A view of this RAM was written by a device (DMA): see codeInvalidator. With no invalidator of
   * its own, another thread's view marks the pages for the CPUs' thread instead (CodeDirtyMap).
   */
  invalidate_and_set_dirty(view: Uint8Array, len = view.byteLength): void {
    if (len <= 0 || view.buffer !== this.buffer) return;
    const n = Math.min(len, view.byteLength);
    const inv = this.codeInvalidator;
    if (inv !== null) inv(this.base + view.byteOffset, n);
    else if (this.marksRemote) this.codeDirty.mark(view.byteOffset, n);
  }

  /**
   * The CPUs' thread, before a vCPU round: drop decoded code of the pages other threads' DMA
   * marked (one Atomics.load when none did). Returns the number of pages taken.
   */
  takeRemoteInvalidations(): number {
    if (!this.codeDirty.pending()) return 0;
    const inv = this.codeInvalidator;
    return this.codeDirty.take((off, len) => {
      if (inv !== null) inv(this.base + off, len);
    });
  }
}

interface Mapping {
  base: number;
  end: number; // exclusive
  region: MemoryRegion;
}

/**
 * The system address space: RAM plus MMIO regions, each mapped at a base address.
 * Unassigned addresses read as 0 and ignore writes, but report failure so the vCPU can raise an
 * access fault (QEMU's virt raises a bus error through memory_region_dispatch_* → MEMTX_DECODE_ERROR).
 */
export class AddressSpace {
  private mappings: Mapping[] = [];
  /** Observers of every MMIO access; null when none (zero cost: one null check). */
  mmioObserver: ((access: MmioAccess) => void) | null = null;
  /** Last decode failure flag, set by ioRead/ioWrite when no region matched. */
  lastAccessFailed = false;

  constructor(readonly ram: GuestRam) {}

  /** Map `region` at guest physical address `base` (memory_region_add_subregion). */
  addRegion(base: number, region: MemoryRegion): void {
    const end = base + region.size;
    for (const m of this.mappings) {
      if (base < m.end && m.base < end) throw new Error(`MMIO region ${region.name} overlaps ${m.region.name}`);
    }
    if (base < this.ram.base + this.ram.size && this.ram.base < end) {
      throw new Error(`MMIO region ${region.name} overlaps RAM`);
    }
    this.mappings.push({ base, end, region });
    this.mappings.sort((a, b) => a.base - b.base);
  }

  regions(): ReadonlyArray<{ base: number; region: MemoryRegion }> {
    return this.mappings.map((m) => ({ base: m.base, region: m.region }));
  }

  findMapping(addr: number): Mapping | undefined {
    const ms = this.mappings;
    let lo = 0;
    let hi = ms.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = ms[mid];
      if (addr < m.base) hi = mid - 1;
      else if (addr >= m.end) lo = mid + 1;
      else return m;
    }
    return undefined;
  }

  /**
   * MMIO read of 1, 2, 4 or 8 bytes at a physical address outside RAM. For 8 bytes the low word
   * is returned and the high word left in `ioHigh`. Sets `lastAccessFailed` when unassigned.
   */
  ioHigh = 0;
  ioRead(addr: number, size: AccessSize | 8): number {
    const m = this.findMapping(addr);
    if (m === undefined || addr + size > m.end) {
      this.lastAccessFailed = true;
      this.ioHigh = 0;
      return 0;
    }
    this.lastAccessFailed = false;
    if (size === 8) {
      const lo = this.dispatchRead(m, addr, 4);
      this.ioHigh = this.dispatchRead(m, addr + 4, 4) | 0;
      return lo;
    }
    return this.dispatchRead(m, addr, size);
  }

  /** MMIO write; for 8 bytes `high` is the upper word. Sets `lastAccessFailed` when unassigned. */
  ioWrite(addr: number, size: AccessSize | 8, value: number, high = 0): void {
    const m = this.findMapping(addr);
    if (m === undefined || addr + size > m.end) {
      this.lastAccessFailed = true;
      return;
    }
    this.lastAccessFailed = false;
    if (size === 8) {
      this.dispatchWrite(m, addr, 4, value);
      this.dispatchWrite(m, addr + 4, 4, high);
      return;
    }
    this.dispatchWrite(m, addr, size, value);
  }

  /** memory_region_dispatch_read */
  private dispatchRead(m: Mapping, addr: number, size: AccessSize): number {
    const offset = addr - m.base;
    const value = m.region.ops.read(offset, size) >>> 0;
    if (this.mmioObserver !== null) this.mmioObserver({ region: m.region, addr, offset, size, value, isWrite: false });
    return value;
  }

  /** memory_region_dispatch_write */
  private dispatchWrite(m: Mapping, addr: number, size: AccessSize, value: number): void {
    const offset = addr - m.base;
    const v = size === 4 ? value >>> 0 : value & (size === 1 ? 0xff : 0xffff);
    if (this.mmioObserver !== null) this.mmioObserver({ region: m.region, addr, offset, size, value: v, isWrite: true });
    m.region.ops.write(offset, size, v);
  }

  /** Physical read for debuggers and loaders: RAM or MMIO-free ranges only; returns bytes read. */
  readPhys(addr: number, out: Uint8Array): boolean {
    if (!this.ram.contains(addr, out.length)) return false;
    const off = addr - this.ram.base;
    out.set(this.ram.u8.subarray(off, off + out.length));
    return true;
  }

  /** Physical write for debuggers and loaders (RAM only). */
  writePhys(addr: number, data: Uint8Array): boolean {
    if (!this.ram.contains(addr, data.length)) return false;
    this.ram.u8.set(data, addr - this.ram.base);
    const inv = this.ram.codeInvalidator;
    if (inv !== null) inv(addr, data.length);
    return true;
  }
}
