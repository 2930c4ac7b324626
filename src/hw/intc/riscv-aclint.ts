/**
 * RISC-V ACLINT in the SiFive CLINT layout, as QEMU's hw/intc/riscv_aclint.c wires it on `virt`
 * (RISC-V ACLINT spec v1.0; SiFive FU540-C000 manual ch. 9 for the legacy CLINT layout):
 *
 *   base + 0x0000  MSWI    msip[hart]                  4 bytes each (bit 0 = MSIP)
 *   base + 0x4000  MTIMER  mtimecmp[hart] at 8*hart    two 32-bit halves (lo, hi)
 *                          mtime at 0x7ff8             two 32-bit halves (0xbff8 from base)
 *
 * mtime counts at the timebase frequency (10 MHz on virt) from the virtual clock, plus a
 * guest-written offset (QEMU's time_delta). A comparator whose mtimecmp <= mtime raises MTIP;
 * writing mtimecmp re-evaluates the line at once (lowering it when the new value is in the future),
 * as riscv_aclint_mtimer_write_timecmp does. 8-byte accesses arrive split into two 4-byte ones,
 * low word first (src/system/memory.ts); the transient value between them is never visible to the
 * hart, which samples interrupts only between instructions.
 *
 * Time does not push itself: the run loop calls `update()` between slices (QEMU's timer callback
 * riscv_aclint_mtimer_cb) and sleeps at most `nextDeadlineNs()` when all harts wait in WFI.
 * Other comparators on the same clock (the built-in SBI's supervisor timer, driving STIP) are
 * registered with `addComparator` so one update/deadline covers them all.
 */
import type { MemoryRegion } from '../../system/memory';
import { registerTableOps, type RegisterTable } from '../core/register-table';

/** What the ACLINT drives: a hart's hardware-owned mip bits (RiscvHart.setInterruptPending). */
export interface InterruptTarget {
  setInterruptPending(mask: number, level: boolean): void;
}

export const RISCV_ACLINT_SWI_SIZE = 0x4000;
export const RISCV_ACLINT_DEFAULT_MTIMER_SIZE = 0x8000;
export const RISCV_ACLINT_DEFAULT_MTIMECMP = 0x0;
export const RISCV_ACLINT_DEFAULT_MTIME = 0x7ff8;
export const RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ = 10_000_000;

const MIP_MSIP = 1 << 3;
const MIP_MTIP = 1 << 7;
const TWO32 = 4294967296;

/** 64-bit unsigned value from two 32-bit halves, as a double (exact below 2^53, larger is "never"). */
const u64 = (lo: number, hi: number) => hi * TWO32 + lo;
const lo32 = (v: number) => ((v % TWO32) + TWO32) % TWO32;
const hi32 = (v: number) => lo32(Math.floor(v / TWO32));

/** MSWI: one msip register per hart (riscv_aclint_swi_read/write). */
export class AclintSwi {
  readonly region: MemoryRegion;
  readonly table: RegisterTable;
  private readonly msip: Uint8Array;

  constructor(private readonly harts: readonly InterruptTarget[], onGuestError?: (msg: string) => void) {
    this.msip = new Uint8Array(harts.length);
    this.table = registerTableOps(
      'riscv.aclint.swi',
      [
        {
          offset: 0,
          size: 4,
          name: 'msip',
          count: harts.length,
          read: (i) => this.msip[i],
          write: (v, i) => this.setMsip(i, (v & 1) !== 0),
        },
      ],
      onGuestError,
    );
    this.region = { name: 'riscv.aclint.swi', size: RISCV_ACLINT_SWI_SIZE, ops: this.table.ops };
  }

  private setMsip(hart: number, level: boolean): void {
    this.msip[hart] = level ? 1 : 0;
    this.harts[hart].setInterruptPending(MIP_MSIP, level);
  }

  reset(): void {
    for (let i = 0; i < this.harts.length; i++) this.setMsip(i, false);
  }
}

/**
 * One "fire when mtime >= value" comparator driving one mip bit of one hart. The line stays high
 * once fired until `set` writes a value in the future (QEMU: the timer callback only raises).
 */
export class TimerComparator {
  /** Compare value in timebase ticks (a double; values >= 2^53 never fire in practice). */
  value = Number.POSITIVE_INFINITY;
  level = false;

  constructor(
    private readonly mtimer: AclintMtimer,
    readonly target: InterruptTarget,
    readonly mask: number,
  ) {}

  /** Program the compare value and re-evaluate the line now (riscv_aclint_mtimer_write_timecmp). */
  set(value: number): void {
    this.value = value;
    this.setLevel(value <= this.mtimer.mtime());
  }

  /** Disarm without a write from the guest (reset): line low, never fires. */
  disarm(): void {
    this.value = Number.POSITIVE_INFINITY;
    this.setLevel(false);
  }

  setLevel(level: boolean): void {
    this.level = level;
    this.target.setInterruptPending(this.mask, level);
  }
}

/** MTIMER: mtime and one mtimecmp per hart (riscv_aclint_mtimer_read/write). */
export class AclintMtimer {
  readonly region: MemoryRegion;
  readonly table: RegisterTable;
  /** mtimecmp per hart as written (two halves), so reads return exactly what was written. */
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  /** The MTIP comparators, one per hart, then any added with addComparator. */
  private readonly comparators: TimerComparator[] = [];
  /** Guest-written offset added to the raw clock (QEMU's time_delta), in ticks. */
  private timeDelta = 0;

  constructor(
    harts: readonly InterruptTarget[],
    readonly timebaseFreq: number,
    /** Virtual clock in ns (QEMU_CLOCK_VIRTUAL). */
    private readonly clockNs: () => number,
    onGuestError?: (msg: string) => void,
  ) {
    const n = harts.length;
    this.cmpLo = new Uint32Array(n);
    this.cmpHi = new Uint32Array(n);
    for (const h of harts) this.comparators.push(new TimerComparator(this, h, MIP_MTIP));
    const t = RISCV_ACLINT_DEFAULT_MTIME;
    this.table = registerTableOps(
      'riscv.aclint.mtimer',
      [
        { offset: 0, size: 4, stride: 8, count: n, name: 'mtimecmp_lo', read: (i) => this.cmpLo[i], write: (v, i) => this.writeTimecmp(i, v, this.cmpHi[i]) },
        { offset: 4, size: 4, stride: 8, count: n, name: 'mtimecmp_hi', read: (i) => this.cmpHi[i], write: (v, i) => this.writeTimecmp(i, this.cmpLo[i], v) },
        { offset: t, size: 4, name: 'mtime_lo', read: () => lo32(this.mtime()), write: (v) => this.writeTime(u64(v, hi32(this.mtime()))) },
        { offset: t + 4, size: 4, name: 'mtime_hi', read: () => hi32(this.mtime()), write: (v) => this.writeTime(u64(lo32(this.mtime()), v)) },
      ],
      onGuestError,
    );
    this.region = { name: 'riscv.aclint.mtimer', size: RISCV_ACLINT_DEFAULT_MTIMER_SIZE, ops: this.table.ops };
  }

  /** Raw ticks of the virtual clock (cpu_riscv_read_rtc_raw). */
  private rtcRaw(): number {
    return Math.floor((this.clockNs() * this.timebaseFreq) / 1e9);
  }

  /** mtime in ticks (cpu_riscv_read_rtc): what the `time` CSR reads. Any caller, machine thread. */
  mtime(): number {
    return this.rtcRaw() + this.timeDelta;
  }

  /** mtimecmp of `hart` as a double. */
  mtimecmp(hart: number): number {
    return u64(this.cmpLo[hart], this.cmpHi[hart]);
  }

  private writeTimecmp(hart: number, lo: number, hi: number): void {
    this.cmpLo[hart] = lo;
    this.cmpHi[hart] = hi;
    this.comparators[hart].set(u64(lo, hi));
  }

  private writeTime(value: number): void {
    this.timeDelta = value - this.rtcRaw();
    // Every comparator is re-evaluated against the new time, as QEMU rewrites each timecmp.
    for (const c of this.comparators) if (c.value !== Number.POSITIVE_INFINITY || c.level) c.set(c.value);
  }

  /**
   * Another comparator on this timer's clock (the built-in SBI's supervisor timer: mask STIP).
   * Starts disarmed. Covered by update() and nextDeadlineNs().
   */
  addComparator(target: InterruptTarget, mask: number): TimerComparator {
    const c = new TimerComparator(this, target, mask);
    this.comparators.push(c);
    return c;
  }

  /** Raise every line whose comparator has been reached. Run loop, between slices and after idling. */
  update(): void {
    const now = this.mtime();
    for (const c of this.comparators) if (!c.level && c.value <= now) c.setLevel(true);
  }

  /** Virtual ns from now until the earliest pending comparator fires: 0 if overdue, Infinity if none. */
  nextDeadlineNs(): number {
    const now = this.mtime();
    let ticks = Number.POSITIVE_INFINITY;
    for (const c of this.comparators) if (!c.level && c.value - now < ticks) ticks = c.value - now;
    if (ticks <= 0) return 0;
    // 2^53 ticks is 28 years at 10 MHz: such a comparator (e.g. -1, "disabled") never fires.
    return ticks < 2 ** 53 ? Math.ceil((ticks * 1e9) / this.timebaseFreq) : Number.POSITIVE_INFINITY;
  }

  /** Device reset (riscv_aclint_mtimer_reset_enter): mtime = 0, comparators 0 (fire at once, as QEMU's zeroed timecmp). */
  reset(): void {
    this.timeDelta = -this.rtcRaw();
    this.cmpLo.fill(0);
    this.cmpHi.fill(0);
    const n = this.cmpLo.length;
    this.comparators.forEach((c, i) => (i < n ? c.set(0) : c.disarm()));
  }
}

/** The `virt` board's CLINT: MSWI at base, MTIMER at base + 0x4000 (QEMU's two ACLINT devices). */
export class SifiveClint {
  readonly swi: AclintSwi;
  readonly mtimer: AclintMtimer;

  constructor(harts: readonly InterruptTarget[], timebaseFreq: number, clockNs: () => number, onGuestError?: (msg: string) => void) {
    this.swi = new AclintSwi(harts, onGuestError);
    this.mtimer = new AclintMtimer(harts, timebaseFreq, clockNs, onGuestError);
  }

  /** Map both parts: MSWI at `base`, MTIMER at `base + RISCV_ACLINT_SWI_SIZE`. */
  regions(base: number): Array<[number, MemoryRegion]> {
    return [
      [base, this.swi.region],
      [base + RISCV_ACLINT_SWI_SIZE, this.mtimer.region],
    ];
  }

  mtime(): number {
    return this.mtimer.mtime();
  }

  update(): void {
    this.mtimer.update();
  }

  nextDeadlineNs(): number {
    return this.mtimer.nextDeadlineNs();
  }

  reset(): void {
    this.swi.reset();
    this.mtimer.reset();
  }
}
