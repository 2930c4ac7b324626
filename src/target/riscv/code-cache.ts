/**
 * The decode cache: predecoded instructions per physical RAM page, shared by all harts of one
 * AddressSpace (QEMU's analogue is the TB cache with its per-page TB lists and SMC detection).
 *
 * A CodePage holds, for each of the 2048 halfword slots of a 4 KiB page, the packed op word and
 * the immediate of the instruction starting there (ops.ts), or 0 when not decoded yet. Slots are
 * decoded lazily the first time they execute.
 *
 * Coherence contract (QEMU's TCG keeps code coherent with every write; so do we):
 *  - CPU stores: a page that holds decoded code (CodePage.hasCode) is never entered in any hart's
 *    store TLB, so every store to it takes the slow path, which forgets all the page's decoded
 *    code and compiled blocks (`invalidateRange`). The page is data from then on: stores to it go
 *    through the store TLB again, until code runs from it again and `markCode` (called before any
 *    slot is decoded into a page) removes it from every registered hart's store TLB. (As QEMU
 *    stops tracking a page once its last translation block is gone: a page Linux freed after
 *    running code from it, e.g. init text, is reused as data and written all the time.)
 *  - DMA and loaders writing RAM behind the CPU's back (virtio, worker threads, debuggers) must call
 *    `RiscvCpu.invalidateCode(paddr, len)` (which lands here) before the guest executes the bytes.
 *  - DMA by other threads (an iothread's virtio-blk dataplane) cannot call invalidateCode: it marks
 *    the pages in the RAM's CodeDirtyMap (system/memory.ts), which the run loop takes before each
 *    vCPU round (system/cpus.ts) and FENCE.I takes at once (`fenceI`), so a guest that polls the
 *    used ring and executes FENCE.I before running what a device read runs the new bytes.
 *  - FENCE.I therefore needs no flush. As a safety net for DMA writers that forgot to call
 *    invalidateCode, each page entered after a FENCE.I has its content hash compared with the one
 *    taken when it was decoded (checkFence), and is forgotten if it changed. (Dropping everything
 *    on FENCE.I instead cost more than all other decode work: Linux executes it about a thousand
 *    times while booting.) The net has holes: a page a CPU store touched since its last check has
 *    no valid hash, so only the CodeDirtyMap covers DMA there. `flushAll` stays for callers that
 *    cannot say what changed.
 * Instructions that straddle a page boundary are never cached (their second half's mapping can
 * change independently); instruction fetches from MMIO (ROM) are not cached either.
 */

import type { AddressSpace, GuestRam } from '../../system/memory';

export const PAGE_SLOTS = 2048;

/**
 * A compiled block (jit.ts): executes a region of guest code from its head slot on (jit-region.ts;
 * looping while `left`, the instruction budget, allows) and returns how many instructions it
 * executed: k > 0 → continue at pageBase + cpu.jitNext; -k → continue at cpu.pc (exception, stop,
 * indirect jump out of the region).
 */
export type BlockFn = (cpu: unknown, x: Int32Array, pageBase: number, dBase: number, n0: number, left: number) => number;

/**
 * CodePage.blockCalls of a block whose calls are not counted any more (jit.ts jit_tier2). Below
 * 2^31, so the interpreter loop only ever reads int32 counts (a larger value once deoptimized it).
 */
export const BLOCK_CALLS_COUNTED = 0x7fffffff;

/** Invalidations after which a page stops getting compiled blocks (code and data mixed). */
const SMC_LIMIT = 32;

/** A page's block arrays before its first block (CodePage.blocks): all zero, never written. */
const NO_BLOCKS_U16 = new Uint16Array(PAGE_SLOTS);
const NO_BLOCKS_U32 = new Uint32Array(PAGE_SLOTS);
const NO_BLOCKS_U8 = new Uint8Array(PAGE_SLOTS);

export class CodePage {
  /**
   * ops[2*slot] = packed word (0 = not decoded), ops[2*slot+1] = imm. Bit 31 of the packed word
   * marks the head of a compiled block (blocks[slot]).
   */
  readonly ops = new Int32Array(PAGE_SLOTS * 2);
  /** CodeCache.epoch when last validated; a stale page is cleared before use. */
  epoch: number;
  /** How often execution landed on each slot (jump targets, block exits), up to the JIT threshold. */
  readonly heat = new Uint16Array(PAGE_SLOTS);
  /**
   * Compiled blocks by head slot (lazily made); per head: the most instructions the block runs
   * before it checks its budget (the caller only enters it with that many left), and the byte
   * range [blockLo, blockEnd) of the page its instructions lie in. These per-head arrays, and
   * blockCalls and blockTier, are the shared all-zero NO_BLOCKS_* until the page's first block
   * (most code pages never get one: 22 KB each saved); only heads with a block are written.
   */
  blocks: (BlockFn | undefined)[] | null = null;
  blockLen = NO_BLOCKS_U16;
  blockLo = NO_BLOCKS_U16;
  blockEnd = NO_BLOCKS_U16;
  /**
   * Calls of the block at each head since it was compiled (exec.ts counts them, up to its tier-2
   * threshold; then BLOCK_CALLS_COUNTED).
   */
  blockCalls = NO_BLOCKS_U32;
  /** Per head: 2 once the block there is the tier-2 recompile (jit.ts jit_tier2). */
  blockTier = NO_BLOCKS_U8;
  /**
   * Blocks waiting for V8's optimized code (jit-park.ts, "parked"), by head slot: 0 = not parked,
   * else 1 + the landings since. The head is not marked in `ops` meanwhile, so the interpreter
   * runs that code. null until a block of the page is first parked (then kept).
   */
  parked: Uint16Array | null = null;
  /** Head byte offsets of the live blocks. */
  heads: number[] = [];
  /** Invalidations seen; past SMC_LIMIT the page is left to the interpreter. */
  smc = 0;
  /**
   * Slots may be decoded (since the last time the page's code was forgotten): stores must take
   * the slow path. Set by CodeCache.markCode before a slot is decoded.
   */
  hasCode = false;
  /** FENCE.I safety net: the page's content hash, valid unless a CPU store changed it since. */
  sum = 0;
  sumValid = false;
  /** CodeCache.fenceGen when the hash was last checked. */
  fenceGen = 0;
  constructor(
    /** Byte offset of the page in guest RAM (-1 for the uncached MMIO stand-in). */
    readonly ramOff: number,
    epoch: number,
  ) {
    this.epoch = epoch;
    // Fields that change after construction: stored twice here so V8 tracks them as mutable from
    // the start (a first change later would deoptimize the interpreter loop, which reads them).
    this.blocks = null;
    this.parked = new Uint16Array(0);
    this.parked = null;
    this.blockLen = this.blockLo = this.blockEnd = new Uint16Array(0);
    this.blockLen = this.blockLo = this.blockEnd = NO_BLOCKS_U16;
    this.blockCalls = new Uint32Array(0);
    this.blockCalls = NO_BLOCKS_U32;
    this.blockTier = new Uint8Array(0);
    this.blockTier = NO_BLOCKS_U8;
    this.heads = [];
    this.smc = 0;
    this.hasCode = false;
    this.sumValid = false;
  }

  /** May blocks be compiled for this page? */
  jitAllowed(): boolean {
    return this.ramOff >= 0 && this.smc < SMC_LIMIT;
  }

  /** Record a compiled block at byte offset `head` covering bytes [lo, end) of the page. */
  addBlock(head: number, fn: BlockFn, len: number, lo: number, end: number): void {
    if (this.blocks === null) {
      this.blocks = new Array<BlockFn | undefined>(PAGE_SLOTS).fill(undefined);
      this.blockLen = new Uint16Array(PAGE_SLOTS);
      this.blockLo = new Uint16Array(PAGE_SLOTS);
      this.blockEnd = new Uint16Array(PAGE_SLOTS);
      this.blockCalls = new Uint32Array(PAGE_SLOTS);
      this.blockTier = new Uint8Array(PAGE_SLOTS);
    }
    const s = head >>> 1;
    this.blocks[s] = fn;
    this.blockLen[s] = len;
    this.blockLo[s] = lo;
    this.blockEnd[s] = end;
    this.blockCalls[s] = 0;
    this.blockTier[s] = 1;
    this.heads.push(head);
    this.ops[head] |= 0x80000000;
  }

  /**
   * Blocks of other pages that run code of this one (jit-region.ts): dropped whenever this page's
   * decoded code changes (the block's head slot counts landings from zero again).
   */
  private dependents: { page: CodePage; head: number; fn: BlockFn }[] = [];

  addDependent(page: CodePage, head: number, fn: BlockFn): void {
    this.dependents = this.dependents.filter((d) => d.page.blocks !== null && d.page.blocks[d.head >>> 1] === d.fn);
    this.dependents.push({ page, head, fn });
  }

  private dropDependents(): void {
    if (this.dependents.length === 0) return;
    for (const d of this.dependents) {
      if (d.page.blocks !== null && d.page.blocks[d.head >>> 1] === d.fn) d.page.dropBlockAt(d.head);
    }
    this.dependents = [];
  }

  /** Forget the block at byte offset `head`; landings there are counted from zero again. */
  dropBlockAt(head: number): void {
    const s = head >>> 1;
    if (this.blocks === null || this.blocks[s] === undefined) return;
    this.ops[head] &= 0x7fffffff;
    this.blocks[s] = undefined;
    this.heads = this.heads.filter((h) => h !== head);
    this.heat[s] = 0;
    this.unpark(head);
  }

  /** Mark the block at `head` parked (jit-park.ts), with no landings yet. */
  park(head: number): void {
    if (this.parked === null) this.parked = new Uint16Array(PAGE_SLOTS);
    this.parked[head >>> 1] = 1;
  }

  /** The block at `head` is no longer waited for (running, or dropped). */
  unpark(head: number): void {
    if (this.parked !== null) this.parked[head >>> 1] = 0;
  }

  /** Byte offsets of the heads parked now (tests, debugging). */
  parkedHeads(): number[] {
    const out: number[] = [];
    if (this.parked !== null) this.parked.forEach((v, s) => v !== 0 && out.push(s * 2));
    return out;
  }

  /** Forget every block overlapping byte offsets [a, b), and the other pages' blocks running code here. */
  dropBlocks(a: number, b: number): void {
    this.dropDependents();
    if (this.heads.length === 0) return;
    const keep: number[] = [];
    for (const h of this.heads) {
      const s = h >>> 1;
      if (this.blockLo[s] < b && this.blockEnd[s] > a) {
        this.ops[h] &= 0x7fffffff;
        this.blocks![s] = undefined;
        this.unpark(h);
      } else keep.push(h);
    }
    this.heads = keep;
  }

  /** Back to the freshly created state (all slots undecoded, no blocks). */
  clear(): void {
    this.dropDependents();
    this.hasCode = false;
    this.ops.fill(0);
    this.heat.fill(0);
    if (this.blocks !== null) this.blocks.fill(undefined);
    this.heads = [];
    if (this.parked !== null) this.parked.fill(0);
  }
}

/** What a hart registers so the cache can keep its store TLB free of code pages. */
export interface CodeCacheClient {
  /** Drop store-TLB entries (all MMU indexes) that map RAM page offset `ramOff`. */
  tlbFlushStoreRamPage(ramOff: number): void;
  /** Decoded code changed under the hart: it must look its current page up again. */
  codeChanged(): void;
}

export class CodeCache {
  /** CodePage by RAM page number ((paddr - ram.base) >> 12); undefined = not a code page. */
  readonly pages: (CodePage | undefined)[];
  /** Bumped by flushAll; pages with an older epoch are cleared lazily on next use. */
  epoch = 1;
  /** Bumped by FENCE.I: pages entered afterwards have their content hash checked (checkFence). */
  fenceGen = 1;
  private readonly clients: CodeCacheClient[] = [];

  constructor(readonly ramSize: number) {
    this.pages = new Array<CodePage | undefined>(ramSize >>> 12).fill(undefined);
    // Written twice on purpose: V8 then treats the field as mutable from the start instead of
    // constant-folding it into optimized code that a later flushAll() would deoptimize.
    this.epoch = 2;
    this.fenceGen = 2;
  }

  addClient(c: CodeCacheClient): void {
    this.clients.push(c);
  }

  /** The CodePage for a RAM page offset, created on first use. */
  getPage(ramOff: number): CodePage {
    const pn = ramOff >>> 12;
    let p = this.pages[pn];
    if (p === undefined) {
      p = new CodePage(ramOff, this.epoch);
      this.pages[pn] = p;
      if (this.ram !== null) {
        p.sum = pageHash(this.ram.i32, ramOff);
        p.sumValid = true;
      }
      p.fenceGen = this.fenceGen;
    } else if (p.epoch !== this.epoch) {
      p.clear();
      p.epoch = this.epoch;
    }
    return p;
  }

  /** True when RAM page offset `ramOff` holds (possibly stale) decoded code. */
  isCodePage(ramOff: number): boolean {
    const p = this.pages[ramOff >>> 12];
    return p !== undefined && p.hasCode;
  }

  /** A slot of `p` is about to be decoded: from now on stores to the page must take the slow path. */
  markCode(p: CodePage): void {
    if (p.hasCode || p.ramOff < 0) return;
    p.hasCode = true;
    for (const c of this.clients) c.tlbFlushStoreRamPage(p.ramOff);
  }

  /**
   * RAM bytes [ramOff, ramOff+len) were written: forget all decoded code and compiled blocks of
   * the pages they touch (and the blocks of other pages that run code of them). Those pages are
   * data from now on (hasCode false) until code runs from them again.
   */
  invalidateRange(ramOff: number, len: number): void {
    if (len <= 0) return;
    let touched = false;
    // A 32-bit instruction starting 2 bytes before the range overlaps it.
    const first = Math.max(0, ramOff - 2) >>> 12;
    const last = (Math.min(ramOff + len, this.ramSize) - 1) >>> 12;
    for (let pn = first; pn <= last; pn++) {
      const p = this.pages[pn];
      if (p === undefined || !p.hasCode) continue;
      p.dropBlocks(0, 4096);
      p.ops.fill(0);
      p.heat.fill(0);
      p.hasCode = false;
      p.smc++;
      p.sumValid = false;
      touched = true;
    }
    // A running block (or the interpreter's cached slot) may cover what changed.
    if (touched) for (const c of this.clients) c.codeChanged();
  }

  /** Every decoded instruction becomes stale (heavy: everything is decoded again). */
  flushAll(): void {
    this.epoch++;
  }

  /**
   * The RAM behind this cache (set by codeCacheFor): its int32 words for the FENCE.I content check,
   * its CodeDirtyMap, which other threads' DMA marks.
   */
  ram: GuestRam | null = null;

  /**
   * FENCE.I (the instruction, or SBI's remote fence.i): first drop the decoded code of pages other
   * threads' DMA marked (GuestRam.takeRemoteInvalidations, through the RAM's codeInvalidator;
   * one Atomics.load when none did), then pages entered from now on get their content checked
   * once (checkFence). CPUs' thread only, as every CodeCache method.
   */
  fenceI(): void {
    const r = this.ram;
    if (r !== null && r.codeDirty.pending()) r.takeRemoteInvalidations();
    this.fenceGen++;
  }

  /**
   * The FENCE.I safety net, for RAM written behind the CPU's back by someone who did not call
   * invalidateCode: when a page is first entered after a FENCE.I, hash its bytes; if they differ
   * from the hash taken when it was last known coherent, forget its decoded code. (Linux executes
   * FENCE.I before running freshly filled pages, e.g. program text read from disk by DMA.)
   */
  checkFence(p: CodePage): void {
    p.fenceGen = this.fenceGen;
    if (this.ram === null || p.ramOff < 0) return;
    const h = pageHash(this.ram.i32, p.ramOff);
    if (p.sumValid && h !== p.sum) {
      p.clear();
      for (const c of this.clients) c.codeChanged();
    }
    p.sum = h;
    p.sumValid = true;
  }
}

/** A cheap 32-bit hash of the 4 KiB page at RAM byte offset `ramOff`. */
function pageHash(ram: Int32Array, ramOff: number): number {
  let h = 0x811c9dc5;
  const end = (ramOff >>> 2) + 1024;
  for (let i = ramOff >>> 2; i < end; i++) h = Math.imul(h ^ ram[i], 0x01000193) ^ (h >>> 15);
  return h;
}

const caches = new WeakMap<AddressSpace, CodeCache>();

/** The cache shared by all harts on `as`. */
export function codeCacheFor(as: AddressSpace): CodeCache {
  let c = caches.get(as);
  if (c === undefined) {
    c = new CodeCache(as.ram.size);
    c.ram = as.ram;
    caches.set(as, c);
  }
  return c;
}
