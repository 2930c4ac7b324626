/**
 * The trace side of the RISC-V target's observation points (src/target/riscv/trace-hooks.ts):
 * QEMU's trap names for the riscv_trap tracepoint.
 */
export { cpuTraceHooks, type CpuTraceHooks, type TrapHart } from '../target/riscv/trace-hooks';

/** riscv_excp_names / riscv_intr_names of QEMU target/riscv/cpu.c (riscv_cpu_get_trap_name). */
const EXCEPTIONS = [
  'misaligned_fetch', 'fault_fetch', 'illegal_instruction', 'breakpoint', 'misaligned_load', 'fault_load',
  'misaligned_store', 'fault_store', 'user_ecall', 'supervisor_ecall', 'hypervisor_ecall', 'machine_ecall',
  'exec_page_fault', 'load_page_fault', 'reserved', 'store_page_fault', 'reserved', 'reserved', 'reserved',
  'reserved', 'guest_exec_page_fault', 'guest_load_page_fault', 'reserved', 'guest_store_page_fault',
];
const INTERRUPTS = [
  'u_software', 's_software', 'vs_software', 'm_software', 'u_timer', 's_timer', 'vs_timer', 'm_timer',
  'u_external', 's_external', 'vs_external', 'm_external', 'reserved', 'reserved', 'reserved', 'reserved',
];

/** QEMU's riscv_cpu_get_trap_name: the trap's name, or "(unknown)". */
export function trapName(cause: number, async: boolean): string {
  const names = async ? INTERRUPTS : EXCEPTIONS;
  return cause >= 0 && cause < names.length ? names[cause] : '(unknown)';
}
