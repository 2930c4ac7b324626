/**
 * Running the vCPUs: all harts round-robin on the emulator thread, as QEMU's single-threaded TCG
 * (accel/tcg/tcg-accel-ops-rr.c, rr_cpu_thread_fn) does. Between slices the loop brings timers up
 * to date, lets devices poll their host side (console input), and asks the owner whether to stop.
 * When every running hart waits in WFI, the thread sleeps until the next timer deadline or until
 * input arrives (the host idles instead of spinning) — but only if no hart has work by then: the
 * timers and the poll run after the harts, so they may just have raised an interrupt that ends a
 * hart's WFI (QEMU's rr loop re-checks cpu_has_work before it waits, all_cpu_threads_idle).
 *
 * Contract: everything here runs on the emulator thread. `RunTarget` is implemented by the
 * machine; `RunHooks` by whoever owns the thread (the worker entry, or a test).
 */
import type { RiscvHart, StopReason } from '../target/riscv/cpu-api';

export interface RunTarget {
  readonly harts: readonly RiscvHart[];
  /** Bring time-driven device state up to date (comparators → MTIP/STIP). */
  updateTimers(): void;
  /** Host milliseconds until the next timer deadline; Infinity when none is armed. */
  msUntilNextDeadline(): number;
}

export interface RunHooks {
  /** Called after every round: deliver input, flush output, process control messages. */
  poll(): void;
  /** Block the thread for at most `ms` (or until input/control wakes it). */
  idle(ms: number): void;
  /** Return a value to leave the loop with it, or undefined to go on. Checked after every round. */
  shouldExit(): RunExit | undefined;
  /** A hart stopped for a debugger reason (breakpoint, watchpoint, interrupted). */
  onStop?(hart: RiscvHart, reason: StopReason): void;
}

export type RunExit =
  | { kind: 'poweroff'; code: number }
  | { kind: 'reset' }
  | { kind: 'quit' }
  | { kind: 'budget' }
  | { kind: 'stopped'; hart: number; reason: StopReason };

export interface RunOptions {
  /** Instructions per hart per round (QEMU's rr uses a time slice; we count instructions). */
  slice?: number;
  /** Stop after this many instructions in total (tests and benchmarks); default unlimited. */
  maxInstructions?: number;
  /** Longest single sleep, so control messages are seen even without a wake-up (ms). */
  maxIdleMs?: number;
}

/** rr_cpu_thread_fn: run the harts until the hooks say stop. */
export function runRoundRobin(target: RunTarget, hooks: RunHooks, opts: RunOptions = {}): RunExit {
  const slice = opts.slice ?? 100_000;
  const maxIdleMs = opts.maxIdleMs ?? 50;
  const limit = opts.maxInstructions ?? Infinity;
  const harts = target.harts;
  let executed = 0;
  for (;;) {
    let anyRunning = false;
    for (let i = 0; i < harts.length; i++) {
      const hart = harts[i];
      if (hart.halted) continue;
      const before = hart.instret;
      const reason = hart.run(slice);
      executed += hart.instret - before;
      if (reason.kind === 'budget') anyRunning = true;
      else if (reason.kind !== 'wfi') {
        hooks.onStop?.(hart, reason);
        return { kind: 'stopped', hart: hart.hartId, reason };
      }
      // Harts share one thread: a reservation must not survive another hart's slice
      // (an LR on one hart, a store on another, then the first one's SC must fail).
      if (harts.length > 1) hart.clearReservation();
    }
    target.updateTimers();
    hooks.poll();
    const exit = hooks.shouldExit();
    if (exit !== undefined) return exit;
    if (executed >= limit) return { kind: 'budget' };
    if (!anyRunning && !anyHartHasWork(harts)) {
      const ms = Math.min(target.msUntilNextDeadline(), maxIdleMs);
      if (ms > 0) hooks.idle(ms);
      target.updateTimers();
    }
  }
}

const CSR_MIE = 0x304;
const CSR_MIP = 0x344;

/**
 * cpu_has_work (riscv_cpu_has_work) for every hart that is not halted: an interrupt is pending and
 * enabled in mie, so WFI ends (global enables and delegation do not matter for the wake-up,
 * privileged spec §3.3.3). Checked only when the loop is about to sleep.
 */
export function anyHartHasWork(harts: readonly RiscvHart[]): boolean {
  for (const h of harts) {
    if (h.halted) continue;
    const mip = h.getCsr(CSR_MIP);
    const mie = h.getCsr(CSR_MIE);
    if (mip !== undefined && mie !== undefined && (mip & mie) !== 0n) return true;
  }
  return false;
}
