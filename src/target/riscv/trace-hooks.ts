/**
 * Observation points of the RISC-V target for the cpu.trace-events tracepoints:
 * trap entry, exceptions and interrupts alike (QEMU's trace_riscv_trap in riscv_cpu_do_interrupt,
 * target/riscv/cpu_helper.c). src/trace/attach-machine.ts installs the hook while riscv_trap is on (the target knows
 * nothing of tracing beyond this object, as src/util/trace-hooks.ts for the I/O path).
 *
 * Contract (as src/util/trace-hooks.ts):
 * - The hook is `null` by default. The call site reads it once and tests it, so a disabled
 *   tracepoint costs one load and one predictable branch and computes no argument:
 *
 *     const th = cpuTraceHooks.riscv_trap;
 *     if (th !== null) th(cpu, cause, async, tvalLo, tvalHi);
 *
 *   in riscv_cpu_do_interrupt (trap.ts), after the ECALL cause is resolved to the
 *   current mode and before any state changes (so the hart's pc is still the trap's epc), as QEMU
 *   calls trace_riscv_trap.
 * - It runs synchronously on the emulator thread, must not throw, and changes nothing.
 */

/** What the hook reads of the hart (RiscvCpu has both). */
export interface TrapHart {
  readonly hartId: number;
  /** The pc: at the call, the trap's epc. */
  getPc(): bigint;
}

export interface CpuTraceHooks {
  /**
   * riscv_cpu_do_interrupt is about to take trap `cause` on `cpu` (`async`: an interrupt, else an
   * exception; ECALL already resolved to U/S/M); `tvalLo`/`tvalHi` are the 32-bit halves of the
   * value going to mtval/stval.
   */
  riscv_trap: ((cpu: TrapHart, cause: number, async: boolean, tvalLo: number, tvalHi: number) => void) | null;
}

export const cpuTraceHooks: CpuTraceHooks = { riscv_trap: null };
