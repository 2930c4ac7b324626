/**
 * The software TLBs (QEMU's CPUTLB, accel/tcg/cputlb.c, reduced to what an interpreter needs).
 *
 * Data TLBs (one for loads, one for stores) are direct-mapped, 1024 entries per MMU index, and
 * map a virtual 4 KiB page straight to its byte offset in guest RAM: a hit is two int32 tag
 * compares and a read of the same entry (one cache line: entries are 4 int32, DataTlb.e). Only
 * plain RAM pages whose permission was checked for that MMU index are entered; MMIO, watched
 * pages and (for stores) pages holding decoded code always take the slow path. The tag is
 * (vaddr_lo & ~0xfff, vaddr_hi); an invalid entry has tagLo -1 (the flushes of whole slots fill
 * entries with -1, those of one entry set its tagLo), and the fast paths' tag compare
 * (`e[ti] === (lo & ~0xfff | alignment bits)`) clears bits 3..11, so no access matches it.
 *
 * MMU indexes (QEMU's riscv_cpu_mmu_index, plus S+SUM as QEMU's MMUIdx_S_SUM): permissions differ
 * per effective privilege, so each has its own entries and privilege switches need no flush.
 *
 * Address spaces: the translated indexes exist once per TLB bank, and a bank holds the
 * translations of one satp value (mode, ASID, root), so a context switch (a satp write) selects
 * the bank of the new address space instead of flushing: the translations of the last TLB_BANKS
 * address spaces stay cached, as in an ASID-tagged TLB (privileged spec §4.1.11: writing satp
 * does not invalidate cached translations; software that changes page tables fences them).
 * SFENCE.VMA drops every bank's translations. (Linux, seeing writable ASID bits, switches address
 * spaces by writing satp alone; QEMU 7.2 flushes its whole TLB on every satp change.)
 *
 * Slot layout: bank b's U, S and S_SUM entries are slots 3b..3b+2; M-mode's identity entries the
 * last slot (never flushed by SFENCE.VMA). The fetch TLB maps a virtual page to its CodePage
 * (decode cache), with slots 2b (U) and 2b+1 (S) per bank and a last one for M.
 */

import type { CodePage } from './code-cache';

/** Geometry of the data TLBs (const enum: inlined into the interpreter's hot loop). */
export const enum TlbGeom {
  BITS = 10,
  SIZE = 1 << BITS,
  MASK = SIZE - 1,
  /** int32 per data-TLB entry: [tagLo, tagHi, ram offset, unused]. */
  STRIDE = 4,
  /** The data TLB index of `lo` as an offset into DataTlb.e: `(lo >>> SHIFT) & IMASK`. */
  SHIFT = 12 - 2,
  IMASK = MASK * STRIDE,
  /** A slot's span in DataTlb.e (the interpreter's dBase = dataIdx × SLOT). */
  SLOT = SIZE * STRIDE,
}
const TLB_SIZE = TlbGeom.SIZE;

/** Kinds of MMU index (the effective privilege of an access, with SUM for S). */
export const enum MmuIdx {
  U = 0,
  S = 1,
  S_SUM = 2,
  M = 3,
}

/** Address spaces whose translations stay cached (see the header). */
export const TLB_BANKS = 8;
const DATA_SLOTS = 3 * TLB_BANKS + 1;
/** Entries of the translated slots (all banks): dropped by SFENCE.VMA. */
const TRANSLATED = 3 * TLB_BANKS * TLB_SIZE;

/** The data TLB slot of MMU index kind `kind` in bank `bank` (dataTlbIndex(slot, lo) finds an entry in it). */
export function dataSlot(kind: number, bank: number): number {
  return kind === MmuIdx.M ? 3 * TLB_BANKS : 3 * bank + kind;
}

/**
 * Where the entry for virtual address low word `lo` in data-TLB slot `slot` (dataSlot) starts in
 * DataTlb.e. The interpreter loop (exec.ts) and generated blocks (jit-gen.ts) compute the same
 * inline, from a slot base (dataIdx × TlbGeom.SLOT) they keep.
 */
export function dataTlbIndex(slot: number, lo: number): number {
  return slot * TlbGeom.SLOT + ((lo >>> TlbGeom.SHIFT) & TlbGeom.IMASK);
}

export class DataTlb {
  /**
   * The entries, TlbGeom.STRIDE int32 each, entry i at STRIDE × i: tagLo (the page's low word,
   * -1 when invalid), tagHi, the page's byte offset in guest RAM; dataTlbIndex finds an entry.
   */
  readonly e = new Int32Array(DATA_SLOTS * TLB_SIZE * TlbGeom.STRIDE).fill(-1);
  /**
   * Per RAM page (ramOff >>> 12): 1 if an entry may map it (set by set(), cleared by flushAll and
   * by flushRamPage), so flushRamPage scans the DATA_SLOTS × TLB_SIZE entries only when it can
   * find something (it runs each time a page becomes a code page). Grows with the pages seen.
   */
  private mapped = new Uint8Array(0);

  /** tlb_set_page: map the page of (lo, hi) for slot `idx` (dataSlot) to RAM page offset `ramOff`. */
  set(idx: number, lo: number, hi: number, ramOff: number): void {
    const i = dataTlbIndex(idx, lo);
    const e = this.e;
    e[i] = lo & ~0xfff;
    e[i + 1] = hi;
    e[i + 2] = ramOff;
    const pg = ramOff >>> 12;
    if (pg >= this.mapped.length) this.growMapped(pg);
    this.mapped[pg] = 1;
  }

  private growMapped(pg: number): void {
    const m = new Uint8Array(Math.max(pg + 1, this.mapped.length * 2));
    m.set(this.mapped);
    this.mapped = m;
  }

  /** tlb_flush: drop every translated entry of every bank (M-mode's identity entries stay valid). */
  flushTranslated(): void {
    this.e.fill(-1, 0, TRANSLATED * TlbGeom.STRIDE);
  }

  /** Drop the entries of one bank (it is given to another address space). */
  flushBank(bank: number): void {
    this.e.fill(-1, 3 * bank * TlbGeom.SLOT, 3 * (bank + 1) * TlbGeom.SLOT);
  }

  flushAll(): void {
    this.e.fill(-1);
    this.mapped.fill(0);
  }

  /** tlb_flush_page: drop the entries of one virtual page in every slot. */
  flushPage(lo: number, hi: number): void {
    const tag = lo & ~0xfff;
    const e = this.e;
    for (let idx = 0; idx < DATA_SLOTS; idx++) {
      const i = dataTlbIndex(idx, lo);
      if (e[i] === tag && e[i + 1] === hi) e[i] = -1;
    }
  }

  /** Drop every entry mapping RAM page offset `ramOff`. */
  flushRamPage(ramOff: number): void {
    const pg = ramOff >>> 12;
    if (pg >= this.mapped.length || this.mapped[pg] === 0) return;
    this.mapped[pg] = 0;
    const e = this.e;
    for (let i = 0; i < e.length; i += TlbGeom.STRIDE) {
      if (e[i + 2] === ramOff && e[i] !== -1) e[i] = -1;
    }
  }

  /** Indexes of the valid entries that map RAM page offset `ramOff` (tests, debugging). */
  entriesOf(ramOff: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.e.length; i += TlbGeom.STRIDE) if (this.e[i] !== -1 && this.e[i + 2] === ramOff) out.push(i / TlbGeom.STRIDE);
    return out;
  }
}

/** Fetch slots: 2b (U) and 2b+1 (S) for bank b, then M. */
const FETCH_SLOTS = 2 * TLB_BANKS + 1;
export const enum FetchGeom {
  SIZE = 1024,
  MASK = SIZE - 1,
}
const FETCH_SIZE = FetchGeom.SIZE;
const FETCH_MASK = FetchGeom.MASK;

/** The fetch TLB slot for privilege `priv` (0 U, 1 S, 3 M) in bank `bank`. */
export function fetchSlot(priv: number, bank: number): number {
  return priv === 3 ? 2 * TLB_BANKS : 2 * bank + priv;
}

export class FetchTlb {
  readonly tagLo = new Int32Array(FETCH_SLOTS * FETCH_SIZE).fill(1);
  readonly tagHi = new Int32Array(FETCH_SLOTS * FETCH_SIZE);
  readonly pages: (CodePage | null)[] = new Array<CodePage | null>(FETCH_SLOTS * FETCH_SIZE).fill(null);

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

  /** Drop the translated (U and S) entries of every bank. */
  flushTranslated(): void {
    this.tagLo.fill(1, 0, 2 * TLB_BANKS * FETCH_SIZE);
  }

  flushBank(bank: number): void {
    this.tagLo.fill(1, 2 * bank * FETCH_SIZE, 2 * (bank + 1) * FETCH_SIZE);
  }

  flushAll(): void {
    this.tagLo.fill(1);
  }

  flushPage(lo: number, hi: number): void {
    const tag = lo & ~0xfff;
    for (let f = 0; f < FETCH_SLOTS; f++) {
      const i = f * FETCH_SIZE + ((lo >>> 12) & FETCH_MASK);
      if (this.tagLo[i] === tag && this.tagHi[i] === hi) this.tagLo[i] = 1;
    }
  }
}

/**
 * Which bank holds which address space: up to TLB_BANKS satp values, the least recently selected
 * one given away when a new one comes.
 */
export class TlbBanks {
  private readonly keys: (string | null)[] = new Array<string | null>(TLB_BANKS).fill(null);
  private readonly used = new Float64Array(TLB_BANKS);
  private clock = 0;

  /** The bank of address space `key`; `fresh` is set when it was (re)assigned and must be flushed. */
  select(key: string): { bank: number; fresh: boolean } {
    this.clock++;
    let lru = 0;
    for (let b = 0; b < TLB_BANKS; b++) {
      if (this.keys[b] === key) {
        this.used[b] = this.clock;
        return { bank: b, fresh: false };
      }
      if (this.used[b] < this.used[lru]) lru = b;
    }
    this.keys[lru] = key;
    this.used[lru] = this.clock;
    return { bank: lru, fresh: true };
  }

  /** Forget every assignment (the TLBs are being flushed whole). */
  reset(): void {
    this.keys.fill(null);
    this.used.fill(0);
  }
}
