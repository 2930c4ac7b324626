/**
 * The instrumented run loop (cpu-api.ts ExecHooks: the CPU side of plugins' instruction and
 * memory callbacks). RiscvCpu.run()/step() come here instead of cpu_exec only while hooks are set;
 * otherwise nothing here runs and the interpreter and its compiled blocks are untouched.
 *
 * One loop iteration per cpu_exec call (budget 1): an instruction, or an interrupt entry. Before
 * an iteration that will execute the instruction at pc — no stop pending, no interrupt about to
 * be taken (riscv_cpu_local_irq_pending, the test cpu_exec makes), no breakpoint about to stop,
 * the fetch translates — the insn hook gets its virtual pc and physical address. The mem hook is
 * called from ldst.ts tlb_fill_data, which every data access reaches while it is set (the
 * setExecHooks caller flushes the fast TLBs and tlb_fill_data enters nothing in them).
 *
 * Compiled blocks: while any hart of the thread has hooks, the JIT's thresholds are 0 (nothing new
 * is compiled); blocks longer than one instruction never run under budget 1. The thresholds come
 * back when the last hart drops its hooks.
 */
import type { ExecHooks, StopReason } from './cpu-api';
import type { RiscvCpu } from './cpu';
import { Access } from './cpu-bits';
import { cpu_exec } from './exec';
import { Ev, FarPc, STOP_BUDGET } from './events';
import { getJitThresholds, setJitThreshold } from './jit';
import { get_physical_address } from './mmu';
import { riscv_cpu_local_irq_pending } from './trap';

const TWO32 = 4294967296;
const hooked = new Set<RiscvCpu>();
let savedThresholds: [number, number] | null = null;

/** RiscvCpu.setExecHooks's bookkeeping: the JIT is off while any hart of this thread is hooked. */
export function exec_hooks_changed(cpu: RiscvCpu, hooks: ExecHooks | null): void {
  if (hooks !== null) hooked.add(cpu);
  else hooked.delete(cpu);
  if (hooked.size > 0 && savedThresholds === null) {
    savedThresholds = getJitThresholds();
    setJitThreshold(0, 0);
  } else if (hooked.size === 0 && savedThresholds !== null) {
    setJitThreshold(savedThresholds[0], savedThresholds[1]);
    savedThresholds = null;
  }
}

/** Physical address of the instruction at cpu.pc, or -1 when its fetch faults. No side effect. */
function fetch_paddr(cpu: RiscvCpu): number {
  const pc = cpu.pc;
  if (pc === FarPc.VALUE) return -1;
  const lo = pc | 0;
  const hi = Math.floor(pc / TWO32) | 0;
  const page = cpu.ftlb.lookup(cpu.fetchIdx, lo, hi);
  if (page !== null && page.ramOff >= 0) return cpu.ramBase + page.ramOff + (lo & 4095);
  return get_physical_address(cpu, lo, hi, Access.FETCH, cpu.priv, true);
}

/** Will the next cpu_exec iteration execute the instruction at pc? */
function executes_next(cpu: RiscvCpu, stepping: boolean): boolean {
  const ev = cpu.events;
  if ((ev & Ev.STOP) !== 0) return false;
  if ((ev & Ev.IRQ) !== 0 && riscv_cpu_local_irq_pending(cpu) >= 0) return false;
  return !(cpu.bpSet.size !== 0 && cpu.bpSet.has(cpu.pc) && !stepping && cpu.lastBpPc !== cpu.pc);
}

/** cpu_exec with the hooks: up to `budget` iterations, one per call. */
export function cpu_exec_hooked(cpu: RiscvCpu, budget: number, stepping: boolean): StopReason {
  let r: StopReason = STOP_BUDGET;
  for (let n = 0; n < budget; n++) {
    const hooks = cpu.execHooks;
    // Hooks removed by a callback: the rest of the budget on the normal path.
    if (hooks === null) return cpu_exec(cpu, budget - n, stepping && n === 0);
    const first = stepping && n === 0;
    const insn = hooks.insn;
    if (insn !== null && executes_next(cpu, first)) {
      const pa = fetch_paddr(cpu);
      if (pa >= 0) insn(cpu, cpu.pc, pa);
    }
    r = cpu_exec(cpu, 1, first);
    if (r.kind !== 'budget') return r;
  }
  return r;
}
