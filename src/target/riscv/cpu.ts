/**
 * One RV64IMAFDC hart with M, S and U modes (QEMU's RISCVCPU / CPURISCVState for the default
 * `rv64` CPU of `-M virt`), implementing the RiscvHart contract of cpu-api.ts.
 *
 * Representation (see int64.ts and ops.ts):
 *  - Integer registers: an Int32Array of (lo, hi) int32 pairs, x[2i] = low word, x[2i+1] = high
 *    word; two extra slots (64, 65) are the sink that predecoded writes to x0 go to. `x` is the
 *    64-entry view the FPU contract (fpu/state.ts FpState) requires.
 *  - FP registers: one 256-byte ArrayBuffer viewed as Float64Array `f` and Int32Array `fi`.
 *  - pc: a JS number holding the *signed* 64-bit value (0xffffffff80000000 is -2^31), exact for
 *    |pc| < 2^53, which covers every canonical Sv39/Sv48 address and all of physical memory. A
 *    jump to an address outside ±2^52 (which can only fault) stores the exact target in
 *    farPcLo/farPcHi and sets pc to FarPc.VALUE, so mepc/mtval stay exact.
 *  - 64-bit CSRs: (lo, hi) pairs in `csr64`; mstatus/mie/mip/mideleg/medeleg are plain int32
 *    (all their writable bits live in the low word).
 *
 * The interpreter loop is exec.ts (cpu_exec), with exec-system.ts for the rare ops and jit.ts
 * compiling hot blocks to JS; slow paths: ldst.ts (memory), mmu.ts (page walks), csr.ts, trap.ts,
 * atomics.ts; the decode cache is code-cache.ts; warmup.ts primes V8 once per process.
 *
 * Where this hart knowingly differs from `qemu-system-riscv64 -M virt` (7.2, default `rv64`):
 *  - QEMU's default rv64 also has H, Zba/Zbb/Zbc/Zbs, Sstc, Sv57 and Sdtrig triggers; this hart is
 *    RV64IMAFDC + Zicsr/Zifencei with Sv39/Sv48 (compare with `-cpu rv64,h=false`).
 *  - Where QEMU 7.2 departs from the privileged spec 1.12, the spec wins: MRET/SRET to a lower
 *    mode clear MPRV; xepc[0] reads 0; mstatus.UXL/SXL are read-only 2 and MPV/GVA absent;
 *    interrupt priority MEI > MSI > MTI > SEI > SSI > STI (QEMU 7.2 takes the lowest number);
 *    only implemented interrupts/exceptions are delegable (mideleg 0x222, medeleg 0xb3ff); MPP=2 is
 *    ignored; misaligned SC/AMO raise store/AMO-misaligned (QEMU: cause 4, or SC silently fails);
 *    S-mode never executes U pages, even after loading from them with SUM.
 *  - Counter-enable registers and mcountinhibit are 32 bits; menvcfg/senvcfg hold FIOM only;
 *    mhpmcounter3..31/mhpmevent3..31 read zero; no triggers (tdata1 reads 0); marchid/mimpid 0.
 *  - PMP CSRs are stored (WARL, locking honoured) but not enforced, and MRET to S/U does not
 *    require a PMP rule (QEMU 7.2 raises illegal-instruction then).
 *  - cycle/instret count retired instructions (QEMU without icount uses host ticks).
 *  - Interrupts raised by an MMIO store are taken before the next instruction (QEMU: at the end
 *    of the translation block); stores into the instruction stream take effect immediately.
 *  - The TLBs keep the translations of the last few address spaces (tlb.ts banks, as an
 *    ASID-tagged TLB would) across satp writes, and SFENCE.VMA with an address drops only that
 *    page (or a superpage holding it); QEMU 7.2 flushes everything on both. Software that fences
 *    as the privileged spec asks sees no difference.
 */

import type { AddressSpace } from '../../system/memory';
import type { EcallHandler, ExecHooks, RiscvHart, StopReason, Watchpoint } from './cpu-api';
import { Priv } from './cpu-api';
import { CodeCache, codeCacheFor, type CodeCacheClient } from './code-cache';
import { Mstatus, Access } from './cpu-bits';
import { DataTlb, FetchTlb, MmuIdx, TlbBanks, dataSlot, fetchSlot } from './tlb';
import { pairToBigInt, setBigInt } from './int64';
import { CsrSlot, csr_read, csr_write } from './csr';
import { cpu_exec } from './exec';
import { cpu_exec_hooked, exec_hooks_changed } from './exec-hooks';
import { Ev, FarPc, STOP_STEPPED, STOP_WFI } from './events';
import { get_physical_address } from './mmu';
import type { FpState } from './fpu';
import { warmUpInterpreter } from './warmup';

const TWO32 = 4294967296;

export interface RiscvCpuOptions {
  hartId: number;
  as: AddressSpace;
  /** mtime in timebase ticks (10 MHz on virt), a double. Read by the `time` CSR. */
  getTime: () => number;
  /** Skip the once-per-process interpreter warm-up (used by the warm-up itself). Default true. */
  warmup?: boolean;
}

export class RiscvCpu implements RiscvHart, FpState, CodeCacheClient {
  readonly hartId: number;
  readonly as: AddressSpace;
  readonly getTime: () => number;

  // ---- guest RAM views (QEMU: the RAMBlock host pointer) ----
  readonly ramBase: number;
  readonly ramSize: number;
  readonly ramU8: Uint8Array;
  readonly ramI8: Int8Array;
  readonly ramU16: Uint16Array;
  readonly ramI16: Int16Array;
  readonly ramI32: Int32Array;
  readonly ramView: DataView;

  // ---- architectural state ----
  /** Integer registers plus the x0 sink (66 int32). Internal: use getGpr/setGpr from outside. */
  readonly xr: Int32Array;
  /** FpState: the 32 integer registers as 64 int32 (a view of xr). */
  readonly x: Int32Array;
  readonly f: Float64Array;
  readonly fi: Int32Array;
  fflags = 0;
  frm = 0;
  /** Signed pc (see header). Valid between instructions / in slow paths; the loop keeps its own copy. */
  pc = 0;
  farPcLo = 0;
  farPcHi = 0;
  priv: Priv = Priv.M;

  /** mstatus low word (the high word is the constant UXL = SXL = 2; SD is computed on read). */
  mstatus = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  /** mip as software sees it: hardware-driven bits, software-written bits, SEIP = sw | hw. */
  mip = 0;
  /** The software-writable SEIP bit and the PLIC's SEIP line (privileged spec §3.1.9). */
  seipSw = false;
  seipHw = false;
  mcounteren = 0;
  scounteren = 0;
  mcountinhibit = 0;
  menvcfg = 0;
  senvcfg = 0;
  /** 64-bit CSRs as (lo, hi) pairs, indexed by CsrSlot × 2. */
  readonly csr64 = new Int32Array(CsrSlot.COUNT * 2);
  /** pmpcfg0 and pmpcfg2 as 16 config bytes. */
  readonly pmpcfg = new Uint8Array(16);

  // ---- counters: value = base + (retired - mark) unless inhibited ----
  /** Instructions retired since construction, up to the start of the current run() slice. */
  retired = 0;
  readonly cycleBase = new Int32Array(2);
  cycleMark = 0;
  readonly instretBase = new Int32Array(2);
  instretMark = 0;

  // ---- translation state derived from priv/mstatus/satp (updateMmuState) ----
  /** Data TLB slot (tlb.ts dataSlot) for loads/stores: effective privilege after MPRV, with SUM, in the current bank. */
  dataIdx: number = dataSlot(MmuIdx.M, 0);
  /** Effective privilege for loads/stores. */
  dataPriv: Priv = Priv.M;
  /** Fetch index: 0 U, 1 S, 2 M. */
  fetchIdx = fetchSlot(Priv.M, 0);
  /** satp.MODE (0, 8, 9) and the root page table's physical address. */
  vmMode = 0;
  satpRoot = 0;

  readonly rtlb = new DataTlb();
  readonly wtlb = new DataTlb();
  readonly ftlb = new FetchTlb();
  /** The TLB bank of the current address space (satp value), and the bank assignments. */
  tlbBank = 0;
  readonly tlbBanks = new TlbBanks();
  /** Superpage regions the TLBs may hold pieces of since the last full flush (mmu.ts superRegionKey). */
  readonly superRegions = new Set<number>();
  readonly codeCache: CodeCache;

  // ---- LR/SC reservation (QEMU: load_res / load_val) ----
  resValid = false;
  resLo = 0;
  resHi = 0;
  resValLo = 0;
  resValHi = 0;

  // ---- run-loop bookkeeping ----
  /** Ev bits: something changed that the loop must look at before the next instruction. */
  events = 0;
  stopReason: StopReason | null = null;
  /** Loop iterations (instructions + trap entries) of the current run() so far; synced at slow calls. */
  runN = 0;
  /** Of those, how many did not retire (trap entries, faulting instructions). */
  runNonRetired = 0;
  /** WFI executed and no interrupt pending yet. */
  wfiWaiting = false;

  // ---- scratch results of slow paths ----
  /** Where a compiled block continues (byte offset from its page's virtual base). */
  jitNext = 0;
  ldLo = 0;
  ldHi = 0;
  /** Fetch state published by fetch_page: the page's virtual base and its breakpoint flag. */
  fetchVBase = 0;
  fetchBp = false;
  /** Physical address of the page being fetched from when it is not RAM (ROM through MMIO). */
  fetchPagePa = 0;

  // ---- debug ----
  readonly bpSet = new Set<number>();
  readonly bpPages = new Map<number, number>();
  readonly watchpoints: { id: number; start: number; end: number; type: Watchpoint['type'] }[] = [];
  readonly wpPages = new Map<number, number>();
  /** pc of the last breakpoint stop (run() steps over it once), NaN if none. */
  lastBpPc = NaN;
  /** pc of the last read-watchpoint stop (the access is let through once on resume), NaN if none. */
  lastWpPc = NaN;
  /** lastWpPc as of the start of the current run() slice. */
  wpResumePc = NaN;

  ecallHandler: EcallHandler | null = null;
  /** Plugin instrumentation (cpu-api.ts ExecHooks, exec-hooks.ts); null: the normal path. */
  execHooks: ExecHooks | null = null;
  halted = false;
  /** step() leaves pending interrupts for the next run (QEMU's default SSTEP_NOIRQ). */
  stepMasksInterrupts = true;

  constructor(opts: RiscvCpuOptions) {
    // Once per process: give the interpreter loop type feedback for every op (warmup.ts).
    if (opts.warmup !== false) warmUpCpu();
    this.hartId = opts.hartId;
    this.as = opts.as;
    this.getTime = opts.getTime;
    const ram = opts.as.ram;
    this.ramBase = ram.base;
    this.ramSize = ram.size;
    this.ramU8 = ram.u8;
    this.ramU16 = ram.u16;
    this.ramI32 = ram.i32;
    this.ramI8 = new Int8Array(ram.buffer);
    this.ramI16 = new Int16Array(ram.buffer);
    this.ramView = ram.view;
    this.xr = new Int32Array(66);
    this.x = new Int32Array(this.xr.buffer, 0, 64);
    const fbuf = new ArrayBuffer(256);
    this.f = new Float64Array(fbuf);
    this.fi = new Int32Array(fbuf);
    this.codeCache = codeCacheFor(opts.as);
    this.codeCache.addClient(this);
    // Fields the board sets after construction: make them mutable for V8 right away, so optimized
    // code does not depend on their first value (a later store would deoptimize it).
    this.ecallHandler = () => false;
    this.ecallHandler = null;
    this.reset(0x1000n);
  }

  // ======================= running =======================

  run(budget: number): StopReason {
    if (this.halted) return STOP_WFI;
    if (this.wfiWaiting) {
      if ((this.mip & this.mie) === 0) return STOP_WFI;
      this.wfiWaiting = false;
    }
    return this.execHooks === null ? cpu_exec(this, budget, false) : cpu_exec_hooked(this, budget, false);
  }

  /**
   * One instruction. As QEMU's gdbstub steps by default (SSTEP_NOIRQ), interrupts are not taken
   * during the step: the instruction at pc runs, and a pending interrupt is taken by the next
   * run() (or step() with stepMasksInterrupts false), so stepping stays in the code being read
   * instead of landing in the trap vector at every timer tick.
   */
  step(): StopReason {
    if (this.halted) return STOP_WFI;
    if (this.wfiWaiting) {
      if ((this.mip & this.mie) === 0) return STOP_WFI;
      this.wfiWaiting = false;
    }
    const irq = this.stepMasksInterrupts ? this.events & Ev.IRQ : 0;
    this.events &= ~irq;
    const r = this.execHooks === null ? cpu_exec(this, 1, true) : cpu_exec_hooked(this, 1, true);
    this.events |= irq; // evaluated again when the hart next runs
    return r.kind === 'budget' || r.kind === 'wfi' ? STOP_STEPPED : r;
  }

  setExecHooks(hooks: ExecHooks | null): void {
    this.execHooks = hooks;
    exec_hooks_changed(this, hooks);
    // With a mem hook every access must reach tlb_fill_data: nothing stays in the fast TLBs.
    this.rtlb.flushAll();
    this.wtlb.flushAll();
    this.events |= Ev.CTX;
  }

  requestStop(): void {
    this.events |= Ev.STOP;
  }

  get instret(): number {
    return this.retired + this.runN - this.runNonRetired;
  }

  // ======================= board side =======================

  setInterruptPending(mask: number, level: boolean): void {
    // SEIP from hardware is OR-ed with the software-writable bit (privileged spec §3.1.9).
    if (mask & (1 << 9)) {
      this.seipHw = level;
      mask &= ~(1 << 9);
      if (level || this.seipSw) this.mip |= 1 << 9;
      else this.mip &= ~(1 << 9);
    }
    if (level) this.mip |= mask;
    else this.mip &= ~mask;
    this.events |= Ev.IRQ;
  }

  /** Forget decoded instructions for guest-physical bytes [paddr, paddr+len) written behind the CPU's back (DMA, loaders). */
  invalidateCode(paddr: number, len: number): void {
    let off = paddr - this.ramBase;
    let end = off + len;
    if (off < 0) off = 0;
    if (end > this.ramSize) end = this.ramSize;
    if (end > off) this.codeCache.invalidateRange(off, end - off);
  }

  /**
   * FENCE.I on behalf of someone else (SBI remote fence.i). Same effect as the instruction: the
   * decode cache is coherent with CPU stores already; pages other threads' DMA marked are dropped
   * and pages are re-checked against their content (code-cache.ts fenceI, checkFence). To drop
   * decoded code for bytes written by DMA on this thread, use invalidateCode.
   */
  flushIcache(): void {
    this.codeCache.fenceI();
    this.events |= Ev.CTX;
  }

  /** SFENCE.VMA on behalf of someone else (SBI remote sfence.vma): drop all cached translations. */
  tlbFlush(): void {
    this.rtlb.flushTranslated();
    this.wtlb.flushTranslated();
    this.ftlb.flushTranslated();
    this.superRegions.clear();
    this.events |= Ev.CTX;
  }

  /** SFENCE.VMA of one address (trap.ts helper_tlb_flush): drop that 4 KiB page's translations. */
  tlbFlushPage(lo: number, hi: number): void {
    this.rtlb.flushPage(lo, hi);
    this.wtlb.flushPage(lo, hi);
    this.ftlb.flushPage(lo, hi);
    this.events |= Ev.CTX;
  }

  /** Clear the LR reservation (the machine calls this when it switches harts). */
  clearReservation(): void {
    this.resValid = false;
  }

  /** CodeCacheClient: a page became a code page; stores to it must take the slow path. */
  tlbFlushStoreRamPage(ramOff: number): void {
    this.wtlb.flushRamPage(ramOff);
  }

  /** CodeCacheClient: decoded code changed; a compiled block in flight stops after this instruction. */
  codeChanged(): void {
    this.events |= Ev.CTX;
  }

  reset(pc: bigint): void {
    this.xr.fill(0);
    this.fi.fill(0);
    this.fflags = 0;
    this.frm = 0;
    this.priv = Priv.M;
    this.mstatus = 0;
    this.medeleg = 0;
    this.mideleg = 0;
    this.mie = 0;
    this.mip &= ~0x222; // software bits; hardware lines keep their level
    this.seipSw = false;
    if (this.seipHw) this.mip |= 1 << 9;
    this.mcounteren = 0;
    this.scounteren = 0;
    this.mcountinhibit = 0;
    this.menvcfg = 0;
    this.senvcfg = 0;
    this.csr64.fill(0);
    this.pmpcfg.fill(0);
    this.resValid = false;
    this.wfiWaiting = false;
    this.halted = false;
    this.vmMode = 0;
    this.satpRoot = 0;
    this.rtlb.flushAll();
    this.wtlb.flushAll();
    this.ftlb.flushAll();
    this.superRegions.clear();
    this.tlbBanks.reset();
    this.tlbBank = this.tlbBanks.select('0:0').bank;
    this.updateMmuState();
    this.setPc(pc);
    this.events |= Ev.CTX | Ev.IRQ;
  }

  // ======================= internal helpers =======================

  /** Recompute the MMU indexes after a change of priv or mstatus (QEMU: riscv_cpu_mmu_index). */
  updateMmuState(): void {
    const ms = this.mstatus;
    let dp = this.priv;
    if (dp === Priv.M && ms & Mstatus.MPRV) dp = ((ms >>> Mstatus.MPP_SHIFT) & 3) as Priv;
    this.dataPriv = dp;
    this.dataIdx = dataSlot(dp === Priv.M ? MmuIdx.M : dp === Priv.S ? (ms & Mstatus.SUM ? MmuIdx.S_SUM : MmuIdx.S) : MmuIdx.U, this.tlbBank);
    const fetchIdx = fetchSlot(this.priv, this.tlbBank);
    this.events |= fetchIdx === this.fetchIdx ? Ev.DATA : Ev.CTX;
    this.fetchIdx = fetchIdx;
  }

  /**
   * satp changed: translate with the TLB bank of the new address space (tlb.ts), flushing the
   * bank first if it was given to it just now.
   */
  selectTlbBank(): void {
    const s = CsrSlot.SATP * 2;
    const { bank, fresh } = this.tlbBanks.select(`${this.csr64[s]}:${this.csr64[s + 1]}`);
    if (fresh) {
      this.rtlb.flushBank(bank);
      this.wtlb.flushBank(bank);
      this.ftlb.flushBank(bank);
    }
    this.tlbBank = bank;
    this.updateMmuState();
    this.events |= Ev.CTX;
  }

  /** Re-derive vmMode/satpRoot from satp (after a satp write). */
  updateSatp(): void {
    const lo = this.csr64[CsrSlot.SATP * 2];
    const hi = this.csr64[CsrSlot.SATP * 2 + 1];
    this.vmMode = hi >>> 28;
    // PPN = satp[43:0]
    this.satpRoot = ((hi & 0xfff) * TWO32 + (lo >>> 0)) * 4096;
  }

  /** The pc as (lo, hi) into out[d], out[d+1]. */
  pcPair(out: Int32Array, d: number): void {
    const pc = this.pc;
    if (pc === FarPc.VALUE) {
      out[d] = this.farPcLo;
      out[d + 1] = this.farPcHi;
    } else {
      out[d] = pc | 0;
      out[d + 1] = Math.floor(pc / TWO32) | 0;
    }
  }

  /** Set pc from a (lo, hi) pair, bit 0 cleared by the caller where the ISA says so. */
  setPcPair(lo: number, hi: number): void {
    if (hi >= -0x100000 && hi < 0x100000) this.pc = hi * TWO32 + (lo >>> 0);
    else {
      this.pc = FarPc.VALUE;
      this.farPcLo = lo;
      this.farPcHi = hi;
    }
  }

  // ======================= registers (debug API) =======================

  setPriv(p: Priv): void {
    if (p !== Priv.U && p !== Priv.S && p !== Priv.M) throw new Error(`invalid privilege level ${p}`);
    this.priv = p;
    this.resValid = false;
    this.updateMmuState();
    this.events |= Ev.IRQ;
  }

  getPc(): bigint {
    const t = new Int32Array(2);
    this.pcPair(t, 0);
    return pairToBigInt(t[0], t[1]);
  }

  setPc(pc: bigint): void {
    const t = new Int32Array(2);
    setBigInt(t, 0, pc);
    this.setPcPair(t[0] & ~1, t[1]);
    this.events |= Ev.CTX;
  }

  getGpr(i: number): bigint {
    checkReg(i);
    return pairToBigInt(this.xr[2 * i], this.xr[2 * i + 1]);
  }

  setGpr(i: number, v: bigint): void {
    checkReg(i);
    if (i !== 0) setBigInt(this.xr, 2 * i, v);
  }

  getFpr(i: number): bigint {
    checkReg(i);
    return pairToBigInt(this.fi[2 * i], this.fi[2 * i + 1]);
  }

  setFpr(i: number, v: bigint): void {
    checkReg(i);
    setBigInt(this.fi, 2 * i, v);
  }

  getCsr(csr: number): bigint | undefined {
    const t = new Int32Array(2);
    if (!csr_read(this, csr, t, true)) return undefined;
    return pairToBigInt(t[0], t[1]);
  }

  setCsr(csr: number, v: bigint): boolean {
    const t = new Int32Array(2);
    if (!csr_read(this, csr, t, true)) return false;
    setBigInt(t, 0, v);
    csr_write(this, csr, t[0], t[1], true);
    return true;
  }

  // ======================= memory (debug API) =======================

  translate(vaddr: bigint, access: 'fetch' | 'load' | 'store'): bigint | undefined {
    const pa = this.debugTranslate(vaddr, access === 'fetch' ? Access.FETCH : access === 'store' ? Access.STORE : Access.LOAD);
    return pa < 0 ? undefined : BigInt(pa);
  }

  private debugTranslate(vaddr: bigint, access: Access): number {
    const t = new Int32Array(2);
    setBigInt(t, 0, vaddr);
    const mode = access === Access.FETCH ? this.priv : this.dataPriv;
    return get_physical_address(this, t[0], t[1], access, mode, true);
  }

  readVirt(vaddr: bigint, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const va = vaddr + BigInt(done);
      const pa = this.debugTranslate(va, Access.LOAD);
      if (pa < 0) return undefined;
      const n = Math.min(len - done, 4096 - (pa & 4095));
      if (!this.as.readPhys(pa, out.subarray(done, done + n))) return undefined;
      done += n;
    }
    return out;
  }

  writeVirt(vaddr: bigint, data: Uint8Array): boolean {
    let done = 0;
    while (done < data.length) {
      const va = vaddr + BigInt(done);
      const pa = this.debugTranslate(va, Access.LOAD);
      if (pa < 0) return false;
      const n = Math.min(data.length - done, 4096 - (pa & 4095));
      if (!this.as.writePhys(pa, data.subarray(done, done + n))) return false;
      this.invalidateCode(pa, n);
      done += n;
    }
    return true;
  }

  // ======================= breakpoints and watchpoints =======================

  addBreakpoint(pc: bigint): void {
    const k = signedKey(pc);
    if (this.bpSet.has(k)) return;
    this.bpSet.add(k);
    const pg = Math.floor(k / 4096);
    this.bpPages.set(pg, (this.bpPages.get(pg) ?? 0) + 1);
    this.events |= Ev.CTX;
  }

  removeBreakpoint(pc: bigint): void {
    const k = signedKey(pc);
    if (!this.bpSet.delete(k)) return;
    const pg = Math.floor(k / 4096);
    const c = (this.bpPages.get(pg) ?? 1) - 1;
    if (c <= 0) this.bpPages.delete(pg);
    else this.bpPages.set(pg, c);
    this.events |= Ev.CTX;
  }

  addWatchpoint(wp: Watchpoint): void {
    this.removeWatchpoint(wp.id);
    const start = signedKey(wp.addr);
    const end = start + Math.max(1, wp.len);
    this.watchpoints.push({ id: wp.id, start, end, type: wp.type });
    for (let pg = Math.floor(start / 4096); pg <= Math.floor((end - 1) / 4096); pg++) {
      this.wpPages.set(pg, (this.wpPages.get(pg) ?? 0) + 1);
    }
    // Watched pages must leave the fast TLBs so every access to them is checked.
    this.rtlb.flushAll();
    this.wtlb.flushAll();
    this.events |= Ev.CTX;
  }

  removeWatchpoint(id: number): void {
    const i = this.watchpoints.findIndex((w) => w.id === id);
    if (i < 0) return;
    const w = this.watchpoints[i];
    this.watchpoints.splice(i, 1);
    for (let pg = Math.floor(w.start / 4096); pg <= Math.floor((w.end - 1) / 4096); pg++) {
      const c = (this.wpPages.get(pg) ?? 1) - 1;
      if (c <= 0) this.wpPages.delete(pg);
      else this.wpPages.set(pg, c);
    }
  }
}

function checkReg(i: number): void {
  if (!Number.isInteger(i) || i < 0 || i > 31) throw new RangeError(`register index ${i} out of range`);
}

/** A 64-bit address as the signed double the interpreter compares pcs/addresses with. */
function signedKey(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** Give the interpreter loop type feedback for every op, once per thread (warmup.ts). */
export function warmUpCpu(): void {
  warmUpInterpreter((as) => new RiscvCpu({ hartId: 0, as, getTime: () => 0, warmup: false }));
}
