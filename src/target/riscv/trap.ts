/**
 * Traps: exception and interrupt entry, xRET, WFI, SFENCE.VMA (privileged spec 1.12 §3.1.6.1,
 * §3.1.7–3.1.9, §3.3, §4.2.1; QEMU target/riscv/cpu_helper.c and op_helper.c, whose function
 * names these carry).
 */

import { Priv } from './cpu-api';
import type { RiscvCpu } from './cpu';
import { Excp, Mstatus } from './cpu-bits';
import { CsrSlot } from './csr';
import { Ev } from './events';
import { superRegionKey } from './mmu';
import { cpuTraceHooks } from './trace-hooks';

const epc = new Int32Array(2);

/**
 * riscv_cpu_set_mode: switch privilege. Clears the LR reservation on every switch, as QEMU does
 * (ISA 2.2 required it; later revisions let the kernel do it with an SC).
 */
export function riscv_cpu_set_mode(cpu: RiscvCpu, priv: Priv): void {
  cpu.priv = priv;
  cpu.resValid = false;
  cpu.updateMmuState();
  cpu.events |= Ev.IRQ;
}

/**
 * riscv_cpu_do_interrupt: take exception or interrupt `cause` at cpu.pc (privileged spec §3.1.6.1,
 * §3.1.8, §4.1.1). Delegated traps from S/U go to S-mode. `tval` is the (lo, hi) value for
 * mtval/stval: the faulting address, the instruction bits for illegal instructions, else 0.
 */
export function riscv_cpu_do_interrupt(cpu: RiscvCpu, cause: number, async: boolean, tvalLo: number, tvalHi: number): void {
  const priv = cpu.priv;
  // ECALL is raised as U_ECALL and dispatched on the current mode.
  if (!async && cause === Excp.U_ECALL) cause = Excp.U_ECALL + priv;
  const th = cpuTraceHooks.riscv_trap; // riscv_trap tracepoint (QEMU: trace_riscv_trap)
  if (th !== null) th(cpu, cause, async, tvalLo, tvalHi);
  const c64 = cpu.csr64;
  cpu.pcPair(epc, 0);
  const deleg = async ? cpu.mideleg : cpu.medeleg;
  let ms = cpu.mstatus;
  let vec: number;
  let target: Priv;
  if (priv <= Priv.S && (deleg >>> cause) & 1) {
    // Trap to S-mode.
    ms = ms & Mstatus.SIE ? ms | Mstatus.SPIE : ms & ~Mstatus.SPIE;
    ms = priv === Priv.S ? ms | Mstatus.SPP : ms & ~Mstatus.SPP;
    ms &= ~Mstatus.SIE;
    c64[CsrSlot.SCAUSE * 2] = cause;
    c64[CsrSlot.SCAUSE * 2 + 1] = async ? 0x80000000 | 0 : 0;
    c64[CsrSlot.SEPC * 2] = epc[0];
    c64[CsrSlot.SEPC * 2 + 1] = epc[1];
    c64[CsrSlot.STVAL * 2] = tvalLo;
    c64[CsrSlot.STVAL * 2 + 1] = tvalHi;
    vec = CsrSlot.STVEC;
    target = Priv.S;
  } else {
    // Trap to M-mode.
    ms = ms & Mstatus.MIE ? ms | Mstatus.MPIE : ms & ~Mstatus.MPIE;
    ms = (ms & ~Mstatus.MPP) | (priv << Mstatus.MPP_SHIFT);
    ms &= ~Mstatus.MIE;
    c64[CsrSlot.MCAUSE * 2] = cause;
    c64[CsrSlot.MCAUSE * 2 + 1] = async ? 0x80000000 | 0 : 0;
    c64[CsrSlot.MEPC * 2] = epc[0];
    c64[CsrSlot.MEPC * 2 + 1] = epc[1];
    c64[CsrSlot.MTVAL * 2] = tvalLo;
    c64[CsrSlot.MTVAL * 2 + 1] = tvalHi;
    vec = CsrSlot.MTVEC;
    target = Priv.M;
  }
  cpu.mstatus = ms;
  // xtvec: BASE, plus 4 × cause for interrupts in vectored mode (MODE = 1).
  const tlo = c64[vec * 2];
  const thi = c64[vec * 2 + 1];
  const base = tlo & ~3;
  const off = async && (tlo & 3) === 1 ? cause * 4 : 0;
  const lo = (base + off) | 0;
  const carry = lo >>> 0 < base >>> 0 ? 1 : 0;
  cpu.setPcPair(lo, (thi + carry) | 0);
  cpu.runNonRetired++;
  riscv_cpu_set_mode(cpu, target);
  cpu.events |= Ev.CTX;
}

/** riscv_raise_exception: take a synchronous exception at cpu.pc. Always returns false (for `return raise(...)`). */
export function raise_exception(cpu: RiscvCpu, cause: number, tvalLo: number, tvalHi: number): false {
  riscv_cpu_do_interrupt(cpu, cause, false, tvalLo, tvalHi);
  return false;
}

/** Highest-priority interrupt in `irqs` (privileged spec §3.1.9: MEI, MSI, MTI, SEI, SSI, STI). */
function riscv_cpu_pending_to_irq(irqs: number): number {
  if (irqs & (1 << 11)) return 11;
  if (irqs & (1 << 3)) return 3;
  if (irqs & (1 << 7)) return 7;
  if (irqs & (1 << 9)) return 9;
  if (irqs & (1 << 1)) return 1;
  return 5;
}

/**
 * riscv_cpu_local_irq_pending: the interrupt to take now, or -1. Interrupts for M-mode (not
 * delegated) are enabled below M or with mstatus.MIE; delegated ones below S or in S with SIE.
 * Non-delegated interrupts take precedence over delegated ones.
 */
export function riscv_cpu_local_irq_pending(cpu: RiscvCpu): number {
  const pending = cpu.mip & cpu.mie;
  if (pending === 0) return -1;
  const priv = cpu.priv;
  const ms = cpu.mstatus;
  const mEnabled = priv < Priv.M || (ms & Mstatus.MIE) !== 0;
  let irqs = mEnabled ? pending & ~cpu.mideleg : 0;
  if (irqs !== 0) return riscv_cpu_pending_to_irq(irqs);
  const sEnabled = priv < Priv.S || (priv === Priv.S && (ms & Mstatus.SIE) !== 0);
  irqs = sEnabled ? pending & cpu.mideleg : 0;
  if (irqs !== 0) return riscv_cpu_pending_to_irq(irqs);
  return -1;
}

/** riscv_cpu_exec_interrupt: take a pending enabled interrupt if there is one. */
export function riscv_cpu_exec_interrupt(cpu: RiscvCpu): boolean {
  const irq = riscv_cpu_local_irq_pending(cpu);
  if (irq < 0) return false;
  riscv_cpu_do_interrupt(cpu, irq, true, 0, 0);
  return true;
}

/** helper_mret (privileged spec §3.3.2). Sets cpu.pc; false if an exception was raised instead. */
export function helper_mret(cpu: RiscvCpu): boolean {
  if (cpu.priv < Priv.M) return raise_exception(cpu, Excp.ILLEGAL_INST, 0x30200073, 0);
  let ms = cpu.mstatus;
  const prev = ((ms >>> Mstatus.MPP_SHIFT) & 3) as Priv;
  ms = ms & Mstatus.MPIE ? ms | Mstatus.MIE : ms & ~Mstatus.MIE;
  ms |= Mstatus.MPIE;
  ms &= ~Mstatus.MPP; // MPP = U
  if (prev !== Priv.M) ms &= ~Mstatus.MPRV; // priv 1.12: xRET to a mode below M clears MPRV
  cpu.mstatus = ms;
  const c64 = cpu.csr64;
  cpu.setPcPair(c64[CsrSlot.MEPC * 2], c64[CsrSlot.MEPC * 2 + 1]);
  riscv_cpu_set_mode(cpu, prev);
  cpu.events |= Ev.CTX;
  return true;
}

/** helper_sret. Illegal in U-mode, and in S-mode when mstatus.TSR is set. */
export function helper_sret(cpu: RiscvCpu): boolean {
  const priv = cpu.priv;
  if (priv < Priv.S || (priv === Priv.S && cpu.mstatus & Mstatus.TSR)) {
    return raise_exception(cpu, Excp.ILLEGAL_INST, 0x10200073, 0);
  }
  let ms = cpu.mstatus;
  const prev = ms & Mstatus.SPP ? Priv.S : Priv.U;
  ms = ms & Mstatus.SPIE ? ms | Mstatus.SIE : ms & ~Mstatus.SIE;
  ms |= Mstatus.SPIE;
  ms &= ~(Mstatus.SPP | Mstatus.MPRV);
  cpu.mstatus = ms;
  const c64 = cpu.csr64;
  cpu.setPcPair(c64[CsrSlot.SEPC * 2], c64[CsrSlot.SEPC * 2 + 1]);
  riscv_cpu_set_mode(cpu, prev);
  cpu.events |= Ev.CTX;
  return true;
}

/**
 * helper_wfi: illegal in U-mode (S-mode exists) and in S-mode with mstatus.TW, as QEMU 7.2 does.
 * Returns true when the hart may wait (the caller advances pc and idles until mip & mie != 0).
 */
export function helper_wfi(cpu: RiscvCpu): boolean {
  const priv = cpu.priv;
  if (priv === Priv.U || (priv === Priv.S && cpu.mstatus & Mstatus.TW)) {
    return raise_exception(cpu, Excp.ILLEGAL_INST, 0x10500073, 0);
  }
  return true;
}

/**
 * helper_tlb_flush (SFENCE.VMA): illegal in U-mode and in S-mode with mstatus.TVM. With rs1 = x0
 * every cached translation is dropped (of every address space: more than rs2's ASID asks, which
 * is allowed, §4.2.1). With an address in rs1, only that 4 KiB page's entries (in every address
 * space), unless the TLBs hold pieces of a superpage covering it: then everything, since the
 * fence orders updates of the leaf PTE that maps the whole superpage. (QEMU 7.2 always flushes
 * everything; Linux fences single user pages after every page fault it resolves.)
 */
export function helper_tlb_flush(cpu: RiscvCpu, raw: number): boolean {
  const priv = cpu.priv;
  if (priv === Priv.U || (priv === Priv.S && cpu.mstatus & Mstatus.TVM)) {
    return raise_exception(cpu, Excp.ILLEGAL_INST, raw, 0);
  }
  const rs1 = (raw >>> 15) & 31;
  if (rs1 === 0) {
    cpu.tlbFlush();
    return true;
  }
  const lo = cpu.xr[2 * rs1];
  const hi = cpu.xr[2 * rs1 + 1];
  const sr = cpu.superRegions;
  if (sr.size !== 0) {
    const va = hi * 4294967296 + (lo >>> 0);
    for (let level = 1; level <= 3; level++) {
      if (sr.has(superRegionKey(va, level))) {
        cpu.tlbFlush();
        return true;
      }
    }
  }
  cpu.tlbFlushPage(lo, hi);
  return true;
}
