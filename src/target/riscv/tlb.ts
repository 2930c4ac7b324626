/**
 * The software TLBs (QEMU's CPUTLB, accel/tcg/cputlb.c, reduced to what an interpreter needs).
 *
 * Data TLBs (one for loads, one for stores) are direct-mapped, 1024 entries per MMU index, and
 * map a virtual 4 KiB page straight to its byte offset in guest RAM: a hit is two int32 tag
 * compares and an array read. Only plain RAM pages whose permission was checked for that MMU
 * index are entered; MMIO, watched pages and (for stores) pages holding decoded code always take
 * the slow path. The tag is (vaddr_lo & ~0xfff, vaddr_hi); an invalid entry has tagLo = 1, which
 * no page-aligned address matches.
 *
 * MMU indexes (QEMU's riscv_cpu_mmu_index, plus S+SUM as QEMU's MMUIdx_S_SUM): permissions differ
 * per effective privilege, so each has its own entries and privilege switches need no flush.
 *
 * The fetch TLB maps a virtual page to its CodePage (decode cache) per fetch privilege.
 */

import type { CodePage } from './code-cache';

/** Geometry of the data TLBs (const enum: inlined into the interpreter's hot loop). */
export const enum TlbGeom {
  BITS = 10,
  SIZE = 1 << BITS,
  MASK = SIZE - 1,
}
const TLB_SIZE = TlbGeom.SIZE;
const TLB_MASK = TlbGeom.MASK;

/** MMU index × TLB_SIZE is the base of that index's entries. */
export const enum MmuIdx {
  U = 0,
  S = 1,
  S_SUM = 2,
  M = 3,
  COUNT = 4,
}

/** Entries of the translated indexes (U, S, S_SUM): flushed on satp writes and SFENCE.VMA. */
const TRANSLATED = 3 * TLB_SIZE;

export class DataTlb {
  readonly tagLo = new Int32Array(MmuIdx.COUNT * TLB_SIZE).fill(1);
  readonly tagHi = new Int32Array(MmuIdx.COUNT * TLB_SIZE);
  /** Byte offset of the page in guest RAM. */
  readonly off = new Int32Array(MmuIdx.COUNT * TLB_SIZE);

  /** tlb_set_page: map the page of (lo, hi) for MMU index `idx` to RAM page offset `ramOff`. */
  set(idx: number, lo: number, hi: number, ramOff: number): void {
    const i = idx * TLB_SIZE + ((lo >>> 12) & TLB_MASK);
    this.tagLo[i] = lo & ~0xfff;
    this.tagHi[i] = hi;
    this.off[i] = ramOff;
  }

  /** tlb_flush: drop every translated entry (M-mode's identity entries stay valid). */
  flushTranslated(): void {
    this.tagLo.fill(1, 0, TRANSLATED);
  }

  flushAll(): void {
    this.tagLo.fill(1);
  }

  /** tlb_flush_page: drop the entries of one virtual page in every index. */
  flushPage(lo: number, hi: number): void {
    const tag = lo & ~0xfff;
    for (let idx = 0; idx < MmuIdx.COUNT; idx++) {
      const i = idx * TLB_SIZE + ((lo >>> 12) & TLB_MASK);
      if (this.tagLo[i] === tag && this.tagHi[i] === hi) this.tagLo[i] = 1;
    }
  }

  /** Drop every entry mapping RAM page offset `ramOff`. */
  flushRamPage(ramOff: number): void {
    const { tagLo, off } = this;
    for (let i = 0; i < tagLo.length; i++) {
      if (off[i] === ramOff && tagLo[i] !== 1) tagLo[i] = 1;
    }
  }
}

/** Fetch privilege index: U = 0, S = 1, M = 2. */
export const FETCH_IDX_COUNT = 3;
const FETCH_SIZE = 256;
const FETCH_MASK = FETCH_SIZE - 1;

export class FetchTlb {
  readonly tagLo = new Int32Array(FETCH_IDX_COUNT * FETCH_SIZE).fill(1);
  readonly tagHi = new Int32Array(FETCH_IDX_COUNT * FETCH_SIZE);
  readonly pages: (CodePage | null)[] = new Array<CodePage | null>(FETCH_IDX_COUNT * FETCH_SIZE).fill(null);

  index(fidx: number, lo: number): number {
    return fidx * FETCH_SIZE + ((lo >>> 12) & FETCH_MASK);
  }

  lookup(fidx: number, lo: number, hi: number): CodePage | null {
    const i = fidx * FETCH_SIZE + ((lo >>> 12) & FETCH_MASK);
    if (this.tagLo[i] === (lo & ~0xfff) && this.tagHi[i] === hi) return this.pages[i];
    return null;
  }

  set(fidx: number, lo: number, hi: number, page: CodePage): void {
    const i = fidx * FETCH_SIZE + ((lo >>> 12) & FETCH_MASK);
    this.tagLo[i] = lo & ~0xfff;
    this.tagHi[i] = hi;
    this.pages[i] = page;
  }

  /** Drop the translated (U and S) entries. */
  flushTranslated(): void {
    this.tagLo.fill(1, 0, 2 * FETCH_SIZE);
  }

  flushAll(): void {
    this.tagLo.fill(1);
  }

  flushPage(lo: number, hi: number): void {
    const tag = lo & ~0xfff;
    for (let f = 0; f < FETCH_IDX_COUNT; f++) {
      const i = f * FETCH_SIZE + ((lo >>> 12) & FETCH_MASK);
      if (this.tagLo[i] === tag && this.tagHi[i] === hi) this.tagLo[i] = 1;
    }
  }
}
