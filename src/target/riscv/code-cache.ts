/**
 * The decode cache: predecoded instructions per physical RAM page, shared by all harts of one
 * AddressSpace (QEMU's analogue is the TB cache with its per-page TB lists and SMC detection).
 *
 * A CodePage holds, for each of the 2048 halfword slots of a 4 KiB page, the packed op word and
 * the immediate of the instruction starting there (ops.ts), or 0 when not decoded yet. Slots are
 * decoded lazily the first time they execute.
 *
 * Coherence contract (QEMU's TCG keeps code coherent with every write; so do we):
 *  - CPU stores: a page that holds decoded code is never entered in any hart's store TLB, so every
 *    store to it takes the slow path, which clears the overlapping slots (`invalidateRange`).
 *    Creating a CodePage removes its physical page from every registered hart's store TLB.
 *  - DMA and loaders writing RAM behind the CPU's back (virtio, worker threads, debuggers) must call
 *    `RiscvCpu.invalidateCode(paddr, len)` (which lands here) before the guest executes the bytes.
 *  - FENCE.I (and SBI remote fence.i) flushes everything (`flushAll`): a safety net for writers
 *    that forgot to invalidate, cheap because decoding is lazy.
 * Instructions that straddle a page boundary are never cached (their second half's mapping can
 * change independently); instruction fetches from MMIO (ROM) are not cached either.
 */

import type { AddressSpace } from '../../system/memory';

export const PAGE_SLOTS = 2048;

export class CodePage {
  /** ops[2*slot] = packed word (0 = not decoded), ops[2*slot+1] = imm. */
  readonly ops = new Int32Array(PAGE_SLOTS * 2);
  /** CodeCache.epoch when last validated; a stale page is cleared before use. */
  epoch: number;
  constructor(
    /** Byte offset of the page in guest RAM. */
    readonly ramOff: number,
    epoch: number,
  ) {
    this.epoch = epoch;
  }
}

/** What a hart registers so the cache can keep its store TLB free of code pages. */
export interface CodeCacheClient {
  /** Drop store-TLB entries (all MMU indexes) that map RAM page offset `ramOff`. */
  tlbFlushStoreRamPage(ramOff: number): void;
}

export class CodeCache {
  /** CodePage by RAM page number ((paddr - ram.base) >> 12); undefined = not a code page. */
  readonly pages: (CodePage | undefined)[];
  /** Bumped by flushAll; pages with an older epoch are cleared lazily on next use. */
  epoch = 1;
  private readonly clients: CodeCacheClient[] = [];

  constructor(readonly ramSize: number) {
    this.pages = new Array<CodePage | undefined>(ramSize >>> 12).fill(undefined);
  }

  addClient(c: CodeCacheClient): void {
    this.clients.push(c);
  }

  /** The CodePage for a RAM page offset, created on first use (evicting it from store TLBs). */
  getPage(ramOff: number): CodePage {
    const pn = ramOff >>> 12;
    let p = this.pages[pn];
    if (p === undefined) {
      p = new CodePage(ramOff, this.epoch);
      this.pages[pn] = p;
      for (const c of this.clients) c.tlbFlushStoreRamPage(ramOff);
    } else if (p.epoch !== this.epoch) {
      p.ops.fill(0);
      p.epoch = this.epoch;
    }
    return p;
  }

  /** True when RAM page offset `ramOff` holds (possibly stale) decoded code. */
  isCodePage(ramOff: number): boolean {
    return this.pages[ramOff >>> 12] !== undefined;
  }

  /**
   * Forget decoded instructions overlapping RAM bytes [ramOff, ramOff+len): the slots that start
   * in the range and the one starting 2 bytes before it (a 32-bit instruction overlapping it).
   */
  invalidateRange(ramOff: number, len: number): void {
    if (len <= 0) return;
    let start = ramOff - 2;
    if (start < 0) start = 0;
    const end = Math.min(ramOff + len, this.ramSize);
    while (start < end) {
      const pn = start >>> 12;
      const pageEnd = (pn + 1) * 4096;
      const stop = end < pageEnd ? end : pageEnd;
      const p = this.pages[pn];
      if (p !== undefined) {
        const a = (start & 4095) & ~1;
        const b = ((stop - 1) & 4095) | 1;
        if (a === 0 && b === 4095) p.ops.fill(0);
        else p.ops.fill(0, a, b + 1);
      }
      start = stop;
    }
  }

  /** FENCE.I: every decoded instruction becomes stale. */
  flushAll(): void {
    this.epoch++;
  }
}

const caches = new WeakMap<AddressSpace, CodeCache>();

/** The cache shared by all harts on `as`. */
export function codeCacheFor(as: AddressSpace): CodeCache {
  let c = caches.get(as);
  if (c === undefined) {
    c = new CodeCache(as.ram.size);
    caches.set(as, c);
  }
  return c;
}
