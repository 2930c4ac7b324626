/**
 * Running the vCPUs: all harts round-robin on the emulator thread, as QEMU's single-threaded TCG
 * (accel/tcg/tcg-accel-ops-rr.c, rr_cpu_thread_fn) does. Between slices the loop brings timers up
 * to date, lets devices poll their host side (console input), and asks the owner whether to stop.
 * When every running hart waits in WFI, the thread sleeps until the next timer deadline or until
 * input arrives (the host idles instead of spinning) — but only if no hart has work by then: the
 * timers and the poll run after the harts, so they may just have raised an interrupt that ends a
 * hart's WFI (QEMU's rr loop re-checks cpu_has_work before it waits, all_cpu_threads_idle).
 *
 * Debugger stops (breakpoints, watchpoints, steps, Ctrl-C) go through `RunHooks.onStop`, which
 * blocks in the debug channel until a front end resumes (./debug-channel.ts, docs/stops.md).
 *
 * DMA by other threads: an iothread (virtio-blk dataplane) that wrote guest RAM marks the pages in
 * the RAM's CodeDirtyMap before it publishes the completion; before every round (and every single
 * step) the loop drops the decoded code of those pages (GuestRam.takeRemoteInvalidations: one
 * Atomics.load when nothing was marked), so a guest that reads code from disk into a page it ran
 * before executes the new bytes. The interrupt announcing the completion is raised by the main
 * loop (hooks.poll) after a round, so the guest's handler runs in a later round, after the check.
 * A guest that polls the used ring instead sees the completion within the round: the FENCE.I it
 * must execute before running the new code takes the marks too (target/riscv/code-cache.ts).
 *
 * Contract: everything here runs on the emulator thread. `RunTarget` is implemented by the
 * machine; `RunHooks` by whoever owns the thread (the worker entry, or a test).
 */
import type { RiscvHart, StopReason } from '../target/riscv/cpu-api';
import type { GuestRam } from './memory';

export interface RunTarget {
  readonly harts: readonly RiscvHart[];
  /** Bring time-driven device state up to date (comparators → MTIP/STIP). */
  updateTimers(): void;
  /** Host milliseconds until the next timer deadline; Infinity when none is armed. */
  msUntilNextDeadline(): number;
  /** The address space whose RAM other threads may DMA into (see the header); absent: none. */
  readonly as?: { readonly ram: GuestRam };
}

export interface RunHooks {
  /** Called after every round: deliver input, flush output, process control messages. */
  poll(): void;
  /** Block the thread for at most `ms` (or until input/control wakes it). */
  idle(ms: number): void;
  /** Return a value to leave the loop with it, or undefined to go on. Checked after every round. */
  shouldExit(): RunExit | undefined;
  /**
   * A hart stopped for a debugger reason (breakpoint, watchpoint, a finished step, interrupted).
   * Return 'resume' when the stop was handled (a debugger blocked the thread until a front end
   * resumed it) and the loop goes on; return nothing to leave the loop with `{kind:'stopped'}`.
   */
  onStop?(hart: RiscvHart, reason: StopReason): 'resume' | void;
  /** Checked after every round (and while a step waits): a front end asked to stop (Ctrl-C). */
  interruptRequested?(): boolean;
  /**
   * Checked before every round: the index of a hart a debugger asked to single-step, consumed.
   * That hart executes one instruction while no other hart runs, then `onStop(hart, stepped)`.
   * A hart waiting in WFI lets time, devices and the main loop go on (still no other hart) until
   * it takes an interrupt: the step is then the trap entry.
   */
  takeStep?(): number | undefined;
  /**
   * Checked before every round: instructions per hart for this round, when shorter than the
   * default (QEMU's main loop runs beside the vCPUs; here it runs between rounds, so a completion
   * that another thread signals waits for the round to end: rounds are short while I/O is in flight).
   */
  slice?(): number | undefined;
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

const STOP_INTERRUPTED: StopReason = Object.freeze({ kind: 'interrupted' });

/** rr_cpu_thread_fn: run the harts until the hooks say stop. */
export function runRoundRobin(target: RunTarget, hooks: RunHooks, opts: RunOptions = {}): RunExit {
  const slice = opts.slice ?? 100_000;
  const maxIdleMs = opts.maxIdleMs ?? 50;
  const limit = opts.maxInstructions ?? Infinity;
  const harts = target.harts;
  const ram = target.as?.ram ?? null;
  let executed = 0;
  /** The hart that ran last: an interrupt (Ctrl-C) is reported on it. */
  let current = 0;
  /** A debugger's single step in progress (the hart waits in WFI for an interrupt). */
  let stepping: number | undefined;
  const stop = (hart: RiscvHart, reason: StopReason): RunExit | undefined =>
    hooks.onStop?.(hart, reason) === 'resume' ? undefined : { kind: 'stopped', hart: hart.hartId, reason };
  const sleep = (idleHarts: readonly RiscvHart[]) => {
    if (anyHartHasWork(idleHarts)) return;
    const ms = Math.min(target.msUntilNextDeadline(), maxIdleMs);
    if (ms > 0) hooks.idle(ms);
    target.updateTimers();
  };
  for (;;) {
    if (ram !== null) ram.takeRemoteInvalidations();
    const s = hooks.takeStep?.();
    if (s !== undefined && s >= 0 && s < harts.length) stepping = s;
    if (stepping !== undefined) {
      const hart = harts[stepping];
      const before = hart.instret;
      const r = hart.step();
      executed += hart.instret - before;
      if (r.kind !== 'wfi') {
        current = stepping;
        stepping = undefined;
        const e = stop(hart, r);
        if (e !== undefined) return e;
        continue;
      }
      target.updateTimers();
      hooks.poll();
      const exit = hooks.shouldExit();
      if (exit !== undefined) return exit;
      if (hooks.interruptRequested?.()) {
        stepping = undefined;
        const e = stop(hart, STOP_INTERRUPTED);
        if (e !== undefined) return e;
        continue;
      }
      sleep([hart]);
      continue;
    }
    let anyRunning = false;
    const roundSlice = hooks.slice?.() ?? slice;
    for (let i = 0; i < harts.length; i++) {
      const hart = harts[i];
      if (hart.halted) continue;
      current = i;
      const before = hart.instret;
      const reason = hart.run(roundSlice);
      executed += hart.instret - before;
      if (reason.kind === 'budget') anyRunning = true;
      else if (reason.kind !== 'wfi') {
        const e = stop(hart, reason);
        if (e !== undefined) return e;
        anyRunning = true;
      }
      // Harts share one thread: a reservation must not survive another hart's slice
      // (an LR on one hart, a store on another, then the first one's SC must fail).
      if (harts.length > 1) hart.clearReservation();
      // A step asked for during that stop runs before any other hart.
      if (reason.kind !== 'budget' && reason.kind !== 'wfi') {
        const s = hooks.takeStep?.();
        if (s !== undefined && s >= 0 && s < harts.length) {
          stepping = s;
          break;
        }
      }
    }
    target.updateTimers();
    hooks.poll();
    const exit = hooks.shouldExit();
    if (exit !== undefined) return exit;
    if (hooks.interruptRequested?.()) {
      const e = stop(harts[current], STOP_INTERRUPTED);
      if (e !== undefined) return e;
      continue;
    }
    if (executed >= limit) return { kind: 'budget' };
    if (!anyRunning && stepping === undefined) sleep(harts);
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
